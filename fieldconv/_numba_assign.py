"""Numba kernels of :mod:`fieldconv.assign` (imported on first use only).

Conventions (see ``docs/assign.md``): grid coordinate ``u = (x - origin)/h``;
a scheme of order ``p`` (1 NGP, 2 CIC, 3 TSC, 4 PCS) touches the cells
``c - (p-1)//2 + k``, ``k = 0..p-1``, where ``c = floor(u - shift)``,
``shift = 1/2`` for even ``p`` and 0 for odd ``p``, with weights given by the
B-spline of order ``p`` evaluated at ``f = u - shift - c`` in ``[0, 1]``.
Every index is int64, the coordinate is float64 whatever the input dtype.

Painting is parallel without atomics and deterministic: particles are
processed in fixed-size chunks; inside a chunk they are counting-sorted
(stable) into slabs of at least ``p`` rows of the leading mesh axis, and the
even slabs then the odd slabs are painted in parallel (two slabs of the same
parity never touch the same row).  The order of the additions into every
mesh element depends only on the particle order, the chunk size and the slab
layout (a function of the mesh shape and the scheme), never on the number of
threads.
"""

import numpy as np
from numba import njit, prange

_NJ = dict(cache=True, fastmath=False, nogil=True)


@njit(inline="always", **_NJ)
def _bspline(p, f, w, a):
    """Weights of the order-p B-spline at fraction f in [0, 1] into w[a, :p]."""
    if p == 1:
        w[a, 0] = 1.0
    elif p == 2:
        w[a, 0] = 1.0 - f
        w[a, 1] = f
    elif p == 3:
        d = f - 0.5
        w[a, 0] = 0.5 * (0.5 - d) * (0.5 - d)
        w[a, 1] = 0.75 - d * d
        w[a, 2] = 0.5 * (0.5 + d) * (0.5 + d)
    else:
        g = 1.0 - f
        f2 = f * f
        g2 = g * g
        w[a, 0] = g2 * g / 6.0
        w[a, 1] = (4.0 - 6.0 * f2 + 3.0 * f2 * f) / 6.0
        w[a, 2] = (4.0 - 6.0 * g2 + 3.0 * g2 * g) / 6.0
        w[a, 3] = f2 * f / 6.0


@njit(inline="always", **_NJ)
def _bspline_deriv(p, f, w, a):
    """d/du of the weights (per grid unit) into w[a, :p]."""
    if p == 1:
        w[a, 0] = 0.0
    elif p == 2:
        w[a, 0] = -1.0
        w[a, 1] = 1.0
    elif p == 3:
        d = f - 0.5
        w[a, 0] = -(0.5 - d)
        w[a, 1] = -2.0 * d
        w[a, 2] = 0.5 + d
    else:
        g = 1.0 - f
        w[a, 0] = -0.5 * g * g
        w[a, 1] = (-12.0 * f + 9.0 * f * f) / 6.0
        w[a, 2] = -(-12.0 * g + 9.0 * g * g) / 6.0
        w[a, 3] = 0.5 * f * f


@njit(inline="always", **_NJ)
def _cell(pos, cells, use_cells, i, a, org, invh, shift, n, periodic, p):
    """(cell c, fraction f, far) of particle i on axis a.

    far is True when a non-periodic particle lies so far outside that none of
    its window can touch the mesh (then c and f are meaningless).
    """
    nf = float(n)
    if use_cells:
        t = pos[i, a] - shift
        fl = np.floor(t)
        c = cells[i, a] + np.int64(fl)
        f = t - fl
        if periodic:
            c = c % n
            return c, f, False
        if c < -p - 1 or c > n + p + 1:
            return np.int64(0), 0.0, True
        return c, f, False
    t = (np.float64(pos[i, a]) - org) * invh - shift
    if periodic:
        t = t - nf * np.floor(t / nf)
        if t < 0.0:
            t += nf
        if t >= nf:
            t -= nf
        if not (t >= 0.0 and t < nf):
            t = 0.0
    elif not (t > -p - 1.0 and t < nf + p + 1.0):
        return np.int64(0), 0.0, True
    fl = np.floor(t)
    return np.int64(fl), t - fl, False


@njit(inline="always", **_NJ)
def _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, deriv):
    """Fill idx[a, k] (flat offsets, -1 outside a non-periodic mesh) and w[a, k].

    With deriv >= 0, axis `deriv` gets derivative weights.  Returns far.
    """
    half = (p - 1) // 2
    for a in range(ndim):
        n = shape[a]
        c, f, far = _cell(pos, cells, use_cells, i, a, org[a], invh[a], shift, n, periodic, p)
        if far:
            return True
        if a == deriv:
            _bspline_deriv(p, f, w, a)
        else:
            _bspline(p, f, w, a)
        for k in range(p):
            j = c - half + k
            if periodic:
                while j < 0:
                    j += n
                while j >= n:
                    j -= n
                idx[a, k] = j * strides[a]
            elif j < 0 or j >= n:
                idx[a, k] = -1
            else:
                idx[a, k] = j * strides[a]
    return False


@njit(inline="always", **_NJ)
def _deposit(mesh, ndim, p, idx, w, m):
    """Add m * prod_a w[a, k_a] at the flat offsets; return the mass outside."""
    dropped = 0.0
    if ndim == 1:
        for k0 in range(p):
            v = m * w[0, k0]
            if idx[0, k0] < 0:
                dropped += v
            else:
                mesh[idx[0, k0]] += v
    elif ndim == 2:
        for k0 in range(p):
            v0 = m * w[0, k0]
            i0 = idx[0, k0]
            for k1 in range(p):
                v = v0 * w[1, k1]
                i1 = idx[1, k1]
                if i0 < 0 or i1 < 0:
                    dropped += v
                else:
                    mesh[i0 + i1] += v
    else:
        for k0 in range(p):
            v0 = m * w[0, k0]
            i0 = idx[0, k0]
            for k1 in range(p):
                v1 = v0 * w[1, k1]
                i1 = idx[1, k1]
                for k2 in range(p):
                    v = v1 * w[2, k2]
                    i2 = idx[2, k2]
                    if i0 < 0 or i1 < 0 or i2 < 0:
                        dropped += v
                    else:
                        mesh[i0 + i1 + i2] += v
    return dropped


@njit(inline="always", **_NJ)
def _gather(mesh, ndim, p, idx, w):
    """sum prod_a w[a, k_a] * mesh[offset] (cells outside a non-periodic mesh read 0)."""
    acc = 0.0
    if ndim == 1:
        for k0 in range(p):
            if idx[0, k0] >= 0:
                acc += w[0, k0] * mesh[idx[0, k0]]
    elif ndim == 2:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            s = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 >= 0:
                    s += w[1, k1] * mesh[i0 + i1]
            acc += w[0, k0] * s
    else:
        for k0 in range(p):
            i0 = idx[0, k0]
            if i0 < 0:
                continue
            s0 = 0.0
            for k1 in range(p):
                i1 = idx[1, k1]
                if i1 < 0:
                    continue
                s1 = 0.0
                for k2 in range(p):
                    i2 = idx[2, k2]
                    if i2 >= 0:
                        s1 += w[2, k2] * mesh[i0 + i1 + i2]
                s0 += w[1, k1] * s1
            acc += w[0, k0] * s0
    return acc


# ----------------------------------------------------------------- checks
@njit(parallel=True, **_NJ)
def scan(pos, cells, use_cells, wts, use_w, org, invh, shape, periodic, p):
    """Pre-pass: (#non-finite positions, #non-finite weights, #outside, lo, hi).

    A non-periodic particle is outside when its window leaves the mesh, i.e.
    u - shift outside [(p-1)//2 ... ] -- precisely: when any of the cells it
    touches with a nonzero weight is outside [0, n).  lo/hi are the min/max
    per axis of the coordinates of the outside particles.
    """
    n = pos.shape[0]
    ndim = pos.shape[1]
    bad_x = 0
    bad_w = 0
    nout = 0
    lo = np.full(ndim, np.inf)
    hi = np.full(ndim, -np.inf)
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    for a in range(ndim):
        bx = 0
        for i in prange(n):
            v = np.float64(pos[i, a])
            if not np.isfinite(v):
                bx += 1
        bad_x += bx
    if use_w:
        for i in prange(n):
            if not np.isfinite(np.float64(wts[i])):
                bad_w += 1
    if bad_x or bad_w or periodic:
        return bad_x, bad_w, nout, lo, hi
    flags = np.zeros(n, dtype=np.uint8)
    for i in prange(n):
        out = False
        for a in range(ndim):
            nn = shape[a]
            if use_cells:
                t = pos[i, a] - shift
                fl = np.floor(t)
                c = cells[i, a] + np.int64(fl)
                f = t - fl
                if c < -p - 1 or c > nn + p + 1:
                    out = True
                    continue
            else:
                t = (np.float64(pos[i, a]) - org[a]) * invh[a] - shift
                if not (t > -p - 1.0 and t < nn + p + 1.0):
                    out = True
                    continue
                fl = np.floor(t)
                c = np.int64(fl)
                f = t - fl
            first = c - half
            last = c - half + p - 1
            # the first tap has weight 0 exactly when f == 1 (p >= 2); the last when f == 0
            if p >= 2 and f == 1.0:
                first += 1
            if p >= 2 and f == 0.0:
                last -= 1
            if first < 0 or last >= nn:
                out = True
        if out:
            flags[i] = 1
    for i in range(n):
        if flags[i]:
            nout += 1
            for a in range(ndim):
                if use_cells:
                    v = (cells[i, a] + np.float64(pos[i, a])) / invh[a] + org[a]
                else:
                    v = np.float64(pos[i, a])
                lo[a] = min(lo[a], v)
                hi[a] = max(hi[a], v)
    return bad_x, bad_w, nout, lo, hi


# ------------------------------------------------------------------ paint
@njit(parallel=True, **_NJ)
def _lead_rows(pos, cells, use_cells, org, invh, shape, periodic, p, lead):
    n = pos.shape[0]
    shift = 0.5 if p % 2 == 0 else 0.0
    n0 = shape[0]
    for i in prange(n):
        c, f, far = _cell(pos, cells, use_cells, i, 0, org[0], invh[0], shift, n0, periodic, p)
        if far or c < 0:
            c = 0
        elif c >= n0:
            c = n0 - 1
        lead[i] = c


@njit(**_NJ)
def _slab_sort(lead, n, row_slab, nslab, start, perm):
    """Stable counting sort of lead[:n] by slab; start has nslab + 1 entries."""
    start[:] = 0
    for i in range(n):
        start[row_slab[lead[i]] + 1] += 1
    for s in range(nslab):
        start[s + 1] += start[s]
    fill = start[:nslab].copy()
    for i in range(n):
        s = row_slab[lead[i]]
        perm[fill[s]] = i
        fill[s] += 1


@njit(parallel=True, **_NJ)
def _paint_slabs(pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides,
                 periodic, p, nslab, start, perm, dropped):
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    npair = (nslab + 1) // 2
    for phase in range(2):
        for q in prange(npair):
            s = 2 * q + phase
            if s >= nslab:
                continue
            idx = np.empty((3, 4), dtype=np.int64)
            w = np.empty((3, 4), dtype=np.float64)
            drop = 0.0
            for t in range(start[s], start[s + 1]):
                i = perm[t]
                m = wscale
                if use_w:
                    m = np.float64(wts[i]) * wscale
                far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                               periodic, p, idx, w, -1)
                if far:
                    drop += m
                else:
                    drop += _deposit(mesh, ndim, p, idx, w, m)
            dropped[s] += drop


def paint_into(mesh_flat, pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p, chunk):
    """Paint all particles into the flat C-ordered mesh; return the dropped mass.

    `chunk` fixes the summation order together with the slab layout, so it
    must not depend on the thread count.
    """
    shape = np.asarray(shape, dtype=np.int64)
    strides = np.ones(len(shape), dtype=np.int64)
    for a in range(len(shape) - 2, -1, -1):
        strides[a] = strides[a + 1] * shape[a + 1]
    n0 = int(shape[0])
    nslab = max(1, n0 // max(p, 2))
    if nslab > 1 and nslab % 2:
        nslab -= 1
    row_slab = ((np.arange(n0, dtype=np.int64) * nslab) // n0).astype(np.int64)
    n = pos.shape[0]
    size = min(chunk, max(n, 1))
    lead = np.empty(size, dtype=np.int64)
    perm = np.empty(size, dtype=np.int64)
    start = np.empty(nslab + 1, dtype=np.int64)
    dropped = np.zeros(nslab, dtype=np.float64)
    total = 0.0
    for s0 in range(0, n, chunk):
        s1 = min(n, s0 + chunk)
        P = pos[s0:s1]
        C = cells[s0:s1] if use_cells else cells
        W = wts[s0:s1] if use_w else wts
        _lead_rows(P, C, use_cells, org, invh, shape, periodic, p, lead)
        _slab_sort(lead, s1 - s0, row_slab, nslab, start, perm)
        dropped[:] = 0.0
        _paint_slabs(P, C, use_cells, W, use_w, wscale, mesh_flat, org, invh, shape, strides,
                     periodic, p, nslab, start, perm, dropped)
        for s in range(nslab):
            total += dropped[s]
    return total


# ---------------------------------------------------------------- readout
@njit(parallel=True, **_NJ)
def readout_kernel(mesh, pos, cells, use_cells, org, invh, shape, periodic, p, deriv, scale, out):
    """out[i] = scale * (interpolant or its derivative along `deriv`) at particle i."""
    n = pos.shape[0]
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    strides = np.ones(ndim, dtype=np.int64)
    for a in range(ndim - 2, -1, -1):
        strides[a] = strides[a + 1] * shape[a + 1]
    nblk = (n + 4095) // 4096
    for b in prange(nblk):
        idx = np.empty((3, 4), dtype=np.int64)
        w = np.empty((3, 4), dtype=np.float64)
        for i in range(b * 4096, min(n, (b + 1) * 4096)):
            far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                           periodic, p, idx, w, deriv)
            if far:
                out[i] = 0.0
            else:
                out[i] = scale * _gather(mesh, ndim, p, idx, w)


# ---------------------------------------------------------------- bucket
@njit(parallel=True, **_NJ)
def _bucket_keys(pos, org, invh, shape, keys):
    n = pos.shape[0]
    ndim = pos.shape[1]
    for i in prange(n):
        key = np.int64(0)
        for a in range(min(ndim, 2)):
            c, f, far = _cell(pos, pos, False, i, a, org[a], invh[a], 0.0, shape[a], True, 1)
            key = key * shape[a] + c
        keys[i] = key


@njit(**_NJ)
def _bucket_scatter(pos, wts, use_w, keys, nkeys, out_pos, out_w, order):
    n = pos.shape[0]
    ndim = pos.shape[1]
    start = np.zeros(nkeys + 1, dtype=np.int64)
    for i in range(n):
        start[keys[i] + 1] += 1
    for k in range(nkeys):
        start[k + 1] += start[k]
    for i in range(n):
        k = keys[i]
        j = start[k]
        start[k] = j + 1
        for a in range(ndim):
            out_pos[j, a] = pos[i, a]
        if use_w:
            out_w[j] = wts[i]
        order[j] = i


def bucket(pos, wts, use_w, org, invh, shape):
    """Stable O(N) counting sort by the leading two cell indices (periodic NGP cells)."""
    n = pos.shape[0]
    shape = np.asarray(shape, dtype=np.int64)
    keys = np.empty(n, dtype=np.int64)
    _bucket_keys(pos, org, invh, shape, keys)
    nkeys = int(np.prod(shape[: min(len(shape), 2)]))
    out_pos = np.empty_like(pos)
    out_w = np.empty_like(wts) if use_w else wts
    order = np.empty(n, dtype=np.int64)
    _bucket_scatter(pos, wts, use_w, keys, nkeys, out_pos, out_w, order)
    return out_pos, (out_w if use_w else None), order
