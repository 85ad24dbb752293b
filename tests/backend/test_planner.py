"""The "auto" FFTW planner policy: scipy.fft or wisdom first, measured in the background when reused,
never measured on large primes, never a caller waiting for the planner, wisdom kept per user."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

pyfftw = pytest.importorskip("pyfftw")

from fieldconv.backend import clear_caches, fft_planner_info, get_backend, plan_fft  # noqa: E402
from fieldconv.backend import _fftw_plans, _planner, _wisdom  # noqa: E402
from fieldconv.errors import FieldconvWarning  # noqa: E402


@pytest.fixture
def auto(monkeypatch, tmp_path):
    """An auto-policy backend with a fresh policy state, empty FFTW wisdom and a private wisdom cache."""
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", "1")
    monkeypatch.delenv("FIELDCONV_FFTW_WISDOM", raising=False)
    assert _planner.wait_idle(120)
    with _fftw_plans._planner_lock:
        pyfftw.forget_wisdom()
        _fftw_plans.have_wisdom[0] = False
    monkeypatch.setitem(_wisdom._user_cache_state, "loaded", False)
    monkeypatch.setitem(_wisdom._user_cache_state, "imported", False)
    _planner._reset()
    clear_caches("fft_plans")
    yield get_backend("pyfftw", threads=1, planner_effort="auto")
    assert _planner.wait_idle(120)
    _planner._reset()
    clear_caches("fft_plans")


def _plan_keys():
    with _fftw_plans.plan_cache._lock:
        return list(_fftw_plans.plan_cache._data)


def _status(key):
    return {tuple(t["key"]): t for t in _planner.planner_status()["transforms"]}.get(key)


def _key(shape, dtype=np.float64):
    axes = tuple(range(len(shape)))
    out = shape[:-1] + (shape[-1] // 2 + 1,)
    return ("rfftn", tuple(shape), np.dtype(dtype), axes, out, 1)


def test_default_policy_is_auto(monkeypatch):
    monkeypatch.delenv("FIELDCONV_FFTW_PLANNER", raising=False)
    assert _fftw_plans.normalise_effort(None) == "auto"
    assert _fftw_plans.normalise_effort("AUTO") == "auto"
    monkeypatch.setenv("FIELDCONV_FFTW_PLANNER", "measure")
    assert _fftw_plans.normalise_effort(None) == "FFTW_MEASURE"
    with pytest.raises(ValueError, match="planner_effort must be one of 'auto', 'FFTW_ESTIMATE'"):
        _fftw_plans.normalise_effort("quick")


def test_first_calls_run_scipy_and_plan_nothing(auto, rng):
    x = rng.standard_normal((18, 22))
    X = auto.rfftn(x)
    # scipy.fft and numpy.fft (both pocketfft) agree to rounding: ~eps * log2(n) * |x|_1 scale
    np.testing.assert_allclose(X, np.fft.rfftn(x), rtol=0, atol=1e-12)
    assert X.dtype == np.complex128
    assert auto.rfftn(x.astype(np.float32)).dtype == np.complex64
    assert not any(k[-1] == "auto" for k in _plan_keys())
    assert _status(_key((18, 22)))["status"] == "new"


def test_reused_transform_is_measured_in_background_and_swapped_in(auto, rng, monkeypatch):
    monkeypatch.setattr(_planner, "RENT", 0.0)  # measure as soon as reused
    x = rng.standard_normal((24, 20))
    ref = np.fft.rfftn(x)
    results = [auto.rfftn(x) for _ in range(2)]  # the second call queues the measurement
    assert _planner.wait_idle(120)
    st = _status(_key((24, 20)))
    assert st["status"] == "measured" and st["plan_seconds"] is not None
    plan = _fftw_plans.plan_cache.get(_key((24, 20)) + ("auto",))
    assert plan is not None and plan.effort == "FFTW_MEASURE"
    results.append(auto.rfftn(x))  # through the measured plan
    for r in results:
        np.testing.assert_allclose(r, ref, rtol=0, atol=1e-12)  # FFT rounding, c * eps * log2(n) * sum|x|
    # the wisdom went to the per-user cache file, which loads cleanly
    path = _wisdom.user_cache_path()
    assert os.path.exists(path)
    _wisdom.load_wisdom(path)


def test_measuring_waits_for_enough_use(auto, rng):
    # a tiny transform is not worth measuring after two calls: its planning costs ~1e4 calls
    x = rng.standard_normal(30)
    for _ in range(3):
        auto.rfftn(x)
    assert _status(_key((30,)))["status"] == "new"
    assert _planner.predicted_planning_seconds(_key((30,)), 1e-6) > 1.0


@pytest.mark.parametrize("shape", [(2 * 101,), (4099, 2), (211, 4)], ids=["202", "4099x2", "211x4"])
def test_large_prime_factors_are_never_measured(auto, rng, monkeypatch, shape):
    monkeypatch.setattr(_planner, "RENT", 0.0)
    x = rng.standard_normal(shape)
    for _ in range(4):
        X = auto.rfftn(x)
    np.testing.assert_allclose(X, np.fft.rfftn(x), rtol=0, atol=1e-11)
    st = _status(_key(shape))
    assert st["status"] == "refused" and "prime factor" in st["reason"]
    assert not _planner.planner_status()["planner_busy"]


def test_prime_rule_and_prediction():
    assert _planner._largest_prime_factor(1_000_003) == 1_000_003
    assert _planner._largest_prime_factor(2**20) == 2
    assert _planner._largest_prime_factor(3 * 5 * 7 * 97) == 97
    for shape in [(1_000_003,), (4099, 4111), (211, 223, 227)]:
        ok, why = _planner.measurable(_key(shape))
        assert not ok and "prime factor" in why
    for shape in [(128, 128, 128), (105, 105, 105), (2**20,)]:
        assert _planner.measurable(_key(shape)) == (True, "")
    # planning time grows with the transform time and with prime factors above 13
    k = _key((64, 64, 64))
    assert _planner.predicted_planning_seconds(k, 0.1) > _planner.predicted_planning_seconds(k, 0.001)
    assert _planner.predicted_planning_seconds(_key((97, 97)), 0.001) > _planner.predicted_planning_seconds(
        _key((96, 96)), 0.001)


def test_plans_too_large_for_memory_are_refused(auto, monkeypatch):
    monkeypatch.setattr(_planner, "_physical_memory", lambda: 1000)
    ok, why = _planner.measurable(_key((64, 64)))
    assert not ok and "memory" in why


def test_no_wisdom_lookup_before_any_wisdom_exists(auto, rng, monkeypatch):
    calls = []
    real = _planner.make_plan
    monkeypatch.setattr(_planner, "make_plan", lambda *a, **k: calls.append(a) or real(*a, **k))
    auto.rfftn(rng.standard_normal((14, 6)))
    assert calls == []  # a cold process allocates no plan buffers on a first call
    plan_fft((20, 6), kinds=["rfftn"], threads=1)  # now FFTW holds measured wisdom
    clear_caches("fft_plans")  # the plan goes, FFTW's wisdom stays
    calls.clear()
    auto.rfftn(rng.standard_normal((20, 6)))
    assert len(calls) == 1 and calls[0][1] == "FFTW_MEASURE"


def test_a_caller_never_waits_for_the_planner(auto, rng):
    x = rng.standard_normal((26, 14))
    with _fftw_plans._planner_lock:  # as if the background planner were measuring for minutes
        done = []
        t = threading.Thread(target=lambda: done.append(auto.rfftn(x)))
        t.start()
        t.join(30)
        assert done, "the call waited for the planner"
    np.testing.assert_allclose(done[0], np.fft.rfftn(x), rtol=0, atol=1e-12)
    assert not _status(_key((26, 14)))["reason"]  # the wisdom lookup is retried on the next call


def test_concurrent_callers_while_the_plan_is_swapped(auto, rng, monkeypatch):
    monkeypatch.setattr(_planner, "RENT", 0.0)
    xs = [rng.standard_normal((32, 30)) for _ in range(4)]
    refs = [np.fft.rfftn(x) for x in xs]
    errors = []

    def work(i):
        for _ in range(30):
            err = np.abs(auto.rfftn(xs[i]) - refs[i]).max()
            if err > 1e-12:
                errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert _planner.wait_idle(120)
    assert not errors
    assert _status(_key((32, 30)))["status"] == "measured"


def test_fixed_effort_overrides_the_policy(auto, rng):
    be = get_backend("pyfftw", threads=1, planner_effort="estimate")
    be.rfftn(rng.standard_normal((10, 12)))
    assert any(k[-1] == "FFTW_ESTIMATE" for k in _plan_keys())
    assert _status(_key((10, 12))) is None  # the auto policy was not consulted


def test_fixed_measure_merges_into_the_user_cache(auto, rng):
    be = get_backend("pyfftw", threads=1, planner_effort="measure")
    be.rfftn(rng.standard_normal((12, 14)))
    assert os.path.exists(_wisdom.user_cache_path())


def test_cache_off_reads_and_writes_nothing(auto, rng, monkeypatch):
    monkeypatch.setenv("FIELDCONV_FFTW_WISDOM_CACHE", "0")
    monkeypatch.setattr(_planner, "RENT", 0.0)
    x = rng.standard_normal((28, 12))
    auto.rfftn(x)
    auto.rfftn(x)
    assert _planner.wait_idle(120)
    assert _status(_key((28, 12)))["status"] == "measured"
    assert not os.path.exists(_wisdom.user_cache_path())
    assert fft_planner_info()["wisdom_cache"]["enabled"] is False


def test_corrupt_user_cache_is_ignored_with_a_warning(auto, rng):
    path = _wisdom.user_cache_path()
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as fh:
        fh.write(b"# fieldconv FFTW wisdom v2\nsha256 0\ngarbage")
    x = rng.standard_normal((22, 10))
    with pytest.warns(FieldconvWarning, match="ignoring the FFTW wisdom cache .*" + os.path.basename(path)):
        X = auto.rfftn(x)
    np.testing.assert_allclose(X, np.fft.rfftn(x), rtol=0, atol=1e-12)


def test_unwritable_cache_folder_warns_once_and_computes(auto, rng, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("FIELDCONV_CACHE_DIR", str(blocker / "sub"))
    with pytest.warns(FieldconvWarning, match="cannot write the FFTW wisdom cache"):
        res = plan_fft((20, 8), threads=1)
    assert [r["status"] for r in res] == ["measured", "measured"]


def test_plan_fft_then_the_backend_uses_the_plan(auto, rng):
    res = plan_fft((16, 18), threads=1)
    assert [(r["kind"], r["status"]) for r in res] == [("rfftn", "measured"), ("irfftn", "measured")]
    x = rng.standard_normal((16, 18))
    hits = _fftw_plans.plan_cache.info()["hits"]
    y = auto.irfftn(auto.rfftn(x), s=x.shape)
    assert _fftw_plans.plan_cache.info()["hits"] == hits + 2
    np.testing.assert_allclose(y, x, rtol=0, atol=1e-13)  # round trip: ~eps * log2(n) * max|x|
    assert plan_fft((16, 18), threads=1)[0]["status"] == "from wisdom"
    assert plan_fft((4099,), threads=1)[0]["status"].startswith("refused: prime factor 4099")
    assert [r["kind"] for r in plan_fft((8, 8), dtype="complex64", threads=1)] == ["fftn", "ifftn"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"shape": (0, 4)}, "shape must be a sequence of positive ints"),
        ({"shape": "ab"}, "shape must be a sequence of positive ints"),
        ({"shape": (4,), "dtype": "int32"}, "dtype must be one of"),
        ({"shape": (4,), "dtype": "nonsense"}, "dtype must be one of"),
        ({"shape": (4,), "kinds": ["fftn"]}, "kinds must be a non-empty subset"),
        ({"shape": (4,), "effort": "FFTW_ESTIMATE"}, "effort must be one of"),
        ({"shape": (4,), "effort": "fast"}, "planner_effort must be one of"),
    ],
    ids=["zero", "letters", "int", "nonsense-dtype", "kind", "estimate", "unknown-effort"],
)
def test_plan_fft_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plan_fft(**kwargs)


_CHILD = """
import json, os, sys, time
import numpy as np
from fieldconv.backend import get_backend, plan_fft, _planner
shape = tuple(json.loads(sys.argv[1])); mode = sys.argv[2]
if mode == "plan":
    print(json.dumps([r["status"] for r in plan_fft(shape, threads=1)]))
else:
    get_backend("pyfftw", threads=1, planner_effort="auto").rfftn(np.ones(shape))
    st = [t for t in _planner.planner_status()["transforms"] if t["key"][1] == shape]
    print(json.dumps([st[0]["status"], st[0]["reason"]]))
"""


def _child(env, shape, mode):
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(shape), mode], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_wisdom_cache_serves_fresh_processes_and_concurrent_writers_merge(tmp_path):
    env = dict(os.environ, FIELDCONV_CACHE_DIR=str(tmp_path / "c"), FIELDCONV_FFTW_WISDOM_CACHE="1")
    env.pop("FIELDCONV_FFTW_PLANNER", None)
    # two processes measure different shapes at the same time into one cache file
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, json.dumps(s), "plan"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in ([20, 24], [18, 30])]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1]) == ["measured", "measured"]
    # a fresh process gets both from the cache on its first call: no scipy.fft, no measuring
    assert _child(env, [20, 24], "use") == ["measured", "from wisdom"]
    assert _child(env, [18, 30], "use") == ["measured", "from wisdom"]
    assert not [n for n in os.listdir(tmp_path / "c") if n.startswith(".fieldconv-tmp-")]


def test_a_measured_plan_slower_than_scipy_is_not_swapped_in(auto, rng, monkeypatch):
    monkeypatch.setattr(_planner, "RENT", 0.0)
    monkeypatch.setattr(_planner, "_paired_seconds", lambda plan, key: (2.0, 1.0))
    x = rng.standard_normal((16, 22))
    auto.rfftn(x)
    auto.rfftn(x)
    assert _planner.wait_idle(120)
    st = _status(_key((16, 22)))
    assert st["status"] == "refused" and "slower than scipy.fft" in st["reason"]
    assert _fftw_plans.plan_cache.get(_key((16, 22)) + ("auto",)) is None
    np.testing.assert_allclose(auto.rfftn(x), np.fft.rfftn(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape, dtype, kind", [((16, 10), np.float32, "rfftn"), ((6, 10), np.complex128, "fftn"),
                                                ((9, 6), np.complex64, "irfftn")], ids=["rfft32", "fft64", "irfft32"])
def test_paired_timing_runs_both_transforms(shape, dtype, kind):
    axes = (0, 1)
    if kind == "irfftn":
        key = (kind, shape, np.dtype(dtype), axes, (shape[0], 2 * (shape[1] - 1)), 1)
    else:
        out = shape[:-1] + (shape[-1] // 2 + 1,) if kind == "rfftn" else shape
        key = (kind, shape, np.dtype(dtype), axes, out, 1)
    plan = _fftw_plans.make_plan(key, "FFTW_ESTIMATE")
    t_plan, t_scipy = _planner._paired_seconds(plan, key, repeats=3)
    assert 0 < t_plan < 10 and 0 < t_scipy < 10


def test_background_planning_limit_follows_the_prediction(auto, rng, monkeypatch):
    monkeypatch.setattr(_planner, "RENT", 0.0)
    seen = []
    real = _planner.make_plan
    monkeypatch.setattr(_planner, "make_plan", lambda key, effort, **kw: seen.append(kw) or real(key, effort, **kw))
    x = rng.standard_normal((12, 26))
    auto.rfftn(x)
    auto.rfftn(x)
    assert _planner.wait_idle(120)
    limits = [kw["timelimit"] for kw in seen if "timelimit" in kw]
    assert limits and all(_planner.MIN_PLANNING_LIMIT <= t <= _planner.MAX_PLANNING_SECONDS for t in limits)


def test_exit_while_the_background_planner_measures(tmp_path):
    # a script that ends while its transform is being measured exits cleanly (daemon planner thread)
    code = (
        "import numpy as np\n"
        "from fieldconv.backend import get_backend, _planner\n"
        "_planner.RENT = 0.0\n"
        "be = get_backend('pyfftw', threads=1, planner_effort='auto')\n"
        "x = np.ones((96, 96, 48))\n"
        "be.rfftn(x); be.rfftn(x)\n"
        "assert _planner.planner_status()['planner_busy']\n"
        "print('bye')\n"
    )
    env = dict(os.environ, FIELDCONV_CACHE_DIR=str(tmp_path), FIELDCONV_FFTW_WISDOM_CACHE="1")
    env.pop("FIELDCONV_FFTW_PLANNER", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "bye"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_planning_still_transforms(tmp_path):
    code = (
        "import os, numpy as np\n"
        "from fieldconv.backend import get_backend, _planner, _fftw_plans\n"
        "be = get_backend('pyfftw', threads=1, planner_effort='auto')\n"
        "with _fftw_plans._planner_lock:\n"  # as if the planner thread were measuring at the fork
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        x = np.arange(24.0).reshape(4, 6)\n"
        "        ok = np.allclose(be.rfftn(x), np.fft.rfftn(x)) and np.allclose(\n"
        "            get_backend('pyfftw', threads=1, planner_effort='estimate').rfftn(x), np.fft.rfftn(x))\n"
        "        os._exit(0 if ok and _fftw_plans._fork_poisoned[0] else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status))\n"
    )
    env = dict(os.environ, FIELDCONV_CACHE_DIR=str(tmp_path))
    env.pop("FIELDCONV_FFTW_PLANNER", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
