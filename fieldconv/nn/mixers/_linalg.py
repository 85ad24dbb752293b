"""Host float64 linear algebra on the small constraint matrices (construction time only).

Rank decisions use the SVD with the LAPACK-style threshold
``max(shape) * eps * sigma_max`` (as ``numpy.linalg.matrix_rank``).
"""

import numpy as np

__all__ = ["row_space_split", "check_laws", "haar_orthogonal", "complete_orthonormal"]

_EPS = np.finfo(np.float64).eps


def row_space_split(A):
    """``(rank, R, N, s, Ut)`` of the SVD of `A` (``k x m``).

    `R` (``m x rank``) and `N` (``m x (m - rank)``) are orthonormal bases of
    the row space and the null space of `A` (columns), `s` the singular values
    and `Ut` the left singular vectors (``rank x k``, transposed).
    """
    U, s, Vt = np.linalg.svd(A, full_matrices=True)
    tol = max(A.shape) * _EPS * (s[0] if s.size else 0.0)
    rank = int(np.sum(s > tol))
    return rank, Vt[:rank].T.copy(), Vt[rank:].T.copy(), s[:rank], U[:, :rank].T.copy()


def check_laws(name, C_out, C_in):
    """Check that ``C_out W = C_in`` is a set of independent, consistent laws.

    Returns the split of `C_out` (see :func:`row_space_split`).

    Raises
    ------
    ValueError
        If the laws are linearly dependent (a redundant law) or inconsistent
        (no ``W`` satisfies them), naming `name`.
    """
    k = C_out.shape[0]
    split = row_space_split(C_out)
    rank = split[0]
    if rank == k:
        return split
    aug = np.linalg.matrix_rank(np.hstack([C_out, C_in]))
    if aug > rank:
        raise ValueError(
            f"{name}: the laws are inconsistent: no W satisfies C_out W = C_in "
            f"(rank of C_out is {rank}, rank of [C_out, C_in] is {aug}; {k} laws)"
        )
    raise ValueError(
        f"{name}: the {k} laws are linearly dependent (rank {rank}): remove the redundant rows "
        "(a law that is a combination of the others is conserved automatically)"
    )


def haar_orthogonal(n, rng):
    """A Haar-distributed random ``n x n`` orthogonal matrix (QR of a Gaussian, signs fixed)."""
    Z = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(Z)
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    return Q * d


def complete_orthonormal(Q):
    """An orthogonal ``m x m`` matrix whose first columns are the orthonormal columns of `Q` (``m x n``)."""
    m, n = Q.shape
    if n == m:
        return Q.copy()
    _, _, perp, _, _ = row_space_split(Q.T)
    return np.hstack([Q, perp[:, : m - n]])
