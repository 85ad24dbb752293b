"""Fuzz: the Kernel type and the kernel library against their defining weights."""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import erf

from fieldconv import kernels

from . import _refs
from ._contract import assert_close, covers, expect_error, hsettings, outcome, plain, repro_call
from ._strategies import BAD_DTYPES, REAL_DTYPES, arrays, mostly


@covers("kernels.Kernel", "kernels.as_kernel")
@hsettings(60)
@given(wdata=arrays(st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple), dtypes=REAL_DTYPES * 2 + BAD_DTYPES,
                    specials=0.2),
       origin=mostly(st.sampled_from([None, 0, 1]), st.sampled_from([-1, 5, 1.5, "center", (0, 0, 0, 0), "0"])),
       spacing=mostly(st.sampled_from([None, 0.5, 2.0]), st.sampled_from([0.0, -1.0, np.nan])),
       via=st.sampled_from(["Kernel", "as_kernel"]))
def test_kernel_construction(wdata, origin, spacing, via):
    w, dtype = wdata
    arr = plain(w)
    if via == "Kernel":
        repro = repro_call("fieldconv.kernels.Kernel", w, origin=origin, spacing=spacing)
        out = outcome(kernels.Kernel, w, origin=origin, spacing=spacing)
    else:
        repro = repro_call("fieldconv.kernels.as_kernel", w, argname="weights_x")
        out = outcome(kernels.as_kernel, w, argname="weights_x")
        origin = spacing = None
    pname = "weights" if via == "Kernel" else "weights_x"
    nd = arr.ndim
    bad_w = np.dtype(dtype).kind not in "biuf" or arr.size == 0 or nd == 0 or \
        (arr.dtype.kind == "f" and not np.isfinite(arr).all())
    if isinstance(origin, (tuple, list)):
        bad_o = len(origin) != nd
    elif origin == "center":
        bad_o = any(n % 2 == 0 for n in arr.shape)
    elif origin is None:
        bad_o = False
    else:
        bad_o = not (isinstance(origin, int) and all(0 <= origin < n for n in arr.shape))
    wrong = [p for p, bad in ((pname, bad_w), ("origin", bad_o),
                              ("spacing", spacing is not None and not (np.isfinite(spacing) and spacing > 0))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected a Kernel; {out!r}")
    k = out.value
    assert k.weights.dtype == np.float64 and not k.weights.flags.writeable and k.weights.flags.c_contiguous, repro
    np.testing.assert_array_equal(k.weights, arr.astype(np.float64), err_msg=repro)
    want_origin = tuple(n // 2 for n in arr.shape) if origin in (None, "center") else (origin,) * nd
    assert k.origin == want_origin, f"{repro}\n  origin {k.origin}, want {want_origin}"
    if spacing is not None:
        assert k.spacing == (spacing,) * nd, repro
    assert kernels.as_kernel(k) is k


@covers("kernels.compose")
@hsettings(30)
@given(s1=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple),
       s2=st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple), seed=st.integers(0, 2**16),
       n=mostly(st.just(2), st.sampled_from([0, 1, 3])), spacing2=mostly(st.just(None), st.just(2.0)))
def test_compose_is_the_full_convolution(s1, s2, seed, n, spacing2):
    rng = np.random.default_rng(seed)
    k1 = kernels.Kernel(rng.integers(-3, 4, s1).astype(float) + 0.5, spacing=0.5 if seed % 2 else None)
    k2 = kernels.Kernel(rng.integers(-3, 4, s2).astype(float) + 0.5, spacing=spacing2)
    ks = ([k1, k2] + [k1] * max(n - 2, 0))[:n]
    repro = f"fieldconv.kernels.compose(*{n} kernels of shapes {[k.shape for k in ks]}, spacing {spacing2})"
    out = outcome(kernels.compose, *ks)
    # different spacings (0.5 and 2.0) cannot be composed; None (grid units) goes with anything
    clash = n >= 2 and spacing2 is not None and k1.spacing is not None
    if n == 0 or len({k.ndim for k in ks}) > 1 or clash:
        return expect_error(out, ("kernels", "ndim", "spacing", "kernel"), repro, types=(ValueError, TypeError))
    if n == 1:
        assert out.ok, f"{repro}: {out!r}"
        np.testing.assert_array_equal(out.value.weights, k1.weights)
        return
    from scipy.signal import convolve

    ref = k1.weights
    for k in ks[1:]:
        ref = convolve(ref, k.weights, mode="full", method="direct")
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the full convolution; {out!r}")
    assert_close(out.value.weights, ref, 0.0, repro)  # products of small half-integers: exact
    assert out.value.origin == tuple(sum(k.origin[a] for k in ks) for a in range(k1.ndim)), repro


@covers("kernels.box", "kernels.gaussian", "kernels.unsharp_mask")
@hsettings(40)
@given(sigma=mostly(st.sampled_from([0.3, 1.0, 2.5, (1.0, 0.5)]), st.sampled_from([0.0, -1.0, np.nan, np.inf])),
       truncate=mostly(st.sampled_from([4.0, 2.0, 1.0]), st.sampled_from([0.0, -1.0])),
       mode=mostly(st.sampled_from(["sample", "integrate"]), st.just("erf")),
       spacing=mostly(st.sampled_from([None, 0.5]), st.just(0.0)), amount=st.sampled_from([None, 0.0, 1.5, np.nan]),
       box=st.sampled_from([None, 1, 4, (3, 2), 0, -2]))
def test_smoothing_kernels(sigma, truncate, mode, spacing, amount, box):
    if box is not None:
        out = outcome(kernels.box, box)
        repro = repro_call("fieldconv.kernels.box", box)
        shape = (box,) if isinstance(box, int) else box
        if min(shape) < 1:
            return expect_error(out, ("shape", "size"), repro, types=(ValueError,))
        assert out.ok, f"{repro}: {out!r}"
        return assert_close(out.value.weights, np.full(shape, 1.0 / np.prod(shape)), 2.0**-52, repro)
    sig = sigma if isinstance(sigma, tuple) else (sigma,)
    kw = dict(truncate=truncate, mode=mode, spacing=spacing)
    if amount is None:
        fn, name, args = kernels.gaussian, "gaussian", (sigma,)
    else:
        fn, name, args = kernels.unsharp_mask, "unsharp_mask", (sigma, amount)
    repro = repro_call(f"fieldconv.kernels.{name}", *args, **kw)
    out = outcome(fn, *args, **kw)
    wrong = [p for p, bad in (("sigma", not all(np.isfinite(s) and s > 0 for s in sig)),
                              ("truncate", not truncate > 0), ("mode", mode not in ("sample", "integrate")),
                              ("spacing", spacing is not None and not spacing > 0),
                              ("amount", amount is not None and not np.isfinite(amount))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    h = 1.0 if spacing is None else spacing
    factors = []
    for s in sig:
        sg = s / h
        r = int(truncate * sg + 0.5)
        x = np.arange(-r, r + 1, dtype=float)
        if mode == "sample":
            g = np.exp(-(x**2) / (2 * sg**2))
        else:
            g = 0.5 * (erf((x + 0.5) / (math.sqrt(2) * sg)) - erf((x - 0.5) / (math.sqrt(2) * sg)))
        factors.append(g / math.fsum(g))
    ref = factors[0]
    for g in factors[1:]:
        ref = np.multiply.outer(ref, g)
    if amount is not None:
        delta = np.zeros_like(ref)
        delta[tuple(n // 2 for n in ref.shape)] = 1.0
        ref = delta + amount * (delta - ref)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the sampled/integrated Gaussian; {out!r}")
    assert_close(out.value.weights, ref, 16 * 2.0**-52 * max(1.0, abs(amount or 0) + 1), repro)


@covers("kernels.laplacian", "kernels.gradient", "kernels.directional_derivative")
@hsettings(40)
@given(ndim=mostly(st.integers(1, 3), st.sampled_from([0, -1, 2.5])), order=mostly(st.sampled_from([2, 4, 6]), st.just(3)),
       axis=mostly(st.integers(-1, 1), st.just(5)), spacing=mostly(st.sampled_from([1.0, 0.5, (0.5, 2.0, 1.0)]),
                                                                   st.sampled_from([0.0, -1.0])),
       which=st.sampled_from(["laplacian", "gradient", "directional"]),
       angle=mostly(st.sampled_from([0.0, 0.7, math.pi / 2]), st.sampled_from([np.nan, np.inf])))
def test_derivative_stencils(ndim, order, axis, spacing, which, angle):
    nd_ok = isinstance(ndim, int) and ndim >= 1
    h = np.broadcast_to(np.asarray(spacing, float), (3,))[: ndim if nd_ok else 0] if not isinstance(spacing, tuple) \
        else np.asarray(spacing[: ndim if nd_ok else 0])
    if which == "laplacian":
        repro = repro_call("fieldconv.kernels.laplacian", ndim, order=order, spacing=spacing)
        out = outcome(kernels.laplacian, ndim, order=order, spacing=spacing)
    elif which == "gradient":
        repro = repro_call("fieldconv.kernels.gradient", ndim, axis, order=order, spacing=spacing)
        out = outcome(kernels.gradient, ndim, axis, order=order, spacing=spacing)
    else:
        sp2 = spacing if not isinstance(spacing, tuple) else spacing[:2]
        repro = repro_call("fieldconv.kernels.directional_derivative", angle, order=order, spacing=sp2)
        out = outcome(kernels.directional_derivative, angle, order=order, spacing=sp2)
        ndim, nd_ok, h = 2, True, np.broadcast_to(np.asarray(sp2, float), (2,))
    bad_spacing = isinstance(spacing, float) and not spacing > 0 or \
        (isinstance(spacing, tuple) and nd_ok and len(spacing) != ndim and which == "laplacian")
    wrong = [p for p, bad in (("ndim", not nd_ok), ("order", order not in (2, 4, 6)), ("spacing", bad_spacing),
                              ("axis", which == "gradient" and nd_ok and not -ndim <= axis < ndim),
                              ("angle", which == "directional" and not np.isfinite(angle))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    r = order // 2
    if which == "laplacian":
        ref = np.zeros((2 * r + 1,) * ndim)
        for a in range(ndim):
            idx = [r] * ndim
            for m, c in enumerate(_refs.D2[order]):
                idx[a] = m
                ref[tuple(idx)] += c / h[a] ** 2
    else:
        comps = [(axis % ndim, 1.0)] if which == "gradient" else [(0, math.cos(angle)), (1, math.sin(angle))]
        shape = [1] * ndim if which == "gradient" else [2 * r + 1] * 2
        for a, _ in comps:
            shape[a] = 2 * r + 1
        ref = np.zeros(shape)
        for a, c_a in comps:
            idx = [s // 2 for s in shape]
            for m, c in enumerate(_refs.D1[order][::-1]):  # convolution order: convolve(f, K) = df/dx
                idx[a] = m
                ref[tuple(idx)] += c_a * c / h[a]
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the central-difference weights; {out!r}")
    assert_close(out.value.weights, ref, 8 * 2.0**-52 * float(np.abs(ref).max()), repro)


@covers("kernels.sobel", "kernels.prewitt", "kernels.scharr")
@hsettings(30)
@given(which=st.sampled_from(["sobel", "prewitt", "scharr"]), axis=mostly(st.integers(-2, 1), st.sampled_from([2, -3])),
       ndim=mostly(st.sampled_from([2, 3]), st.sampled_from([1, 0])), derivative=st.booleans(), seed=st.integers(0, 2**16))
def test_edge_kernels_match_ndimage(which, axis, ndim, derivative, seed):
    fn = getattr(kernels, which)
    repro = repro_call(f"fieldconv.kernels.{which}", axis, ndim=ndim, derivative=derivative)
    out = outcome(fn, axis, ndim=ndim, derivative=derivative)
    wrong = [p for p, bad in (("ndim", ndim < 2), ("axis", ndim >= 2 and not -ndim <= axis < ndim)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    smooth = {"sobel": [1.0, 2.0, 1.0], "prewitt": [1.0, 1.0, 1.0], "scharr": [3.0, 10.0, 3.0]}[which]
    ref = np.ones([1] * ndim)
    for a in range(ndim):
        v = np.array([1.0, 0.0, -1.0]) if a == axis % ndim else np.array(smooth)
        ref = ref * v.reshape([-1 if b == a else 1 for b in range(ndim)])
    if derivative:
        ref = ref / (2 * sum(smooth) ** (ndim - 1))
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the edge kernel; {out!r}")
    assert_close(out.value.weights, ref, 4 * 2.0**-52, repro)
    if which != "scharr" and not derivative:  # convolve(f, K) == scipy.ndimage.sobel/prewitt(f, axis)
        f = np.random.default_rng(seed).standard_normal((5,) * ndim)
        want = getattr(ndi, which)(f, axis=axis, mode="reflect")
        got = ndi.convolve(f, out.value.weights, mode="reflect")
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * float(np.abs(f).max()) * 16, err_msg=repro)


@covers("kernels.assignment_window")
@hsettings(40)
@given(scheme=mostly(st.sampled_from(["ngp", "cic", "tsc", "pcs"]), st.just("quartic")),
       ndim=mostly(st.integers(1, 3), st.just(0)),
       offset=mostly(st.sampled_from([0.0, 0.25, -0.5, -0.3, 0.49]), st.sampled_from([0.5, -0.6, np.nan])))
def test_assignment_window_is_the_bspline(scheme, ndim, offset):
    repro = repro_call("fieldconv.kernels.assignment_window", scheme, ndim, offset=offset)
    out = outcome(kernels.assignment_window, scheme, ndim, offset=offset)
    wrong = [p for p, bad in (("scheme", scheme not in ("ngp", "cic", "tsc", "pcs")), ("ndim", ndim < 1),
                              ("offset", not -0.5 <= offset < 0.5)) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    p = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}[scheme]
    js = np.arange(-3, 4)
    w1 = np.array([_refs.bspline(p, j - offset) if p > 1 else (1.0 if j == 0 else 0.0) for j in js])
    nz = np.nonzero(w1)[0]
    w1t = w1[nz[0]:nz[-1] + 1]
    ref = w1t
    for _ in range(ndim - 1):
        ref = np.multiply.outer(ref, w1t)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected W_p(j - offset); {out!r}")
    k = out.value
    assert_close(k.weights, ref, 8 * 2.0**-52, repro)
    assert k.origin == (3 - nz[0],) * ndim, f"{repro}\n  origin {k.origin}, want the node of the mass's cell"
    assert abs(k.weights.sum() - 1.0) <= 8 * 2.0**-52, repro
