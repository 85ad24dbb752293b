"""Tests of fieldconv.stencil: exact discrete identities, scipy cross-checks, orders, backends, errors."""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st

from fieldconv import kernels
from fieldconv._fdcoeffs import central_difference, compact_laplacian
from fieldconv.stencil import (
    gradient,
    gradient_symbol,
    laplacian,
    laplacian_symbol,
    spectral_gradient,
    spectral_laplacian,
)

EPS = np.finfo(np.float64).eps
ORDERS = [pytest.param(o, id=f"o{o}") for o in (2, 4, 6)]
BCS = [pytest.param(b, id=b) for b in ("periodic", "dirichlet", "neumann")]
SHAPES = [pytest.param(s, id=f"{len(s)}d") for s in [(24,), (12, 10), (8, 10, 12)]]


def fourier_mode(shape, modes):
    """cos of an exact phase 2 pi sum(m_a i_a / n_a) (phase reduced mod n in integers)."""
    idx = np.indices(shape)
    num = sum(((m * i) % n) / n for m, i, n in zip(modes, idx, shape))
    return np.cos(2 * np.pi * num)


# ------------------------------------------------------------- exact identities
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("order", ORDERS)
def test_fourier_mode_is_eigenvector(shape, order):
    spacing = (0.3, 0.7, 1.1)[: len(shape)]
    modes = (1, 3, 5)[: len(shape)]
    f = fourier_mode(shape, modes)
    lam = laplacian_symbol(shape, spacing, order=order, rfft=False)[modes]
    got = laplacian(f, spacing, order=order, backend="numpy")
    # rounding: ~ (sum |w|) eps per point, |w| ~ 4/h^2 per axis for the widest stencil
    tol = 50 * EPS * sum(4 / h**2 for h in spacing)
    np.testing.assert_allclose(got, lam * f, rtol=0, atol=tol)


@pytest.mark.parametrize("points,shape", [(9, (10, 12)), (19, (8, 10, 6)), (27, (8, 10, 6))], ids=["9", "19", "27"])
def test_compact_fourier_eigenvector(points, shape):
    modes = (1, 2, 3)[: len(shape)]
    f = fourier_mode(shape, modes)
    lam = laplacian_symbol(shape, 0.5, points=points, rfft=False)[modes]
    got = laplacian(f, 0.5, points=points, backend="numpy")
    np.testing.assert_allclose(got, lam * f, rtol=0, atol=200 * EPS / 0.25)


def test_seven_point_eigenvalue_closed_form():
    n, h = (8, 10, 12), (0.5, 0.25, 1.0)
    lam = laplacian_symbol(n, h, rfft=False)
    q = np.indices(n)
    exact = sum((2 * np.cos(2 * np.pi * qa / na) - 2) / ha**2 for qa, na, ha in zip(q, n, h))
    np.testing.assert_allclose(lam, exact, rtol=0, atol=20 * EPS * 16)


@pytest.mark.parametrize(
    "order,points,ndim",
    [(o, None, d) for o in (2, 4, 6) for d in (1, 2, 3)] + [(2, 9, 2), (2, 19, 3), (2, 27, 3)],
    ids=[f"o{o}-{d}d" for o in (2, 4, 6) for d in (1, 2, 3)] + ["9", "19", "27"],
)
def test_matches_kernels_transfer_function(order, points, ndim):
    shape = (8, 6, 10)[:ndim]
    spacing = 0.5 if points else (0.5, 0.75, 1.25)[:ndim]
    K = kernels.laplacian(ndim, order=order, points=points, spacing=spacing)
    H = np.asarray(K.transfer_function(shape, spacing, rfft=True, backend="numpy"))
    lam = laplacian_symbol(shape, spacing, order=order, points=points)
    np.testing.assert_allclose(H.real, lam, rtol=0, atol=100 * EPS * np.abs(lam).max())
    np.testing.assert_allclose(H.imag, 0, atol=100 * EPS * np.abs(lam).max())
    # and the operator itself equals the Kernel's convolution (periodic)
    f = np.random.default_rng(3).standard_normal(shape)
    ref = ndi.convolve(f, K.weights, mode="wrap")
    np.testing.assert_allclose(laplacian(f, spacing, order=order, points=points, backend="numpy"), ref, atol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_polynomial_exact_in_interior(order):
    # order-p Laplacian is exact on polynomials of degree p + 1
    n, h = 20, 0.1
    x = (np.arange(n) + 0.5) * h
    p = order + 1
    f = x[:, None] ** p + x[None, :] ** p
    exact = p * (p - 1) * (x[:, None] ** (p - 2) + x[None, :] ** (p - 2))
    r = order // 2
    got = laplacian(f, h, order=order, bc="neumann", backend="numpy")[r:-r, r:-r]
    np.testing.assert_allclose(got, exact[r:-r, r:-r], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("bc,mode", [("periodic", "wrap"), ("neumann", "reflect")], ids=["periodic", "neumann"])
def test_second_order_matches_scipy_laplace(bc, mode, rng):
    f = rng.standard_normal((9, 11, 7))
    np.testing.assert_allclose(laplacian(f, 1.0, bc=bc, backend="numpy"), ndi.laplace(f, mode=mode), atol=1e-13)


def test_dirichlet_is_antisymmetric_ghost(rng):
    f = rng.standard_normal((9, 11))
    g = np.pad(f, 3, mode="symmetric")
    # antisymmetric ghosts: negate the mirrored layers
    g[:3, :] *= -1
    g[-3:, :] *= -1
    g[:, :3] *= -1
    g[:, -3:] *= -1
    w = central_difference(2, 6)
    ref = sum(
        ndi.correlate1d(g, w, axis=a, mode="constant") for a in range(2)
    )[3:-3, 3:-3] / 0.5**2
    np.testing.assert_allclose(laplacian(f, 0.5, order=6, bc="dirichlet", backend="numpy"), ref, atol=1e-11)


@pytest.mark.parametrize("bc,fn", [("dirichlet", np.sin), ("neumann", np.cos)], ids=["dirichlet", "neumann"])
def test_boundary_eigenvectors(bc, fn):
    # cell-centred sin/cos((j+1/2) pi q/n) are eigenvectors of the 3-point operator with these ghosts
    n, h, q = 16, 0.2, 5
    f = fn((np.arange(n) + 0.5) * np.pi * q / n)
    lam = (2 * np.cos(np.pi * q / n) - 2) / h**2
    np.testing.assert_allclose(laplacian(f, h, bc=bc, backend="numpy"), lam * f, atol=100 * EPS / h**2)


@pytest.mark.parametrize("order", ORDERS)
def test_convergence_orders(order):
    errs = []
    for n in (32, 64):
        h = 2 * np.pi / n
        x = (np.arange(n) + 0.5) * h
        f = np.exp(np.sin(x))
        exact = (np.cos(x) ** 2 - np.sin(x)) * f
        errs.append(np.abs(laplacian(f, h, order=order, backend="numpy") - exact).max())
    p = math.log2(errs[0] / errs[1])
    assert p > order - 0.3, p  # asymptotic regime: observed order within 0.3 of p


# ---------------------------------------------------------------- gradient
@pytest.mark.parametrize("order", ORDERS)
def test_gradient_symbol_and_eigen(order):
    shape, h = (16, 12), (0.4, 0.9)
    f = fourier_mode(shape, (3, 0))
    idx = np.indices(shape)
    s = np.sin(2 * np.pi * ((3 * idx[0]) % 16) / 16)
    d = gradient_symbol(16, h[0], order=order)[3]
    gx, gy = gradient(f, h, order=order, backend="numpy")
    np.testing.assert_allclose(gx, -d * s, atol=50 * EPS / h[0])
    np.testing.assert_allclose(gy, 0, atol=1e-14)  # constant along axis 1


def test_gradient_symbol_nyquist_zero():
    for order in (2, 4, 6):
        assert gradient_symbol(8, 1.0, order=order)[4] == 0.0
    assert gradient_symbol(8, 1.0, spectral=True, rfft=True)[-1] == 0.0


@pytest.mark.parametrize("order", ORDERS)
def test_gradient_polynomial(order):
    x = np.arange(20) + 0.5
    p = order
    got = gradient(x**p, 1.0, order=order, bc="neumann", axis=0, backend="numpy")
    r = order // 2
    np.testing.assert_allclose(got[r:-r], p * x[r:-r] ** (p - 1), rtol=1e-11)


# ---------------------------------------------------------------- spectral
def test_spectral_exact_and_nyquist():
    n = 16
    h = 2 * np.pi / n
    x = np.arange(n) * h
    f = np.sin(3 * x)[:, None] * np.cos(2 * x)[None, :]
    lap = spectral_laplacian(f, h, backend="numpy")
    np.testing.assert_allclose(lap, -13 * f, atol=1e-12)
    gx, gy = spectral_gradient(f, h, backend="numpy")
    np.testing.assert_allclose(gx, 3 * np.cos(3 * x)[:, None] * np.cos(2 * x)[None, :], atol=1e-13)
    np.testing.assert_allclose(gy, -2 * np.sin(3 * x)[:, None] * np.sin(2 * x)[None, :], atol=1e-13)
    nyq = np.cos(np.pi * np.arange(n))  # the Nyquist mode: zeroed in the first derivative
    np.testing.assert_allclose(spectral_gradient(nyq, 1.0, axis=0, backend="numpy"), 0, atol=1e-14)
    np.testing.assert_allclose(spectral_laplacian(nyq, 1.0, backend="numpy"), -(np.pi**2) * nyq, atol=1e-12)


def test_stencil_converges_to_spectral(rng):
    n = 64
    h = 2 * np.pi / n
    x = np.arange(n) * h
    f = np.exp(np.cos(x))
    s = spectral_laplacian(f, h, backend="numpy")
    e6 = np.abs(laplacian(f, h, order=6, backend="numpy") - s).max()
    assert e6 < 1e-6 * np.abs(s).max()  # C h^6 with h = 0.098


# ------------------------------------------------------------- backends, dtypes
@pytest.mark.parametrize("bc", BCS)
@pytest.mark.parametrize("shape", SHAPES)
def test_strict_backend_matches_numpy(strict_backend, shape, bc, rng):
    f = rng.standard_normal(shape)
    be = strict_backend
    for order in (2, 4, 6):
        a = laplacian(f, 0.5, order=order, bc=bc, backend="numpy")
        b = be.to_numpy(laplacian(be.asarray(f, copy=True), 0.5, order=order, bc=bc))
        np.testing.assert_allclose(a, b, atol=1e-12)
        ga = gradient(f, 0.5, order=order, bc=bc, backend="numpy")
        gb = gradient(be.asarray(f, copy=True), 0.5, order=order, bc=bc)
        for u, v in zip(ga, gb):
            np.testing.assert_allclose(u, be.to_numpy(v), atol=1e-12)
    if len(shape) == 3:
        for p in (19, 27):
            a = laplacian(f, 0.5, points=p, bc=bc, backend="numpy")
            b = be.to_numpy(laplacian(be.asarray(f, copy=True), 0.5, points=p, bc=bc))
            np.testing.assert_allclose(a, b, atol=1e-12)


def test_spectral_backends(backend, rng):
    f = rng.standard_normal((8, 12))
    ref = spectral_laplacian(f, 0.5, backend="numpy")
    got = backend.to_numpy(spectral_laplacian(backend.asarray(f, copy=True), 0.5))
    np.testing.assert_allclose(got, ref, atol=1e-12)
    g = spectral_gradient(backend.asarray(f, copy=True), 0.5, axis=1)
    np.testing.assert_allclose(backend.to_numpy(g), spectral_gradient(f, 0.5, axis=1, backend="numpy"), atol=1e-12)


@pytest.mark.parametrize(
    "dtype,expected",
    [(np.float32, np.float32), (np.float64, np.float64), (np.float16, np.float32), (np.int32, np.float64)],
    ids=["f32", "f64", "f16", "i32"],
)
def test_dtypes(dtype, expected, cpu_backend):
    f = (np.arange(60).reshape(6, 10) % 7).astype(dtype)
    assert laplacian(f, 1.0, backend=cpu_backend).dtype == expected
    assert gradient(f, 1.0, axis=0, backend=cpu_backend).dtype == expected
    assert spectral_laplacian(f, 1.0, backend=cpu_backend).dtype == expected


def test_float32_accuracy(rng):
    f = rng.standard_normal((16, 16, 16))
    a = laplacian(f.astype(np.float32), 1.0, order=4, backend="numpy")
    b = laplacian(f, 1.0, order=4, backend="numpy")
    # float32 rounding of inputs and accumulation: ~ sum|w| * 2^-24 * max|f|
    assert np.abs(a - b).max() < 30 * 2.0**-24 * np.abs(f).max() * 6


def test_out_and_noncontiguous(rng):
    f = rng.standard_normal((10, 12))
    out = np.empty_like(f)
    r = laplacian(f, 1.0, out=out, backend="numpy")
    assert r is out
    np.testing.assert_allclose(laplacian(f.T, 1.0, backend="numpy"), laplacian(f, 1.0, backend="numpy").T, atol=1e-13)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(order=3), ValueError, "order must be one of"),
        (dict(points=11), ValueError, "points must be"),
        (dict(bc="wrap"), ValueError, "bc must be one of"),
        (dict(spacing=-0.1), ValueError, "spacing must be positive"),
        (dict(spacing=(1.0, 2.0, 3.0)), ValueError, "spacing must be a scalar or have one entry per axis"),
        (dict(points=9, spacing=(1.0, 2.0)), NotImplementedError, "needs equal spacing"),
        (dict(points=9, order=4, spacing=1.0, _shape=(6, 6, 6)), ValueError, "points must be"),
        (dict(order=6, bc="dirichlet", _shape=(2, 8)), ValueError, "at least 3 samples along axis 0"),
        (dict(out=np.empty((3, 3))), ValueError, r"out must have shape \(8, 8\)"),
        (dict(_shape=(2, 2, 2, 2)), ValueError, "1-, 2- or 3-dimensional"),
    ],
    ids=["order", "points", "bc", "spacing", "spacing-len", "compact-aniso", "points-3d", "short", "out", "ndim"],
)
def test_laplacian_errors(kwargs, exc, match):
    kwargs = dict(kwargs)
    shape = kwargs.pop("_shape", (8, 8))
    spacing = kwargs.pop("spacing", 1.0)
    with pytest.raises(exc, match=match):
        laplacian(np.zeros(shape), spacing, backend="numpy", **kwargs)


def test_other_errors():
    with pytest.raises(TypeError, match="field must be real"):
        laplacian(np.zeros(4, dtype=complex), 1.0, backend="numpy")
    with pytest.raises(ValueError, match="axis must lie in"):
        gradient(np.zeros((4, 4)), 1.0, axis=2, backend="numpy")
    with pytest.raises(ValueError, match="axis must lie in"):
        spectral_gradient(np.zeros((4, 4)), 1.0, axis=-3, backend="numpy")
    with pytest.raises(ValueError, match="must not be empty"):
        laplacian(np.zeros((0, 3)), 1.0, backend="numpy")
    with pytest.raises(ValueError, match="order must be one of"):
        gradient_symbol(8, 1.0, order=5)


def test_compact_weights_used():
    f = np.zeros((5, 5))
    f[2, 2] = 1.0
    np.testing.assert_allclose(laplacian(f, 1.0, points=9, backend="numpy")[1:4, 1:4], compact_laplacian(2, 9))


@pytest.mark.parametrize("order", ORDERS)
def test_gradient_matches_kernels(order):
    shape, h = (12, 10), (0.5, 0.8)
    for axis in (0, 1):
        K = kernels.gradient(2, axis, order=order, spacing=h)
        H = np.asarray(K.transfer_function(shape, h, rfft=False, backend="numpy"))
        d = gradient_symbol(shape[axis], h[axis], order=order)
        expect = 1j * d.reshape((-1, 1) if axis == 0 else (1, -1)) * np.ones(shape)
        np.testing.assert_allclose(H, expect, atol=100 * EPS / h[axis])
        f = np.random.default_rng(4).standard_normal(shape)
        np.testing.assert_allclose(
            gradient(f, h, order=order, axis=axis, backend="numpy"), ndi.convolve(f, K.weights, mode="wrap"), atol=1e-12
        )




@given(
    shift=st.tuples(st.integers(0, 5), st.integers(0, 6), st.integers(0, 4)),
    order=st.sampled_from([2, 4, 6]),
    seed=st.integers(0, 2**16),
)
def test_periodic_shift_equivariance_and_linearity(shift, order, seed):
    r = np.random.default_rng(seed)
    f, g = r.standard_normal((2, 6, 7, 5))
    L = lambda x: laplacian(x, (0.5, 1.0, 0.7), order=order, backend="numpy")  # noqa: E731
    np.testing.assert_allclose(L(np.roll(f, shift, axis=(0, 1, 2))), np.roll(L(f), shift, axis=(0, 1, 2)), atol=1e-12)
    np.testing.assert_allclose(L(f + 2.5 * g), L(f) + 2.5 * L(g), atol=1e-11)


@given(seed=st.integers(0, 2**16), bc=st.sampled_from(["dirichlet", "neumann", "periodic"]))
def test_second_order_laplacian_is_symmetric(seed, bc):
    # with these ghost cells the 3-point operator is a symmetric matrix: <f, L g> = <L f, g>
    r = np.random.default_rng(seed)
    f, g = r.standard_normal((2, 9, 8))
    a = np.vdot(f, laplacian(g, 1.0, bc=bc, backend="numpy"))
    b = np.vdot(laplacian(f, 1.0, bc=bc, backend="numpy"), g)
    assert a == pytest.approx(b, rel=1e-12, abs=1e-11)


def test_units():
    import astropy.units as u

    n = 16
    x = np.arange(n) * (2 * np.pi / n)
    f = np.sin(2 * x) * u.K
    h = (2 * np.pi / n) * u.m
    lap = laplacian(f, h, backend="numpy")
    assert lap.unit == u.K / u.m**2
    np.testing.assert_allclose(lap.to_value(u.K / u.cm**2), laplacian(f.value, h.value, backend="numpy") * 1e-4)
    g = gradient(f, [h.to(u.cm)], axis=0, backend="numpy")
    assert g.unit.is_equivalent(u.K / u.m)
    ref = gradient(f.value, h.value, axis=0, backend="numpy")
    np.testing.assert_allclose(g.to_value(u.K / u.m), ref, rtol=0, atol=1e-14)  # cm->m rescaling rounding
    s = spectral_laplacian(f, h, backend="numpy")
    np.testing.assert_allclose(s.to_value(u.K / u.m**2), -4 * np.sin(2 * x), atol=1e-12)
    (sg,) = spectral_gradient(f, h, backend="numpy")
    assert sg.unit == u.K / u.m
    with pytest.raises(ValueError, match="spacing\\[1\\] must have units convertible to m"):
        laplacian(np.zeros((4, 4)), [1 * u.m, 1 * u.s], backend="numpy")
