"""User theories in the pipeline: resolving ``--theory`` references and one-off predictions.

``FILE.py``, ``FILE.py:NAME`` and ``package.module:NAME`` name a theory (see
:mod:`comparison.registry.user`); a registered theory is named by its name. The
fingerprint of a file (its sha256) goes into ``fit_options``, so that a fits file made
with another version of the theory is stale.

>>> theory_predictions("eq50", {}, {"d_eff": 3.0, "xi": 0.25})[2][0]["value"]
1.75
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..registry import TheorySpec, all_theories, get_theory, load_theory, run_theory

__all__ = ["resolve_theories", "theory_fingerprints", "theory_predictions", "preflight"]


def resolve_theories(refs: Sequence[str]) -> list[TheorySpec]:
    """The theories named by ``refs`` (registered names, files, modules); names must be distinct."""
    specs = [get_theory(r) or load_theory(r) for r in refs]
    names = [s.name for s in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"--theory: two theories are called {dup[0]!r}; give each a distinct 'name'")
    return specs


def preflight(specs: Sequence[TheorySpec], config: Mapping[str, Any]) -> None:
    """Run each user theory that needs no measured input on the run set's config once, before any
    fitting: a malformed answer (NaN, a string, an unknown quantity) is refused at once."""
    from ..registry import run_keys

    keys = run_keys(config)
    for spec in specs:
        if not spec.builtin and not spec.inputs and spec.applies(*keys):
            run_theory(spec, config, {})


def theory_fingerprints(refs: Sequence[str]) -> list[dict[str, str]]:
    """One record per reference: the reference and, for a file, the sha256 of its bytes."""
    out = []
    for r in refs:
        path = Path(r.rsplit(":", 1)[0] if r.rsplit(":", 1)[0].endswith(".py") else r)
        rec = {"ref": str(r)}
        if path.suffix == ".py" and path.is_file():
            rec["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        out.append(rec)
    return out


def theory_predictions(ref: str, config: Mapping[str, Any],
                       measured: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """``grokcheck theory``: the predictions of one theory at a setting (the theory's
    ``example_config`` completed by ``config``), refusing a missing measured input; returns
    (name, the config used, predictions)."""
    spec = get_theory(ref)
    if spec is None and not (ref.endswith(".py") or ":" in ref):
        names = ", ".join(t.name for t in all_theories())
        raise ConfigError(f"unknown theory {ref!r}; use one of {names}, FILE.py or package.module:NAME")
    spec = spec or load_theory(ref)
    missing = [i for i in spec.inputs if i not in measured]
    if missing:
        flags = ", ".join("--" + i.replace("_", "-") for i in missing)
        raise ConfigError(f"theory {spec.name} needs the measured input(s) {', '.join(missing)} ({flags}): a "
                          "prediction is never made with a missing input")
    used = {**spec.example_config, **config}
    return spec.name, used, [p.as_dict() for p in run_theory(spec, used, measured)]
