"""Array backend of the estimator simulator: numpy (default) or torch on a named device (imported lazily).

Random draws are always made with numpy from the explicit seed and then moved to the backend,
so a run is the same draw on every backend; only the linear algebra runs on the device.

Examples
--------
>>> bk = get_backend(None)
>>> bk.name, float(bk.to_numpy(bk.asarray([1.0, 2.0])).sum())
('numpy', 3.0)
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Backend", "get_backend"]


class Backend:
    """The few operations the simulator needs, on numpy or on a torch device (float64 throughout)."""

    def __init__(self, device: str | None) -> None:
        self.device = device
        if device is None or device == "numpy":
            self.name, self.xp, self._torch = "numpy", np, None
            return
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - torch is a dependency
            raise ValueError(f"device={device!r} needs torch, which cannot be imported") from exc
        try:
            self._dev = torch.device(device)
            torch.zeros(1, device=self._dev)
        except (RuntimeError, TypeError, ValueError, AssertionError):
            raise ValueError(f"device must be None (numpy) or a usable torch device such as 'cpu' or "
                             f"'cuda:0', got {device!r}") from None
        self.name, self.xp, self._torch = "torch", torch, torch

    def asarray(self, a: Any) -> Any:
        """``a`` as a float64 array of this backend."""
        if self._torch is None:
            return np.asarray(a, dtype=float)
        return self._torch.as_tensor(np.asarray(a, dtype=float), dtype=self._torch.float64, device=self._dev)

    def to_numpy(self, a: Any) -> np.ndarray:
        """A numpy copy (or view) of ``a``."""
        if self._torch is None:
            return np.asarray(a)
        return a.detach().cpu().numpy()

    def eigh(self, a: Any) -> tuple[Any, Any]:
        """Batched symmetric eigendecomposition (ascending eigenvalues, eigenvectors in columns)."""
        return self.xp.linalg.eigh(a)

    def swap(self, a: Any) -> Any:
        """Transpose of the last two axes."""
        return self.xp.swapaxes(a, -1, -2)


def get_backend(device: str | None) -> Backend:
    """``Backend(device)``: ``None`` or ``'numpy'`` for numpy, else a torch device name."""
    return Backend(device)
