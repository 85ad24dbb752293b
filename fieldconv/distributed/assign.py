"""Distributed paint and readout: the serial kernels on each rank's block with ghosts.

``paint`` routes the particles to the owners of their base cells
(:func:`~.routing.route`), paints them on each rank with
:func:`fieldconv.assign.paint` into the rank's block extended by ghost
layers as wide as the window, and folds the ghosts back into their owners.
``readout`` and ``readout_gradient`` are the adjoints: the owners' rows are
copied into the ghosts, the serial readout runs on each rank's particles,
and the values go back to the particles' home ranks in their original order.

The result equals serial painting of all particles on the whole mesh
(``fieldconv.paint(..., periodic=True)``), block by block, to round-off:
each contribution is the serial one (the same base cell; weights from a
fraction that differs by at most ``eps * n_ext`` along split axes, not at
all for NGP or on axes that are not split), and only the order of the
additions differs.  A routed particle set (:class:`RoutedParticles`) may be
passed instead of positions to paint and read out with one exchange.
"""

import math

import numpy as np

from .._units import attach, strip
from .agreement import abort_on_error, agree_on_errors, same_on_all_ranks
from .routing import RoutedParticles, route
from .threads import rank_threads

__all__ = ["paint", "readout", "readout_gradient"]


def _routed(positions, mesh, scheme, weights, sort):
    if isinstance(positions, RoutedParticles):
        if mesh is not None and mesh is not positions.mesh:
            raise ValueError("mesh must be None or the mesh the particles were routed on")
        if scheme is not None and scheme.lower() != positions.scheme:
            raise ValueError(
                f"scheme must match the routed particles' scheme {positions.scheme!r}; got {scheme!r} "
                "(route again for another scheme)"
            )
        if weights is not None:
            raise ValueError("weights must be given to route(), not with routed particles")
        return positions
    if mesh is None:
        raise TypeError("mesh is required with plain positions (a DistributedMesh)")
    return route(positions, mesh, scheme="cic" if scheme is None else scheme, weights=weights, sort=sort)


def paint(positions, mesh=None, *, scheme=None, weights=None, density=False):
    """Paint particles held by all ranks onto the distributed mesh.  Collective.

    Parameters
    ----------
    positions : array (N, d), Quantity, or RoutedParticles
        This rank's particles (any split over the ranks), or the result of
        :func:`~fieldconv.distributed.route`.
    mesh : DistributedMesh
        Required with plain positions.
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Default "cic" (or the routed particles' scheme).
    weights : array (N,) or Quantity, optional
        Masses; default 1 each (plain positions only).
    density : bool, optional
        Mass per unit volume instead of mass per cell.

    Returns
    -------
    block : ndarray, ``mesh.local_shape``
        This rank's block of the painted mesh; float32 for float32
        positions and weights, else float64 (the serial rule).  A Quantity
        when the weights (or, with `density`, the box) carry units.

    Raises
    ------
    ValueError, TypeError
        As :func:`fieldconv.paint` and :func:`route`, on every rank.

    Notes
    -----
    Periodic boxes only.  ``block == fieldconv.paint(all_positions,
    box_size=mesh.box_size, shape=mesh.shape, origin=mesh.origin,
    ...)[mesh.local_slice]`` to round-off.  Scratch per rank: the extended
    block, ``prod(local_shape + ghosts) * itemsize`` bytes.
    """
    from ..assign import paint as serial_paint

    parts = _routed(positions, mesh, scheme, weights, sort=False)  # one paint: sorting would not pay
    mesh, layout = parts.mesh, parts.layout
    with agree_on_errors(mesh.comm, "paint: local block"):
        ext = np.zeros(layout.ext_shape, dtype=parts.dtype)
        box, origin = parts.local_box()
        with rank_threads(mesh.threads):
            serial_paint(parts.positions, box_size=box, shape=layout.ext_shape, scheme=parts.scheme,
                         weights=parts.weights, periodic=True, origin=origin, out=ext)
    with abort_on_error(mesh.comm, "paint: fold ghosts"):
        layout.fold(ext, mesh.comm, mesh.max_message_bytes)
    block = np.ascontiguousarray(ext[layout.owned])
    del ext
    unit = parts.weight_unit
    if density:
        block *= 1.0 / math.prod(mesh.spacing)  # the serial paint's scale, the same expression
        if mesh.unit is not None:
            import astropy.units as u

            unit = (unit if unit is not None else u.dimensionless_unscaled) / mesh.unit**mesh.ndim
    return attach(block, unit)


def _field_blocks(field, mesh):
    """(list of plain blocks, unit, is_vector) with shapes checked."""
    vector = isinstance(field, (tuple, list))
    items = list(field) if vector else [field]
    blocks, units = [], []
    for i, f in enumerate(items):
        f, unit = strip(f, "field")
        f = np.asarray(f)
        if tuple(f.shape) != mesh.local_shape:
            raise ValueError(
                f"field{f'[{i}]' if vector else ''} must be this rank's block of shape {mesh.local_shape}; "
                f"got {tuple(f.shape)}"
            )
        from .._dtypes import result_dtype

        blocks.append(np.ascontiguousarray(f, dtype=result_dtype(f.dtype, name="field")))
        units.append(unit)
    if len(set(map(str, units))) > 1:
        raise ValueError(f"field components must share one unit; got {units}")
    return blocks, units[0], vector


def _readout(field, positions, mesh, scheme, gradient):
    from ..assign import readout as serial_readout
    from ..assign import readout_gradient as serial_gradient

    parts = _routed(positions, mesh, scheme, None, sort=True)  # random access into the block: sorting pays
    mesh, layout = parts.mesh, parts.layout
    with agree_on_errors(mesh.comm, "readout: check the field"):
        blocks, unit, vector = _field_blocks(field, mesh)
        if gradient and vector:
            raise ValueError("field must be one block for readout_gradient (a scalar field); got a tuple")
        if gradient and parts.p == 1:
            raise ValueError(
                "scheme must be 'cic', 'tsc' or 'pcs' for readout_gradient; got 'ngp' "
                "(its interpolant is piecewise constant, with zero gradient almost everywhere)"
            )
    same_on_all_ranks(mesh.comm, "the field's dtype and number of components",
                      (str(blocks[0].dtype), len(blocks), vector))
    box, origin = parts.local_box()
    ncol = mesh.ndim if gradient else len(blocks)
    local = np.empty((parts.n_local, ncol), dtype=blocks[0].dtype)  # filled column by column
    for i, b in enumerate(blocks):
        with abort_on_error(mesh.comm, "readout: fill ghosts"):
            ext = layout.extend(b, mesh.comm, mesh.max_message_bytes)
        with agree_on_errors(mesh.comm, "readout: local particles"), rank_threads(mesh.threads):
            if gradient:
                local[...] = serial_gradient(ext, parts.positions, box_size=box, scheme=parts.scheme, periodic=True)
                for a in mesh.decomposed_axes:  # the local frame is in cells along split axes
                    local[:, a] *= 1.0 / mesh.spacing[a]
            else:
                local[:, i] = serial_readout(ext, parts.positions, box_size=box, scheme=parts.scheme, periodic=True)
        del ext
    if not (vector or gradient):
        local = local[:, 0]
    values = parts.to_home(local)
    if unit is not None and gradient and mesh.unit is not None:
        unit = unit / mesh.unit
    return attach(values, unit)


def readout(field, positions, mesh=None, *, scheme=None):
    """Interpolate a distributed field at particles held by all ranks.  Collective.

    Parameters
    ----------
    field : ndarray ``mesh.local_shape``, or tuple of them
        This rank's block of a field (e.g. the potential), or of each
        component of a vector field (e.g. the mesh forces).
    positions : array (N, d), Quantity, or RoutedParticles
        This rank's particles.
    mesh : DistributedMesh
        Required with plain positions.
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Default "cic" (or the routed particles' scheme).

    Returns
    -------
    values : ndarray (N,), or (N, len(field)) for a tuple
        At this rank's particles, in the order given; the field's dtype.

    Notes
    -----
    The adjoint of :func:`paint`; equals serial :func:`fieldconv.readout`
    of the whole field to round-off.
    """
    return _readout(field, positions, mesh, scheme, gradient=False)


def readout_gradient(field, positions, mesh=None, *, scheme=None):
    """Gradient of the window interpolant of a distributed field at the particles.  Collective.

    Parameters
    ----------
    field : ndarray ``mesh.local_shape``
        This rank's block (e.g. of the potential; the force is minus the result).
    positions, mesh, scheme
        As :func:`readout`; the scheme must be "cic", "tsc" or "pcs".

    Returns
    -------
    grad : ndarray (N, d), the field's dtype, field units per length

    Notes
    -----
    Equals serial :func:`fieldconv.readout_gradient` to round-off.
    """
    return _readout(field, positions, mesh, scheme, gradient=True)
