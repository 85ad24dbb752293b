"""Optional cross-checks against PyTorch (runs where torch is installed; never a dependency)."""

import numpy as np
import pytest

from fieldconv.nn import ChannelMixer

from .mixer_cases import LAWS, POSITIVE_LAWS

torch = pytest.importorskip("torch")


def test_unconstrained_equals_conv1d_kernel_size_1(rng):
    """Forward and every gradient equal torch's conv1d with a 1-wide kernel on (B, C, L), float64."""
    mix = ChannelMixer(5, 3, channel_axis=1, dtype=np.float64, rng=0, backend="numpy")
    x = rng.standard_normal((4, 5, 33))
    g = rng.standard_normal((4, 3, 33))
    W, b = mix.weight64()
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(W[:, :, None], requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.conv1d(xt, Wt, bt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(mix(x), yt.detach().numpy(), rtol=1e-13, atol=1e-14)
    gx = mix.backward(g)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-13, atol=1e-14)
    gW, gb = mix.grads()
    np.testing.assert_allclose(gW, Wt.grad.numpy()[:, :, 0], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-12, atol=1e-13)


def _torch_weight(constraint, mix, raw):
    """The same parameterisation written with torch ops (autograd gives the reference gradient)."""
    p = mix._param
    if constraint == "orthogonal" or (isinstance(constraint, dict) and constraint.get("orthogonal")):
        th = raw["weight_skew"]
        A = th - th.T
        eye = torch.eye(A.shape[0], dtype=A.dtype)
        K = torch.linalg.solve(eye - A, eye + A)
        Q = torch.tensor(mix.backend.to_numpy(p._base)) @ K
        if p.laws is None:
            return Q[: p.out_channels, : p.in_channels]
        L = torch.tensor(p.L)
        return torch.tensor(p.E) + L @ Q @ L.T
    if isinstance(constraint, dict) and constraint.get("nonnegative") or constraint == "stochastic":
        z = raw["weight_logits"] + torch.tensor(mix.backend.to_numpy(p._mask))
        s = torch.softmax(z, dim=0)
        V = torch.tensor(mix.backend.to_numpy(p._V))  # (C_in, C_out, nv)
        return torch.einsum("jiv,vj->ij", V, s)
    if constraint == "nonnegative":
        return torch.nn.functional.softplus(raw["weight_softplus"])
    return torch.tensor(p.W0) + torch.tensor(p.U) @ raw["weight_null"]


@pytest.mark.parametrize(
    "constraint, n_in, n_out",
    [
        ("orthogonal", 5, 5),
        ("orthogonal", 3, 5),
        ("orthogonal", 5, 3),
        ({"conserve": LAWS, "orthogonal": True}, 6, 6),
        ("stochastic", 4, 3),
        ({"conserve": POSITIVE_LAWS, "nonnegative": True}, 6, 6),
        ("nonnegative", 4, 4),
        ({"conserve": LAWS}, 6, 6),
    ],
    ids=["orth", "orth-tall", "orth-wide", "orth-conserve", "stochastic", "conserve-nonneg", "nonneg", "conserve"],
)
def test_parameterisation_gradients_equal_autograd(constraint, n_in, n_out, rng):
    mix = ChannelMixer(n_in, n_out, constraint=constraint, bias=False, channel_axis=1, dtype=np.float64, rng=3,
                       backend="numpy")
    for p in mix.parameters():
        p[...] = 0.7 * rng.standard_normal(p.shape)
    x = rng.standard_normal((2, n_in, 9))
    g = rng.standard_normal((2, n_out, 9))
    raw = {k: torch.tensor(v, requires_grad=True) for k, v in mix.named_parameters().items()}
    Wt = _torch_weight(constraint, mix, raw)
    np.testing.assert_allclose(Wt.detach().numpy(), mix.weight64()[0], rtol=0, atol=1e-13)
    yt = torch.einsum("oi,bil->bol", Wt, torch.tensor(x))
    yt.backward(torch.tensor(g))
    mix(x)
    mix.backward(g)
    for (name, ref), got in zip(raw.items(), mix.grads()):
        np.testing.assert_allclose(got, ref.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
