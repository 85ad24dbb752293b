"""Fuzz: mass assignment (paint, readout, readout_gradient, bucket, window, compensate,
paint_interlaced, paint_chunks, Painted) against the np.add.at reference of tests/fuzz/_refs.py.

Non-periodic painting crashed the interpreter (issue 11), so the generated position
batches run in child processes (tests/fuzz/_runner.py); the in-process hypothesis tests
keep non-periodic particles within p + 1 cells of the mesh.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fieldconv import assign

from . import _refs
from ._assign_cases import SCHEMES, generate
from ._contract import assert_close, covers, examples, expect_error, hsettings, outcome, plain, repro_call
from ._findings import open_finding, xfail_open
from ._runner import Case, failures, run_cases
from ._strategies import REAL_DTYPES, arrays, expected_dtype, positions

CI_SEED = 20261121


def _seed():
    """The CI profile's fixed seed; a fresh one (printed) under a randomised profile."""
    if settings.default.derandomize:
        return CI_SEED
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"assign batch seed {seed}")
    return seed


@covers("assign.paint", "assign.readout", "assign.Painted")
def test_assign_batch_in_child():
    # paint / readout, periodic and not, every scheme, 1-3 D, positions inside, on faces and edges,
    # far outside, huge and non-finite: each case against np.add.at (mass conservation with outside="drop")
    cases = generate(_seed(), examples(100))
    report = failures(run_cases(cases, timeout=600))
    assert not report, report


_F7_CASES = [
    Case("crash", "r = fc.paint(np.array([[1.5, -1e3]]), box_size=4.0, shape=(4, 4), scheme='cic', periodic=False, "
                  "outside='drop')\nassert r.mesh.sum() == 0 and r.dropped_mass == 1.0, r", expect="equal"),
    Case("conservation-2d", "fc.paint(np.array([[1.5, 1.5]]), box_size=4.0, shape=(4, 4))\n"
                            "r = fc.paint(np.array([[1.5, 1.5], [1.5, 100.0]]), box_size=4.0, shape=(4, 4), "
                            "periodic=False, outside='drop')\n"
                            "assert r.mesh.sum() + r.dropped_mass == 2.0 and r.dropped_count == 1, r", expect="equal"),
    Case("conservation-3d", "fc.paint(np.array([[1.5, 1.5, 1.5]]), box_size=4.0, shape=(4, 4, 4))\n"
                            "w = np.array([1.0, 2.0])\n"
                            "r = fc.paint(np.array([[1.5, 1.5, 1.5], [1.5, 1.5, -50.0]]), box_size=4.0, shape=(4, 4, 4), "
                            "scheme='tsc', weights=w, periodic=False, outside='drop')\n"
                            "assert r.mesh.sum() + r.dropped_mass == 3.0 and r.dropped_mass == 2.0, r", expect="equal"),
]


@covers("assign.paint", "assign.Painted")
@xfail_open("F7")
def test_paint_far_outside_in_child():
    report = failures(run_cases(_F7_CASES, timeout=300, blame=False))
    assert not report, report


def _huge_case(fn, scheme, x):
    if fn == "paint":
        code = (f"x = {x}; r = fc.paint(np.array([[x]]), box_size=4.0, shape=(4,), scheme={scheme!r})\n"
                f"ref, _, _ = refs.paint_reference(np.array([[x]]), 4.0, (4,), {scheme!r})\n"
                "np.testing.assert_array_equal(r, ref)")
    else:
        code = (f"x = {x}; r = fc.readout(np.arange(4.0), np.array([[x]]), box_size=4.0, scheme={scheme!r})\n"
                f"np.testing.assert_array_equal(r, refs.readout_reference(np.arange(4.0), np.array([[x]]), 4.0, {scheme!r}))")
    return Case(f"{fn}-{scheme}-{x}", code, expect="equal")


@covers("assign.paint", "assign.readout")
@xfail_open("F8")
def test_periodic_wrap_of_huge_positions_in_child():
    # u = x / h an exact integer >= 2**53: the wrapped coordinate is exact, the answer has no rounding
    cases = [_huge_case(fn, s, x) for fn in ("paint", "readout") for s in ("cic", "pcs") for x in ("2.0**62", "-2.0**70")]
    report = failures(run_cases(cases, timeout=300))
    assert not report, report


@covers("assign.paint")
def test_exact_wraps_in_child():
    # what already holds, kept: NGP of huge positions, (cells, offsets) beyond 2**63 and offsets of 1e19 / 1e300
    cases = [_huge_case(fn, "ngp", x) for fn in ("paint", "readout") for x in ("2.0**63", "1e300", "-2.0**70")]
    for cells, off, dt in [("2**63 - 2", 3.7, "np.int64"), ("2**63 + 5", 0.5, "np.uint64"), ("0", 1e19, "np.int64"),
                           ("0", -1e19, "np.int64"), ("0", 1e300, "np.int64"), ("-3", 0.25, "np.int64")]:
        cases.append(Case(f"cells-{cells}-{off}", (
            f"import fractions\nc = np.array([[{cells}]], dtype={dt}); o = np.array([[{off!r}]])\n"
            "r = fc.paint((c, o), box_size=8.0, shape=(8,), scheme='ngp')\n"
            "want = np.zeros(8); want[int((fractions.Fraction(int(c[0, 0])) + fractions.Fraction(float(o[0, 0]))) % 8)] = 1\n"
            "np.testing.assert_array_equal(r, want)"), expect="equal"))
    report = failures(run_cases(cases, timeout=300))
    assert not report, report


# ------------------------------------------------------------------ in process
_SHAPES = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)
# powers of two: faces and edges exact (see _assign_cases)
_H = st.sampled_from([0.25, 0.5, 1.0, 2.0])


@covers("assign.paint", "assign.Painted")
@hsettings(60)
@given(data=st.data(), shape=_SHAPES, h=_H, scheme=st.sampled_from(SCHEMES), density=st.booleans(),
       wdata=arrays(st.just(()), dtypes=REAL_DTYPES, kinds=("normal",), specials=0.15, layouts=("C",)))
def test_paint_periodic_matches_add_at(data, shape, h, scheme, density, wdata):
    box = [n * h for n in shape]
    pos, kind = data.draw(positions(box, shape, kinds=("inside", "faces", "edges", "far", "nonfinite")))
    n = len(pos)
    w = np.resize(np.abs(plain(wdata[0]).astype(np.float64)) + 0.5, n)
    if np.isnan(plain(wdata[0])).any() or np.isinf(plain(wdata[0])).any():
        w[0] = np.nan
    w = w.astype(np.asarray(pos).dtype)  # the mesh dtype follows positions and weights (float32 with both float32)
    repro = repro_call("fieldconv.paint", pos, box_size=box, shape=shape, scheme=scheme, weights=w, density=density)
    out = outcome(assign.paint, pos, box_size=box, shape=shape, scheme=scheme, weights=w, density=density)
    if not np.isfinite(np.asarray(pos, float)).all() or not np.isfinite(w).all():
        return expect_error(out, ("positions", "weights"), repro, types=(ValueError,))
    ref, _, _ = _refs.paint_reference(pos, box, shape, scheme, w)
    if density:
        ref = ref / h ** len(shape)
    want = np.dtype(np.float32) if np.asarray(pos).dtype == np.float32 else np.dtype(np.float64)
    umax = float(np.abs(np.asarray(pos, float)).max()) / h
    # N p^d products rounded in the mesh dtype, plus the rounding of u (see _assign_cases._tol)
    atol = (w.sum() / (h ** len(shape) if density else 1)) * (
        (n * 4 ** len(shape) + 1) * float(np.finfo(want).eps) + 4 * len(shape) * 2.0**-53 * max(umax, 8))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the np.add.at reference; {out!r}")
    assert_close(out.value, ref, atol, repro, dtype=want)


@covers("assign.readout", "assign.readout_gradient")
@hsettings(60)
@given(data=st.data(), fdata=arrays(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
                                    dtypes=REAL_DTYPES * 2 + ("complex128", "object"), specials=0.1,
                                    layouts=("C", "F", "strided", "reversed", "readonly")),
       h=_H, scheme=st.sampled_from(SCHEMES), gradient=st.booleans())
def test_readout_periodic_matches_reference(data, fdata, h, scheme, gradient):
    field, dtype = fdata
    shape = np.shape(field)
    box = [n * h for n in shape]
    pos, kind = data.draw(positions(box, shape, kinds=("inside", "far", "nonfinite") if gradient else
                                    ("inside", "faces", "edges", "far", "nonfinite"), dtypes=("float64",)))
    fn = assign.readout_gradient if gradient else assign.readout
    name = "readout_gradient" if gradient else "readout"
    repro = repro_call(f"fieldconv.{name}", field, pos, box_size=box, scheme=scheme)
    out = outcome(fn, field, pos, box_size=box, scheme=scheme)
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf"),
                              ("positions", not np.isfinite(pos).all()),
                              ("scheme", gradient and scheme == "ngp")) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    f = plain(field).astype(np.float64)
    assume(np.isfinite(f).all() or kind == "inside")  # NaN taps: only where no weight is exactly 0
    want = expected_dtype(dtype)
    umax = float(np.abs(pos).max()) / h
    # sums accumulated in float64 (readout's Notes), then rounded to the field dtype; u rounding as for paint
    scale = float(np.abs(f[np.isfinite(f)]).sum()) * (1 if not gradient else 2 / h)
    atol = scale * (2 * float(np.finfo(want).eps) + 4 * len(shape) * 2.0**-53 * max(umax, 8)) * (4 if gradient else 1)
    if gradient:
        ref = _refs.readout_gradient_reference(f, pos, box, scheme)
    else:
        ref = _refs.readout_reference(f, pos, box, scheme)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the reference; {out!r}")
    assert_close(out.value, ref, atol, repro, dtype=want)


@covers("assign.readout", "assign.readout_gradient")
@xfail_open("F9")
@pytest.mark.parametrize("gradient", [False, True], ids=["readout", "readout_gradient"])
def test_readout_of_empty_mesh(gradient):
    fn = assign.readout_gradient if gradient else assign.readout
    with pytest.raises(ValueError, match="field"):
        fn(np.ones((0, 8, 8)), np.array([[0.5, 0.5, 0.5]]), box_size=1.0)


@covers("assign.paint", "assign.readout")
@xfail_open("F11")
@pytest.mark.parametrize("fn", ["paint", "readout"])
def test_subnormal_box_size(fn):
    # box_size=1e-320: 1/h overflows, every grid coordinate is inf; silently cell 0 (paint) or 0.0 (readout)
    pos = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError, match="box_size|positions"):
        if fn == "paint":
            assign.paint(pos, box_size=1e-320, shape=(4, 4))
        else:
            assign.readout(np.ones((4, 4)), pos, box_size=1e-320)


@covers("assign.paint", "assign.readout", "assign.readout_gradient", "assign.paint_interlaced", "assign.bucket",
        "assign.paint_chunks")
@hsettings(60)
@given(fn=st.sampled_from(["paint", "readout", "readout_gradient", "paint_interlaced", "bucket", "paint_chunks"]),
       arg=st.sampled_from(["box_size", "shape", "scheme", "origin", "periodic", "outside", "weights", "interlacing"]),
       value=st.sampled_from([0, -1.0, np.nan, np.inf, 2.5, "no", None, (4.0, 4.0, 4.0), (), "ngp ", True, [1.0],
                              np.array([1.0, -1.0]), 1e-300]))
def test_bad_arguments(fn, arg, value):
    # every argument of the assignment functions, given a wrong value: a documented error naming it, or (for a
    # value that is valid after all) the answer of the same call with the value written the canonical way
    pos = np.array([[0.5, 1.5], [2.25, 3.0]])
    base = {"paint": dict(box_size=4.0, shape=(4, 4), scheme="tsc"),
            "readout": dict(box_size=4.0, scheme="tsc"), "readout_gradient": dict(box_size=4.0, scheme="tsc"),
            "paint_interlaced": dict(box_size=4.0, shape=(4, 4)), "bucket": dict(box_size=4.0, shape=(4, 4)),
            "paint_chunks": dict(box_size=4.0, shape=(4, 4), scheme="tsc")}[fn]
    valid_args = {"paint": {"box_size", "shape", "scheme", "origin", "periodic", "outside", "weights"},
                  "readout": {"box_size", "scheme", "periodic", "outside"},
                  "readout_gradient": {"box_size", "scheme", "periodic", "outside"},
                  "paint_interlaced": {"box_size", "shape", "scheme", "origin", "weights", "interlacing"},
                  "bucket": {"box_size", "shape", "origin", "weights"},
                  "paint_chunks": {"box_size", "shape", "scheme", "origin", "periodic", "outside", "weights"}}[fn]
    assume(arg in valid_args)
    assume(not (open_finding("F13") and fn == "paint_chunks" and arg == "weights" and np.ndim(value) == 0))
    assume(not (open_finding("F12") and fn.startswith("readout") and arg == "periodic"))
    assume(not (open_finding("F14") and arg == "origin" and (value is None or isinstance(value, str))))
    kw = dict(base, **{arg: value})
    call = getattr(assign, fn)
    args = (np.arange(16.0).reshape(4, 4), pos) if fn.startswith("readout") else (pos,)
    repro = repro_call(f"fieldconv.assign.{fn}", *args, **kw)
    out = outcome(call, *args, **kw)
    if out.ok:
        # accepted: then it must have meant something valid, and the same as its canonical spelling
        canonical = _canonical(arg, value)
        assert canonical is not _INVALID, f"{repro}\n  accepted a value that is not valid for {arg}: {out!r}"
        ref = call(*args, **dict(base, **{arg: canonical}))
        np.testing.assert_array_equal(plain(getattr(out.value, "mesh", out.value if not isinstance(out.value, tuple)
                                                    else out.value[0])),
                                      plain(getattr(ref, "mesh", ref if not isinstance(ref, tuple) else ref[0])),
                                      err_msg=repro)
        return
    expect_error(out, (arg, "positions", "box", "dropped"), repro)


_INVALID = object()


def _canonical(arg, value):
    """The canonical spelling of a valid value among the adversarial ones, else _INVALID."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if arg == "periodic":
        return True if value is True else _INVALID
    if arg == "origin":
        if number and np.isfinite(value):
            return float(value)
        if isinstance(value, (np.ndarray, list)) and np.isfinite(value).all():
            return value
        return _INVALID
    if arg == "box_size":
        if number and np.isfinite(value) and value > 0:
            return float(value)
        if isinstance(value, list) and value[0] > 0:
            return value
        return _INVALID
    if arg == "weights":
        if value is None or isinstance(value, (list, np.ndarray)) and len(value) == 2 and np.isfinite(value).all():
            return value
        return _INVALID
    return _INVALID


@covers("assign.paint", "assign.paint_interlaced", "assign.bucket", "assign.paint_chunks")
@xfail_open("F14")
@pytest.mark.parametrize("fn", ["paint", "paint_interlaced", "bucket", "paint_chunks"])
@pytest.mark.parametrize("origin", ["no", None], ids=["str", "None"])
def test_origin_errors_name_origin(fn, origin):
    with pytest.raises((TypeError, ValueError), match="origin"):
        getattr(assign, fn)(np.array([[0.5, 1.5]]), box_size=4.0, shape=(4, 4), origin=origin)


@covers("assign.paint_chunks")
@xfail_open("F13")
@pytest.mark.parametrize("weights", [0, 2.0, np.float64(3.0)], ids=["int", "float", "numpy-scalar"])
def test_paint_chunks_scalar_weights(weights):
    with pytest.raises(ValueError, match="weights"):
        assign.paint_chunks(np.array([[0.5, 1.5], [2.25, 3.0]]), box_size=4.0, shape=(4, 4), weights=weights)


@covers("assign.readout", "assign.readout_gradient", "assign.paint", "assign.paint_interlaced")
@pytest.mark.parametrize("fn", [pytest.param("readout", marks=xfail_open("F12")),
                                pytest.param("readout_gradient", marks=xfail_open("F12")), "paint"])
@pytest.mark.parametrize("value", ["no", "False", 0.0, None])
def test_periodic_flag_must_be_bool(fn, value):
    # periodic="no" must not be taken as periodic (paint raises TypeError for it)
    pos = np.array([[0.5, 1.5]])
    args = (np.ones((4, 4)), pos) if fn.startswith("readout") else (pos,)
    kw = dict(box_size=4.0, periodic=value)
    if fn == "paint":
        kw["shape"] = (4, 4)
    with pytest.raises(TypeError, match="periodic"):
        getattr(assign, fn)(*args, **kw)


@covers("assign.bucket")
@hsettings(30)
@given(data=st.data(), shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), h=_H,
       with_weights=st.booleans())
def test_bucket_is_the_stable_sort_by_cell(data, shape, h, with_weights):
    box = [n * h for n in shape]
    pos, kind = data.draw(positions(box, shape, kinds=("inside", "faces", "edges", "far", "nonfinite"), n_max=12))
    w = np.arange(1.0, len(pos) + 1) if with_weights else None
    repro = repro_call("fieldconv.assign.bucket", pos, box_size=box, shape=shape, weights=w, return_index=True)
    out = outcome(assign.bucket, pos, box_size=box, shape=shape, weights=w, return_index=True)
    if not np.isfinite(np.asarray(pos, float)).all():
        return expect_error(out, "positions", repro, types=(ValueError,))
    assert out.ok, f"{repro}: {out!r}"
    sorted_pos, sorted_w, index = out.value
    p64 = np.asarray(pos, float)
    # the float64 floor/modulo wrap of paint (a position within rounding of a face may take either cell)
    cells = [np.floor(np.mod(p64[:, a] / h, shape[a])).astype(np.int64) % shape[a] for a in range(min(2, len(shape)))]
    keys = cells[0] * (shape[1] if len(shape) > 1 else 1) + (cells[1] if len(shape) > 1 else 0)
    ref_index = np.argsort(keys, kind="stable")
    np.testing.assert_array_equal(index, ref_index, err_msg=repro)
    np.testing.assert_array_equal(sorted_pos, np.asarray(pos)[ref_index], err_msg=repro)
    assert sorted_pos.dtype == np.asarray(pos).dtype, repro
    if with_weights:
        np.testing.assert_array_equal(sorted_w, w[ref_index], err_msg=repro)


@covers("assign.window")
@hsettings(30)
@given(k=arrays(st.lists(st.integers(0, 6), min_size=1, max_size=2).map(tuple), dtypes=("float64", "float32", "int32"),
                kinds=("normal",), specials=0.2, layouts=("C", "F", "list")),
       scheme=st.sampled_from(SCHEMES + ("lanczos",)), spacing=st.sampled_from([0.5, 1.0, 3.0, 0.0, -1.0, np.nan]))
def test_window_formula(k, scheme, spacing):
    karr, dtype = k
    repro = repro_call("fieldconv.assign.window", karr, scheme, spacing)
    out = outcome(assign.window, karr, scheme, spacing)
    wrong = [p for p, bad in (("scheme", scheme not in SCHEMES), ("spacing", not (spacing > 0))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    kf = plain(karr).astype(np.float64) * 3.0
    out = outcome(assign.window, plain(karr).astype(np.float64) * 3.0, scheme, spacing)
    ref = _refs.window_reference(kf, scheme, spacing)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the sinc**p window; {out!r}")
    # sin and the division: a few ulps of 1 per factor
    assert_close(out.value, ref, 16 * 2.0**-52 * 4, repro)


@covers("assign.compensate")
@hsettings(30)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=3).map(tuple), scheme=st.sampled_from(SCHEMES),
       seed=st.integers(0, 2**16), single=st.booleans(), how=st.sampled_from(["C", "F", "reversed", "readonly"]))
def test_compensate_divides_by_the_window(shape, scheme, seed, single, how):
    from ._strategies import layout

    rng = np.random.default_rng(seed)
    kshape = shape[:-1] + (shape[-1] // 2 + 1,)
    fk = (rng.standard_normal(kshape) + 1j * rng.standard_normal(kshape)).astype(np.complex64 if single else complex)
    fk_in = layout(fk, how)
    repro = repro_call("fieldconv.compensate", fk_in, scheme, shape=shape)
    out = outcome(assign.compensate, fk_in, scheme, shape=shape)
    ref = fk.astype(complex) / _refs.rfft_window(shape, scheme)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected field_k / W; {out!r}")
    # one division by a window >= (2/pi)**(p d): a few ulps of |field_k| / W_min
    atol = 8 * float(np.finfo(np.float32 if single else np.float64).eps) * float(np.abs(ref).max(initial=1.0))
    assert_close(out.value, ref, atol, repro, dtype=np.complex64 if single else np.complex128)


@covers("assign.compensate")
@xfail_open("F10")
@pytest.mark.parametrize("field_k", [np.ones((4, 3)), np.ones((4, 3), int), np.ones((4, 3), object)],
                         ids=["real", "int", "object"])
def test_compensate_refuses_non_complex(field_k):
    with pytest.raises(TypeError, match="field_k"):
        assign.compensate(field_k, "cic")


@covers("assign.compensate")
def test_compensate_takes_a_complex_list_as_its_array():
    lst = [[1 + 0j, 1], [1, 1]]  # complex values given as a list: the same answer as the array
    np.testing.assert_array_equal(assign.compensate(lst, "cic"), assign.compensate(np.asarray(lst), "cic"))


@covers("assign.paint_interlaced")
@hsettings(15)
@given(data=st.data(), shape=st.lists(st.integers(2, 5), min_size=1, max_size=3).map(tuple), h=_H,
       scheme=st.sampled_from(SCHEMES), n=st.integers(1, 3), listy=st.booleans())
def test_paint_interlaced_formula(data, shape, h, scheme, n, listy):
    # (1/n) sum_m rfftn(mesh_m) exp(i k . s_m), s_m = m h / n, mesh_m holding the field shifted by -s_m
    # (the particles painted at x + s_m, i.e. with origin -s_m)
    box = [s * h for s in shape]
    pos, _ = data.draw(positions(box, shape, kinds=("inside", "edges", "far"), dtypes=("float64",)))
    arg = pos.tolist() if listy else pos
    repro = repro_call("fieldconv.paint_interlaced", arg, box_size=box, shape=shape, scheme=scheme, interlacing=n)
    out = outcome(assign.paint_interlaced, arg, box_size=box, shape=shape, scheme=scheme, interlacing=n)
    d = len(shape)
    k = np.meshgrid(*[2 * np.pi * (np.fft.rfftfreq(s, h) if a == d - 1 else np.fft.fftfreq(s, h))
                      for a, s in enumerate(shape)], indexing="ij")
    ref = 0
    for m in range(n):
        s = m * h / n
        mesh, _, _ = _refs.paint_reference(np.asarray(pos), box, shape, scheme, origin=-s)
        ref = ref + np.fft.rfftn(mesh) * np.exp(1j * s * sum(k))
    ref = ref / n
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the interlaced transform; {out!r}")
    # FFT of a mesh of total mass N: ~ eps log2(size) N, plus the u rounding of far particles
    umax = float(np.abs(pos).max()) / h
    atol = len(pos) * (8 * 2.0**-52 * np.log2(max(np.prod(shape), 2)) + 4 * d * 2.0**-53 * max(umax, 8))
    assert_close(out.value, ref, atol, repro, dtype=np.complex128)


@covers("assign.paint_chunks", "assign.Painted")
@hsettings(25)
@given(data=st.data(), shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), h=_H,
       scheme=st.sampled_from(SCHEMES), chunk=st.integers(-1, 4), form=st.sampled_from(["array", "iter", "pairs"]),
       periodic=st.booleans())
def test_paint_chunks_equals_one_paint(data, shape, h, scheme, chunk, form, periodic):
    box = [s * h for s in shape]
    pos, kind = data.draw(positions(box, shape, kinds=("inside", "edges", "faces"), n_max=9, dtypes=("float64",)))
    w = np.arange(1.0, len(pos) + 1)
    kw = dict(box_size=box, shape=shape, scheme=scheme, periodic=periodic)
    if not periodic:
        kw["outside"] = "drop"
    if form == "array":
        src, extra = pos, dict(weights=w, chunk_size=chunk)
    elif form == "iter":
        size = max(chunk, 1)
        src, extra = iter([pos[i:i + size] for i in range(0, len(pos), size)]), {}
        w = np.ones(len(pos))
    else:
        size = max(chunk, 1)
        src, extra = iter([(pos[i:i + size], w[i:i + size]) for i in range(0, len(pos), size)]), {}
    repro = f"fieldconv.paint_chunks({form} source, chunk {chunk}, {kw}) of {pos.tolist()}"
    out = outcome(assign.paint_chunks, src, **kw, **extra)
    if form == "array" and chunk < 1:
        return expect_error(out, "chunk_size", repro, types=(ValueError,))
    ref, dropped, count = _refs.paint_reference(pos, box, shape, scheme, w, periodic=periodic)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected paint of the concatenated chunks; {out!r}")
    atol = (len(pos) * 4 ** len(shape) + 1) * 2.0**-52 * w.sum()
    if periodic:
        return assert_close(out.value, ref, atol, repro, dtype=np.float64)
    assert isinstance(out.value, assign.Painted), repro
    assert_close(out.value.mesh, ref, atol, repro, dtype=np.float64)
    assert out.value.dropped_count == count, repro
    assert abs(out.value.dropped_mass - dropped) <= atol, repro
