"""Hostile files: tampered run-set directories (re-signed or not) and external tables.
Run-set directories and tables are untrusted data: every problem is a RunSetError."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .fixtures import base_1d, base_ball, rewrite
from .harness import Case, cli


def _load(rs: Path) -> Any:
    from comparison.runset import load_runset

    return load_runset(rs).summary


def _summary_case(name: str, edit: Callable[[pd.DataFrame], pd.DataFrame], words: tuple[str, ...]) -> Case:
    def run(tmp: Path) -> Any:
        rs = base_1d(tmp)
        s = pd.read_parquet(rs / "summary.parquet")
        rewrite(rs, summary=edit(s))
        return _load(rs)
    return Case(f"runset summary: {name}", "file", "refuse", run, ("invalid run set",) + words)


def _groks_idx(s: pd.DataFrame) -> Any:
    return s.index[s["groks"].astype(bool)][0]


def _set(col: str, value: Any, rows: str = "groks") -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(s: pd.DataFrame) -> pd.DataFrame:
        s = s.copy()
        if isinstance(value, str):
            s[col] = s[col].astype(str)
        idx = _groks_idx(s) if rows == "groks" else s.index[0]
        s.loc[idx, col] = value
        return s
    return edit


def _summary_cases() -> list[Case]:
    def yes(s: pd.DataFrame) -> pd.DataFrame:
        s = s.copy()
        s["groks"] = np.where(s["groks"], "yes", "no")
        return s

    def drop_col(col: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
        return lambda s: s.drop(columns=[col])

    def dup_run(s: pd.DataFrame) -> pd.DataFrame:
        s = s.copy()
        s.loc[1, "run"] = s.loc[0, "run"]
        return s

    edits = [("groks='yes'", yes, ("groks",)), ("t_eps string", _set("t_eps", "soon"), ("t_eps",)),
             ("t_eps inf on a grokking run", _set("t_eps", np.inf), ("t_eps",)),
             ("t_eps nan on a grokking run", _set("t_eps", np.nan), ("t_eps",)),
             ("t_G inconsistent with the times", lambda s: s.assign(t_G=s["t_G"] + 1.0), ("t_G",)),
             ("negative t_G", _set("t_G", -3.0), ("t_G",)),
             ("t_G inf", _set("t_G", np.inf), ("t_G",)),
             ("negative t_train", _set("t_train", -1.0), ("t_train",)),
             ("diverged string", lambda s: s.assign(diverged="no"), ("diverged",)),
             ("missing t_G column", drop_col("t_G"), ("t_G",)),
             ("duplicated run ids", dup_run, ("duplicated",)),
             ("run id fractional", lambda s: s.assign(run=s["run"] + 0.5), ("run",))]
    return [_summary_case(n, e, w) for n, e, w in edits]


def _manifest_case(name: str, edit: Callable[[dict], None], words: tuple[str, ...], *, resign: bool = True,
                   tamper_curves: bool = False, base: Callable[[Path], Path] = base_1d) -> Case:
    def run(tmp: Path) -> Any:
        rs = base(tmp)
        if tamper_curves:
            c = pd.read_parquet(rs / "curves.parquet")
            c.loc[0, "test_error"] = 0.123
            c.to_parquet(rs / "curves.parquet", index=False)
        rewrite(rs, manifest_edit=edit, resign=resign)
        return _load(rs)
    return Case(f"runset manifest: {name}", "file", "refuse", run, ("invalid run set",) + words)


def _manifest_cases() -> list[Case]:
    def setk(k: str, v: Any) -> Callable[[dict], None]:
        return lambda m: m.__setitem__(k, v)

    def files_entry(m: dict) -> None:
        m["files"]["curves.parquet"] = "x"

    def cfg(k: str, v: Any) -> Callable[[dict], None]:
        return lambda m: m["config"].__setitem__(k, v)

    def outside(m: dict) -> None:
        m["files"]["../victim.parquet"] = {"sha256": "0" * 64, "bytes": 1}

    cases = [("files entry not an object (tampered curves)", files_entry, ("curves.parquet",), True, True),
             ("files not an object", setk("files", "x"), ("files",), True, False),
             ("n_runs null", setk("n_runs", None), ("n_runs",), True, False),
             ("n_runs fractional", setk("n_runs", 40.5), ("n_runs",), True, False),
             ("n_runs string", setk("n_runs", "40"), ("n_runs",), True, False),
             ("n_runs true", setk("n_runs", True), ("n_runs",), True, False),
             ("n_runs wrong", setk("n_runs", 41), ("n_runs",), True, False),
             ("config D='five'", cfg("N", "five"), ("N",), True, False),
             ("config eps negative", cfg("eps", -1.0), ("eps",), True, False),
             ("config not an object", setk("config", [1, 2]), ("config",), True, False),
             ("schema wrong", setk("schema", "other"), ("schema",), True, False),
             ("schema_version 99", setk("schema_version", 99), ("schema_version",), True, False),
             ("path leaving the directory", outside, ("victim",), True, False),
             ("tampered curves, not re-signed", lambda m: None, ("curves.parquet",), False, True)]
    out = [_manifest_case(n, e, w, resign=r, tamper_curves=t) for n, e, w, r, t in cases]
    out.append(_manifest_case("ball config D=2.5", cfg("D", 2.5), ("D",), base=base_ball))
    return out


def _raw_manifest_case(name: str, text: str, words: tuple[str, ...]) -> Case:
    def run(tmp: Path) -> Any:
        rs = base_1d(tmp)
        (rs / "manifest.json").write_text(text if text != "@nan" else
                                          (rs / "manifest.json").read_text().replace('"n_runs": 40',
                                                                                     '"n_runs": NaN'))
        return _load(rs)
    return Case(f"runset manifest text: {name}", "file", "refuse", run, ("invalid run set",) + words)


def _raw_cases() -> list[Case]:
    deep = "[" * 100000 + "]" * 100000
    out = [_raw_manifest_case("deeply nested", deep, ("manifest",)),
           _raw_manifest_case("deeply nested object", '{"a":' * 50000 + "1" + "}" * 50000, ("manifest",)),
           _raw_manifest_case("bare NaN", "@nan", ("NaN",)),
           _raw_manifest_case("empty", "", ("manifest",)),
           _raw_manifest_case("binary", "\x00\xff\xfe", ("manifest",))]

    def symlinked(tmp: Path) -> Any:
        rs = base_1d(tmp)
        outside = tmp / "outside.parquet"
        (rs / "curves.parquet").rename(outside)
        (rs / "curves.parquet").symlink_to(outside)
        return _load(rs)

    def pickled_npz(tmp: Path) -> Any:
        rs = base_ball(tmp)
        np.savez(rs / "features.npz", w=np.array([{"a": 1}], dtype=object), allow_pickle=True)
        rewrite(rs)
        return _load(rs)

    def truncated(tmp: Path) -> Any:
        rs = base_1d(tmp)
        data = (rs / "summary.parquet").read_bytes()
        (rs / "summary.parquet").write_bytes(data[: len(data) // 2])
        return _load(rs)

    def via_fit(tmp: Path) -> Any:
        rs = base_1d(tmp)
        rewrite(rs, manifest_edit=lambda m: m.__setitem__("n_runs", None))
        return cli("fit", rs)

    out += [Case("runset curves.parquet is a symlink out of the directory", "file", "refuse", symlinked,
                 ("curves.parquet",)),
            Case("runset features.npz pickled", "file", "refuse", pickled_npz, ("features.npz",)),
            Case("runset summary truncated", "file", "refuse", truncated, ("summary.parquet",)),
            Case("fit of a run set with n_runs null", "file", "refuse", via_fit, ("n_runs",)),
            Case("pristine 1D run set loads", "file", "accept", lambda tmp: len(_load(base_1d(tmp)))),
            Case("pristine ball run set loads", "file", "accept", lambda tmp: len(_load(base_ball(tmp))))]
    return out


def _table_case(name: str, text: str, expect: str, words: tuple[str, ...] = ()) -> Case:
    def run(tmp: Path) -> Any:
        from comparison.runset import load_table

        p = tmp / "t.csv"
        p.write_text(text)
        rs = load_table(p)
        return {"n_runs": rs.n_runs, "groks": int(rs.summary["groks"].sum())}
    return Case(f"table: {name}", "file", expect, run, words)


def _table_cases() -> list[Case]:
    head = "run,t,test_error\n"
    good = head + "0,0,0.5\n0,1,0.2\n0,2,0\n1,0,0.5\n1,1,0.4\n"
    return [_table_case("valid", good, "accept"),
            _table_case("string t", head + "0,zero,0.5\n0,1,0\n", "refuse", ("'t'",)),
            _table_case("nan t", head + "0,nan,0.5\n0,1,0\n", "refuse", ("'t'",)),
            _table_case("inf t", head + "0,inf,0.5\n0,1,0\n", "refuse", ("'t'",)),
            # a maximum above 1 reads as percent under --scale auto (said in the notes): a sane acceptance
            _table_case("error above 1", head + "0,0,1.5\n0,1,0\n", "accept"),
            _table_case("error above 100", head + "0,0,150\n0,1,0\n", "refuse", ("test_error",)),
            _table_case("negative error", head + "0,0,-0.5\n0,1,0\n", "refuse", ("test_error",)),
            _table_case("missing column", "run,t\n0,0\n", "refuse", ("test_error",)),
            _table_case("empty file", "", "refuse", ()),
            _table_case("header only", head, "refuse", ()),
            _table_case("conflicting duplicates", head + "0,0,0.5\n0,0,0.4\n", "refuse", ("conflicting",)),
            _table_case("missing run id", head + ",0,0.5\n0,1,0\n", "refuse", ("run",)),
            _table_case("huge times", head + "0,0,0.5\n0,1e300,0\n", "accept")]


def cases() -> list[Case]:
    return _summary_cases() + _manifest_cases() + _raw_cases() + _table_cases()
