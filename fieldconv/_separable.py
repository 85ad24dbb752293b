"""Rank-1 (separable) factorisation of weight tables: the one factoriser.

Used by :meth:`fieldconv.kernels.Kernel.separable_factors` (full
factorisation, canonical scaling) and by the convolution engine (partial
separability: a spatial-spectral kernel that factors into a 2-D spatial part
times a 1-D spectral part runs as two cheaper passes).

Private leaf module: NumPy only.
"""

import math

import numpy as np

__all__ = ["peel_rank1", "full_factors", "pivot_factors", "balance_factors"]

_EPS = float(np.finfo(np.float64).eps)


def peel_rank1(w, tol=None, *, rtol=None):
    """Split rank-1 axes off `w`: ``({axis: vector}, rest)``.

    Axis ``a`` (of size > 1) splits off when the unfolding of the remaining
    table along ``a`` has rank one within the tolerance: the Frobenius norm
    of its trailing singular values, ``sqrt(sum_{i>0} s_i**2)``, is at most
    `tol` (absolute) or ``rtol * s_0`` (relative to the largest; computed
    as a ratio, so tiny weights do not underflow).  The factor is ``u_0 s_0``, and ``v_0`` (reshaped, size 1 on
    ``a``) is what remains; the last acting axis is never split, it stays
    in ``rest``.  ``w == outer(factors) * rest`` to rounding when every
    split was exact.

    This is a sequentially truncated higher-order SVD: in 2-D it is the
    plain SVD rank test.
    """
    rest = np.asarray(w, dtype=np.float64)
    factors = {}
    for a in range(rest.ndim):
        if rest.shape[a] == 1:
            continue
        if [b for b in range(rest.ndim) if rest.shape[b] > 1] == [a]:
            break
        m = np.moveaxis(rest, a, 0).reshape(rest.shape[a], -1)
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        if s[0] == 0:
            continue
        tail = s[0] * math.sqrt(float(np.sum((s[1:] / s[0]) ** 2)))
        if (tol is not None and tail > tol) or (rtol is not None and tail > rtol * s[0]):
            continue
        factors[a] = u[:, 0] * s[0]
        others = tuple(n for b, n in enumerate(rest.shape) if b != a)
        rest = np.moveaxis(vt[0].reshape((1,) + others), 0, a)
    return factors, rest


def full_factors(w, tol):
    """Vectors ``f_0 .. f_{d-1}`` with ``w == f_0 ⊗ ... ⊗ f_{d-1}`` within `tol`, or None."""
    factors, rest = peel_rank1(w, tol)
    acting = [b for b in range(rest.ndim) if rest.shape[b] > 1]
    if len(acting) > 1:
        return None
    out = []
    for a, n in enumerate(w.shape):
        if a in factors:
            out.append(np.array(factors[a], dtype=np.float64))
        elif acting == [a]:
            out.append(np.array(rest, dtype=np.float64).ravel())
        else:
            out.append(np.ones(n))
    if not acting:  # every axis split off (or a single tap): the scalar left over scales factor 0
        out[0] = out[0] * float(rest.reshape(-1)[0])
    return out


def pivot_factors(w):
    """Cross factorisation through the largest entry: exact for exactly rank-1 tables."""
    p = np.unravel_index(int(np.argmax(np.abs(w))), w.shape)
    piv = w[p]
    if piv == 0:
        return [np.zeros(n) for n in w.shape]
    out = []
    for a in range(w.ndim):
        sl = list(p)
        sl[a] = slice(None)
        f = np.array(w[tuple(sl)], dtype=np.float64)
        out.append(f if a == 0 else f / piv)
    return out


def balance_factors(factors, w):
    """Scale rank-1 factors to a canonical form (their outer product unchanged)."""
    d = len(factors)
    if d == 1 or any(not np.any(f) for f in factors):
        return [np.array(f, dtype=np.float64) for f in factors] if d == 1 else [np.zeros(n) for n in w.shape]
    factors = [np.array(f, dtype=np.float64) for f in factors]
    total = math.fsum(w.ravel())
    sums = [math.fsum(f) for f in factors]
    big = all(abs(s) > math.sqrt(_EPS) * float(np.sum(np.abs(f))) for s, f in zip(sums, factors))
    if total > 0 and big:
        # each factor sums to total**(1/d): normalised smoothing kernels give normalised factors
        target = total ** (1.0 / d)
        return [f * (target / s) for f, s in zip(factors, sums)]
    # otherwise: factors 1.. have a positive largest entry and smallest significant |entry| 1
    for i in range(1, d):
        f = factors[i]
        a = np.abs(f)
        scale = float(np.min(a[a > math.sqrt(_EPS) * a.max()]))
        if f[int(np.argmax(a))] < 0:
            scale = -scale
        factors[i] = f / scale
        factors[0] = factors[0] * scale
    return factors

