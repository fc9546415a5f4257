"""The scikit-learn estimator contract, without scikit-learn.

:class:`ParamsMixin` gives ``get_params`` / ``set_params`` and a readable repr
from the ``__init__`` signature, exactly as ``sklearn.base.BaseEstimator``
does: every ``__init__`` argument is stored unchanged as an attribute of the
same name, so ``sklearn.base.clone(est)`` (``type(est)(**est.get_params())``)
rebuilds an unfitted copy.
"""
from __future__ import annotations

import inspect
from typing import Any

__all__ = ["ParamsMixin"]


class ParamsMixin:
    """``get_params`` / ``set_params`` / ``__repr__`` from the ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments (``deep`` is accepted for compatibility; no nesting here)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> "ParamsMixin":
        """Set constructor arguments; unknown names raise ``ValueError``. Returns self."""
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"invalid parameter {k!r} for {type(self).__name__}; valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        changed = []
        for name in self._param_names():
            default = sig.parameters[name].default
            val = getattr(self, name)
            try:
                same = bool(val == default)
            except Exception:
                same = val is default
            if not same:
                changed.append(f"{name}={val!r}")
        return f"{type(self).__name__}({', '.join(changed)})"
