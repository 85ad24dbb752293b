"""Property tests (hypothesis; deterministic profile in CI) of the sliding window and Conv1D."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldconv.backend import get_backend
from fieldconv.nn import Conv1D, RegionPool
from fieldconv.nn._window import Window


@st.composite
def geometries(draw):
    k = draw(st.integers(1, 6))
    d = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    span = d * (k - 1) + 1
    length = draw(st.integers(span, span + 20))
    padding = draw(st.sampled_from(["same", "valid", "causal", 0, 1, 2]))
    return length, k, s, d, padding


@given(geometries(), st.integers(0, 2**31 - 1))
def test_conv_backward_is_the_adjoint_of_forward(geom, seed):
    length, k, s, d, padding = geom
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    conv = Conv1D(2 * groups, 3 * groups, k, stride=s, dilation=d, padding=padding, groups=groups, bias=False,
                  dtype=np.float64, random_state=seed)
    x = rng.standard_normal((2, 2 * groups, length))
    y = conv(x)
    pl, pr = conv.pad
    assert y.shape[-1] == (length + pl + pr - (d * (k - 1) + 1)) // s + 1
    g = rng.standard_normal(y.shape)
    dx = conv.backward(g)
    # <A x, g> = <x, A^T g>: the same ~k*L products summed two ways, 1e-12 relative
    assert np.sum(y * g) == pytest.approx(np.sum(x * dx), rel=1e-12, abs=1e-12)


@given(geometries(), st.integers(0, 2**31 - 1))
def test_unfold_fold_adjoint_any_geometry(geom, seed):
    length, k, s, d, padding = geom
    from fieldconv.nn._window import resolve_padding

    win = Window(length, k, s, d, *resolve_padding(padding, k, d))
    be = get_backend("numpy")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, length))
    c = rng.standard_normal((3, k, win.out_length))
    assert np.sum(win.unfold(be, x) * c) == pytest.approx(np.sum(x * win.fold(be, c)), rel=1e-12, abs=1e-12)


@given(st.integers(1, 40), st.integers(1, 200))
def test_equal_region_bins_cover_the_axis(n_bins, extra):
    length = n_bins + extra - 1
    bins = RegionPool(n_bins).bins(length)
    assert len(bins) == n_bins and bins[0][0] == 0 and bins[-1][1] == length
    assert all(e > s for s, e in bins)
    assert all(b[0] <= a[1] and b[0] >= a[0] for a, b in zip(bins, bins[1:]))  # contiguous, at most one shared point
