"""Initialising a channel-reducing mixer from data by principal component analysis."""

import numpy as np

from ...backend import get_backend
from ..._validate import check_int
from ._field import prepare_field
from ._statistics import _gram64

__all__ = ["pca_mixer"]


def pca_mixer(field, n_components, *, channel_axis=0, center=True, orthogonal=True, dtype=None, backend=None):
    """A mixer that projects a field's channels onto its leading principal components.

    Parameters
    ----------
    field : array, shape (..., C, ...)
        Data (e.g. a hyperspectral cube with C bands); every point is a sample.
    n_components : int
        Output channels, ``1 <= n_components <= C``.
    channel_axis : int, optional
        Axis of the channels (default 0); the mixer gets the same.
    center : bool, optional
        Subtract the channel means (default True): ``y = W (x - mean)``,
        i.e. bias ``b = -W mean``.
    orthogonal : bool, optional
        Return an ``"orthogonal"`` (semi-orthogonal: orthonormal rows) mixer,
        so that training keeps ``W W^T = I`` (default True); False gives an
        unconstrained mixer starting at the same ``W``.
    dtype : float32 or float64, optional
        Parameter dtype (default: the field's working dtype).
    backend : str or Backend, optional
        Default: the field's.

    Returns
    -------
    ChannelMixer
        ``(n_components, C)`` mixer whose rows are the eigenvectors of the
        channel covariance with the largest eigenvalues, in decreasing order,
        each signed so that its largest-magnitude entry is positive.  The
        eigenvalues (variances along the rows) are in its attribute
        ``explained_variance``, their share of the total in
        ``explained_variance_ratio`` (NumPy float64 arrays).

    Raises
    ------
    ValueError
        If `n_components` is out of range or `channel_axis` does not fit.

    Notes
    -----
    The covariance ``S = sum_p (x_p - m)(x_p - m)^T / N`` is accumulated on the
    backend in float64 in one pass over the field (centred chunk by chunk,
    no copy of the field on CPU); its ``C x C`` eigendecomposition runs on
    the host (``numpy.linalg.eigh``) after an explicit copy.  The same
    numbers as ``sklearn.decomposition.PCA(n_components).fit`` on the points
    (up to the sign convention).  A trained mixer ``W`` can be compared with
    the PCA one by the variance it keeps, ``trace(W S W^T)`` (see
    :func:`gram_transform`), or by the principal angles between their row
    spaces (``scipy.linalg.subspace_angles``).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.mixers import pca_mixer
    >>> rng = np.random.default_rng(0)
    >>> cube = rng.standard_normal((5, 32, 32)) * np.array([3.0, 1, 1, 1, 0.1])[:, None, None]
    >>> pca = pca_mixer(cube, 2)
    >>> pca.weight.shape, pca(cube).shape
    ((2, 5), (2, 32, 32))
    >>> int(np.argmax(np.abs(pca.weight[0])))                 # the high-variance band
    0
    >>> bool(np.allclose(pca.weight @ pca.weight.T, np.eye(2), atol=1e-6))
    True
    """
    from ._channel_mixer import ChannelMixer

    be = get_backend(backend, like=field)
    chan = channel_axis
    x, axis = prepare_field(be, field, chan)
    C = x.shape[axis]
    k = check_int("n_components", n_components, minimum=1)
    if k > C:
        raise ValueError(f"n_components must be <= the field's {C} channels; got {k}")
    G, sums, count = _gram64(be, x, axis, center=center)
    S = np.asarray(be.to_numpy(G), dtype=np.float64) / count
    mean = np.asarray(be.to_numpy(sums), dtype=np.float64) / count
    evals, evecs = np.linalg.eigh(S)
    order = np.argsort(evals)[::-1][:k]
    W = evecs[:, order].T.copy()
    W *= np.where(W[np.arange(k), np.argmax(np.abs(W), axis=1)] < 0, -1.0, 1.0)[:, None]
    b = -W @ mean if center else None
    if dtype is None:
        dtype = np.float64 if str(x.dtype).endswith("float64") else np.float32
    mix = ChannelMixer(
        C, k, constraint="orthogonal" if orthogonal else None, bias=bool(center), channel_axis=chan, dtype=dtype,
        backend=be,
    )
    mix.set_weight(W, b, project=orthogonal)  # the SVD polish makes the rows orthonormal to the last bit
    total = float(np.trace(S))
    mix.explained_variance = np.maximum(evals[order], 0.0)
    mix.explained_variance_ratio = mix.explained_variance / total if total > 0 else np.zeros(k)
    return mix
