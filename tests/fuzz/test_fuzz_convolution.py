"""Fuzz: convolve / correlate / convolve1d / correlate1d / median_filter against scipy.ndimage.

Each example is an adversarial field (dtype, byte order, layout, NaN/inf/huge
values, empty and length-1 axes) and kernel; the outcome must be scipy.ndimage's
answer (NaN/inf pattern exact, finite values within the method's rounding bound,
dtype from the table) or a documented error naming the parameter.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldconv import convolution

from . import _refs
from ._findings import open_finding, xfail_open
from ._contract import assert_close, covers, expect_error, hsettings, outcome, plain, repro_call
from ._strategies import BAD_DTYPES, NONNATIVE_DTYPES, REAL_DTYPES, arrays, expected_dtype, shapes

MODES = ("reflect", "mirror", "nearest", "constant", "wrap")
FIELD_DTYPES = REAL_DTYPES * 2 + NONNATIVE_DTYPES + BAD_DTYPES  # refused dtypes ~1 in 5


def _byte_order_ok(out, dtype, params, repro):
    """Non-native byte order: accepted (then checked by the caller) or refused saying so."""
    if np.dtype(dtype).isnative or out.ok:
        return True
    msg = str(out.raised)
    assert isinstance(out.raised, (TypeError, ValueError)) and ("byte order" in msg or "endian" in msg), (
        f"{repro}\n  a non-native byte order ({dtype}) must be accepted or refused naming the byte order; {out!r}")
    return False


def _check_complex(out, field, dtype, w, repro, ref_of, *, method=None):
    """Complex data (accepted since issue 12, conv@2aa3806): scipy.ndimage's complex answer, as re + i im.

    scipy.ndimage pads a complex field with ``cval + 0j``: the real part with cval, the imaginary part with
    0, hence ``ref_of(re, cval) + 1j ref_of(im, 0)``.  Finite fields only here (non-finite complex samples:
    tests/convolution/test_complex.py and test_nonfinite.py).
    """
    f = plain(field).astype(np.complex128)
    assume(np.isfinite(f).all())
    if not out.ok and method == "separable":
        return expect_error(out, ("separable", "kernel", "factor"), repro, types=(ValueError,))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.ndimage's complex answer; {out!r}")
    ref = ref_of(f.real, True) + 1j * ref_of(f.imag, False)
    want = np.dtype(np.complex64) if np.dtype(dtype) == np.complex64 else np.dtype(np.complex128)
    real = np.float32 if want == np.complex64 else np.float64
    # each part within conv_atol of its exact sum: 2x for the modulus of the complex error
    assert_close(out.value, ref, 2 * _refs.conv_atol(np.abs(f), np.abs(np.asarray(w)), real, n_fft=max(f.size, 2)),
                 repro, dtype=want)


def _check_engine(fn_name, field, dtype, kernel, mode, cval, method, nan_policy, correlate):
    fn = getattr(convolution, fn_name)
    kw = dict(mode=mode, cval=cval, method=method, nan_policy=nan_policy)
    repro = repro_call(f"fieldconv.convolution.{fn_name}", field, kernel, **kw)
    out = outcome(fn, field, kernel, **kw)
    if np.dtype(dtype).kind not in "biufc":
        return expect_error(out, "field", repro, types=(TypeError,))
    if not _byte_order_ok(out, dtype, "field", repro):
        return
    if np.dtype(dtype).kind == "c":
        assume(np.isfinite(cval))
        return _check_complex(out, field, dtype, kernel, repro, method=method, ref_of=lambda g, re: _refs.ndi_convolve(
            g, kernel, mode=mode, cval=cval if re else 0.0, correlate=correlate))
    f = plain(field).astype(np.float64)
    has_nan = bool(np.isnan(f).any())
    if has_nan and nan_policy == "raise":
        return expect_error(out, ("field", "NaN", "nan"), repro, types=(ValueError,))
    fft = method in ("fft", "overlap-add")
    assume(not (fft and open_finding("F2") and np.isinf(f).any()))  # F2: test_convolve_single_nonfinite_or_huge_sample
    if not out.ok and fft and (has_nan or not np.isfinite(f).all()):
        # documented: NaN with an FFT method under "propagate" raises (inf likewise may)
        return expect_error(out, ("field", "NaN", "non-finite", "nan"), repro, types=(ValueError,))
    if not out.ok and method == "separable":
        return expect_error(out, ("separable", "kernel", "factor"), repro, types=(ValueError,))
    ref = _refs.ndi_convolve(f, kernel, mode=mode, cval=cval, correlate=correlate)
    want = expected_dtype(dtype)
    atol = _refs.conv_atol(f, kernel, want, n_fft=max(f.size, 2))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.ndimage's answer; {out!r}")
    assert_close(out.value, ref, atol, repro, dtype=want)


@covers("convolution.convolve", "convolution.correlate")
@hsettings(60)
@given(
    data=arrays(shapes(1, 2, 1, 9), dtypes=FIELD_DTYPES, specials=0.3),
    kshape=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
    kseed=st.integers(0, 2**16),
    mode=st.sampled_from(MODES),
    cval=st.sampled_from([0.0, 1.5, np.nan, np.inf]),
    method=st.sampled_from(["auto", "direct", "separable", "fft", "overlap-add"]),
    nan_policy=st.sampled_from(["propagate", "raise"]),
    correlate=st.booleans(),
)
def test_convolve_matches_ndimage_or_raises(data, kshape, kseed, mode, cval, method, nan_policy, correlate):
    field, dtype = data
    ndim = np.ndim(field)
    kernel = np.random.default_rng(kseed).integers(-3, 4, size=(kshape + (1, 1))[:ndim]).astype(float)
    if kernel.ndim < ndim:
        kernel = kernel.reshape(kernel.shape + (1,) * (ndim - kernel.ndim))
    if not kernel.any():
        kernel.flat[0] = 1.0
    if method == "separable" and ndim == 2:  # a rank-1 kernel: the outer product of its first column and row
        kernel = np.multiply.outer(kernel[:, 0], kernel[0, :]) if kernel[0, 0] else kernel + 1.0
    _check_engine("correlate" if correlate else "convolve", field, dtype, kernel, mode, cval, method, nan_policy, correlate)


@covers("convolution.convolve")
@pytest.mark.parametrize(
    "method,special",
    [(m, s) for m in ("direct", "separable") for s in (np.inf, -np.inf, 1e300)]
    + [pytest.param(m, s, marks=xfail_open("F2")) for m in ("fft", "overlap-add") for s in (np.inf, -np.inf)]
    + [(m, 1e300) for m in ("fft", "overlap-add")],
)
def test_convolve_single_nonfinite_or_huge_sample(method, special):
    # the case, small: one +inf in a field gives inf where scipy.ndimage does, NaN nowhere
    f = np.zeros((24, 24))
    f[10, 12] = special
    w = np.ones((5, 5))
    repro = f"f = np.zeros((24, 24)); f[10, 12] = {special!r}; fieldconv.convolve(f, np.ones((5, 5)), method={method!r})"
    out = outcome(convolution.convolve, f, w, method=method)
    if not out.ok:
        return expect_error(out, ("field", "non-finite", "inf"), repro, types=(ValueError,))
    assert_close(out.value, _refs.ndi_convolve(f, w), _refs.conv_atol(f, w, np.float64, f.size), repro,
                 dtype=np.float64)


@covers("convolution.convolve1d", "convolution.correlate1d")
@hsettings(50)
@given(
    data=arrays(shapes(1, 3, 1, 9), dtypes=FIELD_DTYPES, specials=0.3),
    taps=st.integers(1, 6),
    kseed=st.integers(0, 2**16),
    axis=st.one_of(st.integers(-1, 0), st.integers(-4, 3)),
    mode=st.sampled_from(MODES),
    cval=st.sampled_from([0.0, -2.5, np.nan]),
    origin=st.one_of(st.just(0), st.integers(-1, 1), st.integers(-4, 4)),
    correlate=st.booleans(),
)
def test_oned_matches_ndimage_or_raises(data, taps, kseed, axis, mode, cval, origin, correlate):
    field, dtype = data
    w = np.random.default_rng(kseed).integers(-3, 4, size=taps).astype(float)
    name = "correlate1d" if correlate else "convolve1d"
    kw = dict(axis=axis, mode=mode, cval=cval, origin=origin)
    repro = repro_call(f"fieldconv.convolution.{name}", field, w, **kw)
    out = outcome(getattr(convolution, name), field, w, **kw)
    ndim = np.ndim(field)
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biufc"), ("axis", not -ndim <= axis < ndim),
                              ("origin", not -(taps // 2) <= origin <= (taps - 1) // 2)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    if not _byte_order_ok(out, dtype, "field", repro):
        return
    if np.dtype(dtype).kind == "c":
        assume(np.isfinite(cval))
        return _check_complex(out, field, dtype, w, repro, ref_of=lambda g, re: _refs.ndi_1d(
            g, w, axis, mode=mode, cval=cval if re else 0.0, origin=origin, correlate=correlate))
    f = plain(field).astype(np.float64)
    ref = _refs.ndi_1d(f, w, axis, mode=mode, cval=cval, origin=origin, correlate=correlate)
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.ndimage's answer; {out!r}")
    assert_close(out.value, ref, _refs.conv_atol(f, w, want), repro, dtype=want)


@covers("convolution.convolve", "convolution.correlate", "convolution.convolve1d", "convolution.correlate1d")
@hsettings(30)
@given(
    kdata=arrays(shapes(1, 2, 0, 4), dtypes=REAL_DTYPES + BAD_DTYPES, specials=0.3,
                 layouts=("C", "F", "reversed", "readonly", "list")),
    oned=st.booleans(),
)
def test_adversarial_kernels(kdata, oned):
    # the weights themselves: empty, 0-d-like, NaN/inf, object -> an error naming kernel/weights; complex
    # weights are accepted since issue 12 (conv@2aa3806): scipy.ndimage's complex answer
    kernel, dtype = kdata
    field = np.arange(30.0).reshape(5, 6)
    k = plain(kernel)
    if oned:
        fn, name, pname = convolution.convolve1d, "convolve1d", "weights"
    else:
        fn, name, pname = convolution.convolve, "convolve", "kernel"
    repro = repro_call(f"fieldconv.convolution.{name}", field, kernel)
    out = outcome(fn, field, kernel)
    bad = (np.dtype(dtype).kind not in "biufc" or k.size == 0 or (oned and k.ndim != 1) or (not oned and k.ndim > 2)
           or (k.dtype.kind in "fc" and not np.isfinite(k).all()))
    if bad:
        return expect_error(out, (pname, "kernel", "weights"), repro)
    if not oned and k.ndim < 2:
        if not out.ok:  # a 1-D kernel on a 2-D field without axes: documented ValueError
            return expect_error(out, (pname, "kernel", "axes"), repro, types=(ValueError,))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.ndimage's answer; {out!r}")
    kf = k.astype(np.complex128 if k.dtype.kind == "c" else np.float64)
    if oned:
        ref = ndi.convolve1d(field, kf, axis=-1, mode="reflect")
    else:
        ref = ndi.convolve(field, kf.reshape(kf.shape + (1,) * (2 - kf.ndim)) if kf.ndim < 2 else kf, mode="reflect")
    assert_close(out.value, ref, 2 * _refs.conv_atol(field, np.abs(kf), np.float64, field.size), repro,
                 dtype=ref.dtype)


@covers("convolution.convolve")
@hsettings(30)
@given(
    data=arrays(shapes(2, 2, 1, 7), dtypes=("float64", "float32", "int16"), specials=0.2, layouts=("C", "F", "strided")),
    output=st.sampled_from(["float64", "float32", "float16", "int32", "int16", "uint8"]),
    scale=st.sampled_from([1.0, 1e3, 1e5, 1e40]),
)
def test_output_dtype_rounds_or_raises(data, output, scale):
    # output=: a float result that overflows the output dtype, NaN into an integer, or a value out of
    # range must raise (naming output), never come back as inf or wrapped around
    field, _ = data
    f = plain(field).astype(np.float64) * scale
    w = np.array([[1.0, 2.0], [3.0, 1.0]])
    repro = repro_call("fieldconv.convolve", f, w, output=output)
    out = outcome(convolution.convolve, f, w, output=output)
    ref = _refs.ndi_convolve(f, w)
    odt = np.dtype(output)
    if odt.kind in "iu":
        info = np.iinfo(odt)
        fits = np.isfinite(ref).all() and (np.round(ref) >= info.min).all() and (np.round(ref) <= info.max).all()
        if not fits:
            return expect_error(out, "output", repro, types=(ValueError,))
        if not out.ok:
            raise AssertionError(f"{repro}\n  expected the rounded reference; {out!r}")
        assert_close(out.value, np.round(ref), 0.0, repro, dtype=odt)
        return
    with np.errstate(over="ignore"):
        overflows = (np.isfinite(ref) & ~np.isfinite(ref.astype(odt))).any()
    assume(not (overflows and open_finding("F3")))  # F3: test_output_float_overflow
    if overflows:
        return expect_error(out, "output", repro, types=(ValueError,))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the reference in {odt}; {out!r}")
    tol = _refs.conv_atol(f, w, np.float64, f.size) + 2 * float(np.finfo(odt).eps) * float(np.nanmax(np.abs(np.where(np.isfinite(ref), ref, 0)), initial=0))
    assert_close(out.value, ref, tol, repro, dtype=odt)


@covers("convolution.convolve")
@xfail_open("F3")
@pytest.mark.parametrize("output,value", [("float16", 7e4), ("float32", 1e39)], ids=["float16", "float32"])
def test_output_float_overflow(output, value):
    # a finite result that the float output dtype cannot hold: an error naming output (as for integers)
    with pytest.raises(ValueError, match="output"):
        convolution.convolve(np.array([[value]]), np.array([[1.0]]), output=output)


@covers("convolution.convolve")
@hsettings(20)
@given(
    data=arrays(shapes(2, 2, 1, 6), dtypes=("float64", "float32"), layouts=("C", "F", "strided")),
    out_kind=st.sampled_from(["alias", "wrong_dtype", "wrong_shape", "readonly", "strided", "fortran", "ok"]),
)
def test_out_argument(data, out_kind):
    # out=: the field itself (in place), wrong dtype/shape, read-only, strided or Fortran output arrays
    field, dtype = data
    field = np.array(field)  # writeable
    f0 = field.astype(np.float64)
    w = np.array([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]])
    want = expected_dtype(dtype)
    if out_kind == "alias":
        out_arr = field if field.dtype == want else np.zeros(field.shape, want)
    elif out_kind == "wrong_dtype":
        out_arr = np.zeros(field.shape, np.float32 if want == np.float64 else np.float64)
    elif out_kind == "wrong_shape":
        out_arr = np.zeros(field.shape[::-1] + (1,), want)
    elif out_kind == "readonly":
        out_arr = np.zeros(field.shape, want)
        out_arr.setflags(write=False)
    elif out_kind == "strided":
        out_arr = np.zeros((2 * field.shape[0], field.shape[1]), want)[::2]
    elif out_kind == "fortran":
        out_arr = np.zeros(field.shape, want, order="F")
    else:
        out_arr = np.zeros(field.shape, want)
    repro = f"out = {out_kind} array; " + repro_call("fieldconv.convolve", field, w, out="out")
    res = outcome(convolution.convolve, field, w, out=out_arr)
    if out_kind in ("wrong_dtype", "wrong_shape", "readonly"):
        return expect_error(res, "out", repro)
    if not res.ok:  # a layout the engine cannot write into must be refused naming out
        return expect_error(res, "out", repro)
    ref = _refs.ndi_convolve(f0, w)
    assert res.value is out_arr, f"{repro}\n  out= given: the result must be out itself"
    assert_close(out_arr, ref, _refs.conv_atol(f0, w, want, f0.size), repro, dtype=want)


@covers("convolution.median_filter", "filters.median_filter")
@hsettings(40)
@given(
    data=arrays(shapes(1, 3, 0, 8), dtypes=FIELD_DTYPES, specials=0.3),
    size=st.one_of(st.integers(-1, 5), st.lists(st.integers(0, 4), min_size=1, max_size=3).map(tuple)),
    mode=st.sampled_from(MODES),
    cval=st.sampled_from([0.0, 3.0, np.nan]),
    which=st.sampled_from(["convolution", "filters"]),
)
def test_median_matches_ndimage_or_raises(data, size, mode, cval, which):
    field, dtype = data
    mod = convolution if which == "convolution" else __import__("fieldconv.filters", fromlist=["x"])
    repro = repro_call(f"fieldconv.{which}.median_filter", field, size, mode=mode, cval=cval)
    out = outcome(mod.median_filter, field, size, mode=mode, cval=cval)
    ndim = np.ndim(field)
    sizes = (size,) * ndim if isinstance(size, int) else size
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf"),
                              ("size", len(sizes) != ndim or min(sizes, default=1) < 1)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    if not _byte_order_ok(out, dtype, "field", repro):
        return
    f = plain(field).astype(np.float64)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.ndimage.median_filter's answer; {out!r}")
    want = expected_dtype(dtype)
    ref = ndi.median_filter(f.astype(want), size=sizes, mode=mode, cval=cval)
    # a median selects one input sample: exact after the cast to the working dtype
    assert_close(out.value, ref.astype(want), 0.0, repro, dtype=want)
