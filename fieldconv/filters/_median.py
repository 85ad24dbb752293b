"""The running median (despiking): a non-linear filter, so not a convolution."""

import numpy as np

from .._dtypes import native, result_dtype
from .._extension import extend_axis
from .._output import cast_output, check_out, output_dtype
from .._units import attach, strip
from .._validate import as_axes, as_origin, check_int, check_mode
from ..backend import get_backend

__all__ = ["median_filter"]


def _per_axis(value, n, name):
    """`value` (scalar or sequence) as a tuple of `n` entries, one per filtered axis."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return (value,) * n
    values = tuple(value)
    if len(values) != n:
        raise ValueError(f"{name} must be a single value or have one entry per filtered axis ({n}); got {value!r}")
    return values


def _footprint(size, footprint, naxes):
    """The boolean footprint over the filtered axes, from `size` or `footprint` (exactly one)."""
    if (size is None) == (footprint is None):
        raise ValueError(
            "median_filter needs exactly one of size and footprint; got "
            + ("neither" if size is None else f"both (size={size!r} and a footprint)")
        )
    if footprint is None:
        sizes = tuple(check_int("size", s, minimum=1) for s in _per_axis(size, naxes, "size"))
        return np.ones(sizes, dtype=bool)
    fp = np.asarray(footprint)
    if fp.dtype.kind not in "biuf":
        raise TypeError(f"footprint must be an array of booleans (or 0/1 numbers); got dtype {fp.dtype}")
    fp = fp.astype(bool)
    if fp.ndim != naxes:
        raise ValueError(f"footprint must have one dimension per filtered axis ({naxes}); got shape {fp.shape}")
    if not fp.any():
        raise ValueError(f"footprint must select at least one sample; got shape {fp.shape} with none set")
    return np.ascontiguousarray(fp)


def median_filter(field, size=None, *, footprint=None, mode="reflect", cval=0.0, origin=0, axes=None, output=None,
                  out=None, backend=None):
    """Running median over a box of `size` or a `footprint` (despiking).  Not a convolution.

    The median is non-linear: ``median(a + b) != median(a) + median(b)`` in
    general, so it has no kernel, no transfer function and no FFT method.
    It removes isolated spikes that a linear smoother would only spread.

    Parameters
    ----------
    field : array or Quantity, real
        Input field.
    size : int or tuple of int, optional
        Box size, one per filtered axis or one for all.  Give `size` or
        `footprint`, not both.
    footprint : array_like of bool, optional
        The samples of the window (True), one dimension per filtered axis;
        the box of `size` is ``np.ones(size, bool)``.
    mode : str or sequence of str, optional
        Boundary extension (default "reflect"): "reflect", "mirror",
        "nearest", "constant" or "wrap", or one mode per filtered axis.
    cval : float or Quantity, optional
        Value outside for ``mode="constant"`` (in the unit of `field`).
    origin : int or tuple of int, optional
        scipy.ndimage's shift of the window per filtered axis (default 0):
        the footprint element ``n // 2 + origin`` lands on the output point;
        ``-(n // 2) <= origin <= (n - 1) // 2``.
    axes : int or tuple of int, optional
        Axes to filter (default: all); `size`, `footprint`, `mode` and
        `origin` then have one entry per axis in `axes`, in that order.
    output : dtype, optional
        Result dtype (default: the dtype table, float64 for integer input).
        Integer outputs are exact for integer input; a value the dtype
        cannot hold raises ``ValueError``.
    out : array, optional
        Array of the result's shape and dtype to write into.
    backend : str or Backend, optional
        Any backend with the ``median_filter`` capability: the host backends
        (``scipy.ndimage.median_filter``) and CuPy
        (``cupyx.scipy.ndimage.median_filter``).

    Returns
    -------
    array, same shape as `field`
        The sample of rank ``n // 2`` (0-based) of the ``n`` samples of each
        window, as scipy.ndimage (for even ``n`` the upper median, no
        averaging); dtype per the dtype table (or `output`), same unit.

    Raises
    ------
    ValueError
        Bad `mode`, `size`, `origin` or `axes`; both or neither of `size`
        and `footprint`; a footprint of the wrong dimension or with no
        sample; an `output` that cannot hold the result.
    TypeError
        Complex or non-numeric `field`; a non-boolean `footprint`.
    NotImplementedError
        On a generic array-API backend (no median in the standard).

    Notes
    -----
    Integer fields are filtered in their own dtype (a median selects a
    sample, so this is exact even for int64 beyond 2**53) and then cast to
    the output dtype, unless a "constant" `cval` is not an integer.  With
    different modes per axis the field is first extended axis by axis by
    the half-widths of the window and the median is taken over the valid
    part.  NaN samples give undefined results (as in scipy.ndimage).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import median_filter
    >>> median_filter(np.array([1., 1., 9., 1., 1.]), 3)
    array([1., 1., 1., 1., 1.])
    >>> median_filter(np.array([[1., 9., 1.], [2., 2., 2.]]), footprint=[[True, True, True]], mode="nearest")
    array([[1., 1., 1.],
           [2., 2., 2.]])
    """
    field, unit = strip(field, "field")
    cval = strip(cval, "cval", unit)[0] if unit is not None else strip(cval, "cval")[0]
    be = get_backend(backend, like=field)
    field = be.asarray(field)
    dt = result_dtype(field.dtype, name="field")
    if field.ndim == 0:
        raise ValueError("field must have at least one dimension; got a 0-d array")
    ax = as_axes(axes, field.ndim)
    fp = _footprint(size, footprint, len(ax))
    modes = tuple(check_mode(m) for m in _per_axis(mode, len(ax), "mode"))
    org = as_origin(origin, fp.shape, offsets=True)  # tap indices n // 2 + origin
    cval = float(cval)
    odt = output_dtype(output, dt)
    out = check_out(be, getattr(out, "value", out), field.shape, odt)
    # full-rank footprint, taps and modes (size 1 / centre / any mode on the other axes)
    shape, taps, mode_of = [1] * field.ndim, [0] * field.ndim, ["reflect"] * field.ndim
    order = sorted(range(len(ax)), key=lambda k: ax[k])
    fp = np.transpose(fp, order)
    for k, a in enumerate(ax):
        shape[a], taps[a], mode_of[a] = fp.shape[order.index(k)], org[k], modes[k]
    fp = fp.reshape(shape)
    src = np.dtype(field.dtype) if hasattr(field.dtype, "kind") else dt
    keep = src.kind in "iu" and (all(m != "constant" for m in mode_of)
                                 or (np.isfinite(cval) and cval == int(cval) and np.iinfo(src).min <= cval <= np.iinfo(src).max))
    wdt = native(src) if keep else dt
    x = np.asarray(field, dtype=wdt) if be.on_host else be.xp.astype(field, be.dtype(wdt))
    if x.size == 0:
        res = be.empty(x.shape, odt)
    elif len(set(mode_of[a] for a in ax)) <= 1:
        offsets = tuple(t - n // 2 for t, n in zip(taps, shape))
        res = be.median_filter(x, footprint=fp, mode=mode_of[ax[0]], cval=cval, origin=offsets)
    else:  # one mode per axis: extend each axis by the window's half-widths, then take the valid part
        for a in ax:
            x = extend_axis(be.xp, x, a, taps[a], shape[a] - 1 - taps[a], mode_of[a], cval, device=be.device,
                            to_xp=lambda i: be.asarray(i, copy=True))
        y = be.median_filter(x, footprint=fp, mode="nearest", cval=cval, origin=0)
        res = y[tuple(slice(n // 2, n // 2 + m) for n, m in zip(shape, field.shape))]
    res = cast_output(be, res, odt if res.dtype != odt else None)
    if out is not None:
        out[...] = res
        res = out
    return attach(res, unit)
