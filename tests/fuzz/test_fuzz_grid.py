"""Fuzz: stencils, spectral operators, LES filters, Laplacian smoothing and the Poisson solvers.

References: the stencils applied by hand with the ghost cells of the boundary condition
(stencil module docstring), NumPy FFTs with the documented symbols and Green's functions,
and a dense solve of ``(I + lam L^T L) u = f`` on small grids.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldconv import filters, poisson, stencil

from . import _refs
from ._contract import assert_close, covers, expect_error, hsettings, outcome, plain, repro_call
from ._findings import open_finding, xfail_open
from ._strategies import BAD_DTYPES, NONNATIVE_DTYPES, REAL_DTYPES, arrays, expected_dtype

GRID_DTYPES = REAL_DTYPES * 2 + NONNATIVE_DTYPES + BAD_DTYPES
_SPACINGS = st.one_of(st.sampled_from([1.0, 0.5, 2.0]), st.sampled_from([0.0, -1.0, np.nan, np.inf, "1", None]),
                      st.lists(st.sampled_from([0.5, 1.0, 3.0]), min_size=1, max_size=4).map(tuple))


def _spacing_ok(spacing, ndim):
    if isinstance(spacing, tuple):
        return len(spacing) == ndim
    return isinstance(spacing, float) and np.isfinite(spacing) and spacing > 0


def _hvec(spacing, ndim):
    return np.broadcast_to(np.asarray(spacing, float), (ndim,))


def _kgrid(shape, h, rfft):
    d = len(shape)
    ks = []
    for a, n in enumerate(shape):
        k = 2 * np.pi * (np.fft.rfftfreq(n, h[a]) if (rfft and a == d - 1) else np.fft.fftfreq(n, h[a]))
        ks.append(k.reshape([-1 if b == a else 1 for b in range(d)]))
    return ks


def _fin_scale(f):
    fin = np.abs(f[np.isfinite(f)])
    return float(fin.max()) if fin.size else 0.0


# ------------------------------------------------------------------ stencils
@covers("stencil.laplacian", "stencil.gradient")
@hsettings(60)
@given(fdata=arrays(st.lists(st.integers(0, 7), min_size=0, max_size=4).map(tuple), dtypes=GRID_DTYPES, specials=0.2),
       spacing=_SPACINGS, order=st.sampled_from([2, 4, 6, 2, 3, 8]), bc=st.sampled_from(["periodic", "dirichlet", "neumann", "wrap"]),
       which=st.sampled_from(["laplacian", "gradient"]), axis=st.sampled_from([None, 0, -1, 2]))
def test_stencils_match_ghost_cell_reference(fdata, spacing, order, bc, which, axis):
    field, dtype = fdata
    nd = np.ndim(field)
    kw = dict(order=order, bc=bc)
    if which == "gradient":
        kw["axis"] = axis
    fn = getattr(stencil, which)
    repro = repro_call(f"fieldconv.stencil.{which}", field, spacing, **kw)
    out = outcome(fn, field, spacing, **kw)
    r = order // 2
    shape = np.shape(field)
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf" or not 1 <= nd <= 3),
                              ("spacing", not _spacing_ok(spacing, nd)), ("order", order not in (2, 4, 6)),
                              ("bc", bc not in ("periodic", "dirichlet", "neumann")),
                              ("axis", which == "gradient" and axis is not None and not -nd <= axis < nd)) if bad]
    if 0 in shape and not out.ok:  # an empty field: an empty answer or an error naming field, whatever else is wrong
        return expect_error(out, wrong + ["field"], repro)
    if wrong:
        return expect_error(out, wrong + ["ndim", "dimension"], repro)
    if bc != "periodic" and min(shape) < r:
        return expect_error(out, ("field", "axis", "shorter", "radius", "bc"), repro, types=(ValueError,))
    if 0 in shape:
        if not out.ok:
            return expect_error(out, ("field", "empty"), repro, types=(ValueError,))
    f = plain(field).astype(np.float64)
    h = _hvec(spacing, nd)
    want = expected_dtype(dtype)
    if which == "laplacian":
        ref = sum(_refs.stencil_apply(f, _refs.D2[order], h[a] ** 2, bc, a) for a in range(nd))
    else:
        axes = range(nd) if axis is None else [axis % nd]
        ref = [_refs.stencil_apply(f, _refs.D1[order], h[a], bc, a) for a in axes]
        ref = ref[0] if axis is not None else ref
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the stencil's answer; {out!r}")
    # sum of 2r+1 products per axis in the working dtype: (nd (2r+1) + 2) eps sum|c| max|f| / h^2
    norm = sum(float(np.abs(_refs.D2[order] if which == "laplacian" else _refs.D1[order]).sum()) /
               (h[a] ** (2 if which == "laplacian" else 1)) for a in range(nd))
    atol = 4 * (nd * (2 * r + 1) + 2) * float(np.finfo(want).eps) * norm * _fin_scale(f)
    got = out.value
    if isinstance(ref, list):
        assert isinstance(got, tuple) and len(got) == len(ref), f"{repro}\n  want a tuple of {len(ref)} arrays"
        for g, rf in zip(got, ref):
            assert_close(g, rf, atol, repro, dtype=want)
    else:
        assert_close(got, ref, atol, repro, dtype=want)


@covers("stencil.laplacian")
@hsettings(20)
@given(fdata=arrays(st.sampled_from([(5, 6), (3, 3), (7, 4)]), dtypes=("float64", "float32"), specials=0.1),
       bc=st.sampled_from(["periodic", "dirichlet", "neumann"]), spacing=st.sampled_from([1.0, 0.5, (0.5, 1.0)]))
def test_compact_nine_point(fdata, bc, spacing):
    # 2-D compact isotropic stencil: (1/6h^2) [[1, 4, 1], [4, -20, 4], [1, 4, 1]]; unequal spacing -> NotImplementedError
    field, dtype = fdata
    repro = repro_call("fieldconv.stencil.laplacian", field, spacing, points=9, bc=bc)
    out = outcome(stencil.laplacian, field, spacing, points=9, bc=bc)
    if isinstance(spacing, tuple):
        return expect_error(out, ("spacing", "points", "compact"), repro, types=(NotImplementedError, ValueError))
    f = plain(field).astype(np.float64)
    g = _refs.ghost_pad(_refs.ghost_pad(f, 1, bc, 0), 1, bc, 1)
    w = np.array([[1, 4, 1], [4, -20, 4], [1, 4, 1]]) / (6 * spacing**2)
    ref = sum(w[i, j] * g[i:i + f.shape[0], j:j + f.shape[1]] for i in range(3) for j in range(3))
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the 9-point stencil; {out!r}")
    assert_close(out.value, ref, 44 * float(np.finfo(want).eps) * 40 / (6 * spacing**2) * _fin_scale(f), repro,
                 dtype=want)


@covers("stencil.spectral_laplacian", "stencil.spectral_gradient")
@hsettings(40)
@given(fdata=arrays(st.lists(st.integers(0, 8), min_size=0, max_size=3).map(tuple), dtypes=GRID_DTYPES, specials=0.0),
       spacing=_SPACINGS, grad=st.booleans(), axis=st.sampled_from([None, 0, -1, 3]))
def test_spectral_operators_match_numpy_fft(fdata, spacing, grad, axis):
    field, dtype = fdata
    nd = np.ndim(field)
    fn = stencil.spectral_gradient if grad else stencil.spectral_laplacian
    kw = {"axis": axis} if grad else {}
    name = "spectral_gradient" if grad else "spectral_laplacian"
    assume(not (open_finding("F19") and 0 in np.shape(field)))  # F19: test_spectral_operators_empty_field
    repro = repro_call(f"fieldconv.stencil.{name}", field, spacing, **kw)
    out = outcome(fn, field, spacing, **kw)
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf" or nd == 0),
                              ("spacing", not _spacing_ok(spacing, nd)),
                              ("axis", grad and axis is not None and not -nd <= axis < nd)) if bad]
    if 0 in np.shape(field) and not out.ok:
        return expect_error(out, wrong + ["field"], repro)
    if wrong:
        return expect_error(out, wrong, repro)
    f = plain(field).astype(np.float64)
    h = _hvec(spacing, nd)
    fk = np.fft.rfftn(f) if f.size else np.zeros(0)
    ks = _kgrid(f.shape, h, True)
    want = expected_dtype(dtype)
    if grad:
        refs = []
        for a in (range(nd) if axis is None else [axis % nd]):
            k = ks[a].copy()
            n = f.shape[a]
            if n % 2 == 0:  # Nyquist zeroed in odd derivatives
                k = np.where(np.isclose(np.abs(k), np.pi / h[a]), 0.0, k)
            refs.append(np.fft.irfftn(1j * k * fk, s=f.shape, axes=range(nd)) if f.size else f)
        ref = refs if axis is None else refs[0]
    else:
        ref = np.fft.irfftn(-sum(k**2 for k in ks) * fk, s=f.shape, axes=range(nd)) if f.size else f
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the spectral operator; {out!r}")
    kmax = max(np.pi / hh for hh in h)
    # two FFTs of relative error ~ eps log2 N, times the symbol's largest value |k|^p
    atol = 16 * float(np.finfo(want).eps) * max(np.log2(max(f.size, 2)), 1) * kmax ** (1 if grad else 2) * nd \
        * _fin_scale(f) * max(f.size, 1) ** 0.5
    if isinstance(ref, list):
        assert isinstance(out.value, tuple), repro
        for g, rf in zip(out.value, ref):
            assert_close(g, rf, atol, repro, dtype=want)
    else:
        assert_close(out.value, ref, atol, repro, dtype=want)


@covers("stencil.spectral_laplacian", "stencil.spectral_gradient", "filters.spectral_filter")
@xfail_open("F15")
@pytest.mark.parametrize("fn", ["spectral_laplacian", "spectral_gradient", "spectral_filter"])
@pytest.mark.parametrize("special", [np.nan, np.inf])
def test_spectral_operators_nonfinite(fn, special):
    # one NaN/inf sample: NaN in every output, silently; want an error naming field (as solve_poisson does)
    f = np.ones((8, 8))
    f[3, 3] = special
    call = {"spectral_laplacian": stencil.spectral_laplacian, "spectral_gradient": stencil.spectral_gradient,
            "spectral_filter": lambda x: filters.spectral_filter(x, 2.0)}[fn]
    with pytest.raises(ValueError, match="field"):
        call(f)


@covers("stencil.spectral_laplacian", "stencil.spectral_gradient", "filters.spectral_filter")
@xfail_open("F19")
@pytest.mark.parametrize("fn", ["spectral_laplacian", "spectral_gradient", "spectral_filter"])
def test_spectral_operators_empty_field(fn):
    # a (0, 4) field: ZeroDivisionError (spectral_laplacian, spectral_filter) or the FFT's "s entries must be >= 1"
    call = {"spectral_laplacian": stencil.spectral_laplacian, "spectral_gradient": stencil.spectral_gradient,
            "spectral_filter": lambda x: filters.spectral_filter(x, 2.0)}[fn]
    out = outcome(call, np.ones((0, 4)))
    if out.ok:
        assert np.shape(out.value[0] if isinstance(out.value, tuple) else out.value) == (0, 4)
    else:
        expect_error(out, "field", f"{fn}(np.ones((0, 4)))", types=(ValueError,))


@covers("stencil.laplacian_symbol", "stencil.gradient_symbol")
@hsettings(40)
@given(shape=st.lists(st.integers(-1, 7), min_size=0, max_size=4).map(tuple), spacing=_SPACINGS,
       order=st.sampled_from([2, 4, 6, 5]), rfft=st.booleans(), grad=st.booleans(), spectral=st.booleans())
def test_symbols_formula(shape, spacing, order, rfft, grad, spectral):
    if grad:
        n = shape[0] if shape else 0
        kw = dict(order=order, rfft=rfft, spectral=spectral)
        repro = repro_call("fieldconv.stencil.gradient_symbol", n, spacing, **kw)
        out = outcome(stencil.gradient_symbol, n, spacing, **kw)
        wrong = [p for p, bad in (("n", n < 1), ("spacing", not _spacing_ok(spacing, 1)),
                                  ("order", order not in (2, 4, 6) and not spectral)) if bad]
        if wrong:
            return expect_error(out, wrong, repro)
        spacing = float(np.ravel(spacing)[0])
        k = 2 * np.pi * (np.fft.rfftfreq(n, spacing) if rfft else np.fft.fftfreq(n, spacing))
        if spectral:
            ref = k.copy()
        else:
            c = _refs.D1[order][len(_refs.D1[order]) // 2 + 1:]
            ref = 2 * sum(cm * np.sin((m + 1) * k * spacing) for m, cm in enumerate(c)) / spacing
        if n % 2 == 0:
            ref[np.isclose(np.abs(k), np.pi / spacing)] = 0.0
        if not out.ok:
            raise AssertionError(f"{repro}\n  expected d(k); {out!r}")
        return assert_close(out.value, ref, 64 * 2.0**-52 * np.pi / spacing, repro, dtype=np.float64)
    kw = dict(order=order, rfft=rfft)
    assume(not (open_finding("F20") and not (1 <= len(shape) <= 3 and min(shape) >= 1)))
    repro = repro_call("fieldconv.stencil.laplacian_symbol", shape, spacing, **kw)
    out = outcome(stencil.laplacian_symbol, shape, spacing, **kw)
    nd = len(shape)
    wrong = [p for p, bad in (("shape", not 1 <= nd <= 3 or min(shape, default=0) < 1),
                              ("spacing", not _spacing_ok(spacing, nd)), ("order", order not in (2, 4, 6))) if bad]
    if wrong:
        return expect_error(out, wrong, repro)
    h = _hvec(spacing, nd)
    c = _refs.D2[order]
    r = len(c) // 2
    ref = 0
    for a, k in enumerate(_kgrid(shape, h, rfft)):
        ref = ref + (c[r] + 2 * sum(c[r + m] * np.cos(m * k * h[a]) for m in range(1, r + 1))) / h[a] ** 2
    ref = np.broadcast_to(ref, [len(np.ravel(k)) for k in _kgrid(shape, h, rfft)])
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected lambda(k); {out!r}")
    assert_close(out.value, ref, 64 * 2.0**-52 * sum(8.0 / hh**2 for hh in h), repro, dtype=np.float64)


@covers("stencil.laplacian_symbol")
@xfail_open("F20")
@pytest.mark.parametrize("shape", [(), (0,), (-1,), (4, 0), (2.5,), (4, 4, 4, 4)], ids=str)
def test_laplacian_symbol_shape_checked(shape):
    with pytest.raises((ValueError, TypeError), match="shape"):
        stencil.laplacian_symbol(shape, 1.0)


# ------------------------------------------------------------------- filters
def _transfer(kind, ks, widths, h):
    if kind == "sharp":
        return (sum((k * w / np.pi) ** 2 for k, w in zip(ks, widths)) < 1).astype(float)
    if kind == "gaussian":
        return np.exp(-sum(k**2 * w**2 for k, w in zip(ks, widths)) / 24)
    out = 1.0
    for a, (k, w) in enumerate(zip(ks, widths)):
        if kind == "top-hat":
            out = out * np.sinc(k * w / 2 / np.pi)
        else:  # box: n = w / h odd, sin(n k h / 2) / (n sin(k h / 2)), 1 at k = 0
            n = round(w / h[a])
            s = np.sin(k * h[a] / 2)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = out * np.where(s == 0, 1.0, np.sin(n * k * h[a] / 2) / (n * np.where(s == 0, 1, s)))
    return out


@covers("filters.spectral_filter", "filters.filter_transfer_function")
@hsettings(50)
@given(fdata=arrays(st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple), dtypes=GRID_DTYPES, specials=0.0),
       kind=st.sampled_from(["sharp", "gaussian", "top-hat", "box", "lanczos"]),
       width=st.sampled_from([1.0, 2.0, 3.0, 0.75, 0.0, -1.0, np.nan]),
       spacing=st.sampled_from([1.0, 0.25, 0.0]))
def test_spectral_filter_matches_numpy_fft(fdata, kind, width, spacing):
    field, dtype = fdata
    nd = np.ndim(field)
    assume(not (open_finding("F19") and 0 in np.shape(field)))  # F19: test_spectral_operators_empty_field
    repro = repro_call("fieldconv.filters.spectral_filter", field, width, kind=kind, spacing=spacing)
    out = outcome(filters.spectral_filter, field, width, kind=kind, spacing=spacing)
    odd = spacing > 0 and np.isfinite(width) and abs(width / spacing - round(width / spacing)) < 1e-12 \
        and round(width / spacing) % 2 == 1
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf"), ("kind", kind not in filters.FILTER_KINDS),
                              ("width", not width > 0), ("spacing", not spacing > 0),
                              ("box", kind == "box" and not odd)) if bad]
    if wrong:
        return expect_error(out, wrong + (["width"] if "box" in wrong else []), repro)
    f = plain(field).astype(np.float64)
    h = _hvec(spacing, nd)
    ks = _kgrid(f.shape, h, True)
    H = _transfer(kind, ks, [width] * nd, h)
    ref = np.fft.irfftn(H * np.fft.rfftn(f), s=f.shape, axes=range(nd))
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected irfftn(H rfftn(f)); {out!r}")
    # |H| <= 1: two FFTs, ~ eps log2 N relative to the field's norm (sqrt(N) max|f| bounds the l2 norm)
    atol = 16 * float(np.finfo(want).eps) * max(np.log2(f.size), 1) * _fin_scale(f) * f.size ** 0.5
    if kind == "sharp":  # a mode exactly on the cut-off circle may round either way: compare away from it
        edge = np.isclose(sum((k * width / np.pi) ** 2 for k in ks), 1.0, rtol=1e-12, atol=0)
        assume(not edge.any())
    assert_close(out.value, ref, atol, repro, dtype=want)
    # the transfer function itself, on the same wavenumbers
    tf = outcome(filters.filter_transfer_function, kind, tuple(ks), width, spacing=spacing if kind == "box" else None)
    assert tf.ok, f"filter_transfer_function({kind!r}, k, {width}): {tf!r}"
    assert_close(np.broadcast_to(tf.value, H.shape), H, 8 * 2.0**-52, repro, what="H(k)")


@covers("filters.filter_transfer_function")
@hsettings(30)
@given(kind=st.sampled_from(["sharp", "gaussian", "top-hat", "box", "Gaussian"]),
       k=st.sampled_from([np.array([0.0, 1.0, np.pi]), [0.5, -0.5], 2.0, np.array([np.nan, 1.0]), np.float32([1.0, 2.0])]),
       width=st.sampled_from([3.0, (1.0, 3.0), 0.0, -2.0, np.inf]), spacing=st.sampled_from([None, 1.0, 2.0, -1.0]))
def test_transfer_function_arguments(kind, k, width, spacing):
    repro = repro_call("fieldconv.filters.filter_transfer_function", kind, k, width, spacing=spacing)
    out = outcome(filters.filter_transfer_function, kind, k, width, spacing=spacing)
    widths = width if isinstance(width, tuple) else (width,)
    bad_box = kind == "box" and (spacing is None or not spacing > 0 or
                                 any(abs(w / spacing - round(w / spacing)) > 1e-12 or round(w / spacing) % 2 == 0
                                     for w in widths if np.isfinite(w) and w > 0))
    wrong = [p for p, bad in (("kind", kind not in filters.FILTER_KINDS),
                              ("width", not all(np.isfinite(w) and w > 0 for w in widths) or len(widths) != 1),
                              ("spacing", bad_box or (spacing is not None and not spacing > 0 and kind == "box"))) if bad]
    if wrong:
        return expect_error(out, wrong + ["box"], repro)
    kk = np.asarray(k, dtype=np.float64)
    ref = _transfer(kind, [kk], [widths[0]], [spacing or 1.0])
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected H(k); {out!r}")
    want = np.float32 if np.asarray(k).dtype == np.float32 else np.float64
    assert_close(out.value, ref, 8 * float(np.finfo(want).eps), repro, dtype=want)


# ------------------------------------------------------- Laplacian smoothing
@covers("filters.smooth_laplacian", "poisson.smooth_laplacian")
@hsettings(40)
@given(fdata=arrays(st.lists(st.integers(0, 6), min_size=0, max_size=4).map(tuple), dtypes=GRID_DTYPES, specials=0.0),
       lam=st.sampled_from([0.0, 0.3, 5.0, -1.0, np.nan, np.inf]), spacing=st.sampled_from([1.0, 0.5, (1.0, 2.0), 0.0]),
       order=st.sampled_from([2, 4, 6, 3]), which=st.sampled_from(["filters", "poisson"]))
def test_smooth_laplacian_dense_solve(fdata, lam, spacing, order, which):
    field, dtype = fdata
    nd = np.ndim(field)
    assume(not (open_finding("F18") and 0 in np.shape(field)))
    mod = filters if which == "filters" else poisson
    repro = repro_call(f"fieldconv.{which}.smooth_laplacian", field, lam, spacing, order=order)
    out = outcome(mod.smooth_laplacian, field, lam, spacing, order=order)
    wrong = [p for p, bad in (("field", np.dtype(dtype).kind not in "biuf" or not 1 <= nd <= 3),
                              ("lam", not (np.isfinite(lam) and lam >= 0)),
                              ("spacing", not _spacing_ok(spacing if isinstance(spacing, tuple) else float(spacing), nd)),
                              ("order", order not in (2, 4, 6))) if bad]
    if 0 in np.shape(field) and not out.ok:
        return expect_error(out, wrong + ["field"], repro)
    if wrong:
        return expect_error(out, wrong + ["ndim"], repro)
    if 0 in np.shape(field):
        return
    f = plain(field).astype(np.float64)
    L = _refs.laplacian_dense(f.shape, _hvec(spacing, nd), order)
    ref = np.linalg.solve(np.eye(f.size) + lam * L.T @ L, f.reshape(-1)).reshape(f.shape)
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the dense solve; {out!r}")
    # (I + lam L^T L)^-1 has norm <= 1: two FFTs, eps log2 N of the field's l2 norm
    atol = 16 * float(np.finfo(want).eps) * max(np.log2(f.size), 1) * _fin_scale(f) * f.size ** 0.5
    assert_close(out.value, ref, atol, repro, dtype=want)


@covers("filters.smooth_laplacian", "poisson.smooth_laplacian")
@pytest.mark.parametrize("case", [pytest.param("nan", marks=xfail_open("F17")), pytest.param("inf", marks=xfail_open("F17")),
                                  pytest.param("empty", marks=xfail_open("F18"))])
def test_smooth_laplacian_nonfinite_and_empty(case):
    # one NaN spreads to every output silently (issue 11); a (0, 10) field raises ZeroDivisionError
    f = np.ones((0, 10)) if case == "empty" else np.ones((10, 10))
    if case != "empty":
        f[5, 5] = np.nan if case == "nan" else np.inf
    out = outcome(filters.smooth_laplacian, f, 1.0)
    if case == "empty" and out.ok:
        assert out.value.shape == (0, 10)
        return
    expect_error(out, ("field", "nan_policy", "NaN", "finite"), f"smooth_laplacian({case} field, 1.0)",
                 types=(ValueError,))


# --------------------------------------------------------------------- Poisson
def _green(kind, nd, ks, G=1.0):
    k2 = sum(k**2 for k in ks)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "newton":
            g = -4 * np.pi * G / k2
        elif kind == "log":
            g = -2 * np.pi * G / k2
        else:
            g = -2 * np.pi * G / np.sqrt(k2)
    return np.where(k2 == 0, 0.0, g)


@covers("poisson.solve_poisson", "poisson.solve_forces", "poisson.PoissonSolver")
@hsettings(50)
@given(fdata=arrays(st.lists(st.integers(1, 7), min_size=0, max_size=4).map(tuple), dtypes=GRID_DTYPES, specials=0.15),
       spacing=st.one_of(st.sampled_from([1.0, 0.5, 0.0, -2.0, np.nan]),
                         st.lists(st.sampled_from([0.5, 1.0]), min_size=1, max_size=3).map(tuple)),
       kernel=st.sampled_from([None, "newton", "log", "thin-disk", "coulomb"]),
       api=st.sampled_from(["solve_poisson", "solve_forces", "PoissonSolver"]), G=st.sampled_from([None, 2.0]))
def test_periodic_poisson_matches_fourier_formula(fdata, spacing, kernel, api, G):
    field, dtype = fdata
    nd = np.ndim(field)
    shape = np.shape(field)
    if api == "PoissonSolver":
        def call():
            return poisson.PoissonSolver(shape, spacing, kernel=kernel, G=G).solve(field)
    elif api == "solve_forces":
        def call():
            return poisson.solve_forces(field, spacing, kernel=kernel, G=G)
    else:
        def call():
            return poisson.solve_poisson(field, spacing, kernel=kernel, G=G)
    assume(not (open_finding("F5") and api == "PoissonSolver" and np.dtype(dtype).kind not in "biuf"))
    repro = repro_call(f"fieldconv.poisson.{api}", field, spacing, kernel=kernel, G=G)
    out = outcome(call)
    default = {1: "newton", 2: "log", 3: "newton"}.get(nd)
    kind = kernel or default
    valid_kernel = kernel is None or (kernel in ("newton", "log", "thin-disk") and
                                      {"newton": nd in (1, 3), "log": nd == 2, "thin-disk": nd == 2}[kernel])
    wrong = [p for p, bad in (("density", np.dtype(dtype).kind not in "biuf" or not 1 <= nd <= 3 or min(shape, default=0) < 2),
                              ("shape", api == "PoissonSolver" and (not 1 <= nd <= 3 or min(shape, default=0) < 2)),
                              ("spacing", not _spacing_ok(spacing, nd)), ("kernel", not valid_kernel)) if bad]
    if wrong:
        # ("shape must be >= 2; got 1" for a density with a short axis: the density's shape, named as such)
        return expect_error(out, wrong + ["ndim", "axis", "dimension", "shape"], repro)
    f = plain(field).astype(np.float64)
    if not np.isfinite(f).all():
        return expect_error(out, ("density", "finite"), repro, types=(ValueError,))
    h = _hvec(spacing, nd)
    ks = _kgrid(f.shape, h, True)
    phi = np.fft.irfftn(_green(kind, nd, ks, 1.0 if G is None else G) * np.fft.rfftn(f), s=f.shape, axes=range(nd))
    want = expected_dtype(dtype)
    if not out.ok:
        raise AssertionError(f"{repro}\n  expected the Fourier solution; {out!r}")
    got = out.value[0] if api == "solve_forces" else out.value
    # |G(k)| <= 4 pi G / k_min^2 (k_min = 2 pi / L): two FFTs, eps log2 N of the source's l2 norm times that
    L = max(n * hh for n, hh in zip(f.shape, h))
    gmax = 4 * np.pi * (1.0 if G is None else G) * max((L / (2 * np.pi)) ** 2, L / (2 * np.pi))
    atol = 32 * float(np.finfo(want).eps) * max(np.log2(f.size), 1) * gmax * _fin_scale(f) * f.size ** 0.5
    assert_close(got, phi, atol, repro, dtype=want)
    if api == "solve_forces":
        forces = out.value[1]
        assert isinstance(forces, tuple) and len(forces) == nd, repro
        phik = np.fft.rfftn(phi)
        for a in range(nd):
            k = ks[a]
            if f.shape[a] % 2 == 0:
                k = np.where(np.isclose(np.abs(k), np.pi / h[a]), 0.0, k)
            ref_f = np.fft.irfftn(-1j * k * phik, s=f.shape, axes=range(nd))
            assert_close(forces[a], ref_f, atol * np.pi / h[a], repro, dtype=want, what=f"force {a}")


@covers("poisson.solve_poisson")
@xfail_open("F16")
def test_float32_poisson_overflow():
    # float32 density, spacing 1e20: h**2 overflows float32; all NaN today (issue 11); want inf-free answer or an error
    rho = np.arange(64, dtype=np.float32).reshape(8, 8)
    out = outcome(poisson.solve_poisson, rho, spacing=1e20)
    if out.ok:
        assert not np.isnan(out.value).any(), "solve_poisson(float32, spacing=1e20): NaN in the potential"
        ref = poisson.solve_poisson(rho.astype(np.float64), spacing=1e20)
        assert np.isfinite(ref).all()
        np.testing.assert_allclose(out.value, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    else:
        expect_error(out, ("spacing", "float32", "overflow", "density"), "solve_poisson(float32, spacing=1e20)",
                     types=(ValueError,))


@covers("poisson.solve_poisson", "poisson.PoissonSolver")
@hsettings(20)
@given(seed=st.integers(0, 2**16), shape=st.sampled_from([(6,), (4, 5), (3, 4, 4)]), single=st.booleans(),
       green=st.sampled_from(["spectral", "integrated"]))
def test_isolated_poisson_is_linear_and_layout_free(seed, shape, single, green):
    # isolated solves: no closed form here; linearity, the C-copy of a strided/F-ordered input and the dtype
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    dt = np.float32 if single else np.float64
    kw = dict(bc="isolated", green=green)
    if len(shape) == 2:
        kw["kernel"] = "log"
    pa, pb = (poisson.solve_poisson(x.astype(dt), 0.5, **kw) for x in (a, b))
    pab = poisson.solve_poisson((2 * a - 3 * b).astype(dt), 0.5, **kw)
    assert pab.dtype == dt
    # linear operator with norm ~ |G| (L/h)^2 max: relative eps of the largest term
    scale = float(np.abs(pa).max() + np.abs(pb).max()) * 5
    np.testing.assert_allclose(pab, 2 * pa - 3 * pb, rtol=0, atol=64 * float(np.finfo(dt).eps) * scale)
    f = np.asfortranarray(a.astype(dt))[::-1][::-1]
    np.testing.assert_array_equal(poisson.solve_poisson(f, 0.5, **kw), pa)
