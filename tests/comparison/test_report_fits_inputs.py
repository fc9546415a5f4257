"""``report`` on fits files of logs with different columns (each fitted with its own options)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from comparison.cli import main


def _log(zero_shift: int, names: tuple[str, str, str], accuracy: bool) -> pd.DataFrame:
    run, t, v = names
    steps = np.arange(0, 600, 10)
    frames = []
    for s in range(3):
        wrong = np.clip((300 + zero_shift + 30 * s - steps) // 5, 0, 180)
        frames.append(pd.DataFrame({run: s, t: steps, v: 1 - wrong / 200 if accuracy else wrong / 200}))
    return pd.concat(frames, ignore_index=True)


def test_report_takes_fits_files_of_differently_named_logs(tmp_path, capsys):
    a, b = tmp_path / "A.csv", tmp_path / "B.jsonl"
    _log(0, ("run", "step", "acc"), True).to_csv(a, index=False)
    _log(-50, ("seed", "it", "err"), False).to_json(b, orient="records", lines=True)
    assert main(["fit", str(a), "--time-col", "step", "--accuracy-col", "acc", "--n-boot", "10"]) == 0
    assert main(["fit", str(b), "--time-col", "it", "--error-col", "err", "--run-col", "seed",
                 "--n-boot", "10"]) == 0
    out = tmp_path / "R"
    rc = main(["report", f"{a}.fits.json", f"{b}.fits.json", "--out", str(out), "--format", "md"])
    assert rc == 0, capsys.readouterr().err
    text = (out / "report.md").read_text()
    assert "## Run set `A.csv`" in text and "## Run set `B.jsonl`" in text
    _log(10, ("run", "step", "acc"), True).to_csv(a, index=False)   # input changed: its fits are stale
    capsys.readouterr()
    rc = main(["report", f"{a}.fits.json", f"{b}.fits.json", "--out", str(tmp_path / "R2"), "--format", "md"])
    err = capsys.readouterr().err
    assert rc != 0 and "stale" in err and "A.csv" in err
