"""Small pristine run sets for the corpus, built once per process and copied per case."""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

__all__ = ["base_1d", "base_ball", "rewrite"]

_CACHE: dict[str, Path] = {}


def _root() -> Path:
    if "root" not in _CACHE:
        d = Path(tempfile.mkdtemp(prefix="grokcheck-hostile-"))
        atexit.register(shutil.rmtree, d, True)
        _CACHE["root"] = d
    return _CACHE["root"]


def _build(name: str, simulator: str, params: dict) -> Path:
    if name not in _CACHE:
        from comparison.pipeline import simulate_runset

        path = _root() / name
        simulate_runset(simulator, params, path, progress=False)
        _CACHE[name] = path
    return _CACHE[name]


def base_1d(tmp: Path, name: str = "rs1d") -> Path:
    """A copy of a valid 1D run set (N = 5, 40 replicas) at ``tmp/name``."""
    src = _build("rs1d", "perceptron-1d", {"N": 5, "eps": 0.5, "n_replicas": 40, "seed": 1})
    dst = tmp / name
    shutil.copytree(src, dst)
    return dst


def base_ball(tmp: Path, name: str = "rsball") -> Path:
    """A copy of a valid ball run set (D = 3, N = 10, 20 replicas) at ``tmp/name``."""
    src = _build("rsball", "perceptron-ball", {"D": 3, "N": 10, "eps": 2.0, "n_replicas": 20, "seed": 1})
    dst = tmp / name
    shutil.copytree(src, dst)
    return dst


def rewrite(rs: Path, summary=None, curves=None, manifest_edit=None, resign: bool = True) -> None:
    """Tamper with a run set: replace tables and/or edit the manifest, then re-sign the
    manifest's checksums (``resign``) as a careful forger would."""
    import json

    from comparison._io import sha256_file

    if summary is not None:
        summary.to_parquet(rs / "summary.parquet", index=False)
    if curves is not None:
        curves.to_parquet(rs / "curves.parquet", index=False)
    m = json.loads((rs / "manifest.json").read_text())
    if resign:
        for name, info in m.get("files", {}).items():
            if isinstance(info, dict) and (rs / name).is_file():
                info["sha256"] = sha256_file(rs / name)
                info["bytes"] = (rs / name).stat().st_size
    if manifest_edit is not None:
        manifest_edit(m)
    (rs / "manifest.json").write_text(json.dumps(m))
