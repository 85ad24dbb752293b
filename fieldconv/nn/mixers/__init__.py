"""Physics-constrained 1x1 channel mixers.

A 1x1 convolution applies one small matrix ``W`` to the channel vector at
every point of a field.  :class:`ChannelMixer` is that layer, with
constraints built into its parameterisation (conservation laws, column
stochastic, non-negative, orthogonal, general linear); the functions here
work with such mixers and with the channel statistics they transform.

Public names
------------
:class:`ChannelMixer`
    The layer (also :class:`fieldconv.nn.ChannelMixer`).
:func:`collapse_mixers`
    One mixer equal to a chain of mixers, keeping their constraint.
:func:`project_weight`
    The nearest matrix (Frobenius) that satisfies a constraint.
:func:`channel_gram`, :func:`gram_transform`
    ``G(x) = sum_p x_p x_p^T`` and ``G(W x) = W G(x) W^T``.
:func:`conserved_totals`
    ``C x`` summed over a field (or per point).
:func:`pca_mixer`
    A channel-reducing mixer initialised by PCA.

Examples
--------
>>> import numpy as np
>>> from fieldconv.nn.mixers import ChannelMixer, conserved_totals
>>> mix = ChannelMixer(4, 4, constraint="stochastic", dtype=np.float64, rng=0)
>>> x = np.random.default_rng(0).random((4, 8, 8))
>>> y = mix(x)
>>> bool((y >= 0).all()), bool(np.isclose(y.sum(), x.sum(), rtol=1e-14))
(True, True)
"""

from ._channel_mixer import ChannelMixer
from ._compose import collapse_mixers
from ._pca import pca_mixer
from ._projection import project_weight
from ._statistics import channel_gram, conserved_totals, gram_transform

__all__ = [
    "ChannelMixer",
    "collapse_mixers",
    "project_weight",
    "channel_gram",
    "gram_transform",
    "conserved_totals",
    "pca_mixer",
]
