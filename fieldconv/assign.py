"""Particle-mesh mass assignment: paint / readout (an exact adjoint pair), windows,
compensation and interlacing.

Conventions (stated once; details in ``docs/assign.md``)
---------------------------------------------------------
* **Cell-centred mesh.**  Along an axis of length ``L`` with ``n`` cells of
  size ``h = L/n``, mesh element ``i`` is the cell ``[i h, (i+1) h)`` (plus
  ``origin``) with its centre at ``(i + 1/2) h``: the same grids as the
  Poisson solver.  The grid coordinate of a position ``x`` is
  ``u = (x - origin) / h``, always computed in float64.
* **Schemes.**  ``"ngp"``, ``"cic"``, ``"tsc"``, ``"pcs"`` have order
  ``p = 1, 2, 3, 4``: the window is the ``p``-fold convolution of the
  one-cell box (the cardinal B-spline of degree ``p-1``), applied per axis.
  Cell ``j`` receives ``m * prod_a W_p(u_a - j_a - 1/2)``.  A particle at a
  cell centre puts all its mass in that cell for NGP and CIC; for TSC it puts
  3/4 there and 1/8 in each neighbour, for PCS 2/3 and 1/6 (a B-spline of
  order >= 3 is not interpolating; this is what the p-fold box means).
* **paint** returns the mass per cell (``density=True``: per unit volume,
  divided by ``prod(h)``).  **readout** is its exact adjoint:
  ``<paint(w), f> = <w, readout(f)>``; with the same scheme it interpolates
  ``f`` with the window.  :func:`readout_gradient` is the exact gradient of
  that interpolant (the energy-conserving force interpolation).
* **Periodic** (default): positions anywhere are wrapped with a float64
  floor/modulo, so ``x = L``, float32 ``x`` just below ``L``, negative
  positions and positions many boxes away all land in cells ``0..n-1``.
  **Non-periodic**: the mesh is a window onto an infinite grid; a particle is
  *outside* when its window reaches a cell outside the mesh (for NGP: ``u``
  outside ``[0, n)``; CIC ``[1/2, n-1/2]``; TSC ``[1, n-1]``; PCS
  ``[3/2, n-3/2]``).  Outside particles raise ``ValueError`` (how many,
  min/max per axis) unless ``outside="drop"``, which drops the part of the
  mass that falls outside the mesh and returns it in a :class:`Painted`.
* Index arithmetic is int64 everywhere (meshes beyond ``2**31`` elements).

Examples
--------
>>> import numpy as np
>>> from fieldconv.assign import paint, readout
>>> pos = np.array([[0.5, 0.5], [2.0, 3.0]])
>>> mesh = paint(pos, box_size=4.0, shape=(4, 4), scheme="cic")
>>> float(mesh.sum())
2.0
>>> float(mesh[0, 0])
1.0
>>> readout(mesh, pos, box_size=4.0, scheme="ngp")
array([1.  , 0.25])
"""

import math
from typing import NamedTuple

import numpy as np

from ._dtypes import complex_dtype, result_dtype
from ._units import attach, strip
from ._validate import as_spacing, check_choice, check_int
from .backend import get_backend

__all__ = [
    "SCHEMES",
    "Painted",
    "paint",
    "paint_chunks",
    "paint_interlaced",
    "readout",
    "readout_gradient",
    "bucket",
    "window",
    "compensate",
]

#: Scheme name -> order p (number of cells touched per axis).
SCHEMES = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}

class Painted(NamedTuple):
    """Result of ``paint(..., outside="drop")``.

    Attributes
    ----------
    mesh : array
        The painted mesh (the same object as ``out`` when given).
    dropped_mass : float
        Total weight of the contributions that fell outside the mesh (mass,
        not density, whatever ``density`` says).
    dropped_count : int
        Number of particles whose window reached outside the mesh.
    """

    mesh: object
    dropped_mass: float
    dropped_count: int


# ------------------------------------------------------------ validation
def _order(scheme):
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a string; got {scheme!r}")
    s = scheme.lower()
    check_choice("scheme", s, tuple(SCHEMES))
    return SCHEMES[s]


def _shape(shape, ndim=None):
    if np.ndim(shape) == 0:
        if ndim is None:
            raise ValueError("shape must be a sequence when it cannot be inferred; got a scalar")
        shape = (shape,) * ndim
    shape = tuple(check_int("shape", n, minimum=1) for n in shape)
    if not 1 <= len(shape) <= 3:
        raise ValueError(f"shape must have 1, 2 or 3 entries; got {len(shape)}")
    return shape


def _grid(box_size, shape, origin, ndim):
    box, box_unit = strip(box_size, "box_size")
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


def _positions(positions, be, box_unit):
    """(pos, cells or None, ndim): pos is (N, d) float; cells (N, d) int64."""
    cells = None
    if isinstance(positions, tuple):
        if len(positions) != 2:
            raise ValueError(
                "positions given as a tuple must be (cells, offsets); "
                f"got a tuple of {len(positions)} entries"
            )
        cells, positions = positions
    positions, _ = strip(positions, "positions", box_unit)
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
    dt = result_dtype(pos.dtype, name="positions")
    if be.on_host:
        pos = np.ascontiguousarray(pos, dtype=dt)
    elif np.dtype(str(pos.dtype).rsplit(".", 1)[-1]) != dt:
        pos = be.xp.astype(pos, be.dtype(dt))
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


def _weights(weights, n, be, pos_dtype):
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
    if be.on_host:
        w = np.ascontiguousarray(w, dtype=dt)
    elif np.dtype(str(w.dtype).rsplit(".", 1)[-1]) != dt:
        w = be.xp.astype(w, be.dtype(dt))
    return w, unit, dt


def _ro(a):
    """Read-only view: the kernels never write their inputs, and one array type
    (read-only) per dtype keeps the number of compiled specialisations small."""
    v = a.view()
    v.flags.writeable = False
    return v


def _np_dtype(dt):
    return np.dtype(str(dt).rsplit(".", 1)[-1])


def _scan(pos, cells, w, origin, h, shape, periodic, p, outside, wdummy=np.float64):
    """Raise for non-finite input or (outside="raise") particles outside.

    Returns (#outside particles, dropped mass) for a non-periodic mesh.
    """
    from . import _numba_assign as nb

    use_cells = cells is not None
    bad_x, bad_w, nout, lo, hi, dropped = nb.scan(
        _ro(pos), _ro(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)), use_cells,
        _ro(w if w is not None else np.zeros(1, wdummy)), w is not None, 1.0,
        np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64),
        np.asarray(shape, np.int64), periodic, p,
    )
    _raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside)
    return int(nout), float(dropped)


def _raise_scan(bad_x, bad_w, nout, lo, hi, origin, h, shape, p, outside):
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


def _check_out(out, shape, be):
    if be.on_host:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a NumPy array on the {be.name!r} backend; got {type(out).__name__}")
        if out.dtype not in (np.float32, np.float64):
            raise TypeError(f"out must have dtype float32 or float64; got dtype {out.dtype}")
        if not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("out must be a writeable C-contiguous array")
    if tuple(out.shape) != shape:
        raise ValueError(f"out must have shape {shape}; got shape {tuple(out.shape)}")


# ------------------------------------------------------------------ paint
def paint(
    positions,
    *,
    box_size,
    shape,
    scheme="cic",
    weights=None,
    periodic=True,
    origin=0.0,
    out=None,
    density=False,
    outside="raise",
    accumulate_dtype=None,
    bucket=False,
    backend=None,
):
    """Assign particle masses to a cell-centred mesh.

    Parameters
    ----------
    positions : array (N, d) or tuple (cells, offsets), float, length units
        Particle positions, d = 1, 2 or 3.  Alternatively ``(cells, offsets)``:
        int (N, d) cell indices and float (N, d) offsets in cell units, the
        position being ``origin + (cells + offsets) * h`` (exact across huge
        boxes; CPU backends).  Never modified.
    box_size : float or sequence of d floats, length units
        Box length per axis (astropy Quantity accepted).
    shape : int or sequence of d ints
        Mesh shape.
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Assignment window of order 1-4.  Default "cic".
    weights : array (N,), optional
        Particle masses; default 1 each.  Never modified.
    periodic : bool, optional
        Wrap positions (default) or treat the mesh as non-periodic.
    origin : float or sequence of d floats, optional
        Position of the lower corner of cell 0.  Default 0.
    out : array of `shape`, optional
        Mesh to accumulate into (chunked painting); returned.
    density : bool, optional
        Return mass per unit volume (divide by the cell volume) instead of
        mass per cell.
    outside : {"raise", "drop"}, optional
        Non-periodic only: what to do with particles whose window leaves the
        mesh.  "drop" returns a :class:`Painted` (mesh, dropped mass, count).
    accumulate_dtype : {None, numpy.float64}, optional
        Accumulate a float32 mesh in float64 (one extra float64 mesh) and
        round once at the end.
    bucket : bool, optional
        Counting-sort the particles by cell first (a sorted copy of the
        positions: extra memory) for locality on meshes larger than the cache;
        see :func:`bucket`.  Changes the order of the additions.
    backend : str or Backend, optional
        Array backend; default from the input.

    Returns
    -------
    mesh : array of `shape`, float32 for float32 input else float64
        On the backend of `positions`.  A :class:`Painted` with
        ``outside="drop"``.

    Raises
    ------
    ValueError
        Bad shapes, non-finite positions or weights, particles outside a
        non-periodic mesh (``outside="raise"``), bad `out`.
    TypeError
        Wrong types (scheme, out dtype, cells dtype).
    NotImplementedError
        (cells, offsets) positions or `bucket` on a non-host backend.

    Notes
    -----
    ``mesh[j] = sum_i m_i prod_a W_p(u_ia - j_a - 1/2)`` with ``W_p`` the
    order-``p`` B-spline, ``u = (x - origin)/h``.  Weights are computed in
    float64; each product is rounded to the mesh dtype and added in it.  On
    CPU each thread owns a range of rows of the leading axis, and every mesh
    element receives its additions in an order fixed by the input alone: the
    mesh is the same bit for bit for any number of threads.  Unsorted
    particles on a mesh of 2 MiB or more are first binned by slab of rows,
    2**21 at a time, so that the rows being written stay in cache (then the
    order is by block, slab, particle; see :func:`paint_chunks` for chunked
    painting through `out`).  The
    generic (array-API) path sorts the contributions by cell and sums them
    with a float64 cumulative sum, exact to about ``eps * total mass``; CuPy
    uses ``cupyx.scatter_add`` (not deterministic in the last bits).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import paint
    >>> mesh = paint(np.array([[1.0]]), box_size=4.0, shape=4, scheme="cic")
    >>> mesh
    array([0.5, 0.5, 0. , 0. ])
    >>> paint(np.array([[1.5]]), box_size=4.0, shape=4, scheme="tsc")
    array([0.125, 0.75 , 0.125, 0.   ])
    >>> r = paint(np.array([[0.2]]), box_size=4.0, shape=4, periodic=False, outside="drop")
    >>> r.dropped_mass, r.dropped_count
    (0.3, 1)
    """
    p = _order(scheme)
    check_choice("outside", outside, ("raise", "drop"))
    be = get_backend(backend, like=positions[1] if isinstance(positions, tuple) else positions)
    box_unit = strip(box_size, "box_size")[1]
    pos, cells, ndim = _positions(positions, be, box_unit)
    shape = _shape(shape, ndim)
    if len(shape) != ndim:
        raise ValueError(f"shape must have one entry per position axis ({ndim}); got {shape}")
    box, box_unit, origin, h = _grid(box_size, shape, origin, ndim)
    n = pos.shape[0]
    w, w_unit, w_dt = _weights(weights, n, be, _np_dtype(pos.dtype))
    dt = np.promote_types(_np_dtype(pos.dtype), w_dt)
    if out is not None:
        _check_out(out, shape, be)
        dt = _np_dtype(out.dtype)
    acc_dt = dt
    if accumulate_dtype is not None:
        acc_dt = np.dtype(accumulate_dtype)
        if acc_dt not in (np.float32, np.float64):
            raise ValueError(f"accumulate_dtype must be None, float32 or float64; got {acc_dt}")
        if acc_dt.itemsize < dt.itemsize:
            raise ValueError(f"accumulate_dtype must not be narrower than the mesh dtype {dt}; got {acc_dt}")
    scale = 1.0 / math.prod(h) if density else 1.0
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"periodic must be a bool; got {periodic!r}")
    periodic = bool(periodic)

    if be.on_host:
        if w is not None and w.dtype != acc_dt:
            w = w.astype(acc_dt)  # one copy of the weights: keeps the compiled kernels few
        nout, dropped = _scan(pos, cells, w, origin, h, shape, periodic, p, outside, acc_dt)
        if bucket:
            if cells is not None:
                raise NotImplementedError("bucket=True with (cells, offsets) positions is not supported")
            b = _bucket_host(pos, w, origin, h, shape, want_order=False)
            pos, w = b[0], b[1]
        if out is not None and acc_dt == dt:
            mesh = out
        else:
            mesh = np.zeros(shape, dtype=acc_dt)
        _paint_host(mesh, pos, cells, w, origin, h, shape, periodic, p, scale)
        if mesh is not out:
            if out is not None:
                out += mesh.astype(dt, copy=False)
                mesh = out
            elif acc_dt != dt:
                mesh = mesh.astype(dt)
    else:
        if bucket:
            raise NotImplementedError(f"bucket=True is a CPU option; not supported on the {be.name!r} backend")
        mesh, dropped, nout = _paint_generic(be, pos, w, origin, h, shape, periodic, p, scale, dt, outside, out)
    unit = _out_unit(w_unit, box_unit, ndim, density)
    mesh = attach(mesh, unit)
    if outside == "drop":
        return Painted(mesh, float(dropped), int(nout))
    return mesh


def _out_unit(w_unit, box_unit, ndim, density):
    if w_unit is None and (box_unit is None or not density):
        return None
    import astropy.units as u

    unit = w_unit if w_unit is not None else u.dimensionless_unscaled
    if density and box_unit is not None:
        unit = unit / box_unit**ndim
    return unit


def _paint_host(mesh, pos, cells, w, origin, h, shape, periodic, p, scale, be_threads=1 << 30):
    # weights (or the unused placeholder) come in the mesh dtype
    from . import _numba_assign as nb

    use_cells = cells is not None
    return nb.paint_into(
        mesh.reshape(-1).view(np.ndarray),
        _ro(pos),
        _ro(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)),
        use_cells,
        _ro(w if w is not None else np.zeros(1, mesh.dtype)),
        w is not None,
        float(scale),
        np.asarray(origin, np.float64),
        1.0 / np.asarray(h, np.float64),
        shape,
        periodic,
        p,
        be_threads,
    )


def _bucket_host(pos, w, origin, h, shape, want_order=True):
    from . import _numba_assign as nb

    return nb.bucket(
        _ro(pos), _ro(w if w is not None else np.zeros(1, pos.dtype)), w is not None,
        np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64), shape, want_order,
    )


# --------------------------------------------------------- generic (xp) path
def _taps_generic(be, pos, origin, h, shape, periodic, p, deriv=-1):
    """Per axis: list of (index array int64, weight array float64, valid mask or None)."""
    xp = be.xp
    f64 = be.dtype(np.float64)
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    out = []
    for a, n in enumerate(shape):
        t = (xp.astype(pos[:, a], f64) - origin[a]) / h[a] - shift
        if periodic:
            t = t - n * xp.floor(t / n)
            t = xp.where(t < 0, t + n, t)
            t = xp.where(t >= n, t - n, t)
        else:
            t = xp.clip(t, -float(p + 2), float(n + p + 2))
        c = xp.floor(t)
        f = t - c
        ws = _bspline_xp(xp, p, f, deriv == a)
        taps = []
        for k in range(p):
            j = c + (k - half)
            if periodic:
                j = j - n * xp.floor(j / n)
                valid = None
            else:
                valid = (j >= 0) & (j < n)
                j = xp.where(valid, j, xp.zeros_like(j))
            taps.append((xp.astype(j, be.dtype(np.int64)), ws[k], valid))
        out.append(taps)
    return out


def _bspline_xp(xp, p, f, deriv):
    g = 1.0 - f
    if not deriv:
        if p == 1:
            return [xp.ones_like(f)]
        if p == 2:
            return [g, f]
        if p == 3:
            d = f - 0.5
            return [0.5 * (0.5 - d) ** 2, 0.75 - d * d, 0.5 * (0.5 + d) ** 2]
        return [g**3 / 6.0, (4.0 - 6.0 * f**2 + 3.0 * f**3) / 6.0, (4.0 - 6.0 * g**2 + 3.0 * g**3) / 6.0, f**3 / 6.0]
    if p == 2:
        return [-xp.ones_like(f), xp.ones_like(f)]
    if p == 3:
        d = f - 0.5
        return [-(0.5 - d), -2.0 * d, 0.5 + d]
    return [-0.5 * g * g, (-12.0 * f + 9.0 * f * f) / 6.0, -(-12.0 * g + 9.0 * g * g) / 6.0, 0.5 * f * f]


def _combos(taps, shape):
    """Yield (flat index, weight product, valid) for every tap combination."""
    strides = [math.prod(shape[a + 1 :]) for a in range(len(shape))]

    def rec(a, idx, wt, valid):
        if a == len(shape):
            yield idx, wt, valid
            return
        for j, w, v in taps[a]:
            nidx = j * strides[a] if idx is None else idx + j * strides[a]
            nw = w if wt is None else wt * w
            nv = v if valid is None else (valid if v is None else valid & v)
            yield from rec(a + 1, nidx, nw, nv)

    yield from rec(0, None, None, None)


def _generic_checks(be, pos, w, origin, h, shape, periodic, p, outside):
    xp = be.xp
    bad_x = int(xp.sum(xp.astype(~xp.isfinite(pos), be.dtype(np.int64))))
    bad_w = 0 if w is None else int(xp.sum(xp.astype(~xp.isfinite(w), be.dtype(np.int64))))
    if bad_x or bad_w:
        _raise_scan(bad_x, bad_w, 0, None, None, origin, h, shape, p, outside)
    if periodic:
        return 0
    f64 = be.dtype(np.float64)
    shift = 0.5 if p % 2 == 0 else 0.0
    half = (p - 1) // 2
    outm = None
    for a, n in enumerate(shape):
        t = (xp.astype(pos[:, a], f64) - origin[a]) / h[a] - shift
        c = xp.floor(t)
        f = t - c
        first = c - half
        last = c - half + p - 1
        if p >= 2:
            first = xp.where(f == 1.0, first + 1, first)
            last = xp.where(f == 0.0, last - 1, last)
        o = (first < 0) | (last >= n)
        outm = o if outm is None else outm | o
    nout = int(xp.sum(xp.astype(outm, be.dtype(np.int64))))
    if nout and outside == "raise":
        big = xp.asarray(np.inf, dtype=f64, device=be.device)
        lo = [float(xp.min(xp.where(outm, xp.astype(pos[:, a], f64), big))) for a in range(len(shape))]
        hi = [float(xp.max(xp.where(outm, xp.astype(pos[:, a], f64), -big))) for a in range(len(shape))]
        _raise_scan(0, 0, nout, lo, hi, origin, h, shape, p, outside)
    return nout


def _paint_generic(be, pos, w, origin, h, shape, periodic, p, scale, dt, outside, out):
    xp = be.xp
    f64 = be.dtype(np.float64)
    nout = _generic_checks(be, pos, w, origin, h, shape, periodic, p, outside)
    m = None if w is None else xp.astype(w, f64) * scale
    size = math.prod(shape)
    idx_all, val_all = [], []
    dropped = 0.0
    for idx, wt, valid in _combos(_taps_generic(be, pos, origin, h, shape, periodic, p), shape):
        val = wt * scale if m is None else wt * m
        if valid is not None:
            dropped += float(xp.sum(xp.where(valid, xp.zeros_like(val), val))) / scale
            val = xp.where(valid, val, xp.zeros_like(val))
        idx_all.append(idx)
        val_all.append(val)
    idx = xp.concat(idx_all)
    val = xp.concat(val_all)
    if be.name == "cupy":  # pragma: no cover - needs a GPU
        import cupyx

        flat = xp.zeros(size, dtype=f64)
        cupyx.scatter_add(flat, idx, val)
    else:
        # The array API has no scatter-add: stable sort by cell, float64
        # cumulative sum, and difference at the segment ends found with
        # searchsorted over all cells (exact to ~eps * total mass).
        order = xp.argsort(idx, stable=True)
        sidx = xp.take(idx, order)
        csum = xp.concat([xp.zeros(1, dtype=f64, device=be.device), xp.cumulative_sum(xp.take(val, order))])
        cells = xp.arange(size, dtype=sidx.dtype, device=be.device)
        hi = xp.searchsorted(sidx, cells, side="right")
        lo = xp.searchsorted(sidx, cells, side="left")
        flat = xp.take(csum, hi) - xp.take(csum, lo)
    mesh = xp.astype(xp.reshape(flat, shape), be.dtype(dt))
    if out is not None:
        out[...] = out + mesh
        mesh = out
    return mesh, dropped, nout


# ---------------------------------------------------------------- readout
def _readout_common(mesh, positions, box_size, scheme, periodic, backend, outside):
    p = _order(scheme)
    check_choice("outside", outside, ("raise", "drop"))
    be = get_backend(backend, like=mesh)
    box_unit = strip(box_size, "box_size")[1]
    mesh, mesh_unit = strip(mesh, "mesh")
    mesh = np.asarray(mesh) if be.on_host else be.asarray(mesh)
    pos, cells, ndim = _positions(positions, be, box_unit)
    if mesh.ndim != ndim:
        raise ValueError(f"mesh must have one axis per position coordinate ({ndim}); got mesh.ndim = {mesh.ndim}")
    shape = tuple(int(n) for n in mesh.shape)
    box, box_unit, origin, h = _grid(box_size, shape, 0.0, ndim)
    dt = result_dtype(_np_dtype(mesh.dtype), name="mesh")
    if be.on_host:
        mesh = np.ascontiguousarray(mesh, dtype=dt)
        _scan(pos, cells, None, origin, h, shape, bool(periodic), p, outside, dt)
    else:
        if _np_dtype(mesh.dtype) != dt:
            mesh = be.xp.astype(mesh, be.dtype(dt))
        _generic_checks(be, pos, None, origin, h, shape, bool(periodic), p, outside)
    return p, be, mesh, mesh_unit, pos, cells, ndim, shape, box_unit, origin, h, dt


def readout(mesh, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Interpolate a mesh at particle positions: the adjoint of :func:`paint`.

    Parameters
    ----------
    mesh : array of shape (n_0, ..., n_{d-1}), float
        Cell-centred field (the convention of :func:`paint`).
    positions : array (N, d) or tuple (cells, offsets)
        As in :func:`paint`.
    box_size : float or sequence of d floats
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
    values : array (N,), dtype of the mesh (float32 or float64)

    Raises
    ------
    ValueError
        Shape mismatch, non-finite positions, particles outside a
        non-periodic mesh with ``outside="raise"``.
    TypeError
        Wrong types.

    Notes
    -----
    ``values[i] = sum_j mesh[j] prod_a W_p(u_ia - j_a - 1/2)``, accumulated in
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
    p, be, mesh, unit, pos, cells, ndim, shape, box_unit, origin, h, dt = _readout_common(
        mesh, positions, box_size, scheme, periodic, backend, outside
    )
    vals = _readout_any(be, mesh, pos, cells, origin, h, shape, bool(periodic), p, -1, 1.0, dt)
    return attach(vals, unit)


def readout_gradient(mesh, positions, *, box_size, scheme="cic", periodic=True, outside="raise", backend=None):
    """Gradient of the window interpolant of `mesh` at particle positions.

    The exact derivative of ``readout`` with respect to the position (the
    "energy-conserving" force interpolation of Hockney & Eastwood): for a
    potential mesh ``phi``, the force per unit mass is ``-readout_gradient``.

    Parameters
    ----------
    mesh, positions, box_size, scheme, periodic, outside, backend
        As in :func:`readout`.  `scheme` must be "cic", "tsc" or "pcs" (the
        NGP interpolant is piecewise constant).

    Returns
    -------
    grad : array (N, d), dtype of the mesh
        ``d/dx_a`` of the interpolant, in mesh units per length unit.

    Raises
    ------
    ValueError
        ``scheme="ngp"``, and as :func:`readout`.

    Notes
    -----
    ``grad[i, a] = (1/h_a) sum_j mesh[j] W_p'(u_ia - j_a - 1/2) prod_{b != a} W_p(u_ib - j_b - 1/2)``.
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
    p, be, mesh, unit, pos, cells, ndim, shape, box_unit, origin, h, dt = _readout_common(
        mesh, positions, box_size, scheme, periodic, backend, outside
    )
    cols = [
        _readout_any(be, mesh, pos, cells, origin, h, shape, bool(periodic), p, a, 1.0 / h[a], dt)
        for a in range(ndim)
    ]
    grad = np.stack(cols, axis=1) if be.on_host else be.xp.stack(cols, axis=1)
    if unit is not None and box_unit is not None:
        unit = unit / box_unit
    return attach(grad, unit)


def _readout_any(be, mesh, pos, cells, origin, h, shape, periodic, p, deriv, scale, dt):
    if be.on_host:
        from . import _numba_assign as nb

        use_cells = cells is not None
        vals = np.empty(pos.shape[0], dtype=dt)
        nb.readout_kernel(
            _ro(mesh.reshape(-1)), _ro(pos), _ro(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)),
            use_cells,
            np.asarray(origin, np.float64), 1.0 / np.asarray(h, np.float64), np.asarray(shape, np.int64),
            periodic, p, deriv, float(scale), vals,
        )
        return vals
    xp = be.xp
    f64 = be.dtype(np.float64)
    flat = xp.astype(xp.reshape(mesh, (-1,)), f64)
    acc = None
    for idx, wt, valid in _combos(_taps_generic(be, pos, origin, h, shape, periodic, p, deriv), shape):
        v = xp.take(flat, idx) * wt
        if valid is not None:
            v = xp.where(valid, v, xp.zeros_like(v))
        acc = v if acc is None else acc + v
    return xp.astype(acc * scale, be.dtype(dt))


# ----------------------------------------------------------------- bucket
def bucket(positions, *, box_size, shape, weights=None, origin=0.0, return_index=False):
    """Counting-sort particles by cell for memory locality when painting.

    Parameters
    ----------
    positions : array (N, d), float
        Never modified.
    box_size, shape, origin
        As in :func:`paint`.
    weights : array (N,), optional
        Reordered together with the positions.
    return_index : bool, optional
        Also return the permutation (int64, N).

    Returns
    -------
    positions : array (N, d), same dtype, sorted
    weights : array (N,) or None
    index : array (N,) int64, only with ``return_index=True``
        ``positions_sorted = positions[index]``.

    Notes
    -----
    An O(N) stable counting sort (not an argsort) on the key
    ``(c_0, c_1)`` of the (periodically wrapped) cell indices of the first
    two axes (``c_0`` alone in 1-D), so particles are painted line by line of
    the mesh.  Parallel: per-thread histograms over contiguous chunks of
    particles, a prefix sum in (key, chunk) order and a parallel scatter; the
    result is the unique stable order, the same for any thread count.  Needs
    one sorted copy of the positions (and weights), ``8 N`` bytes for the
    permutation only with ``return_index=True``, and ``8 T n_0 n_1`` bytes
    of histograms (``T`` threads).  Painting input sorted this way is faster
    with several threads: each thread reads only the particles near its
    rows.  CPU backends only.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import bucket
    >>> pos = np.array([[3.5], [0.5], [2.5]])
    >>> bucket(pos, box_size=4.0, shape=4)[0].ravel()
    array([0.5, 2.5, 3.5])
    """
    be = get_backend(None, like=positions)
    if not be.on_host:
        raise NotImplementedError(f"bucket is a CPU function; not supported on the {be.name!r} backend")
    box_unit = strip(box_size, "box_size")[1]
    pos, cells, ndim = _positions(positions, be, box_unit)
    if cells is not None:
        raise NotImplementedError("bucket does not take (cells, offsets) positions")
    shape = _shape(shape, ndim)
    if len(shape) != ndim:
        raise ValueError(f"shape must have one entry per position axis ({ndim}); got {shape}")
    box, box_unit, origin, h = _grid(box_size, shape, origin, ndim)
    w, _, _ = _weights(weights, pos.shape[0], be, pos.dtype)
    _scan(pos, None, w, origin, h, shape, True, 1, "raise")
    sp, sw, order = _bucket_host(pos, w, origin, h, shape, want_order=bool(return_index))
    return (sp, sw, order) if return_index else (sp, sw)


# -------------------------------------------------------------- streaming
def paint_chunks(source, *, box_size, shape, chunk_size=1 << 22, weights=None, dtype=None, **kwargs):
    """Paint a particle set larger than memory, chunk by chunk.

    Parameters
    ----------
    source : array-like (N, d) or iterable
        An array or an h5py dataset (sliced ``source[i:i+chunk_size]``), or an
        iterable yielding position arrays or ``(positions, weights)`` pairs.
    box_size, shape
        As in :func:`paint`.
    chunk_size : int, optional
        Particles read per chunk (sliceable sources).  Default ``2**22``.
    weights : array-like (N,), optional
        With a sliceable source: sliced alongside it (may be an h5py dataset).
    out : array, optional
        Mesh to accumulate into; default a new zero mesh of `dtype`.
    dtype : dtype, optional
        Mesh dtype when `out` is None; default that of the first chunk.
    **kwargs
        Passed to :func:`paint` (scheme, periodic, origin, density,
        accumulate_dtype, bucket, backend).  ``outside="drop"`` sums the
        dropped mass and counts over the chunks.

    Returns
    -------
    mesh : array, or :class:`Painted` with ``outside="drop"``

    Notes
    -----
    Peak memory is the mesh plus one chunk (plus the painter's binning block
    of at most 2**21 particles).  The result equals ``paint`` of the
    concatenated chunks bit for bit on the CPU backends when every chunk but
    the last holds a multiple of 2**21 particles (the default `chunk_size`
    does), and for any chunks on meshes below 2 MiB: every element then
    receives its additions in the same order (see docs/assign.md,
    "Determinism and threads"; not with ``accumulate_dtype`` or ``bucket``).
    Otherwise the two differ by the summation order only.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import paint_chunks
    >>> pos = np.random.default_rng(0).random((1000, 2))
    >>> mesh = paint_chunks(pos, box_size=1.0, shape=(8, 8), chunk_size=300)
    >>> round(float(mesh.sum()), 9)
    1000.0
    """
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    drop = kwargs.get("outside", "raise") == "drop"
    out = kwargs.pop("out", None)
    dropped_mass, dropped_count = 0.0, 0
    sliceable = hasattr(source, "shape") and hasattr(source, "__getitem__")
    if sliceable:
        n = int(source.shape[0])

        def chunks():
            for s in range(0, n, chunk_size):
                yield source[s : s + chunk_size], (None if weights is None else weights[s : s + chunk_size])

        it = chunks()
    else:
        if weights is not None:
            raise ValueError("weights must be None for an iterable source (yield (positions, weights) pairs)")

        def chunks():
            for item in source:
                if isinstance(item, tuple) and len(item) == 2:
                    yield item
                else:
                    yield item, None

        it = chunks()
    for pos, w in it:
        pos = np.asarray(pos)
        if out is None:
            dt = result_dtype(pos.dtype if dtype is None else dtype, name="dtype")
            shp = _shape(shape, pos.shape[1] if pos.ndim == 2 else None)
            out = np.zeros(shp, dtype=dt)
        r = paint(pos, box_size=box_size, shape=shape, weights=None if w is None else np.asarray(w), out=out, **kwargs)
        if drop:
            dropped_mass += r.dropped_mass
            dropped_count += r.dropped_count
    if out is None:
        raise ValueError("source must contain at least one chunk of positions; got an empty source")
    return Painted(out, dropped_mass, dropped_count) if drop else out


# ------------------------------------------------ windows and compensation
def _sinc_half(kh):
    """sin(kh/2) / (kh/2) with the limit 1 at 0."""
    x = 0.5 * np.asarray(kh, dtype=np.float64)
    return np.sinc(x / np.pi)


def window(k, scheme, spacing):
    """Fourier transform of the assignment window, per axis product.

    Parameters
    ----------
    k : array or tuple of d broadcastable arrays, rad / length
        Angular wavenumber(s) (e.g. ``backend.kgrid(shape, spacing)``).
    scheme : {"ngp", "cic", "tsc", "pcs"}
    spacing : float or sequence of d floats
        Cell size ``h`` per axis.

    Returns
    -------
    W : NumPy float64 array
        ``prod_a sinc(k_a h_a / 2) ** p`` (``sinc(x) = sin x / x``).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import window
    >>> float(window(np.pi, "cic", 1.0))   # (2/pi)**2 at the Nyquist wavenumber
    0.4052847345693511
    """
    p = _order(scheme)
    ks = k if isinstance(k, tuple) else (k,)
    hs = as_spacing(spacing, len(ks))
    out = 1.0
    for ka, ha in zip(ks, hs):
        out = out * _sinc_half(np.asarray(ka, dtype=np.float64) * ha) ** p
    return np.asarray(out)


def _aliasing_sum(x, p):
    """Jing (2005) sum_n sinc^{2p}(x + pi n), closed form in s = sin^2 x."""
    s = np.sin(x) ** 2
    if p == 1:
        return np.ones_like(s)
    if p == 2:
        return 1.0 - 2.0 / 3.0 * s
    if p == 3:
        return 1.0 - s + 2.0 / 15.0 * s**2
    return 1.0 - 4.0 / 3.0 * s + 2.0 / 5.0 * s**2 - 4.0 / 315.0 * s**3


def _phase_sum(x, p, m, n, terms):
    """sum_j exp(2 pi i m j / n) sinc^{2p}(x + pi j), |j| <= terms (complex)."""
    j = np.arange(-terms, terms + 1, dtype=np.float64)
    y = x[:, None] + np.pi * j[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(y == 0.0, 1.0, np.sin(y) / np.where(y == 0.0, 1.0, y))
    return (s ** (2 * p) * np.exp(2j * np.pi * m * j / n)[None, :]).sum(axis=1)


def compensate(mesh_k, scheme, *, spacing, shape=None, aliasing=False, interlaced=False, backend=None):
    """Divide a Fourier-space mesh by the assignment window (Jing 2005).

    Parameters
    ----------
    mesh_k : complex array, rfftn layout
        ``rfftn`` of a painted mesh of real shape `shape`.  Not modified.
    scheme : {"ngp", "cic", "tsc", "pcs"}
    spacing : float or sequence of d floats
        Cell size per axis (``box_size / shape``).
    shape : sequence of d ints, optional
        Real-space shape; default assumes an even last axis.
    aliasing : bool, optional
        False (default): divide by ``prod_a sinc^p(k_a h_a/2)``, the field-level
        deconvolution.  True: divide by ``sqrt(sum_n W^2(k + 2 k_N n))``, the
        aliased window power (Jing's form, as nbodykit applies it): per axis
        ``1 - 2/3 s`` (CIC), ``1 - s + 2/15 s^2`` (TSC),
        ``1 - 4/3 s + 2/5 s^2 - 4/315 s^3`` (PCS), ``s = sin^2(k h/2)``.
        Makes the power of a Poisson sample flat (shot-noise dominated
        aliasing).
    interlaced : bool or int, optional
        The mesh came from :func:`paint_interlaced` with that many grids
        (True = 2).  With ``aliasing=True`` only the images that interlacing
        keeps (``sum_a n_a = 0 mod n``) are summed (series, 2 * 64 + 1 terms
        per axis; 4001 for NGP); with ``aliasing=False`` the deconvolution is
        the same sinc^-p.
    backend : str or Backend, optional

    Returns
    -------
    array like `mesh_k`, same complex dtype, on its backend

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import compensate
    >>> mk = np.ones((4, 3), dtype=np.complex128)
    >>> c = compensate(mk, "cic", spacing=1.0)
    >>> round(float(c[0, 2].real), 6)   # 1 / sinc(pi/2)^2
    2.467401
    """
    p = _order(scheme)
    be = get_backend(backend, like=mesh_k)
    xp = be.xp
    mshape = tuple(int(n) for n in mesh_k.shape)
    ndim = len(mshape)
    if shape is None:
        shape = mshape[:-1] + (2 * (mshape[-1] - 1),)
    shape = _shape(shape, ndim)
    if shape[:-1] != mshape[:-1] or shape[-1] // 2 + 1 != mshape[-1]:
        raise ValueError(f"mesh_k must have the rfftn shape of shape={shape}; got shape {mshape}")
    as_spacing(spacing, ndim)  # validated only: the window depends on k h, i.e. on the mode index
    n_int = 0 if interlaced is False else (2 if interlaced is True else check_int("interlaced", interlaced, minimum=2))
    cdt = complex_dtype(np.float32 if _np_dtype(mesh_k.dtype) == np.complex64 else np.float64)
    # per-axis host tables from the integer mode index (exact phases), then moved explicitly
    xs = []
    for a, n in enumerate(shape):
        m = np.arange(n // 2 + 1) if a == ndim - 1 else np.fft.fftfreq(n, 1.0 / n)
        xs.append(np.pi * m / n)  # k h / 2
    if not aliasing:
        facs = [np.sinc(x / np.pi) ** (-p) for x in xs]
        total = _outer(facs)
    elif not n_int:
        total = _outer([_aliasing_sum(x, p) ** -0.5 for x in xs])
    else:
        terms = 2000 if p == 1 else 64
        acc = 0.0
        for mm in range(n_int):
            acc = acc + _outer([_phase_sum(x, p, mm, n_int, terms) for x in xs])
        total = (acc.real / n_int) ** -0.5
    t = be.asarray(np.ascontiguousarray(total), copy=True) if not be.on_host else total
    t = xp.astype(t, be.dtype(cdt)) if not be.on_host else t.astype(cdt)
    return mesh_k * t


def _outer(facs):
    out = facs[0]
    for f in facs[1:]:
        out = np.multiply.outer(out, f)
    return out


def paint_interlaced(
    positions,
    *,
    box_size,
    shape,
    scheme="cic",
    interlacing=2,
    weights=None,
    origin=0.0,
    compensated=False,
    aliasing=False,
    density=False,
    accumulate_dtype=None,
    backend=None,
):
    """Paint on `interlacing` shifted periodic grids, combined in Fourier space.

    Parameters
    ----------
    positions, box_size, shape, scheme, weights, origin, density, accumulate_dtype, backend
        As in :func:`paint` (always periodic).
    interlacing : int, optional
        Number of grids ``n >= 1``; grid ``m`` is shifted by ``m h / n`` along
        every axis.  Default 2 (the standard half-cell shift).
    compensated : bool, optional
        Also divide by the window (:func:`compensate` with ``interlaced=n``).
    aliasing : bool, optional
        Passed to :func:`compensate`.

    Returns
    -------
    mesh_k : complex array, rfftn layout of `shape`
        ``(1/n) sum_m rfftn(mesh_m) * exp(i k . s_m)``, ``s_m = m h / n``.
        complex64 for float32 input.

    Notes
    -----
    Grid ``m`` holds the field shifted by ``-s_m``, so its image
    ``k + 2 pi N / h`` (``N`` an integer vector) carries the phase
    ``exp(-2 pi i m sum_a N_a / n)`` after the shift is undone; the average
    keeps only the images with ``sum_a N_a = 0 mod n``.  For ``n = 2`` all the
    images adjacent to the fundamental (the leading aliasing) cancel.
    Memory: two real meshes and one complex mesh.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.assign import paint_interlaced
    >>> pos = np.random.default_rng(1).random((500, 3))
    >>> mk = paint_interlaced(pos, box_size=1.0, shape=(8, 8, 8))
    >>> mk.shape, round(float(mk[0, 0, 0].real), 9)
    ((8, 8, 5), 500.0)
    """
    n_int = check_int("interlacing", interlacing, minimum=1)
    be = get_backend(backend, like=positions)
    xp = be.xp
    ndim = len(shape) if np.ndim(shape) else int(positions.shape[1])
    shp = _shape(shape, ndim)
    box, _, org, h = _grid(box_size, shp, origin, ndim)
    acc = None
    for m in range(n_int):
        o = tuple(oa - m * ha / n_int for oa, ha in zip(org, h))
        mesh = paint(positions, box_size=box_size, shape=shp, scheme=scheme, weights=weights, origin=o,
                     density=density, accumulate_dtype=accumulate_dtype, backend=be)
        mesh, _ = strip(mesh, "mesh")
        mk = be.rfftn(mesh)
        if m:
            ks = be.kgrid(shp, h, rfft=True)
            ph = None
            for a in range(ndim):
                t = ks[a] * (m * h[a] / n_int)
                ph = t if ph is None else ph + t
            cdt = be.dtype(_np_dtype(mk.dtype))
            rot = xp.astype(xp.cos(ph), cdt) + xp.astype(xp.sin(ph), cdt) * 1j
            mk = mk * xp.astype(rot, cdt)
        acc = mk if acc is None else acc + mk
    if n_int > 1:
        acc = acc / n_int
    if compensated:
        acc = compensate(acc, scheme, spacing=h, shape=shp, aliasing=aliasing,
                         interlaced=(n_int if n_int > 1 else False), backend=be)
    return acc
