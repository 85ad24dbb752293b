"""Structured pruning: remove whole convolution filters by their l1 norm (Li et al. 2017).

A filter (one output channel of a :class:`~fieldconv.nn.Conv1D`) is ranked
by the l1 norm of its *effective* weights: the filter times
``|gamma| / sqrt(running_var + eps)`` of the batch norm that follows it, if
any (batch norm rescales each channel, so the raw filter norm alone says
little).  The lowest-ranked `fraction` of the filters of every prunable
convolution is removed together with everything that belongs to those
channels: the filter and its bias, the channel's batch-norm parameters and
statistics, and the matching input channels of the next convolution or the
matching columns of the dense layer after the region pooling and flatten.
The network gets smaller and faster; its accuracy is measured before and
after by the caller (usually followed by a short fine-tuning).

A convolution is prunable when it has ``groups == 1`` and its channels flow
through element-wise layers, batch norm and pooling only, into another
``groups == 1`` convolution or into RegionPool/GlobalPool, Flatten and a
Dense layer, at the top level of a :class:`~fieldconv.nn.Sequential`.
"""

import copy
from dataclasses import dataclass

import numpy as np

from ._checks import check_int, check_real
from .containers import Residual, Sequential
from .conv import Conv1D
from .dense import Dense, Flatten
from .normalization import BatchNorm1D
from .pooling import GlobalPool, RegionPool, _WindowPool

__all__ = ["prune_filters", "PruneReport", "count_parameters", "count_flops"]

_PASS = ("ReLU", "LeakyReLU", "GELU", "Sigmoid", "Dropout", "MaxPool1D", "AvgPool1D")


@dataclass
class PruneReport:
    """What :func:`prune_filters` removed.

    Attributes
    ----------
    channels_before, channels_after : dict
        Output channels of each pruned convolution (keyed by its index).
    params_before, params_after : int
        Trainable parameters.
    flops_before, flops_after : int
        Floating-point operations of one forward pass per spectrum
        (convolutions and dense layers, 2 per multiply-add).

    Examples
    --------
    See :func:`prune_filters`.
    """

    channels_before: dict
    channels_after: dict
    params_before: int
    params_after: int
    flops_before: int
    flops_after: int

    @property
    def params_saved(self):
        """Fraction of the parameters removed."""
        return 1.0 - self.params_after / self.params_before

    @property
    def flops_saved(self):
        """Fraction of the forward FLOPs removed."""
        return 1.0 - self.flops_after / self.flops_before

    def __str__(self):
        return (f"pruned {sum(self.channels_before.values()) - sum(self.channels_after.values())} filters: "
                f"parameters {self.params_before} -> {self.params_after} (-{100 * self.params_saved:.1f} %), "
                f"FLOPs per spectrum {self.flops_before} -> {self.flops_after} (-{100 * self.flops_saved:.1f} %)")


def count_parameters(model):
    """Number of trainable values of `model`.

    Examples
    --------
    >>> from fieldconv.nn import Conv1D, count_parameters
    >>> count_parameters(Conv1D(2, 4, 3))
    28
    """
    return int(sum(int(np.prod(tuple(p.shape))) for p in model.parameters()))


def count_flops(model, length):
    """FLOPs of one forward pass per spectrum of `length` points (convolutions and dense layers).

    A convolution costs ``2 * O * (C / groups) * k * L_out``, a dense layer
    ``2 * in * out`` (multiply and add counted apart; biases, activations,
    normalisation and pooling are left out: they are O(1) per value).

    Examples
    --------
    >>> from fieldconv.nn import Conv1D, count_flops
    >>> count_flops(Conv1D(1, 4, 5), 100)
    4000
    """
    length = check_int("length", length, minimum=1)
    total, _ = _flops(model, length)
    return total


def _flops(layer, length):
    if isinstance(layer, Sequential):
        total = 0
        for child in layer:
            f, length = _flops(child, length)
            total += f
        return total, length
    if isinstance(layer, Residual):
        f, out = _flops(layer.block, length)
        if layer.shortcut is not None:
            f += _flops(layer.shortcut, length)[0]
        return f, out
    if isinstance(layer, Conv1D):
        lo = layer.output_length(length)
        return 2 * layer.out_channels * (layer.in_channels // layer.groups) * layer.kernel_size * lo, lo
    if isinstance(layer, _WindowPool):
        return 0, layer.output_length(length)
    if isinstance(layer, (RegionPool, GlobalPool)):
        return 0, getattr(layer, "n_regions", 1)
    if isinstance(layer, Dense):
        return 2 * layer.in_features * layer.out_features, length
    sub = getattr(layer, "layers", None)
    if sub is not None:  # composite layers (depthwise separable)
        return _flops(Sequential(*sub), length)
    return 0, length


def _consumer(layers, i):
    """(kind, index, bn_index, flatten_n_bins) of what receives conv i's channels, or None if not prunable."""
    bn = None
    n_bins = None
    for j in range(i + 1, len(layers)):
        layer = layers[j]
        name = type(layer).__name__
        if isinstance(layer, BatchNorm1D):
            if bn is not None:
                return None
            bn = j
        elif name in _PASS:
            continue
        elif isinstance(layer, Conv1D):
            return ("conv", j, bn, None) if layer.groups == 1 else None
        elif isinstance(layer, (RegionPool, GlobalPool)):
            n_bins = getattr(layer, "n_regions", 1)
        elif isinstance(layer, Flatten):
            if n_bins is None:
                return None
            for m in range(j + 1, len(layers)):
                nxt = layers[m]
                if isinstance(nxt, Dense):
                    return ("dense", m, bn, n_bins)
                if type(nxt).__name__ not in ("Dropout",):
                    return None
            return None
        else:
            return None
    return None


def _take(be, a, idx, axis):
    xp = be.xp
    return xp.take(a, be.asarray(np.asarray(idx, dtype=np.int64), copy=True), axis=axis)


def prune_filters(model, fraction, *, length=None):
    """A copy of `model` without the lowest-l1 `fraction` of the filters of each prunable convolution.

    Parameters
    ----------
    model : Sequential
    fraction : float
        Share of each prunable convolution's filters to remove, in [0, 1)
        (at least one filter always stays).
    length : int, optional
        Input length for the FLOP counts (default ``len(model.grid)``).

    Returns
    -------
    (Sequential, PruneReport)
        The pruned copy (the input model is untouched) and the report.

    Raises
    ------
    ValueError
        `fraction` outside [0, 1); no length for the FLOP count; a model
        that is not a Sequential.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import prune_filters, spectral_cnn
    >>> net = spectral_cnn(np.arange(400.0, 4000.0, 1.0), 4, random_state=0)
    >>> small, report = prune_filters(net, 0.5)
    >>> report.flops_saved > 0.5, small(np.zeros((1, 1, 3600), np.float32)).shape
    (True, (1, 4))
    """
    if not isinstance(model, Sequential):
        raise ValueError(f"prune_filters needs a Sequential model; got {type(model).__name__}")
    fraction = check_real("fraction", fraction, minimum=0.0, maximum=1.0, strict_max=True)
    if length is None:
        grid = getattr(model, "grid", None)
        if grid is None:
            raise ValueError("give length= (input points) for the FLOP count: the model has no grid")
        length = len(grid)
    new = copy.deepcopy(model)
    layers = new.layers
    before_p, before_f = count_parameters(model), count_flops(model, length)
    ch_before, ch_after = {}, {}
    for i, layer in enumerate(layers):
        if not isinstance(layer, Conv1D) or layer.groups != 1:
            continue
        cons = _consumer(layers, i)
        if cons is None:
            continue
        kind, j, bn_i, n_bins = cons
        be = layer.backend
        w = np.abs(be.to_numpy(layer.weight).astype(np.float64)).sum(axis=(1, 2))
        if bn_i is not None:
            bn = layers[bn_i]
            gamma = np.ones_like(w) if bn.weight is None else np.abs(be.to_numpy(bn.weight).astype(np.float64))
            w = w * gamma / np.sqrt(be.to_numpy(bn.running_var).astype(np.float64) + bn.eps)
        n = w.size
        n_keep = max(1, n - int(round(fraction * n)))
        keep = np.sort(np.argsort(-w, kind="stable")[:n_keep])
        ch_before[i], ch_after[i] = n, n_keep
        if n_keep == n:
            continue
        layer.weight = _take(be, layer.weight, keep, 0)
        if layer.bias is not None:
            layer.bias = _take(be, layer.bias, keep, 0)
        layer.weight_grad = layer.bias_grad = None
        layer.out_channels = n_keep
        if bn_i is not None:
            bn = layers[bn_i]
            for name in ("weight", "bias", "running_mean", "running_var"):
                if getattr(bn, name) is not None:
                    setattr(bn, name, _take(be, getattr(bn, name), keep, 0))
            bn.weight_grad = bn.bias_grad = None
            bn.num_features = n_keep
        nxt = layers[j]
        if kind == "conv":
            nxt.weight = _take(be, nxt.weight, keep, 1)
            nxt.weight_grad = None
            nxt.in_channels = n_keep
        else:
            cols = (keep[:, None] * n_bins + np.arange(n_bins)[None, :]).ravel()  # channel-major flatten
            nxt.weight = _take(be, nxt.weight, cols, 1)
            nxt.weight_grad = None
            nxt.in_features = cols.size
    report = PruneReport(ch_before, ch_after, before_p, count_parameters(new), before_f, count_flops(new, length))
    return new, report
