"""Element-wise activations: :class:`ReLU`, :class:`LeakyReLU`, :class:`GELU`, :class:`Sigmoid`.

Each keeps what its derivative needs (the output for ReLU, LeakyReLU and
Sigmoid, the input for GELU) and works on any array of any backend and
shape; the dtype is kept.
"""

import math

from ._checks import check_real, host_contiguous
from ._layer import Layer

__all__ = ["ReLU", "LeakyReLU", "GELU", "Sigmoid"]

#: Arrays from this many values on take the compiled host kernels (smaller: NumPy's call is cheaper).
_HOST_MIN = 1 << 14


class _Activation(Layer):
    def __init__(self):
        self._saved = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def config(self):
        return {}

    def _keep(self, a):
        self._saved = a if self.keep_for_backward else None

    def _take(self, grad_out):
        a = self._saved
        if a is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward first (outside no_grad)")
        if tuple(grad_out.shape) != tuple(a.shape):
            raise ValueError(f"grad_out must have the output's shape {tuple(a.shape)}; got {tuple(grad_out.shape)}")
        self._saved = None
        return a


class ReLU(_Activation):
    """``max(x, 0)``; the derivative at 0 is taken as 0 (as PyTorch).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import ReLU
    >>> r = ReLU()
    >>> r(np.array([-1.0, 0.0, 2.0], np.float32))
    array([0., 0., 2.], dtype=float32)
    >>> r.backward(np.ones(3, np.float32))
    array([0., 0., 1.], dtype=float32)
    """

    def forward(self, x):
        if host_contiguous(x) and x.size >= _HOST_MIN:
            from ._host_kernels import relu_forward

            y = relu_forward(x)
        else:
            xp = x.__array_namespace__()
            y = xp.maximum(x, 0.0)
        self._keep(y)
        return y

    def backward(self, grad_out):
        y = self._take(grad_out)
        if host_contiguous(y, grad_out) and y.size >= _HOST_MIN and grad_out.dtype == y.dtype:
            from ._host_kernels import relu_backward

            return relu_backward(y, grad_out)
        xp = y.__array_namespace__()
        return grad_out * xp.astype(y > 0.0, grad_out.dtype)


class LeakyReLU(_Activation):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Parameters
    ----------
    negative_slope : float, optional
        Slope for negative inputs, in [0, 1) (default 0.01).

    Raises
    ------
    ValueError
        A slope outside [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import LeakyReLU
    >>> LeakyReLU(0.1)(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_real("negative_slope", negative_slope, minimum=0.0, maximum=1.0, strict_max=True)

    def __repr__(self):
        return f"LeakyReLU({self.negative_slope})"

    def config(self):
        return {"negative_slope": self.negative_slope}

    def forward(self, x):
        xp = x.__array_namespace__()
        y = xp.maximum(x, x * self.negative_slope)  # slope in [0, 1)
        self._keep(y)
        return y

    def backward(self, grad_out):
        y = self._take(grad_out)
        xp = y.__array_namespace__()
        a = self.negative_slope
        return grad_out * (a + (1.0 - a) * xp.astype(y > 0.0, grad_out.dtype))


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_A = 0.044715


class GELU(_Activation):
    """Gaussian error linear unit, tanh form: ``x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    The tanh form (Hendrycks & Gimpel 2016; PyTorch's ``approximate="tanh"``)
    stays within 3e-4 of ``x * Phi(x)`` and uses only array-API functions
    (there is no ``erf`` in the array API).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import GELU
    >>> np.round(GELU()(np.array([-1.0, 0.0, 1.0])), 4)
    array([-0.1588,  0.    ,  0.8412])
    """

    def forward(self, x):
        xp = x.__array_namespace__()
        self._keep(x)
        return 0.5 * x * (1.0 + xp.tanh(_GELU_C * (x + _GELU_A * x * x * x)))

    def backward(self, grad_out):
        x = self._take(grad_out)
        xp = x.__array_namespace__()
        x2 = x * x
        t = xp.tanh(_GELU_C * (x + _GELU_A * x2 * x))
        dt = _GELU_C * (1.0 + 3.0 * _GELU_A * x2) * (1.0 - t * t)
        return grad_out * (0.5 * (1.0 + t) + 0.5 * x * dt)


class Sigmoid(_Activation):
    """Logistic function ``1 / (1 + exp(-x))``, computed as ``(1 + tanh(x/2)) / 2`` (no overflow).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Sigmoid
    >>> s = Sigmoid()
    >>> s(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    >>> s.backward(np.ones(3))
    array([0.  , 0.25, 0.  ])
    """

    def forward(self, x):
        xp = x.__array_namespace__()
        y = 0.5 * (1.0 + xp.tanh(0.5 * x))
        self._keep(y)
        return y

    def backward(self, grad_out):
        y = self._take(grad_out)
        return grad_out * y * (1.0 - y)
