"""Fully connected layers: :class:`Flatten` and :class:`Dense`."""

import math

import numpy as np

from ._checks import check_batch, check_int, layer_backend
from ._init import as_generator, fan_in_uniform, he_uniform
from ._layer import Layer, ParametrisedLayer

__all__ = ["Flatten", "Dense"]


class Flatten(Layer):
    """(B, C, n) -> (B, C*n), channel-major (the features of channel 0 first).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Flatten
    >>> f = Flatten()
    >>> f(np.zeros((2, 3, 4))).shape, f.backward(np.zeros((2, 12))).shape
    ((2, 12), (2, 3, 4))
    """

    def __init__(self):
        self._shape = None

    def __repr__(self):
        return "Flatten()"

    def config(self):
        return {}

    def window_geometry(self):
        return None

    def forward(self, x):
        if x.ndim < 2:
            raise ValueError(f"x must have a batch axis and at least one more; got shape {tuple(x.shape)}")
        xp = x.__array_namespace__()
        self._shape = tuple(x.shape)
        return xp.reshape(x, (x.shape[0], math.prod(x.shape[1:])))

    def backward(self, grad_out):
        if self._shape is None:
            raise RuntimeError("Flatten.backward needs a forward first")
        want = (self._shape[0], math.prod(self._shape[1:]))
        if tuple(grad_out.shape) != want:
            raise ValueError(f"grad_out must have the output's shape {want}; got {tuple(grad_out.shape)}")
        xp = grad_out.__array_namespace__()
        return xp.reshape(grad_out, self._shape)


class Dense(ParametrisedLayer):
    """``y = x @ W^T + b``: (B, in_features) -> (B, out_features).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, optional
        Default True.
    dtype : {float32, float64}, optional
        Default float32.
    backend : str or Backend, optional
    random_state : None, int or numpy Generator, optional
        Seed of the initial weights (He-uniform, as :class:`~fieldconv.nn.Conv1D`).

    Attributes
    ----------
    weight : array (out_features, in_features)
    bias : array (out_features,) or None

    Raises
    ------
    ValueError
        Non-positive sizes; a batch with the wrong number of features.
    TypeError
        A batch of another dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Dense
    >>> d = Dense(3, 2, random_state=0)
    >>> y = d(np.ones((4, 3), np.float32))
    >>> y.shape, y.dtype
    ((4, 2), dtype('float32'))
    >>> d(np.ones((4, 5), np.float32))
    Traceback (most recent call last):
    ...
    ValueError: x must have 3 features (axis 1) for Dense; got 5
    """

    param_names = ("weight", "bias")

    def __init__(self, in_features, out_features, *, bias=True, dtype=np.float32, backend=None, random_state=None):
        self.in_features = check_int("in_features", in_features, minimum=1)
        self.out_features = check_int("out_features", out_features, minimum=1)
        self.backend, self.dtype = layer_backend(backend, dtype)
        rng = as_generator(random_state)
        self.weight = he_uniform(self.backend, rng, (self.out_features, self.in_features), self.in_features, self.dtype)
        self.bias = fan_in_uniform(self.backend, rng, (self.out_features,), self.in_features, self.dtype) if bias else None
        self.weight_grad = self.bias_grad = None
        self._x = None

    def __repr__(self):
        return f"Dense({self.in_features}, {self.out_features})"

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None,
                "dtype": self.dtype.name}

    def window_geometry(self):
        return None

    def forward(self, x):
        x = check_batch(self, x, ndim=(2,))
        if x.shape[1] != self.in_features:
            raise ValueError(f"x must have {self.in_features} features (axis 1) for Dense; got {x.shape[1]}")
        xp = self.backend.xp
        y = xp.matmul(x, self.weight.mT)
        if self.bias is not None:
            y += self.bias
        self._x = x if self.keep_for_backward else None
        return y

    def backward(self, grad_out):
        x = self._x
        if x is None:
            raise RuntimeError("Dense.backward needs a forward first (outside no_grad)")
        want = (x.shape[0], self.out_features)
        if tuple(grad_out.shape) != want:
            raise ValueError(f"grad_out must have the output's shape {want}; got {tuple(grad_out.shape)}")
        xp = self.backend.xp
        self.weight_grad = xp.matmul(grad_out.mT, x)
        if self.bias is not None:
            self.bias_grad = xp.sum(grad_out, axis=0)
        self._x = None
        return xp.matmul(grad_out, self.weight)
