"""modular_rfm studies (issue 14): cost per iteration at p = 97/113 on CPU, plain vs enforced
block-circulant RFM, onsets of the progress measures, random-feature recipes, the
training-fraction phase diagram.  The code lives in :mod:`benchmarks.bench_rfm`; this module
only gives it its own BENCHMARKS.md section (``python -m benchmarks.run rfm_studies``) so the
older ``rfm`` tables need not be re-measured with it.
"""
from __future__ import annotations

from benchmarks.bench_rfm import run_studies as run

__all__ = ["run"]

if __name__ == "__main__":
    print(run())
