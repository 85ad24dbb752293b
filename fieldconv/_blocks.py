"""Blocks of FFT-layout arrays: the part of a spectrum that one MPI rank holds.

Private leaf module (NumPy only).  The symbol and Green's-function builders
of :mod:`fieldconv.stencil` and :mod:`fieldconv.poisson` take an optional
``block`` (one slice per axis of the FFT layout) so that
:mod:`fieldconv.distributed` gets each rank's part of the serial table,
built by the same formulas in the same order, without the whole table.
"""

import numpy as np

__all__ = ["block_indices", "zero_mode_position"]


def block_indices(shape, block, rfft=True):
    """Mode indices (int arrays) per axis of `block` of the FFT layout of `shape`; None: every mode.

    The last axis has ``n // 2 + 1`` modes when `rfft`.  ``TypeError`` unless
    `block` is None or a tuple of one slice per axis.
    """
    nd = len(shape)
    sizes = [n // 2 + 1 if rfft and a == nd - 1 else n for a, n in enumerate(shape)]
    if block is None:
        return [np.arange(m) for m in sizes]
    if not isinstance(block, tuple) or len(block) != nd or not all(isinstance(s, slice) for s in block):
        raise TypeError(f"block must be a tuple of {nd} slices (one per axis of the FFT layout); got {block!r}")
    return [np.arange(m)[s] for m, s in zip(sizes, block)]


def zero_mode_position(indices):
    """Position of the ``k = 0`` mode in the block with these mode `indices`, or None when it is not there."""
    pos = []
    for idx in indices:
        hit = np.flatnonzero(idx == 0)
        if hit.size == 0:
            return None
        pos.append(int(hit[0]))
    return tuple(pos)
