"""Spectra keep float32 (the package's dtype table), computed in float64 inside."""

import numpy as np
import pytest

from fieldconv.spectra import (
    SpectralAxis,
    Spectrum,
    absorbance_to_transmittance,
    atr_correction,
    convert_spectrum,
    convolve_instrument,
    correct_baseline,
    despike,
    interp,
    mask_atmospheric,
    normalize,
    resample,
    transmittance_to_absorbance,
)

X = np.linspace(4000.0, 400.0, 181)
AX = SpectralAxis(X)

CALLS = {
    "resample": lambda y: resample(y, X, np.linspace(3990.0, 410.0, 40)),
    "resample_resolution": lambda y: resample(y, X, np.linspace(3990.0, 410.0, 40), resolution=60.0),
    "convolve_instrument": lambda y: convolve_instrument(y, 20.0, 60.0),
    "correct_baseline": lambda y: correct_baseline(y, X, "rubberband")[0],
    "correct_baseline_base": lambda y: correct_baseline(y, X, "asls")[1],
    "interp": lambda y: interp([3000.0, 2000.0], X, y),
    "convert_spectrum": lambda y: convert_spectrum(AX, y, "um")[1],
    "convert_spectrum_linear": lambda y: convert_spectrum(AX, y, "THz")[1],
    "normalize": lambda y: normalize(y, "snv"),
    "despike": lambda y: despike(y),
    "atr_correction": lambda y: atr_correction(y, X),
    "mask_atmospheric": lambda y: mask_atmospheric(y, X),
    "transmittance_to_absorbance": lambda y: transmittance_to_absorbance(y),
    "absorbance_to_transmittance": lambda y: absorbance_to_transmittance(y),
    "Spectrum": lambda y: Spectrum(AX, y).y,
}


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("dtype,expected", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.float16, np.float32), (np.int64, np.float64)], ids=str)
def test_dtype_table(name, dtype, expected):
    y = (1 + np.exp(-0.5 * ((X - 1700.0) / 40.0) ** 2) * 100).astype(dtype)  # positive: a transmittance too
    out = CALLS[name](y)
    assert out.dtype == expected
    ref = CALLS[name](y.astype(np.float64))
    # computed in float64 and rounded once to the output dtype
    np.testing.assert_allclose(out, ref.astype(expected), rtol=2 * np.finfo(expected).eps, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", ["resample", "convolve_instrument", "normalize", "Spectrum", "interp"])
@pytest.mark.parametrize("dtype", [">f8", ">f4"])
def test_big_endian_data_are_accepted(name, dtype):
    # a spectrum from a big-endian file (FITS) is the same numbers: same result, native-order output
    y = (1 + np.exp(-0.5 * ((X - 1700.0) / 40.0) ** 2) * 100).astype(dtype)
    out = CALLS[name](y)
    ref = CALLS[name](y.astype(y.dtype.newbyteorder("=")))
    assert out.dtype == ref.dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("dtype", ["<U4", "datetime64[s]", object])
def test_non_numeric_spectra_are_refused(dtype):
    y = np.arange(181).astype(dtype)
    with pytest.raises(TypeError, match=r"y must have a numeric dtype"):
        resample(y, X, np.linspace(3990.0, 410.0, 40))
    with pytest.raises(TypeError, match=r"y must have a numeric dtype"):
        normalize(y)
