"""The :class:`ChannelMixer` layer: a (constrained) 1x1 convolution of a field."""

import numpy as np

from ..._validate import check_int
from ...backend import get_backend
from .._layer import Layer
from ._apply import as_slabs, mix_backward, mix_forward
from ._field import dtype_name, prepare_field
from ._spec import make_parameterisation

__all__ = ["ChannelMixer"]

_LAYER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _layer_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dt not in _LAYER_DTYPES:
        raise TypeError(f"dtype must be float32 or float64; got {dt}")
    return dt


class ChannelMixer(Layer):
    """A 1x1 convolution: ``y = W x + b`` at every point of a field, optionally constrained.

    The same ``(out_channels, in_channels)`` matrix ``W`` mixes the channel
    vector at every location along `channel_axis`.  With a `constraint`, ``W``
    and ``b`` are functions of unconstrained raw arrays (those that
    :meth:`parameters` returns and optimisers update in place), built so that
    every value of the raw arrays gives a mixer that satisfies the
    constraint: nothing has to be projected after a step.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the input and the output (``C_in``, ``C_out``, >= 1).
    constraint : None, str or dict, optional
        None (default): ``W`` and ``b`` are free.  See Notes for the others.
    bias : bool or None, optional
        Whether ``b`` is present.  None (default): where the constraint allows
        one (unconstrained, conservation laws, general linear constraints).
    channel_axis : int, optional
        Axis of the channels in the fields given to :meth:`forward` (default 0:
        a field ``(C, *spatial)``; ``1`` for batches ``(B, C, L)``; negative
        counts from the end).
    dtype : float32 or float64, optional
        dtype of the raw parameters and their gradients (default float32).
    backend : str or Backend, optional
        Where the parameters live and the product runs (default: resolved as
        for every operator, see :func:`fieldconv.backend.get_backend`).
    rng : None, int or numpy.random.Generator, optional
        Seed of the random initialisation (drawn on the host in float64 and
        copied explicitly to the backend).
    check_finite : bool, optional
        Raise on NaN/infinity in the field (default True): one output
        channel is checked, ``1 / out_channels`` of a pass; on a GPU one
        device synchronisation per call.

    Attributes
    ----------
    weight : array, shape (out_channels, in_channels)
        The constrained ``W`` (backend array, layer dtype), built from the raw
        arrays on each access.
    bias : array, shape (out_channels,), or None
        The constrained ``b``.
    constraint : None, str or dict
        The constraint in the form the ``constraint=`` argument accepts
        (``{"conserve": (C_out, C_in)}``, ``"orthogonal"``, ...).
    constraint_kind : str
        ``"none"``, ``"conserve"``, ``"stochastic"``, ``"nonnegative"``,
        ``"orthogonal"`` or ``"linear"``.

    Raises
    ------
    TypeError
        If a channel count or `channel_axis` is not an integer, `dtype` is not
        float32/float64, or `constraint` has a wrong type.
    ValueError
        If a channel count is < 1, the constraint's shapes do not match the
        channels, its laws are dependent or inconsistent, a bias is asked of a
        constraint that forbids one, or the combination cannot exist
        (orthogonal + non-negative).
    NotImplementedError
        For valid combinations without a parameterisation here (linear +
        non-negative or orthogonal, rectangular orthogonal + conservation,
        non-negative conservation of laws without a positive combination).

    Notes
    -----
    Constraints (``docs/mixers.md`` has the derivations and the round-off
    bounds):

    ``{"conserve": C}`` (``C``: ``(n_laws, channels)``, square mixer) or ``{"conserve": (C_out, C_in)}``
        ``C_out W = C_in`` and ``C_out b = 0``: every conserved total
        ``C x`` is unchanged at every point.  ``W = W0 + U P`` with ``U`` an
        orthonormal basis of ``null(C_out)`` (``W0 = I`` when square), raw
        ``weight_null = P`` and ``bias_null`` (``b = U q``).
    ``"stochastic"``
        ``W >= 0`` with columns summing to one (non-negative species stay
        non-negative, their total is conserved): ``W = softmax(weight_logits)``
        column by column; no bias.
    ``{"conserve": C, "nonnegative": True}``
        ``W >= 0`` and ``C_out W = C_in``: each column a softmax-weighted
        combination of the vertices of its polytope (laws need a strictly
        positive combination, e.g. a total mass); no bias.
    ``"nonnegative"``
        ``W = softplus(weight_softplus) >= 0``.
    ``"orthogonal"``
        ``W^T W = I`` (``W W^T = I`` if ``out_channels < in_channels``):
        Cayley transform of ``weight_skew`` about the orthogonal base point
        ``weight_base`` (a buffer: :meth:`named_buffers`); no bias unless asked
        for.  With ``"conserve": C`` as well (square): orthogonal and
        ``C W = C``.
    ``{"linear": (A, c)}``
        ``A vec(W) = c`` with ``vec(W) = W.reshape(-1)`` (row-major; ``A`` of
        shape ``(p, out*in)`` or ``(p, out, in)``): ``vec(W) = w0 + N z``.

    Non-negativity is exact in floating point; the equality constraints
    hold to round-off of one small product, at every step, because ``W``
    is rebuilt from the raw arrays at each forward (nothing accumulates).

    The forward pass at every point ``p`` is
    ``y[..., :, p] = W @ x[..., :, p] + b``; the backward pass, given
    ``g = dL/dy``, returns ``dL/dx = W.T @ g`` and sets
    ``dL/dW = sum_p g_p x_p^T`` and ``dL/db = sum_p g_p`` (then through the
    parameterisation to the raw arrays).  The field is never transposed or
    copied (a C-contiguous field is viewed as ``(P, C, Q)`` around the
    channel axis and BLAS reads the strided slabs; on host backends the bias
    costs no extra pass); see ``docs/mixers.md`` for the measured speed.

    dtype: the product runs in the field's dtype after the package's table
    (float32 -> float32, float64 -> float64, float16 -> float32, integers ->
    float64); ``W`` is built in float64 on the backend and cast once.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import ChannelMixer
    >>> mix = ChannelMixer(3, 2, rng=0, backend="numpy")
    >>> field = np.ones((3, 8, 8), dtype=np.float32)       # (C, ny, nx)
    >>> y = mix(field)
    >>> y.shape, y.dtype
    ((2, 8, 8), dtype('float32'))
    >>> bool(np.allclose(y[:, 0, 0], mix.weight.sum(axis=1) + mix.bias))
    True
    >>> gx = mix.backward(np.ones_like(y))                 # dL/dx for L = sum(y)
    >>> gx.shape, [g.shape for g in mix.grads()]
    ((3, 8, 8), [(2, 3), (2,)])

    Conservation of mass and charge by a mixer of four species, whatever its
    raw parameters hold:

    >>> C = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 0.0, 2.0]])
    >>> mix = ChannelMixer(4, 4, constraint={"conserve": C}, dtype=np.float64, rng=0)
    >>> [p.shape for p in mix.parameters()]
    [(2, 4), (2,)]
    >>> mix.parameters()[0][...] = 100.0                   # anything an optimiser might write
    >>> x = np.random.default_rng(1).random((4, 16, 16))
    >>> bool(np.allclose(C @ mix(x).reshape(4, -1), C @ x.reshape(4, -1), rtol=0, atol=1e-11))
    True
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        *,
        constraint=None,
        bias=None,
        channel_axis=0,
        dtype=np.float32,
        backend=None,
        rng=None,
        check_finite=True,
    ):
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.channel_axis = check_int("channel_axis", channel_axis)
        if bias is not None and not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True, False or None; got {bias!r}")
        self.dtype = _layer_dtype(dtype)
        self.backend = get_backend(backend)
        self.check_finite = bool(check_finite)
        self._param = make_parameterisation(
            constraint, self.in_channels, self.out_channels, bias=bias, backend=self.backend
        )
        be = self.backend
        try:
            gen = np.random.default_rng(rng)
        except TypeError:
            raise TypeError(f"rng must be None, an int or a numpy.random.Generator; got {rng!r}") from None
        raw = self._param.init_raw(gen)
        self._raw = {name: be.asarray(raw[name], dtype=self.dtype, copy=True) for name in self._param.raw_shapes()}
        self._grads = {name: be.zeros(tuple(a.shape), dtype=self.dtype) for name, a in self._raw.items()}
        self._saved = None

    # ------------------------------------------------------------- protocol
    def named_parameters(self, prefix=""):
        """``{name: raw array}``; names are stable (see Notes of the class)."""
        return {prefix + name: a for name, a in self._raw.items()}

    def named_grads(self, prefix=""):
        """``{name: gradient array}``, keyed as :meth:`named_parameters`."""
        return {prefix + name: a for name, a in self._grads.items()}

    def named_buffers(self, prefix=""):
        """``{name: array}`` of fixed (non-trained) state needed to rebuild ``W`` from the parameters.

        Only orthogonal mixers have one: ``weight_base``, the orthogonal base
        point of the Cayley parameterisation (float64, on the backend).  Save
        it with the parameters; restore it by writing in place.
        """
        bufs = self._param.buffers() if hasattr(self._param, "buffers") else {}
        return {prefix + name: a for name, a in bufs.items()}

    @property
    def has_bias(self):
        """Whether the mixer adds a bias ``b``."""
        return self._param.has_bias

    @property
    def constraint_kind(self):
        """Short name of the constraint: ``"none"``, ``"conserve"``, ``"stochastic"``,
        ``"nonnegative"``, ``"orthogonal"`` or ``"linear"``."""
        return self._param.describe()["kind"]

    @property
    def constraint(self):
        """The constraint, in the form the ``constraint=`` argument accepts (arrays copied).

        ``ChannelMixer(i, o, constraint=mix.constraint)`` builds a mixer of the
        same family (save/load: store it with the parameters and buffers).
        """
        desc = self._param.describe()
        kind = desc.pop("kind")
        if kind == "none":
            return None
        if kind in ("stochastic", "nonnegative") or (kind == "orthogonal" and "conserve" not in desc):
            return kind
        if kind == "orthogonal":
            desc["orthogonal"] = True
        return desc

    def _build(self):
        xp = self.backend.xp
        f64 = self.backend.dtype(np.float64)
        raw64 = {name: xp.astype(a, f64) for name, a in self._raw.items()}
        return self._param.build(raw64)

    def weight64(self):
        """``(W, b)`` as float64 NumPy arrays (an explicit copy to the host; ``b`` None without bias)."""
        W, b, _ = self._build()
        to = self.backend.to_numpy
        return np.asarray(to(W), dtype=np.float64), (None if b is None else np.asarray(to(b), dtype=np.float64))

    def set_weight(self, weight, bias=None, *, project=False):
        """Write the raw parameters so that the mixer's ``W`` (and ``b``) equal the given ones.

        The raw arrays are overwritten in place (an optimiser holding them
        keeps working).  The matrices are copied to the host, mapped to raw
        values in float64 and copied back.

        Parameters
        ----------
        weight : array_like, shape (out_channels, in_channels)
            The new ``W``; it must satisfy the constraint (to ~1e4 ulps of its
            dtype) unless `project` is True.
        bias : array_like, shape (out_channels,), optional
            The new ``b`` (default zero); only for mixers with a bias.
        project : bool, optional
            Replace ``(W, b)`` by the nearest pair (Frobenius norm) that
            satisfies the constraint first (see :func:`project_weight`).

        Returns
        -------
        ChannelMixer
            self.

        Raises
        ------
        ValueError
            If the shapes are wrong, a bias is given to a mixer without one, or
            ``(W, b)`` violate the constraint and `project` is False.

        Examples
        --------
        >>> import numpy as np
        >>> from fieldconv.nn import ChannelMixer
        >>> mix = ChannelMixer(3, 3, constraint={"conserve": np.ones((1, 3))}, backend="numpy")
        >>> _ = mix.set_weight(np.eye(3))
        >>> bool(np.abs(mix.weight - np.eye(3)).max() < 1e-7)
        True
        >>> mix.set_weight(2 * np.eye(3))
        Traceback (most recent call last):
        ...
        ValueError: weight does not satisfy the conserve constraint (relative residual ...); pass project=True for the nearest (W, b) that does
        """
        to_host = self._to_host
        W = to_host("weight", weight)
        if W.shape != (self.out_channels, self.in_channels):
            raise ValueError(f"weight must have shape ({self.out_channels}, {self.in_channels}); got {W.shape}")
        b = None
        if bias is not None:
            if not self.has_bias:
                raise ValueError("bias: this mixer has no bias; got an array")
            b = to_host("bias", bias)
            if b.shape != (self.out_channels,):
                raise ValueError(f"bias must have shape ({self.out_channels},); got {b.shape}")
        if project:
            W, b = self._param.project(W, b)
        else:
            dt = self._given_dtype(weight)
            r = self._param.residual(W, b)
            if not r <= 1e4 * np.finfo(dt).eps:
                raise ValueError(
                    f"weight does not satisfy the {self._param.kind} constraint (relative residual {r:.1e}); "
                    "pass project=True for the nearest (W, b) that does"
                )
        raw = self._param.raw_from(W, b)
        be = self.backend
        self._saved = None  # a pending backward would mix the old weight with the new parameters
        for name, arr in self._raw.items():
            arr[...] = be.asarray(np.asarray(raw[name], dtype=np.float64), dtype=self.dtype, copy=True)
        return self

    def _to_host(self, name, value):
        if hasattr(value, "__array_namespace__") and not isinstance(value, np.ndarray):
            value = get_backend(like=value).to_numpy(value)
        arr = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN/inf entries")
        return arr

    @staticmethod
    def _given_dtype(value):
        dt = getattr(value, "dtype", None)
        try:
            dt = np.dtype(dtype_name(dt)) if dt is not None else np.dtype(np.float64)
        except TypeError:
            dt = np.dtype(np.float64)
        return dt if dt in _LAYER_DTYPES else np.dtype(np.float64)

    @property
    def weight(self):
        """The constrained ``W``, ``(out_channels, in_channels)``, layer dtype, on the backend."""
        W, _, _ = self._build()
        return self.backend.xp.astype(W, self.backend.dtype(self.dtype))

    @property
    def bias(self):
        """The constrained ``b``, ``(out_channels,)``, layer dtype, on the backend; None without bias."""
        _, b, _ = self._build()
        return None if b is None else self.backend.xp.astype(b, self.backend.dtype(self.dtype))

    def forward(self, x):
        """The mixed field ``W x + b`` along the channel axis.

        Parameters
        ----------
        x : array, shape (..., in_channels, ...)
            Field with `in_channels` entries along `channel_axis`, an array of
            the mixer's backend (lists are accepted).

        Returns
        -------
        array
            Same shape with `out_channels` along the channel axis; dtype from
            the package's table (float32 -> float32); backend array.

        Raises
        ------
        ValueError
            If `channel_axis` is out of range for `x`, `x` has the wrong number
            of channels, or `x` contains NaN or infinity.
        HostDeviceCopyError
            If `x` lives on another device than the mixer.
        FloatingPointError
            If the output overflows the dtype while `x` and ``W`` are finite.
        """
        be, xp = self.backend, self.backend.xp
        x, axis = prepare_field(be, x, self.channel_axis, name="x", channels=self.in_channels)
        work = dtype_name(x.dtype)
        W64, b64, ctx = self._build()
        W = xp.astype(W64, be.dtype(work))
        b = None if b64 is None else xp.astype(b64, be.dtype(work))
        x3, P, Q = as_slabs(xp, x, axis)
        y3, finite = mix_forward(be, W, b, x3, P, Q, check_finite=self.check_finite)
        if not finite:
            self._diagnose(x, W, b)
        out_shape = tuple(x.shape[:axis]) + (self.out_channels,) + tuple(x.shape[axis + 1 :])
        self._saved = (x3, P, Q, tuple(x.shape), W, ctx) if self.training else None
        return xp.reshape(y3, out_shape)

    def _diagnose(self, x, W, b):
        xp = self.backend.xp
        i64 = self.backend.dtype(np.int64)
        if not bool(xp.all(xp.isfinite(W))) or (b is not None and not bool(xp.all(xp.isfinite(b)))):
            raise ValueError(
                "the mixer's weight/bias are not finite: its raw parameters hold NaN or infinity "
                "(was a diverging optimiser step written into them?)"
            )
        nbad = int(xp.sum(xp.astype(~xp.isfinite(x), i64)))
        if nbad:
            raise ValueError(f"x must be finite; got {nbad} NaN/inf values")
        raise FloatingPointError(
            f"the mixer's output overflowed {dtype_name(x.dtype)} although x and W are finite "
            "(|W| |x| exceeds the dtype's range; rescale the field or use float64)"
        )

    def backward(self, grad_out):
        """dL/dx from dL/dy; sets the gradients of the raw parameters.

        Parameters
        ----------
        grad_out : array
            dL/dy, the shape of the last forward's output.

        Returns
        -------
        array
            dL/dx, the shape and dtype of the last forward's (working) input.

        Raises
        ------
        RuntimeError
            Without a preceding forward in training mode.
        ValueError
            If `grad_out` has the wrong shape or is not finite.
        """
        if self._saved is None:
            raise RuntimeError("backward needs a preceding forward in training mode (call mixer.train())")
        be, xp = self.backend, self.backend.xp
        x3, P, Q, in_shape, W, ctx = self._saved
        axis = self.channel_axis % len(in_shape)
        out_shape = in_shape[:axis] + (self.out_channels,) + in_shape[axis + 1 :]
        g = be.asarray(grad_out)
        if tuple(g.shape) != out_shape:
            raise ValueError(f"grad_out must have the output's shape {out_shape}; got {tuple(g.shape)}")
        if g.dtype != x3.dtype:
            g = xp.astype(g, x3.dtype)
        g3 = xp.reshape(g, (P, self.out_channels, Q))
        gx3, gW, gb = mix_backward(be, W, x3, g3, P, Q, need_bias=self.has_bias)
        if self.check_finite and not bool(xp.all(xp.isfinite(gW))):
            nbad = int(xp.sum(xp.astype(~xp.isfinite(g), be.dtype(np.int64))))
            if nbad:
                raise ValueError(f"grad_out must be finite; got {nbad} NaN/inf values")
            raise FloatingPointError("the weight gradient overflowed although grad_out and x are finite")
        grads = self._param.build_backward(ctx, gW, gb)
        pdt = be.dtype(self.dtype)
        for name, arr in self._grads.items():
            arr[...] = xp.astype(grads[name], pdt)
        self._saved = None
        return xp.reshape(gx3, in_shape)

    def __repr__(self):
        kind = self._param.kind
        extra = "" if kind == "none" else f", constraint={kind!r}"
        return (
            f"ChannelMixer({self.in_channels}, {self.out_channels}{extra}, bias={self.has_bias}, "
            f"channel_axis={self.channel_axis}, dtype={self.dtype.name})"
        )
