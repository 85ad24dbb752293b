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
from ._inputs import box_unit_of, grid, positions_of, read_only, scan, scheme_order

__all__ = ["readout", "readout_gradient"]


def _readout_common(field, positions, box_size, scheme, periodic, backend, outside):
    p = scheme_order(scheme)
    check_choice("outside", outside, ("raise", "drop"))
    be = get_backend(backend, like=field)
    box_unit = box_unit_of(box_size)
    field, field_unit = strip(field, "field")
    field = np.asarray(field) if be.on_host else be.asarray(field)
    pos, cells, ndim = positions_of(positions, be, box_unit)
    if field.ndim != ndim:
        raise ValueError(f"field must have one axis per position coordinate ({ndim}); got field.ndim = {field.ndim}")
    shape = tuple(int(n) for n in field.shape)
    box, box_unit, origin, h = grid(box_size, shape, 0.0, ndim)
    dt = result_dtype(np_dtype(field.dtype), name="field")
    if be.on_host:
        field = np.ascontiguousarray(field, dtype=dt)
        with be.kernel_threads():
            scan(pos, cells, None, origin, h, shape, bool(periodic), p, outside, dt)
    else:
        if np_dtype(field.dtype) != dt:
            field = be.xp.astype(field, be.dtype(dt))
        generic_checks(be, pos, None, origin, h, shape, bool(periodic), p, outside)
    return p, be, field, field_unit, pos, cells, ndim, shape, box_unit, origin, h, dt


@renamed(mesh="field")
def readout(field, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Interpolate a mesh at particle positions: the adjoint of :func:`paint`.

    Parameters
    ----------
    field : array or Quantity of shape (n_0, ..., n_{d-1}), float
        Cell-centred field on the mesh (the convention of :func:`paint`).
        (``mesh=`` is a deprecated alias.)
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

    Raises
    ------
    ValueError
        Shape mismatch, non-finite positions, particles outside a
        non-periodic mesh with ``outside="raise"``.
    TypeError
        Wrong types.

    Notes
    -----
    ``values[i] = sum_j field[j] prod_a W_p(u_ia - j_a - 1/2)``, accumulated in
    float64, so that ``<paint(w), f> = <w, readout(f)>`` to round-off.  Each
    value is computed by one thread: the result does not depend on the thread
    count.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import readout
    >>> f = np.arange(4.0)
    >>> readout(f, np.array([[1.5], [2.0]]), box_size=4.0, scheme="cic")
    array([1. , 1.5])
    """
    p, be, field, unit, pos, cells, ndim, shape, box_unit, origin, h, dt = _readout_common(
        field, positions, box_size, scheme, periodic, backend, outside
    )
    with be.kernel_threads():
        vals = _readout_any(be, field, pos, cells, origin, h, shape, bool(periodic), p, -1, 1.0, dt)
    return attach(vals, unit)


@renamed(mesh="field")
def readout_gradient(field, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Gradient of the window interpolant of `field` at particle positions.

    The exact derivative of ``readout`` with respect to the position (the
    "energy-conserving" force interpolation of Hockney & Eastwood): for a
    potential mesh ``phi``, the force per unit mass is ``-readout_gradient``.

    Parameters
    ----------
    field, positions, box_size, scheme, periodic, outside, backend
        As in :func:`readout`.  `scheme` must be "cic", "tsc" or "pcs" (the
        NGP interpolant is piecewise constant).

    Returns
    -------
    grad : array (N, d), dtype of the field
        ``d/dx_a`` of the interpolant, unit ``field.unit / box_size.unit``.

    Raises
    ------
    ValueError
        ``scheme="ngp"``, and as :func:`readout`.

    Notes
    -----
    ``grad[i, a] = (1/h_a) sum_j field[j] W_p'(u_ia - j_a - 1/2) prod_{b != a} W_p(u_ib - j_b - 1/2)``.
    For CIC the gradient is piecewise constant (discontinuous at cell
    centres); TSC and PCS give continuous gradients.

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
    p, be, field, unit, pos, cells, ndim, shape, box_unit, origin, h, dt = _readout_common(
        field, positions, box_size, scheme, periodic, backend, outside
    )
    with be.kernel_threads():
        cols = [
            _readout_any(be, field, pos, cells, origin, h, shape, bool(periodic), p, a, 1.0 / h[a], dt)
            for a in range(ndim)
        ]
    grad = np.stack(cols, axis=1) if be.on_host else be.xp.stack(cols, axis=1)
    return attach(grad, product(unit, (box_unit, -1)))



def _readout_any(be, mesh, pos, cells, origin, h, shape, periodic, p, deriv, scale, dt):
    if be.on_host:
        from . import _compiled_readout

        use_cells = cells is not None
        vals = np.empty(pos.shape[0], dtype=dt)
        _compiled_readout.readout_kernel(
            read_only(mesh.reshape(-1)), read_only(pos),
            read_only(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)),
            use_cells,
            np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64), np.asarray(shape, np.int64),
            periodic, p, deriv, float(scale), vals,
        )
        return vals
    return readout_generic(be, mesh, pos, origin, h, shape, periodic, p, deriv, scale, dt)
