"""Byte order: big-endian (``'>f8'``) and little-endian inputs give the same result on every family.

The one dtype helper (``fieldconv._dtypes.result_dtype``) maps a byte-swapped
dtype to the native working dtype, so an operator's cast to the working
dtype is also its native copy.  Before, every family refused ``'>f8'`` with
"must have a numeric dtype".  Results must be bit-identical to the native
call (the same kernels run on the same values).
"""

import numpy as np
import pytest

import fieldconv as fc
from fieldconv import filters, stencil
from fieldconv._dtypes import native, result_dtype

RNG = np.random.default_rng(3)
F2 = RNG.standard_normal((12, 10))
F1 = RNG.standard_normal(40)
POS = RNG.random((30, 2))

#: name -> function of (field-like input) returning an array (first of a tuple/NamedTuple)
CASES = {
    "convolve": lambda f: fc.convolve(f, np.ones((3, 3)) / 9),
    "convolve_fft": lambda f: fc.convolve(f, np.ones((3, 3)) / 9, method="fft"),
    "correlate": lambda f: fc.correlate(f, np.arange(6.0).reshape(2, 3)),
    "convolve1d": lambda f: fc.convolve1d(f, [1.0, 2.0, 1.0], axis=0),
    "correlate1d": lambda f: fc.correlate1d(f, [1.0, -1.0]),
    "median_filter": lambda f: fc.median_filter(f, 3),
    "savgol_filter": lambda f: fc.savgol_filter(f, 5, 2, axis=-1),
    "stencil.laplacian": lambda f: stencil.laplacian(f, 0.5),
    "solve_poisson": lambda f: fc.solve_poisson(f - f.mean(), 1.0),
    "spectral_filter": lambda f: filters.spectral_filter(f, 3.0),
    "smooth_laplacian": lambda f: filters.smooth_laplacian(f, 0.5, 1.0),
    "readout": lambda f: fc.readout(f, POS, box_size=1.0),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype", ["f8", "f4"])
def test_big_endian_field_gives_the_native_result(name, dtype):
    fn = CASES[name]
    little = F2.astype("<" + dtype)
    big = F2.astype(">" + dtype)
    want = np.asarray(fn(little))
    got = np.asarray(fn(big))
    assert got.dtype == want.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, want)


def test_big_endian_positions_and_kernels():
    want = fc.paint(POS, box_size=1.0, shape=(8, 8))
    got = fc.paint(POS.astype(">f8"), box_size=1.0, shape=(8, 8), weights=np.ones(30).astype(">f8"))
    np.testing.assert_array_equal(got, want)
    w = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(fc.convolve(F2, w.astype(">f8")), fc.convolve(F2, w))
    np.testing.assert_array_equal(fc.convolve1d(F1.astype(">i4"), [1, 2]), fc.convolve1d(F1.astype("<i4"), [1, 2]))


def test_result_dtype_is_native():
    assert result_dtype(np.dtype(">f8")) == np.float64 and result_dtype(np.dtype(">f4")) == np.float32
    assert result_dtype(np.dtype(">i2")) == np.float64
    assert result_dtype(np.dtype(">c16"), allow_complex=True) == np.complex128
    assert native(np.dtype(">u4")).isnative
    with pytest.raises(TypeError, match="field must have a numeric dtype; got dtype object"):
        result_dtype(np.dtype(object))
