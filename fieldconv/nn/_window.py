"""The sliding window of every 1D layer, and its adjoint.

A :class:`Window` describes a kernel of ``kernel_size`` taps, ``dilation``
points apart, slid with ``stride`` over a signal of ``length`` points
zero-padded by ``pad_left``/``pad_right``.  Two maps are built on it:

``unfold``  (..., L) -> (..., k, L_out):  ``cols[..., j, t] = xpad[..., t*s + j*d]``
``fold``    (..., k, L_out) -> (..., L):  the adjoint (transpose) of ``unfold``

so that ``<unfold(x), c> == <x, fold(c)>`` exactly (a test checks it).  A
correlation is a contraction of the weights with ``unfold(x)``; its
gradient with respect to the input is ``fold`` of the weights contracted
with the output gradient (the convolution with the flipped kernel), and its
gradient with respect to the weights is the output gradient contracted with
``unfold(x)``.  Pooling layers reduce ``unfold(x)`` over the tap axis and
send gradients back through ``fold``.  :mod:`fieldconv.nn._correlate` and
:mod:`fieldconv.nn.pooling` build on these two maps only.

Both are written with array-API operations (slicing with a step, ``stack``,
in-place add on a slice), so they run unchanged on NumPy, CuPy and
``array_api_strict``.

Private module.
"""

from ._checks import check_int, dtype_name

__all__ = ["Window", "resolve_padding", "PADDING_MODES"]

#: Named padding modes of the 1D layers (an int pads both ends by that many points).
PADDING_MODES = ("same", "valid", "causal")


def resolve_padding(padding, kernel_size, dilation, stride=1):
    """(left, right) zero padding for a padding mode.

    ``"same"``: total ``dilation*(kernel_size-1)``, the odd point on the
    right (PyTorch's rule), so a stride-1 output has the input's length;
    ``"valid"``: none; ``"causal"``: all on the left, so output ``t`` sees
    inputs ``<= t`` only; an int ``p``: ``p`` on both ends.
    """
    span = dilation * (kernel_size - 1)
    if isinstance(padding, str):
        if padding == "same":
            return span // 2, span - span // 2
        if padding == "valid":
            return 0, 0
        if padding == "causal":
            return span, 0
        raise ValueError(f"padding must be 'same', 'valid', 'causal' or a non-negative int; got {padding!r}")
    p = check_int("padding", padding, minimum=0)
    return p, p


class Window:
    """Geometry of a strided, dilated, padded window over a length-`length` signal.

    Parameters
    ----------
    length : int
        Points of the (unpadded) input.
    kernel_size, stride, dilation : int
        Taps, step between outputs, step between taps (all >= 1).
    pad_left, pad_right : int
        Zeros added at each end.

    Raises
    ------
    ValueError
        If the dilated kernel is longer than the padded signal (no output point).
    """

    def __init__(self, length, kernel_size, stride=1, dilation=1, pad_left=0, pad_right=0):
        self.length = int(length)
        self.kernel_size = int(kernel_size)
        self.stride = int(stride)
        self.dilation = int(dilation)
        self.pad_left = int(pad_left)
        self.pad_right = int(pad_right)
        self.span = self.dilation * (self.kernel_size - 1) + 1
        self.padded_length = self.length + self.pad_left + self.pad_right
        if self.span > self.padded_length:
            raise ValueError(
                f"the kernel spans {self.span} points (kernel_size={self.kernel_size}, dilation={self.dilation}) "
                f"but the input has only {self.length} points (+{self.pad_left + self.pad_right} padding): "
                "use a shorter kernel or a longer spectrum"
            )
        self.out_length = (self.padded_length - self.span) // self.stride + 1

    def __repr__(self):
        return (
            f"Window(length={self.length}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"dilation={self.dilation}, pad=({self.pad_left}, {self.pad_right}), out_length={self.out_length})"
        )

    def tap(self, j):
        """Slice of the padded signal read by tap `j` at every output point."""
        start = j * self.dilation
        return slice(start, start + self.stride * (self.out_length - 1) + 1, self.stride)

    def pad(self, be, x, fill=0.0):
        """`x` (..., length) with the window's padding (`fill`, default zeros) at both ends."""
        if self.pad_left == 0 and self.pad_right == 0:
            return x
        xp = be.xp
        lead = tuple(x.shape[:-1])
        parts = []
        dt = _np_dtype(x)
        if self.pad_left:
            parts.append(be.zeros(lead + (self.pad_left,), dt) + fill)
        parts.append(x)
        if self.pad_right:
            parts.append(be.zeros(lead + (self.pad_right,), dt) + fill)
        return xp.concat(parts, axis=-1)

    def valid(self, j, t0=0, t1=None):
        """``(a, b, src)``: outputs ``t0 + a <= t < t0 + b`` of tap `j` read the input at slice `src`.

        Only outputs in ``[t0, t1)`` (default all) are considered; the other
        outputs of tap `j` in that range read padding.
        """
        t1 = self.out_length if t1 is None else t1
        s, lo = self.stride, j * self.dilation - self.pad_left  # input index of tap j at t = 0
        t_lo = -(lo // s) if lo < 0 else 0  # ceil(-lo / s): first t with t*s + lo >= 0
        t_hi = (self.length - 1 - lo) // s + 1  # first t past the input's end
        t_lo, t_hi = max(t_lo, t0), min(t_hi, t1)
        t_hi = max(t_hi, t_lo)
        start = t_lo * s + lo
        return t_lo - t0, t_hi - t0, slice(start, start + s * (t_hi - t_lo - 1) + 1, s)

    def _key(self, j, t, tap_axis):
        return (Ellipsis, j, t) if tap_axis == -2 else (Ellipsis, j, slice(None), t)

    def unfold(self, be, x, fill=0.0, *, tap_axis=-2, out=None, t_range=None):
        """(..., length) -> (..., kernel_size, out_length): the windows, tap by tap.

        Points read from the padding are `fill` (zero for correlations,
        minus infinity for max pooling).  With ``tap_axis=-3`` the taps go
        before the last two axes: (A, B, length) -> (A, kernel_size, B,
        out_length), the layout in which a batch joins the columns of one
        matrix product.  `out`, if given, receives the windows (a buffer
        reused from chunk to chunk); `x` may be any strided view.
        ``t_range=(t0, t1)`` unfolds the windows of outputs ``t0 <= t < t1`` only.
        """
        if tap_axis not in (-2, -3):
            raise ValueError(f"tap_axis must be -2 or -3; got {tap_axis}")
        t0, t1 = (0, self.out_length) if t_range is None else t_range
        shape = tuple(x.shape)
        k, lo = self.kernel_size, t1 - t0
        want = shape[:-1] + (k, lo) if tap_axis == -2 else shape[:-2] + (k, shape[-2], lo)
        if out is None:
            out = be.empty(want, _np_dtype(x))
        for j in range(k):
            a, b, src = self.valid(j, t0, t1)
            if b > a:
                out[self._key(j, slice(a, b), tap_axis)] = x[..., src]
            if a > 0:
                out[self._key(j, slice(0, a), tap_axis)] = fill
            if b < lo:
                out[self._key(j, slice(b, lo), tap_axis)] = fill
        return out

    def fold(self, be, cols, *, tap_axis=-2, out=None, t_range=None):
        """The adjoint of :meth:`unfold` (same `tap_axis`, `t_range`): windows back to (..., length).

        Every window entry is added back to the input point it was read
        from; entries read from the padding are dropped.  With `out` the
        entries are added to it (give zeros for the adjoint itself).
        """
        if tap_axis not in (-2, -3):
            raise ValueError(f"tap_axis must be -2 or -3; got {tap_axis}")
        t0, t1 = (0, self.out_length) if t_range is None else t_range
        shape = tuple(cols.shape)
        lead = shape[:-2] if tap_axis == -2 else shape[:-3] + shape[-2:-1]
        if out is None:
            out = be.zeros(lead + (self.length,), _np_dtype(cols))
        for j in range(self.kernel_size):
            a, b, src = self.valid(j, t0, t1)
            if b > a:
                out[..., src] += cols[self._key(j, slice(a, b), tap_axis)]
        return out

    def crop(self, xpad):
        """The unpadded part (..., length) of a padded signal (a view)."""
        if self.pad_left == 0 and self.pad_right == 0:
            return xpad
        return xpad[..., self.pad_left : self.pad_left + self.length]


def _np_dtype(x):
    return dtype_name(x.dtype)
