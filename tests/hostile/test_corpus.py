"""The hostile-input corpus (issue 15): every case is a clean refusal or a sane acceptance.

The cases live in ``cases_*.py`` and the classification in :mod:`tests.hostile.harness`;
``python -m tests.hostile.harness`` prints the counts by class. A case whose fix lives in
a file owned elsewhere is a strict xfail naming that file: it turns into a failure
(XPASS) as soon as the fix lands, so the mark is then removed.
"""
from __future__ import annotations

import warnings

import pytest

from .harness import ACCEPT, REFUSE, all_cases, classify

CASES = all_cases()


def _param(case):
    marks = list(case.marks)
    if case.lead:
        marks.append(pytest.mark.xfail(strict=True, reason=f"needs the check in {case.lead}"))
    return pytest.param(case, id=case.id, marks=marks)


def test_corpus_is_large_and_covers_every_area():
    assert len(CASES) >= 150
    assert {c.area for c in CASES} == {"cli", "api", "file", "config"}
    assert {c.expect for c in CASES} == {"refuse", "accept"}


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_case(case, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls, detail = classify(case, tmp_path)
    assert cls == (REFUSE if case.expect == "refuse" else ACCEPT), detail
