"""Tests of fieldconv.spectra: axes and units, resolution, preprocessing, files."""

import math
import os

import numpy as np
import pytest

from fieldconv import spectra as sp
from fieldconv.spectra import (
    SpectralAxis,
    Spectrum,
    absorbance_to_transmittance,
    atmospheric_mask,
    atr_correction,
    convert_spectrum,
    convolve_instrument,
    correct_baseline,
    despike,
    interp,
    line_shape,
    mask_atmospheric,
    normalize,
    penetration_depth,
    resample,
    transmittance_to_absorbance,
)

EPS = np.finfo(np.float64).eps


def gauss(x, c, s):
    return np.exp(-0.5 * ((x - c) / s) ** 2)


# ------------------------------------------------------------------ the axis
def test_axis_keeps_order_and_units():
    import astropy.units as u

    ax = SpectralAxis(np.linspace(4000, 400, 3601), "cm-1")
    assert not ax.ascending and ax.spacing == -1.0 and ax.is_uniform and ax.kind == "wavenumber"
    assert ax.values[0] == 4000.0
    um = ax.to("um")
    assert um.kind == "wavelength" and um.ascending  # element-wise: index i is the same point
    np.testing.assert_allclose(um.values, 1e4 / ax.values, rtol=4 * EPS)
    q = SpectralAxis(np.array([500.0, 600.0]) * u.nm)
    np.testing.assert_allclose(q.to("cm-1").values, [20000.0, 1e7 / 600], rtol=4 * EPS)
    np.testing.assert_allclose(SpectralAxis([1.0, 2.0], "THz").to("cm-1").values, [33.35640952, 66.71281904], rtol=1e-9)


def test_raman_shift_formula():
    lam_l = 785.0
    shifts = np.array([200.0, 1000.0, 3000.0])
    ax = SpectralAxis(shifts, "cm-1", kind="raman_shift", laser_wavelength=lam_l)
    lam = ax.to("nm").values
    # shift = 1e7/lambda_laser - 1e7/lambda (nm)
    np.testing.assert_allclose(1e7 / lam_l - 1e7 / lam, shifts, rtol=1e-12)
    back = SpectralAxis(lam, "nm").to("cm-1", kind="raman_shift", laser_wavelength=lam_l)
    np.testing.assert_allclose(back.values, shifts, rtol=1e-11)


def test_np_interp_is_wrong_on_descending_but_interp_is_right():
    x = np.linspace(4000, 400, 361)
    y = np.cos(x / 300.0)
    q = np.array([3999.5, 2500.25, 401.0])
    assert not np.allclose(np.interp(q, x, y), np.cos(q / 300.0), atol=1e-3)  # the trap
    np.testing.assert_allclose(interp(q, x, y), np.cos(q / 300.0), atol=1e-3)
    # same result with ascending x; descending query order kept; NaN outside
    np.testing.assert_array_equal(interp(q, x[::-1], y[::-1]), interp(q, x, y))
    assert np.isnan(interp([5000.0], x, y)).all()
    Y = np.stack([y, 2 * y])
    np.testing.assert_allclose(interp(q, x, Y.T, axis=0), interp(q, x, Y).T)


def test_convert_spectrum_resamples_only_when_nonlinear():
    ax = SpectralAxis(np.linspace(4000.0, 1000.0, 3001), "cm-1")
    y = gauss(ax.values, 2000.0, 20.0)
    thz, y_t = convert_spectrum(ax, y, "THz")  # affine: values untouched
    assert y_t is not None and np.array_equal(y_t, y) and len(thz) == 3001
    um, y_u = convert_spectrum(ax, y, "um")
    assert um.is_uniform and um.ascending and um.values[0] == pytest.approx(2.5)
    # the band stays at 5 um; linear-interp error ~ h^2/8 |y''| ~ 1e-5 here
    np.testing.assert_allclose(y_u, gauss(1e4 / um.values, 2000.0, 20.0), atol=2e-4)
    # density: integral over the band is conserved under the Jacobian
    _, d_u = convert_spectrum(ax, y, "um", n=20001, density=True)
    grid = np.linspace(2.5, 10.0, 20001)
    assert abs(np.trapezoid(d_u, grid) - 20.0 * math.sqrt(2 * math.pi)) < 1e-3 * 20.0 * math.sqrt(2 * math.pi)


def test_transmittance_absorbance_roundtrip():
    t = np.array([1.0, 0.5, 0.1, 1e-3])
    a = transmittance_to_absorbance(t)
    np.testing.assert_allclose(a, [0.0, math.log10(2), 1.0, 3.0], atol=4 * EPS)
    np.testing.assert_allclose(transmittance_to_absorbance(100 * t, percent=True), a, atol=4 * EPS)
    np.testing.assert_allclose(absorbance_to_transmittance(a), t, rtol=8 * EPS)
    np.testing.assert_allclose(absorbance_to_transmittance(a, percent=True), 100 * t, rtol=8 * EPS)
    assert np.isnan(transmittance_to_absorbance([np.nan, 0.5])[0])


# ------------------------------------------------------------ resolution
@pytest.mark.parametrize("shape", ["gaussian", "sinc", "sinc2"])
def test_line_shape_unit_area_and_fwhm(shape):
    fwhm = 4.0
    x = np.linspace(-4000, 4000, 1_600_001)
    f = line_shape(x, fwhm, shape)
    # the sinc tail beyond |x| = X carries ~1/(pi^2 L X) (sinc2) or oscillates ~1/(pi L X) (sinc)
    assert abs(np.trapezoid(f, x) - 1) < 2e-4
    assert abs(line_shape(fwhm / 2, fwhm, shape) / line_shape(0.0, fwhm, shape) - 0.5) < 1e-12


@pytest.mark.parametrize("shape", ["gaussian", "sinc", "boxcar", "sinc2", "triangular"])
def test_convolve_instrument_conserves_area_and_matches_direct(shape):
    h = 0.25
    x = np.arange(2000) * h
    y = gauss(x, 250.0, 0.6) + 0.5 * gauss(x, 150.0, 1.5)
    out = convolve_instrument(y, h, 4.0, line_shape=shape)
    # mirror-symmetric period-2n extension: sum conserved to FFT rounding ~ eps log2(N) * n
    assert abs(out.sum() - y.sum()) < 1e-11 * y.sum()
    # interior equals the direct sum of the sampled ILS truncated at +-500 samples (125 cm^-1):
    # the dropped sinc tail oscillates with amplitude ~ 1/(pi * 125) ~ 2.5e-3 of the band
    # integral per lobe (sinc2 ~ 1e-5); the FFT path keeps the whole (mirror-periodic) kernel
    k = np.arange(-500, 501) * h
    w = line_shape(k, 4.0, shape) * h
    direct = np.convolve(y, w, mode="same")
    tol = 1e-9 if shape == "gaussian" else 5e-3
    assert np.max(np.abs(out[600:1400] - direct[600:1400])) < tol * y.max()


def test_convolve_instrument_gaussian_width_adds_in_quadrature():
    h = 0.1
    x = np.arange(4000) * h
    y = gauss(x, 200.0, 1.0)
    s_to = 3.0 / (2 * math.sqrt(2 * math.log(2)))
    out = convolve_instrument(y, h, 3.0)
    ref = gauss(x, 200.0, math.hypot(1.0, s_to)) / math.hypot(1.0, s_to)
    np.testing.assert_allclose(out, ref, atol=1e-10)
    # degrading an ILS of 2 to 3 == applying 3 to the unbroadened band
    a = convolve_instrument(convolve_instrument(y, h, 2.0), h, 3.0, source_resolution=2.0)
    np.testing.assert_allclose(a, out, atol=1e-10)


@pytest.mark.parametrize("shape", ["sinc", "sinc2"])
def test_source_resolution_division_is_exact_for_sinc_families(shape):
    h = 0.25
    x = np.arange(1600) * h
    y = gauss(x, 200.0, 0.3)
    hi = convolve_instrument(y, h, 2.0, line_shape=shape)
    lo = convolve_instrument(y, h, 6.0, line_shape=shape)
    np.testing.assert_allclose(convolve_instrument(hi, h, 6.0, line_shape=shape, source_resolution=2.0), lo, atol=1e-9)


def test_resample_conserves_band_area_both_directions():
    x = np.linspace(1800.0, 1600.0, 801)  # 0.25 cm^-1, descending
    area = 0.0
    y = np.zeros_like(x)
    for c, s, a in [(1700.0, 1.5, 1.0), (1650.0, 0.8, 0.4), (1730.0, 3.0, 0.7)]:
        y += a * gauss(x, c, s)
        area += a * s * math.sqrt(2 * math.pi)
    for xn in (np.linspace(1800.0, 1600.0, 101), np.linspace(1600.0, 1800.0, 101)):
        yn = resample(y, x, xn, resolution=8.0, line_shape="sinc2")
        # bins: halfway between target points, the two end bins clipped to the data (width 1)
        widths = np.full(101, 2.0)
        widths[[0, -1]] = 1.0
        # (1) bin sums equal the trapezoid integral of the degraded input, to rounding
        yd = convolve_instrument(y, 0.25, 8.0, line_shape="sinc2")
        trap = np.trapezoid(yd[::-1], x[::-1])
        assert abs(np.sum(yn * widths) - trap) < 1e-12 * area
        # (2) degrading conserves sum(y) * h exactly; trapezoid = that sum minus h (y_0 + y_N) / 2,
        # nonzero because the sinc2 tails reach the ends; sum(y) * h = analytic area (the
        # bands are spectrally resolved, tails < 1e-30 at the ends)
        end = 0.25 * (abs(yd[0]) + abs(yd[-1])) / 2
        assert abs(np.sum(yn * widths) - area) <= end + 1e-12 * area
        assert abs(np.sum(yd) * 0.25 - area) < 1e-12 * area
        # caller's order kept: the strongest degraded band (area 2.1 sqrt(2 pi) at 1730) is
        # found at 1730 whichever way the target grid runs
        assert abs(xn[np.argmax(yn)] - 1730.0) <= 2.0
    asc = resample(y, x, np.linspace(1600.0, 1800.0, 101), resolution=8.0)
    desc = resample(y, x, np.linspace(1800.0, 1600.0, 101), resolution=8.0)
    np.testing.assert_array_equal(asc, desc[::-1])


def test_resample_nan_outside_and_nonuniform_input(rng):
    x = np.sort(rng.uniform(1000, 1100, 400))
    y = gauss(x, 1050.0, 5.0)
    xn = np.linspace(990.0, 1110.0, 61)
    yn = resample(y, x, xn, resolution=4.0)
    assert np.isnan(yn[xn < x[0]]).all() and np.isnan(yn[xn > x[-1]]).all()
    inside = (xn > x[0] + 4) & (xn < x[-1] - 4)
    ref = gauss(xn, 1050.0, math.hypot(5.0, 4.0 / 2.3548200450309493)) * 5.0 / math.hypot(5.0, 4.0 / 2.3548200450309493)
    # bin averaging over 2 cm^-1 of a sigma~5.4 band: relative error ~ (2^2/24)/sigma^2 ~ 0.6%
    np.testing.assert_allclose(yn[inside], ref[inside], atol=1e-2)


def test_resample_beats_interpolation_on_synthetic_two_resolution_pair():
    # "instrument A" at 2 cm^-1 resolution on a 0.5 grid, "instrument B" at 8 cm^-1 on a 2 grid
    xf = np.arange(800.0, 1800.0, 0.05)
    truth = sum(a * gauss(xf, c, w) for c, w, a in [(1000, 1.0, 1.0), (1015, 2.0, 0.5), (1300, 3.0, 0.8),
                                                     (1450, 0.7, 1.2), (1600, 5.0, 0.6)])
    xa = xf[::10]
    ya = convolve_instrument(truth, 0.05, 2.0, line_shape="sinc2")[::10]
    xb = np.arange(1780.0, 820.0, -2.0)  # descending, 2 cm^-1
    yb = interp(xb, xf, convolve_instrument(truth, 0.05, 8.0, line_shape="sinc2"))
    plain = interp(xb, xa, ya)
    matched = resample(ya, xa, xb, resolution=8.0, source_resolution=2.0, line_shape="sinc2")
    rms_plain = np.sqrt(np.mean((plain - yb) ** 2))
    rms_matched = np.sqrt(np.mean((matched - yb) ** 2))
    assert rms_matched < 0.05 * rms_plain


# ------------------------------------------------------------ preprocessing
def test_baseline_rubberband_and_asls_on_descending_axis():
    x = np.linspace(4000, 400, 900)
    base = 0.3 + 2e-4 * (x - 400) + 0.1 * ((x - 2200) / 1800) ** 2
    band = gauss(x, 1700, 15) + 0.5 * gauss(x, 2900, 20)
    corr, b = correct_baseline(band + base, x, "asls", lam=1e6, p=0.001)
    # asls is a penalised asymmetric fit: it follows the baseline to a few % of the band height
    assert np.max(np.abs(b - base)) < 0.05
    corr, b = correct_baseline(np.stack([band + base, 2 * (band + base)]), x, "convex_hull")
    assert corr.shape == (2, 900) and np.all(corr > -1e-9)
    np.testing.assert_allclose(corr[1], 2 * corr[0], atol=1e-9)


def test_normalisations(rng):
    y = rng.normal(3, 2, (4, 50))
    s = normalize(y, "snv")
    np.testing.assert_allclose(s.mean(axis=1), 0, atol=1e-14)
    np.testing.assert_allclose(s.std(axis=1, ddof=1), 1, atol=1e-14)
    m = normalize(y, "minmax")
    assert np.allclose(m.min(axis=1), 0) and np.allclose(m.max(axis=1), 1)
    np.testing.assert_allclose(np.linalg.norm(normalize(y, "vector"), axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(np.abs(normalize(y.T, "area", axis=0)).sum(axis=0), 1, atol=1e-14)


def test_despike_removes_spikes_only(rng):
    x = np.linspace(0, 10, 500)
    y = np.sin(x) + 0.01 * rng.standard_normal(500)
    spiked = y.copy()
    spiked[[50, 300, 301]] += [3.0, -2.0, 2.5]
    clean, mask = despike(spiked, size=7, return_mask=True)
    assert set(np.flatnonzero(mask)) == {50, 300, 301}
    assert np.array_equal(clean[~mask], spiked[~mask])
    assert np.max(np.abs(clean[mask] - y[mask])) < 0.1


def test_atr():
    dp = penetration_depth(np.array([4000.0, 1000.0]), n_crystal=2.4, n_sample=1.5, angle=45.0)
    lam = 1e4 / np.array([4000.0, 1000.0])
    np.testing.assert_allclose(dp, lam / (2 * math.pi * 2.4 * math.sqrt(0.5 - (1.5 / 2.4) ** 2)), rtol=1e-14)
    # the correction undoes d_p's 1/wavenumber dependence (ratio of depths)
    a = np.array([1.0, 1.0])
    c = atr_correction(a * dp / dp[1], [4000.0, 1000.0])
    np.testing.assert_allclose(c, [1.0, 1.0], rtol=1e-14)


def test_atmospheric_masks():
    x = np.arange(4000.0, 399.0, -1.0)
    m = atmospheric_mask(x)
    for lo, hi in [(2280, 2400), (640, 700), (1350, 1900), (3550, 3950)]:
        assert m[(x >= lo) & (x <= hi)].all()
    assert not m[(x > 2400) & (x < 3550)].any()
    assert atmospheric_mask(x, ["co2"]).sum() == 121 + 61
    y = mask_atmospheric(np.ones((2, x.size)), x, ["co2"])
    assert np.isnan(y[:, x == 2350.0]).all() and not np.isnan(y[:, x == 2000.0]).any()
    # works on a wavelength axis too (converted to cm^-1)
    xo = x + 0.5  # no point on a range boundary, where 1e4/(1e4/x) may round across it
    um = SpectralAxis(1e4 / xo, "um")
    np.testing.assert_array_equal(atmospheric_mask(um), atmospheric_mask(xo))


def test_masked_regions_feed_nan_aware_savgol():
    from fieldconv.smoothing import savgol_filter_nan

    x = np.arange(2600.0, 2100.0, -1.0)
    y = 1e-6 * (x - 2350) ** 2
    ym = mask_atmospheric(y, x, ["co2"])
    out = savgol_filter_nan(ym, 11, 2, fill=False)
    assert np.isnan(out[np.isnan(ym)]).all()
    ok = ~np.isnan(ym)
    np.testing.assert_allclose(out[ok], y[ok], atol=1e-12)


# ---------------------------------------------------------------- error paths
@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: SpectralAxis([1.0, 3.0, 2.0]), ValueError, r"values must be strictly monotonic"),
        (lambda: SpectralAxis([1.0, 1.0, 2.0]), ValueError, r"strictly monotonic"),
        (lambda: SpectralAxis([1.0]), ValueError, r"at least 2 points"),
        (lambda: SpectralAxis([1.0, np.nan]), ValueError, r"values must be finite"),
        (lambda: SpectralAxis([1.0, 2.0], "furlong"), ValueError, r"unit must be a spectral unit"),
        (lambda: SpectralAxis([1.0, 2.0], "kg"), ValueError, r"unit must be a spectral unit"),
        (lambda: SpectralAxis([1.0, 2.0], "cm-1", kind="raman_shift"), ValueError, r"needs laser_wavelength"),
        (lambda: SpectralAxis([1.0, 2.0], "nm", kind="raman_shift", laser_wavelength=532), ValueError, r"needs a wavenumber unit"),
        (lambda: SpectralAxis([1.0, 2.0], "nm", kind="wavenumber"), ValueError, r"kind 'wavenumber' does not match"),
        (lambda: SpectralAxis([1.0, 2.0]).to("kg"), ValueError, r"unit must be a spectral unit"),
        (lambda: SpectralAxis([-1.0, 2.0]).to("nm"), ValueError, r"positive absolute positions"),
        (lambda: transmittance_to_absorbance([0.5, 0.0, -0.1]), ValueError, r"transmittance must be positive \(fraction of 1\); got 2 values <= 0"),
        (lambda: transmittance_to_absorbance([-5.0], percent=True), ValueError, r"transmittance must be positive \(percent\); got 1 values"),
        (lambda: interp([1.0], [1.0, 3.0, 2.0], [1, 2, 3]), ValueError, r"x must be strictly monotonic"),
        (lambda: interp([1.0], [1.0, 2.0, 3.0], [1, 2]), ValueError, r"y must have 3 samples"),
        (lambda: resample(np.ones(3), [1.0, 2.0, 2.0], [1.0, 2.0]), ValueError, r"x must be strictly monotonic"),
        (lambda: resample(np.ones(3), [1.0, 2.0, 3.0], [1.0, 0.5, 2.0]), ValueError, r"x_new must be strictly monotonic"),
        (lambda: resample(np.ones(3), [1.0, 2.0, 3.0], [1.0, 2.0], resolution=-1.0), ValueError, r"resolution must be positive"),
        (lambda: convolve_instrument(np.ones(9), 1.0, 2.0, line_shape="voigt"), ValueError, r"line_shape must be one of"),
        (lambda: convolve_instrument(np.ones(9), 1.0, 2.0, source_resolution=3.0), ValueError, r"cannot sharpen"),
        (lambda: convolve_instrument(np.ones(9), 0.0, 2.0), ValueError, r"spacing must be positive"),
        (lambda: normalize(np.ones((2, 5))), ValueError, r"2 spectra are constant"),
        (lambda: normalize(np.ones(5), "l3"), ValueError, r"method must be one of"),
        (lambda: despike(np.ones(9), size=4), ValueError, r"size must be odd"),
        (lambda: penetration_depth(1000.0, n_crystal=1.5, n_sample=1.4, angle=45.0), ValueError, r"no total internal reflection"),
        (lambda: penetration_depth(-1.0, n_crystal=2.4, n_sample=1.5), ValueError, r"wavenumber must be positive"),
        (lambda: correct_baseline(np.ones(5), np.arange(5.0), "magic"), ValueError, r"method must be a pybaselines"),
        (lambda: atmospheric_mask([1.0, 2.0], ["o3"]), ValueError, r"regions entries must be"),
        (lambda: Spectrum(SpectralAxis([1.0, 2.0]), [1.0, 2.0, 3.0]), ValueError, r"y must have its last axis of length 2"),
        (lambda: Spectrum(SpectralAxis([1.0, 2.0]), [1.0, 2.0], "kelvin"), ValueError, r"y_unit must be one of"),
        (lambda: Spectrum([1.0, 2.0], [1.0, 2.0]), TypeError, r"axis must be a SpectralAxis"),
    ],
    ids=lambda v: "" if callable(v) or isinstance(v, type) else v[:32],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ------------------------------------------------------------- real data
def _load_pairs(n_rows=40):
    import importlib.util

    # locate the data without importing xpectrass, whose __init__ needs its
    # heavy pinned dependencies (it is installed with --no-deps, see the example)
    spec = importlib.util.find_spec("xpectrass")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("xpectrass is not installed (pip install --no-deps xpectrass pandas)")
    pd = pytest.importorskip("pandas")
    base = os.path.join(spec.submodule_search_locations[0], "data")
    hi = pd.read_csv(os.path.join(base, "villegas_camacho_2024_c4.csv.xz"), nrows=n_rows)
    lo = pd.read_csv(os.path.join(base, "villegas_camacho_2024_c8.csv.xz"), nrows=n_rows)
    meta = ["study", "sample_id", "type", "environmental", "resolution"]
    common = [s for s in hi.sample_id if s in set(lo.sample_id)]
    cols_h = [c for c in hi.columns if c not in meta]
    cols_l = [c for c in lo.columns if c not in meta]
    xh = np.array(cols_h, float)
    xl = np.array(cols_l, float)
    H = hi.set_index("sample_id").loc[common, cols_h].to_numpy(float)
    L = lo.set_index("sample_id").loc[common, cols_l].to_numpy(float)
    return xh, H, xl, L


def test_real_ftir_resolution_matching_beats_interpolation():
    """Villegas-Camacho 2024 polymer FTIR (via xpectrass): 4 vs 8 cm^-1 of the same samples."""
    from fieldconv.smoothing import savgol_filter

    xh, H, xl, L = _load_pairs()
    assert H.shape[0] >= 10
    Ah = transmittance_to_absorbance(H, percent=True)
    Al = transmittance_to_absorbance(L, percent=True)
    keep = (xl >= 450) & (xl <= 3950)
    xl, Al = xl[keep], Al[:, keep]
    plain = interp(xl, xh, Ah)
    matched = resample(Ah, xh, xl, resolution=8.0, source_resolution=4.0, line_shape="gaussian")
    # compare second derivatives (baselines and sample offsets drop out, resolution dominates)
    d = lambda y: savgol_filter(y, 7, 3, deriv=2, delta=abs(xl[1] - xl[0]))  # noqa: E731
    r_plain = np.sqrt(np.mean((d(plain) - d(Al)) ** 2, axis=1))
    r_match = np.sqrt(np.mean((d(matched) - d(Al)) ** 2, axis=1))
    assert np.median(r_match) < 0.85 * np.median(r_plain)
    assert np.mean(r_match < r_plain) > 0.6
