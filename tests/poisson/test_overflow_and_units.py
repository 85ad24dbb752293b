"""Poisson: float32 overflow is an error (not an all-NaN potential); potentials come back in simple units."""

import math
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy import constants

from fieldconv.poisson import PoissonSolver, solve_forces, solve_poisson
from fieldconv.poisson._solver import simplified_unit

EPS32 = float(np.finfo(np.float32).eps)


def _rho(dtype=np.float32, n=16):
    return np.random.default_rng(0).standard_normal((n, n, n)).astype(dtype)


@pytest.mark.parametrize("bc", ["periodic", "isolated"])
@pytest.mark.parametrize("fn", [solve_poisson, lambda d, h, bc: solve_forces(d, h, bc=bc)[1]], ids=["phi", "forces"])
def test_float32_overflow_is_an_error_not_nan(bc, fn):
    # |phi| ~ 4 pi G rho h^2 (n/2pi)^2 ~ 1e41 > 3.4e38: before, every value was NaN without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning either
        with pytest.raises(ValueError, match=r"overflows float32"):
            fn(_rho(), 1e20, bc=bc) if fn is solve_poisson else fn(_rho(), 1e20, bc)


@pytest.mark.parametrize("bc", ["periodic", "isolated"])
def test_large_spacing_within_range_matches_float64(bc):
    # h = 1e15: |phi| ~ 1e31, inside float32's range; the float32 solve keeps float32 accuracy
    got = solve_poisson(_rho(), 1e15, bc=bc)
    ref = solve_poisson(_rho(np.float64), 1e15, bc=bc)
    assert got.dtype == np.float32 and np.all(np.isfinite(got))
    # float32 FFT round trip: ~ eps32 log2(N) relative to the largest value (N = 32^3 doubled grid)
    np.testing.assert_allclose(got, ref, rtol=0, atol=8 * EPS32 * math.log2(32**3) * np.abs(ref).max())


def test_float64_at_huge_spacing_is_finite():
    phi = solve_poisson(_rho(np.float64), 1e20)
    assert np.all(np.isfinite(phi))
    # phi scales with h^2 exactly (the Green's function does): compare with h = 1
    np.testing.assert_allclose(phi, solve_poisson(_rho(np.float64), 1.0) * 1e40, rtol=1e-12)


def test_check_finite_false_skips_the_result_check():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        phi = PoissonSolver((16, 16, 16), 1e20, dtype=np.float32).solve(_rho(), check_finite=False)
    assert not np.all(np.isfinite(phi))


# ------------------------------------------------------------------ units
def _solar_density(n=8):
    x = (np.arange(n) + 0.5) / n
    return (1.0 + 0.5 * np.cos(2 * np.pi * x))[:, None, None] * np.ones((n, n, n)) * u.solMass / u.pc**3


def test_mixed_units_come_back_in_si():
    rho = _solar_density()
    phi = solve_poisson(rho, 0.125 * u.kpc)
    # before: m3 solMass / (kg pc s2)
    assert phi.unit == u.m**2 / u.s**2
    # the periodic solution of a cosine: -4 pi G A cos / k^2 with k = 2 pi / (n h)
    n, h = 8, 0.125 * u.kpc
    x = (np.arange(n) + 0.5) / n
    want = (-4 * np.pi * constants.G * 0.5 * u.solMass / u.pc**3 * np.cos(2 * np.pi * x) * (n * h / (2 * np.pi)) ** 2)
    np.testing.assert_allclose(phi[:, 0, 0].value, want.to_value(u.m**2 / u.s**2), rtol=1e-12)
    phi2, forces = solve_forces(rho, 0.125 * u.kpc)
    assert phi2.unit == u.m**2 / u.s**2 and forces[0].unit == u.m / u.s**2
    # F = -dphi/dx = -(4 pi G A / k) sin(k x)
    k = 2 * np.pi / (n * h)
    famp = -(4 * np.pi * constants.G * 0.5 * u.solMass / u.pc**3 / k).to_value(u.m / u.s**2)
    np.testing.assert_allclose(forces[0][:, 0, 0].value, famp * np.sin(2 * np.pi * x), rtol=1e-12)


def test_consistent_units_are_kept():
    G = 4.30091e-3 * u.pc * u.km**2 / u.s**2 / u.solMass
    phi = solve_poisson(_solar_density(), 0.125 * u.pc, G=G, bc="isolated")
    assert phi.unit == u.km**2 / u.s**2
    phi = solve_poisson(np.ones((8, 8, 8)) * u.kg / u.m**3, 1.0 * u.m, bc="isolated")
    assert phi.unit == u.m**2 / u.s**2
    # code G with a density and a spacing in units: the product of those units, simplified only if mixed
    assert solve_poisson(np.ones((8, 8, 8)) * u.kg / u.m**3, 1.0 * u.m, G=1.0).unit == u.kg / u.m
    assert solve_poisson(_solar_density(), 1.0 * u.kpc, G=1.0).unit == u.kg / u.m


def test_one_solver_with_densities_in_different_units():
    s = PoissonSolver((8, 8, 8), 0.125 * u.kpc, bc="isolated")
    rho = _solar_density()
    a = s.solve(rho)
    # SI G with kg/m^3 and kpc: m^3 and kg cancel, no unit is mixed, kpc2 / s2 is kept (the factor changes
    # from the first call's: the Green's function is rebuilt)
    b = s.solve(rho.to(u.kg / u.m**3))
    c = s.solve(rho)
    assert a.unit == c.unit == u.m**2 / u.s**2 and b.unit == u.kpc**2 / u.s**2
    np.testing.assert_allclose(b.to_value(a.unit), a.value, rtol=1e-12)
    np.testing.assert_array_equal(c.value, a.value)
    # the functions' solver cache keeps the factor with the Green's function
    f1 = solve_poisson(rho, 0.125 * u.kpc, bc="isolated")
    f2 = solve_poisson(rho.to(u.kg / u.m**3), 0.125 * u.kpc, bc="isolated")
    f3 = solve_poisson(rho, 0.125 * u.kpc, bc="isolated")
    np.testing.assert_allclose(f2.to_value(f1.unit), f1.value, rtol=1e-12)
    np.testing.assert_array_equal(f3.value, f1.value)


def test_simplified_unit_rule():
    assert simplified_unit(None) == (None, 1.0)
    unit, f = simplified_unit(u.m**3 * u.solMass / (u.kg * u.pc * u.s**2))
    assert unit == u.m**2 / u.s**2
    assert f == pytest.approx((u.solMass / u.kg).to(u.one) / (u.pc / u.m).to(u.one), rel=1e-15)
    assert simplified_unit(u.km**2 / u.s**2) == (u.km**2 / u.s**2, 1.0)
