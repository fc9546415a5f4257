"""A fits file grokcheck cannot read blocks ``fit`` only until the user says ``--overwrite``
(issue 26: "a fits.json corrupted with a bare NaN blocks fit/report even with --overwrite");
``--overwrite`` never reaches another file of the run set or a file it names by ``--out``
without the flag. Byte digests before and after."""
from __future__ import annotations

from comparison.cli import main
from tests.strict_json import strict_loads

from .fixtures import base_1d
from .harness import digest


def _corrupt(rs):
    main(["fit", str(rs)])
    f = rs / "fits.json"
    f.write_text(f.read_text().replace('"schema"', '"planted": NaN, "schema"', 1))
    return f


def test_unreadable_fits_needs_overwrite_then_is_replaced(tmp_path, capsys):
    rs = base_1d(tmp_path)
    f = _corrupt(rs)
    before = digest(f)
    assert main(["fit", str(rs)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unreadable" in err[0] and "--overwrite" in err[0]
    assert digest(f) == before                                  # refused: untouched
    assert main(["fit", str(rs), "--overwrite"]) == 0
    doc = strict_loads(f.read_text())                           # a strict, fresh fits file
    assert doc["schema"].startswith("grokcheck.fits") and "planted" not in doc
    assert main(["fit", str(rs)]) == 0                          # and it is ours now


def test_overwrite_never_reaches_a_run_set_file_or_an_unnamed_user_file(tmp_path, capsys):
    rs = base_1d(tmp_path)
    man = digest(rs / "manifest.json")
    assert main(["fit", str(rs), "--out", str(rs / "manifest.json"), "--overwrite"]) == 2
    assert digest(rs / "manifest.json") == man
    mine = tmp_path / "mine.json"
    mine.write_text('{"mine": 1}\n')
    kept = digest(mine)
    assert main(["fit", str(rs), "--out", str(mine)]) == 2      # not ours, no --overwrite
    assert digest(mine) == kept
    assert main(["fit", str(rs), "--out", str(mine), "--overwrite"]) == 0   # the user's explicit choice
    assert strict_loads(mine.read_text())["schema"].startswith("grokcheck.fits")
