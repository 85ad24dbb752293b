"""Input checks and grid geometry shared by paint, readout and bucket.

Units: every length of a call (``box_size``, the positions, ``origin``) must
be a length, and they must agree in unit or be plain numbers.  The call's
length unit is the first unit among ``box_size``, the positions and
``origin``; the other Quantities are converted to it and plain numbers are
read in it (a plain box with positions in kpc is a box in kpc, positions
plain with a box in Mpc are in Mpc).  Offsets of ``(cells, offsets)``
positions are in cells: plain numbers.
"""

import math

import numpy as np

from .._dtypes import np_dtype, result_dtype
from .._units import is_quantity, strip, strip_spacing
from .._validate import as_spacing, check_int
from .._windows import scheme_order

__all__ = ["scheme_order", "mesh_shape", "grid", "length_unit", "positions_of", "cells_of", "weights_of",
           "read_only", "scan", "raise_scan", "check_mesh_out", "check_periodic", "field_shape"]


def _compiled_paint():
    from . import _compiled_paint

    return _compiled_paint


def mesh_shape(shape, ndim=None):
    if np.ndim(shape) == 0:
        if ndim is None:
            raise ValueError("shape must be a sequence when it cannot be inferred; got a scalar")
        shape = (shape,) * ndim
    shape = tuple(check_int("shape", n, minimum=1) for n in shape)
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 entries; got {len(shape)}")
    return shape



def _unit_of(value, name):
    """Unit of a length argument (scalar, sequence or Quantity; None when plain), checked to be a length."""
    if is_quantity(value) or (isinstance(value, (list, tuple)) and any(is_quantity(v) for v in value)):
        return strip_spacing(value, name, dimension="length")[1]
    return None


def length_unit(box_size, positions=None, origin=None):
    """The length unit of a call: that of `box_size`, else of the positions, else of `origin`; None when plain.

    Raises ``ValueError`` for a Quantity that is not a length, and for
    Quantity offsets of ``(cells, offsets)`` positions (offsets are in cells).
    """
    units = [_unit_of(box_size, "box_size")]
    if isinstance(positions, tuple):
        if len(positions) == 2 and is_quantity(positions[1]):
            raise ValueError(
                f"offsets of (cells, offsets) positions are in cells and must be plain numbers; got a Quantity "
                f"in {positions[1].unit}"
            )
    elif is_quantity(positions):
        units.append(strip(positions, "positions", dimension="length")[1])
    units.append(_unit_of(origin, "origin"))
    return next((u for u in units if u is not None), None)


def grid(box_size, shape, origin, ndim, unit=None):
    """(box, unit, origin, h) in `unit`, the call's length unit (see :func:`length_unit`)."""
    box, box_unit = strip_spacing(box_size, "box_size", dimension="length")
    unit = box_unit if box_unit is not None else unit  # the box's unit comes first (length_unit)
    box = as_spacing(box, ndim, name="box_size")
    if isinstance(origin, (str, bytes)) or origin is None or np.ndim(origin) > 1:
        raise TypeError(f"origin must be a number or a sequence of one number per axis; got {origin!r}")
    if np.ndim(origin) == 0:
        origin = (origin,) * ndim
    origin_v = []
    for i, o in enumerate(origin):
        o, _ = strip(o, "origin", unit)
        try:
            o = float(o)
        except (TypeError, ValueError):
            raise TypeError(f"origin must be a number or a sequence of one number per axis; got {origin!r}") from None
        if not math.isfinite(o):
            raise ValueError(f"origin[{i}] must be finite; got {o}")
        origin_v.append(o)
    if len(origin_v) != ndim:
        raise ValueError(f"origin must be a scalar or have one entry per axis ({ndim}); got {len(origin_v)}")
    h = tuple(b / n for b, n in zip(box, shape))
    for i, hh in enumerate(h):
        if not (hh > 0 and math.isfinite(1.0 / hh)):
            raise ValueError(
                f"box_size[{i}] / shape[{i}] = {hh:.6g} is too small: the cell size must have a finite inverse "
                f"(box_size[{i}] = {box[i]:.6g}); measure the box in another unit"
            )
    return box, unit, tuple(origin_v), h


def positions_of(positions, be, unit):
    """(pos, cells or None, ndim): pos is (N, d) float, in `unit` (the call's length unit); cells (N, d) integers."""
    cells = None
    if isinstance(positions, tuple):
        if len(positions) != 2:
            raise ValueError(
                "positions given as a tuple must be (cells, offsets); "
                f"got a tuple of {len(positions)} entries"
            )
        cells, positions = positions
    elif unit is not None:
        positions = strip(positions, "positions", unit)[0]
    if be.on_host:
        pos = np.asarray(positions)
    else:
        pos = be.asarray(positions)
    if pos.ndim == 1:
        raise ValueError(
            f"positions must have shape (N, d) with d = 1, 2 or 3; got shape {tuple(pos.shape)} "
            "(use positions[:, None] for one dimension)"
        )
    if pos.ndim != 2 or not 1 <= pos.shape[1] <= 3:
        raise ValueError(f"positions must have shape (N, d) with d = 1, 2 or 3; got shape {tuple(pos.shape)}")
    pos = _working(be, pos, result_dtype(pos.dtype, name="positions"))
    if cells is not None:
        if not be.on_host:
            raise NotImplementedError("positions as (cells, offsets) are supported on the CPU backends only")
        cells = np.asarray(cells)
        if cells.dtype.kind not in "iu":
            raise TypeError(f"cells must have an integer dtype; got dtype {cells.dtype}")
        if cells.shape != pos.shape:
            raise ValueError(f"cells and offsets must have the same shape; got {cells.shape} and {pos.shape}")
    return pos, cells, pos.shape[1]


def cells_of(cells, shape, periodic):
    """Integer `cells` as C-contiguous int64, exactly.

    Signed integers convert exactly.  Unsigned cells beyond ``2**63 - 1``
    are reduced modulo the mesh shape on a periodic mesh (exact in uint64);
    on a non-periodic mesh they raise ``ValueError`` (no int64 holds them).
    """
    if cells is None:
        return None
    if cells.dtype.kind == "u" and cells.dtype.itemsize == 8 and cells.size and cells.max() > np.iinfo(np.int64).max:
        if not periodic:
            raise ValueError(
                f"cells must be at most 2**63 - 1 on a non-periodic mesh; got {int(cells.max())} "
                "(shift the cells and the origin together)"
            )
        cells = cells % np.asarray(shape, dtype=np.uint64)  # exact: the cell modulo the period
    return np.ascontiguousarray(cells, dtype=np.int64)


def check_periodic(periodic):
    """`periodic` as a bool; ``TypeError`` for anything else (a string such as "no" is not a bool)."""
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"periodic must be a bool; got {periodic!r}")
    return bool(periodic)


def field_shape(field):
    """The shape of a mesh, every axis at least one cell."""
    shape = tuple(int(n) for n in field.shape)
    if any(n < 1 for n in shape):
        raise ValueError(f"field must have at least one cell along every axis; got shape {shape}")
    return shape


def weights_of(weights, n, be, pos_dtype):
    """(weights array or None, unit, dtype of the weights)."""
    if weights is None:
        return None, None, pos_dtype
    weights, unit = strip(weights, "weights")
    if np.ndim(weights) == 0:
        raise ValueError("weights must have shape (N,); got a scalar (scale the result instead)")
    w = np.asarray(weights) if be.on_host else be.asarray(weights)
    if tuple(w.shape) != (n,):
        raise ValueError(f"weights must have shape (N,) = ({n},); got shape {tuple(w.shape)}")
    dt = result_dtype(w.dtype, name="weights")
    return _working(be, w, dt), unit, dt


def _working(be, a, dt):
    """`a` in the working dtype `dt`: C-contiguous on the host (what the compiled kernels take)."""
    if be.on_host:
        return np.ascontiguousarray(a, dtype=dt)
    return a if np_dtype(a.dtype) == dt else be.xp.astype(a, be.dtype(dt))



def read_only(a):
    """Read-only view: the kernels never write their inputs, and one array type
    (read-only) per dtype keeps the number of compiled specialisations small."""
    v = a.view()
    v.flags.writeable = False
    return v



def scan(pos, cells, w, origin, h, shape, periodic, p, outside, wdummy=np.float64):
    """Raise for non-finite input or (outside="raise") particles outside.

    Returns (#outside particles, dropped mass) for a non-periodic mesh.
    """
    use_cells = cells is not None
    bad_x, bad_w, nout, lo, hi, dropped = _compiled_paint().scan(
        read_only(pos), read_only(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)), use_cells,
        read_only(w if w is not None else np.zeros(1, wdummy)), w is not None, 1.0,
        np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64),
        np.asarray(shape, np.int64), periodic, p,
    )
    raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside, big=dropped)
    return int(nout), float(dropped)


def raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside, big=None):
    if bad_x == -1:
        raise ValueError(
            f"positions must give finite grid coordinates (x - origin) / h; got |x| up to {big:.6g} with cell "
            f"size h = {min(h):.6g}, which overflows float64 (shift the positions or the origin, or use a "
            "larger box_size)"
        )
    if bad_x:
        raise ValueError(f"positions must be finite; got {int(bad_x)} non-finite coordinates")
    if bad_w:
        raise ValueError(f"weights must be finite; got {int(bad_w)} non-finite weights")
    if nout and outside == "raise":
        lo_b = tuple(o + (p - 1) / 2 * hh for o, hh in zip(origin, h))
        hi_b = tuple(o + (n - (p - 1) / 2) * hh for o, n, hh in zip(origin, shape, h))
        where = ", ".join(f"axis {a}: [{lo[a]:.6g}, {hi[a]:.6g}]" for a in range(len(shape)))
        inside = ", ".join(f"[{a:.6g}, {b:.6g}{')' if p == 1 else ']'}" for a, b in zip(lo_b, hi_b))
        raise ValueError(
            f"positions must lie where the window fits in the non-periodic mesh ({inside} per axis); "
            f"got {int(nout)} particles outside, spanning {where}. Pad the mesh, use periodic=True, "
            "or pass outside='drop' to drop the mass that falls outside (it is reported back)"
        )


def check_mesh_out(out, shape, be):
    if be.on_host:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a NumPy array on the {be.name!r} backend; got {type(out).__name__}")
        if out.dtype not in (np.float32, np.float64):
            raise TypeError(f"out must have dtype float32 or float64; got dtype {out.dtype}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be a writeable C-contiguous array")
    if tuple(out.shape) != shape:
        raise ValueError(f"out must have shape {shape}; got shape {tuple(out.shape)}")


