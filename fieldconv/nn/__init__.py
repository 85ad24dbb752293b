"""Differentiable layers on the fieldconv backends: 1D spectral CNNs and channel mixers.

Every layer follows one protocol (:class:`Layer`): ``forward``, ``backward``,
``parameters``, ``grads``, ``train``/``eval``.

Examples
--------
>>> from fieldconv.nn import Layer
>>> Layer().training
True
"""

from ._layer import Layer
from .mixers import ChannelMixer

__all__ = ["Layer", "ChannelMixer"]
