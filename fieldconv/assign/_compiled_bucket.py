"""Numba counting sort of :mod:`fieldconv.assign`: particles ordered by their leading cells."""

import numpy as np
from numba import njit, prange

from ._compiled_core import _NJ, _cell

@njit(inline="always", **_NJ)  # inlined: an array-taking call per particle costs refcount traffic
def _bucket_key(pos, i, nka, org, invh, shape):
    key = np.int64(0)
    for a in range(nka):
        c, f, far = _cell(pos, pos, False, i, a, org[a], invh[a], 0.0, shape[a], True, 1)
        key = key * shape[a] + np.int64(c)
    return key


@njit(parallel=True, **_NJ)
def _bucket_sort(pos, wts, use_w, org, invh, shape, nka, nchunk, out_pos, out_w, want_order, order):
    """Parallel stable counting sort: per-chunk histograms over contiguous chunks of
    particles, exclusive prefix sum in (key, chunk) order, parallel scatter.  The
    output is the unique stable order, whatever the number of chunks."""
    n = pos.shape[0]
    ndim = pos.shape[1]
    nkeys = np.int64(1)
    for a in range(nka):
        nkeys *= shape[a]
    cnt = np.zeros((nchunk, nkeys), dtype=np.int64)
    for t in prange(nchunk):
        i0 = t * n // nchunk
        i1 = (t + 1) * n // nchunk
        for i in range(i0, i1):
            cnt[t, _bucket_key(pos, i, nka, org, invh, shape)] += 1
    start = np.int64(0)
    for k in range(nkeys):
        for t in range(nchunk):
            c = cnt[t, k]
            cnt[t, k] = start
            start += c
    for t in prange(nchunk):
        i0 = t * n // nchunk
        i1 = (t + 1) * n // nchunk
        for i in range(i0, i1):
            k = _bucket_key(pos, i, nka, org, invh, shape)
            j = cnt[t, k]
            cnt[t, k] = j + 1
            for a in range(ndim):
                out_pos[j, a] = pos[i, a]
            if use_w:
                out_w[j] = wts[i]
            if want_order:
                order[j] = i


def bucket(pos, wts, use_w, org, invh, shape, want_order=True, nka=None):
    """Stable O(N) counting sort by the leading two cell indices (periodic NGP cells)."""
    import numba

    n = pos.shape[0]
    shape = np.asarray(shape, dtype=np.int64)
    if nka is None:
        nka = min(len(shape), 2)
    nchunk = max(1, min(numba.get_num_threads(), n // 4096))
    out_pos = np.empty_like(pos)
    out_w = np.empty_like(wts) if use_w else np.zeros(1, wts.dtype)
    order = np.empty(n if want_order else 1, dtype=np.int64)
    _bucket_sort(pos, wts, use_w, org, invh, shape, nka, nchunk, out_pos, out_w, want_order, order)
    return out_pos, (out_w if use_w else None), (order if want_order else None)
