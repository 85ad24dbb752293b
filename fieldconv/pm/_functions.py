"""``accelerations``: particle-mesh gravity in one call."""

import numpy as np

from .._dtypes import np_dtype, result_dtype
from .._units import is_quantity
from ._mesh import ParticleMesh

__all__ = ["accelerations"]


def accelerations(positions, *, masses, box_size, shape, scheme="cic", G=None, bc="periodic", recipe="momentum",
                  green=None, differencing="fd", order=4, backend=None):
    """Gravitational accelerations of particles by the particle-mesh method.

    Paints the masses (window `scheme`), solves Poisson's equation for the
    force on the mesh and reads it back with the same window: momentum is
    conserved and no particle pulls on itself (see :class:`ParticleMesh`,
    which keeps the Green's function and buffers between the steps of a
    simulation; this function builds one per call).

    Parameters
    ----------
    positions : array (N, d) or Quantity, float
        Particle positions, d = 1, 2 or 3 (``(cells, offsets)`` as in
        :func:`fieldconv.assign.paint` too).
    masses : float, array (N,) or Quantity
        Masses (one value for all particles, or one each).
    box_size : float, sequence of d floats, or Quantity
        Box length per axis.  A plain box with Quantity positions is read in
        the positions' unit (the rule of :func:`fieldconv.assign.paint`).
    shape : sequence of d ints
        Mesh shape (every axis >= 2).
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Assignment and interpolation window.  Default "cic".
    G : float or Quantity, optional
        Default None: 1.0 for plain inputs, ``astropy.constants.G`` once a
        length carries units (then `masses` must be a mass Quantity).
    bc : {"periodic", "isolated"}, optional
        Periodic box (mean density subtracted) or free space.
    recipe : {"momentum", "energy"}, optional
        See :class:`ParticleMesh` and ``docs/pm.md``.  Default "momentum".
    green, differencing, order : optional
        The Poisson solve (see :class:`ParticleMesh`; default the continuous
        Green's function and fourth-order central differences).
    backend : str or Backend, optional

    Returns
    -------
    array or Quantity (N, d)
        Accelerations; float32 for float32 positions, else float64; in
        ``m / s**2`` with units.

    Raises
    ------
    ValueError, TypeError
        As :class:`ParticleMesh` and :meth:`ParticleMesh.accelerations`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.pm import accelerations
    >>> rng = np.random.default_rng(0)
    >>> pos = rng.random((1000, 3))
    >>> acc = accelerations(pos, masses=1e-3, box_size=1.0, shape=(16, 16, 16))
    >>> acc.shape, acc.dtype
    ((1000, 3), dtype('float64'))
    >>> float(abs(acc.sum(axis=0)).max()) < 1e-12   # momentum conservation
    True
    """
    pos = positions[1] if isinstance(positions, tuple) else positions
    if is_quantity(pos) and not isinstance(positions, tuple) and not is_quantity(box_size) and not (
            isinstance(box_size, (list, tuple)) and any(is_quantity(b) for b in box_size)):
        box_size = np.asarray(box_size, dtype=np.float64) * pos.unit  # a plain box in the positions' unit
    dtype = result_dtype(np_dtype(getattr(pos, "dtype", np.float64)), name="positions")
    pm = ParticleMesh(shape, box_size, scheme=scheme, bc=bc, recipe=recipe, green=green, differencing=differencing,
                      order=order, G=G, dtype=dtype, backend=backend)
    return pm.accelerations(positions, masses=masses)
