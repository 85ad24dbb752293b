"""The convolution methods: direct, separable, FFT and overlap-add.

Each computes ``correlate(x, W)`` with taps ``c`` landing on the output
point, for `x` already in the working dtype; the engine (:mod:`._engine`)
chooses among them and handles NaN, units and output dtypes.  The exact
methods take real `x` and `W` (complex data reaches them as real parts,
:mod:`._parts`); the FFT methods also take complex `x` or `W` (complex
transforms) and handle non-finite samples exactly (:mod:`._nonfinite`).
"""

import numpy as np

from .._dtypes import complex_dtype, np_dtype
from ._boundary import pad_host, pad_xp
from ._cost import next_fast, oa_block
from ._nonfinite import fft_exact
from ._oned import correlate1d
from ._parts import is_complex

__all__ = ["run_method", "separable"]


def _compiled():
    from . import _compiled

    return _compiled


def _direct(be, x, W, c, mode, cval):
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    if be.on_host:
        acting = [a for a in range(x.ndim) if W.shape[a] > 1]
        if len(acting) == 1:
            a = acting[0]
            w1 = W.reshape(-1)
            return correlate1d(x, w1, a, mode=mode, cval=cval, origin=c[a] - w1.size // 2, backend=be)
        if not acting:
            return x * x.dtype.type(W.reshape(-1)[0])
        if x.ndim > 3:
            if W.shape[0] == 1:  # leading batch axis: loop
                out = be.empty(x.shape, x.dtype)
                for i in range(x.shape[0]):
                    out[i] = _direct(be, x[i], W[0], c[1:], mode, cval)
                return out
            return _direct_xp(be, x, W, c, mode, cval)
        P = pad_host(be, x, lo, hi, mode, cval)
        out = be.empty(x.shape, x.dtype)
        wt = W.astype(x.dtype)
        work = x.size * int(np.count_nonzero(W))
        fn = _compiled().corr_valid_2d if x.ndim == 2 else _compiled().corr_valid_3d
        with be.kernel_threads(work):
            fn(P, wt, out)
        return out
    return _direct_xp(be, x, W, c, mode, cval)


def _direct_xp(be, x, W, c, mode, cval):
    """Generic direct method: sum of shifted slices of the padded field."""
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    P = pad_host(be, x, lo, hi, mode, cval) if be.on_host else pad_xp(be, x, lo, hi, mode, cval)
    acc = None
    for j in zip(*np.nonzero(W)):
        sl = tuple(slice(int(jj), int(jj) + n) for jj, n in zip(j, x.shape))
        term = P[sl] * float(W[j])
        acc = term if acc is None else acc + term
    if acc is None:
        acc = be.zeros(x.shape, x.dtype) if be.on_host else be.xp.zeros(x.shape, dtype=x.dtype, device=be.device)
    return acc



def separable(be, x, groups, c, mode, cval, sub_method):
    """Successive passes of the factor groups (1-D ones through correlate1d)."""
    # constant mode: outside the field, pass p sees the earlier passes applied
    # to the constant, i.e. cval times the product of the earlier factors' sums
    y = x
    for axes_g, w_g in groups:
        cval_here, cval = cval, cval * float(w_g.sum())
        cg = tuple(c[a] if a in axes_g else 0 for a in range(x.ndim))
        if len(axes_g) == 1:
            a = axes_g[0]
            w1 = w_g.reshape(-1)
            y = correlate1d(y, w1, a, mode=mode, cval=cval_here, origin=c[a] - w1.size // 2, backend=be)
        else:
            y = run_method(be, y, w_g, cg, mode, cval_here, sub_method)
    return y


def _kernel_spectrum(be, W, M, dtype, axes, full=False):
    """Real FFT (size `M` on `axes`) of the *flipped* kernel placed at the start.

    Transformed axis by axis on the small kernel (rfft along the last axis,
    then complex FFTs, each zero-padding one more axis), which costs a
    fraction of one transform of the full padded array.  `full`: the
    complex transform on every axis (complex data, `dtype` complex).
    """
    Wf = np.ascontiguousarray(W[tuple(slice(None, None, -1) for _ in range(W.ndim))])
    if be.on_host:
        # small transforms through scipy.fft: no FFTW planning, and the
        # backend's plan cache keeps only the two big plans of the field
        import scipy.fft

        first = scipy.fft.fft if full else scipy.fft.rfft
        H = first(Wf.astype(dtype), n=M[axes[-1]], axis=axes[-1], workers=be.threads)
        for a in reversed(axes[:-1]):
            H = scipy.fft.fft(H, n=M[a], axis=a, overwrite_x=True, workers=be.threads)
        return H
    g = be.xp.astype(be.asarray(Wf, copy=True), be.dtype(dtype))
    H = (be.fftn if full else be.rfftn)(g, s=(M[axes[-1]],), axes=(axes[-1],))
    for a in reversed(axes[:-1]):
        H = be.fftn(H, s=(M[a],), axes=(a,), overwrite_x=True)
    return H


def _transforms(be, x, W):
    """``(x, forward, inverse, full, dtype)``: real transforms, or complex ones for complex `x` or `W`."""
    if not (is_complex(x) or np.iscomplexobj(W)):
        return x, be.rfftn, be.irfftn, False, np_dtype(x.dtype)
    cdt = complex_dtype(np_dtype(x.dtype))
    if not is_complex(x):
        x = x.astype(cdt) if be.on_host else be.xp.astype(x, be.dtype(cdt))

    def inverse(X, s, axes, overwrite_x):
        return be.ifftn(X, s=s, axes=axes, overwrite_x=overwrite_x)

    return x, be.fftn, inverse, True, cdt


def _wrap_kernel_array(be, W, c, shape, dtype, axes):
    """Kernel for circular correlation on the field's own grid (wrap mode)."""
    # correlation: y[i] = sum_j W[j] x[(i + j - c) mod n] = circular conv with G[(c - j) mod n] = W[j]
    G = np.zeros(tuple(shape[a] if a in axes else 1 for a in range(W.ndim)), dtype=W.dtype)
    idx = np.indices(W.shape).reshape(W.ndim, -1)
    tgt = tuple(((c[a] - idx[a]) % G.shape[a]) for a in range(W.ndim))
    np.add.at(G, tgt, W.reshape(-1))
    if be.on_host:
        return G.astype(dtype)
    return be.xp.astype(be.asarray(G, copy=True), be.dtype(dtype))


def _scale(be, x, w):
    """`x` times the single weight `w` (a kernel of one tap), in the result dtype."""
    if be.on_host:
        if np.iscomplexobj(w) and not is_complex(x):
            x = x.astype(complex_dtype(x.dtype))
        return x * x.dtype.type(w)
    if np.iscomplexobj(w):
        cdt = be.dtype(complex_dtype(np_dtype(x.dtype)))
        return be.xp.astype(x, cdt) * be.xp.asarray(complex(w), dtype=cdt, device=be.device)
    return x * float(w)


def _fft(be, x, W, c, mode, cval):
    axes = tuple(a for a in range(x.ndim) if W.shape[a] > 1)
    if not axes:
        return _scale(be, x, W.reshape(-1)[0])
    x, rfftn, irfftn, full, dt = _transforms(be, x, W)
    xp = be.xp
    if mode == "wrap":
        s = tuple(x.shape[a] for a in axes)
        X = rfftn(x, axes=axes)
        if all(W.shape[a] <= x.shape[a] for a in axes):
            # circular convolution with the flipped kernel at the start, then a
            # roll by K - 1 - c puts tap c on the output point
            X *= _kernel_spectrum(be, W, x.shape, dt, axes, full)
            Y = irfftn(X, s=s, axes=axes, overwrite_x=True)
            shift = tuple(-(W.shape[a] - 1 - c[a]) for a in axes)
            return be.xp.roll(Y, shift, axis=axes) if not be.on_host else np.roll(Y, shift, axis=axes)
        G = _wrap_kernel_array(be, W, c, x.shape, dt, axes)
        X *= rfftn(G, axes=axes)
        return irfftn(X, s=s, axes=axes, overwrite_x=True)
    lo = c
    hi = tuple(k - 1 - ci for k, ci in zip(W.shape, c))
    ext = tuple(n + k - 1 for n, k in zip(x.shape, W.shape))
    M = tuple(next_fast(ext[a]) if a in axes else ext[a] for a in range(x.ndim))
    if be.on_host:
        P = pad_host(be, x, lo, hi, mode, cval, total=M)
        s = None
    else:
        P = pad_xp(be, x, lo, hi, mode, cval)
        s = tuple(M[a] for a in axes)
    X = rfftn(P, s=s, axes=axes)
    del P
    X *= _kernel_spectrum(be, W, M, dt, axes, full)
    Y = irfftn(X, s=tuple(M[a] for a in axes), axes=axes, overwrite_x=True)
    del X
    sl = tuple(slice(k - 1, k - 1 + n) for k, n in zip(W.shape, x.shape))
    y = Y[sl]
    if be.on_host:
        return np.ascontiguousarray(y)
    return xp.asarray(y, copy=True)



def _overlap(be, x, W, c, mode, cval):
    """Block FFT convolution along the longest acting axis (overlap-save form).

    The padded field is cut into overlapping segments of length ``L + K - 1``
    along that axis (one gather), every segment is transformed at once with
    the other acting axes, multiplied by the kernel's transform and the
    ``L`` valid outputs of each segment are kept.
    """
    axes = [a for a in range(x.ndim) if W.shape[a] > 1]
    if not axes:
        return _fft(be, x, W, c, mode, cval)
    xp = be.xp
    ax = max(axes, key=lambda a: x.shape[a])
    n, K = x.shape[ax], W.shape[ax]
    L = oa_block(K)
    if n <= 2 * L:
        return _fft(be, x, W, c, mode, cval)
    x, rfftn, irfftn, full, dt = _transforms(be, x, W)
    lo = c
    hi = list(k - 1 - ci for k, ci in zip(W.shape, c))
    nb = -(-n // L)
    hi[ax] += nb * L - n  # room for the last (partial) block
    P = pad_host(be, x, lo, tuple(hi), mode, cval) if be.on_host else pad_xp(be, x, lo, tuple(hi), mode, cval)
    seg = L + K - 1
    sidx = (np.arange(nb)[:, None] * L + np.arange(seg)[None, :]).reshape(-1)
    if be.on_host:
        S = np.take(P, sidx, axis=ax)
    else:
        S = xp.take(P, be.asarray(sidx, copy=True), axis=ax)
    del P
    S = xp.reshape(S, P_shape := tuple(S.shape[:ax]) + (nb, seg) + tuple(S.shape[ax + 1 :]))
    # axes of S: ax -> block index (batch), ax+1 -> segment
    Wb = np.expand_dims(W, ax)  # size-1 block axis
    fax = tuple(a + 1 if a >= ax else a for a in axes)
    Mseg = next_fast(seg)
    M = []
    for a in range(S.ndim):
        if a == ax + 1:
            M.append(Mseg)
        elif a in fax:
            M.append(next_fast(S.shape[a]))
        else:
            M.append(S.shape[a])
    s = tuple(M[a] for a in fax)
    X = rfftn(S, s=s, axes=fax)
    del S
    X *= _kernel_spectrum(be, Wb, M, dt, fax, full)
    Y = irfftn(X, s=s, axes=fax, overwrite_x=True)
    del X
    sl = [slice(None)] * Y.ndim
    for a in fax:
        kk = Wb.shape[a]
        sl[a] = slice(kk - 1, kk - 1 + (L if a == ax + 1 else P_shape[a] - kk + 1))
    Y = Y[tuple(sl)]
    Y = xp.reshape(Y, tuple(Y.shape[:ax]) + (nb * L,) + tuple(Y.shape[ax + 2 :]))
    out_sl = [slice(None)] * x.ndim
    out_sl[ax] = slice(0, n)
    y = Y[tuple(out_sl)]
    if be.on_host:
        return np.ascontiguousarray(y)
    return xp.asarray(y, copy=True)


def _spectral(method):
    fn = _fft if method == "fft" else _overlap

    def run(be, x, W, c, mode, cval):
        return fft_exact(be, x, W, c, mode, cval, lambda x_, W_, c_, m_, v_: fn(be, x_, W_, c_, m_, v_))

    return run


def run_method(be, x, W, c, mode, cval, method):
    """Dispatch to the direct, FFT or overlap-add method (FFT methods: non-finite samples exactly)."""
    if method == "direct":
        return _direct(be, x, W, c, mode, cval)
    if method in ("fft", "overlap-add"):
        return _spectral(method)(be, x, W, c, mode, cval)
    raise AssertionError(method)  # pragma: no cover


