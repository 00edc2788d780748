"""One resolver for the compute backend of every kernel.

Precedence (as dask's scheduler resolution): the explicit ``backend=`` argument, then the
``VICTWIN_BACKEND`` environment variable, then ``"auto"``. ``"auto"`` picks ``"cuda"`` only
when numba can use a CUDA device and CuPy imports; otherwise ``"cpu"``. Asking for ``"cuda"``
where it is unusable raises a one-line ``RuntimeError`` that names what is missing.
"""

from __future__ import annotations

import enum
import functools
import logging
import os

__all__ = ["Backend", "resolve_backend", "cuda_status", "get_cupy"]

_log = logging.getLogger("victwin")


class Backend(str, enum.Enum):
    """Where a kernel runs."""

    CPU = "cpu"
    CUDA = "cuda"
    AUTO = "auto"


def _coerce(value) -> Backend:
    try:
        return Backend(str(getattr(value, "value", value)).lower())
    except ValueError:
        valid = ", ".join(repr(b.value) for b in Backend)
        raise ValueError(f"backend must be one of {valid}, got {value!r}") from None


@functools.lru_cache(maxsize=1)
def cuda_status() -> tuple[bool, str]:
    """Return ``(usable, reason)`` for the CUDA backend; ``reason`` says what is missing."""
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba is a hard dependency
        return False, f"numba.cuda does not import ({exc})"
    if not simulated:
        try:
            if not cuda.is_available():
                return False, "no usable CUDA device or driver (numba.cuda.is_available() is False)"
        except Exception as exc:  # pragma: no cover - depends on the driver
            return False, f"CUDA driver error ({exc})"
    try:
        import cupy  # noqa: F401
    except Exception:
        if simulated:
            return True, "numba CUDA simulator (NumPy arrays stand in for CuPy)"
        return False, "CuPy is not installed (pip install 'victwin[gpu]')"
    return True, "CUDA device" if not simulated else "numba CUDA simulator"


def resolve_backend(backend=None) -> str:
    """Resolve a backend request to ``"cpu"`` or ``"cuda"``.

    Parameters
    ----------
    backend : {"cpu", "cuda", "auto"} or Backend or None
        ``None`` reads ``VICTWIN_BACKEND`` (default ``"auto"``).
    """
    if backend is None:
        backend = os.environ.get("VICTWIN_BACKEND", "auto")
    choice = _coerce(backend)
    if choice is Backend.CPU:
        return "cpu"
    usable, reason = cuda_status()
    if choice is Backend.CUDA:
        if not usable:
            raise RuntimeError(f"backend 'cuda' is not usable here: {reason}")
        return "cuda"
    picked = "cuda" if usable else "cpu"
    _log.info("backend auto -> %s (%s)", picked, reason)
    return picked


def get_cupy():
    """Import CuPy lazily; ``None`` when it is absent or under the CUDA simulator."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1":
        return None
    try:
        import cupy
    except Exception:
        return None
    return cupy
