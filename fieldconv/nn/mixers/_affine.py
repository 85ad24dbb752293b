"""Affine constraints: conservation laws ``C_out W = C_in`` and general ``A vec(W) = c``.

Both sets are affine subspaces ``W0 + span(basis)``, parameterised by their
coordinates in an orthonormal basis of the directions (the null space of
the laws), computed once on the host in float64 by an SVD:

* conservation: ``W = W0 + U P`` with ``U`` (``C_out x (C_out - k)``) an
  orthonormal basis of ``null(C_out)`` and raw ``P`` (``(C_out - k) x C_in``);
  ``W0 = I`` for a square mixer (so ``C W0 = C`` holds exactly in floating
  point and ``P = 0`` is the identity mixer), ``W0 = pinv(C_out) C_in``
  otherwise; the bias is ``b = U q`` so that ``C_out b = 0``;
* general: ``vec(W) = w0 + N z`` with ``N`` an orthonormal basis of
  ``null(A)`` (``vec`` is the row-major flattening, ``W.reshape(-1)``),
  ``w0 = pinv(A) c``; the bias is free (or ``U q`` when conservation laws
  are part of the constraint).

Round-off (derived in ``docs/mixers.md``): ``W`` is recomputed from the raw
arrays at every forward, so nothing accumulates over optimiser steps; the
residual of a built ``W`` is that of one product,
``|C_out W - C_in| <= (m + 2) u |C_out| (|W0| + |U||P|)`` entrywise with
``u = 2**-53``, i.e. round-off relative to ``|W|`` however long the training.
A raw-coordinate parameterisation (not ``W = Theta - pinv(C) C Theta``, which
carries a component the optimiser can grow without bound in the directions
that do not change ``W``) keeps that ``|P|`` no larger than ``|W - W0|``.
"""

import numpy as np

from ._linalg import check_laws
from ._parameterisation import Parameterisation

__all__ = ["Conserve", "LinearEquality"]

#: Largest null-space basis of a general linear constraint (entries of ``N``).
MAX_BASIS_ENTRIES = 1 << 25  # 256 MiB of float64


def _pinv_apply(R, s, Ut, B):
    """``pinv(A) @ B`` from the SVD split of ``A``."""
    return R @ ((Ut @ B) / s[:, None]) if B.ndim == 2 else R @ ((Ut @ B) / s)


def _rel(res, A, W):
    scale = float(np.abs(A).max(initial=0.0)) * max(1.0, float(np.abs(W).max(initial=0.0))) * max(A.shape)
    return float(np.abs(res).max(initial=0.0)) / max(scale, np.finfo(np.float64).tiny)


class _NullBias:
    """Bias handling shared by the affine families: free (`basis` None) or ``b = basis q``."""

    def _init_bias(self, basis):
        self.bias_basis = basis
        if basis is not None and self.has_bias:
            self._Ub = self._dev(basis)
            self._Ubt = self._dev(basis.T)

    def _bias_shape(self):
        if not self.has_bias:
            return {}
        if self.bias_basis is None:
            return {"bias": (self.out_channels,)}
        return {"bias_null": (self.bias_basis.shape[1],)}

    def _build_bias(self, raw):
        if not self.has_bias:
            return None
        if self.bias_basis is None:
            return raw["bias"]
        return self.backend.xp.matmul(self._Ub, raw["bias_null"])

    def _bias_grad(self, gb, out):
        if not self.has_bias:
            return out
        if self.bias_basis is None:
            out["bias"] = gb
        else:
            out["bias_null"] = self.backend.xp.matmul(self._Ubt, gb)
        return out

    def _bias_raw(self, b, out):
        if self.has_bias:
            b = np.zeros(self.out_channels) if b is None else np.asarray(b, dtype=np.float64)
            out["bias" if self.bias_basis is None else "bias_null"] = (
                b.copy() if self.bias_basis is None else self.bias_basis.T @ b
            )
        return out

    def _bias_project(self, b):
        if not self.has_bias or b is None:
            return None if not self.has_bias else np.zeros(self.out_channels)
        b = np.asarray(b, dtype=np.float64)
        return b.copy() if self.bias_basis is None else self.bias_basis @ (self.bias_basis.T @ b)

    def _bias_residual(self, b, C_out):
        if not self.has_bias or b is None or self.bias_basis is None:
            return 0.0
        return _rel(C_out @ b, C_out, b)


class Conserve(_NullBias, Parameterisation):
    """``C_out W = C_in`` (and ``C_out b = 0``): every conserved total unchanged.

    Parameters
    ----------
    C_out : ndarray, shape (k, out_channels)
    C_in : ndarray, shape (k, in_channels)
        Independent laws (checked); host float64.
    """

    kind = "conserve"
    bias_rule = "nullspace"

    def __init__(self, C_out, C_in, *, bias, backend):
        super().__init__(C_in.shape[1], C_out.shape[1], bias=bias, backend=backend)
        rank, R, U, s, Ut = check_laws("conserve", C_out, C_in)
        self.C_out, self.C_in = C_out, C_in
        self.square = C_out.shape == C_in.shape and np.array_equal(C_out, C_in)
        if self.square:
            W0 = np.eye(self.out_channels)
        else:
            W0 = _pinv_apply(R, s, Ut, C_in)
            W0 += _pinv_apply(R, s, Ut, C_in - C_out @ W0)  # one step of iterative refinement
        self.W0, self.U = W0, U
        self._W0, self._U, self._Ut = self._dev(W0), self._dev(U), self._dev(U.T)
        self._init_bias(U)

    def raw_shapes(self):
        return {"weight_null": (self.U.shape[1], self.in_channels), **self._bias_shape()}

    def build(self, raw):
        xp = self.backend.xp
        return self._W0 + xp.matmul(self._U, raw["weight_null"]), self._build_bias(raw), None

    def build_backward(self, ctx, gW, gb):
        return self._bias_grad(gb, {"weight_null": self.backend.xp.matmul(self._Ut, gW)})

    def init_raw(self, rng):
        return self.raw_from(*self.default_init(rng))  # the projection of the default initialisation

    def raw_from(self, W, b):
        return self._bias_raw(b, {"weight_null": self.U.T @ (np.asarray(W, dtype=np.float64) - self.W0)})

    def project(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        return self.W0 + self.U @ (self.U.T @ (W - self.W0)), self._bias_project(b)

    def residual(self, W, b):
        return max(_rel(self.C_out @ W - self.C_in, self.C_out, W), self._bias_residual(b, self.C_out))

    def describe(self):
        return {"kind": self.kind, "conserve": (self.C_out.copy(), self.C_in.copy())}


class LinearEquality(_NullBias, Parameterisation):
    """``A vec(W) = c`` for any consistent, independent rows of `A` (row-major ``vec``).

    Parameters
    ----------
    A : ndarray, shape (p, out_channels * in_channels)
    c : ndarray, shape (p,)
    bias_basis : ndarray or None
        None: free bias; else ``b = bias_basis q`` (conservation laws merged
        into `A` also constrain the bias).
    conserve : tuple or None
        The ``(C_out, C_in)`` merged into `A`, kept for :meth:`describe`.
    given : tuple or None
        The user's own ``(A, c)`` before the merge (default: `A`, `c`).
    """

    kind = "linear"

    def __init__(self, A, c, in_channels, out_channels, *, bias, backend, bias_basis=None, conserve=None, given=None):
        super().__init__(in_channels, out_channels, bias=bias, backend=backend)
        mn = in_channels * out_channels
        free = mn - A.shape[0]
        if free > 0 and mn * free > MAX_BASIS_ENTRIES:
            raise NotImplementedError(
                f"linear: a {out_channels} x {in_channels} mixer has {mn} weights; the null-space basis of a "
                f"general linear constraint would hold {mn} x {free} float64 entries (over 256 MiB). "
                "Express conservation laws with 'conserve' (a C x C basis) or use fewer channels"
            )
        rank, R, N, s, Ut = check_laws("linear", A, c[:, None])
        self.A, self.c, self.conserve = A, c, conserve
        self.given = (A, c) if given is None else given
        w0 = _pinv_apply(R, s, Ut, c)
        w0 += _pinv_apply(R, s, Ut, c - A @ w0)  # one step of iterative refinement
        self.w0, self.N = w0, N
        self._w0 = self._dev(w0.reshape(self.shape))
        self._N, self._Nt = self._dev(N), self._dev(N.T)
        self.bias_rule = "free" if bias_basis is None else "nullspace"
        self._init_bias(bias_basis)

    def raw_shapes(self):
        return {"weight_null": (self.N.shape[1],), **self._bias_shape()}

    def build(self, raw):
        xp = self.backend.xp
        W = self._w0 + xp.reshape(xp.matmul(self._N, raw["weight_null"]), self.shape)
        return W, self._build_bias(raw), None

    def build_backward(self, ctx, gW, gb):
        xp = self.backend.xp
        return self._bias_grad(gb, {"weight_null": xp.matmul(self._Nt, xp.reshape(gW, (-1,)))})

    def init_raw(self, rng):
        return self.raw_from(*self.default_init(rng))

    def raw_from(self, W, b):
        w = np.asarray(W, dtype=np.float64).reshape(-1)
        return self._bias_raw(b, {"weight_null": self.N.T @ (w - self.w0)})

    def project(self, W, b):
        w = np.asarray(W, dtype=np.float64).reshape(-1)
        return (self.w0 + self.N @ (self.N.T @ (w - self.w0))).reshape(self.shape), self._bias_project(b)

    def residual(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        res = _rel(self.A @ W.reshape(-1) - self.c, self.A, W)
        if self.conserve is not None:
            res = max(res, self._bias_residual(b, self.conserve[0]))
        return res

    def describe(self):
        A, c = self.given
        out = {"kind": self.kind, "linear": (A.reshape(-1, *self.shape).copy(), c.copy())}
        if self.conserve is not None:
            out["conserve"] = tuple(a.copy() for a in self.conserve)
        return out
