"""Ghost layers: a rank's block extended by the reach of the assignment window.

A particle painted with a window of order ``p`` (NGP..PCS: 1..4) touches the
cells ``c - (p-1)//2 .. c - (p-1)//2 + p - 1`` of each axis, where ``c`` is
its base cell (the convention of :mod:`fieldconv.assign`).  Each particle
lives on the rank that owns its base cell, so along every split axis the
rank's block ``[s, s + n_loc)`` is extended by ``lo = (p-1)//2`` ghost rows
below and ``hi = p - 1 - lo`` above: 0/0 (NGP), 0/1 (CIC), 1/1 (TSC),
1/2 (PCS).  Axes that are not split have no ghosts (the serial kernels wrap
them periodically).

* :func:`fold_ghosts` (after painting) adds every ghost row into the row of
  its owner (global row ``(s - lo + r) mod n``), so each mesh element ends
  with the sum of all contributions, as in serial painting.
* :func:`fill_ghosts` (before reading out) copies the owners' rows into the
  ghost rows: the adjoint of folding.

Both go axis by axis (folding in increasing axis order, filling in
decreasing order).  For axis ``a`` the rows carry the owned part of the
axes before ``a`` and the full extended part of the axes after it, so that
corner contributions of a pencil travel in two hops.  The plan depends on
the blocks alone, so both ends compute it without talking; blocks thinner
than the ghost width (ghost rows owned by ranks two away, or by the rank
itself when an axis is not split between ranks) need no special case.
"""

import math

import numpy as np

from .messages import exchange_bytes

__all__ = ["ghost_widths", "GhostLayout", "fold_ghosts", "fill_ghosts"]


def ghost_widths(p):
    """(lo, hi) ghost rows below and above a block for a window of order `p`.

    Examples
    --------
    >>> from fieldconv.distributed.ghosts import ghost_widths
    >>> [ghost_widths(p) for p in (1, 2, 3, 4)]
    [(0, 0), (0, 1), (1, 1), (1, 2)]
    """
    lo = (p - 1) // 2
    return lo, p - 1 - lo


class GhostLayout:
    """This rank's extended block for a window of order `p` on `mesh`.

    Attributes
    ----------
    lo, hi : tuple of ints
        Ghost rows below / above the block per axis (0 on axes not split).
    ext_shape : tuple of ints
        Shape of the extended block.
    owned : tuple of slices
        The owned block inside the extended one.
    start : tuple of ints
        Global index of extended row 0 per axis (``local_start - lo``).
    """

    def __init__(self, mesh, p):
        lo, hi = ghost_widths(p)
        split = mesh.decomposed_axes
        self.mesh = mesh
        self.p = p
        self.lo = tuple(lo if a in split else 0 for a in range(mesh.ndim))
        self.hi = tuple(hi if a in split else 0 for a in range(mesh.ndim))
        self.ext_shape = tuple(n + a + b for n, a, b in zip(mesh.local_shape, self.lo, self.hi))
        self.owned = tuple(slice(a, a + n) for a, n in zip(self.lo, mesh.local_shape))
        self.start = tuple(s - a for s, a in zip(mesh.local_start, self.lo))
        self._plans = {a: self._plan(a) for a in split}

    def _outgoing(self, rank, axis):
        """[(ghost row in `rank`'s extended block, owner rank, row in the owner's extended block)]."""
        mesh = self.mesh
        n = mesh.shape[axis]
        lo, hi = self.lo[axis], self.hi[axis]
        s, e = mesh.block(rank)[axis]
        starts = mesh._starts[axis]
        out = []
        for r in list(range(lo)) + list(range(lo + e - s, lo + e - s + hi)):
            g = (s - lo + r) % n
            b = int(np.searchsorted(starts, g, side="right") - 1)
            out.append((r, mesh.neighbour(rank, axis, b), g - int(starts[b]) + lo))
        return out

    def _plan(self, axis):
        """(rows I send: {dest: [my ghost rows]}, rows I receive: {src: [my owned rows]}) for folding."""
        mesh = self.mesh
        me = mesh.rank
        sends, recvs = {}, {}
        for r, dest, _ in self._outgoing(me, axis):
            sends.setdefault(dest, []).append(r)
        peers = {mesh.neighbour(me, axis, b) for b in range(len(mesh._starts[axis]))}
        for q in sorted(peers):
            for _, dest, row in self._outgoing(q, axis):
                if dest == me:
                    recvs.setdefault(q, []).append(row)
        return sends, recvs

    def _index(self, axis):
        """Index of the extended block for exchanges along `axis`, with axis `axis` left open."""
        idx = []
        for a in range(self.mesh.ndim):
            if a < axis and a in self.mesh.decomposed_axes:
                idx.append(self.owned[a])
            else:
                idx.append(slice(None))
        return idx

    def _rows(self, ext, axis, rows):
        idx = self._index(axis)
        idx[axis] = rows
        return np.ascontiguousarray(ext[tuple(idx)])

    def _row_shape(self, ext, axis, nrows):
        idx = self._index(axis)
        shape = []
        for a, sl in enumerate(idx):
            if a == axis:
                shape.append(nrows)
            else:
                shape.append(len(range(*sl.indices(ext.shape[a]))))
        return tuple(shape)

    def _exchange(self, ext, axis, outgoing, incoming):
        """Send ext rows `outgoing` {peer: rows}; receive {peer: rows} arrays shaped for `incoming`."""
        mesh = self.mesh
        sends = [(peer, self._rows(ext, axis, rows).view(np.uint8).reshape(-1)) for peer, rows in outgoing.items()]
        shapes = {peer: self._row_shape(ext, axis, len(rows)) for peer, rows in incoming.items()}
        recvs = [(peer, math.prod(shp) * ext.dtype.itemsize) for peer, shp in shapes.items()]
        got = exchange_bytes(mesh.comm, sends, recvs, max_message_bytes=mesh.max_message_bytes)
        return [(peer, buf.view(ext.dtype).reshape(shapes[peer])) for peer, buf in zip(shapes, got)]

    def fold(self, ext):
        """Add the ghost rows of `ext` (extended block) into their owners.  Collective."""
        for axis in self.mesh.decomposed_axes:
            sends, recvs = self._plans[axis]
            for peer, data in self._exchange(ext, axis, sends, recvs):
                idx = self._index(axis)
                for k, row in enumerate(recvs[peer]):
                    idx[axis] = row
                    ext[tuple(idx)] += np.take(data, k, axis=axis)
        return ext

    def fill(self, ext):
        """Copy the owners' rows into the ghost rows of `ext`.  Collective."""
        for axis in reversed(self.mesh.decomposed_axes):
            sends, recvs = self._plans[axis]
            # the adjoint: owned rows go back to whoever folds into them, ghost rows are written
            for peer, data in self._exchange(ext, axis, recvs, sends):
                idx = self._index(axis)
                for k, row in enumerate(sends[peer]):
                    idx[axis] = row
                    ext[tuple(idx)] = np.take(data, k, axis=axis)
        return ext

    def extend(self, block):
        """The extended block of `block`, ghosts filled (`block` itself where there are none).  Collective."""
        if self.ext_shape == tuple(block.shape):
            return block  # no axis split between ranks: the serial kernels wrap periodically
        ext = np.zeros(self.ext_shape, dtype=block.dtype)
        ext[self.owned] = block
        return self.fill(ext)


def fold_ghosts(layout, ext):
    """Fold the ghosts of `ext` into their owners and return the owned block (a copy).  Collective."""
    layout.fold(ext)
    return np.ascontiguousarray(ext[layout.owned])


def fill_ghosts(layout, block):
    """The extended block of `block` with its ghost rows filled from their owners.  Collective."""
    return layout.extend(block)
