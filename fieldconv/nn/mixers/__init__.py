"""Physics-constrained 1x1 channel mixers.

A 1x1 convolution applies one small matrix ``W`` to the channel vector at
every point of a field.  :class:`ChannelMixer` is that layer, with optional
constraints built into its parameterisation.

Examples
--------
>>> import numpy as np
>>> from fieldconv.nn.mixers import ChannelMixer
>>> ChannelMixer(4, 4, rng=0)(np.zeros((4, 5))).shape
(4, 5)
"""

from ._channel_mixer import ChannelMixer

__all__ = ["ChannelMixer"]
