"""The ``grokcheck`` command line (also ``python -m comparison``): a thin face on the pipeline.

    grokcheck theory ball --D 10 --N 10 --eps 1.01 --lam2 0.1 [--json]
    grokcheck simulate perceptron-ball --D 5 --N 10 --eps 2 --lam2 0.01 --out runs/ball
    grokcheck fit runs/ball            (or an external table: runs.csv / runs.parquet)
    grokcheck fit runs/ball --theory my_theory.py   (a user's theory judged beside the built-ins)
    grokcheck report runs/ball runs/exp --out report/
    grokcheck demo [--out grokcheck-demo]
    grokcheck sweep sweep.toml --out sweeps/a [--scheduler tcp://host:8786] [--workers N]

Only the standard library is imported at module level, so ``grokcheck --help``
is fast; numpy/pandas/scipy/torch are imported by the subcommand that needs them.
Errors are one line on stderr (``grokcheck: error: ...``) and exit code 2.

>>> main(["theory", "eq50", "--d-eff", "3", "--xi", "0.25"])  # doctest: +NORMALIZE_WHITESPACE
theory eq50
  nu  1.75  [Eq. 50 with D -> d_eff: (D_eff+1)/2 - xi, D_eff = 3 ± 0 (d_eff), ξ = 0.25 ± 0]
0
"""
from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import GrokcheckError
from .commands import COMMANDS
from .parser import build_parser
from .warning_hook import shown_warnings

__all__ = ["main", "build_parser"]


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` as one terminal-safe line (names from data are escaped)."""
    from ..safe_text import terminal_safe

    if isinstance(exc, OSError) and exc.strerror:
        msg = _os_message(exc)
    else:
        msg = str(exc).strip().replace("\n", " ") or exc.__class__.__name__
    if len(msg) > _MAX_MESSAGE:   # a message listing 200 000 entries is not one line to read
        msg = f"{msg[:_MAX_MESSAGE]}… ({len(msg) - _MAX_MESSAGE:,} more characters)".replace(",", " ")
    return terminal_safe(msg, keep="")


_MAX_MESSAGE = 2000


def _os_message(exc: OSError) -> str:
    """An operating-system error as "PATH: cause (ENAME)", never a raw ``[Errno N]``."""
    import errno

    paths = [os.fsdecode(p) for p in (exc.filename, exc.filename2) if p is not None]
    name = errno.errorcode.get(exc.errno or -1)
    cause = f"{exc.strerror}" + (f" ({name})" if name else "")
    return f"{' -> '.join(repr(p) for p in paths)}: {cause}" if paths else f"{cause} (the system named no path)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``grokcheck`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    with shown_warnings() as held:   # every warning terminal-safe; numerical ones held
        code = _run(args, held)
    return code


def _run(args, held) -> int:
    """Run the chosen command; a refusal drops the held numerical warnings (one line only)."""
    try:
        from ..threads import set_threads

        set_threads(args.threads)   # once, before any command loads torch or starts BLAS work
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `grokcheck theory ball | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        held.discard()
        print("grokcheck: interrupted (nothing half-written was left behind)", file=sys.stderr)
        return 130
    except (GrokcheckError, ValueError, OSError) as exc:
        if args.traceback:
            raise
        held.discard()
        print(f"grokcheck: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # unexpected: still one line, but say it is internal
        if args.traceback:
            raise
        held.discard()
        print(f"grokcheck: internal error: {exc.__class__.__name__}: {_one_line(exc)} "
              "(rerun with --traceback for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
