"""Ghost layers: a rank's block extended by the reach of the assignment window.

A particle painted with a window of order ``p`` (NGP..PCS: 1..4) touches the
cells ``c - (p-1)//2 .. c - (p-1)//2 + p - 1`` of each axis, where ``c`` is
its base cell (the convention of :mod:`fieldconv.assign`).  Each particle
lives on the rank that owns its base cell, so along every split axis the
rank's block ``[s, s + n_loc)`` is extended by ``lo = (p-1)//2`` ghost rows
below and ``hi = p - 1 - lo`` above: 0/0 (NGP), 0/1 (CIC), 1/1 (TSC),
1/2 (PCS).  Axes that are not split have no ghosts (the serial kernels wrap
them periodically).

* **fold** (after painting) adds every ghost row into the row of its owner
  (global row ``(s - lo + r) mod n``), so each mesh element ends with the
  sum of all contributions, as in serial painting;
* **fill** (before reading out) copies the owners' rows into the ghost
  rows: the adjoint of folding.

Both go axis by axis (folding in increasing axis order, filling in
decreasing order).  For axis ``a`` the rows carry the owned part of the
axes before ``a`` and the full extended part of the axes after it, so that
corner contributions of a pencil travel in two hops.  The plan depends on
the blocks alone (:class:`~.blocks.BlockGrid`), so both ends compute it
without talking; blocks thinner than the ghost width (ghost rows owned by
ranks two away, or by the rank itself) need no special case.  Packing and
unpacking are pure; :meth:`GhostLayout.fold` and :meth:`GhostLayout.fill`
move the packed rows with :func:`~.messages.exchange_bytes`.
"""

import math

import numpy as np

from .messages import exchange_bytes

__all__ = ["ghost_widths", "GhostLayout"]


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
    """Rank `rank`'s extended block for a window of order `p` on a :class:`BlockGrid`.

    Attributes
    ----------
    lo, hi : tuple of ints
        Ghost rows below / above the block per axis (0 on axes not split).
    ext_shape : tuple of ints
        Shape of the extended block.
    owned : tuple of slices
        The owned block inside the extended one.
    start : tuple of ints
        Global index of extended row 0 per axis (block start - lo).
    """

    def __init__(self, blocks, rank, p):
        lo, hi = ghost_widths(p)
        split = blocks.decomposed_axes
        self.blocks, self.rank, self.p = blocks, rank, p
        mine = blocks.block(rank)
        self.lo = tuple(lo if a in split else 0 for a in range(blocks.ndim))
        self.hi = tuple(hi if a in split else 0 for a in range(blocks.ndim))
        self.ext_shape = tuple(b - a + l + h for (a, b), l, h in zip(mine, self.lo, self.hi))
        self.owned = tuple(slice(l, l + b - a) for (a, b), l in zip(mine, self.lo))
        self.start = tuple(a - l for (a, _), l in zip(mine, self.lo))
        self._plans = {a: self._plan(a) for a in split}

    # ------------------------------------------------------------- the plan
    def _outgoing(self, rank, axis):
        """[(ghost row in `rank`'s extended block, owner rank, row in the owner's extended block)]."""
        blocks = self.blocks
        n = blocks.shape[axis]
        lo, hi = self.lo[axis], self.hi[axis]
        s, e = blocks.block(rank)[axis]
        starts = blocks.starts(axis)
        out = []
        for r in list(range(lo)) + list(range(lo + e - s, lo + e - s + hi)):
            g = (s - lo + r) % n
            b = int(np.searchsorted(starts, g, side="right") - 1)
            out.append((r, blocks.neighbour(rank, axis, b), g - int(starts[b]) + lo))
        return out

    def _plan(self, axis):
        """({dest: my ghost rows}, {src: my owned rows they fold into}) along `axis`."""
        me = self.rank
        sends, recvs = {}, {}
        for r, dest, _ in self._outgoing(me, axis):
            sends.setdefault(dest, []).append(r)
        peers = {self.blocks.neighbour(me, axis, b) for b in range(len(self.blocks.starts(axis)))}
        for q in sorted(peers):
            for _, dest, row in self._outgoing(q, axis):
                if dest == me:
                    recvs.setdefault(q, []).append(row)
        return sends, recvs

    def _index(self, axis, rows):
        """Index of the rows `rows` along `axis`: owned part of the split axes before it, all after."""
        idx = [self.owned[a] if (a < axis and a in self.blocks.decomposed_axes) else slice(None)
               for a in range(self.blocks.ndim)]
        idx[axis] = rows
        return tuple(idx)

    def _rows_shape(self, axis, nrows):
        shape = [len(range(*self.owned[a].indices(self.ext_shape[a]))) if (a < axis and a in self.blocks.decomposed_axes)
                 else self.ext_shape[a] for a in range(self.blocks.ndim)]
        shape[axis] = nrows
        return tuple(shape)

    # ------------------------------------------------------------- pure steps
    def pack(self, ext, axis, adjoint=False):
        """{peer: rows of `ext` to send along `axis`} (fold: ghost rows; adjoint/fill: owned rows)."""
        sends, recvs = self._plans[axis]
        out = recvs if adjoint else sends
        return {peer: np.ascontiguousarray(ext[self._index(axis, rows)]) for peer, rows in out.items()}

    def expected(self, axis, adjoint=False):
        """{peer: shape of the rows it sends here along `axis`}."""
        sends, recvs = self._plans[axis]
        inc = sends if adjoint else recvs
        return {peer: self._rows_shape(axis, len(rows)) for peer, rows in inc.items()}

    def unpack(self, ext, axis, received, adjoint=False):
        """Fold: add the received ghost rows into owned rows; adjoint (fill): write them into ghost rows."""
        sends, recvs = self._plans[axis]
        targets = sends if adjoint else recvs
        for peer, data in received.items():
            for k, row in enumerate(targets[peer]):  # one row at a time: a row may repeat (thin meshes)
                idx = self._index(axis, row)
                if adjoint:
                    ext[idx] = np.take(data, k, axis=axis)
                else:
                    ext[idx] += np.take(data, k, axis=axis)

    # ------------------------------------------------------------- collective steps
    def _move(self, comm, axis, ext, adjoint, max_message_bytes):
        packed = self.pack(ext, axis, adjoint)
        shapes = self.expected(axis, adjoint)
        got = exchange_bytes(
            comm, [(peer, a.view(np.uint8).reshape(-1)) for peer, a in packed.items()],
            [(peer, math.prod(shp) * ext.dtype.itemsize) for peer, shp in shapes.items()],
            max_message_bytes=max_message_bytes,
        )
        return {peer: buf.view(ext.dtype).reshape(shp) for (peer, shp), buf in zip(shapes.items(), got)}

    def fold(self, ext, comm, max_message_bytes):
        """Add the ghost rows of `ext` (extended block) into their owners.  Collective."""
        for axis in self.blocks.decomposed_axes:
            self.unpack(ext, axis, self._move(comm, axis, ext, False, max_message_bytes))
        return ext

    def fill(self, ext, comm, max_message_bytes):
        """Copy the owners' rows into the ghost rows of `ext`.  Collective."""
        for axis in reversed(self.blocks.decomposed_axes):
            self.unpack(ext, axis, self._move(comm, axis, ext, True, max_message_bytes), adjoint=True)
        return ext

    def extend(self, block, comm, max_message_bytes):
        """The extended block of `block`, ghosts filled (`block` itself where there are none).  Collective."""
        if self.ext_shape == tuple(block.shape):
            return block  # no axis split between ranks: the serial kernels wrap periodically
        ext = np.zeros(self.ext_shape, dtype=block.dtype)
        ext[self.owned] = block
        return self.fill(ext, comm, max_message_bytes)
