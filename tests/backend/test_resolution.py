"""The backend switch: resolution order, scopes, shared instances, options and errors."""

import threading

import numpy as np
import pytest

from fieldconv.backend import (
    BACKEND_NAMES,
    Backend,
    available_backends,
    backend_status,
    default_threads,
    get_backend,
    use_backend,
)
from fieldconv.errors import BackendUnavailableError, HostDeviceCopyError


# --------------------------------------------------------------- resolution
def test_default_is_pyfftw_where_it_imports():
    import pyfftw  # noqa: F401  (a core dependency: its absence is a failure here)

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



def test_instances_are_keyed_by_value_not_identity(strict_backend):
    """Equal devices (new objects each time) give the same backend: the cache does not grow."""
    import array_api_strict as xp

    from fieldconv.backend._resolution import _instances

    a = get_backend("array_api", xp=xp, device=xp.Device("device1"))
    before = len(_instances)
    for _ in range(5):
        assert get_backend("array_api", xp=xp, device=xp.Device("device1")) is a
    assert len(_instances) == before
    assert a is strict_backend


def test_array_selects_its_own_device():
    import array_api_strict as xp

    x = xp.asarray([1.0, 2.0], device=xp.Device("device2"))
    be = get_backend(like=x)
    assert be.device == xp.Device("device2")
    assert be is not get_backend(like=xp.asarray([1.0], device=xp.Device("device1")))


# ---------------------------------------------------------------- errors
def test_unknown_backend():
    with pytest.raises(BackendUnavailableError, match="backend must be one of .*got 'tpu'"):
        get_backend("tpu")


def test_cupy_unavailable_names_install_command():
    if backend_status("cupy")[0]:
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


def test_threads_must_be_integers():
    with pytest.raises(TypeError, match="threads must be a positive integer; got 2.7"):
        get_backend("numpy", threads=2.7)


def test_no_hidden_host_device_copies(strict_backend):
    dev = strict_backend.asarray(np.ones(4), copy=True)
    with pytest.raises(HostDeviceCopyError, match="does not copy device arrays to the host implicitly"):
        get_backend("numpy").asarray(dev)
    with pytest.raises(HostDeviceCopyError, match="does not copy between devices implicitly"):
        strict_backend.asarray(np.ones(4))
    # explicit copies are fine both ways
    assert np.array_equal(get_backend("numpy").asarray(dev, copy=True), np.ones(4))
    assert np.array_equal(strict_backend.to_numpy(dev), np.ones(4))




@pytest.mark.gpu
def test_cupy_array_selects_its_own_device():
    import cupy

    with cupy.cuda.Device(cupy.cuda.runtime.getDeviceCount() - 1):
        x = cupy.ones(4)
    be = get_backend(like=x)
    assert be.device.id == x.device.id
    assert get_backend("cupy", device=x.device) is be  # keyed by value: a Device object or its id
