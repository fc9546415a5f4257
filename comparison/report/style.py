"""The one matplotlib style of grokcheck (Agg backend, seaborn theme, seeded hashes)."""
from __future__ import annotations

__all__ = ["setup_mpl"]


def setup_mpl() -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    plt.rcParams.update({"svg.hashsalt": "grokcheck", "figure.max_open_warning": 0})
