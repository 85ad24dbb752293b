"""Numba painters of :mod:`fieldconv.assign`: the pre-pass scan and the deterministic row-parallel paint.

See :mod:`._compiled_core` for the conventions and :func:`paint_into` for
the strategy (sorted input, slab binning, streaming).
"""

import numpy as np
from numba import njit, prange

from ._compiled_core import (
    _NJ,
    _cell,
    _cic_axis,
    _deposit,
    _dropped,
    _like,
    _prefetchw,
    _stencil,
    _strides,
    _kind,
    _tsc_axis,
    _wrap_index,
)

_BLOCK = 4096


@njit(**_NJ)
def _scan_block(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p, i0, i1, bad, lo, hi):
    """Scan particles [i0, i1): fill bad[0:2], lo, hi; return (#outside, dropped mass)."""
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    strides = np.ones(ndim, dtype=np.int64)
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    flat = pos.reshape(-1)
    nb = 0
    for j in range(i0 * ndim, i1 * ndim):
        v = flat[j]
        nb += (v - v) != 0  # NaN and +-inf give NaN (branch-free, vectorisable)
    bad[0] += nb
    if use_w:
        nb = 0
        for i in range(i0, i1):
            v = wts[i]
            nb += (v - v) != 0
        bad[1] += nb
    nout = 0
    drop = 0.0
    if periodic or bad[0] or bad[1]:
        return nout, drop
    for i in range(i0, i1):
        out = False
        for a in range(ndim):
            nn = shape[a]
            c, f, far = _cell(pos, cells, use_cells, i, a, org[a], invh[a], shift, nn, False, p)
            if far:
                out = True
                continue
            first = c - half
            last = c - half + p - 1
            # the first tap has weight 0 exactly when f == 1 (p >= 2); the last when f == 0
            if p >= 2 and f == 1.0:
                first += 1
            if p >= 2 and f == 0.0:
                last -= 1
            if first < 0 or last >= nn:
                out = True
        if not out:
            continue
        nout += 1
        for a in range(ndim):
            if use_cells:
                v = (cells[i, a] + np.float64(pos[i, a])) / invh[a] + org[a]
            else:
                v = np.float64(pos[i, a])
            lo[a] = min(lo[a], v)
            hi[a] = max(hi[a], v)
        m = wscale
        if use_w:
            m = np.float64(wts[i]) * wscale
        far = _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                       False, p, idx, w, -1, 0, shape[0])
        if far:
            drop += m
        else:
            drop += _dropped(ndim, p, idx, w, m)
    return nout, drop


@njit(parallel=True, **_NJ)
def scan(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p):
    """Pre-pass over fixed blocks of 4096 particles (deterministic for any thread count).

    Returns (#non-finite coordinates, #non-finite weights, #outside, lo, hi,
    dropped mass).  A non-periodic particle is outside when a tap with a
    nonzero weight falls outside the mesh; lo/hi are the min/max per axis of
    the outside particles' coordinates; the dropped mass is the weight of
    those taps (summed per block, blocks summed in order).
    """
    n = pos.shape[0]
    ndim = pos.shape[1]
    nblk = (n + _BLOCK - 1) // _BLOCK
    bad = np.zeros((nblk, 2), dtype=np.int64)
    nout = np.zeros(nblk, dtype=np.int64)
    lo = np.full((nblk, ndim), np.inf)
    hi = np.full((nblk, ndim), -np.inf)
    drop = np.zeros(nblk)
    for b in prange(nblk):
        nout[b], drop[b] = _scan_block(pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p,
                                       b * _BLOCK, min(n, (b + 1) * _BLOCK), bad[b], lo[b], hi[b])
    return _scan_reduce(bad, nout, lo, hi, drop)


@njit(**_NJ)
def _scan_reduce(bad, nout, lo, hi, drop):
    ndim = lo.shape[1]
    tot_lo = np.full(ndim, np.inf)
    tot_hi = np.full(ndim, -np.inf)
    dsum = 0.0
    for b in range(lo.shape[0]):
        for a in range(ndim):
            tot_lo[a] = min(tot_lo[a], lo[b, a])
            tot_hi[a] = max(tot_hi[a], hi[b, a])
        dsum += drop[b]
    return bad[:, 0].sum(), bad[:, 1].sum(), nout.sum(), tot_lo, tot_hi, dsum


# ------------------------------------------------------------------ paint
@njit(**_NJ)
def _lead_hist(pos, cells, use_cells, org, invh, shape, periodic, p, step):
    """Histogram of the leading cell of every `step`-th particle (load balance only)."""
    n = pos.shape[0]
    shift = 0.5 if p % 2 == 0 else 0.0
    hist = np.zeros(shape[0], dtype=np.int64)
    for i in range(0, n, step):
        c, f, far = _cell(pos, cells, use_cells, i, 0, org[0], invh[0], shift, shape[0], periodic, p)
        if not far and 0 <= c < shape[0]:
            hist[c] += 1
    return hist


@njit(**_NJ)
def _paint_range(kind, pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides, periodic, p,
                 r0, r1, i0, i1):
    """Add the taps in rows [r0, r1) of the particles i0 .. i1-1, in index order."""
    if i1 <= i0:
        return
    if kind == 2:
        _cic3_rows(pos, wts, use_w, wscale, mesh, org, invh, shape, strides, r0, r1, i0, i1)
    elif kind == 3:
        _tsc3_rows(pos, wts, use_w, wscale, mesh, org, invh, shape, strides, r0, r1, i0, i1)
    else:
        _rows_generic(pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides,
                      periodic, p, r0, r1, i0, i1)




@njit(parallel=True, **_NJ)
def _paint_rows(pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, periodic, p, bounds, ranges,
                interior):
    """Thread t adds the taps whose leading row lies in [bounds[t], bounds[t+1]).

    Thread t streams over the particle index ranges ranges[t, 0] then
    ranges[t, 1] (ascending, disjoint; all particles for unsorted input,
    only those whose window can reach its rows for input sorted by leading
    cell), so each mesh element receives its additions in particle order
    whatever the number of threads.  Particles in interior[t, 0] ..
    interior[t, 1] - 1 reach only rows of thread t: they skip the row test.
    """
    strides = _strides(shape)
    kind = _kind(pos.shape[1], p, periodic, use_cells, shape)
    n0 = shape[0]
    nt = bounds.shape[0] - 1
    for t in prange(nt):
        r0 = bounds[t]
        r1 = bounds[t + 1]
        for q in range(2):
            i0 = ranges[t, q, 0]
            i1 = ranges[t, q, 1]
            ia = max(i0, min(i1, interior[t, 0]))
            ib = max(ia, min(i1, interior[t, 1]))
            _paint_range(kind, pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides,
                         periodic, p, r0, r1, i0, ia)
            _paint_range(kind, pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides,
                         periodic, p, 0, n0, ia, ib)
            _paint_range(kind, pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides,
                         periodic, p, r0, r1, ib, i1)


# --------------------------------------------------------------- binning
#: Particles binned per pass.  A constant, so that the order in which a mesh
#: element receives its additions never depends on the number of threads.
BIN_BLOCK = 1 << 21
#: Meshes of at least this many bytes are painted through slab bins.
BIN_MIN_BYTES = 1 << 21
#: Target bytes of mesh per slab (whole rows of the leading axis, a power of
#: two of them): a slab and its neighbour rows stay in a core's L2 cache.
SLAB_BYTES = 1 << 18
_BIN_SUB = 1 << 14  # particles per sub-block of the parallel counting sort


@njit(inline="always", **_NJ)
def _slab(pos, i, org0, invh0, n0, periodic, rshift):
    """Slab of particle i: its leading NGP row (clamped when non-periodic) >> rshift."""
    if periodic:
        c = _lead_cell(pos, i, org0, invh0, n0)
    else:
        t = (np.float64(pos[i, 0]) - org0) * invh0
        if t >= 0.0 and t < n0:
            c = np.int64(t)
        elif t >= n0:
            c = n0 - 1
        else:
            c = np.int64(0)
    return c >> rshift


@njit(parallel=True, **_NJ)
def _bin(pos, wts, use_w, i0, i1, org0, invh0, n0, periodic, rshift, hist, buf, wbuf, start):
    """Stable counting sort of particles i0 .. i1-1 by slab into buf / wbuf.

    The sub-blocks are fixed (``_BIN_SUB`` particles), so the order (slab,
    then particle index) is the same for any number of threads.  start[s]
    is the first row of slab s in buf.
    """
    nslab = start.shape[0] - 1
    ndim = pos.shape[1]
    nsub = (i1 - i0 + _BIN_SUB - 1) // _BIN_SUB
    for b in prange(nsub):
        a = i0 + b * _BIN_SUB
        e = min(i1, a + _BIN_SUB)
        for k in range(nslab):
            hist[b, k] = 0
        for i in range(a, e):
            hist[b, _slab(pos, i, org0, invh0, n0, periodic, rshift)] += 1
    tot = np.int64(0)
    for k in range(nslab):
        start[k] = tot
        for b in range(nsub):
            c = hist[b, k]
            hist[b, k] = tot
            tot += c
    start[nslab] = tot
    last = buf.shape[0] - 1
    for b in prange(nsub):
        a = i0 + b * _BIN_SUB
        e = min(i1, a + _BIN_SUB)
        for i in range(a, e):
            k = _slab(pos, i, org0, invh0, n0, periodic, rshift)
            j = hist[b, k]
            hist[b, k] = j + 1
            # up to hundreds of slabs are filled at once: more write streams than the
            # hardware prefetcher follows, so ask for each slab's next line ourselves
            _prefetchw(buf, min(j + 16, last) * ndim)
            for d in range(ndim):
                buf[j, d] = pos[i, d]
            if use_w:
                wbuf[j] = wts[i]


@njit(inline="always", **_NJ)
def _reaches(lo, hi, r0, r1, n0):
    """True when rows [lo, hi), taken cyclically mod n0, meet rows [r0, r1)."""
    if hi - lo >= n0:
        return True
    for sh in (-n0, 0, n0):
        if lo + sh < r1 and hi + sh > r0:
            return True
    return False


@njit(parallel=True, **_NJ)
def _paint_slabs(buf, wbuf, use_w, wscale, mesh, org, invh, shape, periodic, p, bounds, start, rshift):
    """Thread t paints, slab after slab, the binned particles that can reach its rows.

    A particle in leading NGP row g has taps within rows g - p .. g + p, so
    slab s (rows [s << rshift, (s + 1) << rshift)) can reach rows
    [(s << rshift) - p - 1, ((s + 1) << rshift) + p + 1).  Every thread
    visits slabs in ascending order, so each element receives its additions
    in (slab, particle index) order whatever the number of threads.
    """
    strides = _strides(shape)
    kind = _kind(buf.shape[1], p, periodic, False, shape)
    n0 = shape[0]
    nslab = start.shape[0] - 1
    nt = bounds.shape[0] - 1
    row_lines = max(1, strides[0] * mesh.itemsize // 64)
    sink = np.zeros(nt)
    for t in prange(nt):
        r0 = bounds[t]
        r1 = bounds[t + 1]
        for s in range(nslab):
            cnt = start[s + 1] - start[s]
            if cnt == 0:
                continue
            lo = (s << rshift) - p - 1
            hi = ((s + 1) << rshift) + p + 1
            if not _reaches(lo, hi, r0, r1, n0):
                continue
            # Bring the slab's rows into cache with one sequential sweep (the hardware
            # prefetcher streams it) rather than one random miss per first touch, when the
            # particles touch about as many cache lines as the rows hold.
            a = max(r0, (s << rshift) - 1)
            b = min(r1, ((s + 1) << rshift) + p)
            if b > a and cnt * p * p >= (b - a) * row_lines:
                sink[t] += _sweep(mesh, a * strides[0], b * strides[0])
            # a slab whose reach lies inside this thread's rows needs no row filter
            inside = r0 <= lo and hi <= r1
            _paint_range(kind, buf, buf, False, wbuf, use_w, wscale, mesh, org, invh, shape, strides,
                         periodic, p, 0 if inside else r0, n0 if inside else r1, start[s], start[s + 1])
    return sink.sum()


@njit(**_NJ)
def _sweep(mesh, a, b):
    """Read one element per 64-byte line of mesh[a:b] (a cache warm-up; the sum is discarded)."""
    step = max(1, 64 // mesh.itemsize)
    acc = 0.0
    for j in range(a, b, step):
        acc += mesh[j]
    return acc


@njit(**_NJ)
def _rows_generic(pos, cells, use_cells, wts, use_w, wscale, mesh, org, invh, shape, strides, periodic, p, r0, r1, i0, i1):
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    n0 = shape[0]
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    for i in range(i0, i1):
        c, f, far = _cell(pos, cells, use_cells, i, 0, org[0], invh[0], shift, n0, periodic, p)
        if far:
            continue
        mine = False
        for k in range(p):
            j = c - half + k
            if periodic:
                j = _wrap_index(j, n0)
            if r0 <= j < r1:
                mine = True
        if not mine:
            continue
        m = wscale
        if use_w:
            m = np.float64(wts[i]) * wscale
        _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides,
                 periodic, p, idx, w, -1, r0, r1)
        _deposit(mesh, ndim, p, idx, w, m)




@njit(**_NJ)
def _cic3_rows(pos, wts, use_w, wscale, mesh, org, invh, shape, strides, r0, r1, i0, i1):
    """Unrolled periodic 3-D CIC, same products in the same order as the generic path.

    Flat offsets are unsigned (they are never negative here), which spares
    numba's negative-index wraparound test on each of the 8 updates.
    """
    n0 = shape[0]
    n1 = shape[1]
    n2 = shape[2]
    f0n = float(n0)
    f1n = float(n1)
    f2n = float(n2)
    s0 = np.uint64(strides[0])
    s1 = np.uint64(strides[1])
    # scalars, not array reads in the loop: a store into the mesh could alias org/invh for
    # all the compiler knows, so array elements would be reloaded after every update
    o0, o1, o2 = org[0], org[1], org[2]
    h0, h1, h2 = invh[0], invh[1], invh[2]
    everything = r0 == 0 and r1 == n0
    for i in range(i0, i1):
        c0, c0b, f0 = _cic_axis(pos[i, 0], o0, h0, n0, f0n)
        in_a = everything or (r0 <= c0 < r1)
        in_b = everything or (r0 <= c0b < r1)
        if not (in_a or in_b):
            continue
        c1, c1b, f1 = _cic_axis(pos[i, 1], o1, h1, n1, f1n)
        c2, c2b, f2 = _cic_axis(pos[i, 2], o2, h2, n2, f2n)
        m = wscale
        if use_w:
            m = np.float64(wts[i]) * wscale
        j1a = np.uint64(c1) * s1
        j1b = np.uint64(c1b) * s1
        k2a = np.uint64(c2)
        k2b = np.uint64(c2b)
        g1 = 1.0 - f1
        g2 = 1.0 - f2
        if in_a:
            v0 = m * (1.0 - f0)
            base = np.uint64(c0) * s0
            v1 = v0 * g1
            mesh[base + j1a + k2a] += _like(mesh, v1 * g2)
            mesh[base + j1a + k2b] += _like(mesh, v1 * f2)
            v1 = v0 * f1
            mesh[base + j1b + k2a] += _like(mesh, v1 * g2)
            mesh[base + j1b + k2b] += _like(mesh, v1 * f2)
        if in_b:
            v0 = m * f0
            base = np.uint64(c0b) * s0
            v1 = v0 * g1
            mesh[base + j1a + k2a] += _like(mesh, v1 * g2)
            mesh[base + j1a + k2b] += _like(mesh, v1 * f2)
            v1 = v0 * f1
            mesh[base + j1b + k2a] += _like(mesh, v1 * g2)
            mesh[base + j1b + k2b] += _like(mesh, v1 * f2)




@njit(**_NJ)
def _tsc3_rows(pos, wts, use_w, wscale, mesh, org, invh, shape, strides, r0, r1, i0, i1):
    """Unrolled periodic 3-D TSC, same products in the same order as the generic path."""
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]  # scalars: see _cic3_rows
    h0, h1, h2 = invh[0], invh[1], invh[2]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    for i in range(i0, i1):
        j0, w0 = _tsc_axis(pos[i, 0], o0, h0, n0)
        if not ((r0 <= j0[0] < r1) or (r0 <= j0[1] < r1) or (r0 <= j0[2] < r1)):
            continue
        j1, w1 = _tsc_axis(pos[i, 1], o1, h1, n1)
        j2, w2 = _tsc_axis(pos[i, 2], o2, h2, n2)
        m = wscale
        if use_w:
            m = np.float64(wts[i]) * wscale
        for k0 in range(3):
            row = j0[k0]
            if not (r0 <= row < r1):
                continue
            v0 = m * w0[k0]
            b0 = row * s0
            for k1 in range(3):
                v1 = v0 * w1[k1]
                b1 = b0 + j1[k1] * s1
                mesh[b1 + j2[0]] += _like(mesh, v1 * w2[0])
                mesh[b1 + j2[1]] += _like(mesh, v1 * w2[1])
                mesh[b1 + j2[2]] += _like(mesh, v1 * w2[2])


@njit(inline="always", **_NJ)
def _lead_cell(pos, i, org0, invh0, n0):
    """Periodic NGP cell of particle i on the leading axis (the bucket key's first part)."""
    c, f, far = _cell(pos, pos, False, i, 0, org0, invh0, 0.0, n0, True, 1)
    return np.int64(c)


@njit(parallel=True, **_NJ)
def _lead_sorted(pos, org0, invh0, n0, nchunk):
    """True when the leading NGP cell is non-decreasing in particle order.

    Each chunk stops at its first descent, so unsorted input costs little.
    """
    n = pos.shape[0]
    ok = np.ones(nchunk, dtype=np.bool_)
    for t in prange(nchunk):
        i0 = t * n // nchunk
        i1 = min(n, (t + 1) * n // nchunk + 1)  # overlap one particle with the next chunk
        prev = np.int64(-1)
        for i in range(i0, i1):
            c = _lead_cell(pos, i, org0, invh0, n0)
            if c < prev:
                ok[t] = False
                break
            prev = c
    return ok.all()


@njit(**_NJ)
def _lower_bound(pos, org0, invh0, n0, cell):
    """First particle index whose leading cell is >= cell (input sorted by leading cell)."""
    lo = np.int64(0)
    hi = np.int64(pos.shape[0])
    while lo < hi:
        mid = (lo + hi) // 2
        if _lead_cell(pos, mid, org0, invh0, n0) < cell:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(**_NJ)
def _sorted_ranges(pos, org0, invh0, n0, p, bounds, ranges, interior):
    """Particle index ranges of each thread for input sorted by leading cell.

    A particle in leading NGP cell g touches rows within g - p .. g + p
    (cyclically; the window spans p rows next to cell floor(u - shift), which
    is g or g - 1 up to the rounding of the wrap), so thread t needs only the
    cells [r0 - p - 1, r1 + p + 1).  Extra particles are harmless (the
    painter filters its rows); none that touches the rows is left out, and
    the ranges are visited in ascending index order.
    """
    nt = bounds.shape[0] - 1
    n = pos.shape[0]
    for t in range(nt):
        a = bounds[t] - p - 1
        b = bounds[t + 1] + p + 1
        ranges[t, 1, 0] = 0
        ranges[t, 1, 1] = 0
        if b - a >= n0:
            ranges[t, 0, 0] = 0
            ranges[t, 0, 1] = n
        elif a < 0:  # cells [0, b) then [a + n0, n0): ascending indices
            ranges[t, 0, 0] = 0
            ranges[t, 0, 1] = _lower_bound(pos, org0, invh0, n0, b)
            ranges[t, 1, 0] = _lower_bound(pos, org0, invh0, n0, a + n0)
            ranges[t, 1, 1] = n
        elif b > n0:  # cells [0, b - n0) then [a, n0)
            ranges[t, 0, 0] = 0
            ranges[t, 0, 1] = _lower_bound(pos, org0, invh0, n0, b - n0)
            ranges[t, 1, 0] = _lower_bound(pos, org0, invh0, n0, a)
            ranges[t, 1, 1] = n
        else:
            ranges[t, 0, 0] = _lower_bound(pos, org0, invh0, n0, a)
            ranges[t, 0, 1] = _lower_bound(pos, org0, invh0, n0, b)
        # cells [r0 + p + 1, r1 - p - 1) reach rows r0 + 1 .. r1 - 2 only: no row test there
        ca = bounds[t] + p + 1
        cb = bounds[t + 1] - p - 1
        if cb > ca:
            interior[t, 0] = _lower_bound(pos, org0, invh0, n0, ca)
            interior[t, 1] = _lower_bound(pos, org0, invh0, n0, cb)


def _slab_shift(shape, itemsize):
    """log2 of the rows per slab: the most rows (a power of two) within ``SLAB_BYTES``."""
    row = int(itemsize) * int(np.prod(shape[1:]))
    rows = max(1, SLAB_BYTES // max(1, row))
    return int(rows).bit_length() - 1


def binned(shape, itemsize, use_cells):
    """True when :func:`paint_into` paints unsorted particles through slab bins."""
    return not use_cells and int(np.prod(shape)) * int(itemsize) >= BIN_MIN_BYTES


def paint_into(mesh_flat, pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p, nthreads):
    """Paint all particles into the flat C-ordered mesh.

    The rows of the leading axis are split among `nthreads` threads, balanced
    on a sample of the particles; the split does not change the result.
    Input sorted by leading cell (e.g. by :func:`bucket`) is painted in place,
    each thread visiting only the particles that can reach its rows.  Other
    input on a mesh of at least ``BIN_MIN_BYTES`` is binned by slab of
    leading rows, ``BIN_BLOCK`` particles at a time (scratch: one block of
    positions and weights), and painted slab by slab, so the mesh rows being
    written stay in cache; elements then receive their additions in (block,
    slab, particle) order.  Smaller meshes are painted straight from the input.
    """
    import numba

    shape = np.asarray(shape, dtype=np.int64)
    n0 = int(shape[0])
    nt = max(1, min(int(nthreads), n0, numba.get_num_threads()))
    n = pos.shape[0]
    if nt > 1 and n >= 64 * nt:
        step = max(1, n // 16384)  # ~16k samples: bounds within ~1 % of balanced
        hist = _lead_hist(pos, cells, use_cells, org, invh, shape, periodic, p, step).astype(np.float64)
        cum = np.cumsum(hist + hist.sum() / (10.0 * n0) + 1e-9)  # a floor so empty rows still split
        bounds = np.searchsorted(cum, cum[-1] * np.arange(1, nt) / nt, side="right")
        bounds = np.concatenate([[0], np.maximum.accumulate(bounds), [n0]]).astype(np.int64)
    else:
        bounds = np.array([0, n0], dtype=np.int64)
    nb = bounds.shape[0] - 1
    ranges = np.zeros((nb, 2, 2), dtype=np.int64)
    ranges[:, 0, 1] = n
    interior = np.zeros((nb, 2), dtype=np.int64)
    o0, i0 = float(org[0]), float(invh[0])
    bin_ = binned(shape, mesh_flat.itemsize, use_cells)
    # sortedness decides the path when binning applies, and otherwise only whether threads
    # may skip particles (periodic, several threads); the early-exit pass is spared elsewhere
    sorted_ = (not use_cells and n0 > 2 * p + 2 and n > 1 and (bin_ or (nb > 1 and periodic))
               and _lead_sorted(pos, o0, i0, n0, max(nb, numba.get_num_threads())))
    if sorted_ or not bin_:
        if sorted_ and nb > 1 and periodic:
            _sorted_ranges(pos, o0, i0, n0, p, bounds, ranges, interior)
        _paint_rows(pos, cells, use_cells, wts, use_w, wscale, mesh_flat, org, invh, shape, periodic, p,
                    bounds, ranges, interior)
        return
    rshift = _slab_shift(shape, mesh_flat.itemsize)
    nslab = ((n0 - 1) >> rshift) + 1
    blk = min(n, BIN_BLOCK)
    hist = np.empty(((blk + _BIN_SUB - 1) // _BIN_SUB, nslab), dtype=np.int64)
    buf = np.empty((blk, pos.shape[1]), dtype=pos.dtype)
    wbuf = np.empty(blk if use_w else 1, dtype=wts.dtype)
    start = np.empty(nslab + 1, dtype=np.int64)
    for a in range(0, n, BIN_BLOCK):
        e = min(n, a + BIN_BLOCK)
        _bin(pos, wts, use_w, a, e, o0, i0, n0, periodic, rshift, hist, buf, wbuf, start)
        _paint_slabs(buf[: e - a], wbuf, use_w, wscale, mesh_flat, org, invh, shape, periodic, p, bounds, start,
                     rshift)


# ---------------------------------------------------------------- readout
