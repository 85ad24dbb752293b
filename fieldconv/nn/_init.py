"""Parameter initialisation and random draws on a backend.

Random numbers are drawn on the host by a seeded ``numpy.random.Generator``
(so a seed gives the same model on every backend) and moved to the backend
with an explicit copy; a device namespace that has its own generator
(CuPy) draws per-batch masks on the device instead, seeded from the host
generator.

Private module.
"""

import math

import numpy as np

from .._validate import as_generator

__all__ = ["as_generator", "he_uniform", "fan_in_uniform", "uniform"]


def _to_backend(be, host, dtype):
    return be.asarray(np.ascontiguousarray(host, dtype=dtype), copy=True)


def he_uniform(be, rng, shape, fan_in, dtype):
    """He (Kaiming) uniform weights: U(-b, b), ``b = sqrt(6 / fan_in)`` (variance 2/fan_in, for ReLU)."""
    bound = math.sqrt(6.0 / max(fan_in, 1))
    return _to_backend(be, rng.uniform(-bound, bound, size=shape), dtype)


def fan_in_uniform(be, rng, shape, fan_in, dtype):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default for biases)."""
    bound = 1.0 / math.sqrt(max(fan_in, 1))
    return _to_backend(be, rng.uniform(-bound, bound, size=shape), dtype)


def uniform(be, rng, shape, dtype):
    """U[0, 1) draws of `shape` as an array of backend `be` (a mask source for dropout)."""
    xp = be.xp
    if not be.on_host and hasattr(xp, "random") and hasattr(xp.random, "default_rng"):
        gen = xp.random.default_rng(int(rng.integers(2**63 - 1)))
        return gen.random(shape, dtype=dtype)
    return _to_backend(be, rng.random(shape, dtype=np.dtype(dtype)), dtype)
