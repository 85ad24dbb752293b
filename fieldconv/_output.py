"""The one output helper: checks a caller's ``out=`` array and casts to ``output=`` dtypes.

Every operator that accepts ``out=`` validates it here (shape, dtype,
backend, layout) with the same messages, and every operator that accepts an
``output=`` dtype casts through :func:`cast_output` with one rule for every
dtype: a value the output dtype cannot hold raises ``ValueError`` (integers
are rounded half to even; an integer never wraps around, a finite value
never overflows to inf in a narrower float such as float16).  NaN and inf
results stay NaN and inf in a float output.  After scipy.ndimage's
``_ni_support._get_output``.

Private leaf module.
"""

import numpy as np

from ._dtypes import np_dtype

__all__ = ["check_out", "cast_output", "output_dtype"]


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


def output_dtype(output, result, name="output"):
    """The dtype an ``output=`` request gives for a result of dtype `result` (None: `result`).

    Float, integer and (for any result) complex dtypes are accepted; a real
    dtype for a complex result, or a bool/non-numeric dtype, raises
    ``TypeError``.  A byte-swapped dtype gives its native counterpart.

    Examples
    --------
    >>> output_dtype(np.int16, np.dtype(np.float64))
    dtype('int16')
    >>> output_dtype(None, np.dtype(np.complex64))
    dtype('complex64')
    """
    if output is None:
        return np.dtype(result)
    try:
        odt = np.dtype(output)
    except TypeError:
        raise TypeError(f"{name} must be a dtype; got {output!r}") from None
    if not odt.isnative:
        odt = odt.newbyteorder("=")
    if odt.kind not in "fiuc":
        raise TypeError(f"{name} must be a float, integer or complex dtype; got {odt}")
    if np.dtype(result).kind == "c" and odt.kind != "c":
        raise TypeError(f"{name} must be a complex dtype for a complex result (complex field or kernel); got {odt}")
    return odt


def cast_output(be, res, output, name="output"):
    """Cast the result `res` to the requested `output` dtype (None: unchanged).

    One rule for every dtype: a value that the output dtype cannot hold
    raises ``ValueError``.  Integer dtypes round half to even and refuse
    NaN/inf and values outside their range (no wrap-around); a narrower
    float (float16, float32 from float64, complex64) refuses finite values
    that would overflow to inf (NaN and inf stay as they are).  A real
    dtype for a complex result, or a bool/non-numeric dtype, raises
    ``TypeError``.
    """
    if output is None:
        return res
    odt = output_dtype(output, np_dtype(res.dtype), name)
    xp = be.xp
    if odt.kind in "fc":
        if be.on_host:
            with np.errstate(over="ignore"):  # overflow is detected below and raised
                r = res.astype(odt, copy=False)
        else:
            r = xp.astype(res, be.dtype(odt))
        if odt.itemsize < np_dtype(res.dtype).itemsize:  # narrowing: overflow to inf is data loss
            nover = int(xp.sum(xp.astype(xp.isinf(r) & ~xp.isinf(res), be.dtype(np.int64))))
            if nover:
                big = xp.where(xp.isfinite(res), xp.abs(res), xp.zeros_like(xp.abs(res)))
                top = np.finfo(odt).max
                raise ValueError(
                    f"output dtype {odt} cannot hold the result: {nover} finite value(s) up to {float(xp.max(big)):g} "
                    f"exceed its largest value {float(top):g} (no overflow to inf: pick a wider output dtype or rescale)"
                )
        return r
    if np_dtype(res.dtype).kind == "c":  # pragma: no cover - refused by output_dtype
        raise TypeError(f"{name} must be a complex dtype for a complex result; got {odt}")
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
