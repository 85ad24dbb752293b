"""A tour of the backend switch: resolution, scopes, FFTs, wavenumbers, wisdom.

Needs: fieldconv (core install); CuPy and a GPU for the "cupy" backend (optional).

Run: python examples/backend_tour.py [--size N]
"""

import argparse
import os
import tempfile

import numpy as np

from fieldconv.backend import available_backends, get_backend, save_wisdom, use_backend

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--size", type=int, default=64, help="grid points per axis (default 64)")
args = ap.parse_args()

print("usable backends:", available_backends())
be = get_backend()
print("default:", be)

# Spectral Gaussian smoothing of a float32 field: float32 in, float32 out.
n, h = args.size, 0.5
x = np.random.default_rng(0).standard_normal((n, n, n)).astype(np.float32)
kx, ky, kz = be.kgrid(x.shape, h, dtype=np.float32)
sigma = 1.5
y = be.irfftn(be.rfftn(x) * np.exp(-0.5 * sigma**2 * (kx**2 + ky**2 + kz**2)), s=x.shape)
print("smoothed:", y.dtype, "variance", float(x.var()), "->", float(y.var()))

# A scope changes the backend for everything inside it, in this thread only.
with use_backend("numpy", threads=1):
    print("inside the scope:", get_backend())

# Cluster jobs save FFTW plans once and reuse them.
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "wisdom.fftw")
    save_wisdom(path)
    print("wisdom saved:", os.path.getsize(path), "bytes")
