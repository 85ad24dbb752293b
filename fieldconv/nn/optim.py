"""Optimisers that update the raw parameter arrays of a layer in place.

``opt = Adam(model.parameters(), lr=1e-3)`` then, after each backward,
``opt.step(model.grads())``.  The update is written with the arrays' own
namespace (NumPy, CuPy, any array-API library): no host copies.
"""

import math

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


def _check_positive(name, value, *, allow_zero=False):
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        rule = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {rule} number; got {value!r}")
    return value


class Optimizer:
    """Base class: holds the parameter list and the learning rate.

    Parameters
    ----------
    params : list of arrays
        The raw parameter arrays, as returned by ``layer.parameters()``.
    lr : float
        Learning rate (positive).

    Raises
    ------
    ValueError
        If `lr` is not a finite positive number.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Optimizer
    >>> class SignSGD(Optimizer):
    ...     def _update(self, i, p, g):
    ...         p -= self.lr * np.sign(g)
    >>> p = np.array([1.0, 2.0])
    >>> SignSGD([p], lr=0.5).step([np.array([3.0, -0.1])])
    >>> p
    array([0.5, 2.5])
    """

    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = _check_positive("lr", lr)
        self.iterations = 0

    def step(self, grads):
        """Apply one update given the gradients (same order as the parameters)."""
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"grads must have one array per parameter ({len(self.params)}); got {len(grads)}")
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if tuple(g.shape) != tuple(p.shape):
                raise ValueError(f"grads[{i}] must have the parameter's shape {tuple(p.shape)}; got {tuple(g.shape)}")
        self.iterations += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            self._update(i, p, g)

    def _update(self, i, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with (optionally Nesterov) momentum.

    ``v = momentum * v + g``; ``p -= lr * v`` (Nesterov: ``p -= lr * (g + momentum * v)``),
    with ``g`` including ``weight_decay * p`` (L2).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0, -2.0])
    >>> opt = SGD([p], lr=0.1)
    >>> opt.step([2 * p])          # gradient of |p|^2
    >>> p
    array([ 0.8, -1.6])
    """

    def __init__(self, params, lr=0.01, *, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _check_positive("momentum", momentum, allow_zero=True)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
        self.nesterov = bool(nesterov)
        self._v = [None] * len(self.params)

    def _update(self, i, p, g):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            v = self._v[i]
            v = g * 1 if v is None else self.momentum * v + g  # g * 1: a copy in any namespace
            self._v[i] = v
            g = g + self.momentum * v if self.nesterov else v
        p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction; ``weight_decay`` is L2 added to the gradient.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0])
    >>> opt = Adam([p], lr=0.1)
    >>> opt.step([np.array([5.0])])   # first step moves by lr whatever the gradient's scale
    >>> p
    array([0.9])
    """

    decoupled = False

    def __init__(self, params, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        b1, b2 = (float(b) for b in betas)
        for name, b in (("betas[0]", b1), ("betas[1]", b2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"{name} must be in [0, 1); got {b!r}")
        self.betas = (b1, b2)
        self.eps = _check_positive("eps", eps)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
        self._m = [None] * len(self.params)
        self._v = [None] * len(self.params)

    def _update(self, i, p, g):
        b1, b2 = self.betas
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * p
        if self._m[i] is None:
            self._m[i] = g * 0
            self._v[i] = g * 0
        m, v = self._m[i], self._v[i]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        t = self.iterations
        step = self.lr / (1 - b1**t)
        denom_scale = 1.0 / math.sqrt(1 - b2**t)
        if self.weight_decay and self.decoupled:
            p -= (self.lr * self.weight_decay) * p
        p -= step * m / (v.__array_namespace__().sqrt(v) * denom_scale + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): ``p -= lr * wd * p`` each step.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0])
    >>> AdamW([p], lr=0.1, weight_decay=0.5).step([np.array([0.0])])
    >>> p
    array([0.95])
    """

    decoupled = True

    def __init__(self, params, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)
