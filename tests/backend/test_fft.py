"""The FFT protocol of every backend against scipy.fft and NumPy: dtypes, norms, axes, out=, wavenumbers."""

import numpy as np
import pytest

from fieldconv.backend import get_backend
from fieldconv.errors import HostDeviceCopyError


# FFT round-off: a length-N transform has relative error ~ c * eps * log2(N)
# (Gentleman & Sande); with N <= 2^12 here and c <= 5, 60 eps bounds it.
def _fft_tol(dtype):
    return 60 * np.finfo(dtype).eps



# -------------------------------------------------------------- FFT protocol
SHAPES = [pytest.param((64,), id="1d"), pytest.param((12, 10), id="2d"), pytest.param((8, 6, 5), id="3d-odd")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", SHAPES)
def test_real_round_trip_and_reference(backend, rng, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    X = backend.rfftn(backend.asarray(x, copy=True))
    y = backend.irfftn(X, s=shape)
    Xn, yn = backend.to_numpy(X), backend.to_numpy(y)
    assert Xn.dtype == (np.complex64 if dtype == np.float32 else np.complex128)
    assert yn.dtype == dtype
    ref = np.fft.rfftn(x.astype(np.float64))
    scale = np.abs(ref).max()
    assert np.abs(Xn - ref).max() <= _fft_tol(dtype) * scale
    assert np.abs(yn - x).max() <= _fft_tol(dtype) * np.abs(x).max()


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_norms_match_scipy(backend, rng, norm):
    import scipy.fft

    x = rng.standard_normal((6, 8)) + 1j * rng.standard_normal((6, 8))
    X = backend.to_numpy(backend.fftn(backend.asarray(x, copy=True), norm=norm))
    assert np.allclose(X, scipy.fft.fftn(x, norm=norm), rtol=0, atol=_fft_tol(np.float64) * 48)
    y = backend.to_numpy(backend.ifftn(backend.asarray(X, copy=True), norm=norm))
    assert np.allclose(y, x, rtol=0, atol=_fft_tol(np.float64) * 8)
    r = backend.to_numpy(backend.irfftn(backend.rfftn(backend.asarray(x.real, copy=True), norm=norm), s=(6, 8), norm=norm))
    assert np.allclose(r, x.real, rtol=0, atol=_fft_tol(np.float64) * 8)


def test_axes_and_s_follow_scipy(cpu_backend, rng):
    import scipy.fft

    x = rng.standard_normal((5, 6, 7))
    for axes, s in [((0,), None), ((1, 2), None), ((0, 2), (8, 9)), (None, (4, 4))]:
        got = cpu_backend.rfftn(x, s=s, axes=axes)
        ref = scipy.fft.rfftn(x, s=s, axes=axes)
        assert got.shape == ref.shape
        assert np.allclose(got, ref, rtol=0, atol=1e-12)
        back = cpu_backend.irfftn(ref, s=s, axes=axes)
        assert np.allclose(back, scipy.fft.irfftn(ref, s=s, axes=axes), rtol=0, atol=1e-12)


def test_inputs_are_never_overwritten(cpu_backend, rng):
    x = rng.standard_normal((16, 16, 9))
    x0 = x.copy()
    X = cpu_backend.rfftn(x)
    X0 = X.copy()
    cpu_backend.irfftn(X, s=x.shape)  # c2r destroys its input inside FFTW
    assert np.array_equal(x, x0)
    assert np.array_equal(X, X0)


def test_out_argument_is_used(cpu_backend, rng):
    x = rng.standard_normal((8, 8)).astype(np.float32)
    out = cpu_backend.empty((8, 5), np.complex64)
    res = cpu_backend.rfftn(x, out=out)
    assert res is out
    assert np.allclose(out, np.fft.rfftn(x), atol=1e-5)
    back = cpu_backend.empty((8, 8), np.float32)
    assert cpu_backend.irfftn(out, s=(8, 8), out=back, overwrite_x=True) is back
    assert np.allclose(back, x, atol=1e-5)


def test_aligned_buffers(cpu_backend):
    for shape in [(3,), (5, 7), (4, 4, 3)]:
        a = cpu_backend.empty(shape, np.complex128)
        assert a.ctypes.data % 64 == 0 and a.flags.c_contiguous and a.shape == shape
        z = cpu_backend.zeros(shape, np.float32)
        assert z.ctypes.data % 64 == 0 and not z.any() and z.dtype == np.float32


@pytest.mark.parametrize("n", [7, 8])
def test_wavenumbers(backend, n):
    h = 0.25
    k = backend.to_numpy(backend.k(n, h))
    f = backend.to_numpy(backend.freq(n, h))
    assert np.allclose(f, np.fft.fftfreq(n, h), rtol=1e-15, atol=0)
    assert np.allclose(k, 2 * np.pi * np.fft.fftfreq(n, h), rtol=1e-15, atol=0)
    kr = backend.to_numpy(backend.k(n, h, rfft=True))
    assert np.allclose(kr, 2 * np.pi * np.fft.rfftfreq(n, h), rtol=1e-15, atol=0)
    kx, ky = (backend.to_numpy(a) for a in backend.kgrid((n, 6), (h, 1.0)))
    assert kx.shape == (n, 1) and ky.shape == (1, 4)


def test_float32_wavenumbers(backend):
    k = backend.k(8, 1.0, dtype=np.float32)
    assert backend.to_numpy(k).dtype == np.float32



def test_bad_norm(backend):
    x = backend.asarray(np.ones(4), copy=True)
    with pytest.raises(ValueError, match="norm must be one of .*got 'unitary'"):
        backend.fftn(x, norm="unitary")


def test_rfftn_rejects_complex(backend):
    x = backend.asarray(np.ones(4, dtype=complex), copy=True)
    with pytest.raises(TypeError, match="rfftn needs a real input; got dtype"):
        backend.rfftn(x)



# ---------------------------------------------------------------- GPU
@pytest.mark.gpu
def test_cupy_round_trip_float32():
    import cupy

    be = get_backend("cupy")
    x = cupy.random.standard_normal((32, 32, 32), dtype=cupy.float32)
    y = be.irfftn(be.rfftn(x), s=x.shape)
    assert y.dtype == cupy.float32
    assert float(cupy.abs(y - x).max()) < 60 * np.finfo(np.float32).eps * float(cupy.abs(x).max())
    with pytest.raises(HostDeviceCopyError):
        be.asarray(np.ones(3))


