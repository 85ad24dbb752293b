"""Isometries: orthogonal and semi-orthogonal ``W`` by a Cayley transform about a base point.

With ``s = max(C_out, C_in)``, raw ``Theta`` (``s x s``) and its skew part
``A = Theta - Theta^T``,

    K = (I - A)^{-1} (I + A)          (Cayley: orthogonal for every skew A)
    Q = B K                           (B: a fixed orthogonal base point)
    W = Q[:C_out, :C_in]

so ``W^T W = I`` when ``C_out >= C_in`` (orthonormal columns: ``|W x| = |x|``
at every point) and ``W W^T = I`` otherwise (orthonormal rows).  ``K`` is a
linear solve on the backend (``xp.linalg.solve``); the base point ``B`` (a
buffer, not a parameter) makes every orthogonal matrix reachable with
``A = 0`` -- a random Haar matrix at initialisation, the target when a
weight is set -- so the Cayley map's blind spot (eigenvalue -1, where the
plain transform needs ``|A| -> inf``) and the two components of O(s)
(``det = +-1``) are both covered.  This is the trivialisation of
Lezcano-Casado & Martinez-Rubio (2019) with the Cayley chart, and contains
the scaled Cayley transform of Helfrich, Willmott & Ye (2018), whose
``B = D`` is a diagonal of signs.

Round-off: the solve gives ``K`` orthogonal to ``~ eps * cond(I - A)`` with
``cond(I - A) = sqrt(1 + rho(A)^2)`` growing with ``|A|``; one Newton-Schulz
step ``Q <- Q (3 I - Q^T Q) / 2`` (exact on orthogonal matrices, quadratically
convergent near them) brings the built ``Q`` back to orthogonality at
round-off level, ``|Q^T Q - I| ~ s u``, however large ``A`` grows.  Its
derivative at an orthogonal ``Q`` is the identity on the tangent space, so
the gradient of the Cayley map is the gradient of the built ``W``.

Gradient: with ``M = I - A`` and ``G_K = B^T G`` (``G`` padded to ``s x s``),
``dL/dA = M^{-T} G_K (K + I)^T`` and ``dL/dTheta = dL/dA - (dL/dA)^T``.

An optional frame restricts the rotation to a subspace: with ``E`` fixed
and ``L`` (``c x r``) orthonormal, ``W = E + L Q L^T``; the conservation laws
use it (``E = R R^T`` the projector on the laws' row space, ``L`` a basis of
their null space), giving orthogonal mixers that also conserve ``C x``.
"""

import numpy as np

from ._linalg import check_laws, complete_orthonormal, haar_orthogonal
from ._parameterisation import Parameterisation

__all__ = ["Orthogonal"]


def _polar(M):
    """Nearest matrix with orthonormal columns (or rows) in Frobenius norm: ``U V^T`` of the SVD."""
    U, _, Vt = np.linalg.svd(M, full_matrices=False)
    return U @ Vt


class Orthogonal(Parameterisation):
    """(Semi-)orthogonal ``W``; with `laws`, also ``C W = C`` (square only).

    Parameters
    ----------
    in_channels, out_channels : int
    laws : ndarray, shape (k, C), optional
        Conservation laws of a square mixer, checked independent.
    bias : bool
        Explicit bias (an affine isometry: distances, not norms, preserved);
        with `laws`, ``b`` lies in their null space.
    """

    kind = "orthogonal"
    bias_rule = "optional"

    def __init__(self, in_channels, out_channels, *, bias, backend, laws=None):
        super().__init__(in_channels, out_channels, bias=bias, backend=backend)
        self.laws = laws
        if laws is None:
            self.size = max(in_channels, out_channels)
            self.E = None
            self.L = None
        else:
            _, R, U, _, _ = check_laws("conserve", laws, laws)
            self.size = U.shape[1]
            self.E, self.L = R @ R.T, U
            self._E, self._L, self._Lt = self._dev(self.E), self._dev(U), self._dev(U.T)
        s = self.size
        self._I = self._dev(np.eye(s))
        self._base = self._dev(np.eye(s))

    # -- the base point (a buffer: float64, on the device, written in place) ------
    def buffers(self):
        return {"weight_base": self._base}

    def set_base(self, B):
        self._base[...] = self._dev(B)

    def raw_shapes(self):
        out = {"weight_skew": (self.size, self.size)}
        if self.has_bias:
            out["bias" if self.laws is None else "bias_null"] = (
                (self.out_channels,) if self.laws is None else (self.L.shape[1],)
            )
        return out

    def _core(self, theta):
        xp = self.backend.xp
        A = theta - theta.T
        M = self._I - A
        K = xp.linalg.solve(M, self._I + A)
        Q = xp.matmul(self._base, K)
        Q = 1.5 * Q - 0.5 * xp.matmul(Q, xp.matmul(Q.T, Q))  # one Newton-Schulz step
        return Q, (M, K)

    def build(self, raw):
        xp = self.backend.xp
        Q, ctx = self._core(raw["weight_skew"])
        if self.laws is None:
            W = Q[: self.out_channels, : self.in_channels]
            b = raw.get("bias")
        else:
            W = self._E + xp.matmul(self._L, xp.matmul(Q, self._Lt))
            b = xp.matmul(self._L, raw["bias_null"]) if self.has_bias else None
        return W, b, ctx

    def build_backward(self, ctx, gW, gb):
        xp = self.backend.xp
        M, K = ctx
        if self.laws is None:
            s, m, n = self.size, self.out_channels, self.in_channels
            if (m, n) != (s, s):
                G = self.backend.zeros((s, s), dtype=np.float64)
                G[:m, :n] = gW
            else:
                G = gW
        else:
            G = xp.matmul(self._Lt, xp.matmul(gW, self._L))
        GK = xp.matmul(self._base.T, G)
        GA = xp.matmul(xp.linalg.solve(M.T, GK), (K + self._I).T)
        out = {"weight_skew": GA - GA.T}
        if self.has_bias:
            if self.laws is None:
                out["bias"] = gb
            else:
                out["bias_null"] = xp.matmul(self._Lt, gb)
        return out

    def _bias_raw(self, b, out):
        if self.has_bias:
            b = np.zeros(self.out_channels) if b is None else np.asarray(b, dtype=np.float64)
            if self.laws is None:
                out["bias"] = b.copy()
            else:
                out["bias_null"] = self.L.T @ b
        return out

    def init_raw(self, rng):
        self.set_base(haar_orthogonal(self.size, rng))
        _, b = self.default_init(rng)
        if b is not None and self.laws is not None:
            b = self.L @ (self.L.T @ b)
        return self._bias_raw(b, {"weight_skew": np.zeros((self.size, self.size))})

    def _core_of(self, W):
        """The ``s x s`` orthogonal matrix whose block is `W` (completed on the host)."""
        W = np.asarray(W, dtype=np.float64)
        if self.laws is not None:
            return self.L.T @ W @ self.L
        m, n = W.shape
        if m >= n:
            return complete_orthonormal(W)
        return complete_orthonormal(W.T).T

    def raw_from(self, W, b):
        core = self._core_of(W)
        self.set_base(_polar(core))  # polar: orthogonal to the last bit before it becomes the base
        return self._bias_raw(b, {"weight_skew": np.zeros((self.size, self.size))})

    def project(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        if self.laws is None:
            Wp = _polar(W)
        else:
            # in the basis [R, U]: W = diag(I, Q); the nearest has Q = polar(U^T W U)
            Wp = self.E + self.L @ _polar(self.L.T @ W @ self.L) @ self.L.T
        if not self.has_bias:
            return Wp, None
        b = np.zeros(self.out_channels) if b is None else np.asarray(b, dtype=np.float64)
        return Wp, (b.copy() if self.laws is None else self.L @ (self.L.T @ b))

    def residual(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        m, n = W.shape
        G = W.T @ W if m >= n else W @ W.T
        res = float(np.abs(G - np.eye(G.shape[0])).max(initial=0.0)) / max(m, n)
        if self.laws is not None:
            C = self.laws
            scale = float(np.abs(C).max()) * max(1.0, float(np.abs(W).max())) * C.shape[1]
            res = max(res, float(np.abs(C @ W - C).max()) / scale)
            if b is not None and self.has_bias:
                res = max(res, float(np.abs(C @ b).max()) / (scale * max(1.0, float(np.abs(b).max()))))
        return res

    def describe(self):
        out = {"kind": self.kind}
        if self.laws is not None:
            out["conserve"] = (self.laws.copy(), self.laws.copy())
        return out
