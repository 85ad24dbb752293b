"""fieldconv.convolution: NaN policies (against astropy.convolution) and exact identities (hypothesis).

Tolerances: ``direct_tol`` / ``fft_tol`` of :mod:`tests.convolution.bounds`.
"""

import astropy.convolution as astropy_conv
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fieldconv.convolution import convolve
from fieldconv.kernels import Kernel

from .bounds import MODES, fft_tol

@pytest.mark.parametrize("normalize", [False, True], ids=["raw", "normalized"])
@pytest.mark.parametrize(
    "ours,theirs", [("constant", "fill"), ("nearest", "extend"), ("wrap", "wrap")], ids=["fill", "extend", "wrap"]
)
@pytest.mark.parametrize("method", ["direct", "fft", "auto"])
def test_nan_interpolate_matches_astropy(rng, ours, theirs, normalize, method):
    x = rng.standard_normal((23, 19)) + 3.0
    x[rng.random(x.shape) < 0.08] = np.nan
    w = rng.random((5, 3)) + 0.1  # positive sum, asymmetric (checks the flip)
    for preserve in (False, True):
        got = convolve(x, w, mode=ours, cval=0.0, nan_policy="interpolate", normalize_kernel=normalize,
                       preserve_nan=preserve, method=method)
        want = astropy_conv.convolve(x, w, boundary=theirs, fill_value=0.0, nan_treatment="interpolate",
                                     normalize_kernel=normalize, preserve_nan=preserve)
        # ratio of two K-term sums: ~2 K eps relative (FFT: c eps log2 N); 1e-10 is generous
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_nan_interpolate_float32_and_nan_cval(rng):
    x = rng.standard_normal((30, 20)).astype(np.float32)
    x[3, 4] = x[10, 0] = np.nan
    w = np.ones((3, 3))
    got = convolve(x, w, nan_policy="interpolate", normalize_kernel=True, mode="constant", cval=np.nan)
    assert got.dtype == np.float32
    # cval=NaN: outside samples are missing, so a corner is the mean of its 4 in-field neighbours
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(got[0, 0], np.nanmean(x64[:2, :2]), rtol=1e-6)
    np.testing.assert_allclose(got[3, 4], np.nanmean(x64[2:5, 3:6]), rtol=1e-6)


def test_nan_all_missing_neighbourhood_gives_nan():
    x = np.ones(12)
    x[4:9] = np.nan
    got = convolve(x, np.ones(3), nan_policy="interpolate")
    assert np.isnan(got[6]) and got[3] == pytest.approx(3.0)  # 2 valid of 3 taps, times the kernel sum 3


def test_nan_propagate_direct_stays_local():
    x = np.zeros((9, 9))
    x[4, 4] = np.nan
    got = convolve(x, np.ones((3, 3)), method="direct")
    assert np.isnan(got).sum() == 9
    got = convolve(x, np.ones((3, 3)), method="auto")  # auto never picks an FFT with NaN present
    assert np.isnan(got).sum() == 9



_floats = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)
#: Products of tiny normal numbers are subnormal, where relative bounds fail: absolute floor.
_SUBNORMAL = 1e-300


@given(
    f=arrays(np.float64, (11, 7), elements=_floats),
    g=arrays(np.float64, (11, 7), elements=_floats),
    w=arrays(np.float64, (3, 4), elements=_floats),
    a=_floats,
    b=_floats,
    mode=st.sampled_from(MODES),
    method=st.sampled_from(["direct", "fft", "auto"]),
)
def test_linearity(f, g, w, a, b, mode, method):
    lhs = convolve(a * f + b * g, w, mode=mode, method=method)
    rhs = a * convolve(f, w, mode=mode, method=method) + b * convolve(g, w, mode=mode, method=method)
    # both sides carry the K-term sum bound on data of size (|a|+|b|) max(|f|,|g|)
    scale = (abs(a) + abs(b)) * max(np.abs(f).max(), np.abs(g).max(), 1.0)
    tol = 4 * fft_tol(w, np.array([scale]), np.float64, f.size) + 3 * w.size * np.finfo(float).eps * np.abs(w).sum() * scale
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=tol + _SUBNORMAL)


@given(
    f=arrays(np.float64, (10, 9), elements=_floats),
    w=arrays(np.float64, (3, 2), elements=_floats),
    s0=st.integers(-12, 12),
    s1=st.integers(-12, 12),
    method=st.sampled_from(["direct", "fft"]),
)
def test_shift_equivariance_wrap(f, w, s0, s1, method):
    lhs = convolve(np.roll(f, (s0, s1), axis=(0, 1)), w, mode="wrap", method=method)
    rhs = np.roll(convolve(f, w, mode="wrap", method=method), (s0, s1), axis=(0, 1))
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=fft_tol(w, f, np.float64, f.size) + _SUBNORMAL)


@given(
    f=arrays(np.float64, (16, 12), elements=_floats),
    a=arrays(np.float64, (3, 2), elements=_floats),
    b=arrays(np.float64, (4, 3), elements=_floats),
)
def test_composition_equals_successive_convolution(f, a, b):
    import scipy.signal

    ab = scipy.signal.convolve(a, b, mode="full", method="direct")
    # taps landing on the output add: c_ab = c_a + c_b; as a scipy origin: c_ab - shape_ab // 2
    c_ab = tuple(ka // 2 + kb // 2 for ka, kb in zip(a.shape, b.shape))
    origin = tuple(c - n // 2 for c, n in zip(c_ab, ab.shape))
    lhs = convolve(convolve(f, a, mode="wrap"), b, mode="wrap")
    rhs = convolve(f, ab, mode="wrap", origin=origin)
    scale = float(np.abs(a).sum() * np.abs(b).sum()) * max(np.abs(f).max(), 1.0)
    tol = 2 * (a.size + b.size) * np.finfo(float).eps * scale
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=tol + _SUBNORMAL)


@given(
    w=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)), elements=_floats),
    data=st.data(),
)
def test_transfer_function_is_fft_of_delta_response(w, data):
    n = (12, 10)
    origin = tuple(data.draw(st.integers(0, k - 1)) for k in w.shape)
    delta = np.zeros(n)
    delta[0, 0] = 1.0
    K = Kernel(w, origin=origin)
    resp = convolve(delta, K, mode="wrap", method="direct")
    # contract symbol H(k) = sum_j w[j] exp(-i k.(j - origin)), with exact phases 2 pi ((m (j - o)) mod n) / n
    m0, m1 = np.meshgrid(np.arange(n[0]), np.arange(n[1]), indexing="ij")
    H = np.zeros(n, complex)
    for j0 in range(w.shape[0]):
        for j1 in range(w.shape[1]):
            ph = ((m0 * (j0 - origin[0])) % n[0]) / n[0] + ((m1 * (j1 - origin[1])) % n[1]) / n[1]
            H += w[j0, j1] * np.exp(-2j * np.pi * ph)
    tol = fft_tol(w, np.ones(1), np.float64, delta.size)
    np.testing.assert_allclose(np.fft.fft2(resp), H, rtol=0, atol=tol)


