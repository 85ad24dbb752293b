"""The README's short example: one kernel idea, four operator families.

Needs: fieldconv (core install).

Run: python examples/quickstart.py
"""

import numpy as np

import fieldconv as fc
from fieldconv import kernels

rng = np.random.default_rng(0)

# 1. Convolution: a 7x7 Gaussian on an image, scipy.ndimage conventions, float32 stays float32.
image = rng.standard_normal((512, 512)).astype(np.float32)
smooth = fc.convolve(image, kernels.gaussian(1.5, ndim=2), mode="reflect")  # method="auto"
print("convolve:", smooth.dtype, smooth.shape)

# 2. Particle-mesh gravity: accelerations at the particles (periodic box of side 1, unit masses).
#    Paint -> Poisson forces on the mesh -> readout with the painting scheme: momentum-conserving,
#    no self-force (docs/pm.md; fc.pm.ParticleMesh keeps the Green's function between steps).
pos = rng.random((100_000, 3))
acc = fc.pm.accelerations(pos, masses=1.0, box_size=1.0, shape=(64, 64, 64), scheme="cic", G=1.0)  # (N, 3)
print("pm.accelerations:", acc.dtype, acc.shape, "total force", np.abs(acc.sum(axis=0)).max())

# 3. Spectroscopy: Savitzky-Golay, a drop-in for scipy.signal.savgol_filter.
x = np.linspace(400, 4000, 3601)                       # cm^-1
y = np.exp(-0.5 * ((x - 1700) / 8) ** 2) + 0.01 * rng.standard_normal(x.size)
dy = fc.savgol_filter(y, 21, 3, deriv=1, delta=x[1] - x[0])
print("savgol:", dy.shape, dy.dtype)
