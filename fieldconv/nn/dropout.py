"""Inverted dropout: :class:`Dropout` (Srivastava et al. 2014)."""

from ..backend import get_backend
from ._checks import check_probability, dtype_name
from ._init import as_generator, uniform
from ._layer import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Zero each value with probability `p` in training mode, scaling the rest by ``1/(1-p)``.

    Inference mode is the identity; the expectation of the output is the
    input in both modes.

    Parameters
    ----------
    p : float, optional
        Drop probability in [0, 1) (default 0.5).
    random_state : None, int or numpy Generator, optional
        Seed of the masks (one draw per forward).
    backend : str or Backend, optional

    Raises
    ------
    ValueError
        `p` outside [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Dropout
    >>> drop = Dropout(0.5, random_state=0)
    >>> y = drop(np.ones((1, 8), np.float32))
    >>> sorted(set(y.ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval()(np.ones(3, np.float32))
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, p=0.5, *, random_state=None, backend=None):
        self.p = check_probability("p", p)
        self._rng = as_generator(random_state)
        self._backend = backend
        self._mask = None
        self._shape = None

    def __repr__(self):
        return f"Dropout({self.p})"

    def config(self):
        return {"p": self.p}

    def forward(self, x):
        self._shape = tuple(x.shape)
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        be = get_backend(self._backend, like=x)
        x = be.asarray(x)
        xp = be.xp
        keep = uniform(be, self._rng, tuple(x.shape), dtype_name(x.dtype)) >= self.p
        mask = xp.where(keep, 1.0 / (1.0 - self.p), 0.0)
        mask = xp.astype(mask, x.dtype)
        self._mask = mask
        return x * mask

    def backward(self, grad_out):
        if self._shape is None:
            raise RuntimeError("Dropout.backward needs a forward first")
        if tuple(grad_out.shape) != self._shape:
            raise ValueError(f"grad_out must have the output's shape {self._shape}; got {tuple(grad_out.shape)}")
        return grad_out if self._mask is None else grad_out * self._mask
