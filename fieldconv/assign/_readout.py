"""Readout: a mesh interpolated at particle positions with the assignment window (paint's adjoint).

The compiled readout lives in :mod:`._compiled_readout`; the generic
(array-API / GPU) path in :mod:`._generic`.
"""

import numpy as np

from .._deprecate import renamed
from .._dtypes import np_dtype, result_dtype
from .._units import attach, product, strip
from .._validate import check_choice
from ..backend import get_backend
from ._generic import generic_checks, readout_generic
from ._inputs import (cells_of, check_periodic, field_shape, grid, length_unit, positions_of, read_only, scan,
                      scheme_order)

__all__ = ["readout", "readout_gradient"]


def _readout_common(field, positions, box_size, scheme, periodic, backend, outside):
    """Checked inputs; `field` may be a tuple of meshes of one shape (returned as a tuple)."""
    p = scheme_order(scheme)
    check_choice("outside", outside, ("raise", "drop"))
    periodic = check_periodic(periodic)
    many = isinstance(field, tuple)
    fields = field if many else (field,)
    if not fields:
        raise ValueError("field must be an array or a non-empty tuple of arrays; got an empty tuple")
    be = get_backend(backend, like=fields[0])
    unit = length_unit(box_size, positions)
    plain, funits = [], []
    for k, f in enumerate(fields):
        f, fu = strip(f, "field" if not many else f"field[{k}]")
        plain.append(np.asarray(f) if be.on_host else be.asarray(f))
        funits.append(fu)
    pos, cells, ndim = positions_of(positions, be, unit)
    shape = field_shape(plain[0])
    for k, f in enumerate(plain):
        if f.ndim != ndim:
            raise ValueError(
                f"field must have one axis per position coordinate ({ndim}); got field.ndim = {f.ndim}"
            )
        if tuple(f.shape) != shape:
            raise ValueError(f"every field of a tuple must have the shape {shape}; got field[{k}].shape = {f.shape}")
    cells = cells_of(cells, shape, periodic)
    box, box_unit, origin, h = grid(box_size, shape, 0.0, ndim, unit)
    dt = np.result_type(*[result_dtype(np_dtype(f.dtype), name="field") for f in plain])
    if be.on_host:
        plain = [np.ascontiguousarray(f, dtype=dt) for f in plain]
        with be.kernel_threads():
            scan(pos, cells, None, origin, h, shape, periodic, p, outside, dt)
    else:
        plain = [f if np_dtype(f.dtype) == dt else be.xp.astype(f, be.dtype(dt)) for f in plain]
        generic_checks(be, pos, None, origin, h, shape, periodic, p, outside)
    return p, be, plain, funits, many, pos, cells, ndim, shape, box_unit, origin, h, dt, periodic


@renamed(mesh="field")
def readout(field, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Interpolate a mesh at particle positions: the adjoint of :func:`paint`.

    Parameters
    ----------
    field : array or Quantity of shape (n_0, ..., n_{d-1}), float, or a tuple of them
        Cell-centred field on the mesh (the convention of :func:`paint`).  A
        tuple of fields of one shape (e.g. the force components of
        :meth:`fieldconv.poisson.PoissonSolver.forces`) is read with one
        stencil per particle.  (``mesh=`` is a deprecated alias.)
    positions : array (N, d) or tuple (cells, offsets), or Quantity
        As in :func:`paint`.
    box_size : float or sequence of d floats, or Quantity
        Box length per axis.
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Default "cic".
    periodic : bool, optional
        Periodic mesh (default); otherwise cells outside the mesh read 0.
    outside : {"raise", "drop"}, optional
        Non-periodic: raise for particles whose window leaves the mesh
        (default), or read the cells outside as 0 ("drop").
    backend : str or Backend, optional

    Returns
    -------
    values : array (N,), dtype of the field (float32 or float64), unit of the field
        On the backend of the field; a tuple of such arrays for a tuple of
        fields (in the dtype of the widest).

    Raises
    ------
    ValueError
        Shape mismatch, a field with an empty axis, non-finite positions,
        particles outside a non-periodic mesh with ``outside="raise"``,
        lengths that are not lengths.
    TypeError
        Wrong types (`periodic` not a bool, `scheme` not a string).

    Notes
    -----
    ``values[i] = sum_j field[j] prod_a W_p(u_ia - j_a - 1/2)``, accumulated in
    float64, so that ``<paint(w), f> = <w, readout(f)>`` to round-off.  Each
    value is computed by one thread from its particle alone: the result does
    not depend on the thread count.  On a mesh of 2 MiB or more, unsorted
    particles are first binned by slab of leading rows (as :func:`paint`
    does), which keeps the rows being read in cache.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import readout
    >>> f = np.arange(4.0)
    >>> readout(f, np.array([[1.5], [2.0]]), box_size=4.0, scheme="cic")
    array([1. , 1.5])
    >>> readout((f, 2 * f), np.array([[1.5]]), box_size=4.0, scheme="cic")
    (array([1.]), array([2.]))
    """
    p, be, fields, units, many, pos, cells, ndim, shape, box_unit, origin, h, dt, periodic = _readout_common(
        field, positions, box_size, scheme, periodic, backend, outside
    )
    with be.kernel_threads():
        vals = _readout_any(be, fields, pos, cells, origin, h, shape, periodic, p, False, dt)
    out = tuple(attach(v, u) for v, u in zip(vals, units))
    return out if many else out[0]


@renamed(mesh="field")
def readout_gradient(field, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Gradient of the window interpolant of `field` at particle positions.

    The exact derivative of ``readout`` with respect to the position (the
    "energy-conserving" force interpolation of Hockney & Eastwood): for a
    potential mesh ``phi``, the force per unit mass is ``-readout_gradient``.
    For particle-mesh gravity see :mod:`fieldconv.pm`, which by default reads
    out the mesh forces instead (momentum-conserving, no self-force).

    Parameters
    ----------
    field, positions, box_size, scheme, periodic, outside, backend
        As in :func:`readout` (one field).  `scheme` must be "cic", "tsc" or
        "pcs" (the NGP interpolant is piecewise constant).

    Returns
    -------
    grad : array (N, d), dtype of the field
        ``d/dx_a`` of the interpolant, unit ``field.unit / box_size.unit``.

    Raises
    ------
    ValueError
        ``scheme="ngp"``, a tuple of fields, and as :func:`readout`.
    TypeError
        As :func:`readout`.

    Notes
    -----
    ``grad[i, a] = (1/h_a) sum_j field[j] W_p'(u_ia - j_a - 1/2) prod_{b != a} W_p(u_ib - j_b - 1/2)``,
    all components from one pass over the particle's stencil.  For CIC the
    gradient is piecewise constant (discontinuous at cell centres); TSC and
    PCS give continuous gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import readout_gradient
    >>> f = 3.0 * (np.arange(8) + 0.5)          # f = 3 x sampled at the cell centres
    >>> readout_gradient(f, np.array([[2.3], [5.9]]), box_size=8.0, scheme="tsc", periodic=False)
    array([[3.],
           [3.]])
    """
    if isinstance(scheme, str) and scheme.lower() == "ngp":
        raise ValueError(
            "scheme must be 'cic', 'tsc' or 'pcs' for readout_gradient; got 'ngp' "
            "(its interpolant is piecewise constant, with zero gradient almost everywhere)"
        )
    if isinstance(field, tuple):
        raise ValueError("field must be one array for readout_gradient; got a tuple (take the gradients one by one)")
    p, be, fields, units, _, pos, cells, ndim, shape, box_unit, origin, h, dt, periodic = _readout_common(
        field, positions, box_size, scheme, periodic, backend, outside
    )
    with be.kernel_threads():
        grad = _readout_any(be, fields, pos, cells, origin, h, shape, periodic, p, True, dt)
    return attach(grad, product(units[0], (box_unit, -1)))


def _readout_any(be, meshes, pos, cells, origin, h, shape, periodic, p, grad, dt):
    """Values of each mesh (a list of (N,) arrays), or with `grad` the (N, d) gradient of meshes[0]."""
    n, ndim = pos.shape[0], pos.shape[1]
    if be.on_host:
        from . import _compiled_readout

        use_cells = cells is not None
        out = np.empty((n, ndim if grad else len(meshes)), dtype=dt)
        _compiled_readout.readout_kernel(
            tuple(read_only(m.reshape(-1)) for m in meshes), read_only(pos),
            read_only(cells if use_cells else np.zeros((0, ndim), np.int64)), use_cells,
            np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64), np.asarray(shape, np.int64),
            periodic, p, grad, 1.0, out,
        )
        if grad:
            return out
        return [out[:, 0]] if len(meshes) == 1 else [np.ascontiguousarray(out[:, f]) for f in range(len(meshes))]
    if grad:
        cols = [readout_generic(be, meshes[0], pos, origin, h, shape, periodic, p, a, 1.0 / h[a], dt)
                for a in range(ndim)]
        return be.xp.stack(cols, axis=1)
    return [readout_generic(be, m, pos, origin, h, shape, periodic, p, -1, 1.0, dt) for m in meshes]
