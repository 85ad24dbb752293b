"""Mixer tools: collapse of chains, Gram transform, conserved totals, projections, PCA."""

import itertools
import warnings

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fieldconv.errors import AccuracyWarning
from fieldconv.nn import ChannelMixer
from fieldconv.nn.mixers import (
    channel_gram,
    collapse_mixers,
    conserved_totals,
    gram_transform,
    pca_mixer,
    project_weight,
)
from fieldconv.nn.mixers._polytope import project_polytope_column

from .mixer_cases import LAWS, POSITIVE_LAWS, violations

U64 = np.finfo(np.float64).eps / 2


def _mix(constraint, n_in, n_out, rng, **kw):
    return ChannelMixer(n_in, n_out, constraint=constraint, dtype=np.float64, backend="numpy", rng=rng, **kw)


# --------------------------------------------------------------- collapse
CHAINS = [
    pytest.param(None, [(6, 4), (4, 5)], "none", id="free"),
    pytest.param({"conserve": LAWS}, [(6, 6)] * 3, "conserve", id="conserve"),
    pytest.param("stochastic", [(6, 3), (3, 5)], "stochastic", id="stochastic-rect"),
    pytest.param({"conserve": POSITIVE_LAWS, "nonnegative": True}, [(6, 6)] * 2, "conserve", id="conserve-nonneg"),
    pytest.param("orthogonal", [(6, 6)] * 3, "orthogonal", id="orthogonal"),
    pytest.param("orthogonal", [(3, 5), (5, 6)], "orthogonal", id="orthogonal-widening"),
    pytest.param("orthogonal", [(3, 6), (6, 4)], "none", id="orthogonal-widen-narrow"),
    pytest.param({"conserve": LAWS, "orthogonal": True}, [(6, 6)] * 2, "orthogonal", id="orthogonal-conserve"),
    pytest.param("nonnegative", [(6, 4), (4, 2)], "nonnegative", id="nonnegative"),
]


@pytest.mark.parametrize("constraint, shapes, kind", CHAINS)
def test_collapse_equals_the_chain_and_keeps_the_constraint(constraint, shapes, kind):
    mixers = [_mix(constraint, a, b, rng=i) for i, (a, b) in enumerate(shapes)]
    one = collapse_mixers(mixers)
    assert one.constraint_kind == kind
    x = np.random.default_rng(0).random((shapes[0][0], 5, 6))
    y = x
    for m in mixers:
        y = m(y)
    np.testing.assert_allclose(one(x), y, rtol=1e-13, atol=1e-13)
    if kind != "none":
        W, b = one.weight64()
        for name, v in violations(constraint, W, b).items():
            assert v <= 64 * U64 * max(1.0, np.abs(W).max()), name


def test_collapse_rectangular_conservation_chains_the_laws():
    mass6, mass4, mass2 = np.ones((1, 6)), np.ones((1, 4)), np.ones((1, 2))
    a = _mix({"conserve": (mass4, mass6)}, 6, 4, rng=0)
    b = _mix({"conserve": (mass2, mass4)}, 4, 2, rng=1)
    one = collapse_mixers([a, b])
    C_out, C_in = one.constraint["conserve"]
    assert collapse_mixers([a, b]).constraint_kind == "conserve"
    np.testing.assert_array_equal(C_out, mass2)
    np.testing.assert_array_equal(C_in, mass6)
    x = np.random.default_rng(1).random((6, 10))
    np.testing.assert_allclose(one(x).sum(), x.sum(), rtol=1e-14)


def test_collapse_explicit_constraint_and_errors():
    a, b = _mix(None, 3, 3, rng=0), _mix(None, 3, 3, rng=1)
    with pytest.raises(ValueError, match="does not satisfy the orthogonal constraint"):
        collapse_mixers([a, b], constraint="orthogonal")
    assert collapse_mixers([a, b], constraint=None).constraint is None
    with pytest.raises(ValueError, match="at least one ChannelMixer"):
        collapse_mixers([])
    with pytest.raises(TypeError, match=r"mixers\[1\] must be a ChannelMixer; got ndarray"):
        collapse_mixers([a, np.eye(3)])
    with pytest.raises(ValueError, match=r"mixers\[1\] must take mixers\[0\]'s 3 output channels"):
        collapse_mixers([a, _mix(None, 4, 3, rng=0)])
    with pytest.raises(ValueError, match=r"mixers\[1\] must share channel_axis=0; got 1"):
        collapse_mixers([a, _mix(None, 3, 3, rng=0, channel_axis=1)])


def test_collapse_keeps_the_biases():
    a, b = _mix(None, 2, 3, rng=0), _mix(None, 3, 2, rng=1, bias=False)
    one = collapse_mixers([a, b])
    x = np.random.default_rng(2).random((2, 7))
    np.testing.assert_allclose(one(x), b(a(x)), rtol=1e-14, atol=1e-15)
    assert one.has_bias


# --------------------------------------------------------------- Gram
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gram_transform_is_exact(axis, backend):
    rng = np.random.default_rng(3)
    shape = [4, 5, 6]
    shape[axis] = 3
    x = rng.standard_normal(shape)
    mix = ChannelMixer(3, 2, channel_axis=axis, dtype=np.float64, rng=4, backend=backend)
    xd = backend.asarray(x, copy=True)
    Ga = channel_gram(xd, channel_axis=axis, augmented=True)
    lhs = backend.to_numpy(gram_transform(Ga, mix))
    rhs = backend.to_numpy(channel_gram(mix(xd), channel_axis=axis, augmented=True))
    # both sides sum 40 products of O(1) numbers: 40 * 8 ulps of the largest entry
    np.testing.assert_allclose(lhs, rhs, rtol=0, atol=40 * 8 * U64 * np.abs(rhs).max())
    G = backend.to_numpy(channel_gram(xd, channel_axis=axis))
    xm = np.moveaxis(x, axis, 0).reshape(3, -1)
    np.testing.assert_allclose(G, xm @ xm.T, rtol=1e-13)


def test_gram_dtype_and_errors():
    x32 = np.ones((2, 5), dtype=np.float32)
    assert channel_gram(x32).dtype == np.float32
    mix = ChannelMixer(2, 2, rng=0, backend="numpy")
    with pytest.raises(ValueError, match="non-zero bias.*augmented=True"):
        gram_transform(channel_gram(x32), mix)
    with pytest.raises(ValueError, match=r"gram must have shape \(2, 2\) or, augmented, \(3, 3\).*got \(4, 4\)"):
        gram_transform(np.eye(4), mix)
    with pytest.raises(ValueError, match="bias must not be given with a ChannelMixer"):
        gram_transform(np.eye(3), mix, bias=np.zeros(2))


def test_orthogonal_mixer_preserves_the_gram_trace():
    mix = _mix("orthogonal", 4, 4, rng=1)
    G = channel_gram(np.random.default_rng(0).standard_normal((4, 50)))
    assert np.isclose(np.trace(gram_transform(G, mix)), np.trace(G), rtol=1e-14)


# --------------------------------------------------------------- totals
def test_conserved_totals_against_numpy(backend):
    rng = np.random.default_rng(5)
    x = rng.random((2, 6, 4, 3))
    xd = backend.asarray(x, copy=True)
    T = backend.to_numpy(conserved_totals(xd, LAWS, channel_axis=1))
    np.testing.assert_allclose(T, LAWS @ x.sum(axis=(0, 2, 3)), rtol=1e-14)
    per = backend.to_numpy(conserved_totals(xd, LAWS, channel_axis=1, per_point=True))
    assert per.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(per, np.einsum("lc,bcij->blij", LAWS, x), rtol=1e-14)
    assert conserved_totals(x.astype(np.float32), LAWS, channel_axis=1).dtype == np.float32
    assert conserved_totals(x.astype(np.float32), LAWS, channel_axis=1, dtype=np.float64).dtype == np.float64


def test_conserved_totals_errors():
    with pytest.raises(ValueError, match=r"laws must have shape \(any, 4\); got \(1, 3\)"):
        conserved_totals(np.ones((4, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"channel_axis must lie in \[-2, 2\) for a 2-D field; got 5"):
        conserved_totals(np.ones((4, 2)), np.ones(4), channel_axis=5)


# --------------------------------------------------------------- projection
def _brute_force_polytope_projection(C, t, v):
    """Exact reference: try every zero set Z, solve the equality-constrained LS on the rest."""
    m = v.size
    best, best_d = None, np.inf
    for r in range(m + 1):
        for Z in itertools.combinations(range(m), r):
            F = [i for i in range(m) if i not in Z]
            if not F:
                continue
            CF = C[:, F]
            # min |w_F - v_F| s.t. C_F w_F = t  ->  w_F = v_F - C_F^T lam
            try:
                lam = np.linalg.lstsq(CF @ CF.T, CF @ v[F] - t, rcond=None)[0]
            except np.linalg.LinAlgError:
                continue
            w = np.zeros(m)
            w[F] = v[F] - CF.T @ lam
            if (w >= -1e-12).all() and np.abs(C @ w - t).max() < 1e-9:
                d = np.sum((w - v) ** 2)
                if d < best_d:
                    best, best_d = np.maximum(w, 0), d
    return best


@given(v=hnp.arrays(np.float64, 5, elements=st.floats(-3, 3, allow_nan=False)))
def test_polytope_projection_is_exact(v):
    C = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 0.0, 3.0, 1.0]])
    t = np.array([1.0, 1.5])
    w, exact = project_polytope_column(C, t, v)
    ref = _brute_force_polytope_projection(C, t, v)
    assert exact
    assert (w >= 0).all()
    np.testing.assert_allclose(C @ w, t, rtol=0, atol=1e-14)
    np.testing.assert_allclose(w, ref, rtol=0, atol=1e-9)


def test_stochastic_projection_matches_the_sorting_algorithm():
    """Column-wise Euclidean projection onto the simplex (Held et al. 1974; Duchi et al. 2008)."""
    rng = np.random.default_rng(6)
    W = rng.standard_normal((5, 4))
    P = project_weight(W, "stochastic")
    for j in range(4):
        u = np.sort(W[:, j])[::-1]
        css = np.cumsum(u) - 1
        rho = np.nonzero(u - css / np.arange(1, 6) > 0)[0][-1]
        ref = np.maximum(W[:, j] - css[rho] / (rho + 1), 0)
        np.testing.assert_allclose(P[:, j], ref, rtol=0, atol=1e-15)


def test_affine_projection_is_the_least_squares_correction():
    rng = np.random.default_rng(7)
    W = rng.standard_normal((6, 6))
    P = project_weight(W, {"conserve": LAWS})
    ref = W - np.linalg.pinv(LAWS) @ (LAWS @ W - LAWS)
    np.testing.assert_allclose(P, ref, rtol=0, atol=1e-14)
    A = rng.standard_normal((3, 4, 2))
    c = rng.standard_normal(3)
    W = rng.standard_normal((4, 2))
    P = project_weight(W, {"linear": (A, c)})
    A2 = A.reshape(3, -1)
    np.testing.assert_allclose(P.reshape(-1), W.reshape(-1) - np.linalg.pinv(A2) @ (A2 @ W.reshape(-1) - c),
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)], ids=["square", "tall", "wide"])
def test_orthogonal_projection_is_the_polar_factor(shape):
    W = np.random.default_rng(8).standard_normal(shape)
    P = project_weight(W, "orthogonal")
    if shape[0] >= shape[1]:
        ref = scipy.linalg.polar(W)[0]
    else:
        ref = scipy.linalg.polar(W.T)[0].T
    np.testing.assert_allclose(P, ref, rtol=0, atol=1e-14)


def test_orthogonal_conserving_projection_is_nearest():
    """Nearest orthogonal W with C W = C, checked against many random members of the set."""
    rng = np.random.default_rng(9)
    M = rng.standard_normal((6, 6))
    P = project_weight(M, {"conserve": LAWS, "orthogonal": True})
    assert max(violations({"conserve": LAWS, "orthogonal": True}, P, None).values()) < 1e-14
    d = np.linalg.norm(P - M)
    for s in range(50):
        Q = _mix({"conserve": LAWS, "orthogonal": True}, 6, 6, rng=s).weight64()[0]
        assert np.linalg.norm(Q - M) >= d - 1e-12


def test_projection_keeps_backend_and_dtype(strict_backend):
    W = strict_backend.asarray(np.eye(3, dtype=np.float32) * 2, copy=True)
    P = project_weight(W, "orthogonal")
    assert P.dtype == strict_backend.dtype(np.float32)
    np.testing.assert_allclose(strict_backend.to_numpy(P), np.eye(3), atol=1e-7)
    Wp, bp = project_weight(np.ones((2, 2)), "nonnegative", bias=np.array([-1.0, 2.0]))
    np.testing.assert_array_equal(bp, [0.0, 2.0])


def test_projection_errors_and_warning(monkeypatch):
    with pytest.raises(ValueError, match="weight must be 2-D"):
        project_weight(np.ones(3), "orthogonal")
    with pytest.raises(ValueError, match="bias: a stochastic mixer cannot have a bias"):
        project_weight(np.ones((2, 2)), "stochastic", bias=np.ones(2))
    from fieldconv.nn.mixers import _polytope

    monkeypatch.setattr(_polytope, "project_polytope_column", lambda C, t, v: (np.maximum(v, 0), False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AccuracyWarning, match="column 0"):
            project_weight(np.ones((2, 2)), "stochastic")


# --------------------------------------------------------------- PCA
@pytest.fixture(params=["default", "tiny-chunks"])
def centring_chunks(request, monkeypatch):
    """Also centre the field in 64-element chunks (ragged last chunk, batched slabs)."""
    from fieldconv.nn.mixers import _apply

    if request.param == "tiny-chunks":
        monkeypatch.setattr(_apply, "_CHUNK_ELEMENTS", 64)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_centred_gram_in_any_layout(axis, centring_chunks, rng):
    from fieldconv.backend import get_backend
    from fieldconv.nn.mixers._statistics import _gram64

    shape = [7, 9, 11]
    shape[axis] = 3
    x = rng.standard_normal(shape) + 100.0  # a large mean: centring must happen before the products
    G, sums, count = _gram64(get_backend("numpy"), x, axis % 3, center=True)
    xm = np.moveaxis(x, axis, 0).reshape(3, -1)
    np.testing.assert_allclose(G, np.cov(xm, bias=True) * count, rtol=1e-12)


def test_pca_matches_the_svd_of_the_centred_data(backend, centring_chunks):
    rng = np.random.default_rng(10)
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    scales = np.array([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])
    x = (basis @ (scales[:, None] * rng.standard_normal((6, 4000))) + 7.0).reshape(6, 40, 100)
    mix = pca_mixer(backend.asarray(x, copy=True), 3, backend=backend)
    W, b = mix.weight64()
    xm = x.reshape(6, -1)
    xc = xm - xm.mean(axis=1, keepdims=True)
    _, s, Vt = np.linalg.svd(xc.T, full_matrices=False)
    ref = Vt[:3] * np.sign(Vt[:3][np.arange(3), np.argmax(np.abs(Vt[:3]), axis=1)])[:, None]
    np.testing.assert_allclose(W, ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(mix.explained_variance, s[:3] ** 2 / xm.shape[1], rtol=1e-10)
    np.testing.assert_allclose(b, -W @ xm.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(W @ W.T, np.eye(3), atol=1e-15)
    y = backend.to_numpy(mix(backend.asarray(x, copy=True))).reshape(3, -1)
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)  # centred scores


def test_pca_against_scikit_learn():
    sklearn = pytest.importorskip("sklearn.decomposition")
    x = np.random.default_rng(11).standard_normal((5, 300)) * np.arange(1, 6)[:, None]
    ref = sklearn.PCA(2).fit(x.T)
    mix = pca_mixer(x, 2)
    np.testing.assert_allclose(np.abs(mix.weight64()[0]), np.abs(ref.components_), atol=1e-8)
    np.testing.assert_allclose(mix.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-6)


def test_trained_orthogonal_reduction_finds_the_pca_subspace():
    """A semi-orthogonal 6 -> 2 mixer trained to keep the most variance converges to the PCA subspace.

    With orthonormal rows, |W^T W x - x|^2 = |x|^2 - |W x|^2, so minimising the
    reconstruction error is maximising L = |y|^2 / N (dL/dy = 2 y / N; we descend on -L).
    The principal angles between the trained and the PCA row spaces go to ~0.
    """
    from fieldconv.nn.optim import Adam

    rng = np.random.default_rng(12)
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    x = basis @ (np.array([4.0, 2.0, 0.3, 0.2, 0.1, 0.1])[:, None] * rng.standard_normal((6, 2000)))
    pca = pca_mixer(x, 2, center=False)
    mix = _mix("orthogonal", 6, 2, rng=0)
    opt = Adam(mix.parameters(), lr=0.05)
    for _ in range(300):
        y = mix(x)
        mix.backward(-2 * y / x.shape[1])
        opt.step(mix.grads())
    angles = scipy.linalg.subspace_angles(mix.weight64()[0].T, pca.weight64()[0].T)
    assert angles.max() < 1e-3
    kept = np.trace(gram_transform(channel_gram(x), mix)) / np.trace(channel_gram(x))
    assert np.isclose(kept, pca.explained_variance_ratio.sum(), rtol=1e-5)


def test_pca_errors():
    with pytest.raises(ValueError, match="n_components must be <= the field's 3 channels; got 4"):
        pca_mixer(np.ones((3, 10)), 4)
    with pytest.raises(ValueError, match="n_components must be >= 1; got 0"):
        pca_mixer(np.ones((3, 10)), 0)
