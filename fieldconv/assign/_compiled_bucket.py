"""Numba counting sort of :mod:`fieldconv.assign`: particles ordered by their leading cells."""

import numpy as np

from . import _pool
from ._compiled_core import _wrapped, inline_kernel, kernel

__all__ = ["bucket"]


@inline_kernel  # inlined: an array-taking call per particle costs refcount traffic
def _bucket_key(pos, i, nka, org, invh, shape):
    key = np.int64(0)
    for a in range(nka):
        c = np.int64(_wrapped(pos[i, a], org[a], invh[a], 0.0, float(shape[a])))  # periodic NGP cell
        key = key * shape[a] + c
    return key


@kernel
def _count(pos, i0, i1, nka, org, invh, shape, cnt):
    """cnt[key] = number of particles i0 .. i1-1 with that key."""
    for i in range(i0, i1):
        cnt[_bucket_key(pos, i, nka, org, invh, shape)] += 1


@kernel
def _place(pos, wts, use_w, i0, i1, nka, org, invh, shape, offs, out_pos, out_w, want_order, order):
    """Copy particles i0 .. i1-1 to their sorted rows (offs[key]: the next free row of the key)."""
    ndim = pos.shape[1]
    for i in range(i0, i1):
        k = _bucket_key(pos, i, nka, org, invh, shape)
        j = offs[k]
        offs[k] = j + 1
        for a in range(ndim):
            out_pos[j, a] = pos[i, a]
        if use_w:
            out_w[j] = wts[i]
        if want_order:
            order[j] = i


def bucket(pos, wts, use_w, org, invh, shape, want_order=True, nka=None):
    """Stable O(N) counting sort by the leading two cell indices (periodic NGP cells).

    Parallel: per-thread histograms over contiguous chunks of particles, an
    exclusive prefix sum in (key, chunk) order, a parallel scatter; the
    output is the unique stable order, whatever the number of chunks.  Run
    inside ``backend.kernel_threads()``.
    """
    n = pos.shape[0]
    shape = np.asarray(shape, dtype=np.int64)
    if nka is None:
        nka = min(len(shape), 2)
    nkeys = int(np.prod(shape[:nka]))
    nt = _pool.num_threads(max(1, n // 4096))
    cut = _pool.split(n, nt)
    cnt = np.zeros((nt, nkeys), dtype=np.int64)
    _pool.run(lambda t: _count(pos, cut[t], cut[t + 1], nka, org, invh, shape, cnt[t]), nt)
    start = np.zeros(nkeys, dtype=np.int64)
    np.cumsum(cnt.sum(axis=0)[:-1], out=start[1:])
    offs = np.ascontiguousarray(start[None, :] + np.cumsum(cnt, axis=0) - cnt)  # (key, chunk) order
    out_pos = np.empty_like(pos)
    out_w = np.empty_like(wts) if use_w else np.zeros(1, wts.dtype)
    order = np.empty(n if want_order else 1, dtype=np.int64)
    _pool.run(lambda t: _place(pos, wts, use_w, cut[t], cut[t + 1], nka, org, invh, shape, offs[t], out_pos, out_w,
                               want_order, order), nt)
    return out_pos, (out_w if use_w else None), (order if want_order else None)
