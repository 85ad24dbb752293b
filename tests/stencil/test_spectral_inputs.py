"""Bad input to the spectral operators and symbols: clear errors, never a field of NaN."""

import numpy as np
import pytest

from fieldconv.filters import spectral_filter
from fieldconv.stencil import laplacian_symbol, spectral_gradient, spectral_laplacian

SPECTRAL = [
    pytest.param(spectral_laplacian, id="spectral_laplacian"),
    pytest.param(spectral_gradient, id="spectral_gradient"),
    pytest.param(lambda f, **kw: spectral_filter(f, 2.0, **kw), id="spectral_filter"),
    pytest.param(lambda f, **kw: spectral_filter(f, 2.0, axes=1, **kw), id="spectral_filter-axis1"),
]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("op", SPECTRAL)
def test_nonfinite_field_is_an_error(op, bad, cpu_backend):
    # one non-finite sample anywhere (also on a line the single-axis filter does not start at)
    f = np.ones((8, 8))
    f[5, 3] = bad
    with pytest.raises(ValueError, match=r"field must be finite; it contains 1 NaN/inf"):
        op(f, backend=cpu_backend)


@pytest.mark.parametrize("op", SPECTRAL)
def test_nonfinite_field_is_an_error_generic_path(op, strict_backend):
    f = np.ones((8, 8))
    f[2, 6] = np.nan
    with pytest.raises(ValueError, match="field must be finite"):
        op(strict_backend.asarray(f, copy=True), backend=strict_backend)


@pytest.mark.parametrize("op", SPECTRAL)
def test_float32_overflow_in_the_transform_is_an_error(op):
    # every sample finite, but the sum (the zero mode) is beyond float32's range: 16 * 3e38 > 3.4e38
    f = np.full((4, 4), 3e38, dtype=np.float32)
    with pytest.raises(ValueError, match="field overflows float32 in the Fourier transform"):
        op(f, backend="numpy")


@pytest.mark.parametrize("op", SPECTRAL)
@pytest.mark.parametrize("shape", [(0, 4), (4, 0)])
def test_empty_field_is_an_error(op, shape):
    with pytest.raises(ValueError, match=r"field must not be empty; got shape \(\d, \d\)"):
        op(np.ones(shape), backend="numpy")


@pytest.mark.parametrize("op", SPECTRAL)
def test_finite_field_still_transforms(op):
    # the check must not reject the fields the operators are for: a band-limited periodic field
    x = 2 * np.pi * np.arange(8) / 8
    f = np.sin(x)[:, None] * np.cos(2 * x)[None, :]
    out = op(f, backend="numpy")
    assert all(np.all(np.isfinite(o)) for o in (out if isinstance(out, tuple) else (out,)))


@pytest.mark.parametrize(
    ("shape", "exc", "match"),
    [
        ((), ValueError, r"shape must have 1, 2 or 3 axes; got \(\)"),
        ((4, 4, 4, 4), ValueError, "shape must have 1, 2 or 3 axes"),
        ((-1,), ValueError, r"shape\[0\] must be >= 1; got -1"),
        ((4, 0), ValueError, r"shape\[1\] must be >= 1; got 0"),
        ((2.5,), TypeError, r"shape\[0\] must be an integer; got 2.5"),
        (4, TypeError, "shape must be a sequence of 1-3 positive ints; got 4"),
        ("44", TypeError, "shape must be a sequence"),
    ],
    ids=["empty", "4d", "negative", "zero", "float", "int", "str"],
)
def test_laplacian_symbol_checks_shape(shape, exc, match):
    with pytest.raises(exc, match=match):
        laplacian_symbol(shape, 1.0)


def test_laplacian_symbol_accepts_numpy_ints():
    lam = laplacian_symbol((np.int64(4), np.int32(6)), 1.0)
    assert lam.shape == (4, 4) and lam.dtype == np.float64


@pytest.mark.parametrize("op", SPECTRAL[:2])
def test_empty_1d_field_is_an_error(op):
    # a 1-D empty field (branch first's case): same message, the 1-D shape written as Python does
    with pytest.raises(ValueError, match=r"field must not be empty; got shape \(0,\)"):
        op(np.ones((0,)), backend="numpy")
