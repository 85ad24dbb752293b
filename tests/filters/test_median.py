"""fieldconv.filters.median_filter: scipy.ndimage agreement, non-linearity, backends."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv.filters import median_filter


def test_median_filter_matches_scipy_and_is_not_linear(rng):
    x = rng.standard_normal((12, 10)).astype(np.float32)
    got = median_filter(x, 3, mode="mirror")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ndi.median_filter(x, size=3, mode="mirror"))
    # superposition fails: median(a + b) != median(a) + median(b)
    a = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    assert not np.allclose(median_filter(a + b, 3), median_filter(a, 3) + median_filter(b, 3))
    # despiking: a single spike disappears
    spike = np.zeros(9)
    spike[4] = 100.0
    np.testing.assert_array_equal(median_filter(spike, 3), np.zeros(9))


def test_median_filter_errors(strict_backend):
    with pytest.raises(ValueError, match="size must be an int or have one entry per axis"):
        median_filter(np.ones((4, 4)), (3, 3, 3))
    with pytest.raises(ValueError, match="size must be >= 1"):
        median_filter(np.ones(4), 0)
    with pytest.raises(NotImplementedError, match="median_filter is not available on the 'array_api' backend"):
        median_filter(strict_backend.asarray(np.ones(4), copy=True), 3)


