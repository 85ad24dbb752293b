"""The sliding-window maps: unfold's definition and fold as its exact adjoint."""

import numpy as np
import pytest

from fieldconv.backend import get_backend
from fieldconv.nn._window import Window, resolve_padding

GEOMS = [
    pytest.param(17, 3, 1, 1, (1, 1), id="k3-same"),
    pytest.param(17, 4, 1, 1, (1, 2), id="k4-even"),
    pytest.param(20, 5, 2, 1, (2, 2), id="stride2"),
    pytest.param(23, 3, 3, 2, (0, 0), id="stride3-dil2-valid"),
    pytest.param(16, 4, 1, 3, (9, 0), id="causal-dil3"),
    pytest.param(9, 1, 1, 1, (0, 0), id="k1"),
]


@pytest.mark.parametrize("length,k,s,d,pad", GEOMS)
def test_unfold_matches_its_definition(length, k, s, d, pad, rng):
    be = get_backend("numpy")
    win = Window(length, k, s, d, *pad)
    x = rng.standard_normal((2, 3, length))
    xpad = np.concatenate([np.zeros((2, 3, pad[0])), x, np.zeros((2, 3, pad[1]))], axis=-1)
    cols = win.unfold(be, x)
    assert cols.shape == (2, 3, k, win.out_length)
    for j in range(k):
        for t in range(win.out_length):
            assert cols[..., j, t] == pytest.approx(xpad[..., t * s + j * d])


@pytest.mark.parametrize("length,k,s,d,pad", GEOMS)
def test_fold_is_the_adjoint_of_unfold(length, k, s, d, pad, rng):
    # <unfold x, c> = <x, fold c>: both sides sum the same products, ~k*L terms of O(1): 1e-13 relative
    be = get_backend("numpy")
    win = Window(length, k, s, d, *pad)
    x = rng.standard_normal((2, 3, length))
    c = rng.standard_normal((2, 3, k, win.out_length))
    lhs = np.sum(win.unfold(be, x) * c)
    rhs = np.sum(x * win.fold(be, c))
    assert lhs == pytest.approx(rhs, rel=1e-13, abs=1e-13)


def test_output_length_formula():
    for length, k, s, d in [(10, 3, 1, 1), (10, 3, 2, 1), (11, 3, 2, 2), (7, 7, 1, 1)]:
        win = Window(length, k, s, d, 0, 0)
        assert win.out_length == (length - d * (k - 1) - 1) // s + 1


def test_padding_modes():
    assert resolve_padding("same", 5, 1) == (2, 2)
    assert resolve_padding("same", 4, 1) == (1, 2)  # the odd zero on the right, as PyTorch
    assert resolve_padding("same", 3, 4) == (4, 4)
    assert resolve_padding("causal", 3, 2) == (4, 0)
    assert resolve_padding("valid", 9, 3) == (0, 0)
    assert resolve_padding(3, 9, 1) == (3, 3)


@pytest.mark.parametrize("padding,match", [("full", "padding must be"), (-1, "padding must be >= 0"), (1.5, "padding must be an integer")])
def test_bad_padding(padding, match):
    with pytest.raises((ValueError, TypeError), match=match):
        resolve_padding(padding, 3, 1)


def test_kernel_longer_than_signal():
    with pytest.raises(ValueError, match="kernel spans 9 points"):
        Window(5, 5, 1, 2, 0, 0)


@pytest.mark.parametrize("length,k,s,d,pad", GEOMS)
def test_windows_of_an_output_range(length, k, s, d, pad, rng):
    be = get_backend("numpy")
    win = Window(length, k, s, d, *pad)
    x = rng.standard_normal((2, length))
    full = win.unfold(be, x)
    c = rng.standard_normal(full.shape)
    folded = np.zeros((2, length))
    cuts = np.linspace(0, win.out_length, 4).astype(int)
    for t0, t1 in zip(cuts[:-1], cuts[1:]):
        np.testing.assert_array_equal(win.unfold(be, x, t_range=(t0, t1)), full[..., t0:t1])
        win.fold(be, c[..., t0:t1], out=folded, t_range=(t0, t1))  # pieces add up to the whole adjoint
    np.testing.assert_allclose(folded, win.fold(be, c), rtol=1e-14, atol=1e-14)
