"""The lower-memory paths of a big log's fit give the same results as the copying ones (issue 24).

Each memory change is compared with the code it replaced, written out here as the reference
(run labels built per row, a full-frame drop_duplicates + sort, one nanmean over all resamples),
and a planted log is fitted both in row order (no sort, no copy) and shuffled (the sort path).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from comparison import load_table
from comparison.estimate import nu_quality
from comparison.estimate.nu_quality import boot_means
from comparison.estimate.transitions import sorted_by_run_t
from comparison.pipeline.core import fit_runset
from comparison.runset.logs import ColumnMap, mapped_frame
from comparison.runset.schema import has_repeated_run_t, normalise


def _reference_normalise(curves, summary):
    curves, summary = curves.copy(), summary.copy()
    curves["run"] = curves["run"].astype("int64")
    summary["run"] = summary["run"].astype("int64")
    curves = curves.drop_duplicates().sort_values(["run", "t"], kind="mergesort").reset_index(drop=True)
    return curves, summary.sort_values("run", kind="mergesort").reset_index(drop=True)


def test_boot_means_do_not_depend_on_the_memory_bound(monkeypatch):
    M = np.random.default_rng(1).random((57, 13))
    M[3, 4] = np.nan
    ref = boot_means(M, 40, 7)
    monkeypatch.setattr(nu_quality, "BOOT_WORK_ELEMENTS", 57 * 13 * 3)   # three resamples at a time
    np.testing.assert_array_equal(boot_means(M, 40, 7), ref)
    monkeypatch.setattr(nu_quality, "BOOT_WORK_ELEMENTS", 1)
    np.testing.assert_array_equal(boot_means(M, 40, 7), ref)
    assert not np.array_equal(boot_means(M, 40, 8), ref)   # the comparison can fail


@pytest.mark.parametrize("shuffle", [False, True])
def test_normalise_equals_the_copying_reference(shuffle):
    rng = np.random.default_rng(2)
    c = pd.DataFrame({"run": np.repeat(np.arange(30), 20), "t": np.tile(np.arange(20.0), 30),
                      "test_error": rng.random(600)})
    c = pd.concat([c, c.iloc[[5, 77, 300]]], ignore_index=True)   # exact duplicate rows
    if shuffle:
        c = c.sample(frac=1.0, random_state=3)
    else:
        c = c.sort_values(["run", "t"], kind="mergesort")
    s = pd.DataFrame({"run": np.arange(30)[::-1], "groks": 1, "diverged": 0})
    got, ref = normalise(c, s), _reference_normalise(c, s)
    pd.testing.assert_frame_equal(got[0], ref[0])
    assert sorted_by_run_t(got[0]) and not has_repeated_run_t(got[0])


def test_repeated_pairs_match_pandas_duplicated():
    rng = np.random.default_rng(4)
    for _ in range(300):
        n = int(rng.integers(1, 12))
        df = pd.DataFrame({"run": rng.choice(np.array(["a", "b", None], dtype=object), n),
                           "t": rng.choice([0.0, 1.0, np.nan], n)})
        assert has_repeated_run_t(df) == bool(df.duplicated(subset=["run", "t"]).any())


@pytest.mark.parametrize("ids", [[3, 1, 3], [1.0, np.nan, 2.5], ["a", None, "b"], ["x", 1, 1.0, True]])
def test_run_labels_are_the_per_row_strings(ids):
    df = pd.DataFrame({"t": np.arange(len(ids), dtype=float), "test_error": 0.5,
                       "run": pd.Series(ids, dtype=object if isinstance(ids[0], str) or len(ids) == 4 else None)})
    for label in ("", "f"):
        got = mapped_frame(df, ColumnMap.from_mapping({"run": "run"}), label)["run"]
        ref = df["run"].astype(str) if not label else label + ":" + df["run"].astype(str)
        ref[df["run"].isna()] = np.nan
        assert [str(x) for x in got] == [str(x) for x in ref]


def _planted(path, shuffle):
    """40 runs whose errors reach one wrong example of 200 at known steps."""
    rng = np.random.default_rng(5)
    steps = np.arange(100) * 10.0
    tz = rng.uniform(0.3, 0.9, 40) * steps[-1]
    wrong = np.minimum(np.round(600 * (np.clip(tz[:, None] - steps[None, :], 0, None) / steps[-1]) ** 1.5), 180)
    df = pd.DataFrame({"run": np.repeat(np.arange(40), 100), "t": np.tile(steps, 40), "test_error": (wrong / 200).ravel()})
    if shuffle:
        df = df.sample(frac=1.0, random_state=6)
    df.to_csv(path, index=False)
    # the tolerance "auto" is one test example (the quantum 1/200 is inferred): t_eps = first step at <= 1 wrong
    first_one = np.array([steps[np.nonzero(w <= 1)[0][0]] for w in wrong])
    return path, first_one


def test_planted_log_same_fit_in_order_and_shuffled(tmp_path):
    (a, truth), (b, _) = _planted(tmp_path / "a.csv", False), _planted(tmp_path / "b.csv", True)
    ra, rb = load_table(a), load_table(b)
    te = ra.summary.set_index("label")["t_eps"].reindex([str(i) for i in range(40)]).to_numpy()
    np.testing.assert_array_equal(te, truth)
    pd.testing.assert_frame_equal(ra.summary, rb.summary)
    pd.testing.assert_frame_equal(ra.curves, rb.curves)
    fa, _ = fit_runset(a, write=False, nu_kwargs={"n_boot": 30})
    fb, _ = fit_runset(b, write=False, nu_kwargs={"n_boot": 30})
    assert fa.nu.nu == fb.nu.nu and list(fa.nu.nu_ci) == list(fb.nu.nu_ci)
    assert fa.counts == fb.counts and fa.counts["n_groks"] == 40


def _attach_train_loop(curves, train):   # the per-run merge it replaced (reference)
    parts = []
    for run, grp in curves.groupby("run", sort=False):
        tr = train[train["run"] == run].sort_values("t")[["t", "test_error"]].rename(columns={"test_error": "train_error"})
        parts.append(pd.merge_asof(grp.sort_values("t"), tr, on="t", direction="backward"))
    return pd.concat(parts, ignore_index=True)


def test_train_error_attached_as_run_by_run():
    from comparison.runset.tables import _attach_train

    rng = np.random.default_rng(7)
    names = np.array([f"r{i}" for i in range(40)] + [None], dtype=object)
    c = pd.DataFrame({"run": pd.array(rng.choice(names, 2000), dtype="str"), "t": rng.permutation(2000).astype(float),
                      "test_error": rng.random(2000)})
    tr = pd.DataFrame({"run": pd.array(rng.choice(names, 1200), dtype="str"), "t": rng.permutation(1200) + 0.5,
                       "test_error": rng.random(1200)})
    got, ref = _attach_train(c, tr), _attach_train_loop(c, tr)
    pd.testing.assert_frame_equal(got, ref)
    assert got["train_error"].notna().sum() > 1000
