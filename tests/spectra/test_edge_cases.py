"""Edge cases of the spectra functions found by fuzzing (fuzz_findings F24-F27)."""

import numpy as np
import pytest

from fieldconv.spectra import SpectralAxis, convert_spectrum, correct_baseline, penetration_depth

EPS = np.finfo(np.float64).eps


@pytest.mark.parametrize("method", ["rubberband", "asls"])
def test_correct_baseline_refuses_nan_naming_y(method):
    x = np.linspace(400.0, 4000.0, 50)
    y = np.exp(-0.5 * ((x - 1700) / 40) ** 2)
    y[30] = np.nan
    # was scipy's "array must not contain infs or NaNs"
    with pytest.raises(ValueError, match=r"y contains 1 NaN/inf value\(s\): correct_baseline fits every sample"):
        correct_baseline(y, x, method)


@pytest.mark.parametrize("n", [3, 8, 100])
@pytest.mark.parametrize("descending", [False, True])
def test_rubberband_of_a_straight_line_is_the_line(n, descending):
    # was scipy.spatial.QhullError (a flat hull): the lower hull of a line is the line
    x = np.linspace(400.0, 4000.0, n)
    x = x[::-1] if descending else x
    y = 0.3 + 1e-4 * x
    corrected, base = correct_baseline(y, x, "rubberband")
    np.testing.assert_array_equal(base, y)
    np.testing.assert_array_equal(corrected, 0.0)


def test_penetration_depth_nan_wavenumber_is_an_error():
    with pytest.raises(ValueError, match=r"wavenumber must be positive and finite"):
        penetration_depth(np.nan, n_crystal=2.4, n_sample=1.5)
    with pytest.raises(ValueError, match=r"wavenumber must be positive and finite"):
        penetration_depth([1000.0, np.inf], n_crystal=2.4, n_sample=1.5)


@pytest.mark.parametrize("n", [2, 11, 301])
def test_convert_density_jacobian_is_exact(n):
    # a flat spectral density in cm^-1 is 1e4 / lambda^2 per um (was np.gradient's: 5-90 % off at the ends)
    ax = SpectralAxis(np.linspace(1000.0, 2000.0, n), "cm-1")
    new, y = convert_spectrum(ax, np.ones(n), "um", density=True)
    # nu = 1e4 / lambda: |dnu/dlambda| = nu / lambda, each a few roundings
    np.testing.assert_allclose(y, 1e4 / new.values**2, rtol=8 * EPS)
    # back to cm^-1: lambda^2 / 1e4 per cm^-1 times the density per um, at the even cm^-1 grid
    back, z = convert_spectrum(new, np.ones(n), "cm-1", density=True)
    np.testing.assert_allclose(z, 1e4 / back.values**2, rtol=8 * EPS)


def test_convert_density_raman_and_frequency():
    ax = SpectralAxis(np.linspace(500.0, 2000.0, 11), "cm-1", kind="raman_shift", laser_wavelength=785.0)
    new, y = convert_spectrum(ax, np.ones(11), "nm", density=True)
    # shift = 1e7/785 - 1e7/lambda: |d shift / d lambda| = 1e7 / lambda^2
    np.testing.assert_allclose(y, 1e7 / new.values**2, rtol=8 * EPS)
    new, y = convert_spectrum(SpectralAxis(np.linspace(1000.0, 2000.0, 5), "cm-1"), np.ones(5), "THz", density=True)
    # affine: nu = f / c, so |d nu / d f| = 1e12 Hz / 2.99792458e10 cm/s = 33.356... cm^-1 per THz
    np.testing.assert_allclose(y, 1e12 / 2.99792458e10, rtol=8 * EPS)
