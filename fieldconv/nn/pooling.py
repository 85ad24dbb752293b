"""Pooling along the spectral axis: windows, wavenumber regions, the whole spectrum.

:class:`MaxPool1D` and :class:`AvgPool1D` reduce the windows of
:class:`~fieldconv.nn._window.Window` (its ``unfold``) and send gradients
back through its adjoint ``fold``.  :class:`RegionPool` keeps position: one
output per wavenumber region (n equal bins or given ranges in cm^-1), so a
band at 2250 cm^-1 and one at 2150 cm^-1 land in different features.
:class:`GlobalPool` forgets position (the negative control of a spectral
classifier).
"""

import math

from ..backend import get_backend
from ._checks import check_choice, check_int, dtype_name, host_contiguous, strip_wavenumber
from .._grid import as_grid
from ._layer import Layer
from ._window import Window

__all__ = ["MaxPool1D", "AvgPool1D", "RegionPool", "GlobalPool"]

_REDUCE = ("mean", "max")


class _Stateless(Layer):
    """A layer without parameters: the backend is the input's own."""

    def __init__(self, backend=None):
        self._backend = backend
        self._saved = None

    def _be(self, x):
        be = get_backend(self._backend, like=x)
        return be, be.asarray(x)

    def _take(self, grad_out, shape):
        saved = self._saved
        if saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward first (outside no_grad)")
        if tuple(grad_out.shape) != tuple(shape):
            raise ValueError(f"grad_out must have the output's shape {tuple(shape)}; got {tuple(grad_out.shape)}")
        self._saved = None
        return saved


def _check_3d(x, layer):
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (batch, channels, length) for {type(layer).__name__}; got shape {tuple(x.shape)}")


class _WindowPool(_Stateless):
    def __init__(self, kernel_size=2, stride=None, padding=0, *, backend=None):
        super().__init__(backend)
        self.kernel_size = check_int("kernel_size", kernel_size, minimum=1)
        self.stride = self.kernel_size if stride is None else check_int("stride", stride, minimum=1)
        self.padding = check_int("padding", padding, minimum=0)
        if 2 * self.padding > self.kernel_size:
            raise ValueError(f"padding must be at most kernel_size / 2 ({self.kernel_size / 2:g}); got {self.padding}")
        self._windows = {}

    def __repr__(self):
        return f"{type(self).__name__}({self.kernel_size}, stride={self.stride}, padding={self.padding})"

    def config(self):
        return {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}

    def window_geometry(self):
        """(span in input points, stride) (for :func:`~fieldconv.nn.receptive_field`)."""
        return self.kernel_size, self.stride

    def window(self, length):
        win = self._windows.get(length)
        if win is None:
            if self.kernel_size > length:
                raise ValueError(f"x has {length} points, fewer than the pooling window ({self.kernel_size})")
            win = self._windows[length] = Window(length, self.kernel_size, self.stride, 1, self.padding, self.padding)
        return win

    def output_length(self, length):
        """Points of the output for an input of `length` points."""
        return self.window(int(length)).out_length


class MaxPool1D(_WindowPool):
    """Maximum over windows of `kernel_size` points, `stride` apart (default: `kernel_size`).

    Padding counts as minus infinity (never the maximum).  The gradient goes
    to the first maximum of each window (PyTorch's rule for ties).

    Parameters
    ----------
    kernel_size : int, optional
        Window length (default 2).
    stride : int, optional
        Step between windows (default `kernel_size`: non-overlapping).
    padding : int, optional
        Points added at each end, at most ``kernel_size / 2`` (default 0).
    backend : str or Backend, optional

    Raises
    ------
    ValueError
        Non-positive sizes, too much padding, a window longer than the input,
        a batch that is not 3-D.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import MaxPool1D
    >>> pool = MaxPool1D(2)
    >>> x = np.array([[[1.0, 3.0, 2.0, 2.0, 5.0]]], np.float32)
    >>> pool(x)
    array([[[3., 2.]]], dtype=float32)
    >>> pool.backward(np.ones((1, 1, 2), np.float32))
    array([[[0., 1., 1., 0., 0.]]], dtype=float32)
    """

    def forward(self, x):
        be, x = self._be(x)
        _check_3d(x, self)
        xp = be.xp
        win = self.window(x.shape[-1])
        keep = self.keep_for_backward
        if be.on_host and host_contiguous(x) and self.stride == self.kernel_size <= 127 and self.padding == 0:
            from ._host_kernels import maxpool_forward

            b, c, length = x.shape
            y, idx = maxpool_forward(x.reshape(b * c, length), self.kernel_size, keep)
            y = y.reshape(b, c, -1)
            self._saved = (be, win, idx, True) if keep else None
            self._out_shape = tuple(y.shape)
            return y
        xpad = win.pad(be, x, fill=-math.inf)
        # running maximum over the taps; idx = first tap that holds it (strict > keeps the first)
        y = xpad[..., win.tap(0)]
        idx = None
        for j in range(1, self.kernel_size):
            t = xpad[..., win.tap(j)]
            if keep:
                upd = t > y
                if idx is None:
                    idx = xp.astype(upd, xp.int8) if self.kernel_size <= 127 else xp.astype(upd, xp.int32)
                else:
                    idx = xp.where(upd, j, idx)
            y = xp.maximum(y, t)
        if self.kernel_size == 1:
            y = y * 1  # a new array, as for every other kernel size
        self._saved = (be, win, idx, False) if keep else None
        self._out_shape = tuple(y.shape)
        return y

    def backward(self, grad_out):
        be, win, idx, host = self._take(grad_out, self._out_shape)
        if host:
            from ._host_kernels import maxpool_backward

            b, c, lo = grad_out.shape
            g = be.xp.reshape(be.asarray(grad_out), (b * c, lo))
            g = g if host_contiguous(g) else g.copy()
            return maxpool_backward(g, idx, self.kernel_size, win.length).reshape(b, c, win.length)
        xp = be.xp
        lead = tuple(grad_out.shape[:-1])
        dt = dtype_name(grad_out.dtype)
        if idx is None:  # kernel_size 1
            return grad_out * 1
        dxpad = be.zeros(lead + (win.padded_length,), dt)
        for j in range(self.kernel_size):
            dxpad[..., win.tap(j)] += grad_out * xp.astype(idx == j, grad_out.dtype)
        return win.crop(dxpad)


class AvgPool1D(_WindowPool):
    """Mean over windows of `kernel_size` points, `stride` apart (default: `kernel_size`).

    Padding points count as zeros in the mean (PyTorch's default
    ``count_include_pad=True``).

    Parameters
    ----------
    kernel_size : int, optional
        Window length (default 2).
    stride : int, optional
        Step between windows (default `kernel_size`).
    padding : int, optional
        Zeros added at each end, at most ``kernel_size / 2`` (default 0).
    backend : str or Backend, optional

    Raises
    ------
    ValueError
        As :class:`MaxPool1D`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import AvgPool1D
    >>> pool = AvgPool1D(2)
    >>> pool(np.array([[[1.0, 3.0, 2.0, 4.0]]]))
    array([[[2., 3.]]])
    >>> pool.backward(np.ones((1, 1, 2)))
    array([[[0.5, 0.5, 0.5, 0.5]]])
    """

    def forward(self, x):
        be, x = self._be(x)
        _check_3d(x, self)
        win = self.window(x.shape[-1])
        y = be.xp.sum(win.unfold(be, x), axis=-2) / self.kernel_size
        self._saved = (be, win) if self.keep_for_backward else None
        self._out_shape = tuple(y.shape)
        return y

    def backward(self, grad_out):
        be, win = self._take(grad_out, self._out_shape)
        xp = be.xp
        g = grad_out / self.kernel_size
        cols = xp.broadcast_to(g[..., None, :], tuple(g.shape[:-1]) + (self.kernel_size, g.shape[-1]))
        return win.fold(be, cols)


def _equal_bins(length, n_bins):
    """PyTorch's adaptive-pool bins: ``[floor(i L / n), ceil((i+1) L / n))``."""
    return [((i * length) // n_bins, -((-(i + 1) * length) // n_bins)) for i in range(n_bins)]


class RegionPool(_Stateless):
    """Pool each channel over wavenumber regions: (B, C, L) -> (B, C, n_regions).

    Parameters
    ----------
    n_bins : int, optional
        Number of equal regions.  Bin ``i`` covers points
        ``floor(i L / n) .. ceil((i+1) L / n) - 1`` (PyTorch's adaptive
        pooling: neighbouring bins share a point when ``n`` does not divide
        ``L``).
    ranges : sequence of (lo, hi), optional
        Wavenumber ranges in cm^-1 (floats or Quantities), instead of
        `n_bins`; needs `grid`.  On a feature map shorter than the grid
        (after pooling or strides) the ranges are placed proportionally:
        point ``i`` of an ``L``-point map covers the grid fraction
        ``[i/L, (i+1)/L)``.
    grid : array_like, Quantity or SpectralAxis, optional
        Wavenumber axis of the model's input (needed with `ranges`).
    reduce : {"mean", "max"}, optional
        Reduction within a region (default "mean").
    backend : str or Backend, optional

    Raises
    ------
    ValueError
        Neither or both of `n_bins` and `ranges`; `ranges` without `grid`; a
        range outside the grid or covering no point; an unknown `reduce`; an
        input shorter than the number of bins.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import RegionPool
    >>> x = np.arange(8.0).reshape(1, 1, 8)
    >>> RegionPool(4)(x)
    array([[[0.5, 2.5, 4.5, 6.5]]])
    >>> nu = np.linspace(4000.0, 400.0, 8)                 # descending grid
    >>> pool = RegionPool(ranges=[(3000.0, 4000.0), (400.0, 1500.0)], grid=nu)
    >>> pool.bins(8)
    [(0, 2), (5, 8)]
    """

    def __init__(self, n_bins=None, *, ranges=None, grid=None, reduce="mean", backend=None):
        super().__init__(backend)
        if (n_bins is None) == (ranges is None):
            raise ValueError(f"give exactly one of n_bins and ranges; got n_bins={n_bins!r}, ranges={ranges!r}")
        self.reduce = check_choice("reduce", reduce, _REDUCE)
        self.n_bins = None if n_bins is None else check_int("n_bins", n_bins, minimum=1)
        self.grid = None if grid is None else as_grid(grid)
        self.ranges = None
        if ranges is not None:
            if self.grid is None:
                raise ValueError("ranges (cm^-1) need grid= (the wavenumber axis of the model's input)")
            self.ranges = self._check_ranges(ranges)
        self._bins = {}

    def _check_ranges(self, ranges):
        g = self.grid.values
        lo_g, hi_g = float(min(g[0], g[-1])), float(max(g[0], g[-1]))
        out = []
        for i, r in enumerate(ranges):
            try:
                lo, hi = (float(strip_wavenumber(v, f"ranges[{i}]")) for v in r)
            except (TypeError, ValueError) as exc:
                if isinstance(exc, ValueError) and "wavenumber" in str(exc):
                    raise
                raise ValueError(f"ranges[{i}] must be a (lo, hi) pair of wavenumbers; got {r!r}") from None
            lo, hi = min(lo, hi), max(lo, hi)
            if hi < lo_g or lo > hi_g:
                raise ValueError(f"ranges[{i}] = ({lo:g}, {hi:g}) cm^-1 lies outside the grid ({lo_g:g} .. {hi_g:g})")
            out.append((lo, hi))
        if not out:
            raise ValueError("ranges must hold at least one (lo, hi) pair")
        return out

    def __repr__(self):
        what = f"{self.n_bins}" if self.ranges is None else f"ranges={self.ranges}"
        return f"RegionPool({what}, reduce={self.reduce!r})"

    def config(self):
        return {"n_bins": self.n_bins, "ranges": self.ranges, "reduce": self.reduce,
                "grid": None if self.grid is None else self.grid.metadata()}

    def window_geometry(self):
        return None

    @property
    def n_regions(self):
        return self.n_bins if self.ranges is None else len(self.ranges)

    def bins(self, length):
        """``[(start, stop), ...]`` point ranges of the regions on a `length`-point map."""
        bins = self._bins.get(length)
        if bins is not None:
            return bins
        if self.ranges is None:
            if length < self.n_bins:
                raise ValueError(f"x has {length} points, fewer than n_bins ({self.n_bins})")
            bins = _equal_bins(length, self.n_bins)
        else:
            g = self.grid
            n = len(g)
            bins = []
            for lo, hi in self.ranges:
                # point i of a length-L map is centred at grid index c_i = (i + 1/2) n / L - 1/2;
                # it belongs to the range if its centre's wavenumber lies in [lo, hi]
                p = sorted((v - g.start) / g.step for v in (lo, hi))
                start = max(0, math.ceil((p[0] + 0.5) * length / n - 0.5 - 1e-9))
                stop = min(length, math.floor((p[1] + 0.5) * length / n - 0.5 + 1e-9) + 1)
                if stop <= start:
                    raise ValueError(
                        f"range ({lo:g}, {hi:g}) cm^-1 covers no point of a {length}-point feature map; widen it"
                    )
                bins.append((start, stop))
        self._bins[length] = bins
        return bins

    def forward(self, x):
        be, x = self._be(x)
        _check_3d(x, self)
        xp = be.xp
        length = x.shape[-1]
        bins = self.bins(length)
        if be.on_host and host_contiguous(x):
            from ._host_kernels import region_forward

            b, c, _ = x.shape
            starts, stops = self._bin_arrays(length)
            y, idx = region_forward(x.reshape(b * c, length), starts, stops, self.reduce == "max")
            y = y.reshape(b, c, -1)
            self._saved = (be, length, idx, True) if self.keep_for_backward else None
            self._out_shape = tuple(y.shape)
            return y
        parts, idx = [], []
        for s, e in bins:
            seg = x[..., s:e]
            if self.reduce == "mean":
                parts.append(xp.mean(seg, axis=-1))
            else:
                parts.append(xp.max(seg, axis=-1))
                idx.append(xp.argmax(seg, axis=-1))
        y = xp.stack(parts, axis=-1)
        self._saved = (be, length, idx, False) if self.keep_for_backward else None
        self._out_shape = tuple(y.shape)
        return y

    def _bin_arrays(self, length):
        key = ("arrays", length)
        arrays = self._bins.get(key)
        if arrays is None:
            import numpy as np

            bins = self.bins(length)
            arrays = self._bins[key] = (np.array([s for s, _ in bins], dtype=np.int64),
                                        np.array([e for _, e in bins], dtype=np.int64))
        return arrays

    def backward(self, grad_out):
        be, length, idx, host = self._take(grad_out, self._out_shape)
        if host:
            from ._host_kernels import region_backward

            b, c, n = grad_out.shape
            g = be.asarray(grad_out).reshape(b * c, n)
            g = g if host_contiguous(g) else g.copy()
            starts, stops = self._bin_arrays(length)
            return region_backward(g, starts, stops, self.reduce == "max", idx, length).reshape(b, c, length)
        xp = be.xp
        lead = tuple(grad_out.shape[:-1])
        dx = be.zeros(lead + (length,), dtype_name(grad_out.dtype))
        for i, (s, e) in enumerate(self.bins(length)):
            g = grad_out[..., i : i + 1]
            if self.reduce == "mean":
                dx[..., s:e] += g / (e - s)
            else:
                pos = xp.reshape(be.arange(e - s, dtype="int64"), (1,) * len(lead) + (e - s,))
                dx[..., s:e] += xp.where(pos == idx[i][..., None], g, 0.0)
        return dx


class GlobalPool(_Stateless):
    """Pool each channel over the whole spectrum: (B, C, L) -> (B, C, 1).

    Position is lost: a classifier with this head cannot tell a band at
    2250 cm^-1 from the same band at 2150 cm^-1 (use :class:`RegionPool` or
    :class:`~fieldconv.nn.CoordinateChannel` for spectra).

    Parameters
    ----------
    reduce : {"mean", "max"}, optional
        Default "mean".
    backend : str or Backend, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import GlobalPool
    >>> GlobalPool("max")(np.array([[[1.0, 4.0, 2.0]]]))
    array([[[4.]]])
    """

    def __init__(self, reduce="mean", *, backend=None):
        super().__init__(backend)
        self.reduce = check_choice("reduce", reduce, _REDUCE)
        self._pool = RegionPool(1, reduce=self.reduce, backend=backend)

    def __repr__(self):
        return f"GlobalPool({self.reduce!r})"

    def config(self):
        return {"reduce": self.reduce}

    def window_geometry(self):
        return None

    def forward(self, x):
        self._pool.keep_for_backward = self.keep_for_backward
        return self._pool.forward(x)

    def backward(self, grad_out):
        return self._pool.backward(grad_out)
