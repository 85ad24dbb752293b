"""The nearest weight (Frobenius norm) that satisfies a mixer constraint."""

import warnings

import numpy as np

from ...backend import get_backend
from ...errors import AccuracyWarning
from ._field import dtype_name
from ._parameterisation import check_matrix
from ._spec import make_parameterisation

__all__ = ["project_weight"]


def project_weight(weight, constraint, *, bias=None):
    """The matrix nearest to `weight` (Frobenius norm) that satisfies `constraint`.

    Parameters
    ----------
    weight : array, shape (out_channels, in_channels)
        Any finite matrix (NumPy or backend array).
    constraint : None, str or dict
        As for :class:`~fieldconv.nn.ChannelMixer`.
    bias : array, shape (out_channels,), optional
        Project the bias too (jointly with `weight`, for constraints that
        involve it: ``C b = 0`` for conservation laws, ``b >= 0`` for
        non-negative mixers).

    Returns
    -------
    array or (array, array)
        The projected weight, or ``(weight, bias)`` when `bias` is given; same
        backend and dtype as the input (computed in float64 on the host: the
        small matrix is copied there and back explicitly).

    Raises
    ------
    ValueError, TypeError, NotImplementedError
        As :class:`~fieldconv.nn.ChannelMixer` for the constraint; ValueError
        for a non-finite or non-2-D `weight`, or a bias for a constraint that
        forbids one.

    Warns
    -----
    AccuracyWarning
        If the polytope projection of a column did not pass its exactness
        check (its Newton iterate is returned).

    Notes
    -----
    Which projections are exact (up to float64 round-off):

    ===============================  ==========================================
    conservation / linear laws       ``W - pinv(A) (A W - c)``: closed form
    orthogonal (semi-orthogonal)     polar factor ``U V^T`` of the SVD (exact)
    orthogonal + conservation        ``R R^T + U polar(U^T W U) U^T`` (exact)
    non-negative                     ``max(W, 0)`` (exact)
    conservation + non-negativity,   per column, a semismooth Newton method on
    stochastic                       the dual, finished by an exact solve on
                                     its active set and a KKT check (exact
                                     when the check passes, else a warning)
    ===============================  ==========================================

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.mixers import project_weight
    >>> project_weight(np.array([[2.0, 0.0], [0.0, 0.5]]), "orthogonal")
    array([[1., 0.],
           [0., 1.]])
    >>> project_weight(np.array([[0.5], [0.7], [-0.2]]), "stochastic").round(3)
    array([[0.4],
           [0.6],
           [0. ]])
    """
    is_host = isinstance(weight, np.ndarray) or not hasattr(weight, "__array_namespace__")
    be = get_backend("numpy") if is_host else get_backend(like=weight)
    W = check_matrix("weight", be.to_numpy(weight) if not is_host else weight)
    out_dtype = np.dtype(dtype_name(weight.dtype)) if hasattr(weight, "dtype") else np.dtype(np.float64)
    if out_dtype not in (np.float32, np.float64):
        out_dtype = np.dtype(np.float64)
    b = None if bias is None else check_matrix("bias", be.to_numpy(bias) if not is_host else bias, (W.shape[0],), ndim=1)
    m, n = W.shape
    param = make_parameterisation(constraint, n, m, bias=bias is not None or None, backend=get_backend("numpy"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccuracyWarning)
        Wp, bp = param.project(W, b)
    for w in caught:
        warnings.warn(w.message, AccuracyWarning, stacklevel=2)
    back = (lambda a: a.astype(out_dtype)) if is_host else (lambda a: be.asarray(a, dtype=out_dtype, copy=True))
    if bias is None:
        return back(Wp)
    if bp is None:
        bp = np.zeros(m)
    return back(Wp), back(bp)
