"""Slab binning: particles counting-sorted by slab of leading mesh rows, for cache locality.

Painting and readout of unsorted particles on a mesh larger than a core's
cache bin the particles, ``BIN_BLOCK`` at a time, by *slab* (a power of two
of leading rows, at most ``SLAB_BYTES`` of mesh) with a stable counting sort
over fixed sub-blocks of ``BIN_SUB`` particles: histograms per sub-block,
an exclusive prefix sum in (slab, sub-block) order, a scatter.  The order
(slab, then particle index) is the same for any number of threads.  The
binned copy holds the positions, the weights (paint) or the particle
indices (readout).
"""

import numpy as np

from . import _pool
from ._compiled_core import _lead_row, _prefetchw, kernel

__all__ = ["BIN_BLOCK", "BIN_MIN_BYTES", "SLAB_BYTES", "BIN_SUB", "slab_shift", "Binner"]

#: Particles binned per pass.  A constant, so that the order in which a mesh
#: element receives its additions never depends on the number of threads.
BIN_BLOCK = 1 << 21
#: Meshes of at least this many bytes are painted and read through slab bins.
BIN_MIN_BYTES = 1 << 21
#: Target bytes of mesh per slab (whole rows of the leading axis, a power of
#: two of them): a slab and its neighbour rows stay in a core's L2 cache.
SLAB_BYTES = 1 << 18
#: Particles per sub-block of the counting sort.
BIN_SUB = 1 << 14


@kernel
def _hist(pos, i0, i1, sb0, sb1, org0, invh0, n0, periodic, rshift, hist):
    """hist[b, s]: particles of sub-block b (particles i0 + b * BIN_SUB ...) in slab s, b in [sb0, sb1)."""
    nslab = hist.shape[1]
    for b in range(sb0, sb1):
        a = i0 + b * BIN_SUB
        e = min(i1, a + BIN_SUB)
        for k in range(nslab):
            hist[b, k] = 0
        for i in range(a, e):
            hist[b, _lead_row(pos, i, org0, invh0, n0, periodic) >> rshift] += 1


@kernel
def _scatter(pos, wts, use_w, want_index, i0, i1, sb0, sb1, org0, invh0, n0, periodic, rshift, offs, buf, wbuf,
             ibuf):
    """Copy the particles of sub-blocks [sb0, sb1) to their binned rows (offs: next free row per sub-block, slab)."""
    ndim = pos.shape[1]
    last = buf.shape[0] - 1
    for b in range(sb0, sb1):
        a = i0 + b * BIN_SUB
        e = min(i1, a + BIN_SUB)
        for i in range(a, e):
            k = _lead_row(pos, i, org0, invh0, n0, periodic) >> rshift
            j = offs[b, k]
            offs[b, k] = j + 1
            # up to hundreds of slabs are filled at once: more write streams than the
            # hardware prefetcher follows, so ask for each slab's next line ourselves
            _prefetchw(buf, min(j + 16, last) * ndim)
            for d in range(ndim):
                buf[j, d] = pos[i, d]
            if use_w:
                wbuf[j] = wts[i]
            if want_index:
                ibuf[j] = i


def slab_shift(shape, nbytes_per_cell):
    """log2 of the rows per slab: the most rows (a power of two) whose cells take at most ``SLAB_BYTES``."""
    row = int(nbytes_per_cell) * int(np.prod(shape[1:]))
    rows = max(1, SLAB_BYTES // max(1, row))
    return int(rows).bit_length() - 1


class Binner:
    """Scratch for binning blocks of particles by slab (one block of positions, weights or indices).

    Parameters: the positions, the weights (or a placeholder) and whether
    they are used, whether to record particle indices, the leading-axis
    geometry, the slab shift and the number of threads.
    """

    def __init__(self, pos, wts, use_w, want_index, org0, invh0, n0, periodic, rshift, nt):
        n = pos.shape[0]
        self.pos, self.wts, self.use_w, self.want_index = pos, wts, use_w, want_index
        self.geo0 = (float(org0), float(invh0), int(n0), bool(periodic), int(rshift))
        self.nslab = ((int(n0) - 1) >> rshift) + 1
        blk = min(n, BIN_BLOCK)
        nsub = max(1, (blk + BIN_SUB - 1) // BIN_SUB)
        self.hist = np.empty((nsub, self.nslab), dtype=np.int64)
        self.buf = np.empty((blk, pos.shape[1]), dtype=pos.dtype)
        self.wbuf = np.empty(blk if use_w else 1, dtype=wts.dtype)
        self.ibuf = np.empty(blk if want_index else 1, dtype=np.int64)
        self.nt = nt

    def blocks(self):
        """Yield ``(i0, i1, start)`` per block, the block binned into ``buf``/``wbuf``/``ibuf``.

        ``start[s]`` is the first binned row of slab s (``start[nslab]`` the block size).
        """
        n = self.pos.shape[0]
        for i0 in range(0, n, BIN_BLOCK):
            i1 = min(n, i0 + BIN_BLOCK)
            yield i0, i1, self._bin(i0, i1)

    def _bin(self, i0, i1):
        org0, invh0, n0, periodic, rshift = self.geo0
        nsub = (i1 - i0 + BIN_SUB - 1) // BIN_SUB
        nt = max(1, min(self.nt, nsub))
        cut = _pool.split(nsub, nt)
        hist = self.hist[:nsub]
        _pool.run(lambda t: _hist(self.pos, i0, i1, cut[t], cut[t + 1], org0, invh0, n0, periodic, rshift, hist), nt)
        tot = hist.sum(axis=0)
        start = np.zeros(self.nslab + 1, dtype=np.int64)
        np.cumsum(tot, out=start[1:])
        offs = start[:-1][None, :] + np.cumsum(hist, axis=0) - hist  # (slab, sub-block) order
        _pool.run(lambda t: _scatter(self.pos, self.wts, self.use_w, self.want_index, i0, i1, cut[t], cut[t + 1],
                                     org0, invh0, n0, periodic, rshift, offs, self.buf, self.wbuf, self.ibuf), nt)
        return start
