"""Green's functions, force symbols and the Laplacian symbol on blocks of the rfftn layout.

One rank of :mod:`fieldconv.distributed` holds one block of wavenumbers; it
must get exactly the serial table's block (the same formulas on the same 1-D
tables, elementwise), including blocks without the ``k = 0`` mode.
"""

import numpy as np
import pytest

from fieldconv.poisson import PoissonSolver
from fieldconv.stencil import laplacian_symbol

GREENS = [
    ("continuous", {}),
    ("discrete", {"order": 4}),
    ("discrete", {"points": 19}),
    ("optimal", {"scheme": "pcs"}),
    ("optimal", {"scheme": "cic", "differencing": "fd", "order": 6}),
]


def _blocks(kshape):
    return [
        tuple(slice(0, n) for n in kshape),
        tuple(slice(1, n - 1) for n in kshape),  # no k = 0 mode
        tuple(slice(n // 2, n) for n in kshape),
        (slice(0, 1),) + tuple(slice(1, n) for n in kshape[1:]),
        (slice(2, 2),) + tuple(slice(0, n) for n in kshape[1:]),  # an empty block
    ]


@pytest.mark.parametrize("shape", [(8, 6, 10), (9, 7, 5), (6, 10), (7, 9)], ids=["even3", "odd3", "even2", "odd2"])
@pytest.mark.parametrize("green, options", GREENS, ids=["cont", "disc4", "disc19", "opt-pcs", "opt-fd6"])
def test_blocks_equal_the_whole_table_bit_for_bit(shape, green, options):
    if options.get("points") == 19 and len(shape) == 2:
        options = {"points": 9}
    equal = "points" in options
    h = (0.1,) * len(shape) if equal else tuple(0.1 * (a + 1) for a in range(len(shape)))
    kernel = "log" if len(shape) == 2 else "newton"
    s = PoissonSolver(shape, h, green=green, kernel=kernel, G=2.0, backend="numpy", **options)
    full = s.green_function()
    assert full.dtype == np.float64 and full.shape == shape[:-1] + (shape[-1] // 2 + 1,)
    hats = [np.broadcast_to(m, full.shape) for m in s.force_symbols()]
    for block in _blocks(full.shape):
        np.testing.assert_array_equal(s.green_function(block=block), full[block])
        for m, ref in zip(s.force_symbols(block=block), hats):
            assert m.dtype == np.complex128
            np.testing.assert_array_equal(np.broadcast_to(m, full[block].shape), ref[block])


def test_the_solver_uses_the_green_function():
    # the cached table is green_function() / N in the working dtype (float32 kept)
    s = PoissonSolver((8, 6, 4), 0.5, green="optimal", scheme="tsc", dtype=np.float32, backend="numpy")
    g = s._cached_green()
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, (s.green_function() / (8 * 6 * 4)).astype(np.float32))


@pytest.mark.parametrize("shape, options", [((8, 6, 10), {"order": 6}), ((7, 9), {"points": 9}), ((5,), {})],
                         ids=["3d-o6", "2d-9pt", "1d"])
def test_laplacian_symbol_blocks(shape, options):
    full = laplacian_symbol(shape, 0.3, **options)
    for block in _blocks(full.shape)[: 3 if len(shape) == 1 else 5]:
        np.testing.assert_array_equal(laplacian_symbol(shape, 0.3, block=block, **options), full[block])
    # complex (full) layout too
    whole = laplacian_symbol(shape, 0.3, rfft=False, **options)
    block = tuple(slice(1, n) for n in whole.shape)
    np.testing.assert_array_equal(laplacian_symbol(shape, 0.3, rfft=False, block=block, **options), whole[block])


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: laplacian_symbol((8, 8), block=slice(0, 4)), TypeError, "block must be a tuple of 2 slices"),
        (lambda: laplacian_symbol((8, 8), block=(slice(0, 4),)), TypeError, "block must be a tuple of 2 slices"),
        (lambda: PoissonSolver((8, 8, 8)).green_function(block=(0, 1, 2)), TypeError,
         "block must be a tuple of 3 slices"),
        (lambda: PoissonSolver((8, 8, 8)).force_symbols(block=[slice(None)] * 3), TypeError,
         "block must be a tuple of 3 slices"),
        (lambda: PoissonSolver((8, 8, 8), bc="isolated").green_function(block=(slice(None),) * 3),
         NotImplementedError, "block is only supported for bc='periodic'"),
        (lambda: PoissonSolver((8, 8, 8), bc="isolated").force_symbols(), NotImplementedError,
         "only defined for bc='periodic'"),
    ],
    ids=["not-tuple", "too-short", "ints", "list", "isolated-block", "isolated-forces"],
)
def test_bad_blocks(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_potential_unit():
    import astropy.units as u

    s = PoissonSolver((8, 8, 8), 0.5 * u.kpc)  # G defaults to astropy's G
    unit = s.potential_unit(u.Msun / u.kpc**3)
    assert unit.is_equivalent(u.km**2 / u.s**2)
    assert PoissonSolver((8, 8, 8), 0.5).potential_unit() is None
    with pytest.raises(ValueError, match="density must be a mass per length"):
        s.potential_unit(u.K)
