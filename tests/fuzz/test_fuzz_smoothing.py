"""Fuzz: Savitzky-Golay (coefficients, kernels, 1-D / NaN-aware / non-uniform / 2-D filters, responses,
window choice) against scipy.signal and exact least-squares fits on small windows.

Huge windows crashed the interpreter inside numpy.linalg.lstsq (issue 11): they run in a
child process with a memory limit.
"""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal as ss
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldconv import kernels, smoothing

from ._contract import assert_close, covers, expect_error, hsettings, outcome, plain, repro_call
from ._findings import open_finding, xfail_open
from ._runner import Case, failures, run_cases
from ._strategies import BAD_DTYPES, NONNATIVE_DTYPES, REAL_DTYPES, arrays, expected_dtype, mostly

SG_DTYPES = REAL_DTYPES * 2 + NONNATIVE_DTYPES + BAD_DTYPES
_INTS = st.one_of(st.integers(-2, 9), st.sampled_from([2.5, True, "5", np.int64(5)]))
_WL = mostly(st.integers(3, 9), _INTS)
_PO = mostly(st.integers(0, 2), _INTS)


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _coef_tol(c, wl, po, pos):
    # scipy and fieldconv solve the same small least-squares problem by different factorisations: they agree
    # to ~ cond(V) eps |c|, V the Vandermonde matrix of the window about pos; factor 64 for the two solvers
    ctr = (wl - 1) / 2 if pos is None else pos
    cond = np.linalg.cond(np.vander(np.arange(wl) - ctr, po + 1, increasing=True))
    return 64 * cond * 2.0**-52 * max(1.0, float(np.abs(c).max()))


@covers("smoothing.savgol_coeffs", "smoothing.savgol_kernel", "kernels.savgol", "smoothing.savgol_noise_gain",
        "smoothing.savgol_frequency_response")
@hsettings(80)
@given(wl=_WL, po=_PO, deriv=mostly(st.integers(0, 4), st.sampled_from([-1, 1.5])),
       delta=mostly(st.sampled_from([1.0, 0.5, -2.0]), st.sampled_from([0.0, np.nan])),
       pos=mostly(st.sampled_from([None, 0, 2]), st.sampled_from([3.5, -1, 9])),
       use=mostly(st.sampled_from(["conv", "dot"]), st.just("both")), which=st.sampled_from(["coeffs", "kernel", "kernels", "gain", "freq"]))
def test_savgol_coefficients_match_scipy(wl, po, deriv, delta, pos, use, which):
    kw = dict(deriv=deriv, delta=delta, pos=pos)
    if which == "coeffs":
        fn, name = smoothing.savgol_coeffs, "savgol_coeffs"
        kw["use"] = use
    elif which == "kernel":
        fn, name = smoothing.savgol_kernel, "savgol_kernel"
    elif which == "kernels":
        fn, name = kernels.savgol, "kernels.savgol"
    elif which == "gain":
        fn, name = smoothing.savgol_noise_gain, "savgol_noise_gain"
    else:
        fn, name = smoothing.savgol_frequency_response, "savgol_frequency_response"
        kw.pop("pos")
        pos = None
        kw["n"] = 16
    repro = repro_call(f"fieldconv.smoothing.{name}", wl, po, **kw)
    out = outcome(fn, wl, po, **kw)
    int_pos_needed = which in ("kernel", "kernels")
    wrong = [p for p, bad in (
        ("window_length", not _is_int(wl) or (_is_int(wl) and wl < 1)),
        ("polyorder", not _is_int(po) or (_is_int(po) and (po < 0 or (_is_int(wl) and po >= wl)))),
        ("deriv", not _is_int(deriv) or deriv < 0),
        ("delta", not (np.isfinite(delta) and delta != 0)),
        ("pos", "pos" in kw and pos is not None and (_is_int(wl) and not 0 <= pos < wl or
                                                    int_pos_needed and not _is_int(pos))),
        ("use", which == "coeffs" and use not in ("conv", "dot"))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    ref = ss.savgol_coeffs(wl, po, deriv=deriv, delta=delta, pos=pos, use=use if which == "coeffs" else "conv")
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.signal.savgol_coeffs' answer; {out!r}")
    tol = _coef_tol(ref, wl, po, pos)
    if which == "coeffs":
        assert_close(out.value, ref, tol, repro, dtype=np.float64)
    elif which in ("kernel", "kernels"):
        k = out.value
        assert isinstance(k, kernels.Kernel), repro
        assert_close(k.weights, ref, tol, repro, what="weights")
        # origin: window_length - 1 - pos, window_length // 2 by default
        want_origin = (wl // 2,) if pos is None else (wl - 1 - pos,)
        assert k.origin == want_origin, f"{repro}\n  origin {k.origin}, want {want_origin}"
    elif which == "gain":
        assert abs(float(out.value) - float((ref**2).sum())) <= tol * float(np.abs(ref).sum()), repro
    else:
        freq, H = out.value
        ctr = (wl - 1) / 2
        f_ref = np.linspace(0, 1 / (2 * abs(delta)), 16)
        j = np.arange(wl)
        # H(f) = sum_j c_conv[j] exp(-2 pi i f (j - pos) delta)
        H_ref = (ref[None, :] * np.exp(-2j * np.pi * f_ref[:, None] * (j[None, :] - ctr) * delta)).sum(axis=1)
        assert_close(freq, f_ref, 8 * 2.0**-52 * f_ref.max(), repro, what="freq")
        assert_close(H, H_ref, tol * wl, repro, what="H")


def _interp_nan_pattern(x, wl, axis):
    """NaN pattern of a Savitzky-Golay filter with mode="interp" on data with NaN (deriv=0).

    Interior outputs see the wl samples around them; the first/last wl//2 outputs come from the
    polynomial fitted to the first/last window, NaN if that window holds a NaN.
    """
    x = np.moveaxis(np.asarray(x, float), axis, -1)
    n = x.shape[-1]
    h = wl // 2
    nan = np.isnan(x)
    out = np.zeros_like(nan)
    for i in range(n):
        lo, hi = (0, wl) if i < h else ((n - wl, n) if i >= n - (wl - 1 - h) else (i - h, i - h + wl))
        out[..., i] = nan[..., lo:hi].any(axis=-1)
    return np.moveaxis(out, -1, axis)


@covers("smoothing.savgol_filter")
@hsettings(60)
@given(xdata=arrays(st.lists(st.integers(0, 12), min_size=0, max_size=3).map(tuple), dtypes=SG_DTYPES, specials=0.15),
       wl=mostly(st.integers(1, 7), st.sampled_from([0, 2.5, 40])), po=st.integers(0, 4), deriv=st.integers(0, 2),
       mode=mostly(st.sampled_from(["interp", "mirror", "nearest", "constant", "wrap"]), st.just("reflect")),
       axis=mostly(st.sampled_from([-1, 0]), st.sampled_from([1, 3])), delta=st.sampled_from([1.0, 0.5]))
def test_savgol_filter_matches_scipy(xdata, wl, po, deriv, mode, axis, delta):
    x, dtype = xdata
    nd = np.ndim(x)
    kw = dict(deriv=deriv, delta=delta, axis=axis, mode=mode)
    repro = repro_call("fieldconv.smoothing.savgol_filter", x, wl, po, **kw)
    out = outcome(smoothing.savgol_filter, x, wl, po, **kw)
    n_axis = np.shape(x)[axis] if nd and -nd <= axis < nd else None
    wrong = [p for p, bad in (("x", np.dtype(dtype).kind not in "biuf" or nd == 0), ("axis", n_axis is None and nd > 0),
                              ("window_length", not _is_int(wl) or wl < 1 or (mode == "interp" and n_axis is not None
                                                                             and wl > n_axis)),
                              ("polyorder", _is_int(wl) and po >= wl), ("mode", mode not in smoothing.SAVGOL_MODES)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    xf = plain(x).astype(np.float64)
    has_nan = bool(np.isnan(xf).any())
    assume(not has_nan or deriv == 0)  # a derivative's exactly-zero tap would read a NaN scipy's filter also reads
    if not np.isfinite(xf).all() and not np.isnan(xf).any():
        pass
    want = expected_dtype(dtype)
    if xf.size == 0:
        if not out.ok:
            return expect_error(out, ("x", "window_length", "empty"), repro, types=(ValueError,))
        return assert_close(out.value, xf, 0, repro, dtype=want)
    finite = np.where(np.isfinite(xf), xf, 0.0)
    ref = ss.savgol_filter(finite, wl, po, deriv=deriv, delta=delta, axis=axis, mode=mode)
    if not np.isfinite(xf).all():
        if mode == "interp":
            pattern = _interp_nan_pattern(np.where(np.isfinite(xf), xf, np.nan), wl, axis)
        else:
            c = ss.savgol_coeffs(wl, po, deriv=deriv, delta=delta)
            bad = ndi.convolve1d(np.where(np.isfinite(xf), 0.0, 1.0), np.ones_like(c), axis=axis,
                                 mode={"mirror": "mirror", "nearest": "nearest", "constant": "constant",
                                       "wrap": "wrap"}[mode], cval=0.0, origin=0 if wl % 2 else -1) > 0
            pattern = bad
        assume(np.isnan(xf).all() or not np.isinf(xf).any())  # inf: +inf/-inf/NaN by sign (scipy's pattern is finer)
        ref = np.where(pattern, np.nan, ref)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected scipy.signal.savgol_filter's answer; {out!r}")
    c = ss.savgol_coeffs(wl, po, deriv=deriv, delta=delta)
    # K products in the working dtype, the edge polynomial fits (cond ~ 1e3 for these windows), and the two
    # libraries' coefficients, which agree to _coef_tol each: wl of them
    atol = (4 * (wl + 8) * float(np.finfo(want).eps) * float(np.abs(c).sum()) + 1e3 * 2.0**-52 * 2 ** deriv
            + wl * _coef_tol(c, wl, min(po, wl - 1), None)) * float(np.abs(finite).max(initial=0.0))
    if want == np.float32:
        atol += 1e3 * 2.0**-23 * float(np.abs(finite).max(initial=0.0)) * (1 if mode != "interp" else 1)
    assert_close(out.value, ref, atol, repro, dtype=want)


def _lsq_at(xs, ys, x0, po, deriv):
    """Value (deriv 0) or derivative at x0 of the least-squares polynomial of degree po through (xs, ys)."""
    t = np.asarray(xs, float) - x0
    V = np.vander(t, po + 1, increasing=True)
    coef = np.linalg.lstsq(V, np.asarray(ys, float), rcond=None)[0]
    return coef[deriv] * math.factorial(deriv) if deriv <= po else 0.0


@covers("smoothing.savgol_filter_nan")
@hsettings(40)
@given(seed=st.integers(0, 2**16), n=st.integers(5, 14), wl=mostly(st.sampled_from([3, 5]), st.sampled_from([4, 15])),
       po=st.integers(0, 3),
       deriv=st.integers(0, 2), fill=st.booleans(), nan_count=st.integers(0, 4), single=st.booleans())
def test_savgol_filter_nan_is_a_local_fit_of_the_valid_samples(seed, n, wl, po, deriv, fill, nan_count, single):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    x[rng.choice(n, size=min(nan_count, n), replace=False)] = np.nan
    x = x.astype(np.float32 if single else np.float64)
    repro = repro_call("fieldconv.smoothing.savgol_filter_nan", x, wl, po, deriv=deriv, fill=fill)
    out = outcome(smoothing.savgol_filter_nan, x, wl, po, deriv=deriv, fill=fill)
    wrong = [p for p, bad in (("window_length", wl % 2 == 0 or wl > n), ("polyorder", po >= wl)) if bad]
    if wrong:
        return expect_error(out, wrong, repro, types=(ValueError,))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the local fits; {out!r}")
    got = out.value
    assert got.dtype == (np.float32 if single else np.float64), repro
    h = wl // 2
    xf = x.astype(np.float64)
    for i in range(h, n - h):  # interior: the centred window
        idx = np.arange(i - h, i + h + 1)
        ok = idx[np.isfinite(xf[idx])]
        if np.isnan(xf[i]) and not fill or len(ok) < po + 1:
            # (a derivative above polyorder is 0 by scipy's rule; with too few samples NaN is as right)
            assert np.isnan(got[i]) or (deriv > po and got[i] == 0), \
                f"{repro}\n  output {i}: want NaN (no fill / fewer than polyorder+1 samples)"
            continue
        ref = _lsq_at(ok, xf[ok], float(i), po, deriv)
        # a least-squares fit on <= 7 points: cond(V) <= ~1e3, in the working precision
        tol = 1e3 * float(np.finfo(np.float32 if single else np.float64).eps) * max(1.0, float(np.abs(xf[ok]).max()))
        assert abs(float(got[i]) - ref) <= tol, f"{repro}\n  output {i}: {got[i]} vs local fit {ref}"


@covers("smoothing.savgol_filter_nonuniform")
@hsettings(40)
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), wl=mostly(st.sampled_from([3, 5]), st.sampled_from([4, 13])),
       po=st.integers(0, 3), deriv=st.integers(0, 2),
       xkind=mostly(st.sampled_from(["increasing", "decreasing"]), st.sampled_from(["repeated", "nan", "shuffled", "short"])),
       ydtype=mostly(st.sampled_from(["float64", "float32", "int16"]), st.just("complex128")))
def test_savgol_nonuniform_is_a_local_fit(seed, n, wl, po, deriv, xkind, ydtype):
    rng = np.random.default_rng(seed)
    xv = np.cumsum(rng.uniform(0.3, 2.0, n))
    if xkind == "decreasing":
        xv = xv[::-1].copy()
    elif xkind == "repeated" and n > 1:
        xv[1] = xv[0]
    elif xkind == "nan":
        xv[rng.integers(0, n)] = np.nan
    elif xkind == "shuffled" and n > 2:
        xv[[0, 1]] = xv[[1, 0]]
    elif xkind == "short":
        xv = xv[:-1]
    y = (rng.standard_normal(n) * 4).astype(ydtype)
    assume(not (open_finding("F22") and deriv > po))  # F22: test_nonuniform_derivative_above_polyorder
    repro = repro_call("fieldconv.smoothing.savgol_filter_nonuniform", xv, y, wl, po, deriv=deriv)
    out = outcome(smoothing.savgol_filter_nonuniform, xv, y, wl, po, deriv=deriv)
    bad_x = xkind in ("nan", "short") or (xkind == "repeated" and n > 1) or (xkind == "shuffled" and n > 2)
    wrong = [p for p, bad in (("x_values", bad_x), ("y", ydtype == "complex128"),
                              ("window_length", wl % 2 == 0 or wl > n), ("polyorder", po >= wl)) if bad]
    if wrong:
        return expect_error(out, wrong + ["x"], repro)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the local fits; {out!r}")
    got = out.value
    want = expected_dtype(ydtype)
    assert got.dtype == want, repro
    h = wl // 2
    yf = y.astype(np.float64)
    for i in range(h, n - h):
        idx = np.arange(i - h, i + h + 1)
        ref = _lsq_at(xv[idx], yf[idx], xv[i], po, deriv)
        span = float(np.ptp(xv[idx]))
        # cond of the local Vandermonde in t = x - x_i, scaled to the window: ~ (2 / min spacing)^po, 1e4 margin
        tol = 1e4 * float(np.finfo(want).eps) * max(1.0, float(np.abs(yf[idx]).max())) / max(span / wl, 1e-3) ** deriv
        assert abs(float(got[i]) - ref) <= tol * 10 ** po, f"{repro}\n  output {i}: {got[i]} vs local fit {ref}"


@covers("smoothing.savgol_filter_nonuniform")
@xfail_open("F22")
@pytest.mark.parametrize("po,deriv", [(0, 1), (1, 2), (2, 3)])
def test_nonuniform_derivative_above_polyorder(po, deriv):
    # scipy's rule, which savgol_filter and savgol_filter_nan follow: deriv > polyorder gives zeros
    x = np.arange(9.0) ** 1.5
    y = np.arange(9.0) ** 2
    np.testing.assert_array_equal(smoothing.savgol_filter_nonuniform(x, y, 5, po, deriv=deriv), np.zeros(9))


def _sg2d_ref(wl, po, deriv, delta):
    w0 = w1 = wl
    h0, h1 = w0 // 2, w1 // 2
    u, v = np.meshgrid(np.arange(-h0, h0 + 1) * delta, np.arange(-h1, h1 + 1) * delta, indexing="ij")
    terms = [(a, b) for a in range(po + 1) for b in range(po + 1 - a)]
    A = np.stack([u.ravel() ** a * v.ravel() ** b for a, b in terms], axis=1)
    pinv = np.linalg.pinv(A)
    d0, d1 = deriv
    if (d0, d1) not in terms:
        return np.zeros((w0, w1))
    row = pinv[terms.index((d0, d1))] * math.factorial(d0) * math.factorial(d1)
    return row.reshape(w0, w1)


@covers("smoothing.savgol_coeffs_2d", "smoothing.savgol_filter_2d")
@hsettings(40)
@given(fdata=arrays(st.lists(st.integers(0, 8), min_size=1, max_size=3).map(tuple), dtypes=SG_DTYPES, specials=0.1),
       wl=mostly(st.sampled_from([3, 5]), st.sampled_from([1, 4, 0])), po=st.integers(0, 3),
       deriv=mostly(st.sampled_from([(0, 0), (1, 0), (0, 1), (1, 1)]), st.just((-1, 0))),
       delta=st.sampled_from([1.0, 0.5]),
       mode=mostly(st.sampled_from(["mirror", "reflect", "nearest", "constant", "wrap"]), st.just("interp")),
       filt=st.booleans())
def test_savgol_2d_matches_least_squares(fdata, wl, po, deriv, delta, mode, filt):
    field, dtype = fdata
    nd = np.ndim(field)
    npoints = wl * wl
    nterms = (po + 1) * (po + 2) // 2
    bad_coef = [p for p, bad in (("window_length", wl < 1 or wl % 2 == 0 or npoints < nterms),
                                 ("deriv", min(deriv) < 0), ("polyorder", npoints < nterms)) if bad]
    if not filt:
        repro = repro_call("fieldconv.smoothing.savgol_coeffs_2d", wl, po, deriv=deriv, delta=delta)
        out = outcome(smoothing.savgol_coeffs_2d, wl, po, deriv=deriv, delta=delta)
        if bad_coef:  # ("window shape (1, 1) is too small for ...": the window, named)
            return expect_error(out, bad_coef + ["window"], repro, types=(ValueError,))
        if not out.ok:
            raise AssertionError(f"{repro}\n  expected the least-squares weights; {out!r}")
        ref = _sg2d_ref(wl, po, deriv, delta)
        return assert_close(out.value, ref, 1e4 * 2.0**-52 * max(1, float(np.abs(ref).max())), repro, dtype=np.float64)
    repro = repro_call("fieldconv.smoothing.savgol_filter_2d", field, wl, po, deriv=deriv, delta=delta, mode=mode)
    out = outcome(smoothing.savgol_filter_2d, field, wl, po, deriv=deriv, delta=delta, mode=mode)
    wrong = bad_coef + [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf" or nd < 2),
                                         ("mode", mode not in ("mirror", "reflect", "nearest", "constant", "wrap"))) if bad]
    if wrong:
        return expect_error(out, wrong + ["axes", "window"], repro)
    f = plain(field).astype(np.float64)
    assume(np.isfinite(f).all())
    w = _sg2d_ref(wl, po, deriv, delta)
    ref = np.empty_like(f)
    for idx in np.ndindex(*f.shape[:-2]):
        ref[idx] = ndi.correlate(f[idx], w, mode=mode)
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the 2-D correlation; {out!r}")
    atol = (4 * (npoints + 8) * float(np.finfo(want).eps) * float(np.abs(w).sum()) + 1e4 * 2.0**-52) \
        * float(np.abs(f).max(initial=0.0)) * (1 + 1e3 * (want == np.float32) * 0)
    assert_close(out.value, ref, atol, repro, dtype=want)


@covers("smoothing.window_length_from_width", "smoothing.suggest_window")
@hsettings(40)
@given(width=mostly(st.sampled_from([4.0, 0.3, 17.5]), st.sampled_from([0.0, -3.0, np.nan, np.inf, "4"])),
       spacing=mostly(st.sampled_from([1.0, -0.5, 0.25]), st.sampled_from([0.0, np.nan])),
       resolution=mostly(st.sampled_from([None, 2.0]), st.sampled_from([0.0, -1.0])),
       po=mostly(st.integers(0, 5), st.just(-1)), suggest=st.booleans())
def test_window_choice(width, spacing, resolution, po, suggest):
    ok_num = lambda v: isinstance(v, float) and np.isfinite(v)  # noqa: E731
    if not suggest:
        repro = repro_call("fieldconv.smoothing.window_length_from_width", width, spacing)
        out = outcome(smoothing.window_length_from_width, width, spacing)
        wrong = [p for p, bad in (("width", not (ok_num(width) and width > 0)),
                                  ("spacing", not (ok_num(spacing) and spacing != 0))) if bad]
        if wrong:
            return expect_error(out, wrong, repro)
        ref = 2 * round(width / (2 * abs(spacing))) + 1
        assert out.ok and out.value == ref and isinstance(out.value, int), f"{repro}: {out!r}, want {ref}"
        return
    kw = dict(spacing=spacing, resolution=resolution, polyorder=po)
    fwhm = width
    repro = repro_call("fieldconv.smoothing.suggest_window", fwhm, **kw)
    out = outcome(smoothing.suggest_window, fwhm, **kw)
    wrong = [p for p, bad in (("fwhm", not (ok_num(fwhm) and fwhm > 0)),
                              ("spacing", not (ok_num(spacing) and spacing != 0)),
                              ("resolution", resolution is not None and not resolution > 0),
                              ("polyorder", po < 0)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    assert out.ok, f"{repro}: {out!r}"
    wl = out.value
    assert isinstance(wl, int) and wl % 2 == 1 and wl >= po + 2, f"{repro}: {wl}"
    # a wider band never gets a narrower window
    wider = smoothing.suggest_window(2 * fwhm, **kw)
    assert wider >= wl, f"{repro}: window {wl} for fwhm {fwhm} but {wider} for {2 * fwhm}"


@covers("smoothing.savgol_coeffs")
@xfail_open("F21")
def test_huge_window_coeffs_in_child():
    # savgol_coeffs(6_000_001, 2) segfaults inside numpy.linalg.lstsq (issue 11): compute it (linear memory)
    # or refuse above a documented limit with an error naming window_length
    case = Case("coeffs-6e6", "c = fc.smoothing.savgol_coeffs(6_000_001, 2)\n"
                              "assert c.shape == (6_000_001,) and abs(c.sum() - 1) < 1e-6", params=("window_length",))
    report = failures(run_cases([case], timeout=120, memory_limit=2 * 2**30))
    assert not report, report


@covers("smoothing.savgol_filter")
@xfail_open("F21")
def test_savgol_filter_memory_linear_in_window():
    # savgol_filter(np.ones(100001), 100001, 2) passed 22 GB: the edge fits grow with the window squared.
    # Measured (tracemalloc, which sees NumPy's allocations): a 2001-sample window may use a few arrays of
    # the window's size, 256 * w * 8 bytes, not w**2 * 8 (32 MB); or refuse with an error naming window_length.
    import tracemalloc

    w = 2001
    x = np.ones(2 * w)
    tracemalloc.start()
    try:
        out = outcome(smoothing.savgol_filter, x, w, 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if not out.ok:
        return expect_error(out, "window_length", f"savgol_filter(np.ones({2 * w}), {w}, 2)", types=(ValueError,))
    np.testing.assert_allclose(out.value, 1.0, rtol=0, atol=1e-9)
    assert peak <= 256 * w * 8 + 4 * x.nbytes, f"savgol_filter(np.ones({2 * w}), {w}, 2) peaked at {peak / 2**20:.1f} MiB"
