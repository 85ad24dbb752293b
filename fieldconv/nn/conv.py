"""1D convolution layers on spectra: :class:`Conv1D` and :class:`DepthwiseSeparableConv1D`."""

import numpy as np

from ._checks import check_batch, check_int, layer_backend
from ._correlate import correlate, correlate_backward
from ._init import as_generator, fan_in_uniform, he_uniform
from ._layer import ParametrisedLayer
from .containers import Sequential
from ._window import Window, resolve_padding
from .spectral import kernel_size_for, width_in_wavenumbers

__all__ = ["Conv1D", "DepthwiseSeparableConv1D"]


def _kernel_size(kernel_size, width, grid, dilation):
    if (kernel_size is None) == (width is None):
        raise ValueError("give exactly one of kernel_size (points) and width (cm^-1, with grid); got "
                         f"kernel_size={kernel_size!r}, width={width!r}")
    if width is not None:
        if grid is None:
            raise ValueError("width (cm^-1) needs grid= (the wavenumber axis) to become a kernel size")
        return kernel_size_for(width, grid, dilation=dilation)
    return check_int("kernel_size", kernel_size, minimum=1)


class Conv1D(ParametrisedLayer):
    """1D cross-correlation over spectra, (B, C_in, L) -> (B, C_out, L_out).

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of input and output (both divisible by `groups`).
    kernel_size : int, optional
        Taps of the kernel.  Give it, or `width` with `grid`.
    width : float or Quantity, optional
        Kernel width in cm^-1 (a Quantity is converted; a non-wavenumber
        unit raises): the kernel gets the odd size of
        :func:`~fieldconv.nn.kernel_size_for`.
    grid : array_like, Quantity or SpectralAxis, optional
        Wavenumber axis of the input (cm^-1), needed with `width`.
    stride : int, optional
        Step between output points (default 1).
    padding : {"same", "valid", "causal"} or int, optional
        ``"same"`` (default): ``dilation*(kernel_size-1)`` zeros split
        between the ends (the odd one on the right), so a stride-1 output
        has the input's length and is centred on it; ``"valid"``: none;
        ``"causal"``: all on the left (the masked convolution: output ``t``
        sees inputs ``<= t`` only); an int ``p``: ``p`` zeros at each end.
    dilation : int, optional
        Step between taps (default 1).
    groups : int, optional
        Channel groups: ``groups=in_channels`` is the depthwise convolution.
    bias : bool, optional
        Add a learned bias per output channel (default True).
    dtype : {float32, float64}, optional
        Parameter and batch dtype (default float32).
    backend : str or Backend, optional
        Where the parameters live (default: resolved as for every operator).
    random_state : None, int or numpy Generator, optional
        Seed of the initial weights.

    Attributes
    ----------
    weight : array, shape (out_channels, in_channels // groups, kernel_size)
    bias : array, shape (out_channels,) or None
    weight_grad, bias_grad : arrays of the same shapes (set by backward)

    Raises
    ------
    ValueError
        Non-positive sizes; channels not divisible by `groups`; both or
        neither of `kernel_size` and `width`; `width` without `grid`; an
        unknown padding mode; a kernel wider than the grid (or, in forward,
        than the spectrum); a batch with the wrong channel count.
    TypeError
        Non-integer sizes; a batch of another dtype.

    Notes
    -----
    ``y[b, o, t] = bias[o] + sum_{c, j} w[o, c, j] * xpad[b, g(o)*C_g + c, t*stride + j*dilation]``
    with ``xpad`` the zero-padded input and ``C_g = in_channels / groups``:
    a cross-correlation, as in PyTorch's ``conv1d`` (the same weights give
    the same output).  It is computed as one matrix product per chunk of
    the batch on the windows of the input (``unfold``); the input gradient
    is ``fold`` of the transposed product (the convolution with the
    flipped kernel, the adjoint of the forward map) and the weight gradient
    the product of the output gradient with the same windows.  Weights are
    He-uniform (variance ``2 / fan_in``), biases ``U(-1/sqrt(fan_in),
    1/sqrt(fan_in))``, drawn in float64 and rounded to `dtype`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Conv1D
    >>> nu = np.arange(400.0, 4000.0, 1.0)                   # cm^-1
    >>> conv = Conv1D(1, 8, width=15.0, grid=nu, random_state=0)
    >>> conv.kernel_size
    15
    >>> x = np.zeros((2, 1, nu.size), np.float32)
    >>> y = conv(x)
    >>> y.shape, y.dtype
    ((2, 8, 3600), dtype('float32'))
    >>> dx = conv.backward(np.ones_like(y))
    >>> dx.shape, conv.weight_grad.shape
    ((2, 1, 3600), (8, 1, 15))
    """

    param_names = ("weight", "bias")

    def __init__(self, in_channels, out_channels, kernel_size=None, *, width=None, grid=None, stride=1,
                 padding="same", dilation=1, groups=1, bias=True, dtype=np.float32, backend=None,
                 random_state=None):
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.stride = check_int("stride", stride, minimum=1)
        self.dilation = check_int("dilation", dilation, minimum=1)
        self.groups = check_int("groups", groups, minimum=1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"in_channels ({self.in_channels}) and out_channels ({self.out_channels}) must both be "
                f"divisible by groups; got groups={self.groups}"
            )
        self.kernel_size = _kernel_size(kernel_size, width, grid, self.dilation)
        self.width = None if width is None else width_in_wavenumbers(width)
        self.padding = padding
        self.pad = resolve_padding(padding, self.kernel_size, self.dilation, self.stride)
        if grid is not None:
            from .._grid import as_grid

            n = len(as_grid(grid))
            Window(n, self.kernel_size, self.stride, self.dilation, *self.pad)  # kernel wider than the grid?
        self.backend, self.dtype = layer_backend(backend, dtype)
        rng = as_generator(random_state)
        fan_in = (self.in_channels // self.groups) * self.kernel_size
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size)
        self.weight = he_uniform(self.backend, rng, shape, fan_in, self.dtype)
        self.bias = fan_in_uniform(self.backend, rng, (self.out_channels,), fan_in, self.dtype) if bias else None
        self.weight_grad = self.bias_grad = None
        self._windows = {}
        self._x = None

    def __repr__(self):
        return (f"Conv1D({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding!r}, dilation={self.dilation}, groups={self.groups})")

    def config(self):
        return {
            "in_channels": self.in_channels, "out_channels": self.out_channels, "kernel_size": self.kernel_size,
            "stride": self.stride, "padding": self.padding, "dilation": self.dilation, "groups": self.groups,
            "bias": self.bias is not None, "dtype": self.dtype.name,
        }

    def window_geometry(self):
        """(span in input points, stride) of one output point (for :func:`~fieldconv.nn.receptive_field`)."""
        return self.dilation * (self.kernel_size - 1) + 1, self.stride

    def window(self, length):
        """The :class:`~fieldconv.nn._window.Window` of this layer on an input of `length` points."""
        win = self._windows.get(length)
        if win is None:
            if self.dilation * (self.kernel_size - 1) + 1 > length:
                raise ValueError(
                    f"x has {length} points but the kernel spans {self.dilation * (self.kernel_size - 1) + 1} "
                    f"(kernel_size={self.kernel_size}, dilation={self.dilation}): the kernel is wider than the spectrum"
                )
            win = self._windows[length] = Window(length, self.kernel_size, self.stride, self.dilation, *self.pad)
        return win

    def output_length(self, length):
        """Points of the output for an input of `length` points."""
        return self.window(int(length)).out_length

    def forward(self, x):
        x = check_batch(self, x, channels=self.in_channels)
        win = self.window(x.shape[-1])
        y = correlate(self.backend, x, self.weight, self.bias, win, self.groups)
        self._x = x if self.keep_for_backward else None
        return y

    def backward(self, grad_out):
        x = self._x
        if x is None:
            raise RuntimeError("Conv1D.backward needs a forward first (outside no_grad)")
        win = self.window(x.shape[-1])
        want = (x.shape[0], self.out_channels, win.out_length)
        if tuple(grad_out.shape) != want:
            raise ValueError(f"grad_out must have the output's shape {want}; got {tuple(grad_out.shape)}")
        dx, dw, db = correlate_backward(self.backend, x, self.weight, grad_out, win, self.groups,
                                        need_input_grad=self.needs_input_grad)
        self.weight_grad = dw
        if self.bias is not None:
            self.bias_grad = db
        self._x = None
        return dx


class DepthwiseSeparableConv1D(Sequential):
    """Depthwise convolution, then a pointwise 1x1 :class:`~fieldconv.nn.ChannelMixer` (Chollet 2017).

    ``Conv1D(in, in * depth_multiplier, k, groups=in)`` filters each channel
    on its own along the spectrum; ``ChannelMixer(in * depth_multiplier, out,
    channel_axis=1)`` then mixes channels point by point, optionally under a
    physical constraint.  Cost per output point: ``in * m * k + in * m * out``
    multiply-adds instead of ``in * out * k``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int, optional
        Give it, or `width` with `grid` (as :class:`Conv1D`).
    width, grid, stride, padding, dilation
        Of the depthwise convolution, as :class:`Conv1D`.
    depth_multiplier : int, optional
        Depthwise filters per input channel (default 1).
    bias : bool, optional
        Bias of the depthwise convolution (default True); the pointwise
        mixer's bias follows its constraint (see ChannelMixer).
    constraint : None, str or dict, optional
        Constraint of the pointwise mixer (see :class:`ChannelMixer`).
    dtype, backend, random_state
        As for :class:`Conv1D`.

    Attributes
    ----------
    depthwise : Conv1D
    pointwise : ChannelMixer

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import DepthwiseSeparableConv1D
    >>> layer = DepthwiseSeparableConv1D(4, 8, 5, random_state=0)
    >>> y = layer(np.ones((2, 4, 30), np.float32))
    >>> y.shape, layer.backward(np.ones_like(y)).shape
    ((2, 8, 30), (2, 4, 30))
    >>> sorted(layer.named_parameters())
    ['0.bias', '0.weight', '1.bias', '1.weight']
    """

    def __init__(self, in_channels, out_channels, kernel_size=None, *, width=None, grid=None, stride=1,
                 padding="same", dilation=1, depth_multiplier=1, bias=True, constraint=None, dtype=np.float32,
                 backend=None, random_state=None):
        from .mixers import ChannelMixer

        rng = as_generator(random_state)
        in_channels = check_int("in_channels", in_channels, minimum=1)
        m = check_int("depth_multiplier", depth_multiplier, minimum=1)
        self.depthwise = Conv1D(in_channels, in_channels * m, kernel_size, width=width, grid=grid, stride=stride,
                                padding=padding, dilation=dilation, groups=in_channels, bias=bias, dtype=dtype,
                                backend=backend, random_state=int(rng.integers(2**31)))
        self.pointwise = ChannelMixer(in_channels * m, out_channels, constraint=constraint, channel_axis=1,
                                      dtype=dtype, backend=self.depthwise.backend, rng=int(rng.integers(2**31)))
        self.depth_multiplier = m
        super().__init__(self.depthwise, self.pointwise)

    def __repr__(self):
        d, p = self.depthwise, self.pointwise
        return (f"DepthwiseSeparableConv1D({d.in_channels}, {p.out_channels}, kernel_size={d.kernel_size}, "
                f"stride={d.stride}, padding={d.padding!r}, dilation={d.dilation}, "
                f"depth_multiplier={self.depth_multiplier})")

    def window_geometry(self):
        """(span, stride) of the depthwise convolution (the pointwise mixer sees one point)."""
        return self.depthwise.window_geometry()

    def config(self):
        from .saving import mixer_constraint_config

        d, p = self.depthwise, self.pointwise
        return {"in_channels": d.in_channels, "out_channels": p.out_channels, "kernel_size": d.kernel_size,
                "stride": d.stride, "padding": d.padding, "dilation": d.dilation,
                "depth_multiplier": self.depth_multiplier, "bias": d.bias is not None,
                "constraint": mixer_constraint_config(p), "dtype": d.dtype.name}
