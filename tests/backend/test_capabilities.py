"""Backend capabilities that operators use instead of backend names."""

import numpy as np
import pytest

from fieldconv.backend import get_backend


def test_scatter_add_sums_repeated_indices(backend, rng):
    idx = rng.integers(0, 50, 2000)
    val = rng.standard_normal(2000)
    want = np.zeros(50)
    np.add.at(want, idx, val)
    got = backend.to_numpy(backend.scatter_add(backend.asarray(idx, copy=True), backend.asarray(val, copy=True), 50))
    assert got.dtype == np.float64 and got.shape == (50,)
    # float64 sums of <= 2000 terms |v| <= 4.5: summation order differs by backend,
    # error <= n eps sum|v| ~ 2000 * 2.2e-16 * 40 ~ 2e-11 per cell (worst case)
    np.testing.assert_allclose(got, want, rtol=0, atol=2000 * np.finfo(float).eps * np.abs(val).sum() / 50)


def test_median_filter_capability(backend):
    x = backend.asarray(np.array([1.0, 1.0, 9.0, 1.0, 1.0]), copy=True)
    if not backend.on_host and backend.name == "array_api":
        with pytest.raises(NotImplementedError, match="median_filter is not available on the 'array_api' backend"):
            backend.median_filter(x, (3,), mode="reflect", cval=0.0)
        return
    np.testing.assert_array_equal(backend.to_numpy(backend.median_filter(x, (3,), mode="reflect", cval=0.0)), 1.0)


def test_fft_into_out_flag():
    assert get_backend("pyfftw").fft_writes_out
    assert not get_backend("numpy").fft_writes_out


def test_kernel_threads_is_a_no_op_off_the_host(strict_backend):
    with strict_backend.kernel_threads(work=10**9) as n:
        assert n == 1
    with strict_backend.blas_threads():
        pass
