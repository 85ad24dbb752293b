"""Which rank owns which block: the pure geometry of a mesh split on a process grid.

A :class:`BlockGrid` knows every rank's real-space block (start and stop per
axis) and answers, without any communication: who owns a cell, who is a
rank's neighbour along a split axis.  :class:`~.decomposition.DistributedMesh`
builds one from the blocks mpi4py-fft gives the ranks; tests build regular
ones (:meth:`BlockGrid.regular`) to check the ghost plans of many layouts
without MPI.
"""

import numpy as np

__all__ = ["BlockGrid", "block_split"]


def block_split(n, parts, index):
    """(start, stop) of block `index` of `n` cells split `parts` ways: ``n // parts`` each, the first
    ``n % parts`` blocks one more (mpi4py-fft's split).

    Examples
    --------
    >>> from fieldconv.distributed.blocks import block_split
    >>> [block_split(10, 4, i) for i in range(4)]
    [(0, 3), (3, 6), (6, 8), (8, 10)]
    """
    q, r = divmod(n, parts)
    start = index * q + min(index, r)
    return start, start + q + (1 if index < r else 0)


class BlockGrid:
    """Every rank's block of a mesh, and who owns what.

    Parameters
    ----------
    shape : tuple of ints
        Global mesh shape.
    blocks : array-like (P, ndim, 2) of ints
        ``blocks[r, a] = (start, stop)`` of rank r's block along axis a.  The
        blocks must tile the mesh as a Cartesian product of per-axis splits.

    Attributes
    ----------
    shape, ndim, size
    decomposed_axes : tuple of ints
        Axes split into more than one block.

    Raises
    ------
    ValueError
        Blocks that do not tile the mesh.
    """

    def __init__(self, shape, blocks):
        self.shape = tuple(int(n) for n in shape)
        self.ndim = len(self.shape)
        self._blocks = np.asarray(blocks, dtype=np.int64).reshape(-1, self.ndim, 2)
        self.size = self._blocks.shape[0]
        self._starts = {a: np.unique(self._blocks[:, a, 0]) for a in range(self.ndim)}
        self.decomposed_axes = tuple(a for a in range(self.ndim) if len(self._starts[a]) > 1)
        index = np.zeros((self.size, len(self.decomposed_axes)), dtype=np.int64)
        for j, a in enumerate(self.decomposed_axes):
            index[:, j] = np.searchsorted(self._starts[a], self._blocks[:, a, 0])
        table = np.full(tuple(len(self._starts[a]) for a in self.decomposed_axes), -1, dtype=np.int64)
        if self.decomposed_axes:
            table[tuple(index.T)] = np.arange(self.size)
        elif self.size == 1:
            table[()] = 0  # one rank owns everything
        cells = int(np.prod(self._blocks[:, :, 1] - self._blocks[:, :, 0], axis=1).sum())
        if (table < 0).any() or table.size != self.size or cells != int(np.prod(self.shape)):
            raise ValueError(f"blocks must tile the mesh of shape {self.shape} on a process grid; got {blocks!r}")
        self._rank_table = table
        self._block_index = index

    @classmethod
    def regular(cls, shape, grid):
        """Blocks of `shape` on the process `grid` (one entry per axis), ranks in row-major grid order."""
        grid = tuple(grid) + (1,) * (len(shape) - len(grid))
        blocks = [
            [block_split(n, d, i) for n, d, i in zip(shape, grid, idx)]
            for idx in np.ndindex(*grid)
        ]
        return cls(shape, blocks)

    def block(self, rank):
        """((start, stop) per axis) of `rank`'s block."""
        return tuple((int(a), int(b)) for a, b in self._blocks[rank])

    def starts(self, axis):
        """Sorted distinct block starts along `axis`."""
        return self._starts[axis]

    def owners(self, cells):
        """Rank owning each cell.

        Parameters
        ----------
        cells : int array (N, ndim) or (N, len(decomposed_axes))
            Global cell indices in ``[0, n)``; with ``ndim`` columns only the
            split axes are looked at.

        Returns
        -------
        ndarray (N,), int64
        """
        cells = np.asarray(cells)
        if not self.decomposed_axes:
            return np.zeros(cells.shape[0], dtype=np.int64)
        cols = self.decomposed_axes if cells.shape[1] == self.ndim else range(cells.shape[1])
        idx = tuple(
            np.searchsorted(self._starts[a], cells[:, c], side="right") - 1
            for a, c in zip(self.decomposed_axes, cols)
        )
        return self._rank_table[idx]

    def neighbour(self, rank, axis, block_index):
        """The rank with `rank`'s blocks on the other axes and block `block_index` along `axis`."""
        j = self.decomposed_axes.index(axis)
        key = list(self._block_index[rank])
        key[j] = block_index
        return int(self._rank_table[tuple(key)])
