"""Constrained mixers: the constraint holds for every raw value, through training, to round-off.

Round-off model used for the tolerances (u = unit round-off of the dtype,
n = in_channels): the computed output of one point is
``fl(W x + b) = W x + b + e`` with ``|e| <= (n + 1) u (|W| |x| + |b|)`` (an
n-term dot product and one addition, Higham 2002 Sec. 3.1), and the built
weight satisfies its laws to ``|C_out W - C_in| <= (m + 2) u |C| |W|`` (one
product ``U P`` and one sum in float64, then one rounding to the field's
dtype).  Nothing accumulates over optimiser steps because ``W`` is rebuilt
from the raw arrays at every forward.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fieldconv.nn import ChannelMixer
from fieldconv.nn.mixers import conserved_totals
from fieldconv.nn.optim import Adam

from .mixer_cases import CASES, LAWS, POSITIVE_LAWS, central_differences, laws_of, violations

CASE_PARAMS = [pytest.param(*v, id=k) for k, v in CASES.items()]


def _mixer(constraint, n_in, n_out, dtype=np.float64, backend="numpy", rng=3, **kw):
    return ChannelMixer(n_in, n_out, constraint=constraint, dtype=dtype, backend=backend, rng=rng, **kw)


def _tol_constraint(W, u):
    # construction: (m + 2) u |C| |W| with |C| <= 3 (the laws' entries), m <= 6, plus margin 4
    return 4 * 8 * 3 * u * max(1.0, float(np.abs(W).max())) * W.shape[0]


# --------------------------------------------------------------- by construction
@pytest.mark.parametrize("constraint, n_in, n_out", CASE_PARAMS)
def test_any_raw_values_give_a_valid_mixer(constraint, n_in, n_out):
    """Whatever an optimiser writes into the raw arrays (here: Gaussian, scale 10), W satisfies the constraint."""
    mix = _mixer(constraint, n_in, n_out)
    rng = np.random.default_rng(0)
    for _ in range(5):
        for p in mix.parameters():
            p[...] = 10 * rng.standard_normal(p.shape)
        W, b = mix.weight64()
        for name, v in violations(constraint, W, b).items():
            tol = 0.0 if name == "negative" else _tol_constraint(W, np.finfo(np.float64).eps / 2)
            assert v <= tol, (name, v, tol)


@given(
    raw=hnp.arrays(np.float64, 36, elements=st.floats(-30, 30, allow_nan=False)),
    x=hnp.arrays(np.float64, (6, 7), elements=st.floats(0, 1e3, allow_nan=False)),
)
def test_conserving_nonnegative_property(raw, x):
    """Hypothesis: any logits, any non-negative field -> y >= 0 exactly and the laws' totals kept."""
    mix = _mixer({"conserve": POSITIVE_LAWS, "nonnegative": True}, 6, 6)
    p = mix.parameters()[0]
    p[...] = np.resize(raw, p.shape)
    y = mix(x)
    assert (y >= 0).all() and (mix.weight >= 0).all()
    # per point: |C y - C x| <= (n + 1) u |C| |W| |x| + construction (m + 2) u |C| |W| |x|
    W = mix.weight64()[0]
    bound = 2 * 9 * (np.finfo(np.float64).eps / 2) * (np.abs(POSITIVE_LAWS) @ np.abs(W) @ x) + 1e-300
    assert (np.abs(POSITIVE_LAWS @ y - POSITIVE_LAWS @ x) <= bound).all()


@given(raw=hnp.arrays(np.float64, (6, 6), elements=st.floats(-50, 50, allow_nan=False)))
def test_orthogonal_property(raw):
    """Hypothesis: any raw skew parameter (|A| up to 100) -> W^T W = I to a few ulps."""
    mix = _mixer("orthogonal", 6, 6)
    mix.parameters()[0][...] = raw
    W = mix.weight64()[0]
    # after one Newton-Schulz step: |W^T W - I| ~ s u with s = 6; margin 8
    assert np.abs(W.T @ W - np.eye(6)).max() <= 8 * 6 * np.finfo(np.float64).eps


# --------------------------------------------------------------- gradients
@pytest.mark.parametrize("constraint, n_in, n_out", CASE_PARAMS)
def test_gradients_finite_difference(constraint, n_in, n_out):
    """dL/d(raw) and dL/dx of L = <c, y> against central differences, float64.

    Central differences with step h: truncation h^2 |f'''| / 6 (the maps are
    smooth and O(1) here) plus rounding eps |L| / h; h = 1e-5 gives ~1e-10
    for both, so 1e-7 relative to the gradient's scale is a safe bound.
    """
    mix = _mixer(constraint, n_in, n_out, channel_axis=1)
    rng = np.random.default_rng(1)
    for p in mix.parameters():
        p[...] = 0.5 * rng.standard_normal(p.shape)
    x = rng.random((2, n_in, 3))
    c = rng.standard_normal((2, n_out, 3))

    def loss():
        return float(np.sum(c * mix(x)))

    mix(x)
    gx = mix.backward(c)
    h = 1e-5
    for g, fd in zip(mix.grads() + [gx], central_differences(loss, mix.parameters() + [x], h)):
        scale = max(1.0, float(np.abs(fd).max()))
        np.testing.assert_allclose(g, fd, rtol=0, atol=1e-7 * scale)


# --------------------------------------------------------------- training drift
def _train(mix, steps, rng, lr=1e-2, check_every=None, check=None, persistent=False):
    """`steps` Adam steps driven by large random output gradients (scale 1e6) on a small field.

    ``persistent``: the gradients share a fixed random direction (plus noise), so the
    weights travel far (|W| ~ 10 after 1000 steps at lr 1e-2) instead of random-walking.
    """
    opt = Adam(mix.parameters(), lr=lr)
    xs = rng.random((mix.in_channels, 2, 8)).astype(mix.dtype)
    fixed = rng.standard_normal((mix.out_channels, 2, 8)) if persistent else 0.0
    for step in range(steps):
        y = mix(xs)
        mix.backward((1e6 * (fixed + rng.standard_normal(y.shape))).astype(mix.dtype))
        opt.step(mix.grads())
        if check_every and (step + 1) % check_every == 0:
            check()


def _field(n_species, dtype, rng):
    """A random 3D multi-species field, non-negative densities of very different sizes."""
    scale = np.array([1.0, 3.0, 0.1, 10.0, 0.5, 2.0])[:n_species, None, None, None]
    return (scale * rng.random((n_species, 16, 16, 16))).astype(dtype)


CONSERVING = [
    pytest.param({"conserve": LAWS}, 6, 6, id="conserve"),
    pytest.param("stochastic", 6, 6, id="stochastic"),
    pytest.param({"conserve": POSITIVE_LAWS, "nonnegative": True}, 6, 6, id="conserve-nonneg"),
    pytest.param({"conserve": LAWS, "orthogonal": True}, 6, 6, id="orthogonal-conserve"),
    pytest.param({"linear": (CASES["linear"][0]["linear"]), "conserve": LAWS[:1]}, 6, 6, id="linear-conserve"),
    pytest.param({"conserve": CASES["conserve-rect"][0]["conserve"]}, 6, 4, id="conserve-rect"),
]


GRADIENTS = pytest.mark.parametrize("persistent", [False, True], ids=["random-grads", "persistent-grads"])


@GRADIENTS
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("constraint, n_in, n_out", CONSERVING)
def test_conserved_totals_after_1000_adam_steps(constraint, n_in, n_out, dtype, persistent):
    """Each conserved total of a random 3D field is unchanged by the trained mixer, to round-off.

    Bound (per law): |T(y) - T(x)| <= (n + 1) u sum_p |C| (|W| |x_p| + |b|)   (the product)
                                    + (m + 2) u |C| |W| |sum_p x_p|          (the built W)
                                    + log2(N) u64 sum_p |C| |y_p|            (the float64 totals)
    with u of the field's dtype.  float64 must also meet the issue's 1e-13 relative.
    """
    rng = np.random.default_rng(2)
    mix = _mixer(constraint, n_in, n_out, dtype=dtype, rng=5)
    C_out, C_in = laws_of(constraint, n_in, n_out)
    x = _field(n_in, dtype, rng)
    T0 = conserved_totals(x, C_in, dtype=np.float64)
    worst = []

    def check():
        y = mix(x)
        T1 = conserved_totals(y, C_out, dtype=np.float64)
        W, b = mix.weight64()
        Wa = np.abs(W)
        u = np.finfo(dtype).eps / 2
        xs = np.abs(x.astype(np.float64)).reshape(n_in, -1)
        ys = np.abs(y.astype(np.float64)).reshape(n_out, -1)
        sum_wx = np.abs(C_out) @ (Wa @ xs.sum(axis=1))
        if b is not None:
            sum_wx = sum_wx + np.abs(C_out) @ np.abs(b) * xs.shape[1]
        bound = (n_in + 1) * u * sum_wx + (n_out + 2) * u * np.abs(C_out) @ Wa @ xs.sum(axis=1)
        bound += np.log2(xs.shape[1]) * 1.2e-16 * (np.abs(C_out) @ ys.sum(axis=1))
        drift = np.abs(T1 - T0)
        assert (drift <= bound).all(), (drift, bound)
        if dtype == np.float64:
            assert (drift <= 1e-13 * np.abs(T0)).all(), drift / np.abs(T0)
        worst.append(float((drift / np.abs(T0)).max()))
        if "nonnegative" in str(constraint) or constraint == "stochastic":
            assert (y >= 0).all() and (mix.weight >= 0).all()  # exactly, not to a tolerance

    _train(mix, 1000, rng, check_every=250, check=check, persistent=persistent)
    assert len(worst) == 4


@GRADIENTS
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("n_in, n_out", [(6, 6), (4, 6)], ids=["square", "tall"])
def test_orthogonal_norms_after_1000_adam_steps(n_in, n_out, dtype, persistent):
    """|W x| = |x| at every point of a random 3D field after training, to round-off.

    Per point: | |fl(W x)| - |x| | <= (n + 1) u sqrt(m) |x|  (product; |W| |x| <= sqrt(m)|x|
    for orthonormal columns) + |W^T W - I| |x| (built W: ~ 6 s u after the Newton-Schulz
    step, plus one rounding to the dtype) + 2 u |x| (the norms); float64 also <= 1e-13.
    """
    rng = np.random.default_rng(3)
    mix = _mixer("orthogonal", n_in, n_out, dtype=dtype, rng=6)
    x = rng.standard_normal((n_in, 12, 12, 12)).astype(dtype)
    nx = np.linalg.norm(x.astype(np.float64), axis=0)
    u = np.finfo(dtype).eps / 2

    def check():
        ny = np.linalg.norm(mix(x).astype(np.float64), axis=0)
        rel = np.abs(ny - nx) / nx
        bound = (n_in + 1) * u * np.sqrt(n_out) + (6 * max(n_in, n_out) + 2) * u + 2 * u
        assert rel.max() <= bound, (rel.max(), bound)
        if dtype == np.float64:
            assert rel.max() <= 1e-13

    _train(mix, 1000, rng, check_every=500, check=check, persistent=persistent)


def test_nonnegativity_is_exact_after_training():
    """Plain non-negative mixer: W >= 0 and y >= 0 exactly, with softplus logits driven far negative."""
    rng = np.random.default_rng(4)
    mix = _mixer("nonnegative", 6, 5, dtype=np.float32)
    _train(mix, 300, rng, lr=1.0)
    assert (mix.weight >= 0).all()
    assert (mix(rng.random((6, 9, 9)).astype(np.float32)) >= 0).all()


# --------------------------------------------------------------- backends
@pytest.mark.parametrize("constraint, n_in, n_out", CASE_PARAMS)
def test_same_results_on_every_backend(constraint, n_in, n_out, backend):
    """The parameterisation and the product run on the backend (array_api_strict: no host copies)."""
    ref = _mixer(constraint, n_in, n_out, rng=8)
    mix = _mixer(constraint, n_in, n_out, rng=8, backend=backend)
    for name, buf in ref.named_buffers().items():
        mix.named_buffers()[name][...] = backend.asarray(buf, copy=True)
    rng = np.random.default_rng(9)
    x = rng.random((n_in, 4, 5))
    g = rng.standard_normal((n_out, 4, 5))
    y = backend.to_numpy(mix(backend.asarray(x, copy=True)))
    gx = backend.to_numpy(mix.backward(backend.asarray(g, copy=True)))
    np.testing.assert_allclose(y, ref(x), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gx, ref.backward(g), rtol=1e-12, atol=1e-13)
    for a, b in zip(mix.grads(), ref.grads()):
        np.testing.assert_allclose(backend.to_numpy(a), b, rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------- set_weight, buffers
@pytest.mark.parametrize("constraint, n_in, n_out", CASE_PARAMS)
def test_set_weight_round_trip(constraint, n_in, n_out):
    src = _mixer(constraint, n_in, n_out, rng=10)
    dst = _mixer(constraint, n_in, n_out, rng=11)
    params_before = [id(p) for p in dst.parameters()]
    W, b = src.weight64()
    dst.set_weight(W, b)
    W2, b2 = dst.weight64()
    np.testing.assert_allclose(W2, W, rtol=0, atol=1e-12)
    if b is not None:
        np.testing.assert_allclose(b2, b, rtol=0, atol=1e-12)
    assert [id(p) for p in dst.parameters()] == params_before


@pytest.mark.parametrize("constraint, n_in, n_out", CASE_PARAMS)
def test_constraint_round_trips_through_the_constructor(constraint, n_in, n_out):
    """mix.constraint is a valid constraint= argument: rebuild, copy parameters and buffers, same W."""
    src = _mixer(constraint, n_in, n_out, rng=12)
    dst = _mixer(src.constraint, n_in, n_out, rng=13, bias=src.has_bias)
    assert dst.constraint_kind == src.constraint_kind
    for (name, a), (name2, b) in zip(src.named_parameters().items(), dst.named_parameters().items()):
        assert name == name2
        b[...] = a
    for name, buf in src.named_buffers().items():
        dst.named_buffers()[name][...] = buf
    np.testing.assert_array_equal(dst.weight64()[0], src.weight64()[0])


def test_set_weight_refuses_a_violating_matrix_unless_projecting():
    mix = _mixer("stochastic", 3, 3)
    W = np.array([[0.5, 0.2, 0.0], [0.6, 0.8, 0.0], [0.1, 0.0, 1.0]])  # column 0 sums to 1.2
    with pytest.raises(ValueError, match="does not satisfy the stochastic constraint.*project=True"):
        mix.set_weight(W)
    mix.set_weight(W, project=True)
    np.testing.assert_allclose(mix.weight64()[0].sum(axis=0), 1.0, rtol=0, atol=1e-15)


def test_orthogonal_base_point_is_a_buffer():
    a = _mixer("orthogonal", 5, 5, rng=1)
    b = _mixer("orthogonal", 5, 5, rng=2)
    for p, q in zip(b.parameters(), a.parameters()):
        p[...] = q
    assert not np.allclose(a.weight, b.weight)
    for name, buf in a.named_buffers().items():
        b.named_buffers()[name][...] = buf
    np.testing.assert_array_equal(a.weight, b.weight)
    assert list(a.named_buffers("m.")) == ["m.weight_base"]
    assert _mixer({"conserve": LAWS}, 6, 6).named_buffers() == {}


def test_bias_rules():
    assert _mixer({"conserve": LAWS}, 6, 6).has_bias
    assert not _mixer("orthogonal", 3, 3).has_bias
    assert _mixer("orthogonal", 3, 3, bias=True).has_bias  # an affine isometry, asked for
    assert not _mixer("stochastic", 3, 3).has_bias
    mix = _mixer({"conserve": LAWS}, 6, 6)
    for p in mix.parameters():
        p[...] = np.random.default_rng(0).standard_normal(p.shape)
    assert np.abs(LAWS @ mix.weight64()[1]).max() < 1e-14  # C b = 0


def test_square_conservation_starts_from_the_exact_identity():
    """W0 = I: with zero raw values the mixer is the identity, exactly."""
    mix = _mixer({"conserve": LAWS}, 6, 6, bias=False)
    mix.parameters()[0][...] = 0.0
    np.testing.assert_array_equal(mix.weight64()[0], np.eye(6))


def test_vertices_of_a_scaled_simplex():
    """One law with masses m: the vertices of column j are (m_j / m_i) e_i, and W conserves sum m_i x_i."""
    masses = np.array([[1.0, 2.0, 4.0]])
    mix = _mixer({"conserve": masses, "nonnegative": True}, 3, 3)
    V = mix._param.vertices[1]
    np.testing.assert_allclose(np.sort(V.sum(axis=0)), np.sort(2.0 / masses[0]), rtol=1e-15)
    W = mix.weight64()[0]
    np.testing.assert_allclose(masses @ W, masses, rtol=1e-15)


def test_float32_parameters_float64_field_conserve_to_float64_round_off():
    """W is built in float64 from the (float32) raw values, so a float64 field keeps float64 precision."""
    mix = _mixer({"conserve": LAWS}, 6, 6, dtype=np.float32)
    x = np.random.default_rng(0).random((6, 10, 10))
    T0, T1 = conserved_totals(x, LAWS), conserved_totals(mix(x), LAWS)
    assert mix(x).dtype == np.float64
    assert (np.abs(T1 - T0) <= 1e-13 * np.abs(T0)).all()


# --------------------------------------------------------------- bad input
BAD = [
    ({"conserve": np.ones((1, 4))}, 3, 3, ValueError, r"conserve must have shape \(any, 3\); got \(1, 4\)"),
    ({"conserve": np.ones(3)}, 3, 2, ValueError, r"rectangular mixer \(3 -> 2 channels\) needs the pair"),
    ({"conserve": (np.ones((1, 2)), np.ones((2, 3)))}, 3, 2, ValueError, "one row per law; got 1 and 2"),
    ({"conserve": (np.ones((1, 3)), np.ones((1, 3)))}, 3, 2, ValueError, r"conserve C_out must have shape \(any, 2\)"),
    ({"conserve": np.array([[1.0, 1, 1], [2, 2, 2]])}, 3, 3, ValueError, "linearly dependent"),
    ({"conserve": (np.array([[1.0, 1], [2, 2]]), np.array([[1.0, 1, 1], [1, 2, 3]]))}, 3, 2, ValueError,
     "inconsistent"),
    ({"conserve": np.array([[1.0, np.nan, 1]])}, 3, 3, ValueError, "conserve must be finite"),
    ({"conserve": np.zeros((0, 3))}, 3, 3, ValueError, "at least one law"),
    ({"conserve": "abc"}, 3, 3, TypeError, "conserve must be an array"),
    ({"conserve": np.array([[1.0, -1.0]]), "nonnegative": True}, 2, 2, NotImplementedError, "unbounded"),
    ({"conserve": np.ones((1, 3)), "orthogonal": True}, 3, 2, ValueError, "needs the pair"),
    ({"conserve": (np.ones((1, 2)), np.ones((1, 3))), "orthogonal": True}, 3, 2, NotImplementedError,
     "square mixer"),
    ({"orthogonal": True, "nonnegative": True}, 3, 3, ValueError, "permutation"),
    ({"linear": (np.ones((1, 9)), [1.0]), "orthogonal": True}, 3, 3, NotImplementedError, "linear \\+ orthogonal"),
    ({"linear": (np.ones((1, 9)), [1.0]), "nonnegative": True}, 3, 3, NotImplementedError, "linear \\+ nonneg"),
    ({"linear": (np.ones((1, 8)), [1.0])}, 3, 3, ValueError, r"linear A must have shape \(any, 9\)"),
    ({"linear": (np.ones((2, 9)), [1.0, 2.0])}, 3, 3, ValueError, "inconsistent"),
    ({"linear": (np.ones((1, 9)), [1.0, 2.0])}, 3, 3, ValueError, r"linear c must have shape \(1\)"),
    ({"linear": np.ones(9)}, 3, 3, TypeError, r"linear must be a pair \(A, c\)"),
    ({"conserved": np.ones((1, 3))}, 3, 3, ValueError, r"unknown keys \['conserved'\]"),
    ({"orthogonal": "yes"}, 3, 3, TypeError, r"constraint\['orthogonal'\] must be True or False"),
    ("unitary", 3, 3, ValueError, "constraint must be None, one of 'orthogonal'"),
    (42, 3, 3, TypeError, "constraint must be None, a str or a dict; got int"),
    ({"conserve": (np.ones((1, 2)), np.array([[1.0, -1.0, 1.0]])), "nonnegative": True}, 3, 2, ValueError,
     r"no non-negative column w satisfies C_out w = C_in\[:, 1\]"),
    ({"conserve": np.ones((1, 40)) + np.eye(40)[:1] * 0, "nonnegative": True}, 40, 40, None, None),
]


@pytest.mark.parametrize("constraint, n_in, n_out, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_constraints_raise_naming_the_parameter(constraint, n_in, n_out, exc, match):
    if exc is None:  # a legal large case still builds (40 vertices per column)
        assert _mixer(constraint, n_in, n_out).weight.shape == (n_out, n_in)
        return
    with pytest.raises(exc, match=match):
        _mixer(constraint, n_in, n_out)


def test_bias_errors():
    with pytest.raises(ValueError, match="bias: a stochastic mixer cannot have a bias"):
        _mixer("stochastic", 3, 3, bias=True)
    with pytest.raises(ValueError, match="bias: a conserve \\+ nonnegative mixer cannot have a bias"):
        _mixer({"conserve": np.ones((1, 3)), "nonnegative": True}, 3, 3, bias=True)


def test_vertex_enumeration_limit():
    C = np.abs(np.random.default_rng(0).standard_normal((4, 40))) + 0.1
    with pytest.raises(NotImplementedError, match=r"binom\(40, 4\) = 91390 bases"):
        _mixer({"conserve": C, "nonnegative": True}, 40, 40)


def test_set_weight_errors():
    mix = _mixer({"conserve": LAWS}, 6, 6)
    with pytest.raises(ValueError, match=r"weight must have shape \(6, 6\); got \(6, 5\)"):
        mix.set_weight(np.eye(6)[:, :5])
    with pytest.raises(ValueError, match=r"bias must have shape \(6,\); got \(5,\)"):
        mix.set_weight(np.eye(6), np.zeros(5))
    with pytest.raises(ValueError, match="weight must be finite"):
        mix.set_weight(np.full((6, 6), np.nan))
    with pytest.raises(ValueError, match="bias: this mixer has no bias"):
        _mixer("orthogonal", 3, 3).set_weight(np.eye(3), np.zeros(3))


# --------------------------------------------------------------- fuzzing the public API
_SPEC = st.one_of(
    st.none(),
    st.sampled_from(["orthogonal", "stochastic", "nonnegative", "unitary", ""]),
    st.fixed_dictionaries(
        {},
        optional={
            "conserve": st.one_of(
                hnp.arrays(np.float64, st.tuples(st.integers(0, 3), st.integers(1, 4)),
                           elements=st.one_of(st.floats(-3, 3), st.just(np.nan))),
                st.just((np.ones((1, 3)), np.ones((1, 2)))),
                st.just("mass"),
            ),
            "nonnegative": st.one_of(st.booleans(), st.just(1)),
            "orthogonal": st.booleans(),
            "linear": st.one_of(st.just((np.ones((1, 9)), [1.0])), st.just((np.zeros((1, 9)), [1.0]))),
        },
    ),
)


@given(spec=_SPEC, n_in=st.integers(1, 4), n_out=st.integers(1, 4), bias=st.sampled_from([None, True, False]))
def test_fuzz_constructor_fails_only_with_documented_errors(spec, n_in, n_out, bias):
    """Any constraint argument either gives a mixer satisfying it or a documented error."""
    try:
        mix = ChannelMixer(n_in, n_out, constraint=spec, bias=bias, dtype=np.float64, backend="numpy", rng=0)
    except (ValueError, TypeError, NotImplementedError) as exc:
        assert str(exc)  # a message, naming the parameter
        return
    W, b = mix.weight64()
    assert np.all(np.isfinite(W)) and W.shape == (n_out, n_in)
    assert mix._param.residual(W, b) <= 1e-12


@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=4),
    axis=st.integers(-5, 5),
    dtype=st.sampled_from([np.float32, np.float64, np.int16, np.complex64, np.bool_]),
)
def test_fuzz_forward_fails_only_with_documented_errors(shape, axis, dtype):
    mix = ChannelMixer(3, 2, channel_axis=axis, rng=0, backend="numpy")
    x = np.ones(shape, dtype=dtype)
    try:
        y = mix(x)
    except (ValueError, TypeError) as exc:
        assert "x" in str(exc) or "channel_axis" in str(exc)
        return
    assert y.shape[axis] == 2 and y.dtype in (np.float32, np.float64)
