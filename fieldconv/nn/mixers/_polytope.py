"""Non-negative mixers: conservation + non-negativity (a polytope per column), and plain ``W >= 0``.

Conservation with non-negativity
--------------------------------
``W >= 0`` and ``C_out W = C_in`` constrain each column ``w_j`` of ``W``
separately, to ``P_j = {w >= 0 : C_out w = C_in[:, j]}``: the intersection of
the non-negative orthant with an affine subspace, a polyhedron.  It is
bounded -- a polytope -- exactly when some combination of the laws has
strictly positive coefficients (``lambda^T C_out > 0``, e.g. a total mass),
and then it is the convex hull of its vertices ``V_j``, which are its basic
feasible solutions: for each set ``B`` of ``k`` channels with ``C_out[:, B]``
invertible, ``w_B = C_out[:, B]^{-1} C_in[:, j]`` if that is ``>= 0``.  The
vertices are enumerated once on the host in float64 and

    w_j = V_j softmax(theta_j)

parameterises ``P_j`` exactly: every raw ``theta`` gives a point of it, and
every point of it is a limit of such points (its interior ones are reached).
Non-negativity then holds *exactly* in floating point -- ``V_j >= 0``
(stored clipped), ``softmax >= 0``, and sums and products of non-negative
floats are non-negative -- and so does ``y = W x >= 0`` for ``x >= 0``.  The
laws hold to round-off: ``C_out w_j = C_in[:, j] * sum(softmax)``.

One law with positive coefficients (``m_i``: masses) gives the scaled
simplex with vertices ``(m_j / m_i) e_i``; ``m = 1`` is the column-stochastic
matrix, ``softmax`` itself.  A bias would have to satisfy ``b >= 0`` (``x = 0``)
and ``C_out b = 0``, which on a polytope forces ``b = 0``: these mixers have
none.  Laws without a positive combination make ``P_j`` unbounded (rays
besides vertices) and are refused; so are laws whose vertex enumeration
would be too large (``binom(C_out, k)`` bases).

Plain non-negativity
--------------------
``W = softplus(Theta) >= 0`` elementwise (and ``b = softplus(beta)`` when a
bias is asked for), again exact in floating point.
"""

import itertools
import math
import warnings

import numpy as np

from ...errors import AccuracyWarning
from ._linalg import check_laws
from ._parameterisation import Parameterisation

__all__ = ["ConservingNonnegative", "Nonnegative", "project_polytope_column"]

#: Most candidate bases (subsets of k channels) the vertex enumeration tries.
MAX_BASES = 20000
_EPS = np.finfo(np.float64).eps
#: Logit written for a zero barycentric weight (softmax gives exp(-690) ~ 1e-300).
_LOG_TINY = math.log(1e-300)


def _check_bounded(C_out):
    """Raise unless the laws have a strictly positive combination (bounded polytopes)."""
    from scipy.optimize import linprog

    k, m = C_out.shape
    # max sum(r) over {C r = 0, 0 <= r <= 1}: zero iff the recession cone of every P_j is {0}
    res = linprog(-np.ones(m), A_eq=C_out, b_eq=np.zeros(k), bounds=[(0, 1)] * m, method="highs")
    if res.status != 0 or -res.fun > 1e-9:
        raise NotImplementedError(
            "conserve + nonnegative: the laws have no combination with strictly positive coefficients "
            "(such as a total mass), so the non-negative mixers that conserve them form an unbounded set "
            "(a non-negative r with C r = 0 can be added to any column without limit); add a positive "
            "law (e.g. the total) or drop 'nonnegative'"
        )


def _vertices(C_out, t, name):
    """Vertices of ``{w >= 0 : C_out w = t}`` as columns (``m x nv``), host float64."""
    k, m = C_out.shape
    nb = math.comb(m, k)
    if nb > MAX_BASES:
        raise NotImplementedError(
            f"{name}: enumerating the vertices of {k} laws on {m} channels means trying "
            f"binom({m}, {k}) = {nb} bases (limit {MAX_BASES}); use fewer laws or channels"
        )
    scale = max(1.0, float(np.abs(t).max(initial=0.0)))
    found = []
    for B in itertools.combinations(range(m), k):
        CB = C_out[:, B]
        if np.linalg.cond(CB) > 1e12:
            continue
        wB = np.linalg.solve(CB, t)
        if np.all(wB >= -1e-12 * scale):
            w = np.zeros(m)
            w[list(B)] = np.maximum(wB, 0.0)
            found.append(w)
    if not found:
        return np.zeros((m, 0))
    V = np.array(found)
    # degenerate vertices come from several bases: keep one copy of each
    _, keep = np.unique(np.round(V / (scale * 1e-10)).astype(np.int64), axis=0, return_index=True)
    return V[np.sort(keep)].T.copy()


def project_polytope_column(C, t, v, *, max_iter=200):
    """Nearest point (Euclidean) to `v` in ``{w >= 0 : C w = t}``, host float64.

    The dual ``max_lambda g(lambda)``, ``w(lambda) = max(0, v - C^T lambda)``, is
    concave and piecewise quadratic; a semismooth Newton method with Armijo
    backtracking finds its active set, which is then solved exactly,
    ``(C_F C_F^T) lambda = C_F v_F - t``, and checked against the KKT
    conditions (``w_F >= 0`` and ``v - C^T lambda <= 0`` off ``F``).

    Returns
    -------
    w : ndarray
        The projection (non-negative exactly; ``C w = t`` to round-off).
    exact : bool
        Whether the final active-set solve passed the KKT check (otherwise
        `w` is the converged Newton iterate).
    """
    k, m = C.shape
    CCt = C @ C.T
    lam = np.linalg.solve(CCt, C @ v - t)
    scale = max(1.0, float(np.abs(v).max(initial=0.0)), float(np.abs(t).max(initial=0.0)))
    reg = 1e-13 * max(1.0, float(np.trace(CCt)))

    def dual(lam):
        w = np.maximum(v - C.T @ lam, 0.0)
        return 0.5 * float(np.sum((w - v) ** 2)) + float(lam @ (C @ w - t)), w

    g, w = dual(lam)
    for _ in range(max_iter):
        grad = C @ w - t
        if np.abs(grad).max() <= 8 * m * _EPS * scale * max(1.0, float(np.abs(C).max())):
            break
        F = (v - C.T @ lam) > 0
        H = C[:, F] @ C[:, F].T + reg * np.eye(k)
        d = np.linalg.solve(H, grad)
        step = 1.0
        while step > 1e-12:
            g_new, w_new = dual(lam + step * d)
            if g_new >= g + 1e-4 * step * float(d @ grad) - 1e-15 * abs(g):
                break
            step *= 0.5
        lam, g, w = lam + step * d, g_new, w_new
    # exact solve on the active set found, then the KKT check
    F = (v - C.T @ lam) > 0
    CF = C[:, F]
    if F.any() and np.linalg.matrix_rank(CF) == k:
        lam_x = np.linalg.solve(CF @ CF.T, CF @ v[F] - t)
        r = v - C.T @ lam_x
        tol = 64 * m * _EPS * scale * max(1.0, float(np.abs(C).max()))
        if np.all(r[F] >= -tol) and np.all(r[~F] <= tol):
            wx = np.zeros(m)
            wx[F] = np.maximum(r[F], 0.0)
            return wx, True
    return w, False


class ConservingNonnegative(Parameterisation):
    """``W >= 0`` and ``C_out W = C_in``: each column a softmax-weighted mix of its polytope's vertices.

    Parameters
    ----------
    C_out : ndarray, shape (k, out_channels)
    C_in : ndarray, shape (k, in_channels)
    kind : str
        ``"stochastic"`` (``C = ones``) or ``"conserve"``, for the description.
    """

    bias_rule = "never"
    closed_under_composition = True

    def __init__(self, C_out, C_in, *, bias, backend, kind="conserve"):
        super().__init__(C_in.shape[1], C_out.shape[1], bias=False, backend=backend)
        check_laws("conserve", C_out, C_in)
        _check_bounded(C_out)
        self.kind = kind
        self.C_out, self.C_in = C_out, C_in
        verts = [_vertices(C_out, C_in[:, j], "conserve + nonnegative") for j in range(self.in_channels)]
        for j, V in enumerate(verts):
            if V.shape[1] == 0:
                raise ValueError(
                    f"conserve + nonnegative: no non-negative column w satisfies C_out w = C_in[:, {j}] "
                    f"= {C_in[:, j].tolist()} (input channel {j} cannot be mapped without negative entries)"
                )
        nv = max(V.shape[1] for V in verts)
        self.vertices = verts
        Vpad = np.zeros((self.in_channels, self.out_channels, nv))
        mask = np.full((nv, self.in_channels), -np.inf)
        for j, V in enumerate(verts):
            Vpad[j, :, : V.shape[1]] = V
            mask[: V.shape[1], j] = 0.0
        self.n_vertices = nv
        self._V = self._dev(Vpad)
        self._Vt = self._dev(np.ascontiguousarray(np.transpose(Vpad, (0, 2, 1))))
        self._mask = self._dev(mask)

    def raw_shapes(self):
        return {"weight_logits": (self.n_vertices, self.in_channels)}

    def build(self, raw):
        xp = self.backend.xp
        z = raw["weight_logits"] + self._mask
        z = z - xp.max(z, axis=0, keepdims=True)
        e = xp.exp(z)
        s = e / xp.sum(e, axis=0, keepdims=True)  # (nv, C_in), columns on the simplex
        Wt = xp.matmul(self._V, xp.reshape(s.T, (self.in_channels, self.n_vertices, 1)))
        return xp.reshape(Wt, (self.in_channels, self.out_channels)).T, None, s

    def build_backward(self, ctx, gW, gb):
        xp = self.backend.xp
        s = ctx
        dS = xp.matmul(self._Vt, xp.reshape(gW.T, (self.in_channels, self.out_channels, 1)))
        dS = xp.reshape(dS, (self.in_channels, self.n_vertices)).T
        return {"weight_logits": s * (dS - xp.sum(s * dS, axis=0, keepdims=True))}

    def init_raw(self, rng):
        return {"weight_logits": rng.standard_normal((self.n_vertices, self.in_channels))}

    def raw_from(self, W, b):
        from scipy.optimize import nnls

        W = np.asarray(W, dtype=np.float64)
        logits = np.zeros((self.n_vertices, self.in_channels))
        for j, V in enumerate(self.vertices):
            rho = max(1.0, float(np.abs(V).max()))
            A = np.vstack([V, rho * np.ones((1, V.shape[1]))])
            s, _ = nnls(A, np.concatenate([W[:, j], [rho]]))
            s = s / s.sum()
            logits[: V.shape[1], j] = np.log(np.maximum(s, 1e-300))
            logits[V.shape[1] :, j] = _LOG_TINY
        return {"weight_logits": logits}

    def project(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        cols = []
        for j in range(self.in_channels):
            w, exact = project_polytope_column(self.C_out, self.C_in[:, j], W[:, j])
            if not exact:
                warnings.warn(
                    f"projection of column {j} onto its polytope did not pass the exact KKT check; "
                    "the converged Newton iterate is used",
                    AccuracyWarning,
                    stacklevel=3,
                )
            cols.append(w)
        return np.stack(cols, axis=1), None

    def residual(self, W, b):
        W = np.asarray(W, dtype=np.float64)
        neg = float(max(0.0, -W.min()))
        scale = float(np.abs(self.C_out).max()) * max(1.0, float(np.abs(W).max())) * self.out_channels
        return max(neg, float(np.abs(self.C_out @ W - self.C_in).max()) / scale)

    def describe(self):
        if self.kind == "stochastic":
            return {"kind": "stochastic"}
        return {"kind": self.kind, "conserve": (self.C_out.copy(), self.C_in.copy()), "nonnegative": True}


def _softplus(xp, t):
    return xp.maximum(t, 0.0) + xp.log1p(xp.exp(-xp.abs(t)))


def _sigmoid(xp, t):
    e = xp.exp(-xp.abs(t))
    return xp.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus_inverse(w):
    w = np.maximum(np.asarray(w, dtype=np.float64), 1e-300)
    return w + np.log(-np.expm1(-w))


class Nonnegative(Parameterisation):
    """``W = softplus(Theta) >= 0`` (and ``b = softplus(beta) >= 0`` if a bias is asked for)."""

    kind = "nonnegative"
    bias_rule = "optional"
    closed_under_composition = True

    def raw_shapes(self):
        out = {"weight_softplus": self.shape}
        if self.has_bias:
            out["bias_softplus"] = (self.out_channels,)
        return out

    def build(self, raw):
        xp = self.backend.xp
        t = raw["weight_softplus"]
        b = _softplus(xp, raw["bias_softplus"]) if self.has_bias else None
        return _softplus(xp, t), b, (t, raw.get("bias_softplus"))

    def build_backward(self, ctx, gW, gb):
        xp = self.backend.xp
        t, beta = ctx
        out = {"weight_softplus": gW * _sigmoid(xp, t)}
        if self.has_bias:
            out["bias_softplus"] = gb * _sigmoid(xp, beta)
        return out

    def init_raw(self, rng):
        W, b = self.default_init(rng)
        return self.raw_from(np.abs(W), None if b is None else np.abs(b))

    def raw_from(self, W, b):
        out = {"weight_softplus": _softplus_inverse(W)}
        if self.has_bias:
            out["bias_softplus"] = _softplus_inverse(np.zeros(self.out_channels) if b is None else b)
        return out

    def project(self, W, b):
        W = np.maximum(np.asarray(W, dtype=np.float64), 0.0)
        if not self.has_bias:
            return W, None
        return W, np.maximum(np.zeros(self.out_channels) if b is None else np.asarray(b, dtype=np.float64), 0.0)

    def residual(self, W, b):
        neg = float(max(0.0, -np.min(W)))
        if b is not None and self.has_bias:
            neg = max(neg, float(max(0.0, -np.min(b))))
        return neg

    def describe(self):
        return {"kind": self.kind}
