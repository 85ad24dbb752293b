"""The one output helper: checks a caller's ``out=`` array and casts to ``output=`` dtypes.

Every operator that accepts ``out=`` validates it here (shape, dtype,
backend, layout) with the same messages, and every operator that accepts an
``output=`` dtype casts through :func:`cast_output`: floats are cast,
integers are rounded half to even and refused (never wrapped) when they do
not fit.  After scipy.ndimage's ``_ni_support._get_output``.

Private leaf module.
"""

import numpy as np

from ._dtypes import np_dtype

__all__ = ["check_out", "cast_output"]


def check_out(be, out, shape, dtype, *, name="out", contiguous=False, distinct_from=None):
    """Validate a caller's `out` for a result of `shape` and `dtype` on backend `be`; returns it.

    Raises ``TypeError`` for an array of another backend and ``ValueError``
    for a wrong shape, dtype or (with `contiguous`) layout, or (with
    `distinct_from`) an `out` that shares memory with that input.
    """
    if out is None:
        return None
    dtype = np.dtype(dtype)
    if be.on_host and not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array on the {be.name!r} backend; got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {tuple(out.shape)}")
    if np_dtype(out.dtype) != dtype:
        raise ValueError(f"{name} must have dtype {dtype.name} (the result dtype); got {np_dtype(out.dtype).name}")
    if be.on_host:
        if contiguous and not out.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
        if not out.flags.writeable:
            raise ValueError(f"{name} must be writeable")
        if distinct_from is not None and np.shares_memory(out, distinct_from):
            raise ValueError(f"{name} must not overlap the input field")
    return out


def cast_output(be, res, output, name="output"):
    """Cast the float result `res` to the requested `output` dtype (None: unchanged).

    Integer dtypes round half to even and raise ``ValueError`` on NaN/inf or
    values outside the dtype's range (no wrap-around); complex or
    non-numeric dtypes raise ``TypeError``.
    """
    if output is None:
        return res
    try:
        odt = np.dtype(output)
    except TypeError:
        raise TypeError(f"{name} must be a dtype; got {output!r}") from None
    xp = be.xp
    if odt.kind == "f":
        return res.astype(odt, copy=False) if be.on_host else xp.astype(res, be.dtype(odt))
    if odt.kind not in "iu":
        raise TypeError(f"{name} must be a real float or integer dtype; got {odt}")
    r = xp.round(res)  # round half to even (np.rint / array-API round)
    info = np.iinfo(odt)
    nbad = int(xp.sum(xp.astype(~xp.isfinite(r), be.dtype(np.int64))))
    if nbad:
        raise ValueError(f"output dtype {odt} cannot hold the {nbad} NaN/inf value(s) of the result")
    lo, hi = float(xp.min(r)), float(xp.max(r))
    if lo < info.min or hi > info.max:
        raise ValueError(
            f"output dtype {odt} cannot hold the result: values span [{lo:g}, {hi:g}], outside "
            f"[{info.min}, {info.max}] (no wrap-around: pick a wider output dtype or rescale)"
        )
    return xp.astype(r, be.dtype(odt))
