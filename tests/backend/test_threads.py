"""The thread policy: one scoped setting drives FFTW, the numba kernels and BLAS.

A ``threads(1)`` scope must run every operator single-threaded, and results
must not change: the compiled kernels are deterministic for any thread count
(each output is summed by one thread in a fixed order), and FFTW plans with
one or several threads compute the same transform (equal to rounding).
"""

import threading

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import fieldconv as fc
from fieldconv import kernels
from fieldconv.assign import _compiled_paint, _compiled_readout
from fieldconv.backend import current_threads, default_threads, get_backend, threads, use_backend
from fieldconv.backend import _fftw_plans
from fieldconv.convolution import _compiled as conv_compiled
from fieldconv.smoothing import _filter as sg_filter
from fieldconv.stencil import _compiled as stencil_compiled

EPS = np.finfo(np.float64).eps


def _blas_threads():
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture
def spy(monkeypatch):
    """Record numba's thread count at every compiled call of every family, and BLAS's inside savgol edges."""
    seen = {"numba": [], "blas": []}

    def wrap(module, name):
        fn = getattr(module, name)

        def recorded(*args, **kwargs):
            seen["numba"].append((name, numba.get_num_threads()))
            return fn(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)

    for module, name in ((conv_compiled, "corr1d_last"), (conv_compiled, "corr1d_strided"),
                         (conv_compiled, "corr_valid_2d"), (_compiled_paint, "paint_into"),
                         (_compiled_paint, "scan"), (_compiled_readout, "readout_kernel"),
                         (stencil_compiled, "apply_taps"), (stencil_compiled, "apply_star3d")):
        wrap(module, name)
    edges = sg_filter._interp_edges

    def blas_edges(*args):
        seen["blas"].append(_blas_threads())
        return edges(*args)

    monkeypatch.setattr(sg_filter, "_interp_edges", blas_edges)
    return seen


def _run_every_family(rng):
    """One call per family on inputs large enough for the parallel paths; results as a dict."""
    img = rng.standard_normal((300, 700))
    cube = rng.standard_normal((40, 40, 40))
    pos = rng.random((30_000, 3))
    out = {
        "correlate1d": fc.correlate1d(img, rng.standard_normal(7)),
        "correlate1d_axis0": fc.correlate1d(img, rng.standard_normal(7), axis=0),
        "convolve_direct": fc.convolve(img, rng.standard_normal((5, 4)), method="direct"),
        "convolve_fft": fc.convolve(img, rng.standard_normal((9, 9)), method="fft"),
        "stencil": fc.stencil.laplacian(cube, 0.5),
        "stencil_order4": fc.stencil.laplacian(cube, 0.5, order=4),
        "paint": fc.paint(pos, box_size=1.0, shape=(32, 32, 32), scheme="tsc"),
        "readout": fc.readout(cube, pos, box_size=1.0, scheme="cic"),
        "poisson": fc.solve_poisson(cube, 0.5),
        "savgol": fc.savgol_filter(img, 11, 3, axis=0),
    }
    return out


def test_scoped_single_thread_runs_everything_single_threaded_with_the_same_results(spy, rng):
    ref = _run_every_family(np.random.default_rng(5))
    spy["numba"].clear()
    spy["blas"].clear()
    with threads(1):
        assert current_threads() == 1 and get_backend().threads == 1
        got = _run_every_family(np.random.default_rng(5))
        assert _blas_threads() == {1}
    # every compiled call ran on one thread, and BLAS inside the savgol edges too
    names = {n for n, _ in spy["numba"]}
    assert {"corr1d_last", "corr1d_strided", "corr_valid_2d", "paint_into", "scan", "readout_kernel"} <= names
    assert {t for _, t in spy["numba"]} == {1}
    assert spy["blas"] and all(b == {1} for b in spy["blas"])
    # the FFT plans made inside the scope are one-thread plans
    keys = list(_fftw_plans.plan_cache._data)
    assert any(k[5] == 1 for k in keys)
    for name, a in ref.items():
        b = got[name]
        assert b.dtype == a.dtype
        if name in ("convolve_fft", "poisson"):
            # FFTW may pick another algorithm for another thread count: equal to FFT rounding,
            # c eps log2(N) |result|max with N = 2^20 and c = 4
            np.testing.assert_allclose(b, a, rtol=0, atol=4 * 20 * EPS * np.abs(a).max(), err_msg=name)
        else:
            np.testing.assert_array_equal(b, a, err_msg=name)  # compiled kernels: bit for bit


def test_outside_the_scope_kernels_use_the_default(spy, rng):
    spy["numba"].clear()
    fc.paint(rng.random((30_000, 2)), box_size=1.0, shape=(64, 64))
    want = min(default_threads(), numba.config.NUMBA_NUM_THREADS)
    assert {t for n, t in spy["numba"] if n == "paint_into"} == {want}


def test_environment_variable_sets_the_default(monkeypatch, spy, rng):
    monkeypatch.setenv("FIELDCONV_NUM_THREADS", "1")
    assert default_threads() == 1 and current_threads() == 1
    assert get_backend("pyfftw").threads == 1
    spy["numba"].clear()
    fc.correlate1d(rng.standard_normal((300, 700)), [1.0, 2.0, 1.0])
    assert {t for _, t in spy["numba"]} == {1}


def test_use_backend_threads_opens_a_thread_scope():
    with use_backend("numpy", threads=1) as be:
        assert be.threads == 1 and current_threads() == 1
        assert get_backend("pyfftw").threads == 1  # backends resolved by name inside follow the scope
        assert _blas_threads() == {1}
    assert current_threads() == default_threads()


def test_scopes_nest_restore_and_are_thread_local():
    seen = {}
    barrier = threading.Barrier(2)

    def worker(n):
        with threads(n):
            barrier.wait()
            seen[n] = (current_threads(), get_backend("numpy").threads)
            barrier.wait()

    ts = [threading.Thread(target=worker, args=(n,)) for n in (1, 3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {1: (1, 1), 3: (3, 3)}
    with threads(1):
        with threads(2):
            assert current_threads() == 2
        assert current_threads() == 1
    assert current_threads() == default_threads()


def test_explicit_backend_object_keeps_its_threads():
    be = get_backend("numpy", threads=2)
    with threads(1):
        assert get_backend(be).threads == 2


def test_kernel_threads_small_work_is_serial():
    be = get_backend("numpy", threads=2)
    with be.kernel_threads(work=10):
        assert numba.get_num_threads() == 1
    with be.kernel_threads(work=10**9):
        assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)


def test_threads_errors():
    with pytest.raises(ValueError, match="threads must be a positive integer; got 0"):
        with threads(0):
            pass
    with pytest.raises(TypeError, match="threads must be a positive integer; got 1.5"):
        with threads(1.5):
            pass


def test_kernel_symbols_use_the_scope_too():
    # a backend-producing call inside a scope: no hidden thread count anywhere
    with threads(1):
        H = kernels.laplacian(2).transfer_function((8, 8))
        assert get_backend().threads == 1
    assert H.shape == (8, 5)
