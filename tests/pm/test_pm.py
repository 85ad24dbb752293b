"""Tests of fieldconv.pm: conservation by construction, forces against Newton, units, dtypes, errors.

Round-off bounds: the self-force and the total momentum vanish exactly in exact
arithmetic (an odd force kernel between the same window twice).  In floating point
each mesh force carries the error of an FFT pair, <= eps log2(M) times the largest
mesh force (M the number of FFT points: the mesh, or 2^d times it for the
zero-padded isolated solve); the readout / the momentum sum are weighted sums with
weights of total 1 / sum |m a|, adding a few eps.  Hence the bound
2 eps log2(M) max|F| (relative to the force scale; ~1e-15 for these meshes),
measured 0.5-1 eps.
"""

import math

import astropy.units as u
import numpy as np
import pytest
from astropy import constants

from fieldconv.pm import RECIPES, ParticleMesh, accelerations

EPS = np.finfo(np.float64).eps
SCHEMES = ["ngp", "cic", "tsc", "pcs"]


def _roundoff(shape, bc="periodic"):
    """2 eps log2(M): the relative round-off of an FFT pair of M points (module docstring)."""
    m = math.prod(shape) * (2 ** len(shape) if bc == "isolated" else 1)
    return 2 * EPS * math.log2(m)


@pytest.mark.parametrize("bc", ["periodic", "isolated"])
@pytest.mark.parametrize("differencing", ["fd", "spectral"])
@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_lone_particle_feels_no_force(scheme, ndim, differencing, bc, rng):
    # the momentum recipe's self-force is sum_jj' W_j D(x_j - x_j') W_j' with D odd: zero
    shape = {1: (32,), 2: (16, 12), 3: (12, 10, 8)}[ndim]
    h = 1.0 / np.asarray(shape)
    pm = ParticleMesh(shape, 1.0, scheme=scheme, bc=bc, differencing=differencing)
    for _ in range(8):
        pos = (0.5 + (rng.random(ndim) - 0.5) * 2 * h)[None]  # within a cell of the centre
        a = pm.accelerations(pos, masses=1.0)
        scale = max(float(np.abs(f).max()) for f in pm.solver.forces(pm.density(pos, masses=1.0)))
        assert np.abs(a).max() <= _roundoff(shape, bc) * scale


@pytest.mark.parametrize("recipe", ["momentum", "energy", "solve_poisson+readout_gradient"])
def test_self_force_of_the_energy_recipe_is_real(recipe, rng):
    # the energy recipe (gradient of the interpolated potential, as solve_poisson then -readout_gradient)
    # pulls a particle on itself: at least 0.1 G m / h^2 somewhere in a cell for CIC (measured up to ~1-2);
    # the momentum recipe never (the mesh force near the particle is ~0.5 G m / h^2: bound as above)
    import fieldconv as fc

    n = 16
    h = 1.0 / n
    pm = ParticleMesh((n, n, n), 1.0, scheme="cic", recipe=recipe if recipe in RECIPES else "energy")

    def force(p):
        if recipe in RECIPES:
            return pm.accelerations(p, masses=1.0)
        rho = fc.paint(p, box_size=1.0, shape=(n, n, n), scheme="cic", density=True)
        return -fc.readout_gradient(fc.solve_poisson(rho, spacing=h, G=1.0), p, box_size=1.0, scheme="cic")

    worst = max(float(np.abs(force(((n // 2 + rng.random(3)) * h)[None])).max()) for _ in range(10)) * h**2
    if recipe == "momentum":
        assert worst <= _roundoff((n, n, n))
    else:
        assert worst > 0.1


@pytest.mark.parametrize("bc", ["periodic", "isolated"])
@pytest.mark.parametrize("scheme", ["cic", "tsc", "pcs"])
def test_momentum_is_conserved(scheme, bc, rng):
    # sum_i m_i a_i = h^d sum_jj' rho_j D(x_j - x_j') rho_j' = 0 for any positions and masses; 10^5 random
    # particles (at 64^3 and 10^6 particles: 2e-17 measured, against 2e-4 for the energy recipe)
    n = 16
    npart = 100_000
    pos = 0.2 + 0.6 * rng.random((npart, 3)) if bc == "isolated" else rng.random((npart, 3)) * 3 - 1
    m = rng.uniform(0.1, 2.0, npart)
    a = ParticleMesh((n, n, n), 1.0, scheme=scheme, bc=bc).accelerations(pos, masses=m)
    ma = m[:, None] * a
    assert np.abs(ma.sum(axis=0)).max() <= _roundoff((n, n, n), bc) * np.abs(ma).sum(axis=0).max()
    e = ParticleMesh((n, n, n), 1.0, scheme=scheme, bc=bc, recipe="energy").accelerations(pos, masses=m)
    me = m[:, None] * e
    assert np.abs(me.sum(axis=0)).max() > 1e3 * _roundoff((n, n, n), bc) * np.abs(me).sum(axis=0).max()


@pytest.mark.parametrize("scheme", ["cic", "tsc"])
def test_pair_force_is_newtonian_beyond_a_few_cells(scheme, rng):
    # free space: a unit mass and zero-mass test particles at 5-10 cells: G m / r^2 within 6 % (CIC) /
    # 3 % (TSC): the extremes measured over 3600 random pairs at 4-8 cells were 0.94-1.04 and 0.98-1.01
    n = 32
    h = 1.0 / n
    pm = ParticleMesh((n, n, n), 1.0, scheme=scheme, bc="isolated")
    src = 0.5 + (rng.random(3) - 0.5) * h
    r = h * rng.uniform(5, 10, 300)
    d = rng.standard_normal((300, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    pos = np.vstack([src, src + r[:, None] * d])
    m = np.zeros(301)
    m[0] = 1.0
    a = pm.accelerations(pos, masses=m)[1:]
    radial = -(a * d).sum(axis=1) * r**2
    tol = {"cic": 0.06, "tsc": 0.03}[scheme]
    np.testing.assert_allclose(radial, 1.0, atol=tol)
    tangential = np.linalg.norm(a + (radial / r**2)[:, None] * d, axis=1) * r**2
    assert tangential.max() < tol  # and little anisotropy


def test_one_dimensional_sheets_exact():
    # 1-D free space: a sheet of mass m pulls with 2 pi G m whatever the distance (phi = 2 pi G m |x|);
    # the integrated Green's function gives the exact potential of the painted (cell-constant) mass,
    # linear away from it, whose central difference is exact: round-off of a 128-point FFT
    pm = ParticleMesh((64,), 1.0, scheme="cic", bc="isolated", green="integrated", order=2)
    pos = np.array([[0.5], [0.2], [0.8]])
    a = pm.accelerations(pos, masses=np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(a[1:, 0], [2 * np.pi, -2 * np.pi], rtol=1e-12)


@pytest.mark.parametrize("recipe", RECIPES)
def test_plane_wave_force_against_analytic(recipe):
    # particles on a lattice, masses 1 + A cos(k x): the force is -4 pi G rho_bar A sin(k x) / k up to the
    # mesh error ~ (k h)^2 (TSC window twice, 4th-order differences): 2 % at k h = 2 pi / 32
    n = 32
    g = (np.arange(n) + 0.5) / n
    pos = np.stack(np.meshgrid(g, g[:4] * 8, g[:4] * 8, indexing="ij"), -1).reshape(-1, 3)
    A, k = 0.1, 2 * np.pi
    m = (1 + A * np.cos(k * pos[:, 0])) / len(pos)
    pm = ParticleMesh((n, 4, 4), 1.0, scheme="tsc", recipe=recipe)
    a = pm.accelerations(pos, masses=m)
    exact = -4 * np.pi * A * np.sin(k * pos[:, 0]) / k
    np.testing.assert_allclose(a[:, 0], exact, rtol=0, atol=0.02 * np.abs(exact).max())
    assert np.abs(a[:, 1:]).max() < 1e-12


def test_function_equals_the_object(rng):
    pos = rng.random((500, 3))
    m = rng.random(500)
    a = accelerations(pos, masses=m, box_size=1.0, shape=(8, 8, 8), scheme="tsc")
    b = ParticleMesh((8, 8, 8), 1.0, scheme="tsc").accelerations(pos, masses=m)
    np.testing.assert_array_equal(a, b)
    # scalar masses are the array of that value
    np.testing.assert_allclose(accelerations(pos, masses=2.0, box_size=1.0, shape=(8, 8, 8)),
                               accelerations(pos, masses=np.full(500, 2.0), box_size=1.0, shape=(8, 8, 8)),
                               rtol=1e-13, atol=1e-13)


def test_buffers_are_reused_and_results_repeat(rng):
    pm = ParticleMesh((8, 8, 8), 1.0)
    pos = rng.random((200, 3))
    a1 = pm.accelerations(pos, masses=1.0)
    buf = pm._mesh
    a2 = pm.accelerations(pos, masses=1.0)
    assert pm._mesh is buf
    np.testing.assert_array_equal(a1, a2)
    rho = pm.density(pos, masses=0.5)
    assert float(rho.sum()) * (1 / 8) ** 3 == pytest.approx(100.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtypes(dtype, rng):
    pos = rng.random((300, 3)).astype(dtype)
    a = accelerations(pos, masses=1.0, box_size=1.0, shape=(8, 8, 8))
    assert a.dtype == dtype and a.shape == (300, 3)
    b = ParticleMesh((8, 8, 8), 1.0, dtype=dtype).accelerations(pos.astype(np.float64), masses=1.0)
    assert b.dtype == dtype
    ref = accelerations(pos.astype(np.float64), masses=1.0, box_size=1.0, shape=(8, 8, 8))
    # float32: the mesh and the FFT in float32, ~ 1e-6 of the largest force
    np.testing.assert_allclose(a, ref, rtol=0, atol=(1e-5 if dtype == np.float32 else 1e-13) * np.abs(ref).max())


def test_units(rng):
    pos = rng.random((100, 3)) * 2.0
    m = rng.uniform(0.5, 1.5, 100)
    G = constants.G.si.value
    plain = accelerations(pos, masses=m, box_size=2.0, shape=(8, 8, 8), G=G)
    q = accelerations(pos * u.m, masses=m * u.kg, box_size=2.0 * u.m, shape=(8, 8, 8))
    assert q.unit == u.m / u.s**2
    np.testing.assert_allclose(q.value, plain, rtol=1e-12, atol=1e-12 * np.abs(plain).max())
    # kpc and solar masses: the same physics, in m / s^2
    kpc = accelerations(pos * u.kpc, masses=m * u.Msun, box_size=2.0 * u.kpc, shape=(8, 8, 8))
    scale = (u.Msun / u.kpc**2).to(u.kg / u.m**2)
    np.testing.assert_allclose(kpc.value, plain * scale, rtol=1e-10, atol=1e-10 * np.abs(plain * scale).max())
    # a plain box with positions in kpc is a box in kpc (the rule of paint)
    np.testing.assert_allclose(accelerations(pos * u.kpc, masses=m * u.Msun, box_size=2.0, shape=(8, 8, 8)).value,
                               kpc.value, rtol=1e-13, atol=1e-13 * np.abs(kpc.value).max())
    pm = ParticleMesh((8, 8, 8), 2.0 * u.kpc)
    np.testing.assert_allclose(pm.accelerations(pos, masses=m * u.Msun).value, kpc.value, rtol=1e-13,
                               atol=1e-13 * np.abs(kpc.value).max())  # plain positions in the box's unit
    assert pm.density(pos, masses=m * u.Msun).unit == u.Msun / u.kpc**3


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: ParticleMesh((8, 8), 1.0, recipe="exact"), ValueError, "recipe must be one of"),
        (lambda: ParticleMesh((8, 1), 1.0), ValueError, "shape must be >= 2"),
        (lambda: ParticleMesh(8, 1.0), ValueError, "shape must be a sequence"),
        (lambda: ParticleMesh((8,) * 4, 1.0), ValueError, "shape must have 1, 2 or 3 entries"),
        (lambda: ParticleMesh((8, 8), -1.0), ValueError, "box_size"),
        (lambda: ParticleMesh((8, 8), 1.0, scheme=3), TypeError, "scheme must be a string"),
        (lambda: ParticleMesh((8, 8), 1.0, scheme="ngp", recipe="energy"), ValueError, "needs scheme 'cic'"),
        (lambda: ParticleMesh((8, 8), 1.0, bc="open"), ValueError, "bc must be one of"),
        (lambda: ParticleMesh((8, 8), 1.0 * u.s), ValueError, "box_size must be a length"),
        (lambda: ParticleMesh((8, 8), 1.0, G=constants.G), ValueError, "box_size must be a length Quantity"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.zeros((3, 2)), masses=None), TypeError,
         "masses is required"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.zeros((3, 2)), masses=np.ones(2)), ValueError,
         r"masses must be one value or have shape \(N,\) = \(3,\)"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.zeros((3, 2)), masses=np.nan), ValueError,
         "masses must be finite"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.zeros((3, 3)), masses=1.0), ValueError,
         "shape must have one entry per position axis"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.full((3, 2), np.nan), masses=1.0), ValueError,
         "positions must be finite"),
        (lambda: ParticleMesh((8, 8), 1.0, bc="isolated").accelerations(np.zeros((3, 2)), masses=1.0), ValueError,
         "particles outside"),
        (lambda: ParticleMesh((8, 8), 1.0).accelerations(np.zeros((3, 2)) * u.kpc, masses=1.0), ValueError,
         "positions is a Quantity but this ParticleMesh's box_size is not"),
        (lambda: ParticleMesh((8, 8), 1.0 * u.kpc).accelerations(np.zeros((3, 2)), masses=1.0), ValueError,
         "masses must be a Quantity with mass units"),
        (lambda: ParticleMesh((8, 8), 1.0 * u.kpc).accelerations(np.zeros((3, 2)), masses=1.0 * u.s), ValueError,
         "masses must be a mass"),
        (lambda: accelerations(np.zeros((3, 2)), masses=1.0, box_size=1.0, shape=(8, 8), recipe=1), ValueError,
         "recipe must be one of 'momentum', 'energy'; got 1"),
    ],
    ids=["recipe", "shape-1", "shape-scalar", "shape-4d", "box-negative", "scheme-type", "ngp-energy", "bc",
         "box-time", "G-units-plain-box", "masses-none", "masses-shape", "masses-nan", "positions-ndim",
         "positions-nan", "isolated-outside", "quantity-positions-plain-box", "plain-masses-units",
         "masses-time", "recipe-type"],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_generic_backend_matches_numpy(strict_backend, rng):
    # the array-API path (the GPU code path, on CPU) gives the same accelerations
    be = strict_backend
    pos = rng.random((400, 3))
    m = rng.uniform(0.5, 1.5, 400)
    ref = ParticleMesh((8, 8, 8), 1.0, scheme="tsc").accelerations(pos, masses=m)
    got = ParticleMesh((8, 8, 8), 1.0, scheme="tsc", backend=be).accelerations(be.asarray(pos, copy=True),
                                                                              masses=be.asarray(m, copy=True))
    # same sums in another order (sorted cumulative sums on the generic path): 1e-12 of the largest force
    np.testing.assert_allclose(be.to_numpy(got), ref, rtol=0, atol=1e-12 * np.abs(ref).max())
