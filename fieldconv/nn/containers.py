"""Containers: :class:`Sequential` (a chain) and :class:`Residual` (a block plus a shortcut)."""

from ._layer import Layer

__all__ = ["Sequential", "Residual"]


def _check_layer(name, layer):
    if not isinstance(layer, Layer):
        raise TypeError(f"{name} must be a fieldconv.nn Layer; got {type(layer).__name__}")
    return layer


class Sequential(Layer):
    """Layers applied one after the other; backward runs them in reverse.

    Parameters
    ----------
    *layers : Layer
        The chain, first applied first.  A layer instance may appear once.

    Raises
    ------
    TypeError
        If an entry is not a :class:`~fieldconv.nn.Layer`.
    ValueError
        If a layer instance appears twice (it would keep one forward's state
        for two backward passes).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Dense, ReLU, Sequential
    >>> model = Sequential(Dense(4, 8, random_state=0), ReLU(), Dense(8, 2, random_state=1))
    >>> y = model(np.ones((3, 4), np.float32))
    >>> y.shape, len(model.parameters())
    ((3, 2), 4)
    >>> model.backward(np.ones_like(y)).shape
    (3, 4)
    >>> sorted(model.named_parameters())
    ['0.bias', '0.weight', '2.bias', '2.weight']
    """

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = [_check_layer(f"layers[{i}]", layer) for i, layer in enumerate(layers)]
        ids = [id(layer) for layer in self.layers]
        if len(set(ids)) != len(ids):
            raise ValueError("a layer instance must appear once in a Sequential; build a second layer instead")

    def __repr__(self):
        inner = ",\n  ".join(repr(layer).replace("\n", "\n  ") for layer in self.layers)
        return f"{type(self).__name__}(\n  {inner}\n)"

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(*self.layers[i])
        return self.layers[i]

    def __iter__(self):
        return iter(self.layers)

    def children(self):
        return list(self.layers)

    def config(self):
        return {}

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out


class Residual(Layer):
    """``y = block(x) + shortcut(x)`` (He et al. 2016); the shortcut is the identity by default.

    Parameters
    ----------
    block : Layer
        The residual branch.
    shortcut : Layer, optional
        Projection on the skip path (e.g. a 1x1 :class:`~fieldconv.nn.ChannelMixer`
        when the block changes the channel count); None: identity.

    Raises
    ------
    ValueError
        In forward, if the branch and the shortcut give different shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Conv1D, ReLU, Residual, Sequential
    >>> block = Residual(Sequential(Conv1D(4, 4, 3, random_state=0), ReLU()))
    >>> x = np.ones((2, 4, 16), np.float32)
    >>> y = block(x)
    >>> y.shape, block.backward(np.ones_like(y)).shape
    ((2, 4, 16), (2, 4, 16))
    """

    def __init__(self, block, shortcut=None):
        self.block = _check_layer("block", block)
        self.shortcut = None if shortcut is None else _check_layer("shortcut", shortcut)

    def __repr__(self):
        return f"Residual({self.block!r}, shortcut={self.shortcut!r})"

    def children(self):
        return [self.block] if self.shortcut is None else [self.block, self.shortcut]

    def config(self):
        return {"shortcut": self.shortcut is not None}

    def forward(self, x):
        y = self.block.forward(x)
        s = x if self.shortcut is None else self.shortcut.forward(x)
        if tuple(y.shape) != tuple(s.shape):
            raise ValueError(
                f"Residual: the block gives shape {tuple(y.shape)} but the shortcut {tuple(s.shape)}; "
                "keep length and channels (padding='same', stride 1) or give a shortcut layer that matches"
            )
        return y + s

    def backward(self, grad_out):
        g = self.block.backward(grad_out)
        return g + (grad_out if self.shortcut is None else self.shortcut.backward(grad_out))
