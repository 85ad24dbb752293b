"""Savitzky-Golay coefficients: the one least-squares builder, cached in bytes.

:func:`fieldconv.kernels.savgol` (the kernel) and :mod:`fieldconv.smoothing`
(the filters, ``savgol_coeffs``) both take their coefficients from here, so
the two cannot disagree.  Tables are float64, read-only, and kept in the
byte-bounded cache ``"savgol_coefficients"`` (see
:func:`fieldconv.backend.cache_info`).

Private leaf module.
"""

import math

import numpy as np

from ._cache import ByteCache
from ._validate import check_int

__all__ = ["check_window", "check_delta", "coeffs_dot", "edge_matrices", "coeffs_2d", "cache"]

#: Coefficient tables and "interp" edge matrices (``(window // 2) * window`` floats each).
cache = ByteCache(
    "savgol_coefficients",
    64 * 2**20,
    description="Savitzky-Golay coefficient tables and 'interp' edge matrices",
)


def check_window(window_length, polyorder, deriv):
    """``(window_length, polyorder, deriv)`` as ints with ``0 <= polyorder < window_length``."""
    window_length = check_int("window_length", window_length, minimum=1)
    polyorder = check_int("polyorder", polyorder, minimum=0)
    deriv = check_int("deriv", deriv, minimum=0)
    if polyorder >= window_length:
        raise ValueError(
            f"polyorder must be less than window_length; got polyorder={polyorder}, "
            f"window_length={window_length}"
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
    value = cache.get(key)
    if value is None:
        value = build()
        nbytes = sum(v.nbytes for v in value) if isinstance(value, tuple) else value.nbytes
        value = cache.put(key, value, nbytes)
    return value


def coeffs_dot(window_length, polyorder, deriv, delta, pos):
    """Dot-order coefficients (float64, read-only) for evaluation at `pos`.

    With ``t_j = (j - pos) / s`` (``s = max|j - pos|``, which keeps the
    Vandermonde matrix ``A[k, j] = t_j**k`` well conditioned) the
    coefficients are the minimum-norm solution of ``A c = deriv! e_deriv``,
    divided by ``(s * delta)**deriv``.  For the centred window the exact
    coefficients are symmetric (even `deriv`) or antisymmetric (odd): they
    are made so to the bit.
    """
    key = ("dot", window_length, polyorder, deriv, float(delta), float(pos))
    return _frozen(key, lambda: _build_dot(window_length, polyorder, deriv, float(delta), float(pos)))


def _build_dot(window_length, polyorder, deriv, delta, pos):
    c = np.zeros(window_length)
    if deriv <= polyorder:
        x = np.arange(window_length, dtype=np.float64) - pos
        scale = max(float(np.max(np.abs(x))), 1.0)
        t = x / scale  # |t| <= 1: the Vandermonde stays well conditioned
        A = t[np.newaxis, :] ** np.arange(polyorder + 1, dtype=np.float64)[:, np.newaxis]
        rhs = np.zeros(polyorder + 1)
        rhs[deriv] = math.factorial(deriv)
        # minimum-norm solution of A c = rhs: the row `deriv` of pinv(A.T)
        c = np.linalg.lstsq(A, rhs, rcond=None)[0] / (scale * delta) ** deriv
        if 2 * pos == window_length - 1:
            # centred window: lstsq leaves ~1-ulp asymmetries; exact (anti)symmetry lets correlate1d fold the pairs
            c = 0.5 * (c + (-1) ** deriv * c[::-1])
    c.setflags(write=False)
    return c


def edge_matrices(window_length, polyorder, deriv, delta):
    """``(left, right)`` "interp"-edge maps, each ``(window_length // 2, window_length)``."""
    key = ("edges", window_length, polyorder, deriv, float(delta))

    def build():
        h = window_length // 2
        rows = [coeffs_dot(window_length, polyorder, deriv, delta, float(i)) for i in range(h)]
        left = np.stack(rows) if rows else np.zeros((0, window_length))
        rows = [coeffs_dot(window_length, polyorder, deriv, delta, float(window_length - h + k)) for k in range(h)]
        right = np.stack(rows) if rows else np.zeros((0, window_length))
        left.setflags(write=False)
        right.setflags(write=False)
        return left.reshape(h, window_length), right.reshape(h, window_length)

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
