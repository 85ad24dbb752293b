"""fieldconv.filters.median_filter: scipy.ndimage agreement, non-linearity, backends."""

import numpy as np
import pytest
import scipy.ndimage as ndi

from fieldconv.filters import median_filter


def test_median_filter_matches_scipy_and_is_not_linear(rng):
    x = rng.standard_normal((12, 10)).astype(np.float32)
    got = median_filter(x, 3, mode="mirror")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ndi.median_filter(x, size=3, mode="mirror"))
    # superposition fails: median(a + b) != median(a) + median(b)
    a = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0, 1.0, 0.0])
    assert not np.allclose(median_filter(a + b, 3), median_filter(a, 3) + median_filter(b, 3))
    # despiking: a single spike disappears
    spike = np.zeros(9)
    spike[4] = 100.0
    np.testing.assert_array_equal(median_filter(spike, 3), np.zeros(9))


def test_median_filter_errors(strict_backend):
    with pytest.raises(ValueError, match="size must be a single value or have one entry per filtered axis"):
        median_filter(np.ones((4, 4)), (3, 3, 3))
    with pytest.raises(ValueError, match="size must be >= 1"):
        median_filter(np.ones(4), 0)
    with pytest.raises(NotImplementedError, match="median_filter is not available on the 'array_api' backend"):
        median_filter(strict_backend.asarray(np.ones(4), copy=True), 3)




# ------------------------------------------------------------------ footprint, origin, axes, modes, output
FP = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 1]], dtype=bool)


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "constant", "wrap"])
@pytest.mark.parametrize("origin", [(0, 0), (-1, 1), (1, -2)], ids=str)
@pytest.mark.parametrize("axes", [None, (0, 1), (1, 2), (0, 2)], ids=str)
def test_footprint_origin_axes_match_scipy(rng, mode, origin, axes):
    x = rng.standard_normal((9, 8, 7)) if axes is not None else rng.standard_normal((9, 8))
    got = median_filter(x, footprint=FP, axes=axes, origin=origin, mode=mode, cval=0.3)
    want = ndi.median_filter(x, footprint=FP, axes=axes, origin=origin, mode=mode, cval=0.3)
    np.testing.assert_array_equal(got, want)  # a median selects a sample: exact
    if axes is not None:  # kernel axis k acts on axes[k]: reversing both gives the same filter
        rev = median_filter(x, footprint=FP.T, axes=axes[::-1], origin=origin[::-1], mode=mode, cval=0.3)
        np.testing.assert_array_equal(rev, got)


def _median_reference(x, size, modes, origin, cval):
    """Brute force: extend each axis with its own mode (np.pad), then the rank n//2 of every window."""
    np_mode = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}
    y = x
    for a, (n, m, o) in enumerate(zip(size, modes, origin)):
        lo = n // 2 + o
        pad = [(0, 0)] * x.ndim
        pad[a] = (lo, n - 1 - lo)
        y = np.pad(y, pad, mode="constant", constant_values=cval) if m == "constant" else np.pad(y, pad, np_mode[m])
    win = np.lib.stride_tricks.sliding_window_view(y, size)
    return np.sort(win.reshape(x.shape + (-1,)), axis=-1)[..., int(np.prod(size)) // 2]


@pytest.mark.parametrize("modes", [("reflect", "wrap"), ("constant", "mirror"), ("nearest", "reflect")], ids=str)
@pytest.mark.parametrize("origin", [(0, 0), (1, -1)], ids=str)
def test_per_axis_modes(rng, modes, origin):
    """One mode per axis (scipy.ndimage.median_filter refuses a mode sequence)."""
    x = rng.standard_normal((10, 9))
    got = median_filter(x, (3, 4), mode=modes, origin=origin, cval=0.7)
    np.testing.assert_array_equal(got, _median_reference(x, (3, 4), modes, origin, 0.7))
    # a sequence of equal modes is that mode
    same = median_filter(x, (3, 4), mode=[modes[0]] * 2, origin=origin, cval=0.7)
    np.testing.assert_array_equal(same, ndi.median_filter(x, (3, 4), mode=modes[0], origin=origin, cval=0.7))
    # with axes: the modes follow axes
    cube = rng.standard_normal((6, 5, 7))
    got = median_filter(cube, (3, 2), axes=(2, 0), mode=modes, origin=origin)
    want = np.moveaxis(_median_reference(np.moveaxis(cube, (2, 0), (0, 1)), (3, 2, 1), modes + ("reflect",),
                                         origin + (0,), 0.0), (0, 1), (2, 0))
    np.testing.assert_array_equal(got, want)


def test_output_dtypes_and_integers(rng):
    xi = rng.integers(-2**62, 2**62, (6, 7)).astype(np.int64)
    got = median_filter(xi, 3, output=np.int64)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, ndi.median_filter(xi, 3))  # exact beyond 2**53: filtered as int64
    assert median_filter(xi, 3).dtype == np.float64  # the dtype table by default
    x = rng.standard_normal((5, 6)).astype(np.float32)
    assert median_filter(x, 3, output=np.float64).dtype == np.float64
    out = np.empty((5, 6), np.float32)
    assert median_filter(x, 3, out=out) is out
    np.testing.assert_array_equal(out, ndi.median_filter(x, 3))
    with pytest.raises(ValueError, match="output dtype int8 cannot hold the result"):
        median_filter(np.array([1000.0, 1000.0, 1000.0]), 3, output=np.int8)
    # a non-integer cval on an integer field: filtered in float64, so the cval is not truncated
    got = median_filter(np.array([0, 0, 5, 5], dtype=np.int32), 3, mode="constant", cval=2.5)
    np.testing.assert_array_equal(got, [0.0, 0.0, 5.0, 5.0])
    got = median_filter(np.array([9, 9], dtype=np.int32), 3, mode="constant", cval=2.5)
    np.testing.assert_array_equal(got, [9.0, 9.0])


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({}, ValueError, "median_filter needs exactly one of size and footprint; got neither"),
        ({"size": 3, "footprint": np.ones((3, 3))}, ValueError, "got both"),
        ({"footprint": np.ones(3)}, ValueError, r"footprint must have one dimension per filtered axis \(2\)"),
        ({"footprint": np.zeros((3, 3))}, ValueError, "footprint must select at least one sample"),
        ({"footprint": np.array([["a"]])}, TypeError, "footprint must be an array of booleans"),
        ({"size": 3, "origin": (2, 0)}, ValueError, r"origin\[0\] must lie in \[-1, 1\]"),
        ({"size": 3, "mode": ("reflect",)}, ValueError, r"mode must be a single value or have one entry per filtered"),
        ({"size": 3, "mode": ("reflect", "periodic")}, ValueError, "mode must be one of"),
        ({"size": 3, "axes": (0, 0)}, ValueError, "axes must not repeat an axis"),
        ({"size": (3, 3), "axes": 1}, ValueError, r"size must be a single value or have one entry per filtered axis"),
        ({"size": 3, "output": np.bool_}, TypeError, "output must be a float, integer or complex dtype; got bool"),
    ],
    ids=["neither", "both", "fp-ndim", "fp-empty", "fp-type", "origin", "mode-len", "mode-name", "axes-repeat",
         "size-len", "output-bool"],
)
def test_median_filter_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        median_filter(np.ones((4, 4)), **kwargs)
    with pytest.raises(TypeError, match="field must be real"):
        median_filter(np.ones((4, 4), complex), 3)
