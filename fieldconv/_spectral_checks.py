"""Checks for operators that act through a global Fourier transform.

A spectral operator mixes every sample into every output, so one NaN or inf
anywhere makes the whole result NaN; and a float32 field whose sum exceeds
the float32 range overflows inside the transform.  Both are caught for free
from the zero mode of the transform (``X[0, ..., 0]`` is the sum of the
field, not finite exactly when a sample is non-finite or the sum
overflows); the field itself is scanned only when that mode is bad, to say
which of the two happened.

Private leaf module: no fieldconv imports.
"""

import numpy as np

__all__ = ["check_not_empty", "check_transform_finite"]


def check_not_empty(field, name="field"):
    """``ValueError`` naming `name` if `field` has an axis of length 0."""
    shape = tuple(int(n) for n in field.shape)
    if any(n == 0 for n in shape):
        raise ValueError(f"{name} must not be empty; got shape {shape}")


def check_transform_finite(xp, field, X, name="field", *, axes=None):
    """Raise ``ValueError`` if the transform `X` of `field` is not finite at k = 0.

    Parameters
    ----------
    xp : module
        The array namespace of `field` and `X`.
    field : array
        The real-space input.
    X : array
        Its (r)fft over `axes`, FFT layout (zero mode first).
    name : str
        The parameter name for the message.
    axes : sequence of int, optional
        The transformed axes (default all): the zero modes checked are those
        of every line along the other axes, so no line escapes the check.

    Raises
    ------
    ValueError
        ``"{name} must be finite"`` if `field` holds NaN or inf (which a
        spectral operator would spread to every output), or
        ``"{name} overflows ..."`` if it is finite but its sum is not
        representable in the transform's precision.
    """
    axes = range(X.ndim) if axes is None else axes
    zero = tuple(0 if a in axes else slice(None) for a in range(X.ndim))
    if bool(xp.all(xp.isfinite(X[zero]))):
        return
    nbad = int(xp.sum(xp.astype(~xp.isfinite(field), xp.int64)))
    if nbad:
        raise ValueError(
            f"{name} must be finite; it contains {nbad} NaN/inf value(s), which a spectral operator "
            "would spread to every output (mask or fill them first)"
        )
    dt = str(field.dtype).rsplit(".", 1)[-1]
    raise ValueError(
        f"{name} overflows {dt} in the Fourier transform (its sum is not finite in {dt}); "
        f"rescale it or use float64 (largest {dt}: {np.finfo(dt).max:.3g})"
    )
