"""Argument and batch checks of :mod:`fieldconv.nn`.

Each function checks one rule and raises the standard exception with a
message that names the parameter, the rule and the value received.  Batch
checks look only at shape, dtype and backend (no pass over the data) except
:func:`check_finite`, which the model-level entry points (training loop,
estimator, Grad-CAM) call once on their input.

Private module.
"""

import numpy as np

from .._grid import strip_wavenumber
from .._validate import check_int, check_real

__all__ = [
    "check_int",
    "check_real",
    "check_choice",
    "check_probability",
    "layer_backend",
    "dtype_name",
    "check_batch",
    "check_finite",
    "host_contiguous",
    "strip_wavenumber",
]


def check_choice(name, value, choices):
    """``ValueError`` unless `value` is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {opts}; got {value!r}")
    return value


def check_probability(name, value):
    """A probability in [0, 1)."""
    return check_real(name, value, minimum=0.0, maximum=1.0, strict_max=True)


def dtype_name(dtype):
    """``"float32"`` for any spelling of a dtype (NumPy, CuPy, array-API objects)."""
    try:
        return np.dtype(dtype).name
    except TypeError:
        return str(dtype).rsplit(".", 1)[-1]


def layer_backend(backend, dtype):
    """Resolve a layer's (backend, NumPy dtype): float32 or float64 only."""
    from ..backend import get_backend

    be = get_backend(backend)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64; got {dt.name}")
    return be, dt


def check_batch(layer, x, *, ndim=(3,), channels=None, name="x"):
    """`x` as an array of the layer's backend with the layer's dtype and shape rules.

    Raises ``HostDeviceCopyError`` for an array of another device (never a
    hidden copy), ``TypeError`` for another dtype, ``ValueError`` for a wrong
    number of dimensions or channels.
    """
    be = layer.backend
    x = be.asarray(x)
    if x.ndim not in ndim:
        want = " or ".join(str(n) for n in ndim)
        shape = "(batch, channels, length)" if ndim == (3,) else "(batch, features)" if ndim == (2,) else "batch"
        raise ValueError(f"{name} must be {want}-D {shape}; got shape {tuple(x.shape)}")
    got = dtype_name(x.dtype)
    if got != layer.dtype.name:
        raise TypeError(
            f"{name} must have the layer's dtype {layer.dtype.name}; got {got} "
            f"(cast the input, or build the layer with dtype={got!r})"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channels (axis 1) for {type(layer).__name__}; got {x.shape[1]}")
    return x


def host_contiguous(*arrays):
    """True if every array is a C-contiguous NumPy array (the compiled host kernels' input)."""
    return all(type(a) is np.ndarray and a.flags.c_contiguous for a in arrays)


def check_finite(be, x, name="X"):
    """``ValueError`` if `x` holds NaN or infinity (one pass over the data)."""
    xp = be.xp
    bad = xp.logical_not(xp.isfinite(x))
    if bool(xp.any(bad)):
        n = int(xp.sum(xp.astype(bad, xp.int64)))
        raise ValueError(f"{name} must be finite; got {n} NaN or infinite values")
    return x
