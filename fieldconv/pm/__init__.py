"""Particle-mesh gravity: accelerations of particles from paint -> Poisson -> readout.

:func:`accelerations` does one step; :class:`ParticleMesh` keeps the
Poisson solver (Green's function, FFT scratch) and the density buffer for
the steps of a simulation.  The default recipe reads the mesh forces out
with the assignment window (the adjoint of painting): momentum is
conserved and a lone particle feels no force of its own, to round-off.  The
energy-conserving alternative (``recipe="energy"``: the gradient of the
interpolated potential) is documented with its trade-off in ``docs/pm.md``.

Conventions: those of :mod:`fieldconv.assign` (cell-centred mesh, windows,
positions and units) and :mod:`fieldconv.poisson` (``lap phi = 4 pi G rho``
in 3-D, the mean density removed in a periodic box).

Examples
--------
>>> import numpy as np
>>> from fieldconv.pm import ParticleMesh
>>> pm = ParticleMesh((8, 8), 1.0, scheme="tsc")
>>> acc = pm.accelerations(np.array([[0.2, 0.5], [0.6, 0.5]]), masses=np.array([2.0, 1.0]))
>>> acc.shape
(2, 2)
"""

from ._functions import accelerations
from ._mesh import RECIPES, ParticleMesh

__all__ = ["accelerations", "ParticleMesh", "RECIPES"]
