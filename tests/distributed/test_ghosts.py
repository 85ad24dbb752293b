"""Ghost plans without MPI: every rank of a layout simulated in one process.

Folding must turn the ranks' extended blocks into the periodic sum of all of
them on the global mesh (what serial painting computes); filling must give
each rank the global field at its extended rows, wrapped; and the two must be
adjoint.  Slabs and pencils, blocks thinner than the ghost width (ghost rows
owned by ranks two away, or by the rank itself), every window order.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldconv.distributed.blocks import BlockGrid, block_split
from fieldconv.distributed.ghosts import GhostLayout


def simulate(layouts, exts, adjoint):
    """Run fold (or fill) on every rank in lockstep, messages handed over in-process."""
    blocks = layouts[0].blocks
    axes = blocks.decomposed_axes[::-1] if adjoint else blocks.decomposed_axes
    for axis in axes:
        sent = [lay.pack(ext, axis, adjoint) for lay, ext in zip(layouts, exts)]
        for lay, ext in zip(layouts, exts):
            received = {src: sent[src][lay.rank] for src in lay.expected(axis, adjoint)}
            for src, shape in lay.expected(axis, adjoint).items():
                assert received[src].shape == shape
            lay.unpack(ext, axis, received, adjoint)


def global_index(lay):
    """Per axis: the global rows (mod n) of the extended block's rows."""
    return np.ix_(*[(np.arange(m) + s) % n for m, s, n in zip(lay.ext_shape, lay.start, lay.blocks.shape)])


layouts_strategy = st.tuples(
    st.sampled_from([(1,), (2,), (3,), (4,), (2, 2), (3, 2), (1, 3), (4, 1)]),  # process grids
    st.integers(1, 4),  # window order
    st.lists(st.integers(2, 9), min_size=3, max_size=3),  # shape
    st.booleans(),  # 2-D instead of 3-D (slab grids only)
    st.integers(0, 2**32 - 1),
)


def build(grid, p, shape, two_d):
    if two_d:
        shape, grid = shape[:2], grid[:1]
    shape = tuple(max(n, d) for n, d in zip(shape, tuple(grid) + (1,) * 3))  # every block non-empty
    blocks = BlockGrid.regular(shape, grid)
    return blocks, [GhostLayout(blocks, r, p) for r in range(blocks.size)]


@given(layouts_strategy)
def test_fold_is_the_periodic_sum(case):
    grid, p, shape, two_d, seed = case
    blocks, layouts = build(grid, p, shape, two_d)
    rng = np.random.default_rng(seed)
    exts = [rng.standard_normal(lay.ext_shape) for lay in layouts]
    expected = np.zeros(blocks.shape)
    for lay, ext in zip(layouts, exts):
        np.add.at(expected, global_index(lay), ext)
    simulate(layouts, exts, adjoint=False)
    for lay, ext in zip(layouts, exts):
        region = tuple(slice(a, b) for a, b in blocks.block(lay.rank))
        # sums of at most 3^3 terms of size ~1 in another order: a few eps
        np.testing.assert_allclose(ext[lay.owned], expected[region], rtol=0, atol=1e-13)


@given(layouts_strategy)
def test_fill_gives_the_wrapped_global_field_and_is_the_adjoint(case):
    grid, p, shape, two_d, seed = case
    blocks, layouts = build(grid, p, shape, two_d)
    rng = np.random.default_rng(seed)
    field = rng.standard_normal(blocks.shape)
    filled = []
    for lay in layouts:
        ext = np.full(lay.ext_shape, np.nan)
        ext[lay.owned] = field[tuple(slice(a, b) for a, b in blocks.block(lay.rank))]
        filled.append(ext)
    simulate(layouts, filled, adjoint=True)
    for lay, ext in zip(layouts, filled):
        np.testing.assert_array_equal(ext, field[global_index(lay)])  # copies: exact, no NaN left
    # adjoint: <fold(e), f> = <e, fill(f)>, summed over ranks
    exts = [rng.standard_normal(lay.ext_shape) for lay in layouts]
    rhs = sum(float(np.vdot(e, f)) for e, f in zip(exts, filled))
    simulate(layouts, exts, adjoint=False)
    lhs = sum(float(np.vdot(e[lay.owned], field[tuple(slice(a, b) for a, b in blocks.block(lay.rank))]))
              for lay, e in zip(layouts, exts))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)  # two orders of the same ~100-term sum


def test_thin_blocks_send_to_ranks_two_away_and_to_themselves():
    # 3 rows over 3 ranks, PCS (1 ghost row below, 2 above): rank 0's extended rows 0..3 are global
    # rows 2 (rank 2), 0 (its own), 1 (rank 1), 2 (rank 2, two away); into its row 0 (extended row 1)
    # fold rank 1's extended rows 0 and 3 (global -> 0, 3 -> 0) and rank 2's row 2 (global 3 -> 0)
    blocks = BlockGrid.regular((3, 4, 4), (3,))
    sends, recvs = GhostLayout(blocks, 0, 4)._plans[0]
    assert sends == {2: [0, 3], 1: [2]}
    assert recvs == {1: [1, 1], 2: [1]}
    # 2 rows over 2 ranks: rank 0's extended row 3 (global 2 -> 0) is its own row
    sends, recvs = GhostLayout(BlockGrid.regular((2, 4, 4), (2,)), 0, 4)._plans[0]
    assert sends == {1: [0, 2], 0: [3]} and recvs == {0: [1], 1: [1, 1]}
    solo = GhostLayout(BlockGrid.regular((2, 4, 4), (1,)), 0, 4)
    assert solo.ext_shape == (2, 4, 4)  # not split: no ghosts, the serial kernels wrap


def test_block_grid_owners_and_neighbours():
    blocks = BlockGrid.regular((10, 6, 4), (4, 2))
    assert [block_split(10, 4, i) for i in range(4)] == [(0, 3), (3, 6), (6, 8), (8, 10)]
    cells = np.array([[0, 0, 0], [2, 3, 1], [3, 2, 0], [9, 5, 3], [6, 0, 2]])
    assert blocks.owners(cells).tolist() == [0, 1, 2, 7, 4]
    assert blocks.neighbour(7, 0, 0) == 1 and blocks.neighbour(7, 1, 0) == 6
    with pytest.raises(ValueError, match="must tile the mesh"):
        BlockGrid((4, 4), [[(0, 2), (0, 4)], [(1, 4), (0, 4)]])
