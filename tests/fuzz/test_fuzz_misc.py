"""Fuzz: the backend switch (names, threads, caches, FFTW wisdom files), the validation driver and
nn.ChannelMixer (constructor arguments, adversarial fields against ``W x + b``, the backward pass).
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldconv import backend, validation
from fieldconv.errors import BackendUnavailableError

from ._contract import assert_close, covers, expect_error, hsettings, outcome, plain, repro_call
from ._findings import open_finding, xfail_open
from ._runner import Case, failures, run_cases
from ._strategies import BAD_DTYPES, REAL_DTYPES, arrays, expected_dtype, layout, mostly

_NAMES = st.sampled_from(["numpy", "pyfftw", "cupy", "array_api", "NumPy", "nope", "", None, 3, b"numpy"])
_THREADS = st.sampled_from([1, 2, 0, -1, 2.7, "2", True, None, np.int64(2), 2**40])


def _valid_threads(n):
    return n is None or (isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1)


@covers("backend.get_backend", "backend.backend_status", "backend.available_backends", "backend.use_backend",
        "backend.threads", "backend.current_threads", "backend.Backend")
@hsettings(40)
@given(name=_NAMES, n=_THREADS)
def test_backend_names_and_threads(name, n):
    ok, reason = outcome(backend.backend_status, name).value if outcome(backend.backend_status, name).ok else (None, "")
    status = outcome(backend.backend_status, name)
    if not isinstance(name, str):
        expect_error(status, ("backend", "name"), f"backend_status({name!r})", types=(TypeError,))
    else:
        assert status.ok and isinstance(status.value[0], bool), f"backend_status({name!r}): {status!r}"
    out = outcome(backend.get_backend, name, threads=n) if name is not None else outcome(backend.get_backend, None)
    repro = repro_call("fieldconv.backend.get_backend", name, threads=n)
    if name is None:
        assert out.ok and out.value.name in backend.available_backends(), f"{repro}: {out!r}"
    elif not isinstance(name, str):
        return expect_error(out, "backend", repro, types=(TypeError,))
    elif name not in ("numpy", "pyfftw"):
        return expect_error(out, ("backend", "xp", name), repro, types=(BackendUnavailableError, ValueError))
    elif not _valid_threads(n):
        return expect_error(out, "threads", repro)
    else:
        assert out.ok and out.value.name == name, f"{repro}: {out!r}"
        assert out.value.threads == (backend.current_threads() if n is None else n), repro
        assert isinstance(out.value, backend.Backend)
    scope = outcome(lambda: backend.threads(n).__enter__())
    if not _valid_threads(n):
        expect_error(scope, "threads", f"backend.threads({n!r})")
    else:
        assert scope.ok, f"backend.threads({n!r}): {scope!r}"
        with backend.threads(n):
            assert backend.current_threads() == (backend.default_threads() if n is None else n)
    with backend.use_backend("numpy") as be:
        assert be.name == "numpy"


@covers("backend.default_threads")
@pytest.mark.parametrize("env", ["0", "-2", "abc", "2.5", "1e3", " 3", "3"])
def test_default_threads_environment(env, monkeypatch):
    monkeypatch.setenv("FIELDCONV_NUM_THREADS", env)
    out = outcome(backend.default_threads)
    if env.strip().isdigit() and int(env) >= 1:
        assert out.ok and out.value == int(env), out
    else:
        expect_error(out, "FIELDCONV_NUM_THREADS", f"FIELDCONV_NUM_THREADS={env!r}", types=(ValueError,))


@covers("backend.threads")
def test_absurd_thread_counts_in_child():
    # a billion threads asked for: no crash, no hang (capped, or an error naming threads)
    case = Case("threads-1e9", "with fc.backend.threads(10**9):\n"
                               "    r = fc.convolve(np.ones((64, 64)), np.ones((9, 9)), method='fft')\n"
                               "    fc.paint(np.random.default_rng(0).random((100, 2)), box_size=1.0, shape=(8, 8))\n"
                               "    fc.convolve(np.ones((64, 64)), np.ones((9, 9)), method='direct')\n"
                               "assert np.allclose(r[30, 30], 81.0)", params=("threads",), expect="either")
    report = failures(run_cases([case], timeout=120))
    assert not report, report


_CACHES = ("fft_plans", "poisson_solvers", "savgol_coefficients")


@covers("backend.cache_info", "backend.clear_caches", "backend.set_cache_limit", "backend.plan_cache_info",
        "backend.clear_plan_cache")
@hsettings(40)
@given(name=st.sampled_from(_CACHES + ("owned", "nope", None, 3)),
       max_bytes=mostly(st.sampled_from([None, 0, 2**20, 10**20]), st.sampled_from([-1, 2.5, "x", np.nan])),
       max_entries=mostly(st.sampled_from([None, 1, 64]), st.just(-1)),
       maxsize=mostly(st.sampled_from([None, 1, 32]), st.sampled_from([0, -1, 2.5, "x"])))
def test_cache_controls(name, max_bytes, max_entries, maxsize):
    before = backend.cache_info()
    try:
        out = outcome(backend.clear_caches, name)
        if name is not None and name not in before:
            expect_error(out, "name", f"clear_caches({name!r})")
        else:
            assert out.ok, f"clear_caches({name!r}): {out!r}"
        if name in _CACHES or name in ("owned", "nope", 3):
            repro = repro_call("fieldconv.backend.set_cache_limit", name, max_bytes, max_entries=max_entries)
            out = outcome(backend.set_cache_limit, name, max_bytes, max_entries=max_entries)
            wrong = [p for p, bad in (("name", name not in _CACHES),
                                      ("max_bytes", max_bytes is not None and not (isinstance(max_bytes, int) and max_bytes >= 0)),
                                      ("max_entries", max_entries is not None and max_entries < 1)) if bad]
            if open_finding("F35") and "max_bytes" in wrong and isinstance(max_bytes, (float, str)):
                pass  # F35: test_cache_limits_are_integers
            elif wrong:
                expect_error(out, wrong, repro)
            else:
                assert out.ok, f"{repro}: {out!r}"
                info = backend.cache_info()[name]
                if max_bytes is not None:  # (None: the default bound)
                    assert info["max_bytes"] == max_bytes, f"{repro}: {info}"
                if max_entries is not None:
                    assert info["max_entries"] == max_entries, f"{repro}: {info}"
        out = outcome(backend.clear_plan_cache, maxsize)
        repro = repro_call("fieldconv.backend.clear_plan_cache", maxsize)
        bad = maxsize is not None and not (isinstance(maxsize, int) and maxsize >= 1)
        if bad and not (open_finding("F35") and maxsize in (2.5, "x")):
            expect_error(out, "maxsize", repro)
        elif not bad:
            assert out.ok and backend.plan_cache_info()["size"] == 0, f"{repro}: {out!r}"
    finally:  # leave the caches as the other tests expect them
        for c in _CACHES:
            backend.set_cache_limit(c, before[c]["max_bytes"], max_entries=before[c]["max_entries"])


@covers("backend.set_cache_limit", "backend.clear_plan_cache")
@xfail_open("F35")
@pytest.mark.parametrize("call", ["limit-2.5", "limit-str", "limit-nan", "plans-2.5", "plans-str"])
def test_cache_limits_are_integers(call):
    before = backend.cache_info()["fft_plans"]
    try:
        fn = {"limit-2.5": lambda: backend.set_cache_limit("fft_plans", 2.5),
              "limit-str": lambda: backend.set_cache_limit("fft_plans", "x"),
              "limit-nan": lambda: backend.set_cache_limit("fft_plans", float("nan")),
              "plans-2.5": lambda: backend.clear_plan_cache(2.5), "plans-str": lambda: backend.clear_plan_cache("x")}[call]
        with pytest.raises((TypeError, ValueError), match="max_bytes|maxsize"):
            fn()
    finally:
        backend.set_cache_limit("fft_plans", before["max_bytes"], max_entries=before["max_entries"])
        backend.clear_plan_cache(None)


@covers("backend.save_wisdom", "backend.load_wisdom")
def test_wisdom_files_corrupted_in_child(tmp_path):
    # a wisdom file cut or with a flipped byte: a ValueError naming the file, never a crash (FFTW parses it)
    good = tmp_path / "good.wis"
    backend.save_wisdom(str(good))
    assert backend.load_wisdom(str(good)) is None or True
    data = good.read_bytes()
    rng = np.random.default_rng(7)
    cases = []
    for off in sorted({0, 5, 30, len(data) // 2, len(data) - 3} | set(rng.integers(1, len(data), 5).tolist())):
        p = tmp_path / f"cut{off}.wis"
        p.write_bytes(data[:off])
        cases.append(Case(f"cut{off}", f"fc.backend.load_wisdom({str(p)!r})", params=(p.name,), expect="either"))
    # F38: a space inside an entry aborts FFTW; a damaged section length gives int()'s words
    avoid = {i for i, c in enumerate(data) if c == 0x20}
    for line_start in [0] + [i + 1 for i, c in enumerate(data) if c == 0x0A]:
        if data[line_start:line_start + 1] == b"[":
            avoid |= set(range(line_start, data.find(b"\n", line_start) + 1))
    for k in range(12):
        b = bytearray(data)
        pos = int(rng.integers(0, len(b)))
        while open_finding("F38") and pos in avoid:
            pos = int(rng.integers(0, len(b)))
        b[pos] = int(rng.integers(32, 127))
        p = tmp_path / f"flip{k}.wis"
        p.write_bytes(bytes(b))
        cases.append(Case(f"flip{k}@{pos}", f"fc.backend.load_wisdom({str(p)!r})", params=(p.name,), expect="either"))
    missing = tmp_path / "missing" / "w.wis"
    cases.append(Case("missing", f"fc.backend.load_wisdom({str(missing)!r})", params=("w.wis",), expect="error",
                      documented=("FileNotFoundError",)))  # documented in load_wisdom's Raises
    report = failures(run_cases(cases, timeout=300))
    assert not report, report


@covers("backend.load_wisdom", "backend.save_wisdom")
@xfail_open("F38")
def test_wisdom_with_damaged_entry_in_child(tmp_path):
    # one byte of an entry's flags field changed (the space between the two flags fields): FFTW's own
    # assertion aborts the interpreter ("planner.c:890: assertion failed: flags.l == l"); want a ValueError
    # naming the file (fieldconv's wisdom header could carry a checksum of each section)
    path = tmp_path / "damaged.wis"
    code = ("fc.backend.plan_fft((8,))\n"  # measured FFTW plan -> wisdom to damage (the default planner starts on scipy.fft)
            f"fc.backend.save_wisdom({str(path)!r})\n"
            f"text = open({str(path)!r}).read()\n"
            "lines = text.split('\\n')\n"
            "i = next(k for k, l in enumerate(lines) if l.startswith('  (fftw_'))\n"
            "a, b = lines[i].split(' #x', 2)[1:3]\n"
            "lines[i] = lines[i].replace(' #x' + a + ' #x', ' #x' + a + 'S#x', 1)\n"
            f"open({str(path)!r}, 'w').write('\\n'.join(lines))\n"
            f"fc.backend.load_wisdom({str(path)!r})")
    case = Case("wisdom-flags", code, params=("damaged.wis",), expect="error")
    header = tmp_path / "header.wis"
    code2 = ("fc.backend.plan_fft((8,))\n"
             f"fc.backend.save_wisdom({str(header)!r})\n"
             f"text = open({str(header)!r}).read()\n"
             f"open({str(header)!r}, 'w').write(text.replace('[double] ', '[double] 7k', 1)[:len(text)])\n"
             f"fc.backend.load_wisdom({str(header)!r})")
    case2 = Case("wisdom-section-length", code2, params=("header.wis",), expect="error")
    report = failures(run_cases([case, case2], timeout=120))
    assert not report, report


@covers("backend.get_backend", "poisson.solve_poisson")
@pytest.mark.skipif(settings.default.derandomize, reason="minutes of FFTW_MEASURE planning: run with HYPOTHESIS_PROFILE=fuzz-long")
@xfail_open("F36")
def test_first_fftw_call_on_prime_grids_in_child():
    # the default planner on a prime-sized grid: FFTW_MEASURE took 120 s (4099,) and 39 s (211, 223) against
    # 1-2 ms for scipy.fft; a first call must cost a small multiple of scipy's (here: done within 30 s)
    code = "fc.solve_poisson(np.random.default_rng(0).standard_normal((211, 223)))"
    report = failures(run_cases([Case("measure-211x223", code, expect="equal")], timeout=30))
    assert not report, report


# ------------------------------------------------------------------ validation
@covers("validation.run_validation", "validation.format_table", "validation.observed_orders",
        "validation.plot_convergence", "validation.run_demo", "validation.Problem")
@hsettings(25)
@given(sizes=mostly(st.sampled_from([(8,), (8, 16)]), st.sampled_from([(0,), (3,), (8.5,), "8", (-8,), ()])),
       problems=mostly(st.sampled_from([["trig1d"], ["gauss2d_log"]]), st.sampled_from([["nope"], "trig1d"])),
       dtype=mostly(st.sampled_from([np.float64, np.float32]), st.sampled_from([np.complex128, np.int32])),
       backend_name=mostly(st.sampled_from(["numpy", "pyfftw"]), st.just("nope")))
def test_validation_driver_arguments(sizes, problems, dtype, backend_name):
    repro = repro_call("fieldconv.validation.run_validation", sizes, problems=problems, dtype=dtype, backend=backend_name)
    out = outcome(validation.run_validation, sizes, problems=problems, dtype=dtype, backend=backend_name, progress=False)
    int_sizes = not isinstance(sizes, str) and all(isinstance(s, int) for s in sizes)
    wrong = [p for p, bad in (("sizes", isinstance(sizes, str) or not int_sizes or any(s < 4 for s in sizes)),
                              ("problems", isinstance(problems, str) or any(p not in validation.PROBLEMS for p in problems)),
                              ("dtype", np.dtype(dtype).kind != "f"), ("backend", backend_name == "nope")) if bad]
    if open_finding("F34") and wrong == ["sizes"] and (sizes == (8.5,) or sizes == "8"):
        return  # F34: test_validation_sizes_must_be_integers
    if wrong:
        return expect_error(out, wrong + ["dtype", "integer"] if "dtype" in wrong else wrong, repro)
    assert out.ok, f"{repro}: {out!r}"
    rows = out.value
    assert {r["N"] for r in rows} == set(sizes) and {r["problem"] for r in rows} == set(problems), repro
    for r in rows:  # the errors of a validated solver: finite and small against the closed form
        assert np.isfinite(r["phi_L2"]) and r["phi_L2"] < 1.0, (repro, r)
    assert isinstance(validation.format_table(rows), str)
    orders = validation.observed_orders(rows)
    assert all(len(v) == len(sizes) - 1 for v in orders.values()), (repro, orders)


@covers("validation.run_validation")
@xfail_open("F34")
@pytest.mark.parametrize("sizes", [(8.5,), "8", (8.0,)], ids=["8.5", "str", "8.0"])
def test_validation_sizes_must_be_integers(sizes):
    # sizes=(8.5,) runs N=8 silently; sizes="8" is taken character by character
    with pytest.raises((TypeError, ValueError), match="sizes"):
        validation.run_validation(sizes, problems=["trig1d"], progress=False)


@covers("validation.format_table", "validation.observed_orders", "validation.plot_convergence")
@xfail_open("F34")
@pytest.mark.parametrize("call", ["table", "orders"])
def test_validation_rows_checked(call):
    rows = [{"x": 1}]
    fn = {"table": lambda: validation.format_table(rows),
          "orders": lambda: validation.observed_orders(validation.run_validation((8, 16), problems=["trig1d"],
                                                                                  progress=False), key="nope")}[call]
    with pytest.raises(ValueError, match="rows|key"):
        fn()


@covers("validation.run_demo")
@pytest.mark.parametrize("size,backend_name", [(0, None), (2.5, None), (7, None), (8, "nope"),
                                               pytest.param("16", None, marks=xfail_open("F34"))])
def test_demo_arguments(size, backend_name):
    out = outcome(validation.run_demo, size=size, backend=backend_name, progress=False)
    expect_error(out, ("size", "backend"), f"run_demo(size={size!r}, backend={backend_name!r})")


# ------------------------------------------------------------------ nn.ChannelMixer
@covers("nn.ChannelMixer")
@hsettings(40)
@given(cin=mostly(st.integers(1, 4), st.sampled_from([0, -1, 2.5, True, "3"])),
       cout=mostly(st.integers(1, 3), st.sampled_from([0, 2.0])),
       axis=mostly(st.sampled_from([0, 1, -1]), st.sampled_from([1.5, 7])),
       dtype=mostly(st.sampled_from([np.float32, np.float64]), st.sampled_from([np.float16, np.int32, "float64x"])),
       constraint=mostly(st.sampled_from([None, "nonnegative", "stochastic"]), st.sampled_from(["nope", 3])),
       data=st.data())
def test_channel_mixer_forward_backward(cin, cout, axis, dtype, constraint, data):
    from fieldconv.nn import ChannelMixer

    repro = repro_call("fieldconv.nn.ChannelMixer", cin, cout, channel_axis=axis, dtype=dtype, constraint=constraint)
    out = outcome(ChannelMixer, cin, cout, channel_axis=axis, dtype=dtype, constraint=constraint, rng=1)
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
    wrong = [p for p, bad in (("in_channels", not is_int(cin) or cin < 1), ("out_channels", not is_int(cout) or cout < 1),
                              ("channel_axis", not is_int(axis)),
                              ("dtype", dtype not in (np.float32, np.float64)),
                              ("constraint", constraint not in (None, "nonnegative", "stochastic"))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    assert out.ok, f"{repro}: {out!r}"
    mixer = out.value
    shape = data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
    ax = axis if -len(shape) <= axis < len(shape) else 0
    shape[ax] = cin if data.draw(st.integers(0, 9)) else cin + 1
    xd, xdt = data.draw(arrays(st.just(tuple(shape)), dtypes=REAL_DTYPES * 2 + BAD_DTYPES, specials=0.1,
                               layouts=("C", "F", "strided", "reversed", "readonly", "broadcast")))
    repro = f"{repro}.forward({plain(xd).shape} {xdt})"
    res = outcome(mixer.forward, xd)
    x = plain(xd)
    wrong = [p for p, bad in (("x", np.dtype(xdt).kind not in "biuf"),
                              ("channel_axis", not -x.ndim <= axis < x.ndim),
                              ("x", -x.ndim <= axis < x.ndim and x.shape[axis] != cin),
                              ("x", x.dtype.kind == "f" and not np.isfinite(x).all())) if bad]
    if wrong:
        return expect_error(res, wrong + ["in_channels"], repro)
    W = np.asarray(mixer.weight, dtype=np.float64)
    b = None if mixer.bias is None else np.asarray(mixer.bias, dtype=np.float64)
    xf = np.moveaxis(x.astype(np.float64), axis, -1)
    ref = xf @ W.T + (0 if b is None else b)
    ref = np.moveaxis(ref, -1, axis)
    want = expected_dtype(xdt)
    if not res.ok:
        raise AssertionError(f"{repro}\n  expected W x + b; {res!r}")
    # C_in products in the working dtype (W cast once): (C_in + 2) eps sum|W| max|x|
    atol = 4 * (cin + 2) * float(np.finfo(want).eps) * (float(np.abs(W).sum()) * float(np.abs(x).max(initial=0)) +
                                                          float(np.abs(b).max(initial=0) if b is not None else 0))
    assert_close(res.value, ref, atol, repro, dtype=want)
    g = np.random.default_rng(3).standard_normal(ref.shape).astype(want)
    gx = outcome(mixer.backward, g)
    assert gx.ok, f"{repro}.backward: {gx!r}"
    gref = np.moveaxis(np.moveaxis(g.astype(np.float64), axis, -1) @ W, -1, axis)
    assert_close(gx.value, gref, 4 * (cout + 2) * float(np.finfo(want).eps) * float(np.abs(W).sum()) *
                 float(np.abs(g).max(initial=0)), repro + ".backward", dtype=want)


# ------------------------------------------------------------------ planner policy
@covers("backend.planner_effort", "backend.plan_fft", "backend.fft_planner_info")
@hsettings(40)
@given(effort=st.one_of(st.sampled_from(["estimate", "FFTW_MEASURE", "measure", "Auto", "fftw_patient"]),
                        st.sampled_from(["", "fast", "FFTW_", 3, None, 1.5])),
       shape=mostly(st.lists(st.integers(1, 12), min_size=1, max_size=3).map(tuple),
                    st.sampled_from([(0,), (-4,), (4.5,), "8", ()])))
def test_planner_arguments(effort, shape):
    valid = {"estimate": "FFTW_ESTIMATE", "FFTW_MEASURE": "FFTW_MEASURE", "measure": "FFTW_MEASURE",
             "Auto": "FFTW_MEASURE", "fftw_patient": "FFTW_PATIENT"}
    out = outcome(backend.planner_effort, effort)
    if effort is None:  # the environment's or the default (auto -> a concrete flag for mpi4py-fft)
        assert out.ok and out.value.startswith("FFTW_"), out
    elif effort in valid:
        assert out.ok and out.value == valid[effort], (effort, out)
    else:
        expect_error(out, "planner_effort", repro_call("fieldconv.backend.planner_effort", effort))
    ok_shape = isinstance(shape, tuple) and shape and all(isinstance(n, int) and n >= 1 for n in shape)
    repro = repro_call("fieldconv.backend.plan_fft", shape)  # FFTW_MEASURE: at most 12**3 points, milliseconds
    out = outcome(backend.plan_fft, shape)
    if ok_shape:
        assert out.ok, f"{repro}: {out!r}"
    else:
        expect_error(out, "shape", repro)
    info = backend.fft_planner_info()  # always a plain report, whatever was planned before
    assert info["policy"] in ("auto",) + tuple(valid.values()) + ("FFTW_EXHAUSTIVE",) and "wisdom_cache" in info
