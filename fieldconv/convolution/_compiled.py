"""Compiled host kernels of :mod:`fieldconv.convolution`.

Imported lazily, on the first call that takes a host fast path, so that
``import fieldconv`` never imports numba.  Every kernel is a plain FIR sum
written so that its innermost loop runs along the contiguous (last) axis of
its arrays, which LLVM vectorises.

Compilation is what a user pays on a first call, so it is kept small:

* each kernel is compiled lazily, for the one dtype a call needs (numba
  compiles a specialisation on its first call with those types); the
  callers pass fixed types (a read-only `src`, C-contiguous arrays, scalars
  of the array's dtype), so each kernel has exactly one specialisation per
  dtype, and complex data runs through the real kernels (real and
  imaginary parts), so there is no complex specialisation;
* kernels are serial functions over a range of work items that release
  the GIL (``nogil``); :func:`_launch` runs the ranges on a thread pool.
  This compiles about three times faster than numba's ``parallel=True``
  (no parfor lowering) and runs as fast for these coarse work items;
* no array expressions (``a[:] = 0``, ``a[i, :] = b``): explicit loops
  compile several times faster.

The thread count is the package's thread policy: callers run the public
entry points inside ``backend.kernel_threads(work)``, which sets numba's
(thread-local) thread count, and :func:`_launch` splits the work items into
that many ranges.  Each output is summed by one thread in a fixed order, so
results do not depend on the thread count.

A weight that is exactly zero is skipped (its product is never formed), in
every kernel: ``0 * inf`` never makes a NaN, as in scipy.ndimage's n-D
filters.

Accumulation happens in the dtype of the arrays passed (float32 for float32
fields): see the "dtype" section of ``docs/convolution.md`` for the bound.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

__all__ = ["corr1d_last", "corr1d_strided", "corr_valid_2d", "corr_valid_3d", "nan_split", "nan_combine"]

#: The one numba decorator of this module: serial kernels that release the GIL,
#: cached on disk.  (The package's numba policy replaces this one line.)
_jit = numba.njit(cache=True, nogil=True, fastmath=False)

_pool_lock = threading.Lock()
_pool = []


def _executor():
    """The module's thread pool: ``NUMBA_NUM_THREADS`` workers (numba's thread count never exceeds it),
    started lazily by the executor as they are needed."""
    with _pool_lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS),
                                            thread_name_prefix="fieldconv-conv"))
        return _pool[0]


def _launch(kernel, nitems, *args):
    """``kernel(*args, t0, t1)`` over ``[0, nitems)`` split into ranges, one per thread.

    The thread count is numba's current one (set by ``backend.kernel_threads``);
    the calling thread runs the first range.
    """
    n = max(1, min(numba.get_num_threads(), nitems))
    if n == 1:
        kernel(*args, 0, nitems)
        return
    bounds = [(k * nitems // n, (k + 1) * nitems // n) for k in range(n)]
    pool = _executor()
    futures = [pool.submit(kernel, *args, t0, t1) for t0, t1 in bounds[1:]]
    try:
        kernel(*args, *bounds[0])
    finally:
        for f in futures:
            f.result()


# ------------------------------------------------------------------ 1-D, last axis
@_jit
def _fir(row, s, w, sym, acc, L):
    """``acc[i] = sum_j w[j] * row[s + i + j]`` for ``i < L``.

    `sym` = +1: ``w`` is symmetric (``w[j] == w[K-1-j]``), -1: antisymmetric;
    the pairs are then folded, ``w[j] (row[.. + j] +- row[.. + K-1-j])``,
    half the multiplies.  0: plain sum.  Taps are added in a fixed order;
    zero weights are skipped.  (Slices are 1-D views with known bounds,
    which LLVM vectorises; ``row[s + j + i]`` would keep a wrap-around check.)
    """
    K = w.shape[0]
    h = K // 2 if sym != 0 else 0
    a = acc[:L]
    if sym != 0 and K % 2 == 1 and w[h] != 0:
        wc = w[h]
        sc = row[s + h : s + h + L]
        for i in range(L):
            a[i] = wc * sc[i]
    else:
        for i in range(L):
            a[i] = 0
    if sym == 0:
        for j in range(K):
            wj = w[j]
            if wj != 0:
                sa = row[s + j : s + j + L]
                for i in range(L):
                    a[i] += wj * sa[i]
        return
    for j in range(h):
        wj = w[j]
        if wj == 0:
            continue
        sa = row[s + j : s + j + L]
        sb = row[s + K - 1 - j : s + K - 1 - j + L]
        if sym > 0:
            for i in range(L):
                a[i] += wj * (sa[i] + sb[i])
        else:
            for i in range(L):
                a[i] += wj * (sa[i] - sb[i])


@_jit
def _edge(row, w, idx, cval, i0, L, dst):
    """Edge outputs ``dst[i0 + i] = sum_j w[j] ext[idx[i + j]]`` (``idx < 0``: `cval`), ``i < L``."""
    K = w.shape[0]
    zero = w[0] - w[0]  # a zero of the working dtype (weights are finite)
    for i in range(L):
        a = zero
        for j in range(K):
            wj = w[j]
            if wj != 0:
                q = idx[i + j]
                a += wj * (row[q] if q >= 0 else cval)
        dst[i0 + i] = a


@_jit
def _corr1d_last(src, w, sym, off, nlo, hi0, idx_lo, idx_hi, cval, tile, out, t0, t1):
    m, n = src.shape
    nint = hi0 - nlo
    nti = (nint + tile - 1) // tile
    per = max(nti, 1)
    G = 1 if nti > 1 else max(1, tile // max(n, 1))  # lines per work item
    acc = np.empty(max(min(tile, nint), 1), dtype=out.dtype)
    for t in range(t0, t1):
        g = t // per
        k = t - g * per
        for line in range(g * G, min(m, g * G + G)):
            row = src[line]
            dst = out[line]
            if k == 0 and nlo > 0:
                _edge(row, w, idx_lo, cval, 0, nlo, dst)
            if k == per - 1 and hi0 < n:
                _edge(row, w, idx_hi, cval, hi0, n - hi0, dst)
            if nti > 0:
                i0 = nlo + k * tile
                L = min(tile, hi0 - i0)
                _fir(row, i0 - off, w, sym, acc, L)
                for i in range(L):
                    dst[i0 + i] = acc[i]


def corr1d_last(src, w, sym, off, nlo, hi0, idx_lo, idx_hi, cval, tile, out):
    """1-D correlation along the last (contiguous) axis of 2-D `src`.

    ``out[l, i] = sum_j w[j] * ext[l, i + j - off]``, ``ext`` the boundary
    extension of line ``l``.  Outputs ``nlo <= i < hi0`` (the interior, whose
    window lies inside the line) are summed straight from `src`; the
    ``nlo`` left and ``n - hi0`` right edge outputs from the extension's
    source indices ``idx_lo[q]`` / ``idx_hi[q]`` (``idx < 0``: the constant
    `cval`) of ``nlo + K - 1`` / ``n - hi0 + K - 1`` samples.

    Work items: a line whose interior spans several tiles is split into
    (line, tile) pairs, ``tile`` interior outputs each (an L1-sized
    accumulator), so one long line keeps every thread busy; shorter lines
    are grouped, about ``tile`` samples per item.  The first tile of a line
    also forms its left edge, the last its right edge.
    """
    m, n = src.shape
    nint = hi0 - nlo
    nti = (nint + tile - 1) // tile
    per = max(nti, 1)
    G = 1 if nti > 1 else max(1, tile // max(n, 1))
    _launch(_corr1d_last, ((m + G - 1) // G) * per, src, w, sym, off, nlo, hi0, idx_lo, idx_hi, cval, tile, out)


# ------------------------------------------------------------------ 1-D, other axes
@_jit
def _corr1d_strided(src, w, sym, idx, cval, tile, out, t0, t1):
    a, n, b = src.shape
    K = w.shape[0]
    h = K // 2 if sym != 0 else 0
    accb = np.empty(min(b, tile), dtype=out.dtype)
    for t in range(t0, t1):
        o = t // n
        i = t - o * n
        for k0 in range(0, b, tile):
            nb = min(b, k0 + tile) - k0
            acc = accb[:nb]
            for k in range(nb):
                acc[k] = 0
            for j in range(K - h):  # taps K-h.. are folded into K-1-j
                wj = w[j]
                s = idx[i + j]
                if j < h:
                    if wj == 0:
                        continue
                    s2 = idx[i + K - 1 - j]
                    if s >= 0 and s2 >= 0:
                        ra = src[o, s, k0 : k0 + nb]
                        rb = src[o, s2, k0 : k0 + nb]
                        if sym > 0:
                            for k in range(nb):
                                acc[k] += wj * (ra[k] + rb[k])
                        else:
                            for k in range(nb):
                                acc[k] += wj * (ra[k] - rb[k])
                        continue
                    # a constant sample in the pair: add the partner's tap alone
                    w2 = w[K - 1 - j]
                    if s2 >= 0:
                        rb = src[o, s2, k0 : k0 + nb]
                        for k in range(nb):
                            acc[k] += w2 * rb[k]
                    else:
                        c2 = w2 * cval
                        for k in range(nb):
                            acc[k] += c2
                if wj == 0:
                    continue
                if s >= 0:
                    ra = src[o, s, k0 : k0 + nb]
                    for k in range(nb):
                        acc[k] += wj * ra[k]
                else:
                    c = wj * cval
                    for k in range(nb):
                        acc[k] += c
            dst = out[o, i, k0 : k0 + nb]
            for k in range(nb):
                dst[k] = acc[k]


def corr1d_strided(src, w, sym, idx, cval, tile, out):
    """1-D correlation along axis 1 of 3-D `src` (shape ``(a, n, b)``, ``b`` contiguous).

    Output row ``out[o, i, :]`` is the weighted sum of the input rows
    ``src[o, idx[i + j], :]`` (``idx < 0``: the constant `cval`), so the inner
    loop streams along the contiguous axis instead of gathering strided
    lines.  Work items are the ``a * n`` output rows, tiled along ``b``
    (``tile`` accumulators).  `sym` as in :func:`_fir` (the row pairs ``j``,
    ``K-1-j`` are folded when both lie inside the field).
    """
    a, n, b = src.shape
    _launch(_corr1d_strided, a * n, src, w, sym, idx, cval, tile, out)


# ------------------------------------------------------------------ n-D direct
@_jit
def _corr_valid_2d(p, w, out, t0, t1):
    n1 = out.shape[1]
    K0, K1 = w.shape
    acc = np.empty(n1, dtype=out.dtype)
    for i in range(t0, t1):
        for j in range(n1):
            acc[j] = 0
        for a in range(K0):
            for b in range(K1):
                wv = w[a, b]
                if wv != 0:
                    pr = p[i + a, b : b + n1]
                    for j in range(n1):
                        acc[j] += wv * pr[j]
        dst = out[i]
        for j in range(n1):
            dst[j] = acc[j]


def corr_valid_2d(p, w, out):
    """``out[i, j] = sum_{a,b} w[a, b] * p[i + a, j + b]`` (valid correlation of a padded array)."""
    _launch(_corr_valid_2d, out.shape[0], p, w, out)


@_jit
def _corr_valid_3d(p, w, out, t0, t1):
    n1, n2 = out.shape[1], out.shape[2]
    K0, K1, K2 = w.shape
    acc = np.empty(n2, dtype=out.dtype)
    for t in range(t0, t1):
        i = t // n1
        j = t - i * n1
        for k in range(n2):
            acc[k] = 0
        for a in range(K0):
            for b in range(K1):
                for c in range(K2):
                    wv = w[a, b, c]
                    if wv != 0:
                        pr = p[i + a, j + b, c : c + n2]
                        for k in range(n2):
                            acc[k] += wv * pr[k]
        dst = out[i, j]
        for k in range(n2):
            dst[k] = acc[k]


def corr_valid_3d(p, w, out):
    """``out[i, j, k] = sum_{a,b,c} w[a, b, c] * p[i + a, j + b, k + c]``."""
    _launch(_corr_valid_3d, out.shape[0] * out.shape[1], p, w, out)


# ------------------------------------------------------------------ NaN interpolation
_NCHUNK = 64


@_jit
def _nan_split(xf, x0f, vf, t0, t1):
    n = xf.size
    step = (n + _NCHUNK - 1) // _NCHUNK
    for i in range(t0 * step, min(n, t1 * step)):
        v = xf[i]
        if v != v:
            x0f[i] = 0
            vf[i] = 0
        else:
            x0f[i] = v
            vf[i] = 1


def nan_split(x, x0, valid):
    """``x0 = where(isnan(x), 0, x)``, ``valid = ~isnan(x)`` (as 0/1), one pass (C-contiguous arrays)."""
    _launch(_nan_split, _NCHUNK, x.reshape(-1), x0.reshape(-1), valid.reshape(-1))


@_jit
def _nan_combine(nf, df, xf, tiny, scale, preserve, of, t0, t1):
    n = nf.size
    step = (n + _NCHUNK - 1) // _NCHUNK
    for i in range(t0 * step, min(n, t1 * step)):
        d = df[i]
        if abs(d) > tiny and not (preserve and xf[i] != xf[i]):
            of[i] = nf[i] / d * scale
        else:
            of[i] = np.nan


def nan_combine(num, den, x, tiny, scale, preserve, out):
    """``out = num / den * scale`` where ``|den| > tiny`` else NaN; NaN at NaN of `x` if `preserve`."""
    _launch(_nan_combine, _NCHUNK, num.reshape(-1), den.reshape(-1), x.reshape(-1), tiny, scale, preserve,
            out.reshape(-1))
