"""The backend switch: resolution, scopes, FFT protocol, dtypes, errors."""

import subprocess
import sys
import threading

import numpy as np
import pytest

from fieldconv.backend import (
    BACKEND_NAMES,
    Backend,
    available_backends,
    default_threads,
    get_backend,
    use_backend,
)
from fieldconv.errors import BackendUnavailableError, HostDeviceCopyError


# FFT round-off: a length-N transform has relative error ~ c * eps * log2(N)
# (Gentleman & Sande); with N <= 2^12 here and c <= 5, 60 eps bounds it.
def _fft_tol(dtype):
    return 60 * np.finfo(dtype).eps


# --------------------------------------------------------------- resolution
def test_default_is_pyfftw_where_it_imports():
    pytest.importorskip("pyfftw")
    assert get_backend().name == "pyfftw"


def test_available_backends_lists_cpu_backends():
    names = available_backends()
    assert "numpy" in names
    assert set(names) <= set(BACKEND_NAMES)


def test_resolution_order_explicit_scope_like_default(strict_backend):
    a = strict_backend.asarray(np.ones(4), copy=True)
    # like= selects the array's own backend when nothing else is said
    assert get_backend(like=a) is strict_backend
    assert get_backend(like=np.ones(3)).name == get_backend().name
    with use_backend("numpy") as scoped:
        # the scope beats the array type...
        assert get_backend(like=a) is scoped
        # ...and an explicit argument beats the scope
        assert get_backend("pyfftw").name == "pyfftw"
    assert get_backend(like=a) is strict_backend


def test_backend_object_passes_through():
    be = get_backend("numpy")
    assert get_backend(be) is be
    assert isinstance(be, Backend)


def test_instances_are_shared_per_options():
    assert get_backend("numpy", threads=1) is get_backend("numpy", threads=1)
    assert get_backend("numpy", threads=1) is not get_backend("numpy", threads=2)


def test_use_backend_nests_and_restores_on_error():
    outer = get_backend()
    with pytest.raises(RuntimeError):
        with use_backend("numpy", threads=1):
            with use_backend("pyfftw", threads=1):
                assert get_backend().name == "pyfftw"
            assert get_backend().name == "numpy"
            raise RuntimeError("boom")
    assert get_backend() is outer


def test_use_backend_is_thread_local():
    barrier = threading.Barrier(2)
    seen = {}

    def worker(name):
        with use_backend(name, threads=1):
            barrier.wait()  # both scopes are open at the same time
            seen[name] = get_backend().name
            barrier.wait()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("numpy", "pyfftw")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"numpy": "numpy", "pyfftw": "pyfftw"}
    assert get_backend().name == get_backend().name  # main thread untouched


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


# ---------------------------------------------------------- pyFFTW specifics
def test_plan_cache_second_call_does_no_planning(rng):
    from fieldconv.backend import clear_plan_cache, plan_cache_info

    be = get_backend("pyfftw", threads=1)
    clear_plan_cache()
    x = rng.standard_normal((24, 20))
    be.irfftn(be.rfftn(x), s=x.shape)
    first = plan_cache_info()
    assert first["misses"] == 2
    for _ in range(3):
        be.irfftn(be.rfftn(x), s=x.shape)
    after = plan_cache_info()
    assert after["misses"] == 2 and after["hits"] == 6


def test_plan_cache_is_bounded(rng):
    from fieldconv.backend import clear_plan_cache, plan_cache_info

    be = get_backend("pyfftw", threads=1)
    clear_plan_cache(maxsize=3)
    try:
        for n in range(4, 10):
            be.rfftn(np.ones(n))
        assert plan_cache_info()["size"] == 3
    finally:
        clear_plan_cache(maxsize=32)


def test_measure_planning_leaves_data_alone(rng):
    # FFTW_MEASURE scribbles on the arrays it plans with: plans are made on scratch buffers.
    be = get_backend("pyfftw", threads=1, planner_effort="measure")
    x = rng.standard_normal((16, 12))
    x0 = x.copy()
    X = be.rfftn(x)
    assert np.array_equal(x, x0)
    assert np.allclose(X, np.fft.rfftn(x0), atol=1e-12)


def test_concurrent_transforms_share_plans_safely(rng):
    be = get_backend("pyfftw", threads=1)
    xs = [rng.standard_normal((32, 32)) for _ in range(8)]
    refs = [np.fft.rfftn(x) for x in xs]
    results = [None] * len(xs)

    def work(i):
        for _ in range(20):
            results[i] = be.rfftn(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r, ref in zip(results, refs):
        assert np.allclose(r, ref, atol=1e-12)


def test_wisdom_round_trip(tmp_path, rng):
    from fieldconv.backend import load_wisdom, save_wisdom

    be = get_backend("pyfftw", threads=1, planner_effort="FFTW_MEASURE")
    be.rfftn(rng.standard_normal((20, 18)).astype(np.float32))
    path = tmp_path / "sub" / "wisdom.fftw"
    save_wisdom(path)
    data = path.read_bytes()
    assert data.startswith(b"# fieldconv FFTW wisdom v1\n") and b"[single]" in data
    load_wisdom(path)  # does not raise
    assert not list(path.parent.glob(".wisdom-*"))  # atomic write leaves no temporary


def test_wisdom_errors(tmp_path):
    from fieldconv.backend import load_wisdom

    with pytest.raises(FileNotFoundError):
        load_wisdom(tmp_path / "missing")
    bad = tmp_path / "bad"
    bad.write_bytes(b"not wisdom")
    with pytest.raises(ValueError, match="path must be a wisdom file"):
        load_wisdom(bad)
    rejected = tmp_path / "rejected"
    blob = b"(fftw-3.3.10 fftw_wisdom #xdeadbeef garbage"
    rejected.write_bytes(b"# fieldconv FFTW wisdom v1\n[double] %d\n" % len(blob) + blob + b"\n[single] 0\n\n[longdouble] 0\n\n")
    with pytest.raises(ValueError, match="FFTW rejected the double wisdom"):
        load_wisdom(rejected)


# ---------------------------------------------------------------- errors
def test_unknown_backend():
    with pytest.raises(BackendUnavailableError, match="backend must be one of .*got 'tpu'"):
        get_backend("tpu")


def test_cupy_unavailable_names_install_command():
    from fieldconv.backend._cupy import cupy_status

    if cupy_status()[0]:
        pytest.skip("CuPy is usable here")
    with pytest.raises(BackendUnavailableError, match=r"backend 'cupy' is unavailable.*pip install fieldconv\[gpu\]"):
        get_backend("cupy")
    with pytest.raises(ImportError):  # BackendUnavailableError is an ImportError too
        with use_backend("cupy"):
            pass


def test_bad_options():
    with pytest.raises(ValueError, match="threads must be a positive integer; got 0"):
        get_backend("numpy", threads=0)
    with pytest.raises(ValueError, match="planner_effort must be one of"):
        get_backend("pyfftw", planner_effort="FFTW_QUICKLY")
    with pytest.raises(TypeError, match="backend options need an explicit backend name"):
        get_backend(threads=2)
    with pytest.raises(TypeError, match="backend must be a backend name"):
        get_backend(3)


def test_bad_thread_environment(monkeypatch):
    monkeypatch.setenv("FIELDCONV_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="FIELDCONV_NUM_THREADS must be a positive integer; got 'two'"):
        default_threads()
    monkeypatch.setenv("FIELDCONV_NUM_THREADS", "3")
    assert default_threads() == 3


def test_bad_norm(backend):
    x = backend.asarray(np.ones(4), copy=True)
    with pytest.raises(ValueError, match="norm must be one of .*got 'unitary'"):
        backend.fftn(x, norm="unitary")


def test_rfftn_rejects_complex(backend):
    x = backend.asarray(np.ones(4, dtype=complex), copy=True)
    with pytest.raises(TypeError, match="rfftn needs a real input; got dtype"):
        backend.rfftn(x)


def test_no_hidden_host_device_copies(strict_backend):
    dev = strict_backend.asarray(np.ones(4), copy=True)
    with pytest.raises(HostDeviceCopyError, match="does not copy device arrays to the host implicitly"):
        get_backend("numpy").asarray(dev)
    with pytest.raises(HostDeviceCopyError, match="does not copy between devices implicitly"):
        strict_backend.asarray(np.ones(4))
    # explicit copies are fine both ways
    assert np.array_equal(get_backend("numpy").asarray(dev, copy=True), np.ones(4))
    assert np.array_equal(strict_backend.to_numpy(dev), np.ones(4))


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


# ---------------------------------------------------------------- package
def test_import_is_light():
    code = (
        "import sys, fieldconv; "
        "heavy = [m for m in ('numba', 'cupy', 'pyfftw', 'scipy', 'astropy', 'h5py') if m in sys.modules]; "
        "print(fieldconv.__version__); assert not heavy, heavy"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()


def test_public_names_resolve():
    import fieldconv

    for name in fieldconv.__all__:
        assert getattr(fieldconv, name) is not None
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fieldconv.nope
