"""Default architecture of a spectral classifier, derived from the physics of the data.

:func:`spectral_cnn` turns a wavenumber grid, the instrument resolution and
the widths of the bands of interest into a network:

* **first kernel**: 1.25 times the narrowest band as the data show it,
  ``w = sqrt(narrowest^2 + resolution^2)`` (band and instrument line
  shape widths combine roughly in quadrature);
* **first stride**: ``floor(resolution / (2 |step|))`` (at least 1): a
  line shape of FWHM ``resolution`` is sampled well at half its width, so
  finer steps carry no new information after the first kernel;
* **blocks**: convolution, batch norm, ReLU and max pooling by 2, with the
  channel counts of `channels`, the kernel size of `kernel_size`; blocks
  are added (repeating the last channel count) until the receptive field
  covers `broadest_band` (>= 300 cm^-1: hydrogen-bonded O-H);
* **head**: position-preserving by default (``"region"``: pooling over
  bins of `region_width` cm^-1, flatten, dense layers), so a band at 2250
  cm^-1 and the same band at 2150 cm^-1 give different features;
  ``"global"`` (global pooling: the position-blind negative control) and
  ``"flatten"`` (every position, no pooling) for comparison.
"""

import math
import warnings

import numpy as np

from ._checks import check_choice, check_int, check_probability, check_real, strip_wavenumber
from .._grid import as_grid
from ._init import as_generator
from .activations import ReLU
from .containers import Sequential
from .conv import Conv1D
from .dense import Dense, Flatten
from .dropout import Dropout
from .normalization import BatchNorm1D
from .pooling import GlobalPool, MaxPool1D, RegionPool
from .spectral import kernel_size_for, receptive_field

__all__ = ["spectral_cnn", "HEADS"]


def _odd_at_most(k, n):
    """The odd kernel size nearest `k` (ties up) that fits in `n` points (at least 1)."""
    k = 2 * int(math.floor((k - 1) / 2 + 0.5)) + 1
    top = n if n % 2 else n - 1
    return max(1, min(k, top))

#: Heads of :func:`spectral_cnn`.
HEADS = ("region", "global", "flatten")


def spectral_cnn(grid, n_outputs, *, resolution=4.0, narrowest_band=8.0, broadest_band=300.0,
                 channels=(16, 32, 64, 64), kernel_size=7, head="region", region_width=50.0, reduce="max",
                 hidden=128, dropout=0.3, batch_norm=True, dtype=np.float32, backend=None, random_state=None):
    """A 1D CNN for spectra on `grid` with `n_outputs` logits (see the module notes for the rules).

    Parameters
    ----------
    grid : array_like, Quantity or SpectralAxis
        Wavenumber axis of the input spectra (cm^-1, uniform).
    n_outputs : int
        Number of outputs (functional groups).
    resolution : float or Quantity, optional
        Instrument resolution of the data, FWHM in cm^-1 (default 4).
    narrowest_band, broadest_band : float or Quantity, optional
        Intrinsic FWHM (cm^-1) of the narrowest band to resolve (default 8:
        C#N and C#C stretches) and the width the receptive field must cover
        (default 300: hydrogen-bonded O-H).
    channels : sequence of int, optional
        Output channels of the convolution blocks (default 16, 32, 64, 64).
    kernel_size : int, optional
        Kernel size of the blocks after the first (default 7).
    head : {"region", "global", "flatten"}, optional
        Default "region".
    region_width : float or Quantity, optional
        Width of the region bins of the "region" head in cm^-1 (default 50).
    reduce : {"max", "mean"}, optional
        Reduction of the region (or global) pooling (default "max": is
        the feature present anywhere in the region).
    hidden : int, optional
        Units of the hidden dense layer (default 128; 0: none).
    dropout : float, optional
        Dropout before the dense layers (default 0.3).
    batch_norm : bool, optional
        Batch norm after every convolution (default True).
    dtype, backend, random_state
        As for the layers.

    Returns
    -------
    Sequential
        With attributes ``grid`` (the input grid) and ``resolution``.

    Raises
    ------
    ValueError
        Bad sizes or widths.

    Warns
    -----
    UserWarning
        On a grid too short for a receptive field of `broadest_band`
        (kernels and blocks are then cut to what the grid allows).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import receptive_field, spectral_cnn
    >>> nu = np.arange(400.0, 4000.0, 1.0)
    >>> net = spectral_cnn(nu, 16, random_state=0)
    >>> net[0]
    Conv1D(1, 16, kernel_size=11, stride=2, padding='same', dilation=1, groups=1)
    >>> rf = receptive_field(net)
    >>> rf.width >= 300.0
    True
    >>> net(np.zeros((2, 1, 3600), np.float32)).shape
    (2, 16)
    """
    g = as_grid(grid)
    n_outputs = check_int("n_outputs", n_outputs, minimum=1)
    resolution = check_real("resolution", strip_wavenumber(resolution, "resolution"), minimum=0.0, strict_min=True)
    narrowest = check_real("narrowest_band", strip_wavenumber(narrowest_band, "narrowest_band"), minimum=0.0,
                           strict_min=True)
    broadest = check_real("broadest_band", strip_wavenumber(broadest_band, "broadest_band"), minimum=0.0,
                          strict_min=True)
    region_width = check_real("region_width", strip_wavenumber(region_width, "region_width"), minimum=0.0,
                              strict_min=True)
    channels = [check_int(f"channels[{i}]", c, minimum=1) for i, c in enumerate(channels)]
    if not channels:
        raise ValueError("channels must hold at least one channel count")
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    check_choice("head", head, HEADS)
    check_choice("reduce", reduce, ("max", "mean"))
    hidden = check_int("hidden", hidden, minimum=0)
    dropout = check_probability("dropout", dropout)
    rng = as_generator(random_state)
    seed = lambda: int(rng.integers(2**31))  # noqa: E731 - one child seed per layer
    kw = {"dtype": dtype, "backend": backend}

    first_width = 1.25 * math.hypot(narrowest, resolution)
    n = len(g)
    try:
        k1 = kernel_size_for(first_width, g)
    except ValueError:  # wider than a (very short) grid: the whole grid
        k1 = _odd_at_most(n, n)
    stride1 = max(1, min(int(math.floor(resolution / (2.0 * g.spacing))), n // 2 or 1))
    layers = []

    def block(c_in, c_out, k, stride, pool):
        layers.append(Conv1D(c_in, c_out, k, stride=stride, bias=not batch_norm, random_state=seed(), **kw))
        if batch_norm:
            layers.append(BatchNorm1D(c_out, **kw))
        layers.append(ReLU())
        if pool:
            layers.append(MaxPool1D(2))

    length = math.ceil(n / stride1)
    block(1, channels[0], k1, stride1, length >= 2)
    length //= 2 if length >= 2 else 1
    c = channels[0]
    i = 1
    while i < len(channels) or receptive_field(Sequential(*layers), g).width < broadest:
        if length < 2:  # nothing left to pool: the receptive field stays short of broadest_band
            warnings.warn(
                f"the grid ({n} points) is too short for a receptive field of {broadest:g} cm^-1; the network "
                f"sees {receptive_field(Sequential(*layers), g).width:g} cm^-1",
                stacklevel=2,
            )
            break
        c_out = channels[min(i, len(channels) - 1)]
        block(c, c_out, _odd_at_most(kernel_size, length), 1, True)
        c, length, i = c_out, length // 2, i + 1
    if head == "region":
        span = abs(g.values[-1] - g.values[0]) + g.spacing
        n_bins = max(1, min(length, int(round(span / region_width))))
        layers += [RegionPool(n_bins, reduce=reduce), Flatten()]
        features = c * n_bins
    elif head == "global":
        layers += [GlobalPool(reduce), Flatten()]
        features = c
    else:
        layers += [Flatten()]
        features = c * length
    if dropout:
        layers.append(Dropout(dropout, random_state=seed()))
    if hidden:
        layers += [Dense(features, hidden, random_state=seed(), **kw), ReLU()]
        features = hidden
    layers.append(Dense(features, n_outputs, random_state=seed(), **kw))
    net = Sequential(*layers)
    net.grid = g
    net.resolution = resolution
    return net
