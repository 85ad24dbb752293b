"""pyFFTW plans: cached, bounded in bytes, planned outside the lookup lock, measured on scratch, wisdom."""

import threading
import time

import numpy as np
import pytest

from fieldconv.backend import cache_info, clear_caches, get_backend, set_cache_limit
from fieldconv.backend import _fftw_plans


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
    old = plan_cache_info()["maxsize"]
    clear_plan_cache(maxsize=3)
    try:
        for n in range(4, 10):
            be.rfftn(np.ones(n))
        assert plan_cache_info()["size"] == 3
    finally:
        clear_plan_cache(maxsize=old)


def test_plan_cache_is_bounded_in_bytes():
    be = get_backend("pyfftw", threads=1)
    old = cache_info()["fft_plans"]["max_bytes"]
    clear_caches("fft_plans")
    try:
        # a (64, 64) float64 rfft plan holds 64*64*8 + 64*33*16 = 66 560 bytes of scratch
        set_cache_limit("fft_plans", 150_000)
        for n in (60, 62, 64, 66):
            be.rfftn(np.ones((n, n)))
        info = cache_info()["fft_plans"]
        assert info["entries"] == 2 and info["nbytes"] <= 150_000
        # one plan larger than the bound is still kept: it is the one in use
        be.rfftn(np.ones((256, 256)))
        info = cache_info()["fft_plans"]
        assert info["entries"] == 1 and info["nbytes"] == 256 * 256 * 8 + 256 * 129 * 16
    finally:
        set_cache_limit("fft_plans", old)
        clear_caches("fft_plans")


def test_planning_runs_outside_the_lookup_lock(monkeypatch, rng):
    """A slow planning (an FFTW_MEASURE plan of a large grid) does not block lookups of planned shapes,
    and plannings never overlap (FFTW's planner is not thread-safe)."""
    be = get_backend("pyfftw", threads=1)
    clear_caches("fft_plans")
    planned = rng.standard_normal((16, 16))
    be.rfftn(planned)  # cached now
    real_plan = _fftw_plans.Plan
    inside, overlap, started = [0], [False], threading.Event()
    release = threading.Event()

    def slow_plan(*args, **kwargs):
        inside[0] += 1
        overlap[0] |= inside[0] > 1
        started.set()
        release.wait(10)
        try:
            return real_plan(*args, **kwargs)
        finally:
            inside[0] -= 1

    monkeypatch.setattr(_fftw_plans, "Plan", slow_plan)
    planners = [threading.Thread(target=be.rfftn, args=(np.ones(n),)) for n in (100, 101)]
    for t in planners:
        t.start()
    assert started.wait(10)
    t0 = time.perf_counter()
    X = be.rfftn(planned)  # a hit: must not wait for the planner
    assert time.perf_counter() - t0 < 5.0
    assert np.allclose(X, np.fft.rfftn(planned), atol=1e-12)
    release.set()
    for t in planners:
        t.join(20)
    assert not overlap[0]


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
    assert data.startswith(b"# fieldconv FFTW wisdom v2\nsha256 ") and b"[single]" in data
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
    from fieldconv.backend import _wisdom

    rejected.write_bytes(_wisdom._encode([blob, b"", b""]))
    with pytest.raises(ValueError, match="FFTW rejected the double wisdom"):
        load_wisdom(rejected)


