"""Losses (values, gradients, PyTorch parity), optimisers and learning-rate schedules."""

import numpy as np
import pytest

from fieldconv.nn import (
    SGD,
    Adam,
    AdamW,
    BCEWithLogitsLoss,
    ConstantLR,
    CosineLR,
    CrossEntropyLoss,
    MSELoss,
    ReduceOnPlateau,
    StepLR,
)

LOSSES = [
    pytest.param(lambda: BCEWithLogitsLoss(), "binary", id="bce"),
    pytest.param(lambda: BCEWithLogitsLoss(pos_weight=[1.0, 3.0, 0.5], class_weight=[2.0, 1.0, 0.5]), "binary",
                 id="bce-weighted"),
    pytest.param(lambda: CrossEntropyLoss(), "index", id="ce-index"),
    pytest.param(lambda: CrossEntropyLoss(class_weight=[1.0, 2.0, 0.5]), "index", id="ce-weighted"),
    pytest.param(lambda: CrossEntropyLoss(), "soft", id="ce-soft"),
    pytest.param(lambda: MSELoss(), "real", id="mse"),
]


def _target(kind, rng):
    if kind == "binary":
        return (rng.random((5, 3)) < 0.4).astype(np.float64)
    if kind == "index":
        return rng.integers(0, 3, 5)
    if kind == "soft":
        t = rng.random((5, 3))
        return t / t.sum(axis=1, keepdims=True)
    return rng.standard_normal((5, 3))


@pytest.mark.parametrize("make,kind", LOSSES)
def test_loss_gradient_matches_finite_differences(make, kind, rng):
    # central differences, h = 1e-6 on O(1) logits: error ~ h^2 + eps/h ~ 1e-10
    loss = make()
    z = rng.standard_normal((5, 3)) * 3
    t = _target(kind, rng)
    loss(z, t)
    g = loss.backward()
    for _ in range(3):
        v = rng.standard_normal(z.shape)
        fd = (loss(z + 1e-6 * v, t) - loss(z - 1e-6 * v, t)) / 2e-6
        assert fd == pytest.approx(float(np.sum(g * v)), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("make,kind", LOSSES)
def test_loss_matches_pytorch(make, kind, rng):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    loss = make()
    z = rng.standard_normal((5, 3)) * 3
    t = _target(kind, rng)
    value = loss(z, t)
    zt = torch.tensor(z, requires_grad=True)
    if isinstance(loss, BCEWithLogitsLoss):
        pw = None if loss.pos_weight is None else torch.tensor(loss.pos_weight, dtype=torch.float64)
        w = None if loss.class_weight is None else torch.tensor(loss.class_weight, dtype=torch.float64)
        ref = F.binary_cross_entropy_with_logits(zt, torch.tensor(t), weight=w, pos_weight=pw)
    elif isinstance(loss, CrossEntropyLoss):
        w = None if loss.class_weight is None else torch.tensor(loss.class_weight, dtype=torch.float64)
        ref = F.cross_entropy(zt, torch.tensor(t), weight=w)
    else:
        ref = F.mse_loss(zt, torch.tensor(t))
    ref.backward()
    assert value == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(loss.backward(), zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_bce_is_stable_for_huge_logits():
    loss = BCEWithLogitsLoss()
    v = loss(np.array([[1000.0, -1000.0]]), np.array([[0.0, 1.0]]))
    assert v == pytest.approx(1000.0)
    np.testing.assert_allclose(loss.backward(), [[0.5, -0.5]])


def test_loss_keeps_float32(rng):
    z = rng.standard_normal((4, 2)).astype(np.float32)
    loss = BCEWithLogitsLoss(pos_weight=[2.0, 1.0])
    loss(z, np.ones((4, 2), np.uint8))
    assert loss.backward().dtype == np.float32


def test_loss_on_strict_backend(strict_backend, rng):
    be = strict_backend
    z = rng.standard_normal((4, 3)).astype(np.float32)
    t = (rng.random((4, 3)) < 0.5).astype(np.float32)
    ref = BCEWithLogitsLoss(pos_weight=[1.0, 2.0, 3.0])
    v_ref = ref(z, t)
    loss = BCEWithLogitsLoss(pos_weight=[1.0, 2.0, 3.0])
    v = loss(be.asarray(z, copy=True), be.asarray(t, copy=True))
    assert v == pytest.approx(v_ref, rel=1e-6)
    np.testing.assert_allclose(be.to_numpy(loss.backward()), ref.backward(), rtol=1e-6)
    ce = CrossEntropyLoss()
    ce(be.asarray(z, copy=True), be.asarray(np.array([0, 2, 1, 1]), copy=True))
    assert tuple(ce.backward().shape) == (4, 3)


def test_bad_loss_input():
    with pytest.raises(ValueError, match="target must have the prediction's shape"):
        BCEWithLogitsLoss()(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="pos_weight must have one entry per class"):
        BCEWithLogitsLoss(pos_weight=[1.0, 2.0])(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class_weight must be finite and non-negative"):
        BCEWithLogitsLoss(class_weight=[1.0, -2.0, 1.0])(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 3\)"):
        CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(RuntimeError, match="needs a forward first"):
        MSELoss().backward()


@pytest.mark.parametrize("opt_name", ["sgd", "sgd-nesterov", "adam", "adamw"])
def test_optimisers_match_pytorch(opt_name, rng):
    torch = pytest.importorskip("torch")
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(5)]
    p = p0.copy()
    pt = torch.tensor(p0, requires_grad=True)
    if opt_name == "sgd":
        ours, theirs = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01), torch.optim.SGD([pt], lr=0.1, momentum=0.9,
                                                                                        weight_decay=0.01)
    elif opt_name == "sgd-nesterov":
        ours, theirs = SGD([p], lr=0.1, momentum=0.9, nesterov=True), torch.optim.SGD([pt], lr=0.1, momentum=0.9,
                                                                                     nesterov=True)
    elif opt_name == "adam":
        ours, theirs = Adam([p], lr=0.01, weight_decay=0.1), torch.optim.Adam([pt], lr=0.01, weight_decay=0.1)
    else:
        ours, theirs = AdamW([p], lr=0.01, weight_decay=0.1), torch.optim.AdamW([pt], lr=0.01, weight_decay=0.1)
    for g in grads:
        ours.step([g])
        pt.grad = torch.tensor(g)
        theirs.step()
    np.testing.assert_allclose(p, pt.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_optimiser_updates_in_place_on_strict_backend(strict_backend):
    be = strict_backend
    p = be.asarray(np.ones(3, np.float32), copy=True)
    opt = Adam([p], lr=0.1)
    opt.step([be.asarray(np.array([1.0, -1.0, 0.0], np.float32), copy=True)])
    np.testing.assert_allclose(be.to_numpy(p), [0.9, 1.1, 1.0], rtol=1e-6)


def test_bad_optimiser_input():
    p = np.zeros(3)
    with pytest.raises(ValueError, match="lr must be a finite positive number"):
        Adam([p], lr=0.0)
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0, 1\)"):
        Adam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="one array per parameter"):
        SGD([p]).step([])
    with pytest.raises(ValueError, match=r"grads\[0\] must have the parameter's shape"):
        SGD([p]).step([np.zeros(4)])


def test_schedules():
    cos = CosineLR(10, warmup=2, min_factor=0.1)
    assert cos(0.0, 1.0) == 0.0 and cos(1.0, 1.0) == pytest.approx(0.5)
    assert cos(2.0, 1.0) == pytest.approx(1.0) and cos(10.0, 1.0) == pytest.approx(0.1)
    assert cos(6.0, 1.0) == pytest.approx(0.1 + 0.9 * 0.5)
    assert StepLR(3, 0.5)(7.0, 2.0) == pytest.approx(0.5)
    assert ConstantLR()(100.0, 0.3) == 0.3
    plateau = ReduceOnPlateau(factor=0.1, patience=0, min_factor=0.05)
    for v in (1.0, 1.0, 1.0, 1.0):
        plateau.update(v)
    assert plateau(4, 1.0) == pytest.approx(0.05)  # 0.1, 0.01 floored at 0.05
    with pytest.raises(ValueError, match="warmup must be < 10"):
        CosineLR(10, warmup=10)
    with pytest.raises(ValueError, match="factor must be < 1"):
        ReduceOnPlateau(factor=1.0)
