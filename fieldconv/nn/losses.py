"""Losses: binary cross-entropy with logits (multi-label), cross-entropy, mean squared error.

A loss is called as ``value = loss(prediction, target)`` (a Python float, the
mean over the batch) and ``loss.backward()`` returns d(value)/d(prediction),
an array like `prediction`, to feed ``model.backward``.
"""

import math

import numpy as np

from ._checks import dtype_name

__all__ = ["Loss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss"]


def _weights(be_like, values, n, name, dtype):
    if values is None:
        return None
    w = np.asarray(values, dtype=np.float64)
    if w.ndim == 0:
        w = np.full(n, float(w))
    if w.shape != (n,):
        raise ValueError(f"{name} must have one entry per class ({n}); got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"{name} must be finite and non-negative; got {w.tolist()}")
    from ..backend import get_backend

    be = get_backend(like=be_like)
    return be.asarray(w.astype(dtype), copy=True)


class Loss:
    """Base class: ``loss(pred, target)`` -> float, then ``loss.backward()`` -> d loss / d pred.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Loss
    >>> class L1(Loss):
    ...     def forward(self, pred, target):
    ...         self._grad = np.sign(pred - target) / pred.size
    ...         return float(np.abs(pred - target).mean())
    >>> l1 = L1()
    >>> l1(np.array([1.0, -1.0]), np.zeros(2)), l1.backward()
    (1.0, array([ 0.5, -0.5]))"""

    def __call__(self, pred, target):
        return self.forward(pred, target)

    def _check(self, pred, target):
        if tuple(pred.shape) != tuple(target.shape):
            raise ValueError(
                f"target must have the prediction's shape {tuple(pred.shape)}; got {tuple(target.shape)}"
            )
        if dtype_name(target.dtype) != dtype_name(pred.dtype):
            xp = pred.__array_namespace__()
            target = xp.astype(target, pred.dtype)
        return target

    def backward(self):
        if getattr(self, "_grad", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward first")
        g, self._grad = self._grad, None
        return g


class BCEWithLogitsLoss(Loss):
    """Mean binary cross-entropy of logits `z` against 0/1 targets `y`, per class weighted.

    ``l = -w_c [p_c y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))]``, averaged over
    all entries, computed without overflow as
    ``w_c [(1 - y) z + (1 + (p_c - 1) y) (log1p(exp(-|z|)) + max(-z, 0))]``.

    Parameters
    ----------
    pos_weight : array_like (n_classes,) or float, optional
        ``p_c``: weight of the positive examples of class ``c`` (e.g.
        ``n_negative / n_positive`` for rare groups).  Default 1.
    class_weight : array_like (n_classes,) or float, optional
        ``w_c``: weight of class ``c`` in the mean.  Default 1.

    Raises
    ------
    ValueError
        Weights of the wrong length, negative or non-finite; prediction and
        target of different shapes.

    Notes
    -----
    ``dl/dz = w_c [(1 + (p_c - 1) y) sigmoid(z) - p_c y] / N`` (``N`` entries).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import BCEWithLogitsLoss
    >>> loss = BCEWithLogitsLoss()
    >>> round(loss(np.zeros((1, 2)), np.array([[0.0, 1.0]])), 6)   # log 2
    0.693147
    >>> loss.backward()
    array([[ 0.25, -0.25]])
    """

    def __init__(self, *, pos_weight=None, class_weight=None):
        self.pos_weight = pos_weight
        self.class_weight = class_weight
        self._cache = {}
        self._grad = None

    def _class_arrays(self, pred):
        key = (tuple(pred.shape[1:]), dtype_name(pred.dtype), type(pred))
        arrays = self._cache.get(key)
        if arrays is None:
            n = pred.shape[-1]
            dt = dtype_name(pred.dtype)
            arrays = self._cache[key] = (
                _weights(pred, self.pos_weight, n, "pos_weight", dt),
                _weights(pred, self.class_weight, n, "class_weight", dt),
            )
        return arrays

    def forward(self, pred, target):
        y = self._check(pred, target)
        xp = pred.__array_namespace__()
        pw, cw = self._class_arrays(pred)
        z = pred
        soft = xp.log1p(xp.exp(-xp.abs(z))) + xp.maximum(-z, 0.0)  # -log sigmoid(z)
        coef = 1.0 if pw is None else 1.0 + (pw - 1.0) * y
        l = (1.0 - y) * z + coef * soft
        if cw is not None:
            l = l * cw
        n = math.prod(l.shape)
        sig = 0.5 * (1.0 + xp.tanh(0.5 * z))
        g = coef * sig - (y if pw is None else pw * y)
        if cw is not None:
            g = g * cw
        self._grad = g / n
        return float(xp.sum(l)) / n


class CrossEntropyLoss(Loss):
    """Mean softmax cross-entropy of logits (B, K) against classes.

    Parameters
    ----------
    class_weight : array_like (K,), optional
        Weight of each class; the mean is then ``sum_b w_{y_b} l_b / sum_b w_{y_b}``
        (PyTorch's rule).

    The target is either integer class indices (B,) or class probabilities
    (B, K) (one-hot or soft labels, rows summing to 1).

    Raises
    ------
    ValueError
        Indices out of range, shapes that do not match, bad weights.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import CrossEntropyLoss
    >>> ce = CrossEntropyLoss()
    >>> round(ce(np.zeros((2, 4)), np.array([0, 3])), 6)         # log 4
    1.386294
    >>> ce.backward()[0]
    array([-0.375,  0.125,  0.125,  0.125])
    """

    def __init__(self, *, class_weight=None):
        self.class_weight = class_weight
        self._grad = None

    def forward(self, pred, target):
        if pred.ndim != 2:
            raise ValueError(f"pred must be 2-D (batch, classes); got shape {tuple(pred.shape)}")
        xp = pred.__array_namespace__()
        b, k = pred.shape
        if target.ndim == 1:
            if target.shape[0] != b:
                raise ValueError(f"target must have {b} class indices; got shape {tuple(target.shape)}")
            if xp.isdtype(target.dtype, "real floating"):
                raise TypeError("class-index targets must be integers; give probabilities as a (batch, classes) array")
            if bool(xp.any(target < 0)) or bool(xp.any(target >= k)):
                raise ValueError(f"target class indices must lie in [0, {k}); got values outside")
            from ..backend import get_backend

            be = get_backend(like=pred)
            classes = xp.reshape(be.arange(k, dtype="int64"), (1, k))
            t = xp.astype(xp.reshape(xp.astype(target, xp.int64), (b, 1)) == classes, pred.dtype)
        else:
            t = self._check(pred, target)
        m = xp.max(pred, axis=1, keepdims=True)
        e = xp.exp(pred - m)
        s = xp.sum(e, axis=1, keepdims=True)
        logp = pred - m - xp.log(s)
        p = e / s
        if self.class_weight is not None:
            cw = _weights(pred, self.class_weight, k, "class_weight", dtype_name(pred.dtype))
            wrow = xp.sum(t * cw, axis=1, keepdims=True)  # weight of each sample's class
            total = float(xp.sum(wrow))
            self._grad = wrow * (p - t) / total
            return float(-xp.sum(wrow * xp.sum(t * logp, axis=1, keepdims=True))) / total
        self._grad = (p - t) / b
        return float(-xp.sum(t * logp)) / b


class MSELoss(Loss):
    """Mean squared error ``mean((pred - target)^2)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import MSELoss
    >>> mse = MSELoss()
    >>> mse(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    5.0
    >>> mse.backward()
    array([1., 3.])
    """

    def __init__(self):
        self._grad = None

    def forward(self, pred, target):
        t = self._check(pred, target)
        xp = pred.__array_namespace__()
        d = pred - t
        n = math.prod(pred.shape)
        self._grad = d * (2.0 / n)
        return float(xp.sum(d * d)) / n
