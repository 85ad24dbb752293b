"""What every mixer parameterisation provides, and the unconstrained one.

A parameterisation maps raw, unconstrained arrays (what an optimiser
updates in place) to a weight ``W`` (``(C_out, C_in)``) and a bias ``b``
(``(C_out,)`` or none) that satisfy a constraint for *every* value of the raw
arrays.  It lives in three places, each chosen on purpose:

* **construction (host, float64, once)**: the constant matrices (null-space
  bases, particular solutions, polytope vertices) are computed with
  NumPy/SciPy on the host in float64 from the user's constraint, then copied
  explicitly to the backend's device (``backend.asarray(..., copy=True)``);
* **every forward (device, float64)**: ``W`` and ``b`` are built from the raw
  arrays with the backend's namespace, in float64 whatever the layer dtype
  (C x C work, negligible next to the field), and cast once to the field's
  dtype for the big product;
* **set/project/initialise (host, float64)**: inverse maps (a given ``W`` to
  raw values) and nearest-point projections copy the C x C matrix to the host
  explicitly, work there, and copy the result back.

Subclasses implement :meth:`raw_shapes`, :meth:`build`, :meth:`build_backward`,
:meth:`init_raw`, :meth:`raw_from`, :meth:`project` and :meth:`residual`.
"""

import numpy as np

__all__ = ["Parameterisation", "Free", "check_matrix"]


def check_matrix(name, value, shape=None, *, ndim=2):
    """`value` as a finite float64 NumPy array of `ndim` dims (and `shape`), or a clear error."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a real array; got {type(value).__name__} ({exc})") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {arr.shape}")
    if shape is not None:
        for i, (want, got) in enumerate(zip(shape, arr.shape)):
            if want is not None and want != got:
                raise ValueError(f"{name} must have shape {_fmt_shape(shape)}; got {arr.shape} (axis {i})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN/inf entries")
    return arr


def _fmt_shape(shape):
    return "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"


class Parameterisation:
    """Base class: raw arrays -> constrained ``(W, b)``.

    Parameters
    ----------
    in_channels, out_channels : int
    bias : bool
        Whether the mixer has a bias (the constraint decides whether one is
        possible; :func:`fieldconv.nn.mixers._spec.make_parameterisation`
        checks).
    backend : Backend
        Where the constants and the built ``W`` live.
    """

    #: Short name used in reprs and errors.
    kind = "abstract"
    #: "free"/"nullspace": a bias by default; "optional": only when asked for;
    #: "never": the constraint forces ``b = 0``.
    bias_rule = "free"
    #: Whether the constrained family is closed under composition (collapse).
    closed_under_composition = False

    def __init__(self, in_channels, out_channels, *, bias, backend):
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.has_bias = bool(bias)
        self.backend = backend

    # -- helpers --------------------------------------------------------------
    def _dev(self, a):
        """Explicit host -> device copy of a float64 constant."""
        return self.backend.asarray(np.ascontiguousarray(a, dtype=np.float64), copy=True)

    def _host(self, a):
        """Explicit device -> host float64 copy of a small matrix."""
        return np.asarray(self.backend.to_numpy(a), dtype=np.float64)

    @property
    def shape(self):
        return (self.out_channels, self.in_channels)

    # -- interface ------------------------------------------------------------
    def raw_shapes(self):
        """``{name: shape}`` of the raw arrays, weight first then bias."""
        raise NotImplementedError

    def build(self, raw):
        """``(W, b, ctx)`` from ``{name: float64 backend array}``; `ctx` feeds :meth:`build_backward`."""
        raise NotImplementedError

    def build_backward(self, ctx, gW, gb):
        """``{name: float64 gradient}`` from dL/dW and dL/db (float64 backend arrays)."""
        raise NotImplementedError

    def init_raw(self, rng):
        """Host float64 raw arrays of a random initial mixer (`rng`: NumPy Generator)."""
        raise NotImplementedError

    def raw_from(self, W, b):
        """Host float64 raw arrays whose ``(W, b)`` equal the given host matrices.

        `W`, `b` satisfy the constraint already (callers check :meth:`residual`).
        """
        raise NotImplementedError

    def project(self, W, b):
        """Nearest ``(W, b)`` (Frobenius norm) in the constraint set; host float64."""
        raise NotImplementedError

    def residual(self, W, b):
        """How far host ``(W, b)`` are from the constraint set, relative to ``max(1, |W|)``."""
        raise NotImplementedError

    def describe(self):
        """Plain-data description of the constraint (for repr and collapse)."""
        return {"kind": self.kind}

    def default_init(self, rng):
        """The unconstrained default initialisation (PyTorch's for a 1x1 conv), host float64.

        ``U(-1/sqrt(C_in), 1/sqrt(C_in))`` for ``W`` and ``b``.
        """
        bound = 1.0 / np.sqrt(max(self.in_channels, 1))
        W = rng.uniform(-bound, bound, size=self.shape)
        b = rng.uniform(-bound, bound, size=(self.out_channels,)) if self.has_bias else None
        return W, b


class Free(Parameterisation):
    """No constraint: the raw arrays are ``W`` and ``b`` themselves."""

    kind = "none"
    closed_under_composition = True

    def raw_shapes(self):
        shapes = {"weight": self.shape}
        if self.has_bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def build(self, raw):
        return raw["weight"], raw.get("bias"), None

    def build_backward(self, ctx, gW, gb):
        out = {"weight": gW}
        if self.has_bias:
            out["bias"] = gb
        return out

    def init_raw(self, rng):
        W, b = self.default_init(rng)
        return self.raw_from(W, b)

    def raw_from(self, W, b):
        out = {"weight": np.array(W, dtype=np.float64)}
        if self.has_bias:
            out["bias"] = np.zeros(self.out_channels) if b is None else np.array(b, dtype=np.float64)
        return out

    def project(self, W, b):
        return np.array(W, dtype=np.float64), (None if b is None else np.array(b, dtype=np.float64))

    def residual(self, W, b):
        return 0.0
