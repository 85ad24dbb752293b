"""The 1-D primitive: ``correlate1d`` / ``convolve1d`` (scipy.ndimage semantics).

Host backends run a compiled FIR (:mod:`._compiled`) in parallel over
(line, tile) pairs; other backends sum shifted slices of the padded field.
Every n-D method that works axis by axis (separable kernels, 1-D kernels
of the n-D engine) calls :func:`correlate1d`.
"""

import math

import numpy as np

from .._dtypes import complex_dtype, result_dtype
from .._output import cast_output, check_out, output_dtype
from .._units import attach, product, strip
from .._validate import as_axes, as_origin
from ..backend import get_backend
from ..kernels import as_kernel
from ._boundary import check_mode, extension_index, pad_axis_xp, source_index
from ._parts import check_cval, combine, complex_weights, field_parts, kernel_parts

__all__ = ["correlate1d", "convolve1d", "symmetry"]


def _weights1d(weights, name="weights"):
    """(1-D weights, float64 or complex128, their unit): the one weight validator, through Kernel."""
    cw = complex_weights(weights, name)
    if cw is not None:
        w, unit = cw
    else:
        K = as_kernel(weights, argname=name)
        w, unit = np.array(K.weights), K.unit
    if w.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {w.shape}")
    return w, unit


def _compiled():
    from . import _compiled

    return _compiled


#: Bytes of the accumulator of one tile of a long line (with the tile's input,
#: it stays in a 48 KiB L1 data cache): 2048 float64 or 4096 float32 outputs.
_TILE_BYTES = 16384


def symmetry(w):
    """+1 if `w` is exactly symmetric, -1 if exactly antisymmetric, else 0."""
    r = w[::-1]
    if np.array_equal(w, r):
        return 1
    if np.array_equal(w, -r):
        return -1
    return 0



def _corr1d_host(be, x, w, axis, off, mode, cval, dst):
    """Host correlation of contiguous `x` (working dtype) along `axis` into `dst`.

    Along the last axis: the interior outputs (window inside the line) are
    summed straight from `x` in L1-sized tiles spread over the threads with
    the lines; the < K edge outputs at each end come from small gathered
    slabs of the boundary extension.  Along another axis: whole contiguous
    rows are combined.  Exactly (anti)symmetric weights are folded.
    """
    n = x.shape[axis]
    K = w.shape[0]
    a = math.prod(x.shape[:axis])
    b = math.prod(x.shape[axis + 1 :])
    wt = w.astype(x.dtype)
    sym = symmetry(wt)
    c = x.dtype.type(cval)
    work = x.size * K
    tile = _TILE_BYTES // x.dtype.itemsize
    src = x.view()
    src.flags.writeable = False  # one (read-only) specialisation whatever the caller passed
    if b == 1:
        hi = n - K + 1 + off
        if hi > off:  # interior [off, hi), right edge [hi, n)
            nlo, hi0 = off, hi
        else:  # kernel longer than the line: every output is an edge output
            nlo, hi0 = n, n
        idx_lo = source_index(np.arange(-off, nlo + K - 1 - off, dtype=np.int64), n, mode) if nlo else _NO_IDX
        idx_hi = source_index(np.arange(hi0 - off, n + K - 1 - off, dtype=np.int64), n, mode) if hi0 < n else _NO_IDX
        with be.kernel_threads(work):
            _compiled().corr1d_last(src.reshape(a, n), wt, sym, off, nlo, hi0, idx_lo, idx_hi, c, tile, dst.reshape(a, n))
    else:
        idx = extension_index(n, off, K - 1 - off, mode)
        with be.kernel_threads(work):
            _compiled().corr1d_strided(src.reshape(a, n, b), wt, sym, idx, c, tile, dst.reshape(a, n, b))
    return dst


_NO_IDX = np.empty(0, dtype=np.int64)


def _slice_axis(ndim, axis, start, length):
    sl = [slice(None)] * ndim
    sl[axis] = slice(start, start + length)
    return tuple(sl)


def _corr1d_xp(be, x, w, axis, off, mode, cval):
    """Generic correlation: sum of shifted slices of the padded array."""
    n = x.shape[axis]
    K = w.shape[0]
    p = pad_axis_xp(be, x, axis, off, K - 1 - off, mode, cval)
    acc = None
    for j in range(K):
        term = p[_slice_axis(x.ndim, axis, j, n)] * float(w[j])
        acc = term if acc is None else acc + term
    return acc



def correlate1d(field, weights, axis=-1, *, mode="reflect", cval=0.0, origin=0, output=None, out=None,
                backend=None):
    """One-dimensional correlation along `axis` (scipy.ndimage.correlate1d semantics).

    Parameters
    ----------
    field : array or Quantity, real or complex, any shape
        Input field (NumPy array on host backends, or an array of the backend).
    weights : array_like of float or complex, shape (K,), or 1-D Kernel
        Correlation weights (finite); a Kernel or Quantity may carry a unit.
        Complex weights are conjugated (``numpy.correlate``'s and
        scipy.ndimage's convention).
    axis : int, optional
        Axis along which to correlate (default: the last).
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension (default "reflect"), see the module docstring.
    cval : float or complex, optional
        Value outside the field for ``mode="constant"`` (default 0.0); complex
        only for a complex field.
    origin : int, optional
        Shift of the kernel as in scipy.ndimage (default 0): the tap
        ``K // 2 + origin`` lands on the output point; must lie in
        ``[-(K // 2), (K - 1) // 2]``.
    output : dtype, optional
        Result dtype (default: the dtype table).  Integer dtypes round half
        to even; a value the dtype cannot hold (integer overflow, NaN in an
        integer, a finite value beyond float16's range) raises.
    out : array, optional
        Array of the result's shape and dtype to write into.
    backend : str or Backend, optional
        Backend (default: resolved from `field`).

    Returns
    -------
    array, same shape as `field`
        ``out[i] = sum_j w[j] * f[i + j - K//2 - origin]`` along `axis`,
        float32 for float32/float16 input, float64 for float64 and integer
        input, complex64/complex128 for complex64/complex128 input or a
        complex kernel (precision of the field), or `output`; on the
        field's backend; unit ``field.unit * weights.unit`` when either has
        one.

    Raises
    ------
    ValueError
        Bad `mode`, `origin`, `weights` (empty, not 1-D, NaN/inf) or `out`;
        a complex `cval` for a real field; an `output` that cannot hold the
        result.
    TypeError
        Non-numeric `field` or `weights`; a real `output` for a complex
        result.

    Notes
    -----
    On host backends a compiled FIR runs in parallel over (line, tile)
    pairs (L1-sized tiles, so one long line uses every thread); interior
    outputs are summed straight from the field and only the ``< K`` edge
    outputs at each end from a small gathered slab of the extension.  For an
    `axis` that is not the last, whole contiguous rows are combined at once
    (``out[.., i, :] = sum_j w[j] * f[.., idx(i + j), :]``), so no strided
    line is ever gathered.  Exactly symmetric (antisymmetric) weights are
    folded, ``w[j] * (f[i + j] +- f[i + K - 1 - j])``: half the multiplies,
    fewer terms (same bound).  Sums are accumulated in the working dtype:
    for float32 the error is at most ``K * eps32 * sum_j |w_j| |f|``
    (``eps32 = 2**-24``), about ``K`` ulps of the output scale, and the
    weights are rounded to float32 first (part of the same bound).
    Other backends use array-API code: a sum of shifted slices of the
    padded field.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import correlate1d
    >>> correlate1d(np.array([0., 0., 1., 0., 0.]), [1., 2., 3.])
    array([0., 3., 2., 1., 0.])
    >>> correlate1d(np.array([1., 2., 3.]), [1., 1., 1.], mode="wrap")
    array([6., 6., 6.])
    """
    return _correlate1d(field, weights, axis, mode=mode, cval=cval, origin=origin, output=output, out=out,
                        backend=backend, conj=True)


def _correlate1d(field, weights, axis, *, mode, cval, origin, output, out, backend, conj):
    field, funit = strip(field, "field")
    be = get_backend(backend, like=field)
    mode = check_mode(mode)
    w, wunit = _weights1d(weights)
    if conj and np.iscomplexobj(w):
        w = np.conj(w)
    K = w.shape[0]
    off = as_origin(origin, (K,), offsets=True)[0]
    field = be.asarray(field)
    fdt = result_dtype(field.dtype, name="field", allow_complex=True)
    dt = complex_dtype(fdt) if np.iscomplexobj(w) else fdt
    cval = check_cval(cval, fdt.kind == "c")
    if field.ndim == 0:
        raise ValueError("field must have at least one dimension; got a 0-d array")
    ax = as_axes(axis, field.ndim, name="axis")[0]
    odt = output_dtype(output, dt)
    out = check_out(be, getattr(out, "value", out), field.shape, odt)
    unit = product(funit, wunit)
    x = np.ascontiguousarray(field, dtype=fdt) if be.on_host else be.xp.astype(field, be.dtype(fdt))
    if x.size == 0:
        res = be.empty(x.shape, odt)
    elif dt.kind == "f" and be.on_host:
        direct = out is not None and odt == dt and out.flags.c_contiguous and not np.shares_memory(out, x)
        res = _corr1d_host(be, x, w, ax, off, mode, cval, out if direct else be.empty(x.shape, dt))
    elif dt.kind == "f":
        res = _corr1d_xp(be, x, w, ax, off, mode, cval)
    else:  # complex field or weights: real passes on the real parts
        terms = []
        for fi, xp_, cv in field_parts(be, x, cval):
            for ki, wp in kernel_parts(w):
                y = (_corr1d_host(be, xp_, wp, ax, off, mode, cv, be.empty(x.shape, xp_.dtype)) if be.on_host
                     else _corr1d_xp(be, xp_, wp, ax, off, mode, cv))
                terms.append((fi, ki, y))
        res = combine(be, terms, dt)
    res = cast_output(be, res, output)
    if out is not None and res is not out:
        out[...] = res
        res = out
    return attach(res, unit)


def convolve1d(field, weights, axis=-1, *, mode="reflect", cval=0.0, origin=0, output=None, out=None,
               backend=None):
    """One-dimensional convolution along `axis` (scipy.ndimage.convolve1d semantics).

    Parameters and returns as :func:`correlate1d`; the result is
    ``out[i] = sum_j w[j] * f[i - j + K//2 + origin]`` along `axis`
    (the correlation with the reversed weights, ``origin`` negated, and an
    even-length kernel shifted by one sample exactly as scipy.ndimage does).
    Complex weights are not conjugated.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import convolve1d
    >>> convolve1d(np.array([0., 0., 1., 0., 0.]), [1., 2., 3.])
    array([0., 1., 2., 3., 0.])
    """
    w, wunit = _weights1d(weights)
    K = w.shape[0]
    origin = as_origin(origin, (K,), offsets=True)[0] - K // 2
    origin = -origin
    if K % 2 == 0:
        origin -= 1
    if wunit is not None:
        import astropy.units as u

        w = u.Quantity(w, wunit)
    return _correlate1d(field, w[::-1], axis, mode=mode, cval=cval, origin=origin, output=output, out=out,
                        backend=backend, conj=False)

