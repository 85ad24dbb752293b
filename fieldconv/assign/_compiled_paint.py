"""Numba painters of :mod:`fieldconv.assign`: the deterministic row-parallel paint.

Painting is parallel without atomics and deterministic: the rows of the
leading mesh axis are split into one contiguous range per thread, and each
thread adds only the taps that fall in its rows.  Each mesh element is
therefore written by one thread, in an order fixed by the input alone: the
mesh is the same bit for bit for any number of threads and any row split
(the split is only balanced on a sample of the particles).  Input sorted by
leading cell is painted in particle order, each thread reading only the
particles near its rows; unsorted input on a mesh larger than a core's cache
is first binned by slab of leading rows (:mod:`._compiled_bin`) and painted
slab by slab, in (block, slab, particle) order; unsorted input on a small
mesh is streamed whole by every thread, in particle order.

Painters share one signature, ``painter(pos, cells, wts, mesh, geo, opt,
r0, r1, i0, i1)``: add the taps in rows ``[r0, r1)`` of particles
``i0 .. i1-1`` (``geo``/``opt`` as in :mod:`._compiled_core`).  Only the
painter a call needs is compiled: Python picks it, and the slab driver
selects it with arguments that are None or not (branches numba prunes).
"""

import numpy as np

from . import _compiled_bin as _bins
from . import _pool
from ._compiled_core import (
    _cic_axis,
    _deposit,
    _like,
    _lead_row,
    _stencil,
    _sweep,
    _tsc_axis,
    _wrap_index,
    _cell,
    inline_kernel,
    kernel,
    strides_of,
    unrolled_kind,
)
from ._compiled_scan import scan

__all__ = ["paint_into", "scan"]


# ---------------------------------------------------------------- painters
@kernel
def rows_generic(pos, cells, wts, mesh, geo, opt, r0, r1, i0, i1):
    """Any dimension, scheme, boundary; (cells, offsets) positions."""
    org, invh, shape, strides = geo
    periodic, p, use_cells, use_w, wscale = opt
    ndim = pos.shape[1]
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    n0 = shape[0]
    idx = np.empty((3, 4), dtype=np.int64)
    w = np.empty((3, 4), dtype=np.float64)
    fr = np.empty(3, dtype=np.float64)
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
        if _stencil(pos, cells, use_cells, i, ndim, org, invh, shift, shape, strides, periodic, p, idx, w, fr, r0, r1):
            continue  # far along another axis: nothing of it lands on the mesh
        _deposit(mesh, ndim, p, idx, w, m)


@kernel
def rows_cic3(pos, cells, wts, mesh, geo, opt, r0, r1, i0, i1):
    """Unrolled periodic 3-D CIC, same products in the same order as the generic path.

    Flat offsets are unsigned (they are never negative here), which spares
    numba's negative-index wraparound test on each of the 8 updates.
    """
    org, invh, shape, strides = geo
    use_w = opt[3]
    wscale = opt[4]
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


@kernel
def rows_tsc3(pos, cells, wts, mesh, geo, opt, r0, r1, i0, i1):
    """Unrolled periodic 3-D TSC, same products in the same order as the generic path."""
    org, invh, shape, strides = geo
    use_w = opt[3]
    wscale = opt[4]
    s0 = strides[0]
    s1 = strides[1]
    o0, o1, o2 = org[0], org[1], org[2]  # scalars: see rows_cic3
    h0, h1, h2 = invh[0], invh[1], invh[2]
    n0, n1, n2 = shape[0], shape[1], shape[2]
    for i in range(i0, i1):
        j0, w0, _ = _tsc_axis(pos[i, 0], o0, h0, n0)
        if not ((r0 <= j0[0] < r1) or (r0 <= j0[1] < r1) or (r0 <= j0[2] < r1)):
            continue
        j1, w1, _ = _tsc_axis(pos[i, 1], o1, h1, n1)
        j2, w2, _ = _tsc_axis(pos[i, 2], o2, h2, n2)
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


# ------------------------------------------------------------ slab driver
@inline_kernel
def _reaches(lo, hi, r0, r1, n0):
    """True when rows [lo, hi), taken cyclically mod n0, meet rows [r0, r1)."""
    if hi - lo >= n0:
        return True
    for sh in (-n0, 0, n0):
        if lo + sh < r1 and hi + sh > r0:
            return True
    return False


@kernel
def _slabs(gen, cic, tsc, buf, cells, wbuf, mesh, geo, opt, r0, r1, start, rshift):
    """One thread's share: paint, slab after slab, the binned particles that can reach rows [r0, r1).

    The painter is chosen by which of `gen`, `cic`, `tsc` is not None (the
    others are None: numba prunes their branches before typing, so only the
    painter used is compiled, and the choice is part of the cached signature).

    A particle in leading NGP row g has taps within rows g - p .. g + p, so
    slab s (rows [s << rshift, (s + 1) << rshift)) can reach rows
    [(s << rshift) - p - 1, ((s + 1) << rshift) + p + 1).  Every thread
    visits slabs in ascending order, so each element receives its additions
    in (slab, particle index) order whatever the number of threads.
    """
    shape = geo[2]
    strides = geo[3]
    p = opt[1]
    n0 = shape[0]
    nslab = start.shape[0] - 1
    row_lines = max(1, strides[0] * mesh.itemsize // 64)
    sink = 0.0
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
            sink += _sweep(mesh, a * strides[0], b * strides[0])
        # a slab whose reach lies inside this thread's rows needs no row filter
        inside = r0 <= lo and hi <= r1
        ra = 0 if inside else r0
        rb = n0 if inside else r1
        if gen is not None:
            rows_generic(buf, cells, wbuf, mesh, geo, opt, ra, rb, start[s], start[s + 1])
        if cic is not None:
            rows_cic3(buf, cells, wbuf, mesh, geo, opt, ra, rb, start[s], start[s + 1])
        if tsc is not None:
            rows_tsc3(buf, cells, wbuf, mesh, geo, opt, ra, rb, start[s], start[s + 1])
    return sink


#: kind -> (the painter, the selector of :func:`_slabs`)
PAINTERS = {0: (rows_generic, (True, None, None)), 2: (rows_cic3, (None, True, None)),
            3: (rows_tsc3, (None, None, True))}


# ------------------------------------------------------- sorted input
@kernel
def _lead_sorted_range(pos, org0, invh0, n0, i0, i1):
    """True when the periodic leading NGP row is non-decreasing over particles i0 .. i1-1 (early exit)."""
    prev = np.int64(-1)
    for i in range(i0, i1):
        c = _lead_row(pos, i, org0, invh0, n0, True)
        if c < prev:
            return False
        prev = c
    return True


def lead_sorted(pos, org0, invh0, n0, nt):
    """True when the leading NGP row is non-decreasing in particle order (each part stops at its first descent)."""
    n = pos.shape[0]
    cut = _pool.split(n, nt)
    # overlap one particle with the next part, so the seams are checked too
    parts = _pool.run(lambda t: _lead_sorted_range(pos, org0, invh0, n0, cut[t], min(n, cut[t + 1] + 1)), nt)
    return all(parts)


@kernel
def _lower_bound(pos, org0, invh0, n0, cell):
    """First particle index whose leading cell is >= cell (input sorted by leading cell)."""
    lo = np.int64(0)
    hi = np.int64(pos.shape[0])
    while lo < hi:
        mid = (lo + hi) // 2
        if _lead_row(pos, mid, org0, invh0, n0, True) < cell:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
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


# ------------------------------------------------------------ orchestration
def binned(shape, itemsize, use_cells):
    """True when :func:`paint_into` paints unsorted particles through slab bins."""
    return not use_cells and int(np.prod(shape)) * int(itemsize) >= _bins.BIN_MIN_BYTES


def _row_bounds(pos, cells, use_cells, org, invh, shape, periodic, p, nt):
    """Leading-row split among `nt` threads, balanced on a sample of ~16k particles (NumPy, no kernel)."""
    n0 = int(shape[0])
    n = pos.shape[0]
    step = max(1, n // 16384)  # ~16k samples: bounds within ~1 % of balanced
    if use_cells:  # offsets are in cells; the sample only balances the split, so float64 is plenty
        u = cells[::step, 0].astype(np.float64) + pos[::step, 0]
    else:
        u = (pos[::step, 0].astype(np.float64) - float(org[0])) * float(invh[0])
    u = u[np.isfinite(u)]
    c = np.floor(np.mod(u, n0) if periodic else np.clip(u, 0, n0 - 1)).astype(np.int64)
    hist = np.bincount(np.clip(c, 0, n0 - 1), minlength=n0).astype(np.float64)
    cum = np.cumsum(hist + hist.sum() / (10.0 * n0) + 1e-9)  # a floor so empty rows still split
    bounds = np.searchsorted(cum, cum[-1] * np.arange(1, nt) / nt, side="right")
    return np.concatenate([[0], np.maximum.accumulate(bounds), [n0]]).astype(np.int64)


def paint_into(mesh_flat, pos, cells, use_cells, wts, use_w, wscale, org, invh, shape, periodic, p, nthreads):
    """Paint all particles into the flat C-ordered mesh (run inside ``backend.kernel_threads()``).

    The rows of the leading axis are split among the threads, balanced on a
    sample of the particles; the split does not change the result.  Input
    sorted by leading cell (e.g. by :func:`bucket`) is painted in place, each
    thread visiting only the particles that can reach its rows.  Other input
    on a mesh of at least ``BIN_MIN_BYTES`` is binned by slab of leading
    rows, ``BIN_BLOCK`` particles at a time (scratch: one block of positions
    and weights), and painted slab by slab, so the mesh rows being written
    stay in cache; elements then receive their additions in (block, slab,
    particle) order.  Smaller meshes are painted straight from the input.
    """
    shape = np.asarray(shape, dtype=np.int64)
    n0 = int(shape[0])
    n = pos.shape[0]
    if n == 0:
        return
    nt = _pool.num_threads(min(int(nthreads), n0))
    if n < 64 * nt:
        nt = 1
    geo = (np.asarray(org, np.float64), np.asarray(invh, np.float64), shape, strides_of(shape))
    opt = (bool(periodic), int(p), bool(use_cells), bool(use_w), float(wscale))
    rows, sel = PAINTERS[unrolled_kind(pos.shape[1], p, periodic, use_cells, shape)]
    bounds = _row_bounds(pos, cells, use_cells, org, invh, shape, periodic, p, nt) if nt > 1 else \
        np.array([0, n0], dtype=np.int64)
    nb = bounds.shape[0] - 1
    o0, i0 = float(org[0]), float(invh[0])
    bin_ = binned(shape, mesh_flat.itemsize, use_cells)
    # sortedness decides the path when binning applies, and otherwise only whether threads
    # may skip particles (periodic, several threads); the early-exit pass is spared elsewhere
    sorted_ = (not use_cells and n0 > 2 * p + 2 and n > 1 and (bin_ or (nb > 1 and periodic))
               and lead_sorted(pos, o0, i0, n0, max(nb, 1)))
    if sorted_ or not bin_:
        ranges = np.zeros((nb, 2, 2), dtype=np.int64)
        ranges[:, 0, 1] = n
        interior = np.zeros((nb, 2), dtype=np.int64)
        if sorted_ and nb > 1 and periodic:
            _sorted_ranges(pos, o0, i0, n0, p, bounds, ranges, interior)

        def thread(t):
            # ranges visited in ascending index order; particles in interior[t] reach only rows of t
            r0, r1 = int(bounds[t]), int(bounds[t + 1])
            for q in range(2):
                a, b = int(ranges[t, q, 0]), int(ranges[t, q, 1])
                ia = max(a, min(b, int(interior[t, 0])))
                ib = max(ia, min(b, int(interior[t, 1])))
                for lo, hi, ra, rb in ((a, ia, r0, r1), (ia, ib, 0, n0), (ib, b, r0, r1)):
                    if hi > lo:
                        rows(pos, cells, wts, mesh_flat, geo, opt, ra, rb, lo, hi)

        _pool.run(thread, nb)
        return
    rshift = _bins.slab_shift(shape, mesh_flat.itemsize)
    binner = _bins.Binner(pos, wts, use_w, False, o0, i0, n0, periodic, rshift, nt)
    for a, e, start in binner.blocks():
        buf = binner.buf[: e - a]
        _pool.run(lambda t: _slabs(*sel, buf, cells, binner.wbuf, mesh_flat, geo, opt, bounds[t], bounds[t + 1],
                                   start, rshift), nb)
