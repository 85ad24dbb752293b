"""Savitzky-Golay coefficients: the one least-squares builder, cached in bytes.

:func:`fieldconv.kernels.savgol` (the kernel) and :mod:`fieldconv.smoothing`
(the filters, ``savgol_coeffs``) both take their coefficients from here, so
the two cannot disagree.  Tables are float64, read-only, and kept in the
byte-bounded cache ``"savgol_coefficients"`` (see
:func:`fieldconv.backend.cache_info`).

The least-squares fit uses a basis of polynomials orthonormal on the
window's points, built by Arnoldi's process on the scaled abscissae
(Vandermonde with Arnoldi: Brubeck, Nakatsukasa & Trefethen, SIAM Rev. 63,
405 (2021)), not a Vandermonde least-squares solve: the basis is
``window_length x (polyorder + 1)`` floats (memory linear in the window),
stays orthonormal to rounding for any window, and the Hessenberg matrix of
the process evaluates the same polynomials (and their derivatives) anywhere
in the window.  "interp" edges are the fit of the first/last window
evaluated at the edge points: ``(x_window @ Q) @ D.T`` with ``D`` of shape
``(window_length // 2, polyorder + 1)``, never a ``window_length**2`` matrix.

Private leaf module.
"""

import math

import numpy as np

from ._cache import ByteCache
from ._validate import check_int

__all__ = ["check_window", "check_delta", "basis", "coeffs_dot", "edge_maps", "coeffs_2d", "cache", "MAX_BASIS_ENTRIES"]

#: Bound on ``window_length * (polyorder + 1)``: the orthonormal basis is that many float64
#: (2**26 entries: 512 MiB).  Larger problems are refused with a ValueError.
MAX_BASIS_ENTRIES = 2**26

#: Coefficient tables, bases and "interp" edge maps (each at most (polyorder + 2) * window_length floats).
cache = ByteCache(
    "savgol_coefficients",
    64 * 2**20,
    description="Savitzky-Golay coefficient tables, orthonormal bases and 'interp' edge maps",
)


def check_window(window_length, polyorder, deriv):
    """``(window_length, polyorder, deriv)`` as ints with ``0 <= polyorder < window_length``.

    Also ``window_length * (polyorder + 1) <= MAX_BASIS_ENTRIES``: the
    basis of the fit must fit in memory.
    """
    window_length = check_int("window_length", window_length, minimum=1)
    polyorder = check_int("polyorder", polyorder, minimum=0)
    deriv = check_int("deriv", deriv, minimum=0)
    if polyorder >= window_length:
        raise ValueError(
            f"polyorder must be less than window_length; got polyorder={polyorder}, "
            f"window_length={window_length}"
        )
    if window_length * (polyorder + 1) > MAX_BASIS_ENTRIES:
        raise ValueError(
            f"window_length * (polyorder + 1) must be <= {MAX_BASIS_ENTRIES} (the least-squares basis "
            f"holds that many float64, 512 MiB); got window_length={window_length}, polyorder={polyorder}"
        )
    return window_length, polyorder, deriv


def check_delta(delta):
    """`delta` as a finite non-zero float.

    scipy.signal accepts any non-zero spacing: a negative delta (a descending
    axis such as IR wavenumbers 4000 -> 400 cm^-1) gives d/dx along that axis.
    """
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
        raise TypeError(f"delta must be a real number; got {delta!r}")
    if not np.isfinite(delta) or delta == 0:
        raise ValueError(f"delta must be finite and non-zero; got {delta!r}")
    return float(delta)


def _frozen(key, build):
    """The cached value of `key`, built if missing; values over a quarter of the bound are not kept."""
    value = cache.get(key)
    if value is None:
        value = build()
        arrays = value if isinstance(value, tuple) else (value,)
        for a in arrays:
            a.setflags(write=False)
        nbytes = sum(a.nbytes for a in arrays)
        if nbytes <= cache.max_bytes // 4:
            value = cache.put(key, value, nbytes)
    return value


def _scale(window_length):
    """Half-width ``s`` of the window: the abscissae are ``t_j = (j - (W-1)/2) / s``, in [-1, 1]."""
    return max((window_length - 1) / 2.0, 1.0)


def basis(window_length, polyorder):
    """``(Q, H)``: orthonormal basis on the window's points and its Hessenberg matrix.

    ``Q[:, k]`` holds ``q_k(t_j)``, ``q_k`` a polynomial of degree ``k``,
    ``Q.T @ Q = I`` to rounding; ``H`` (``(p + 2, p + 1)``) satisfies
    ``t q_k(t) = sum_{i <= k + 1} H[i, k] q_i(t)`` (Arnoldi with classical
    Gram-Schmidt done twice, which keeps ``Q`` orthonormal).
    """
    key = ("basis", window_length, polyorder)
    return _frozen(key, lambda: _build_basis(window_length, polyorder))


def _build_basis(W, p):
    t = (np.arange(W, dtype=np.float64) - (W - 1) / 2.0) / _scale(W)
    Q = np.empty((W, p + 1), order="F")  # columns contiguous: the process works column by column
    H = np.zeros((p + 2, p + 1))
    Q[:, 0] = 1.0 / math.sqrt(W)
    for k in range(p):
        v = t * Q[:, k]
        for _ in range(2):  # "twice is enough" (Giraud et al. 2005)
            h = Q[:, : k + 1].T @ v
            v -= Q[:, : k + 1] @ h
            H[: k + 1, k] += h
        H[k + 1, k] = np.linalg.norm(v)
        Q[:, k + 1] = v / H[k + 1, k]
    return Q, H


def _evaluate(H, W, p, z, deriv):
    """``D[i, k] = q_k^(deriv)(z_i)`` (derivative in t) for scaled points `z`, from the Hessenberg recurrence."""
    z = np.asarray(z, dtype=np.float64)
    # e[j][k]: j-th derivative of q_k at z
    e = np.zeros((deriv + 1, p + 1) + z.shape)
    e[0, 0] = 1.0 / math.sqrt(W)
    for k in range(p):
        hk = H[: k + 1, k]
        for j in range(deriv + 1):
            acc = z * e[j, k] - np.tensordot(hk, e[j, : k + 1], axes=(0, 0))
            if j:
                acc = acc + j * e[j - 1, k]
            e[j, k + 1] = acc / H[k + 1, k]
    return np.moveaxis(e[deriv], 0, -1)


def coeffs_dot(window_length, polyorder, deriv, delta, pos):
    """Dot-order coefficients (float64, read-only) for evaluation at `pos`.

    ``c = Q @ d / (s * delta)**deriv`` with ``d_k = q_k^(deriv)(t_pos)``:
    ``c . x`` is the `deriv`-th derivative at `pos` of the least-squares
    polynomial through the window.  At a sample point ``d`` for ``deriv = 0``
    is the row of ``Q`` itself.  For the centred window the exact
    coefficients are symmetric (even `deriv`) or antisymmetric (odd): they
    are made so to the bit.
    """
    key = ("dot", window_length, polyorder, deriv, float(delta), float(pos))
    return _frozen(key, lambda: _build_dot(window_length, polyorder, deriv, float(delta), float(pos)))


def _build_dot(window_length, polyorder, deriv, delta, pos):
    if deriv > polyorder:
        return np.zeros(window_length)
    Q, H = basis(window_length, polyorder)
    d = _weights_at(Q, H, window_length, polyorder, deriv, np.array([pos]))[0]
    c = (Q @ d) / (_scale(window_length) * delta) ** deriv
    if 2 * pos == window_length - 1:
        # centred window: exact (anti)symmetry lets correlate1d fold the pairs
        c = 0.5 * (c + (-1) ** deriv * c[::-1])
    return c


def _weights_at(Q, H, W, p, deriv, pos):
    """``q_k^(deriv)`` at window positions `pos` (shape (m, p + 1)); rows of `Q` at sample points for deriv 0."""
    if deriv == 0 and np.all(pos == np.round(pos)):
        return Q[pos.astype(np.int64)]
    return _evaluate(H, W, p, (pos - (W - 1) / 2.0) / _scale(W), deriv)


def edge_maps(window_length, polyorder, deriv, delta):
    """``(left, right)``: the "interp" edges are ``(x[:W] @ Q) @ left.T`` and ``(x[-W:] @ Q) @ right.T``.

    ``Q`` is ``basis(window_length, polyorder)[0]``.

    ``left``/``right`` are ``(window_length // 2, polyorder + 1)``: the
    `deriv`-th derivative of each basis polynomial at the first/last
    ``window_length // 2`` points, divided by ``(s * delta)**deriv``.
    Memory ``(window_length + window_length // 2 * 2) * (polyorder + 1)``
    floats, never ``window_length**2``.
    """
    key = ("edges", window_length, polyorder, deriv, float(delta))

    def build():
        W, p = window_length, polyorder
        h = W // 2
        Q, H = basis(W, p)
        if deriv > p:
            return np.zeros((h, p + 1)), np.zeros((h, p + 1))
        f = 1.0 / (_scale(W) * delta) ** deriv
        left = _weights_at(Q, H, W, p, deriv, np.arange(h, dtype=np.float64)) * f
        right = _weights_at(Q, H, W, p, deriv, np.arange(W - h, W, dtype=np.float64)) * f
        return np.ascontiguousarray(left), np.ascontiguousarray(right)

    return _frozen(key, build)


def coeffs_2d(shape, polyorder, deriv, delta):
    """Correlation weights of the 2-D total-degree filter (see ``smoothing.savgol_coeffs_2d``)."""
    key = ("2d", tuple(shape), polyorder, tuple(deriv), tuple(float(d) for d in delta))
    return _frozen(key, lambda: _build_2d(shape, polyorder, deriv, delta))


def _build_2d(shape, polyorder, deriv, delta):
    (w0, w1), (d0, d1) = shape, deriv
    h0, h1 = w0 // 2, w1 // 2
    s0, s1 = max(h0, 1), max(h1, 1)
    t0 = np.arange(-h0, h0 + 1, dtype=np.float64) / s0
    t1 = np.arange(-h1, h1 + 1, dtype=np.float64) / s1
    T0, T1 = np.meshgrid(t0, t1, indexing="ij")
    terms = [(a, b) for a in range(polyorder + 1) for b in range(polyorder + 1 - a)]
    V = np.stack([(T0**a * T1**b).ravel() for a, b in terms], axis=1)
    if np.linalg.matrix_rank(V) < len(terms):
        raise ValueError(
            f"window shape {shape} is too small for a 2-D polynomial of total degree {polyorder} "
            f"({len(terms)} terms)"
        )
    w = np.zeros(w0 * w1)
    if (d0, d1) in terms:
        k = terms.index((d0, d1))
        w = np.linalg.pinv(V)[k] * (
            math.factorial(d0) * math.factorial(d1) / ((s0 * delta[0]) ** d0 * (s1 * delta[1]) ** d1)
        )
    w = w.reshape(w0, w1)
    w.setflags(write=False)
    return w
