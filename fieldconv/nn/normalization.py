"""Batch normalisation over channels: :class:`BatchNorm1D` (Ioffe & Szegedy 2015)."""

import math

import numpy as np

from ._checks import check_batch, check_int, check_real, host_contiguous, layer_backend
from ._layer import ParametrisedLayer

__all__ = ["BatchNorm1D"]


class BatchNorm1D(ParametrisedLayer):
    """Normalise each channel over batch (and length): (B, C) or (B, C, L).

    Training mode: ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the
    batch's mean and biased variance per channel, and running statistics
    ``r <- (1 - momentum) r + momentum * s`` (the running variance takes the
    unbiased batch variance, as in PyTorch).  Inference mode uses the running
    statistics.

    Parameters
    ----------
    num_features : int
        Channels C.
    eps : float, optional
        Added to the variance (default 1e-5).
    momentum : float, optional
        Weight of the newest batch in the running statistics, in (0, 1]
        (default 0.1).
    affine : bool, optional
        Learn ``gamma`` (init 1) and ``beta`` (init 0) (default True).
    dtype : {float32, float64}, optional
    backend : str or Backend, optional

    Attributes
    ----------
    weight, bias : arrays (C,) or None
        ``gamma`` and ``beta``.
    running_mean, running_var : arrays (C,)
        Buffers (saved with the model, not trained).

    Raises
    ------
    ValueError
        Bad sizes; a batch of one sample per channel in training mode
        (no variance to estimate); a wrong channel count.

    Notes
    -----
    The input gradient in training mode, with ``N`` values per channel and
    ``xhat`` the normalised input, is
    ``dx = gamma / sqrt(var + eps) * (g - mean(g) - xhat * mean(g * xhat))``.
    Statistics are accumulated in the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import BatchNorm1D
    >>> bn = BatchNorm1D(2)
    >>> x = np.array([[[1.0, 3.0], [0.0, 0.0]], [[5.0, 7.0], [2.0, 2.0]]], np.float32)
    >>> y = bn(x)
    >>> np.round(y[:, 0], 3)
    array([[-1.342, -0.447],
           [ 0.447,  1.342]], dtype=float32)
    >>> bn.running_mean
    array([0.4, 0.1], dtype=float32)
    """

    param_names = ("weight", "bias")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, num_features, *, eps=1e-5, momentum=0.1, affine=True, dtype=np.float32, backend=None):
        self.num_features = check_int("num_features", num_features, minimum=1)
        self.eps = check_real("eps", eps, minimum=0.0, strict_min=True)
        self.momentum = check_real("momentum", momentum, minimum=0.0, maximum=1.0, strict_min=True)
        self.backend, self.dtype = layer_backend(backend, dtype)
        be, dt, c = self.backend, self.dtype, self.num_features
        self.weight = be.zeros((c,), dt) + 1.0 if affine else None
        self.bias = be.zeros((c,), dt) if affine else None
        self.running_mean = be.zeros((c,), dt)
        self.running_var = be.zeros((c,), dt) + 1.0
        self.weight_grad = self.bias_grad = None
        self._saved = None

    def __repr__(self):
        return f"BatchNorm1D({self.num_features})"

    def config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.weight is not None, "dtype": self.dtype.name}

    def _bcast_shape(self, x):
        return (1, self.num_features) + (1,) * (x.ndim - 2)

    def forward(self, x):
        x = check_batch(self, x, ndim=(2, 3), channels=self.num_features)
        xp = self.backend.xp
        axes = (0,) if x.ndim == 2 else (0, 2)
        shp = self._bcast_shape(x)
        n = x.shape[0] * (1 if x.ndim == 2 else x.shape[2])
        if self.training and n < 2:
            raise ValueError(
                f"BatchNorm1D needs more than one value per channel in training mode; got input shape {tuple(x.shape)}"
            )
        if x.ndim == 3 and self.backend.on_host and host_contiguous(x):
            return self._forward_host(x, n)
        if self.training:
            mean = xp.mean(x, axis=axes)
            xc = x - xp.reshape(mean, shp)
            var = xp.mean(xc * xc, axis=axes)
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mean
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * var
        else:
            xc = x - xp.reshape(self.running_mean, shp)
            var = self.running_var
        inv = 1.0 / xp.sqrt(var + self.eps)
        xhat = xc * xp.reshape(inv, shp)
        y = xhat if self.weight is None else xhat * xp.reshape(self.weight, shp) + xp.reshape(self.bias, shp)
        self._saved = (xhat, inv, axes, self.training) if self.keep_for_backward else None
        return y

    def _forward_host(self, x, n):
        """Host path: one compiled pass for the statistics (float64 sums), one for the affine map."""
        import numpy as np

        from ._host_kernels import channel_affine, channel_moments

        dt = self.dtype
        if self.training:
            s1, s2 = channel_moments(x)
            mean = s1 / n
            var = np.maximum(s2 / n - mean * mean, 0.0)
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += (m * mean).astype(dt)
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1) * var).astype(dt)
        else:
            mean = self.running_mean.astype(np.float64)
            var = self.running_var.astype(np.float64)
        inv = 1.0 / np.sqrt(var + self.eps)
        a = inv if self.weight is None else self.weight * inv
        c = -mean * a if self.bias is None else self.bias - mean * a
        y = channel_affine(x, a.astype(dt), c.astype(dt))
        self._saved = ("host", x, mean, inv, self.training) if self.keep_for_backward else None
        return y

    def _backward_host(self, grad_out):
        import numpy as np

        from ._host_kernels import bn_gradient_sums, bn_input_gradient

        _, x, mean, inv, training = self._saved
        self._saved = None
        g = grad_out if host_contiguous(grad_out) else np.ascontiguousarray(grad_out)
        dt = self.dtype
        a = inv if self.weight is None else self.weight * inv
        if not training:
            gsum, gxc = bn_gradient_sums(g, x, mean) if self.weight is not None else (None, None)
            if self.weight is not None:
                self.weight_grad, self.bias_grad = (gxc * inv).astype(dt), gsum.astype(dt)
            return g * a.astype(dt)[None, :, None]
        gsum, gxc = bn_gradient_sums(g, x, mean)
        gxsum = gxc * inv  # sum g * xhat
        if self.weight is not None:
            self.weight_grad, self.bias_grad = gxsum.astype(dt), gsum.astype(dt)
        n = x.shape[0] * x.shape[2]
        return bn_input_gradient(g, x, mean.astype(dt), a.astype(dt), (gsum / n).astype(dt),
                                 (inv * gxsum / n).astype(dt))

    def backward(self, grad_out):
        if self._saved is None:
            raise RuntimeError("BatchNorm1D.backward needs a forward first (outside no_grad)")
        if isinstance(self._saved[0], str):  # ("host", ...)
            want = tuple(self._saved[1].shape)
            if tuple(grad_out.shape) != want:
                raise ValueError(f"grad_out must have the output's shape {want}; got {tuple(grad_out.shape)}")
            return self._backward_host(grad_out)
        xhat, inv, axes, training = self._saved
        if tuple(grad_out.shape) != tuple(xhat.shape):
            raise ValueError(f"grad_out must have the output's shape {tuple(xhat.shape)}; got {tuple(grad_out.shape)}")
        self._saved = None
        xp = self.backend.xp
        shp = self._bcast_shape(xhat)
        gsum = xp.sum(grad_out, axis=axes)
        gxsum = xp.sum(grad_out * xhat, axis=axes)
        if self.weight is not None:
            self.weight_grad, self.bias_grad = gxsum, gsum
            scale = xp.reshape(self.weight * inv, shp)
        else:
            scale = xp.reshape(inv, shp)
        if not training:
            return grad_out * scale
        n = math.prod(xhat.shape[a] for a in axes)
        return scale * (grad_out - xp.reshape(gsum / n, shp) - xhat * xp.reshape(gxsum / n, shp))
