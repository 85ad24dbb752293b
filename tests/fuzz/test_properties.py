"""Fuzz properties: linearity, shift-equivariance, conservation, adjointness, units round trips.

(The dtype rules are in test_fuzz_dtypes.py: float32 -> float32, float16 -> float32,
ints/bools -> float64, over every array operator.)
"""

import astropy.units as u
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldconv import assign, convolution, filters, poisson, smoothing, spectra, stencil

from ._contract import covers, expect_error, hsettings, outcome, repro_call
from ._findings import open_finding, xfail_open

_SCHEMES = ("ngp", "cic", "tsc", "pcs")


def _vdot(a, b):
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))


#: linear operators of a field, each with the grid it runs on (periodic ones first)
LINEAR = {
    "convolution.convolve": lambda f: convolution.convolve(f, np.array([[1.0, -2.0], [0.5, 3.0]]), mode="wrap"),
    "convolution.correlate": lambda f: convolution.correlate(f, np.array([[1.0, 2.0, 0.0]]), mode="reflect"),
    "convolution.convolve1d": lambda f: convolution.convolve1d(f, [1.0, 4.0, -1.0], axis=0, mode="mirror"),
    "convolution.correlate1d": lambda f: convolution.correlate1d(f, [2.0, -1.0], mode="constant"),
    "filters.spectral_filter": lambda f: filters.spectral_filter(f, 2.0, kind="top-hat"),
    "filters.smooth_laplacian": lambda f: filters.smooth_laplacian(f, 0.7),
    "stencil.laplacian": lambda f: stencil.laplacian(f, 0.5, order=4),
    "stencil.gradient": lambda f: stencil.gradient(f, 0.5, axis=1),
    "stencil.spectral_laplacian": lambda f: stencil.spectral_laplacian(f, 0.5),
    "stencil.spectral_gradient": lambda f: stencil.spectral_gradient(f, 0.5, axis=0),
    "poisson.solve_poisson": lambda f: poisson.solve_poisson(f, 0.5, green="discrete"),
    "smoothing.savgol_filter": lambda f: smoothing.savgol_filter(f, 5, 2, mode="wrap"),
    "smoothing.savgol_filter_2d": lambda f: smoothing.savgol_filter_2d(f, 3, 1, mode="wrap"),
}
#: those that commute with a periodic shift (wrap boundaries / Fourier space)
SHIFT = ("convolution.convolve", "filters.spectral_filter", "filters.smooth_laplacian", "stencil.laplacian",
         "stencil.gradient", "stencil.spectral_laplacian", "stencil.spectral_gradient", "poisson.solve_poisson",
         "smoothing.savgol_filter", "smoothing.savgol_filter_2d")


@covers(*LINEAR)
@hsettings(25)
@given(name=st.sampled_from(sorted(LINEAR)), seed=st.integers(0, 2**16), a=st.sampled_from([1.0, -2.5, 1e-3, 7.0]),
       b=st.sampled_from([0.0, 1.0, -0.5]), shape=st.sampled_from([(6, 8), (8, 8), (5, 7)]))
def test_linearity(name, seed, a, b, shape):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    op = LINEAR[name]
    lhs = op(a * x + b * y)
    rhs = a * op(x) + b * op(y)
    # each evaluation rounds ~ c eps |op| |input|: three evaluations, c = 64 (taps / log2 N), |op| <= 16 / h^2
    scale = float(np.abs(op(np.abs(a * x) + np.abs(b * y))).max()) + abs(a) + abs(b)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=3 * 64 * 2.0**-52 * scale * 16, err_msg=name)


@covers(*SHIFT)
@hsettings(25)
@given(name=st.sampled_from(SHIFT), seed=st.integers(0, 2**16), s0=st.integers(-9, 9), s1=st.integers(-9, 9))
def test_shift_equivariance(name, seed, s0, s1):
    x = np.random.default_rng(seed).standard_normal((8, 8))
    op = LINEAR[name]
    lhs = op(np.roll(x, (s0, s1), axis=(0, 1)))
    rhs = np.roll(op(x), (s0, s1), axis=(0, 1))
    # a periodic operator sees the same numbers: equal to the rounding of its own sums (FFTs: ~eps log2 N)
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=64 * 2.0**-52 * float(np.abs(rhs).max() + np.abs(x).max()) * 16,
                               err_msg=name)


@covers("assign.paint", "assign.readout", "assign.readout_gradient")
@hsettings(30)
@given(seed=st.integers(0, 2**16), shape=st.lists(st.integers(2, 6), min_size=1, max_size=3).map(tuple),
       scheme=st.sampled_from(_SCHEMES), periodic=st.booleans(), n=st.integers(1, 40), single=st.booleans())
def test_paint_readout_adjoint_and_mass(seed, shape, scheme, periodic, n, single):
    # <paint(x, w), f> = <w, readout(f, x)>; sum(paint) = sum(w) (periodic) or = sum(w) - dropped
    rng = np.random.default_rng(seed)
    d = len(shape)
    box = np.array(shape, float) * 0.5
    p = _SCHEMES.index(scheme) + 1
    # non-periodic: u in [(p-1)/2, n-(p-1)/2], where the window fits (the assign module docstring)
    u_lo, u_hi = (p - 1) / 2, np.array(shape) - (p - 1) / 2 - (1e-9 if p == 1 else 0)
    periodic = periodic or bool((u_hi <= u_lo).any())
    if periodic:
        pos = rng.uniform(-3, 4, size=(n, d)) * box
    else:
        pos = (u_lo + (u_hi - u_lo) * rng.uniform(size=(n, d))) * (box / np.array(shape))
    dt = np.float32 if single else np.float64
    pos = pos.astype(dt)
    w = rng.uniform(0.1, 2.0, n).astype(dt)
    f = rng.standard_normal(shape).astype(dt)
    kw = dict(box_size=box, scheme=scheme, periodic=periodic)
    if single and not periodic:  # the float32 rounding of a position must not push it out of the window's region
        pos = np.clip(pos, (u_lo + 1e-3) * box / np.array(shape), (u_hi - 1e-3) * box / np.array(shape)).astype(dt)
    mesh = assign.paint(pos, shape=shape, weights=w, **kw)
    vals = assign.readout(f, pos, **kw)
    eps = float(np.finfo(dt).eps)
    lhs, rhs = _vdot(mesh, f), _vdot(w, vals)
    # both sides sum n p^d products rounded in dt: (n p^d + 2) eps sum|w| max|f|
    tol = (n * p**d + 2) * eps * float(np.abs(w).sum()) * float(np.abs(f).max())
    assert abs(lhs - rhs) <= tol, (lhs, rhs, tol)
    assert abs(float(mesh.sum(dtype=np.float64)) - float(w.sum(dtype=np.float64))) <= (n * p**d + 2) * eps * float(w.sum())
    if scheme != "ngp":  # readout_gradient is the derivative of readout: central differences agree to O(dx^2)
        a = int(rng.integers(0, d))
        h = box[a] / shape[a]
        dx = np.zeros(d)
        dx[a] = 1e-4 * h
        p64 = pos.astype(np.float64)
        f64 = f.astype(np.float64)
        g = assign.readout_gradient(f64, p64, **kw)[:, a]
        fd = (assign.readout(f64, p64 + dx, **kw) - assign.readout(f64, p64 - dx, **kw)) / (2 * dx[a])
        smooth = scheme in ("tsc", "pcs")  # CIC's gradient jumps at cell centres: compare where no centre is near
        u = p64[:, a] / h - 0.5
        near = np.abs(u - np.round(u)) < 2e-4 if not smooth else np.zeros(n, bool)
        np.testing.assert_allclose(g[~near], fd[~near], rtol=0, atol=1e-5 * float(np.abs(f64).sum()) / h)


@covers("convolution.convolve", "convolution.correlate", "convolution.convolve1d", "convolution.correlate1d")
@hsettings(30)
@given(seed=st.integers(0, 2**16), kshape=st.lists(st.integers(1, 4), min_size=2, max_size=2).map(tuple),
       method=st.sampled_from(["direct", "fft", "auto"]))
def test_convolve_correlate_adjoint(seed, kshape, method):
    # with periodic boundaries correlate is the adjoint of convolve: <conv(x, K), y> = <x, corr(y, K)>
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((7, 9)), rng.standard_normal((7, 9))
    k = rng.standard_normal(kshape)
    if any(s % 2 == 0 for s in kshape):
        k = np.pad(k, [(0, 1 - s % 2) for s in kshape])  # odd sizes: the adjoint's origin is the same tap
    lhs = _vdot(convolution.convolve(x, k, mode="wrap", method=method), y)
    rhs = _vdot(x, convolution.correlate(y, k, mode="wrap", method=method))
    tol = 64 * 2.0**-52 * float(np.abs(k).sum()) * float(np.abs(x).sum()) * float(np.abs(y).max())
    assert abs(lhs - rhs) <= tol, (lhs, rhs)
    w = rng.standard_normal(5)
    lhs = _vdot(convolution.convolve1d(x, w, axis=1, mode="wrap"), y)
    rhs = _vdot(x, convolution.correlate1d(y, w, axis=1, mode="wrap"))
    assert abs(lhs - rhs) <= 64 * 2.0**-52 * float(np.abs(w).sum() * np.abs(x).sum() * np.abs(y).max())


@covers("filters.spectral_filter", "filters.smooth_laplacian", "poisson.solve_poisson", "poisson.solve_forces",
        "convolution.convolve")
@hsettings(30)
@given(seed=st.integers(0, 2**16), shape=st.sampled_from([(8,), (6, 10), (4, 5, 6)]))
def test_conservation(seed, shape):
    # filters keep the mean; a normalised kernel under wrap keeps the sum; a periodic potential has zero mean
    # and its forces sum to zero (momentum)
    f = np.random.default_rng(seed).standard_normal(shape)
    n = f.size
    tol = 64 * 2.0**-52 * float(np.abs(f).sum())
    assert abs(filters.spectral_filter(f, 2.0, kind="gaussian").sum() - f.sum()) <= tol
    assert abs(filters.smooth_laplacian(f, 3.0).sum() - f.sum()) <= tol * 4
    k = np.ones((3,) * f.ndim) / 3**f.ndim
    assert abs(convolution.convolve(f, k, mode="wrap").sum() - f.sum()) <= tol * 4
    phi, forces = poisson.solve_forces(f, 0.5)
    assert abs(phi.mean()) <= 1e3 * 2.0**-52 * float(np.abs(phi).max()) * np.sqrt(n)
    for fa in forces:
        assert abs(fa.sum()) <= 1e3 * 2.0**-52 * float(np.abs(fa).max()) * n


# ------------------------------------------------------------------------ units
_FIELD_UNITS = [u.K, u.kg / u.m**3, u.dimensionless_unscaled, u.Jy, u.mol]
_LEN = [u.m, u.kpc, u.cm]


@covers("convolution.convolve", "convolution.convolve1d", "convolution.median_filter", "filters.smooth_laplacian",
        "filters.spectral_filter", "stencil.laplacian", "stencil.gradient", "smoothing.savgol_filter",
        "assign.readout", "assign.paint")
@hsettings(25)
@given(funit=st.sampled_from(_FIELD_UNITS), lunit=st.sampled_from(_LEN), seed=st.integers(0, 2**16),
       op=st.sampled_from(["convolve", "convolve1d", "median", "smooth", "spectral", "laplacian", "gradient", "savgol",
                           "readout", "paint"]))
def test_units_round_trip(funit, lunit, seed, op):
    # the result of a Quantity equals the plain result times the unit the computation gives
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((6, 8))
    h = 0.5
    pos = rng.uniform(0, 3, (5, 2))
    calls = {
        "convolve": (lambda q: convolution.convolve(q, np.ones((3, 3))), lambda: convolution.convolve(f, np.ones((3, 3))), funit),
        "convolve1d": (lambda q: convolution.convolve1d(q, [1.0, 2.0]), lambda: convolution.convolve1d(f, [1.0, 2.0]), funit),
        "median": (lambda q: convolution.median_filter(q, 3), lambda: convolution.median_filter(f, 3), funit),
        "smooth": (lambda q: filters.smooth_laplacian(q, 0.3 * lunit**4, h * lunit),
                   lambda: filters.smooth_laplacian(f, 0.3, h), funit),
        "spectral": (lambda q: filters.spectral_filter(q, 2 * h * lunit, spacing=h * lunit),
                     lambda: filters.spectral_filter(f, 2 * h, spacing=h), funit),
        "laplacian": (lambda q: stencil.laplacian(q, h * lunit), lambda: stencil.laplacian(f, h), funit / lunit**2),
        "gradient": (lambda q: stencil.gradient(q, h * lunit, axis=0), lambda: stencil.gradient(f, h, axis=0), funit / lunit),
        "savgol": (lambda q: smoothing.savgol_filter(q, 5, 2, deriv=1, delta=h * lunit),
                   lambda: smoothing.savgol_filter(f, 5, 2, deriv=1, delta=h), funit / lunit),
        "readout": (lambda q: assign.readout(q, pos * lunit, box_size=(3.0, 4.0) * lunit),
                    lambda: assign.readout(f, pos, box_size=(3.0, 4.0)), funit),
        "paint": (lambda q: assign.paint(pos * lunit, box_size=(3.0, 4.0) * lunit, shape=(6, 8),
                                         weights=np.ones(5) * funit, density=True),
                  lambda: assign.paint(pos, box_size=(3.0, 4.0), shape=(6, 8), weights=np.ones(5), density=True),
                  funit / lunit**2),
    }
    qcall, plain_call, want = calls[op]
    got = qcall(f * funit)
    assert isinstance(got, u.Quantity), f"{op}: a plain array came back from Quantity input"
    assert got.unit.is_equivalent(want) and got.unit.to(want) == 1.0 or np.isclose(got.unit.to(want), 1.0), \
        f"{op}: unit {got.unit}, want {want}"
    ref = plain_call()
    np.testing.assert_allclose(got.to_value(want), ref, rtol=1e-12, atol=1e-12 * float(np.abs(ref).max()), err_msg=op)


@covers("stencil.laplacian", "poisson.solve_poisson", "assign.paint", "assign.readout", "filters.spectral_filter",
        "smoothing.savgol_filter", "spectra.convolve_instrument", "kernels.gaussian", "assign.window")
@hsettings(40)
@given(op=st.sampled_from(["laplacian", "poisson", "paint", "readout", "spectral", "savgol", "instrument", "gaussian",
                           "window"]),
       bad=st.sampled_from([u.s, u.kg, u.K, u.deg, u.Hz]))
def test_wrong_units_are_refused(op, bad):
    # a Quantity of the wrong dimension, or one mixed with a plain number: ValueError naming the parameter
    f = np.ones((6, 8))
    pos = np.full((2, 2), 0.5)
    calls = {
        "laplacian": (lambda: stencil.laplacian(f * u.K, [0.5 * u.m, 0.5 * bad]), "spacing"),
        "poisson": (lambda: poisson.solve_poisson(f * u.kg / u.m**3, 0.5 * bad), "spacing"),
        "paint": (lambda: assign.paint(pos * bad, box_size=(3.0, 4.0) * u.m, shape=(6, 8)), "positions"),
        "readout": (lambda: assign.readout(f, pos * u.m, box_size=(3.0, 4.0) * bad), "box_size"),
        "spectral": (lambda: filters.spectral_filter(f, 1.0 * bad, spacing=0.5 * u.m), "width"),
        "savgol": (lambda: smoothing.savgol_filter(f, 5 * bad, 2, delta=0.5 * u.m), "window_length"),
        "instrument": (lambda: spectra.convolve_instrument(f, 1 / u.cm, 8.0 * bad), "resolution"),
        "gaussian": (lambda: __import__("fieldconv.kernels", fromlist=["k"]).gaussian(1.0 * bad, spacing=0.5 * u.m), "sigma"),
        "window": (lambda: assign.window(np.ones(3) / u.m, "cic", 0.5 * bad), "spacing"),
    }
    call, param = calls[op]
    assume(not (open_finding("F37") and op == "savgol"))  # F37: test_window_quantity_in_wrong_units
    out = outcome(call)
    expect_error(out, (param, "units", "unit"), repro_call(op, str(bad)), types=(ValueError, TypeError))


@covers("smoothing.savgol_filter", "smoothing.suggest_window")
@xfail_open("F37")
@pytest.mark.parametrize("call", ["savgol_filter", "suggest_window-fwhm", "suggest_window-resolution"])
def test_window_quantity_in_wrong_units(call):
    # astropy's "'s' (time) and 'm' (length) are not convertible", without the parameter's name
    import fieldconv.smoothing as sm

    fn, param = {"savgol_filter": (lambda: sm.savgol_filter(np.ones(20), 5 * u.s, 2, delta=0.5 * u.m), "window_length"),
                 "suggest_window-fwhm": (lambda: sm.suggest_window(5 * u.s, 0.5 * u.m), "fwhm"),
                 "suggest_window-resolution": (lambda: sm.suggest_window(5 * u.m, 0.5 * u.m, resolution=2 * u.s),
                                               "resolution")}[call]
    with pytest.raises(ValueError, match=param):
        fn()
