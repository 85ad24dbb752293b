"""The n-D engine: prepare -> choose -> execute, with NaN policies, units and output dtypes.

:func:`convolve` and :func:`correlate` resolve the kernel's geometry on the
field's axes (:func:`_prepare`), pick a method (:func:`_choose`, by the
cost model of :mod:`._cost`), and run it (:func:`_execute`, with the
normalised-convolution NaN interpolation around it).
"""

import math

import numpy as np

from .._deprecate import renamed
from .._dtypes import complex_dtype, np_dtype, real_dtype, result_dtype
from .._output import cast_output, check_out, output_dtype
from .._separable import peel_rank1
from .._units import attach, product, strip
from .._validate import as_axes, as_origin, check_choice
from ..backend import get_backend
from ..kernels import as_kernel
from . import _cost
from ._boundary import check_mode
from ._methods import run_method, separable
from ._nonfinite import count_nonfinite
from ._parts import check_cval, combine, complex_weights, field_parts, is_complex, kernel_parts

__all__ = ["convolve", "correlate", "METHODS", "NAN_POLICIES"]

#: Methods of :func:`convolve` / :func:`correlate`.
METHODS = ("auto", "direct", "separable", "fft", "overlap-add")
#: What to do with NaN in the field.
NAN_POLICIES = ("propagate", "interpolate", "raise")
_EPS = float(np.finfo(np.float64).eps)


def _compiled():
    from . import _compiled

    return _compiled


# ------------------------------------------------------------------ geometry
def _resolve_geometry(field_ndim, w, korigin, origin, axes):
    """Full-rank weights (one axis per field axis) and the taps ``c`` landing on the output point.

    `w` are the kernel's weights, `korigin` its own origin (tap indices).
    Returns ``(W, c)`` with ``correlate(f)[i] = sum_j W[j] f[i + j - c]``
    in the *convolution-sense* layout (the caller flips for convolution).
    """
    kdim = w.ndim
    if axes is None:
        if kdim > field_ndim:
            raise ValueError(
                f"kernel must not have more dimensions than field: kernel.ndim={kdim}, field.ndim={field_ndim}"
            )
        if kdim < field_ndim:
            raise ValueError(
                f"kernel has {kdim} dimension(s) but field has {field_ndim}: pass axes= to choose "
                f"the {kdim} field axes the kernel acts on"
            )
        ax = tuple(range(field_ndim))
    else:
        ax = as_axes(axes, field_ndim)
        if len(ax) != kdim:
            raise ValueError(f"axes must have one entry per kernel dimension ({kdim}); got {tuple(np.atleast_1d(axes))}")
    c = as_origin(origin, w.shape, offsets=True, default=korigin)
    full_shape = [1] * field_ndim
    full_c = [0] * field_ndim
    for k, a in enumerate(ax):
        full_shape[a] = w.shape[k]
        full_c[a] = c[k]
    order = sorted(range(kdim), key=lambda k: ax[k])
    W = np.transpose(w, order).reshape(full_shape)
    return np.ascontiguousarray(W), tuple(full_c)


def _factor_groups(W, kernel, flip):
    """Separable factorisation of `W` (full rank): list of ``(axes, weights)``.

    Uses ``kernel.separable_factors()`` for a :class:`Kernel` acting on every
    field axis in order (checked against `W` to round-off); otherwise peels
    rank-1 axes off `W` (:func:`fieldconv._separable.peel_rank1`, which also
    finds partial, e.g. spatial-spectral, separability).
    """
    tol = 1e3 * _EPS * math.sqrt(W.size)
    factors = kernel.separable_factors() if kernel is not None else None
    if factors is not None and len(factors) == W.ndim:
        fs = [np.asarray(f, dtype=np.float64).reshape(-1) for f in factors]
        if flip:
            fs = [f[::-1] for f in fs]
        if all(f.size == n for f, n in zip(fs, W.shape)):
            prod = fs[0]
            for f in fs[1:]:
                prod = np.multiply.outer(prod, f)
            scale = float(np.abs(W).max())
            if np.abs(prod - W).max() <= tol * max(scale, 1e-300):
                groups = []
                for a, f in enumerate(fs):
                    if f.size == 1 and len(fs) > 1:
                        continue
                    shp = [1] * W.ndim
                    shp[a] = f.size
                    groups.append(((a,), f.reshape(shp)))
                # size-1 factors carry a scale: fold it into the first group
                s1 = math.prod(float(f[0]) for f in fs if f.size == 1)
                if groups and s1 != 1.0:
                    groups[0] = (groups[0][0], groups[0][1] * s1)
                if groups:
                    return groups
    split, rest = peel_rank1(W, rtol=tol)
    groups = []
    for a, f in sorted(split.items()):
        shp = [1] * W.ndim
        shp[a] = f.size
        groups.append(((a,), f.reshape(shp)))
    rest_axes = tuple(a for a in range(W.ndim) if rest.shape[a] > 1)
    if rest_axes or not groups:
        groups.append((rest_axes, rest))
    else:  # only a scalar factor is left: fold it into the first group
        groups[0] = (groups[0][0], groups[0][1] * float(rest.reshape(-1)[0]))
    return groups


# ------------------------------------------------------------------ helpers
def _scalar(be, v, dt):
    """0-d value `v` of dtype `dt` usable in xp.where/arithmetic on the backend."""
    dt = np_dtype(dt)
    if be.on_host:
        return dt.type(v)
    return be.xp.asarray(v, dtype=be.dtype(dt), device=be.device)


def _nan_count(be, x):
    xp = be.xp
    if be.on_host:
        return int(np.count_nonzero(np.isnan(x)))
    return int(xp.sum(xp.astype(xp.isnan(x), be.dtype(np.int64))))


def _nonzero_sum(w, what):
    s = complex(w.sum()) if np.iscomplexobj(w) else float(w.sum())
    if abs(s) <= 64 * _EPS * float(np.abs(w).sum()):
        raise ValueError(f"{what} needs a kernel with non-zero sum; got sum {s:g}")
    return s


def _weights(kernel):
    """``(weights ndarray (float64 or complex128), default origin, Kernel or None, unit)``."""
    cw = complex_weights(kernel)
    if cw is not None:
        w, unit = cw
        return w, tuple(n // 2 for n in w.shape), None, unit
    K = as_kernel(kernel)
    return np.array(K.weights), K.origin, K, K.unit


# ------------------------------------------------------------------ the engine
class _Call:
    """One prepared call: the field in its working dtype, the geometry and the choices.

    ``kparts`` holds the real parts of the kernel, ``[imag, W_part, groups,
    method]`` (one for a real kernel): the exact methods run on real parts.
    """

    __slots__ = ("be", "x", "dt", "W", "c", "kparts", "mode", "cval", "method", "interp", "nnan", "nbad",
                 "separable")


_SPECTRAL = ("fft", "overlap-add")


def _prepare(field, kernel, *, flip, mode, cval, origin, method, axes, nan_policy, normalize_kernel, backend):
    be = get_backend(backend, like=field)
    mode = check_mode(mode)
    check_choice("method", method, METHODS)
    check_choice("nan_policy", nan_policy, NAN_POLICIES)
    w, korigin, K, _ = _weights(kernel)
    user_kernel = K is not None and axes is None
    field = be.asarray(field)
    if field.ndim == 0:
        raise ValueError("field must have at least one dimension; got a 0-d array")
    call = _Call()
    fdt = result_dtype(field.dtype, name="field", allow_complex=True)
    call.dt = complex_dtype(fdt) if np.iscomplexobj(w) else fdt
    call.be, call.mode, call.cval = be, mode, check_cval(cval, fdt.kind == "c")
    if normalize_kernel:
        w = w / _nonzero_sum(w, "normalize_kernel=True")
        K = None
    W, c = _resolve_geometry(field.ndim, w, korigin, origin, axes)
    if flip:  # convolution = correlation with the flipped kernel, tap c -> n - 1 - c
        W = np.ascontiguousarray(W[tuple(slice(None, None, -1) for _ in range(W.ndim))])
        c = tuple(n - 1 - ci for n, ci in zip(W.shape, c))
    elif np.iscomplexobj(W):  # correlation conjugates complex weights (numpy.correlate, scipy.ndimage)
        W = np.conj(W)
    call.W, call.c = W, c
    call.x = np.ascontiguousarray(field, dtype=call.dt) if be.on_host else be.xp.astype(field, be.dtype(call.dt))
    call.nnan = call.nbad = None
    if call.x.size and nan_policy in ("raise", "interpolate"):
        call.nnan = _nan_count(be, call.x)
    if nan_policy == "raise" and call.nnan:
        raise ValueError(f"field contains {call.nnan} NaN value(s) and nan_policy='raise'")
    call.kparts = []
    for imag, Wp in kernel_parts(W):
        groups = None
        if method in ("auto", "separable"):
            real_K = K if (user_kernel and not np.iscomplexobj(W)) else None
            groups = _factor_groups(Wp, real_K, flip)
            if method == "separable" and len(groups) < 2:
                raise ValueError(
                    f"method='separable' needs a kernel that factorises into lower-dimensional factors; "
                    f"this kernel of shape {w.shape} does not (use method='auto')"
                )
        call.kparts.append([imag, Wp, groups, method])
    cval_nan = mode == "constant" and call.cval != call.cval
    call.interp = nan_policy == "interpolate" and bool(call.nnan or cval_nan)
    call.method = method
    return call


def _choose(call):
    """The method of each kernel part: the cheapest by the cost model, or the one asked for."""
    be, x, dt, mode = call.be, call.x, call.dt, call.mode
    nfield = 2 if dt.kind == "c" and is_complex(x) else 1
    if call.method != "auto":
        for part in call.kparts:
            part[3] = call.method
        return
    exact = 0.0
    for part in call.kparts:
        c = _cost.costs(be, x.shape, part[1], part[2], dt, mode)
        best = min(("direct", "separable"), key=lambda m: c.get(m, math.inf))
        part[3] = best
        exact += nfield * c[best]

    def spectral(nonfinite):
        c = _cost.costs(be, x.shape, call.W, None, dt, mode, complex_data=dt.kind == "c", nonfinite=nonfinite)
        return _cost.pick(exact, {m: c[m] for m in _SPECTRAL if m in c}, dt)

    use = spectral(False)
    if use in _SPECTRAL:  # non-finite samples (inf, or NaN that stays) cost the FFT methods two more transforms
        call.nbad = count_nonfinite(be, x) - ((call.nnan or 0) if call.interp else 0)
        if call.nbad:
            use = spectral(True)
    if use in _SPECTRAL:
        for part in call.kparts:
            part[3] = use
    _cost.LAST_AUTO[0] = use if use in _SPECTRAL else "+".join(sorted({p[3] for p in call.kparts}))


def _run(call, arr, cval):
    """The chosen methods on `arr` (real or complex), the exact ones on real parts."""
    be = call.be
    method = call.kparts[0][3]
    if method in _SPECTRAL:
        return run_method(be, arr, call.W, call.c, call.mode, cval, method)
    cplx = is_complex(arr) or len(call.kparts) > 1 or call.kparts[0][0]
    dt = np_dtype(arr.dtype)
    terms = []
    for fimag, xpart, cv in field_parts(be, arr, cval):
        for kimag, Wp, groups, m in call.kparts:
            if m == "separable":
                y = separable(be, xpart, groups, call.c, call.mode, cv, _sub_method(call, xpart, groups))
            else:
                y = run_method(be, xpart, Wp, call.c, call.mode, cv, m)
            terms.append((fimag, kimag, y))
    return combine(be, terms, complex_dtype(dt) if cplx else dt)


def _sub_method(call, x, groups):
    """Method of a multi-axis factor of a partly separable kernel: exact unless an FFT is much cheaper."""
    for axes_g, w_g in groups:
        if len(axes_g) > 1:
            c = _cost.costs(call.be, x.shape, w_g, None, np_dtype(x.dtype), call.mode)
            use = _cost.pick(c["direct"], {m: c[m] for m in _SPECTRAL if m in c}, np_dtype(x.dtype))
            return "direct" if use == "exact" else use
    return None


def _execute(call, *, preserve_nan, normalize_kernel):
    """The chosen method, or the normalised convolution that leaves NaN samples out."""
    be, x, dt, W, cval = call.be, call.x, call.dt, call.W, call.cval
    if not call.interp:
        return _run(call, x, cval)
    ksum = _nonzero_sum(W, "nan_policy='interpolate'")  # a normalised convolution divides by sums of weights
    # den is a sum of kernel weights (exact zero where no valid neighbour);
    # anything below the rounding level of that sum counts as zero
    tiny = float(1e3 * np.finfo(dt).eps * float(np.abs(W).sum()))
    scale = 1.0 if normalize_kernel else ksum
    cv_num, cv_den = (0.0, 0.0) if cval != cval else (cval, 1.0)
    if be.on_host and dt.kind == "f":  # fused compiled passes (NaN split, then divide/scale/restore)
        x0 = be.empty(x.shape, dt)
        valid = be.empty(x.shape, dt)
        with be.kernel_threads(x.size * 8):
            _compiled().nan_split(x, x0, valid)
        num = _run(call, x0, cv_num)
        del x0
        den = _run(call, valid, cv_den)
        del valid
        res = be.empty(x.shape, dt)
        with be.kernel_threads(x.size * 8):
            _compiled().nan_combine(num, den, x, dt.type(tiny), dt.type(scale), bool(preserve_nan), res)
        return res
    xp = be.xp
    nan_mask = xp.isnan(x)
    x0 = xp.where(nan_mask, _scalar(be, 0.0, x.dtype), x)
    rdt = real_dtype(dt)
    valid = xp.astype(~nan_mask, be.dtype(rdt)) if not be.on_host else (~nan_mask).astype(rdt)
    num = _run(call, x0, cv_num)
    den = _run(call, valid, cv_den if not isinstance(cv_den, complex) else cv_den.real)
    ok = xp.abs(den) > tiny
    res = xp.where(ok, num / xp.where(ok, den, _scalar(be, 1.0, den.dtype)), _scalar(be, math.nan, num.dtype))
    if not normalize_kernel:
        res = res * _scalar(be, scale, res.dtype)
    if preserve_nan:
        res = xp.where(nan_mask, _scalar(be, math.nan, res.dtype), res)
    return res


def _engine(field, kernel, *, flip, mode, cval, origin, method, axes, nan_policy, preserve_nan,
            normalize_kernel, output, out, backend):
    field, funit = strip(field, "field")
    kunit = None if normalize_kernel else getattr(kernel, "unit", None)
    call = _prepare(field, kernel, flip=flip, mode=mode, cval=cval, origin=origin, method=method, axes=axes,
                    nan_policy=nan_policy, normalize_kernel=normalize_kernel, backend=backend)
    be = call.be
    odt = output_dtype(output, call.dt)
    out = check_out(be, getattr(out, "value", out), call.x.shape, odt)
    unit = product(funit, kunit)
    if call.x.size == 0:
        res = be.empty(call.x.shape, odt)
        return attach(res if out is None else out, unit)
    _choose(call)
    res = cast_output(be, _execute(call, preserve_nan=preserve_nan, normalize_kernel=normalize_kernel), output)
    if out is not None:
        out[...] = res
        res = out
    return attach(res, unit)


_COMMON_DOC = """
    Parameters
    ----------
    field : array, real or complex, shape (n_0, ..., n_{d-1})
        Input field (NumPy array on host backends, or an array of the backend;
        an astropy Quantity keeps its unit; any byte order).
    kernel : Kernel or array_like of float or complex
        Weights (finite), with ``kernel.ndim == field.ndim`` unless `axes` is
        given.  A :class:`fieldconv.kernels.Kernel` (real weights) brings its
        ``origin``; complex weights are given as an array (or Quantity).
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension, as in scipy.ndimage (default "reflect").
    cval : float or complex, optional
        Value outside the field for ``mode="constant"`` (default 0.0);
        complex only for a complex field (its real part extends the real
        part).  NaN with ``nan_policy="interpolate"`` means "no data outside".
    origin : None, "center", int or tuple of int, optional
        None (default): the kernel's own ``origin`` (the centre tap
        ``shape // 2`` for a plain array).  An int or tuple: scipy.ndimage's
        shift, the tap ``shape // 2 + origin`` lands on the output point.
        "center": the centre tap of an odd-size kernel.
    method : {"auto", "direct", "separable", "fft", "overlap-add"}, optional
        Algorithm (default "auto": cheapest by the cost model of
        ``docs/convolution.md``).
    axes : int or tuple of int, optional
        Field axes the kernel's axes act on (default: all, in order), e.g.
        ``axes=(0, 1)`` for a 2-D spatial kernel on a cube ``(x, y, lambda)``.
    nan_policy : {"propagate", "interpolate", "raise"}, optional
        "propagate" (default): NaN (and inf) reach exactly the outputs whose
        stencil holds them with a non-zero weight, on every method (see
        Notes).
        "interpolate": normalised convolution: NaN samples are left out and
        the output is the kernel-weighted mean of the valid neighbours, times
        the kernel sum (unless `normalize_kernel`), like astropy's ``convolve``.
        "raise": ``ValueError`` if `field` holds NaN.
    preserve_nan : bool, optional
        With "interpolate": put NaN back where the input had NaN.
    normalize_kernel : bool, optional
        Divide the kernel by its sum first (zero-sum kernels raise); astropy's
        name.  (``normalize=`` is a deprecated alias.)
    output : dtype, optional
        Result dtype.  One rule for every dtype: a value the dtype cannot
        hold raises ``ValueError`` (integers round half to even and never
        wrap around or hold NaN; a narrower float never overflows to inf).
        Default: the dtype table.
    out : array, optional
        Array of the result's shape and dtype to write into.
    backend : str or Backend, optional
        Backend (default: resolved from `field`).

    Returns
    -------
    array, same shape as `field`
        float32 for float32/float16 input, float64 for float64/integer input,
        complex64/complex128 for complex64/complex128 input or for a complex
        kernel (in the precision of the field), or `output`; on the field's
        backend.  Unit: ``field.unit *
        kernel.unit`` (a derivative kernel built with a Quantity spacing
        carries ``1/length**order``; a normalised kernel is dimensionless).

    Raises
    ------
    ValueError
        Unknown `mode`/`method`/`nan_policy`; a kernel with more (or, without
        `axes`, fewer) dimensions than `field`; NaN/inf in the kernel;
        ``origin="center"`` with an even-size kernel; an origin outside the
        kernel; NaN in `field` with ``nan_policy="raise"``; a zero-sum kernel
        with `normalize_kernel` or "interpolate"; an `output` that cannot
        hold the result; ``method="separable"`` for a kernel that does not
        factorise; a complex `cval` for a real field.
    TypeError
        Non-numeric `field` or kernel; a real `output` for a complex result.
"""


@renamed(normalize="normalize_kernel")
def correlate(field, kernel, *, mode="reflect", cval=0.0, origin=None, method="auto", axes=None,
              nan_policy="propagate", preserve_nan=False, normalize_kernel=False, output=None, out=None,
              backend=None):
    """Correlate `field` with `kernel`: ``y[i] = sum_j w[j] f[i + j - origin]``.
    {common}
    Notes
    -----
    Agrees with ``scipy.ndimage.correlate(f, w, mode=, cval=, origin=o)``
    where ``o = origin - shape // 2``.  ``correlate(f, K) == convolve(f,
    K.flip())``; complex weights are conjugated (``y[i] = sum_j conj(w[j])
    f[i + j - origin]``, as ``numpy.correlate`` and scipy.ndimage).  Direct
    sums accumulate in the working dtype (error ``<= K eps sum|w| |f|`` for
    K taps); FFT paths are accurate to ``O(eps log2 N) ||w||_1 |f|``.

    Non-finite samples: every method gives the exact sum's answer at the
    outputs whose stencil holds one with a non-zero weight (``+-inf``; NaN
    where a NaN is met or ``+inf`` and ``-inf`` terms meet) and the
    convolution of the finite samples elsewhere; a zero weight forms no
    term.  Complex data runs the exact methods on real parts and the FFT
    methods as complex transforms.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import correlate
    >>> f = np.zeros((3, 3)); f[1, 1] = 1.0
    >>> correlate(f, np.arange(9.0).reshape(3, 3), mode="constant")
    array([[8., 7., 6.],
           [5., 4., 3.],
           [2., 1., 0.]])
    """
    return _engine(field, kernel, flip=False, mode=mode, cval=cval, origin=origin, method=method, axes=axes,
                   nan_policy=nan_policy, preserve_nan=preserve_nan, normalize_kernel=normalize_kernel, output=output,
                   out=out, backend=backend)


@renamed(normalize="normalize_kernel")
def convolve(field, kernel, *, mode="reflect", cval=0.0, origin=None, method="auto", axes=None,
             nan_policy="propagate", preserve_nan=False, normalize_kernel=False, output=None, out=None,
             backend=None):
    """Convolve `field` with `kernel`: ``y[i] = sum_j w[j] f[i - j + origin]``.
    {common}
    Notes
    -----
    Agrees with ``scipy.ndimage.convolve(f, w, mode=, cval=, origin=o)``
    where ``o = origin - shape // 2`` (an even kernel sits where
    scipy.ndimage puts it, one sample from scipy.signal's placement).
    The symbol is ``H(k) = sum_j w[j] exp(-i k (j - origin))``.  Method
    accuracy as in :func:`correlate`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.convolution import convolve
    >>> convolve(np.array([0., 0., 1., 0., 0.]), np.array([1., 2., 3.]))
    array([0., 1., 2., 3., 0.])
    >>> x = np.array([1.0, np.nan, 3.0, 4.0])
    >>> convolve(x, np.ones(3) / 3, nan_policy="interpolate", mode="nearest")
    array([1.        , 2.        , 3.5       , 3.66666667])
    >>> convolve(np.array([1, 2, 3], dtype=np.int16), [0.5, 0.5, 0.0], output=np.int16)
    array([2, 2, 3], dtype=int16)
    >>> convolve(np.array([0, 1j, 0]), [1.0, 2.0, 1.0], mode="constant")
    array([0.+1.j, 0.+2.j, 0.+1.j])
    >>> convolve(np.array([0.0, np.inf, 0.0, 0.0]), [1.0, 1.0, 0.0], method="fft", mode="constant")
    array([inf, inf,  0.,  0.])
    """
    return _engine(field, kernel, flip=True, mode=mode, cval=cval, origin=origin, method=method, axes=axes,
                   nan_policy=nan_policy, preserve_nan=preserve_nan, normalize_kernel=normalize_kernel, output=output,
                   out=out, backend=backend)


correlate.__doc__ = correlate.__doc__.replace("{common}", _COMMON_DOC)
convolve.__doc__ = convolve.__doc__.replace("{common}", _COMMON_DOC)
