"""fieldconv.convolution: complex fields, complex kernels and complex cval, on every method.

References: scipy.ndimage (which convolves complex data through real parts,
conjugating the weights of a correlation).  Tolerances: a complex output is
a sum of up to two real results per part, each within ``direct_tol`` /
``fft_tol`` of :mod:`tests.convolution.bounds` for the modulus of the data
and weights (``|re|, |im| <= |z|``), so twice the real bound covers it.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv.convolution import convolve, convolve1d, correlate, correlate1d
from fieldconv.convolution._cost import last_auto

from .bounds import MODES, direct_tol, fft_tol

METHODS = ["direct", "separable", "fft", "overlap-add", "auto"]
SHAPES = {1: (13,), 2: (9, 8), 3: (6, 5, 7)}
OA_SHAPES = {1: (1100,), 2: (560, 6), 3: (530, 4, 5)}  # long enough that overlap-add really blocks
KINDS = ["complex-field", "complex-kernel", "both"]


def _data(rng, kind, shape, ks, cdt):
    x = rng.standard_normal(shape)
    w = np.multiply.outer(rng.standard_normal(ks[0]), rng.standard_normal(ks[1:])) if len(ks) > 1 else \
        rng.standard_normal(ks)
    if kind in ("complex-field", "both"):
        x = (x + 1j * rng.standard_normal(shape)).astype(cdt)
    else:
        x = x.astype(np.float32 if cdt == np.complex64 else np.float64)
    if kind in ("complex-kernel", "both"):  # rank one too, so that separable applies to each part
        w = w * np.exp(0.7j)
    return x, w


def _tol(w, x, cdt, method):
    real = np.float32 if cdt == np.complex64 else np.float64
    mod_w, mod_x = np.abs(w), np.abs(x)
    tol = direct_tol(mod_w, mod_x, real, 0.6)
    if method not in ("direct", "separable"):
        tol = max(tol, fft_tol(mod_w, mod_x, real, x.size + w.size))
    return 2 * tol


@pytest.mark.parametrize("cdt", [np.complex128, np.complex64], ids=["c128", "c64"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("ndim,method", [(d, m) for d in (1, 2, 3) for m in METHODS if (d, m) != (1, "separable")],
                         ids=lambda v: str(v))
@pytest.mark.parametrize("mode", MODES)
def test_complex_matches_scipy_on_every_method(rng, mode, ndim, method, kind, cdt):
    shape = (OA_SHAPES if method == "overlap-add" else SHAPES)[ndim]
    x, w = _data(rng, kind, shape, (3, 4, 2)[:ndim], cdt)
    cval = (0.6 - 0.3j) if np.iscomplexobj(x) else 0.6
    for ours, ref in ((convolve, ndi.convolve), (correlate, ndi.correlate)):
        got = ours(x, w, mode=mode, cval=cval, method=method, origin=(1,) + (0,) * (ndim - 1))
        want = ref(x.astype(np.complex128), w, mode=mode, cval=cval, origin=(1,) + (0,) * (ndim - 1))
        assert got.dtype == cdt and got.shape == x.shape  # complex64 stays, float32 + complex kernel -> complex64
        np.testing.assert_allclose(got, want, rtol=0, atol=_tol(w, x, cdt, method), err_msg=ours.__name__)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", MODES)
def test_complex_1d_functions_match_scipy(rng, mode, kind):
    x, w = _data(rng, kind, (7, 30), (5,), np.complex128)
    cval = (0.4 + 1.5j) if np.iscomplexobj(x) else 0.4
    for ours, ref in ((convolve1d, ndi.convolve1d), (correlate1d, ndi.correlate1d)):
        for axis in (0, 1):
            got = ours(x, w, axis=axis, mode=mode, cval=cval, origin=-1)
            want = ref(x, w, axis=axis, mode=mode, cval=cval, origin=-1)
            assert got.dtype == np.complex128
            np.testing.assert_allclose(got, want, rtol=0, atol=_tol(w, x, np.complex128, "direct"))


def test_correlation_conjugates_complex_weights(rng):
    """correlate(f, w)[i] = sum_j conj(w[j]) f[i + j - c] (numpy.correlate's and scipy.ndimage's convention)."""
    x = rng.standard_normal(12) + 1j * rng.standard_normal(12)
    w = np.array([1.0 + 2.0j, -0.5j, 3.0])
    np.testing.assert_allclose(correlate(x, w, mode="constant"), np.correlate(x, w, mode="same"), rtol=0, atol=1e-14)
    np.testing.assert_allclose(correlate1d(x, w, mode="constant"), np.correlate(x, w, mode="same"), rtol=0,
                               atol=1e-14)
    # convolution does not conjugate: it is the correlation with conj(reversed w)
    np.testing.assert_allclose(convolve(x, w), correlate(x, np.conj(w[::-1]), origin=0), rtol=0, atol=1e-14)
    np.testing.assert_allclose(convolve1d(x, w), convolve(x, w), rtol=0, atol=1e-14)


@pytest.mark.parametrize(
    "fdt,kdt,expect",
    [(np.complex64, np.float64, np.complex64), (np.complex128, np.float32, np.complex128),
     (np.float32, np.complex128, np.complex64), (np.float64, np.complex64, np.complex128),
     (np.float16, np.complex128, np.complex64), (np.int16, np.complex128, np.complex128),
     (np.bool_, np.complex64, np.complex128)],
    ids=lambda d: np.dtype(d).name,
)
@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_complex_dtype_rules(fdt, kdt, expect, method):
    """The field sets the precision; complex field or kernel makes the result complex."""
    x = (np.arange(30).reshape(6, 5) % 3).astype(fdt)
    w = np.ones((3, 3), dtype=kdt) * (1 + 1j if np.dtype(kdt).kind == "c" else 1)
    got = convolve(x, w, method=method)
    assert got.dtype == expect
    want = ndi.convolve(x.astype(np.complex128), w.astype(np.complex128))
    # integer-valued data and weights: float32 sums of 9 terms <= 18 are exact; FFT rounding ~1e-5 in complex64
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
    assert convolve1d(x, w[0], axis=0).dtype == expect


def test_complex_output_dtypes_and_out(rng):
    x = rng.standard_normal((8, 7)) + 1j * rng.standard_normal((8, 7))
    w = rng.standard_normal((3, 3))
    got = convolve(x, w, output=np.complex64)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, ndi.convolve(x, w), rtol=1e-6, atol=1e-6)  # complex64 rounding
    out = np.empty((8, 7), np.complex128)
    assert convolve(x, w, out=out) is out
    # a real field with a complex output dtype is fine (no data lost)
    assert convolve(x.real, w, output=np.complex128).dtype == np.complex128
    with pytest.raises(ValueError, match="out must have dtype complex128"):
        convolve(x, w, out=np.empty((8, 7)))
    with pytest.raises(ValueError, match="output dtype complex64 cannot hold the result"):
        convolve(np.array([1e300 + 0j, 0j]), [1.0, 1.0], output=np.complex64)


def test_complex_kernel_quantity_and_normalize(rng):
    import astropy.units as u

    x = rng.standard_normal((6, 6)) * u.K
    w = (np.ones((3, 3)) + 1j * np.eye(3)) * u.m
    got = convolve(x, w)
    assert got.unit == u.K * u.m and got.dtype == np.complex128
    np.testing.assert_allclose(got.value, ndi.convolve(x.value.astype(complex), w.value), rtol=0, atol=1e-13)
    got = convolve(x.value, w.value, normalize_kernel=True)  # divide by the complex sum 9 + 3j
    np.testing.assert_allclose(got, ndi.convolve(x.value.astype(complex), w.value / (9 + 3j)), rtol=0, atol=1e-13)


def test_complex_nan_interpolate(rng):
    """NaN in either part of a complex sample makes it missing; the weighted mean of the rest."""
    x = rng.standard_normal((9, 9)) + 1j * rng.standard_normal((9, 9))
    x[4, 4] = complex(np.nan, 1.0)
    w = np.ones((3, 3))
    got = convolve(x, w, nan_policy="interpolate", normalize_kernel=True, mode="nearest")
    valid = ~np.isnan(x)
    ring = x[3:6, 3:6][valid[3:6, 3:6]]
    np.testing.assert_allclose(got[4, 4], ring.mean(), rtol=1e-13)
    assert got.dtype == np.complex128 and np.isfinite(got).all()


def test_complex_auto_uses_fft_for_large_kernels(rng):
    x = rng.standard_normal((256, 256)) + 1j * rng.standard_normal((256, 256))
    w = rng.standard_normal((31, 31)) + 1j * rng.standard_normal((31, 31))
    got = convolve(x, w, mode="wrap")
    assert last_auto() in ("fft", "overlap-add")
    want = convolve(x, w, mode="wrap", method="direct")
    np.testing.assert_allclose(got, want, rtol=0, atol=2 * fft_tol(np.abs(w), np.abs(x), np.float64, x.size))


def test_complex_strict_backend(rng, strict_backend):
    be = strict_backend
    x = rng.standard_normal((12, 9)) + 1j * rng.standard_normal((12, 9))
    w = np.outer(rng.standard_normal(3), rng.standard_normal(4)) * (1 - 2j)
    for method in ("direct", "separable", "fft"):
        got = convolve(be.asarray(x, copy=True), w, method=method, mode="constant", cval=1 + 1j)
        want = ndi.convolve(x, w, mode="constant", cval=1 + 1j)
        np.testing.assert_allclose(be.to_numpy(got), want, rtol=0, atol=_tol(w, x, np.complex128, "fft"))
    got = correlate1d(be.asarray(x, copy=True), [1j, 2.0], axis=0)
    np.testing.assert_allclose(be.to_numpy(got), ndi.correlate1d(x, [1j, 2.0], axis=0), rtol=0, atol=1e-14)
