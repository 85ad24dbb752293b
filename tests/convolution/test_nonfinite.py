"""fieldconv.convolution: non-finite samples (inf, NaN) give the exact method's answer on every method.

The rule (docs/convolution.md, "Non-finite samples"): an output whose stencil
holds a non-finite sample with a non-zero weight is what the exact sum gives
(``+inf``/``-inf``; NaN where a NaN is met or ``+inf`` and ``-inf`` terms
meet); every other output is the convolution of the finite samples.  A zero
weight forms no term (as scipy.ndimage's n-D filters).  Before: one ``+inf``
made the FFT path NaN everywhere and overlap-add a block of NaN.

Tolerances: finite outputs within ``fft_tol`` (FFT methods) or ``direct_tol``
of :mod:`tests.convolution.bounds`; non-finite outputs must match exactly.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldconv.convolution import convolve, correlate
from fieldconv.convolution._cost import last_auto

from .bounds import MODES, direct_tol, fft_tol

METHODS = ["direct", "fft", "overlap-add", "auto"]


def _assert_same(got, want, tol):
    """Identical non-finite pattern (NaN where NaN, the same infinities), finite values within `tol`."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=tol)


@pytest.mark.parametrize("method", METHODS)
def test_one_inf_in_a_256_field_with_a_31x31_kernel(rng, method):
    """The issue's case: scipy.ndimage gives inf in the 961 affected outputs and no NaN."""
    x = rng.standard_normal((256, 256))
    x[100, 50] = np.inf
    w = rng.random((31, 31)) + 0.1  # positive weights: every affected output is +inf
    got = convolve(x, w, method=method)
    want = ndi.convolve(x, w)
    assert np.isposinf(got).sum() == 961 and not np.isnan(got).any()
    _assert_same(got, want, fft_tol(w, np.where(np.isfinite(x), x, 0), np.float64, 2 * x.size))


@pytest.mark.parametrize("method", ["fft", "overlap-add", "auto", "direct"])
@pytest.mark.parametrize("mode", MODES)
def test_inf_nan_patterns_match_scipy(rng, mode, method):
    """+inf and -inf that meet give NaN, NaN spreads over its stencil, signs follow the weights."""
    n0 = 600 if method == "overlap-add" else 40
    x = rng.standard_normal((n0, 23))
    x[5, 5], x[6, 9], x[20, 2], x[n0 - 3, 20] = np.inf, -np.inf, np.nan, np.inf
    w = rng.standard_normal((5, 4))  # mixed signs
    for ours, ref in ((convolve, ndi.convolve), (correlate, ndi.correlate)):
        got = ours(x, w, mode=mode, cval=0.5, method=method)
        want = ref(x, w, mode=mode, cval=0.5)
        _assert_same(got, want, fft_tol(w, np.where(np.isfinite(x), x, 0), np.float64, 2 * x.size))


@pytest.mark.parametrize("method", ["direct", "fft", "overlap-add"])
@pytest.mark.parametrize("cval", [np.inf, -np.inf, np.nan], ids=["+inf", "-inf", "nan"])
def test_non_finite_cval(rng, method, cval):
    x = rng.standard_normal((600, 7))
    w = rng.random((3, 5)) + 0.1
    got = convolve(x, w, mode="constant", cval=cval, method=method)
    want = ndi.convolve(x, w, mode="constant", cval=cval)
    _assert_same(got, want, fft_tol(w, x, np.float64, 2 * x.size))


@pytest.mark.parametrize("method", ["direct", "separable", "fft", "overlap-add", "auto"])
def test_zero_weights_form_no_term(rng, method):
    """0 * inf is never formed: a kernel with zero taps leaves those outputs finite (scipy's n-D rule)."""
    x = rng.standard_normal((600, 12))
    x[300, 6] = np.inf
    w = np.outer([1.0, 0.0, 2.0], [1.0, 0.0, 1.0])  # separable, zero cross
    got = convolve(x, w, method=method)
    want = ndi.convolve(x, w)
    _assert_same(got, want, fft_tol(w, np.where(np.isfinite(x), x, 0), np.float64, 2 * x.size))
    assert np.isposinf(got).sum() == 4  # the four non-zero taps


@pytest.mark.parametrize("method", ["direct", "fft", "overlap-add", "auto"])
def test_non_finite_float32_and_complex(rng, method):
    x = rng.standard_normal((600, 6)).astype(np.float32)
    x[10, 3] = -np.inf
    w = rng.random((3, 3)) + 0.1
    got = convolve(x, w, method=method)
    assert got.dtype == np.float32
    want = ndi.convolve(x.astype(np.float64), w)
    _assert_same(got, want, 2 * fft_tol(w, np.where(np.isfinite(x), x, 0), np.float32, 2 * x.size))
    z = rng.standard_normal((600, 6)) + 1j * rng.standard_normal((600, 6))
    z[7, 2] = complex(np.inf, 1.0)
    z[40, 4] = complex(0.0, np.nan)
    wz = w * (1 + 0.5j)
    got = convolve(z, wz, method=method)
    want = ndi.convolve(z, wz)
    for part in (np.real, np.imag):
        _assert_same(part(got), part(want), 4 * fft_tol(np.abs(wz), np.where(np.isfinite(z), np.abs(z), 0),
                                                        np.float64, 2 * z.size))


def test_auto_with_non_finite_samples_is_exact_where_cheaper(rng):
    x = rng.standard_normal((64, 64))
    x[3, 3] = np.inf
    convolve(x, np.ones((3, 3)))
    assert last_auto() in ("direct", "separable")
    # a large non-separable kernel still goes to an FFT method, with the exact non-finite outputs
    big = rng.standard_normal((512, 512))
    big[256, 300] = np.nan  # far from the edges: no reflected copy
    w = rng.standard_normal((45, 45))
    got = convolve(big, w)
    assert last_auto() in ("fft", "overlap-add")
    assert np.isnan(got).sum() == 45 * 45


def test_interpolate_with_inf(rng):
    """nan_policy="interpolate" leaves NaN out; an inf is data and stays exact on every method."""
    x = rng.standard_normal((40, 40)) + 3
    x[10, 10] = np.nan
    x[30, 30] = np.inf
    w = rng.random((5, 5)) + 0.1
    ref = convolve(x, w, method="direct", nan_policy="interpolate")
    for method in ("fft", "auto"):
        got = convolve(x, w, method=method, nan_policy="interpolate")
        _assert_same(got, ref, 1e-10)  # ratio of two sums, each within ~1e-13 here
    assert np.isposinf(ref).sum() == 25 and not np.isnan(ref).any()


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_bad=st.integers(1, 6),
    mode=st.sampled_from(MODES),
    method=st.sampled_from(["fft", "overlap-add"]),
    shape=st.sampled_from([(9, 8), (530, 5), (33,)]),
)
def test_fuzz_non_finite_equals_the_exact_method(seed, n_bad, mode, method, shape):
    """Random fields with sprinkled +-inf/NaN: every FFT method equals the direct method (pattern exactly)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    idx = rng.choice(flat.size, size=min(n_bad, flat.size), replace=False)
    flat[idx] = rng.choice([np.inf, -np.inf, np.nan], size=idx.size)
    w = rng.standard_normal(tuple(int(k) for k in rng.integers(1, 5, size=len(shape))))
    w[w == 0] = 1.0
    want = convolve(x, w, mode=mode, cval=-0.25, method="direct")
    got = convolve(x, w, mode=mode, cval=-0.25, method=method)
    finite = np.where(np.isfinite(x), x, 0)
    _assert_same(got, want, fft_tol(w, finite, np.float64, 2 * x.size) + direct_tol(w, finite, np.float64, 0.25))


@pytest.mark.parametrize("method", ["fft", "overlap-add"])
def test_huge_finite_values_do_not_overflow_inside_the_transform(rng, method):
    """Values near the float64 limit: the transform runs scaled by a power of two; overflow only where the sums do."""
    x = rng.random((600, 24)) * 1.5e307
    x[:300] *= 0.01
    w = np.ones((5, 5))
    got = convolve(x, w, method=method)
    want = ndi.convolve(x, w)
    assert not np.isnan(got).any() and np.isinf(want).any()
    # the border between finite and overflowing outputs may move by rounding: compare away from it
    clear = np.abs(np.where(np.isfinite(want), want, np.inf)) < 1.7e308
    np.testing.assert_array_equal(np.isinf(got)[~clear & np.isinf(want)], True)
    np.testing.assert_allclose(got[clear], want[clear], rtol=0, atol=fft_tol(w, x, np.float64, x.size))
    single = np.zeros((24, 24))
    single[10, 12] = 1e308  # one huge sample: 1e308 in 25 outputs, exactly representable sums
    np.testing.assert_allclose(convolve(single, w, method=method), ndi.convolve(single, w), rtol=0,
                               atol=fft_tol(w, single, np.float64, single.size))
