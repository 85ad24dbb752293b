"""Tests of fieldconv.assign: exact identities of paint/readout, edge positions,
determinism, compensation and interlacing against analytic aliasing sums, errors.

Round-off bounds: every mesh element is a sum of at most N products of <= d+1
factors, each a float64 weight (relative error <= ~8 eps64) added into the mesh
dtype, so a float32 mesh carries relative error <= ~N_add * eps32 of the total
mass per cell; tolerances below are written as such multiples.
"""

import math

import h5py
import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import kernels
from fieldconv.assign import _compiled_bin, _compiled_core, _compiled_paint, _compiled_readout
from fieldconv.backend import threads
from fieldconv.assign import (
    SCHEMES,
    Painted,
    bucket,
    compensate,
    paint,
    paint_chunks,
    paint_interlaced,
    readout,
    readout_gradient,
    window,
)

SCHEME_IDS = list(SCHEMES)
DTYPES = [pytest.param(np.float32, id="f32"), pytest.param(np.float64, id="f64")]
NDIMS = [1, 2, 3]
SHAPES = {1: (37,), 2: (12, 10), 3: (8, 6, 7)}
BOXES = {1: (3.7,), 2: (1.2, 2.0), 3: (1.0, 1.5, 0.7)}
EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


def _rand_pos(rng, n, box, dtype, lo=0.0, hi=1.0):
    box = np.asarray(box)
    return (box * (lo + (hi - lo) * rng.random((n, len(box))))).astype(dtype)


def _centres(shape, box):
    h = np.asarray(box) / np.asarray(shape)
    return [(np.arange(n) + 0.5) * hh for n, hh in zip(shape, h)]


# ------------------------------------------------------------ exact identities
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndim", NDIMS)
@pytest.mark.parametrize("scheme", SCHEME_IDS)
class TestIdentities:
    def test_mass_conservation_and_dtype(self, scheme, ndim, dtype, rng):
        shape, box = SHAPES[ndim], BOXES[ndim]
        pos = _rand_pos(rng, 2000, box, dtype, -3.0, 4.0)  # many boxes away, negative
        w = rng.random(2000).astype(dtype)
        mesh = paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w)
        assert mesh.dtype == dtype and mesh.shape == shape
        # each of the <= 2000 * 4**d additions into a cell of mass <= total rounds by <= eps
        tol = 50 * EPS[dtype] * w.astype(np.float64).sum()
        assert abs(mesh.astype(np.float64).sum() - w.astype(np.float64).sum()) < tol

    def test_partition_of_unity(self, scheme, ndim, dtype, rng):
        shape, box = SHAPES[ndim], BOXES[ndim]
        pos = _rand_pos(rng, 50, box, dtype)
        for x in pos:
            mesh = paint(x[None], box_size=box, shape=shape, scheme=scheme)
            # one particle: sum of p**d products of float64 weights, each rounded once into dtype
            assert abs(mesh.astype(np.float64).sum() - 1.0) < 4 ** ndim * 2 * EPS[dtype]
            assert mesh.min() >= 0.0

    def test_first_moment(self, scheme, ndim, dtype, rng):
        # B-splines of order p >= 2 reproduce linear polynomials:
        # sum_j W_p(u - j - 1/2) (j + 1/2) = u, so the centre of mass is kept.
        # NGP moves each mass to its cell centre instead: the moment is then
        # sum_i w_i (floor(x_i/h) + 1/2) h exactly (checked below).
        shape, box = SHAPES[ndim], BOXES[ndim]
        p = SCHEMES[scheme]
        h = np.asarray(box) / np.asarray(shape)
        lo, hi = (p - 1) / 2 / np.asarray(shape), 1 - (p - 1) / 2 / np.asarray(shape)
        pos = (np.asarray(box) * (lo + (hi - lo) * rng.random((300, ndim)))).astype(dtype)
        w = rng.random(300).astype(dtype)
        mesh = paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w, periodic=False)
        m64 = mesh.astype(np.float64)
        for a, xc in enumerate(_centres(shape, box)):
            sl = [None] * ndim
            sl[a] = slice(None)
            got = (m64 * xc[tuple(sl)]).sum()
            x = pos[:, a].astype(np.float64)
            if scheme == "ngp":
                x = (np.floor(x / h[a]) + 0.5) * h[a]
            want = (w.astype(np.float64) * x).sum()
            # float32 mesh: rounding of each addition, relative eps32 of the total moment (x 50)
            assert abs(got - want) <= 50 * EPS[dtype] * (w.sum() * box[a]) + 1e-12 * h[a]

    def test_adjoint(self, scheme, ndim, dtype, rng):
        shape, box = SHAPES[ndim], BOXES[ndim]
        pos = _rand_pos(rng, 500, box, dtype, -1.0, 2.0)
        w = rng.standard_normal(500).astype(dtype)
        f = rng.standard_normal(shape).astype(dtype)
        lhs = np.vdot(paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w).astype(np.float64), f)
        rhs = np.vdot(w.astype(np.float64), readout(f, pos, box_size=box, scheme=scheme).astype(np.float64))
        # both sides are sums of ~500 * 4**d terms of size ~1, each rounded to dtype once
        scale = np.abs(w).sum() * np.abs(f).max()
        assert abs(lhs - rhs) <= 20 * EPS[dtype] * scale
        assert readout(f, pos, box_size=box, scheme=scheme).dtype == dtype

    def test_shifted_lattice_paints_uniform(self, scheme, ndim, dtype, rng):
        # one particle per cell, all shifted by the same offset: sum_j W(u - j) = 1 everywhere
        shape, box = SHAPES[ndim], BOXES[ndim]
        h = np.asarray(box) / np.asarray(shape)
        grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
        off = rng.random(ndim)
        pos = np.stack([(g.ravel() + off[a]) * h[a] for a, g in enumerate(grids)], axis=1).astype(dtype)
        mesh = paint(pos, box_size=box, shape=shape, scheme=scheme)
        # each cell: sum of p**d weights that add to 1 exactly in real arithmetic
        np.testing.assert_allclose(mesh, 1.0, rtol=0, atol=4 ** ndim * 4 * EPS[dtype])


@pytest.mark.parametrize("scheme,expected", [
    ("ngp", [0, 1, 0]), ("cic", [0, 1, 0]), ("tsc", [1 / 8, 3 / 4, 1 / 8]), ("pcs", [1 / 6, 2 / 3, 1 / 6]),
], ids=SCHEME_IDS)
def test_particle_at_cell_centre(scheme, expected):
    # NGP/CIC put everything in the cell; TSC/PCS (non-interpolating B-splines) do not:
    # W_3(0)=3/4, W_3(1)=1/8; W_4(0)=2/3, W_4(1)=1/6 (exact binary fractions in float64 up to 1/6)
    mesh = paint(np.array([[2.5]]), box_size=5.0, shape=5, scheme=scheme)
    np.testing.assert_allclose(mesh[1:4], expected, rtol=0, atol=1e-15)
    assert mesh.sum() == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("scheme", ["ngp", "cic"])
@pytest.mark.parametrize("ndim", [2, 3])
def test_against_np_add_at(scheme, ndim, rng):
    shape, box = SHAPES[ndim], BOXES[ndim]
    h = np.asarray(box) / np.asarray(shape)
    pos = _rand_pos(rng, 3000, box, np.float64, -1.0, 2.0)
    w = rng.random(3000)
    ref = np.zeros(shape)
    u = pos / h
    if scheme == "ngp":
        c = np.floor(u).astype(np.int64) % np.asarray(shape)
        np.add.at(ref, tuple(c.T), w)
    else:
        t = u - 0.5
        c0 = np.floor(t).astype(np.int64)
        f = t - c0
        for corner in np.ndindex(*(2,) * ndim):
            cc = (c0 + np.asarray(corner)) % np.asarray(shape)
            wt = w * np.prod(np.where(np.asarray(corner) == 1, f, 1 - f), axis=1)
            np.add.at(ref, tuple(cc.T), wt)
    got = paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)  # same products, different summation order


# ------------------------------------------------------------- edge positions
@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_periodic_edge_positions(scheme):
    L, n = 4.0, 8
    below = np.nextafter(np.float32(L), np.float32(0))  # float32 x just below L: x/h in float32 is exactly n
    pos32 = np.array([[L], [below], [0.0], [-L], [-1e-30], [1000 * L]], dtype=np.float32)
    for x in pos32:
        mesh = paint(x[None], box_size=L, shape=n, scheme=scheme)
        assert mesh.shape == (n,) and abs(float(mesh.sum()) - 1.0) < 1e-6
    # x = L is x = 0; x many boxes away is x
    ref0 = paint(np.array([[0.0]], np.float32), box_size=L, shape=n, scheme=scheme)
    for x in (L, -L, 1000 * L, -1000 * L):
        np.testing.assert_array_equal(paint(np.array([[x]], np.float32), box_size=L, shape=n, scheme=scheme), ref0)
    # float32 just below L: float64 coordinate is n*(1 - 2**-24) -> cell n-1 side, never index n
    m = paint(np.array([[below]]), box_size=L, shape=n, scheme="ngp")
    assert m[n - 1] == 1.0
    # a position 10**6 boxes away in float64: the coordinate keeps ~1e-9 relative precision
    x = 1.3
    far = paint(np.array([[x + 1e6 * L]]), box_size=L, shape=n, scheme=scheme)
    np.testing.assert_allclose(far, paint(np.array([[x]]), box_size=L, shape=n, scheme=scheme), atol=1e-8)
    # readout at the same edge positions stays in range and equals readout at the wrapped point
    f = np.arange(n, dtype=np.float32)
    vals = readout(f, pos32, box_size=L, scheme=scheme)
    assert np.all(np.isfinite(vals)) and vals.dtype == np.float32


def test_nonperiodic_inside_region_boundaries():
    # the inside region is u in [(p-1)/2, n - (p-1)/2] (NGP: [0, n)); the endpoints are inside
    L, n = 8.0, 8
    for scheme, p in SCHEMES.items():
        a = (p - 1) / 2
        ok = np.array([[a], [n - a]]) if p > 1 else np.array([[0.0], [np.nextafter(n, 0)]])
        m = paint(ok, box_size=L, shape=n, scheme=scheme, periodic=False)
        assert m.sum() == pytest.approx(2.0, abs=1e-14)
        for bad in ([[a - 1e-9]], [[n - a + 1e-9]]) if p > 1 else ([[-1e-9]], [[float(n)]]):
            with pytest.raises(ValueError, match="got 1 particles outside"):
                paint(np.array(bad), box_size=L, shape=n, scheme=scheme, periodic=False)


def test_nonperiodic_drop_reports_mass():
    pos = np.array([[0.2, 1.0], [3.5, 3.5], [-7.0, 1.0], [1e300, 2.0]])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"got 3 particles outside, spanning axis 0: \[-7, 1e\+300\]"):
        paint(pos, box_size=4.0, shape=(4, 4), weights=w, periodic=False)
    r = paint(pos, box_size=4.0, shape=(4, 4), weights=w, periodic=False, outside="drop")
    assert isinstance(r, Painted) and r.dropped_count == 3
    # particle 0: x=0.2 puts 0.3 of its CIC weight left of cell 0; particles 2,3 drop all
    assert r.dropped_mass == pytest.approx(0.3 * 1.0 + 3.0 + 4.0, abs=1e-12)
    assert float(r.mesh.sum()) + r.dropped_mass == pytest.approx(w.sum(), abs=1e-12)
    d = paint(pos, box_size=4.0, shape=(4, 4), weights=w, periodic=False, outside="drop", density=True)
    assert d.dropped_mass == pytest.approx(r.dropped_mass)  # reported as mass, not density


def test_caller_arrays_not_modified(rng):
    pos = _rand_pos(rng, 100, (1.0, 1.0), np.float32, -2, 3)
    w = rng.random(100).astype(np.float32)
    p0, w0 = pos.copy(), w.copy()
    paint(pos, box_size=1.0, shape=(4, 4), weights=w, scheme="pcs", bucket=True)
    readout(np.ones((4, 4), np.float32), pos, box_size=1.0)
    np.testing.assert_array_equal(pos, p0)
    np.testing.assert_array_equal(w, w0)


def test_index_arithmetic_beyond_2_31(tmp_path):
    # A real 1291**3 float32 mesh (2.15e9 elements > 2**31, 8.6 GB) as a sparse memory map:
    # only the touched pages are stored, so this paints and reads back at flat indices
    # beyond 2**31 for real (the 32-bit failure mode of other codes).
    n = 1291
    path = tmp_path / "big.f32"
    try:
        with open(path, "wb") as fh:
            fh.truncate(n**3 * 4)
        mesh = np.memmap(path, dtype=np.float32, mode="r+", shape=(n, n, n))
    except (OSError, ValueError) as exc:  # pragma: no cover - filesystem without sparse files
        pytest.skip(f"no sparse file: {exc}")
    assert n**3 > 2**31
    pos = np.array([[n - 0.5, n - 0.5, n - 0.5], [n - 1.0, 3.5, n - 2.0]], dtype=np.float32)  # exact in float32
    paint(pos, box_size=float(n), shape=(n, n, n), scheme="cic", out=mesh)
    assert mesh[n - 1, n - 1, n - 1] == 1.0
    flat = np.int64(n - 2) * n * n + 3 * n + n - 3  # > 2**31
    assert flat > 2**31 and mesh.reshape(-1)[flat] == pytest.approx(0.25)
    np.testing.assert_allclose(readout(mesh, pos, box_size=float(n), scheme="cic"), [1.0, 0.25])
    del mesh


@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_cells_and_offsets(scheme, rng):
    # (cells, offsets) = the same positions, exactly, even 10**12 cells away
    n, L = 16, 2.0
    h = L / n
    cells = rng.integers(-50, 50, size=(300, 2))
    off = rng.random((300, 2))
    pos = (cells + off) * h
    a = paint((cells, off), box_size=L, shape=(n, n), scheme=scheme)
    b = paint(pos, box_size=L, shape=(n, n), scheme=scheme)
    np.testing.assert_allclose(a, b, atol=1e-12)
    big = paint((cells + 10**12 * n, off), box_size=L, shape=(n, n), scheme=scheme)
    np.testing.assert_array_equal(big, a)  # integer wrap: bit-identical
    np.testing.assert_allclose(readout(a, (cells, off), box_size=L, scheme=scheme),
                               readout(a, pos, box_size=L, scheme=scheme), atol=1e-12)


# ----------------------------------------------------------------- determinism
def test_deterministic_across_thread_counts(rng):
    pos = _rand_pos(rng, 200_000, (1.0, 1.0, 1.0), np.float32)
    w = rng.random(200_000).astype(np.float32)
    meshes = []
    for t in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
        with threads(t):
            # unrolled CIC and TSC kernels, the generic kernel (PCS), twice each
            meshes.append([paint(pos, box_size=1.0, shape=(24, 24, 24), weights=w, scheme=s)
                           for s in ("cic", "tsc", "pcs", "tsc")])
    for m in meshes[1:]:
        for a, b in zip(m, meshes[0]):
            assert np.array_equal(a, b)  # bit for bit
    assert np.array_equal(meshes[0][1], meshes[0][3])


@pytest.mark.parametrize("ndim", [1, 3], ids=["1d", "3d"])
def test_bucketed_input_deterministic(rng, ndim):
    # sorted input: each thread reads only the particles near its rows; the mesh must equal
    # (bit for bit) the full-stream result for any thread count, including the periodic wrap
    n = 100_000
    pos = _rand_pos(rng, n, (1.0,) * ndim, np.float32, -1, 2)
    shape = (20,) * ndim
    sp, _, idx = bucket(pos, box_size=1.0, shape=shape, return_index=True)
    assert np.array_equal(idx, bucket(pos, box_size=1.0, shape=shape, return_index=True)[2])
    meshes = []
    for t in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
        with threads(t):
            assert np.array_equal(bucket(pos, box_size=1.0, shape=shape, return_index=True)[2], idx)
            meshes.append([paint(sp, box_size=1.0, shape=shape, scheme=s) for s in ("cic", "tsc", "pcs")])
    for m in meshes[1:]:
        for a, b in zip(m, meshes[0]):
            assert np.array_equal(a, b)  # bit for bit
    for a in meshes[0]:
        assert abs(a.sum() - n) < 1e-5 * n  # mass conservation (float32 cell sums)


@pytest.fixture
def force_binning(monkeypatch):
    """Paint every mesh through slab bins, in blocks of 3000 particles, one or two rows per slab.

    Returns a function that switches binning off again (for the unbinned reference).
    """
    nb = _compiled_bin
    monkeypatch.setattr(nb, "BIN_MIN_BYTES", 0)
    monkeypatch.setattr(nb, "BIN_BLOCK", 3000)
    monkeypatch.setattr(nb, "SLAB_BYTES", 64)

    def off():
        monkeypatch.setattr(nb, "BIN_MIN_BYTES", 1 << 62)

    return off


def _paint_ref64(pos, w, box, shape, scheme, periodic=True):
    """float64 reference with the binning threshold out of reach (particle order)."""
    return paint(pos.astype(np.float64), box_size=box, shape=shape, scheme=scheme, weights=w.astype(np.float64),
                 periodic=periodic)


@pytest.mark.parametrize("ndim", [1, 2, 3], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_binned_paint_deterministic_and_exact(force_binning, rng, ndim, dtype):
    # unsorted particles on a "large" mesh are binned by slab of leading rows, 3000 at a time, and
    # painted slab by slab: every element receives its additions in (block, slab, particle) order,
    # the same for any thread count, bit for bit; against the unbinned float64 paint the only change
    # is the summation order and the rounding into dtype: <= (additions per cell) * eps(dtype) * max
    shape = {1: (50,), 2: (13, 9), 3: (9, 7, 8)}[ndim]
    box = BOXES[ndim]
    n = 10_000  # four blocks, the last one partial
    pos = _rand_pos(rng, n, box, dtype, -2.0, 3.0)  # wraps, negative, several boxes away
    w = rng.random(n).astype(dtype)
    meshes = []
    for t in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
        with threads(t):
            meshes.append([paint(pos, box_size=box, shape=shape, weights=w, scheme=s) for s in SCHEME_IDS])
    for m in meshes[1:]:
        for a, b in zip(m, meshes[0]):
            assert np.array_equal(a, b)  # bit for bit
    force_binning()
    for s, got in zip(SCHEME_IDS, meshes[0]):
        assert got.dtype == dtype
        ref = _paint_ref64(pos, w, box, shape, s)
        adds = n * SCHEMES[s] ** ndim / math.prod(shape)
        np.testing.assert_allclose(got, ref, rtol=0, atol=4 * adds * EPS[dtype] * ref.max())
        assert abs(got.astype(np.float64).sum() - w.astype(np.float64).sum()) < 50 * EPS[dtype] * n


def test_binned_paint_nonperiodic_drop(force_binning, rng):
    # non-periodic particles are binned by their clamped leading row; the mass that falls
    # outside is summed in the pre-pass, so it equals the unbinned figure exactly
    pos = _rand_pos(rng, 7000, (1.0, 1.0), np.float64, -0.2, 1.2)
    w = rng.random(7000)
    got = paint(pos, box_size=1.0, shape=(10, 6), weights=w, scheme="tsc", periodic=False, outside="drop")
    force_binning()
    ref = paint(pos, box_size=1.0, shape=(10, 6), weights=w, scheme="tsc", periodic=False, outside="drop")
    assert got.dropped_count == ref.dropped_count > 0
    assert got.dropped_mass == ref.dropped_mass
    np.testing.assert_allclose(got.mesh, ref.mesh, rtol=0, atol=7000 * 9 / 60 * 4 * EPS[np.float64] * ref.mesh.max())
    assert float(got.mesh.sum()) + got.dropped_mass == pytest.approx(w.sum(), rel=1e-12)


def test_binned_paint_chunks_bit_for_bit(force_binning, rng):
    # chunks that are whole binning blocks (3000 here) reproduce the one-call mesh bit for bit;
    # input already sorted by leading cell is painted in particle order, binned or not
    pos = _rand_pos(rng, 9500, (1.0, 1.0, 1.0), np.float32)
    full = paint(pos, box_size=1.0, shape=(6, 5, 4), scheme="cic")
    np.testing.assert_array_equal(paint_chunks(pos, box_size=1.0, shape=(6, 5, 4), chunk_size=6000), full)
    sp = bucket(pos, box_size=1.0, shape=(6, 5, 4))[0]
    a = paint(sp, box_size=1.0, shape=(6, 5, 4), scheme="tsc")
    force_binning()
    np.testing.assert_array_equal(paint(sp, box_size=1.0, shape=(6, 5, 4), scheme="tsc"), a)


def test_bucket_rejects_non_finite():
    pos = np.zeros((5, 3))
    pos[2, 1] = np.nan
    with pytest.raises(ValueError, match="positions must be finite; got 1 non-finite"):
        bucket(pos, box_size=1.0, shape=4)
    w = np.ones(5)
    w[0] = np.inf
    with pytest.raises(ValueError, match="weights must be finite; got 1 non-finite"):
        bucket(np.zeros((5, 3)), box_size=1.0, shape=4, weights=w)


# ------------------------------------------------------------ options
def test_out_accumulates_chunks(rng):
    pos = _rand_pos(rng, 5000, (1.0, 1.0), np.float64)
    full = paint(pos, box_size=1.0, shape=(16, 16), scheme="tsc")
    out = np.zeros((16, 16))
    r = paint(pos[:2000], box_size=1.0, shape=(16, 16), scheme="tsc", out=out)
    assert r is out
    paint(pos[2000:], box_size=1.0, shape=(16, 16), scheme="tsc", out=out)
    # every element receives its additions in particle order, chunked or not: bit for bit
    np.testing.assert_array_equal(out, full)


def test_accumulate_float64(rng):
    pos = _rand_pos(rng, 200_000, (1.0,), np.float32)
    ref = paint(pos.astype(np.float64), box_size=1.0, shape=(4,), scheme="cic")
    m32 = paint(pos, box_size=1.0, shape=(4,), scheme="cic")
    m64 = paint(pos, box_size=1.0, shape=(4,), scheme="cic", accumulate_dtype=np.float64)
    assert m64.dtype == np.float32
    err32 = np.abs(m32 - ref).max()
    err64 = np.abs(m64.astype(np.float64) - ref).max()
    # float64 accumulation: only the final rounding (<= eps32/2 relative) remains
    assert err64 <= 0.5 * EPS[np.float32] * ref.max() * 1.0001
    assert err64 < err32


def test_density_and_units():
    import astropy.units as u

    pos = np.array([[0.5, 0.5]])
    m = paint(pos, box_size=2.0, shape=(4, 4), density=True)
    assert m.sum() * 0.25 == pytest.approx(1.0)
    q = paint(pos * u.Mpc, box_size=2.0 * u.Mpc, shape=(4, 4), weights=np.array([3.0]) * u.Msun, density=True)
    assert q.unit == u.Msun / u.Mpc**2 and q.value.sum() * 0.25 == pytest.approx(3.0)
    q2 = paint(np.array([[500.0, 500.0]]) * u.kpc, box_size=2.0 * u.Mpc, shape=(4, 4))
    np.testing.assert_array_equal(q2, m * 0.25)  # kpc converted to the box unit


@pytest.mark.parametrize("scheme", ["cic", "tsc", "pcs"])
def test_readout_gradient(scheme, rng):
    # the interpolant of a linear field is linear for p >= 2, so its gradient is exact
    n, L = 16, 4.0
    h = L / n
    xc = (np.arange(n) + 0.5) * h
    f = 2.0 * xc[:, None] - 3.0 * xc[None, :] + 1.0
    p = SCHEMES[scheme]
    lo, hi = (p - 1) / 2 * h, L - (p - 1) / 2 * h
    pos = lo + (hi - lo) * rng.random((200, 2))
    g = readout_gradient(f, pos, box_size=L, scheme=scheme, periodic=False)
    np.testing.assert_allclose(g, np.broadcast_to([2.0, -3.0], g.shape), atol=1e-12)
    # and it is the derivative of readout (central difference, error O(d^2 f''') ~ 1e-10)
    fr = rng.standard_normal((n, n))
    pos = rng.random((50, 2)) * L
    g = readout_gradient(fr, pos, box_size=L, scheme=scheme)
    d = 1e-6
    for a in range(2):
        e = np.zeros(2)
        e[a] = d
        fd = (readout(fr, pos + e, box_size=L, scheme=scheme) - readout(fr, pos - e, box_size=L, scheme=scheme)) / (2 * d)
        if scheme == "cic":  # piecewise-constant gradient: skip points within d of a kink
            u = pos[:, a] / h - 0.5
            ok = np.abs(u - np.round(u)) > 1e-4
        else:
            ok = slice(None)
        np.testing.assert_allclose(g[ok, a], fd[ok], atol=1e-6)


def test_bucket(rng):
    pos = _rand_pos(rng, 20000, (1.0, 1.0, 1.0), np.float32, -1, 2)
    w = rng.random(20000).astype(np.float32)
    sp, sw, idx = bucket(pos, box_size=1.0, shape=(16, 16, 16), weights=w, return_index=True)
    np.testing.assert_array_equal(sp, pos[idx])
    np.testing.assert_array_equal(sw, w[idx])
    c = np.floor(np.mod(sp.astype(np.float64), 1.0) * 16).astype(int)
    key = c[:, 0] * 16 + c[:, 1]
    assert np.all(np.diff(key) >= 0)
    same = np.diff(key) == 0
    assert np.all(np.diff(idx)[same] > 0)  # stable: original order within a key
    np.testing.assert_array_equal(idx, np.argsort(key[np.argsort(idx)], kind="stable"))
    a = paint(pos, box_size=1.0, shape=(16, 16, 16), weights=w, scheme="cic")
    b = paint(pos, box_size=1.0, shape=(16, 16, 16), weights=w, scheme="cic", bucket=True)
    np.testing.assert_allclose(a, b, rtol=0, atol=64 * EPS[np.float32] * a.max())  # summation order only


def test_paint_chunks_sources(rng, tmp_path):
    pos = _rand_pos(rng, 10000, (1.0, 1.0), np.float64)
    w = rng.random(10000)
    full = paint(pos, box_size=1.0, shape=(8, 8), weights=w, scheme="pcs")
    a = paint_chunks(pos, box_size=1.0, shape=(8, 8), weights=w, scheme="pcs", chunk_size=777)
    np.testing.assert_array_equal(a, full)  # same particle order per element: bit for bit
    it = ((pos[i : i + 3000], w[i : i + 3000]) for i in range(0, 10000, 3000))
    np.testing.assert_allclose(paint_chunks(it, box_size=1.0, shape=(8, 8), scheme="pcs"), full, atol=1e-11)
    with h5py.File(tmp_path / "p.h5", "w") as fh:
        fh["pos"] = pos.astype(np.float32)
        fh["w"] = w
        m = paint_chunks(fh["pos"], box_size=1.0, shape=(8, 8), weights=fh["w"], scheme="pcs", chunk_size=4096)
    assert m.dtype == np.float32
    np.testing.assert_allclose(m, full, rtol=1e-5)
    r = paint_chunks([pos[:10] + 5], box_size=1.0, shape=(8, 8), periodic=False, outside="drop")
    assert r.dropped_count == 10 and r.dropped_mass == pytest.approx(10.0)


# ---------------------------------------------------------- generic path
@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_generic_path_matches_numba(scheme, strict_backend, rng):
    be = strict_backend
    shape, box = SHAPES[2], BOXES[2]
    pos = _rand_pos(rng, 300, box, np.float64, -1, 2)
    w = rng.random(300)
    ref = paint(pos, box_size=box, shape=shape, scheme=scheme, weights=w)
    got = paint(be.asarray(pos, copy=True), box_size=box, shape=shape, scheme=scheme,
                weights=be.asarray(w, copy=True), backend=be)
    np.testing.assert_allclose(be.to_numpy(got), ref, atol=1e-12)  # cumsum differences: ~eps * total mass
    f = rng.standard_normal(shape)
    np.testing.assert_allclose(
        be.to_numpy(readout(be.asarray(f, copy=True), be.asarray(pos, copy=True), box_size=box, scheme=scheme, backend=be)),
        readout(f, pos, box_size=box, scheme=scheme), atol=1e-12)
    if scheme != "ngp":
        np.testing.assert_allclose(
            be.to_numpy(readout_gradient(be.asarray(f, copy=True), be.asarray(pos, copy=True), box_size=box,
                                         scheme=scheme, backend=be)),
            readout_gradient(f, pos, box_size=box, scheme=scheme), atol=1e-10)
    # non-periodic drop and raise on the generic path
    posn = np.array([[0.05, 1.0], [0.6, 1.0]])
    r = paint(be.asarray(posn, copy=True), box_size=box, shape=shape, scheme=scheme, periodic=False,
              outside="drop", backend=be)
    r0 = paint(posn, box_size=box, shape=shape, scheme=scheme, periodic=False, outside="drop")
    assert r.dropped_count == r0.dropped_count and r.dropped_mass == pytest.approx(r0.dropped_mass, abs=1e-12)
    if r0.dropped_count:
        with pytest.raises(ValueError, match="particles outside"):
            paint(be.asarray(posn, copy=True), box_size=box, shape=shape, scheme=scheme, periodic=False, backend=be)


def test_generic_path_interlaced_compensated(strict_backend, rng):
    be = strict_backend
    pos = _rand_pos(rng, 200, (1.0, 1.0), np.float64)
    ref = paint_interlaced(pos, box_size=1.0, shape=(8, 8), compensated=True, backend="numpy")
    got = paint_interlaced(be.asarray(pos, copy=True), box_size=1.0, shape=(8, 8), compensated=True, backend=be)
    np.testing.assert_allclose(be.to_numpy(got), ref, atol=1e-10)


# --------------------------------------------------- windows, compensation, interlacing
def test_window_values():
    k = np.array([0.0, np.pi / 2, np.pi])
    for scheme, p in SCHEMES.items():
        np.testing.assert_allclose(window(k, scheme, 1.0), np.sinc(k / 2 / np.pi) ** p, rtol=1e-15)
    w2 = window((np.array([[np.pi]]), np.array([[0.0, np.pi]])), "cic", (1.0, 2.0))
    np.testing.assert_allclose(w2, [[(2 / np.pi) ** 2, (2 / np.pi) ** 2 * np.sinc(1.0) ** 2]], atol=1e-16)


@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_window_is_fft_of_painted_particle(scheme):
    # the DFT of a particle painted at a cell centre equals sum over images of W(k + 2 pi n / h),
    # the Poisson sum, which for the B-spline is the discrete symbol of its samples
    n = 16
    m = paint(np.array([[0.5]]), box_size=float(n), shape=n, scheme=scheme)
    k = 2 * np.pi * np.fft.rfftfreq(n)
    images = sum(window(k + 2 * np.pi * j, scheme, 1.0) for j in range(-4000, 4001))
    # truncated image sum: the tail beyond |j| = J is <= 2 / (pi^p (p-1) J^(p-1)) (NGP: alternating, ~1/J)
    tol = {"ngp": 1e-3, "cic": 1e-4, "tsc": 1e-7, "pcs": 1e-10}[scheme]
    np.testing.assert_allclose(np.fft.rfft(m).real, images, atol=tol)


def _aliasing_series(x, p, delta, keep=lambda m: True, M=4000):
    """Relative amplitude sum_m (-1)^{m(p+1)} e^{-2 pi i m delta} (x/(x+pi m))^p over kept images."""
    m = np.arange(-M, M + 1)
    m = m[np.array([keep(v) for v in m])]
    return np.sum((-1.0) ** (m * (p + 1)) * np.exp(-2j * np.pi * m * delta) * (x / (x + np.pi * m)) ** p)


@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_plane_wave_aliasing_compensation_interlacing(scheme):
    # Particles one per cell at x_i = (i + delta) h with masses 1 + A cos(k0 x_i) (a plane wave
    # along axis 0, uniform across).  After dividing by sinc^p(k0 h/2) the painted mode k0 is the
    # true amplitude times the aliasing series S = sum_m (-1)^{m(p+1)} e^{-2 pi i m delta}
    # (x/(x+pi m))^p, x = k0 h/2 (images k0 + 2 pi m/h of the lattice).  Interlacing (n=2) keeps the
    # even m only.  Figures |S - 1| at x = pi/8 (k0 = k_Nyq/4), delta = 0.3, plain / interlaced:
    # NGP 1.6e-1 / 4.0e-2, CIC 8.4e-3 / 5.7e-3, TSC 3.8e-3 / 2.6e-4, PCS 2.9e-4 / 2.5e-5; the painted
    # amplitudes match the series to 1e-9 (NGP 2e-3, its series converges like 1/M).
    p = SCHEMES[scheme]
    n, L = 32, 1.0
    h = L / n
    j0 = 4
    k0 = 2 * np.pi * j0 / L
    delta = 0.3
    i = np.arange(n)
    x = (i + delta) * h
    gy, gx = np.meshgrid(i, i, indexing="ij")
    pos = np.stack([x[gy.ravel()], (gx.ravel() + 0.5) * h], axis=1)
    A = 0.5
    w = 1.0 + A * np.cos(k0 * pos[:, 0])
    true_k0 = np.sum(w * np.exp(-1j * k0 * (pos[:, 0] - h / 2)))  # DFT phase reference: cell centres
    xk = k0 * h / 2
    plain = compensate(np.fft.rfftn(paint(pos, box_size=L, shape=(n, n), scheme=scheme, weights=w)),
                       scheme)[j0, 0]
    inter = paint_interlaced(pos, box_size=L, shape=(n, n), scheme=scheme, weights=w, compensated=True)[j0, 0]
    S = _aliasing_series(xk, p, delta)
    S2 = _aliasing_series(xk, p, delta, keep=lambda m: m % 2 == 0)
    tol = 2e-3 if p == 1 else 1e-9  # truncated series (NGP: tail ~ x / (pi M))
    assert abs(plain / true_k0 - S) < tol
    assert abs(inter / true_k0 - S2) < tol
    assert abs(S2 - 1) < abs(S - 1)  # interlacing reduces the aliasing error
    figures = {"ngp": (1.6e-1, 4.0e-2), "cic": (8.4e-3, 5.7e-3), "tsc": (3.8e-3, 2.6e-4), "pcs": (2.9e-4, 2.5e-5)}
    assert abs(S - 1) == pytest.approx(figures[scheme][0], rel=0.03)
    assert abs(S2 - 1) == pytest.approx(figures[scheme][1], rel=0.03)


@pytest.mark.parametrize("scheme", ["cic", "tsc", "pcs"])
@pytest.mark.parametrize("interlacing", [1, 2], ids=["plain", "interlaced"])
def test_shot_noise_flat_after_aliasing_compensation(scheme, interlacing):
    # Poisson particles: E|D(k)|^2 = N sum_images W^2 exactly (k != 0).  compensate(aliasing=True)
    # divides by sqrt of that sum, so <|D|^2>/N = 1 in every k shell; with plain sinc^-p it would be
    # C/W^2 (CIC at k_Nyq per axis: 2.47, so visibly off).  Statistical error of a shell mean of
    # M independent modes: ~1/sqrt(M); we average over 20 realisations of 20000 particles.
    rng = np.random.default_rng(7)
    n = 16
    ratios = []
    for _ in range(20):
        pos = rng.random((20000, 3))
        if interlacing == 1:
            mk = compensate(np.fft.rfftn(paint(pos, box_size=1.0, shape=(n,) * 3, scheme=scheme)), scheme,
                            aliasing=True)
        else:
            mk = paint_interlaced(pos, box_size=1.0, shape=(n,) * 3, scheme=scheme, compensated=True, aliasing=True)
        ratios.append(np.abs(mk) ** 2 / 20000)
    r = np.mean(ratios, axis=0)
    kx, ky, kz = np.meshgrid(np.fft.fftfreq(n) * n, np.fft.fftfreq(n) * n, np.arange(n // 2 + 1), indexing="ij")
    kk = np.sqrt(kx**2 + ky**2 + kz**2)
    for lo, hi in [(1, 4), (4, 7), (7, 10), (10, 14)]:
        sel = (kk >= lo) & (kk < hi) & (kz > 0) & (kz < n // 2)
        M = sel.sum() * 20
        assert abs(r[sel].mean() - 1) < 5 / np.sqrt(M)  # 5 sigma


# ----------------------------------------------------------------- errors
def test_errors():
    pos = np.zeros((3, 2))
    kw = dict(box_size=1.0, shape=(4, 4))
    with pytest.raises(ValueError, match="scheme must be one of 'ngp', 'cic', 'tsc', 'pcs'; got 'xyz'"):
        paint(pos, scheme="xyz", **kw)
    with pytest.raises(TypeError, match="scheme must be a string"):
        paint(pos, scheme=2, **kw)
    with pytest.raises(ValueError, match="outside must be one of"):
        paint(pos, outside="clip", **kw)
    with pytest.raises(ValueError, match=r"positions must have shape \(N, d\).*positions\[:, None\]"):
        paint(np.zeros(3), **kw)
    with pytest.raises(ValueError, match=r"positions must have shape \(N, d\) with d = 1, 2 or 3; got shape \(3, 4\)"):
        paint(np.zeros((3, 4)), box_size=1.0, shape=(4,) * 4)
    with pytest.raises(ValueError, match="shape must have one entry per position axis"):
        paint(pos, box_size=1.0, shape=(4, 4, 4))
    with pytest.raises(ValueError, match="shape must be >= 1; got 0"):
        paint(pos, box_size=1.0, shape=(0, 4))
    with pytest.raises(ValueError, match="box_size\\[1\\] must be positive and finite; got -1"):
        paint(pos, box_size=(1.0, -1), shape=(4, 4))
    with pytest.raises(ValueError, match="positions must be finite; got 1 non-finite"):
        paint(np.array([[0.1, np.nan]]), **kw)
    with pytest.raises(ValueError, match="positions must be finite; got 1 non-finite"):
        paint(np.array([[np.inf, 0.1]]), periodic=False, **kw)
    with pytest.raises(ValueError, match="weights must be finite; got 1 non-finite"):
        paint(pos, weights=np.array([1.0, np.inf, 2.0]), **kw)
    with pytest.raises(ValueError, match=r"weights must have shape \(N,\) = \(3,\); got shape \(2,\)"):
        paint(pos, weights=np.ones(2), **kw)
    with pytest.raises(ValueError, match="weights must have shape .N,.; got a scalar"):
        paint(pos, weights=2.0, **kw)
    with pytest.raises(ValueError, match=r"out must have shape \(4, 4\); got shape \(4, 5\)"):
        paint(pos, out=np.zeros((4, 5)), **kw)
    with pytest.raises(TypeError, match="out must have dtype float32 or float64; got dtype int64"):
        paint(pos, out=np.zeros((4, 4), dtype=np.int64), **kw)
    with pytest.raises(ValueError, match="out must be a writeable C-contiguous array"):
        paint(pos, out=np.zeros((4, 8))[:, ::2], **kw)
    with pytest.raises(ValueError, match="accumulate_dtype must not be narrower"):
        paint(pos, accumulate_dtype=np.float32, **kw)
    with pytest.raises(TypeError, match="periodic must be a bool"):
        paint(pos, periodic="no", **kw)
    with pytest.raises(ValueError, match="origin\\[0\\] must be finite"):
        paint(pos, origin=(np.nan, 0.0), **kw)
    with pytest.raises(ValueError, match="must be \\(cells, offsets\\)"):
        paint((pos, pos, pos), **kw)
    with pytest.raises(TypeError, match="cells must have an integer dtype"):
        paint((pos, pos), **kw)
    with pytest.raises(ValueError, match="cells and offsets must have the same shape"):
        paint((np.zeros((2, 2), int), pos), **kw)
    with pytest.raises(ValueError, match="got 1 particles outside"):
        readout(np.zeros((4, 4)), np.array([[1.5, 0.5]]), box_size=1.0, periodic=False)
    with pytest.raises(ValueError, match="field must have one axis per position coordinate"):
        readout(np.zeros(4), pos, box_size=1.0)
    with pytest.raises(ValueError, match="scheme must be 'cic', 'tsc' or 'pcs' for readout_gradient; got 'ngp'"):
        readout_gradient(np.zeros((4, 4)), pos, box_size=1.0, scheme="ngp")
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        paint_chunks(pos, chunk_size=0, **kw)
    with pytest.raises(ValueError, match="source must contain at least one chunk"):
        paint_chunks(iter([]), **kw)
    with pytest.raises(ValueError, match="weights must be None for an iterable source"):
        paint_chunks(iter([pos]), weights=np.ones(3), **kw)
    with pytest.raises(ValueError, match=r"field_k must have the rfftn shape of shape=\(4, 4\); got shape \(4, 4\)"):
        compensate(np.ones((4, 4), complex), "cic", shape=(4, 4))
    with pytest.raises(ValueError, match="interlacing must be >= 1; got 0"):
        paint_interlaced(pos, interlacing=0, **kw)
    with pytest.raises(ValueError, match="interlaced must be >= 2; got 1"):
        compensate(np.ones((4, 3), complex), "cic", interlaced=1)


def test_errors_non_host(strict_backend):
    be = strict_backend
    pos = be.asarray(np.zeros((3, 2)), copy=True)
    with pytest.raises(NotImplementedError, match="bucket=True is a CPU option"):
        paint(pos, box_size=1.0, shape=(4, 4), bucket=True, backend=be)
    with pytest.raises(NotImplementedError, match="bucket is a CPU function"):
        bucket(pos, box_size=1.0, shape=(4, 4))
    with pytest.raises(NotImplementedError, match="cells, offsets.*CPU backends only"):
        paint((np.zeros((3, 2), int), pos), box_size=1.0, shape=(4, 4), backend=be)
    with pytest.raises(ValueError, match="positions must be finite"):
        paint(be.asarray(np.array([[np.nan, 0.0]]), copy=True), box_size=1.0, shape=(4, 4), backend=be)


# ------------------------------------------------------------- properties


@given(
    scheme=st.sampled_from(SCHEME_IDS),
    shift=st.tuples(st.integers(-40, 40), st.integers(-40, 40)),
    seed=st.integers(0, 2**32 - 1),
    scale=st.floats(0.25, 4.0),
)
def test_property_shift_equivariance_and_linearity(scheme, shift, seed, scale):
    # moving every particle by whole cells rolls the mesh, bit for bit (integer cells are exact
    # and every element keeps its particle order); scaling the masses scales the mesh
    # (positive terms: <= 3 roundings per product plus <= 40 additions per element: relative 50 eps64)
    r = np.random.default_rng(seed)
    cells = r.integers(-20, 20, size=(40, 2))
    off = r.random((40, 2))
    w = r.random(40)
    base = paint((cells, off), box_size=(1.0, 2.0), shape=(6, 5), scheme=scheme, weights=w)
    moved = paint((cells + np.asarray(shift), off), box_size=(1.0, 2.0), shape=(6, 5), scheme=scheme, weights=w)
    np.testing.assert_array_equal(moved, np.roll(base, shift, axis=(0, 1)))
    scaled = paint((cells, off), box_size=(1.0, 2.0), shape=(6, 5), scheme=scheme, weights=scale * w)
    np.testing.assert_allclose(scaled, scale * base, rtol=50 * EPS[np.float64], atol=1e-300)


@pytest.mark.parametrize("scheme", SCHEME_IDS)
def test_matches_kernels_assignment_window(scheme, rng):
    # the same window from the kernels module: mesh[c - origin + j] = weights[j] for a unit mass at
    # `offset` cells from the centre of cell c (independent implementations; products of <= 4 terms)
    for offset in [0.0, -0.5, 0.25, -0.375, *rng.uniform(-0.5, 0.5, 3)]:
        K = kernels.assignment_window(scheme, 1, offset=offset)
        c = 8
        mesh = paint(np.array([[c + 0.5 + offset]]), box_size=16.0, shape=16, scheme=scheme)
        got = mesh[c - K.origin[0] : c - K.origin[0] + K.shape[0]]
        np.testing.assert_allclose(got, K.weights, atol=1e-15)
        assert mesh.sum() == pytest.approx(K.weights.sum(), abs=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_unrolled_kernels_match_generic_bit_for_bit(dtype, rng):
    # the unrolled periodic 3-D CIC/TSC painters and readers promise the same products and sums
    # in the same order as the generic kernels: compare them directly, element for element
    shape = np.array([7, 5, 6], np.int64)
    geo = (np.array([0.1, -0.3, 0.2]), np.array([7.0, 2.5, 6.0]), shape, _compiled_core.strides_of(shape))
    pos = _rand_pos(rng, 3000, (1.0, 2.0, 1.0), dtype, -2.0, 3.0)
    w = rng.random(3000).astype(dtype)
    none = np.zeros((0, 3), np.int64)
    fields = (rng.random(210).astype(dtype), rng.random(210).astype(dtype))
    rows = np.zeros(1, np.int64)
    P, R = _compiled_paint, _compiled_readout
    for p, painter, reader, grad in ((2, P.rows_cic3, R.read_cic3, R.grad_cic3), (3, P.rows_tsc3, R.read_tsc3, R.grad_tsc3)):
        opt = (True, p, False, True, 0.5)
        for r0, r1 in ((0, 7), (2, 5)):
            a = np.zeros(210, dtype)
            b = np.zeros(210, dtype)
            painter(pos, none, w, a, geo, opt, r0, r1, 0, 3000)
            P.rows_generic(pos, none, w, b, geo, opt, r0, r1, 0, 3000)
            np.testing.assert_array_equal(a, b)
            assert np.count_nonzero(a) > 0
        ra = np.empty((3000, 2), dtype)
        rb = np.empty((3000, 2), dtype)
        reader(fields, pos, none, geo, opt, 1.5, ra, rows, False, 0, 3000)
        R.read_generic(fields, pos, none, geo, opt, 1.5, rb, rows, False, 0, 3000)
        np.testing.assert_array_equal(ra, rb)
        # the gradients sum in another order: equal to the round-off of a sum of p^3 terms of size
        # |f| <= 1 times the weight derivatives (<= 1 per cell) and 1/h <= 7: 4 p^3 eps64 * 7 * 1.5
        ga = np.empty((3000, 3), np.float64)
        gb = np.empty((3000, 3), np.float64)
        f64 = (fields[0].astype(np.float64),)
        grad(f64, pos, none, geo, opt, 1.5, ga, rows, False, 0, 3000)
        R.grad_generic(f64, pos, none, geo, opt, 1.5, gb, rows, False, 0, 3000)
        np.testing.assert_allclose(ga, gb, rtol=0, atol=4 * p**3 * EPS[np.float64] * 7 * 1.5)


@pytest.mark.parametrize("periodic", [True, False], ids=["periodic", "nonperiodic"])
@pytest.mark.parametrize("scheme", ["ngp", "cic", "tsc", "pcs"])
def test_binned_readout_equals_unbinned_bit_for_bit(force_binning, rng, scheme, periodic):
    # readout computes each particle's value alone, in the same order binned or not: binning (slab by
    # slab, results written back to the particles' rows, rows swept into cache first) changes nothing
    n = _compiled_bin.BIN_SUB + 3000
    shape = (11, 7, 6)
    box = (1.1, 0.7, 0.6)
    pos = rng.random((n, 3)) * np.asarray(box)
    if not periodic:
        pos = 0.25 * np.asarray(box) + 0.5 * pos
    fields = tuple(rng.standard_normal(shape) for _ in range(3))
    kw = dict(box_size=box, scheme=scheme, periodic=periodic)
    got = [readout(fields, pos, **kw)] + ([readout_gradient(fields[0], pos, **kw)] if scheme != "ngp" else [])
    with threads(2):
        got2 = [readout(fields, pos, **kw)]
    force_binning()
    ref = [readout(fields, pos, **kw)] + ([readout_gradient(fields[0], pos, **kw)] if scheme != "ngp" else [])
    for a, b in zip(got + got2, ref + ref[:1]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
