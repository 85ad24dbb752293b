"""Bad input to the spectral operators and symbols: errors naming the parameter (fuzz findings F15, F19, F20)."""

import numpy as np
import pytest

from fieldconv.stencil import laplacian_symbol, spectral_gradient, spectral_laplacian


@pytest.mark.parametrize("op", [spectral_laplacian, spectral_gradient], ids=["laplacian", "gradient"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_field_is_refused(op, bad, backend):
    f = np.ones((8, 8))
    f[3, 3] = bad
    with pytest.raises(ValueError, match="field must be finite for a spectral derivative.*got 1 non-finite"):
        op(backend.asarray(f, copy=True), backend=backend)


@pytest.mark.parametrize("op", [spectral_laplacian, spectral_gradient], ids=["laplacian", "gradient"])
@pytest.mark.parametrize("shape", [(0, 4), (4, 0), (0,)], ids=["0x4", "4x0", "0"])
def test_empty_field_is_refused(op, shape):
    with pytest.raises(ValueError, match=r"field must not be empty; got shape \("):
        op(np.ones(shape))


@pytest.mark.parametrize(
    "shape, exc, match",
    [
        ((), ValueError, "shape must have 1-3 axes"),
        ((4, 4, 4, 4), ValueError, "shape must have 1-3 axes"),
        ((-1,), ValueError, "shape must be >= 1; got -1"),
        ((0,), ValueError, "shape must be >= 1; got 0"),
        ((2.5,), TypeError, "shape must be an integer; got 2.5"),
        (4, TypeError, "shape must be a tuple of 1-3 ints; got 4"),
    ],
    ids=["empty", "4-D", "negative", "zero", "float", "int"],
)
def test_laplacian_symbol_checks_shape(shape, exc, match):
    with pytest.raises(exc, match=match):
        laplacian_symbol(shape, 1.0)


def test_laplacian_symbol_takes_numpy_ints():
    np.testing.assert_array_equal(laplacian_symbol((np.int64(4),), 1.0), [0.0, -2.0, -4.0])
