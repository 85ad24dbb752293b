"""fieldconv.filters: spectral LES filters on periodic grids."""

import math

import numpy as np
import pytest

from fieldconv.filters import FILTER_KINDS, filter_transfer_function, spectral_filter
from fieldconv.errors import HostDeviceCopyError

EPS = np.finfo(np.float64).eps


def fft_tol(n, dtype=np.float64, scale=1.0):
    # FFT round trip: relative error ~ c eps log2 N (Gentleman & Sande), c <= 10 here
    return 10 * np.finfo(dtype).eps * max(1.0, math.log2(n)) * scale


def kgrid_np(shape, spacing):
    """Angular wavenumbers in the rfftn layout, by numpy.fft (independent of the backend's kgrid)."""
    ks = [2 * np.pi * np.fft.fftfreq(n, h) for n, h in zip(shape[:-1], spacing[:-1])]
    ks.append(2 * np.pi * np.fft.rfftfreq(shape[-1], spacing[-1]))
    return np.meshgrid(*ks, indexing="ij")


def h_ref(kind, shape, spacing, width):
    """Transfer functions written out from the LES formulas (Pope, Table 13.2)."""
    ks = kgrid_np(shape, spacing)
    if kind == "sharp":
        return (sum((k * d / np.pi) ** 2 for k, d in zip(ks, width)) < 1).astype(float)
    if kind == "gaussian":
        return np.exp(-sum(k**2 * d**2 for k, d in zip(ks, width)) / 24)
    if kind == "top-hat":
        return np.prod([np.sinc(k * d / 2 / np.pi) for k, d in zip(ks, width)], axis=0)
    out = 1.0
    for k, d, h in zip(ks, width, spacing):
        n = round(d / h)
        s = np.sin(k * h / 2)
        out = out * np.where(s == 0, 1.0, np.sin(n * k * h / 2) / np.where(s == 0, 1.0, n * s))
    return out


CASES = [
    pytest.param((32,), (0.5,), (1.5,), id="1d"),
    pytest.param((16, 12), (1.0, 0.5), (3.0, 2.5), id="2d-aniso"),
    pytest.param((8, 10, 6), (0.25, 0.25, 0.25), (0.75, 0.75, 0.75), id="3d"),
]


@pytest.mark.parametrize("kind", ["sharp", "gaussian", "top-hat", "box"])
@pytest.mark.parametrize(("shape", "spacing", "width"), CASES)
def test_transfer_function_is_rfftn_of_filtered_delta(kind, shape, spacing, width):
    if kind == "box":
        width = tuple(3 * h for h in spacing)  # an odd number of points
    delta = np.zeros(shape)
    delta[(0,) * len(shape)] = 1.0
    g = spectral_filter(delta, width, kind=kind, spacing=spacing, backend="numpy")
    H = h_ref(kind, shape, spacing, width)
    # a delta in, the filter's impulse response out: one round trip and one more forward FFT, c eps log2 N
    np.testing.assert_allclose(np.fft.rfftn(g), H, rtol=0, atol=fft_tol(delta.size))
    ks = tuple(kgrid_np(shape, spacing))
    # the same closed forms evaluated on the same wavenumbers: a few roundings of exp/sin of O(1) arguments
    np.testing.assert_allclose(filter_transfer_function(kind, ks, width, spacing=spacing), H, rtol=0, atol=8 * EPS)


@pytest.mark.parametrize("kind", FILTER_KINDS)
def test_fourier_mode_scaled_by_exactly_H(kind):
    n, h = 64, 0.5
    width = 3 * h if kind == "box" else 2.2 * h
    i = np.arange(n)
    for m in (0, 1, 7, 13, 14, 15, 31, 32):
        phase = 2 * np.pi * ((m * i) % n) / n  # exact to eps (integer residue)
        f = np.cos(phase) + 0.5 * np.sin(phase)
        k = 2 * np.pi * m / (n * h)
        H = float(filter_transfer_function(kind, np.array([k]), width, spacing=h)[0])
        g = spectral_filter(f, width, kind=kind, spacing=h, backend="numpy")
        want = H * np.cos(phase) + (0.5 * H * np.sin(phase) if m not in (0, n // 2) else 0.0)
        # a mode of amplitude <= 1.5 scaled by H: FFT round trip c eps log2 N, times the amplitude
        np.testing.assert_allclose(g, want, rtol=0, atol=fft_tol(n, scale=1.5))


def test_sharp_cutoff_keeps_below_and_removes_at_or_above_kc():
    n, h = 32, 1.0
    width = 4.0  # k_c = pi/4 = 2 pi m / 32 at m = 4 exactly: the mode on the cut-off is removed
    H = filter_transfer_function("sharp", 2 * np.pi * np.fft.rfftfreq(n, h), width)
    np.testing.assert_array_equal(H, (np.arange(n // 2 + 1) < 4).astype(float))
    f = np.random.default_rng(3).normal(size=(n, n))
    g = spectral_filter(f, width, spacing=h, backend="numpy")
    # a projection: idempotent
    np.testing.assert_allclose(spectral_filter(g, width, spacing=h, backend="numpy"), g, rtol=0, atol=fft_tol(n * n, scale=8))


def test_gaussian_of_gaussian_is_wider_gaussian():
    # periodic box L = 128 h, sigma0 = 4 h: images at distance L contribute exp(-(L/2)^2 / (2 sigma^2)) < 1e-40,
    # spectral content above Nyquist exp(-(pi sigma0 / h)^2 / 2) < 1e-30: only FFT rounding remains
    n, h = (128, 96), (1.0, 0.5)
    sig0 = (4.0, 2.0)
    width = (6.0, 2.5)
    x = [(np.arange(m) - m // 2) * hh for m, hh in zip(n, h)]
    X, Y = np.meshgrid(*x, indexing="ij")
    f = np.exp(-(X**2) / (2 * sig0[0] ** 2) - Y**2 / (2 * sig0[1] ** 2))
    g = spectral_filter(f, width, kind="gaussian", spacing=h, backend="numpy")
    s2 = [s**2 + d**2 / 12 for s, d in zip(sig0, width)]  # variances add: Delta^2/12 per axis
    amp = np.prod([s / math.sqrt(v) for s, v in zip(sig0, s2)])
    want = amp * np.exp(-(X**2) / (2 * s2[0]) - Y**2 / (2 * s2[1]))
    # Gaussian * Gaussian = Gaussian; the input is resolved to < eps at the grid edge, so only FFT rounding remains (amplitude <= 4)
    np.testing.assert_allclose(g, want, rtol=0, atol=fft_tol(f.size, scale=4))


@pytest.mark.parametrize("npts", [1, 3, 5, 9])
def test_box_equals_real_space_moving_average(rng, npts):
    f = rng.normal(size=(24, 20))
    h = (0.5, 2.0)
    width = (npts * h[0], npts * h[1])
    r = npts // 2
    ref = np.zeros_like(f)
    for a in range(-r, r + 1):
        for b in range(-r, r + 1):
            ref += np.roll(f, (a, b), axis=(0, 1))
    ref /= npts**2
    g = spectral_filter(f, width, kind="box", spacing=h, backend="numpy")
    # the Dirichlet-kernel symbol equals the moving average exactly: FFT rounding of a field of amplitude <= 8
    np.testing.assert_allclose(g, ref, rtol=0, atol=fft_tol(f.size, scale=8))
    if npts > 1:
        # the continuous top-hat is the interval average of the interpolant: a different filter
        t = spectral_filter(f, width, kind="top-hat", spacing=h, backend="numpy")
        assert np.abs(t - ref).max() > 1e-3


def test_top_hat_converges_to_box_at_second_order():
    # top-hat vs box (width 3h) on a fixed mode: sinc(3x/2) - sin(3x/2)/(3 sin(x/2)) = -x^2/24 + O(x^4),
    # x = k h: halving h divides the gap by 4 (to O(x^2) ~ 2% at x = 0.15)
    gaps = []
    for n in (128, 256):
        h = 1.0 / n
        f = np.cos(2 * np.pi * 3 * np.arange(n) / n)
        t = spectral_filter(f, 3 * h, kind="top-hat", spacing=h, backend="numpy")
        b = spectral_filter(f, 3 * h, kind="box", spacing=h, backend="numpy")
        gaps.append(np.abs(t - b).max())
    x = 2 * np.pi * 3 / 128
    # leading difference (kh)^2/24 of midpoint rule vs exact average; the next term is O((kh)^2) ~ 2% relative at this k
    assert gaps[0] == pytest.approx(x**2 / 24, rel=0.02)
    assert 3.9 < gaps[0] / gaps[1] < 4.1


def test_mean_is_preserved_and_axes_subset(rng):
    f = rng.normal(size=(8, 10, 12))
    for kind in FILTER_KINDS:
        g = spectral_filter(f, 3.0, kind=kind, backend="numpy")
        assert abs(g.mean() - f.mean()) < fft_tol(f.size, scale=4)
    g = spectral_filter(f, 3.0, kind="gaussian", axes=1, backend="numpy")
    for i in range(8):
        for j in range(12):
            row = spectral_filter(f[i, :, j], 3.0, kind="gaussian", backend="numpy")
            # the same 1-D filter through a batched 3-D transform: FFT rounding (amplitude <= 4)
            np.testing.assert_allclose(g[i, :, j], row, rtol=0, atol=fft_tol(f.size, scale=4))
    g2 = spectral_filter(f, (3.0, 5.0), kind="top-hat", axes=(2, 0), spacing=(1.0, 0.5), backend="numpy")
    g2_ref = spectral_filter(np.moveaxis(f, (2, 0), (0, 1)), (3.0, 5.0), kind="top-hat", axes=(0, 1),
                             spacing=(1.0, 0.5), backend="numpy")
    # the same filter on permuted axes: FFT rounding (amplitude <= 4)
    np.testing.assert_allclose(g2, np.moveaxis(g2_ref, (0, 1), (2, 0)), rtol=0, atol=fft_tol(f.size, scale=4))


@pytest.mark.parametrize(
    ("dtype", "out"),
    [(np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float32), (np.int32, np.float64),
     (np.bool_, np.float64)],
    ids=["f32", "f64", "f16", "i32", "bool"],
)
def test_dtype_table(cpu_backend, dtype, out):
    f = (np.arange(64).reshape(8, 8) % 3).astype(dtype)
    g = spectral_filter(f, 2.0, kind="gaussian", backend=cpu_backend)
    assert g.dtype == out
    ref = spectral_filter(f.astype(np.float64), 2.0, kind="gaussian", backend="numpy")
    # float32 transforms of a float64-representable field: eps32 log2 N rounding (amplitude <= 4)
    np.testing.assert_allclose(g, ref, rtol=0, atol=fft_tol(64, out, scale=4))


@pytest.mark.parametrize("kind", FILTER_KINDS)
def test_strict_backend_matches_numpy(strict_backend, rng, kind):
    be = strict_backend
    f = rng.normal(size=(12, 9))
    for dt in (np.float64, np.float32):
        x = be.asarray(f.astype(dt), copy=True)
        g = spectral_filter(x, 3.0, kind=kind, spacing=1.0, backend=be)
        assert g.device == be.device and str(g.dtype).endswith(np.dtype(dt).name)
        ref = spectral_filter(f, 3.0, kind=kind, backend="numpy")
        # the generic path vs NumPy: FFT rounding in the working precision (amplitude <= 8)
        np.testing.assert_allclose(be.to_numpy(g), ref, rtol=0, atol=fft_tol(f.size, dt, scale=8))
    ks = be.kgrid((12, 9), 1.0)
    H = filter_transfer_function(kind, ks, 3.0, spacing=1.0)
    assert H.device == be.device
    # the same closed forms on the backend's wavenumbers: a few roundings
    np.testing.assert_allclose(be.to_numpy(H), h_ref(kind, (12, 9), (1.0, 1.0), (3.0, 3.0)), rtol=0, atol=8 * EPS)
    # the backend follows the array: no backend= needed
    assert spectral_filter(be.asarray(f, copy=True), 3.0, kind=kind).device == be.device


def test_units_are_stripped_and_reattached():
    import astropy.units as u

    f = np.random.default_rng(0).normal(size=16)
    g = spectral_filter(f * u.K, 30 * u.mm, kind="gaussian", spacing=1 * u.cm, backend="numpy")
    assert g.unit == u.K
    # 30 mm / 1 cm converts to 3.0 up to one rounding: the same filter, FFT rounding of |f| <= 3
    np.testing.assert_allclose(g.value, spectral_filter(f, 3.0, kind="gaussian", backend="numpy"), rtol=0, atol=1e-14)
    with pytest.raises(ValueError, match="width is a Quantity but spacing is not"):
        spectral_filter(f, 3 * u.mm)
    with pytest.raises(ValueError, match="width must have units convertible to cm"):
        spectral_filter(f, 3 * u.s, spacing=1 * u.cm)


def test_filter_transfer_function_dtype_and_scalars():
    k = np.linspace(0, 3, 7, dtype=np.float32)
    assert filter_transfer_function("gaussian", k, 1.0).dtype == np.float32
    assert filter_transfer_function("top-hat", k.astype(np.float64), 1.0).dtype == np.float64
    assert float(filter_transfer_function("top-hat", 0.0, 2.0)) == 1.0
    # a list is one array of |k| (a 1-D filter), a tuple is per-axis components
    np.testing.assert_array_equal(filter_transfer_function("sharp", [0.0, 1.0, 2.0], 2.0), [1.0, 1.0, 0.0])
    assert filter_transfer_function("sharp", (np.array([1.0]), np.array([[1.0]])), 2.0).shape == (1, 1)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda f: spectral_filter(f, 2.0, kind="spectral"), ValueError,
         r"kind must be one of 'sharp', 'gaussian', 'top-hat', 'box'; got 'spectral'"),
        (lambda f: spectral_filter(f, 0.0), ValueError, r"width must be positive and finite; got 0.0"),
        (lambda f: spectral_filter(f, (1.0, 2.0, 3.0)), ValueError, r"width must be a scalar or have one entry per axis \(2\)"),
        (lambda f: spectral_filter(f, 2.0, spacing=-1.0), ValueError, r"spacing must be positive and finite; got -1.0"),
        (lambda f: spectral_filter(f, 2.0, kind="box"), ValueError, r"width / spacing to be an odd integer.*got width\[0\] / spacing\[0\] = 2.0"),
        (lambda f: spectral_filter(f, 3.0, axes=(0, 0)), ValueError, r"axes must not repeat an axis"),
        (lambda f: spectral_filter(f, 3.0, axes=2), ValueError, r"axes entries must lie in \[-2, 2\); got 2"),
        (lambda f: spectral_filter(f + 1j, 3.0), TypeError, r"field must be real; got dtype complex128"),
        (lambda f: spectral_filter(np.array(1.0), 3.0), ValueError, r"field must have at least one dimension"),
        (lambda f: spectral_filter(f.astype(object), 3.0), TypeError, r"field must have a numeric dtype"),
        (lambda f: filter_transfer_function("box", np.ones(3), 3.0), ValueError, r'kind="box" needs spacing'),
        (lambda f: filter_transfer_function("cone", np.ones(3), 3.0), ValueError, r"kind must be one of"),
    ],
    ids=["kind", "width0", "width-len", "spacing", "box-even", "axes-repeat", "axes-range", "complex", "scalar", "object",
         "box-spacing", "tf-kind"],
)
def test_errors(call, exc, match):
    f = np.ones((8, 8))
    with pytest.raises(exc, match=match):
        call(f)


def test_host_array_on_strict_backend_is_refused(strict_backend):
    with pytest.raises(HostDeviceCopyError, match="does not copy between devices implicitly"):
        spectral_filter(np.ones(8), 2.0, backend=strict_backend)


@pytest.mark.parametrize("kind", FILTER_KINDS)
def test_every_backend_matches_formula(backend, rng, kind):
    f = rng.normal(size=(10, 12))
    g = spectral_filter(backend.asarray(f, copy=True), 3.0, kind=kind, backend=backend)
    H = h_ref(kind, (10, 12), (1.0, 1.0), (3.0, 3.0))
    # against NumPy's FFTs with the closed-form H: FFT rounding (amplitude <= 8)
    np.testing.assert_allclose(backend.to_numpy(g), np.fft.irfftn(H * np.fft.rfftn(f), s=f.shape, axes=(0, 1)), rtol=0,
                               atol=fft_tol(f.size, scale=8))
