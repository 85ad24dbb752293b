"""Input checks and grid geometry shared by paint, readout and bucket.

Positions and the box must agree in unit: a Quantity position needs a
Quantity ``box_size`` (it is converted to the box's unit); lengths must be
lengths.
"""

import math

import numpy as np

from .._dtypes import np_dtype, result_dtype
from .._units import strip, strip_like, strip_spacing
from .._validate import as_spacing, check_int
from .._windows import scheme_order

__all__ = ["scheme_order", "mesh_shape", "grid", "positions_of", "weights_of", "read_only", "scan", "raise_scan",
           "check_mesh_out"]


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



def box_unit_of(box_size):
    """The unit of `box_size` (None for a plain number), which must be a length."""
    return strip_spacing(box_size, "box_size", dimension="length")[1]


def grid(box_size, shape, origin, ndim):
    box, box_unit = strip_spacing(box_size, "box_size", dimension="length")
    box = as_spacing(box, ndim, name="box_size")
    if np.ndim(origin) == 0:
        origin = (origin,) * ndim
    origin_v = []
    for i, o in enumerate(origin):
        o, _ = strip(o, "origin", box_unit)
        o = float(o)
        if not math.isfinite(o):
            raise ValueError(f"origin[{i}] must be finite; got {o}")
        origin_v.append(o)
    if len(origin_v) != ndim:
        raise ValueError(f"origin must be a scalar or have one entry per axis ({ndim}); got {len(origin_v)}")
    h = tuple(b / n for b, n in zip(box, shape))
    return box, box_unit, tuple(origin_v), h


def positions_of(positions, be, box_unit):
    """(pos, cells or None, ndim): pos is (N, d) float; cells (N, d) int64."""
    cells = None
    if isinstance(positions, tuple):
        if len(positions) != 2:
            raise ValueError(
                "positions given as a tuple must be (cells, offsets); "
                f"got a tuple of {len(positions)} entries"
            )
        cells, positions = positions
    positions = strip_like(positions, "positions", box_unit, ref_name="box_size")
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
        cells = np.ascontiguousarray(cells, dtype=np.int64)
    return pos, cells, pos.shape[1]


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
    raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside)
    return int(nout), float(dropped)


def raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside):
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


