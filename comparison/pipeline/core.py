"""The only composer: simulate → run set on disk → fit (written once) → predict → report.

Every command of the CLI is one call here:

* :func:`simulate_runset` — check the parameters, run a registered simulator,
  write the run set atomically (``--overwrite`` only ever replaces a run set);
* :func:`fit_runset` — analyse a run set or an external table and write
  ``fits.json`` next to it (``RUNSET/fits.json``, ``TABLE.fits.json``) or to
  ``out``; :func:`load_fits` reads one back;
* :func:`analyses_for` — the analyses a report needs: existing, up-to-date fits
  are read, only missing or stale ones are computed (and written);
* :func:`fit_sweep` — the same across the settings of a sweep (``SWEEP/fits.json``);
* :func:`write_full_report` — analyses + cached paper-section data → report;
* :func:`~comparison.pipeline.demo.run_demo` runs them all on an embedded default.

A fits file records its schema, the fit options and the checksums of the run
set it was computed from; a fits file whose run set changed, or that was made
with other options, is stale and is recomputed, never silently reused.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._io import restore_nonfinite, short_stem, strict_jsonable, write_json_atomic
from ..agreement import Analysis, analyse
from ..errors import ConfigError
from ..runset import check_replaceable, load_any, write_runset
from ..seeds import child_seeds
from ..simulators import call_simulator, check_params, get_spec, load_simulator
from .fits_consistency import fits_disagreement
from .identity import belongs, fingerprint, is_current, read_fits_document
from .theories import preflight, resolve_theories, theory_fingerprints

__all__ = ["FITS_SCHEMA", "simulate_runset", "fit_runset", "load_fits", "default_fits_path", "analyses_for",
           "is_fits_file", "fit_sweep", "paper_data_cached", "write_full_report"]

FITS_SCHEMA = "grokcheck.fits"
FITS_SCHEMA_VERSION = 2  # bumped whenever verdict rules change: older fits are stale


def simulate_runset(simulator: str, params: dict[str, Any], out: str | os.PathLike[str], *,
                    overwrite: bool = False, progress: bool = False,
                    extra_manifest: dict[str, Any] | None = None) -> tuple[Path, Any]:
    """Check ``params``, run ``simulator`` and write its run set to ``out``; returns (path, result)."""
    if os.path.lexists(out) and not overwrite:
        raise ConfigError(f"output path {str(out)!r} exists; choose another --out or pass --overwrite")
    check_replaceable(out)  # before any work: --overwrite only ever replaces a run set
    check_params(simulator, params, progress=progress, fn=load_simulator(simulator))
    result = call_simulator(simulator, params, progress=progress)
    path = write_runset(result, out, overwrite=overwrite, extra_manifest=extra_manifest)
    return path, result


Paths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def _first(path: Paths) -> Path:
    return Path(path) if isinstance(path, (str, os.PathLike)) else Path(list(path)[0])


def _input_name(path: Paths) -> str:
    return str(path) if isinstance(path, (str, os.PathLike)) else " + ".join(str(p) for p in path)


def default_fits_path(path: Paths) -> Path:
    """Where ``grokcheck fit`` writes by default: inside a run-set or sweep directory, next to a
    table; next to the first of several logs fitted together, under a name of its own (the
    number of logs and 12 hex digits of the sha256 of their resolved paths), so that the fits
    of ``a.csv b.csv`` never collide with those of ``a.csv`` alone.

    >>> default_fits_path("a.csv").name
    'a.csv.fits.json'
    >>> default_fits_path(["a.csv", "b.csv"]).name.startswith("a.csv.2logs-")
    True
    """
    p = _first(path)
    if p.is_dir():
        return p / "fits.json"
    logs = [] if isinstance(path, (str, os.PathLike)) else [Path(q) for q in path]
    if len(logs) > 1:
        key = hashlib.sha256("\0".join(str(q.resolve()) for q in logs).encode("utf-8", "surrogateescape"))
        return p.with_name(f"{short_stem(p.name)}.{len(logs)}logs-{key.hexdigest()[:12]}.fits.json")
    return p.with_name(p.name + ".fits.json")


def _fit_options(nu_kwargs: dict[str, Any] | None, seed: int, zero_tol: float | None,
                 load: dict[str, Any] | None = None, theories: Sequence[str] = ()) -> dict[str, Any]:
    out = {"nu_kwargs": dict(sorted((nu_kwargs or {}).items())), "seed": seed, "zero_tol": zero_tol}
    if load:
        out["load"] = dict(sorted(load.items()))
    if theories:  # a fits file made with another theory (or another version of its file) is stale
        out["theories"] = theory_fingerprints(theories)
    return strict_jsonable(out)


def _load_kwargs(zero_tol: float | None, load: dict[str, Any] | None) -> dict[str, Any]:
    kw = {k: v for k, v in dict(load or {}).items() if v is not None}
    if zero_tol is not None:
        kw["zero_tol"] = zero_tol
    return kw


def _source_of(rs: Any) -> dict[str, Any]:
    files = (rs.manifest or {}).get("files") if getattr(rs, "manifest", None) else None
    return {"path": str(rs.path) if rs.path is not None else None, "files": files,
            "n_runs": int(rs.n_runs)}


def _check_fits_target(target: Path, fp: dict[str, Any], input_path: str, *, overwrite: bool = False,
                       own_place: bool = False) -> None:
    """Refuse to replace a file that is not a grokcheck fits file of the same input (by resolved
    path or file contents: :func:`~comparison.pipeline.identity.belongs`), unless ``overwrite``
    (``grokcheck fit --overwrite``: the user's explicit choice; still never a link, a directory
    or another file of a run set; ``own_place``: ``target`` is the input's own fits path)."""
    if not os.path.lexists(target):
        return
    if target.is_symlink() or not target.is_file():
        raise ConfigError(f"refusing to write fits to {str(target)!r}: it exists and is not a regular file")
    try:
        old = read_fits_document(target)
    except ConfigError as e:
        why = f"unreadable: {e}"
    else:
        ours = isinstance(old, dict) and str(old.get("schema", "")).startswith(FITS_SCHEMA)
        if ours and belongs(old.get("source"), fp):
            return
        why = "another input's fits" if ours else "not a grokcheck fits file"
    if overwrite and not own_place:
        from .._written import check_may_write

        try:
            check_may_write([target], overwrite=True)
        except ValueError as e:
            raise ConfigError(str(e)) from None
    if overwrite:
        return
    raise ConfigError(f"refusing to overwrite {str(target)!r}: it is not the grokcheck fits file of "
                      f"{input_path!r} ({why}); run 'grokcheck fit {input_path} --overwrite' to replace it, "
                      f"or choose another --out")


def fit_runset(path: Paths, *, out: str | os.PathLike[str] | None = None,
               nu_kwargs: dict[str, Any] | None = None, seed: int = 0, zero_tol: float | None = None,
               write: bool = True, load: dict[str, Any] | None = None,
               theories: Sequence[str] = (), overwrite: bool = False) -> tuple[Analysis, Path | None]:
    """Analyse the run set, table or logs at ``path`` (one path or several log files fitted
    together); write ``fits.json`` (see :func:`default_fits_path`; an existing file there that is
    not this input's fits file needs ``overwrite``). ``load`` holds the
    :func:`~comparison.runset.load_table` options for logs (columns, scale, transition,
    tolerance, time_unit); the load notes lead the analysis' notes. ``theories``: user
    theories to judge beside the registered ones (see :func:`resolve_theories`)."""
    specs = resolve_theories(theories)  # a malformed theory is refused before any fitting
    fp = fingerprint(path)  # before reading: the fits describe the files as they were read
    rs = load_any(path, **_load_kwargs(zero_tol, load))
    preflight(specs, rs.config)
    a = analyse(rs, nu_kwargs=nu_kwargs, seed=seed, theories=specs)
    notes = a.notes
    if rs.config.get("load", {}).get("loss_only"):
        a = replace(a, nu_error="loss-only log: no error or accuracy column to align (a loss is never read as an "
                                "error rate)")
        notes = [n for n in notes if not n.startswith("nu not fitted")]
    a = replace(a, notes=[f"reading the logs: {n}" for n in rs.config.get("load", {}).get("notes", [])] + notes)
    doc = {**a.to_dict(), "schema": FITS_SCHEMA, "schema_version": FITS_SCHEMA_VERSION,
           "fit_options": _fit_options(nu_kwargs, seed, zero_tol, load, theories),
           "source": {**_source_of(rs), "path": _input_name(path), **fp}}
    target = None
    if write:
        target = Path(out) if out is not None else default_fits_path(path)
        own = out is None or target.resolve() == default_fits_path(path).resolve()
        _check_fits_target(target, fp, doc["source"]["path"], overwrite=overwrite, own_place=own)
        write_json_atomic(target, doc)
    return Analysis.from_dict(_canonical(doc)), target


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    """The document exactly as it reads back from disk (sorted keys), so that a report
    drawn from a fresh fit and one drawn from its fits.json are byte-identical."""
    return json.loads(json.dumps(strict_jsonable(doc), sort_keys=True, allow_nan=False))


def load_fits(path: str | os.PathLike[str]) -> tuple[Analysis, dict[str, Any]]:
    """Read a fits file (strictly: no symbolic link, no bare NaN); returns (analysis, the whole document)."""
    doc = read_fits_document(path)
    if doc.get("schema") != FITS_SCHEMA:
        raise ConfigError(f"{str(path)!r} is not a grokcheck fits file")
    return Analysis.from_dict(doc), doc


def _fresh_fits(path: Paths, options: dict[str, Any]) -> Analysis | None:
    """The analysis of the default fits file of ``path`` if it is current (same options, every
    input file unchanged: :func:`~comparison.pipeline.identity.is_current`), else None."""
    fp = default_fits_path(path)
    if fp.is_symlink() or not fp.is_file():
        return None
    try:
        a, doc = load_fits(fp)
    except (ValueError, OSError, KeyError, TypeError):
        return None
    if (doc.get("schema_version") != FITS_SCHEMA_VERSION or doc.get("fit_options") != options
            or not is_current(doc.get("source"), here := fingerprint(path))
            or fits_disagreement(doc, path) is not None):   # checksums can be forged: numbers are checked
        return None
    if Path(_first(path)).is_dir() and doc["source"].get("resolved") != here["resolved"]:
        a = replace(a, name=_first(path).name)  # a copied or renamed run set: its fits, under its new name
    return a


def is_fits_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a fits file written by ``grokcheck fit`` (``*.fits.json``, ``fits.json``)."""
    p = Path(path)
    return not p.is_dir() and (p.name == "fits.json" or p.name.endswith(".fits.json"))


def _fits_file_analysis(path: str | os.PathLike[str]) -> Analysis:
    """The analysis stored in a fits file given to ``report`` (each log fitted with its own columns);
    refused when its input files changed since (refit them)."""
    try:
        a, doc = load_fits(path)
    except (ValueError, OSError, KeyError, TypeError) as exc:
        raise ConfigError(f"{str(path)!r}: not a readable grokcheck fits file ({str(exc).splitlines()[0]})") from exc
    src = doc.get("source") or {}
    inputs = src.get("resolved") or []
    if inputs and all(Path(q).exists() for q in inputs):
        here = fingerprint(inputs if len(inputs) > 1 else inputs[0])
        if not is_current(src, here):
            raise ConfigError(f"{str(path)!r} is stale: its input {inputs[0]!r} changed since it was fitted; "
                              "run 'grokcheck fit' on it again")
    return a


def analyses_for(paths: Sequence[str | os.PathLike[str]], *, nu_kwargs: dict[str, Any] | None = None,
                 seed: int = 0, progress: bool = False, load: dict[str, Any] | None = None,
                 theories: Sequence[str] = ()) -> tuple[list[Analysis], list[Any]]:
    """Analyses of run sets / tables, read from up-to-date fits where they exist.

    Directories (run sets, sweeps) are one analysis each; the log files among
    ``paths`` are fitted together as one run set (``load``: their read options).
    Returns (analyses, sweep summary hooks). A missing or stale fits file is
    recomputed and written (when the location is writable)."""
    from tqdm.auto import tqdm

    from ..report.phase_section import phase_section
    from ..report.sweep_section import summary_section
    from ..sweep import is_sweep_dir, load_sweep

    analyses: list[Analysis] = []
    hooks: list[Any] = []
    options = _fit_options(nu_kwargs, seed, None, load, theories)
    specs = resolve_theories(theories)
    analyses += [_fits_file_analysis(p) for p in paths if is_fits_file(p)]
    files = [p for p in paths if not Path(p).is_dir() and not is_fits_file(p)]
    items: list[Any] = [p for p in paths if Path(p).is_dir()] + ([files if len(files) > 1 else files[0]] if files else [])
    for p in tqdm(items, desc="analysing run sets", disable=not progress):
        if not isinstance(p, list) and is_sweep_dir(p):
            loaded = load_sweep(p)
            if not loaded.runsets:
                raise ConfigError(f"sweep {str(p)!r} has no finished task yet; run 'grokcheck sweep' first")
            hooks.append(summary_section(loaded, len(analyses)))
            spec = get_spec(loaded.config.simulator)
            if spec is not None and spec.extra.get("phase_axis"):
                hooks.append(phase_section(len(analyses), len(loaded.runsets), spec.extra["phase_axis"]))
            analyses.extend(fit_sweep(loaded, nu_kwargs=nu_kwargs, seed=seed, theories=specs)[2])
            continue
        a = _fresh_fits(p, options)
        if a is None:
            try:
                a, _ = fit_runset(p, nu_kwargs=nu_kwargs, seed=seed, load=load, theories=theories)
            except OSError:  # read-only input: fit in memory, do not cache
                a, _ = fit_runset(p, nu_kwargs=nu_kwargs, seed=seed, write=False, load=load, theories=theories)
        analyses.append(a)
    names = [a.name for a in analyses]
    if len(set(names)) != len(names):
        raise ConfigError(f"run-set names must be distinct in one report, got {names}")
    return analyses, hooks


def fit_sweep(loaded: Any, *, nu_kwargs: dict[str, Any] | None = None, seed: int = 0,
              theories: Sequence[Any] = ()) -> tuple[dict[str, Any], Any, list[Analysis]]:
    """Analyse every setting of a loaded sweep; returns (JSON digest, summary table, analyses)."""
    from ..sweep.summary import pair_settings, sweep_summary

    analyses = [Analysis.from_dict(_canonical(analyse(rs, nu_kwargs=nu_kwargs, seed=seed,
                                                      theories=theories).to_dict()))
                for rs in loaded.runsets]
    table = sweep_summary(loaded, analyses)
    digest = {"schema": FITS_SCHEMA + ".sweep", "sweep": str(loaded.path), "source": {"path": str(loaded.path)},
              "config_hash": loaded.config.config_hash, "fit_options": _fit_options(nu_kwargs, seed, 0.0),
              "settings": [{**info, "fit": a.to_dict() if a is not None else None}
                           for info, a in pair_settings(loaded, analyses)],
              "summary": table.to_dict(orient="records"), "missing": loaded.missing}
    return strict_jsonable(digest), table, analyses


def paper_data_cached(out_dir: str | os.PathLike[str], *, n_replicas: int = 400, seed: int = 0,
                      progress: bool = False, tg_replicas: int | None = None,
                      n_init: int = 300) -> dict[str, dict[str, Any]]:
    """Compute (or read from ``OUT/paper-data/``) the data of every paper section."""
    from ..paper_data import PAPER_DATA

    tgr = tg_replicas if tg_replicas is not None else 50 * n_replicas
    kids = child_seeds(seed, 5)  # one independent stream per paper section
    params = {"1d-probability": {"n_replicas": n_replicas, "seed": kids[0]},
              "1d-tg": {"n_replicas": tgr, "seed": kids[1]},
              "ball-probability": {"n_replicas": n_replicas, "seed": kids[2]},
              "ball-tg": {"n_replicas": max(n_replicas, 200), "N": 100, "seed": kids[3]},
              "scenario-b": {"n_init": n_init, "seed": kids[4]}}
    out: dict[str, dict[str, Any]] = {}
    cache = Path(out_dir) / "paper-data"
    if cache.is_symlink() or (cache.exists() and not cache.is_dir()):   # never write through a link
        raise ConfigError(f"{str(cache)!r} is a symbolic link or not a directory; choose another --out")
    for name, kw in params.items():
        f = cache / f"{name}.json"
        if f.is_file():
            try:
                doc = restore_nonfinite(json.loads(f.read_text()))
                if doc.get("params") == kw:
                    out[name] = doc["data"]
                    continue
            except (OSError, ValueError):
                pass
        doc = strict_jsonable({"params": kw, "data": PAPER_DATA[name](progress=progress, **kw)})
        write_json_atomic(f, doc)
        out[name] = restore_nonfinite(json.loads(json.dumps(doc, allow_nan=False)))["data"]
    return out


def write_full_report(analyses: Sequence[Analysis], out_dir: str | os.PathLike[str], *,
                      title: str = "grokcheck report", paper: dict[str, dict[str, Any]] | None = None,
                      preamble: Sequence[Callable[[Any], None]] = (), summaries: Sequence[Any] = (),
                      formats: Sequence[str] = ("md", "html"), overwrite: bool = False,
                      progress: bool = False) -> Path:
    """Build and write the report of ``analyses`` (plus the paper sections when given) in
    ``formats`` (a subset of md, html, pdf; see :func:`comparison.report.write_report`;
    ``overwrite`` lets it replace report files that grokcheck did not write; ``progress``: a
    progress bar while the figures are drawn)."""
    from ..report import build_report, paper_sections, write_report

    extra = paper_sections(paper) if paper else []
    rep = build_report(analyses, title=title, extra_sections=extra, preamble=preamble, summaries=summaries,
                       progress=progress)
    return write_report(rep, out_dir, formats=formats, overwrite=overwrite)
