"""Painting: particle masses onto a cell-centred mesh (the adjoint of readout), whole or in chunks."""

import math
from typing import NamedTuple

import numpy as np

from .._dtypes import np_dtype, result_dtype
from .._units import attach, is_quantity, product
from .._validate import check_choice, check_int
from ..backend import get_backend
from ._generic import paint_generic
from ._inputs import (
    cells_of,
    check_mesh_out,
    check_periodic,
    grid,
    length_unit,
    mesh_shape,
    positions_of,
    read_only,
    scan,
    scheme_order,
    weights_of,
)

__all__ = ["Painted", "paint", "paint_chunks"]


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
    p = scheme_order(scheme)
    check_choice("outside", outside, ("raise", "drop"))
    periodic = check_periodic(periodic)
    be = get_backend(backend, like=positions[1] if isinstance(positions, tuple) else positions)
    unit = length_unit(box_size, positions, origin)
    pos, cells, ndim = positions_of(positions, be, unit)
    shape = mesh_shape(shape, ndim)
    if len(shape) != ndim:
        raise ValueError(f"shape must have one entry per position axis ({ndim}); got {shape}")
    cells = cells_of(cells, shape, periodic)
    box, box_unit, origin, h = grid(box_size, shape, origin, ndim, unit)
    n = pos.shape[0]
    w, w_unit, w_dt = weights_of(weights, n, be, np_dtype(pos.dtype))
    dt = np.promote_types(np_dtype(pos.dtype), w_dt)
    if out is not None:
        out = getattr(out, "value", out)
        check_mesh_out(out, shape, be)
        dt = np_dtype(out.dtype)
    acc_dt = dt
    if accumulate_dtype is not None:
        acc_dt = np.dtype(accumulate_dtype)
        if acc_dt not in (np.float32, np.float64):
            raise ValueError(f"accumulate_dtype must be None, float32 or float64; got {acc_dt}")
        if acc_dt.itemsize < dt.itemsize:
            raise ValueError(f"accumulate_dtype must not be narrower than the mesh dtype {dt}; got {acc_dt}")
    scale = 1.0 / math.prod(h) if density else 1.0

    if be.on_host:
        if w is not None and w.dtype != acc_dt:
            w = w.astype(acc_dt)  # one copy of the weights: keeps the compiled kernels few
        if bucket and cells is not None:
            raise NotImplementedError("bucket=True with (cells, offsets) positions is not supported")
        if out is not None and acc_dt == dt:
            mesh = out
        else:
            mesh = np.zeros(shape, dtype=acc_dt)
        with be.kernel_threads():
            nout, dropped = scan(pos, cells, w, origin, h, shape, periodic, p, outside, acc_dt)
            if bucket:
                from ._bucket import bucket_host

                pos, w = bucket_host(pos, w, origin, h, shape, want_order=False)[:2]
            _paint_host(mesh, pos, cells, w, origin, h, shape, periodic, p, scale, be.threads)
        if mesh is not out:
            if out is not None:
                out += mesh.astype(dt, copy=False)
                mesh = out
            elif acc_dt != dt:
                mesh = mesh.astype(dt)
    else:
        if bucket:
            raise NotImplementedError(f"bucket=True is a CPU option; not supported on the {be.name!r} backend")
        mesh, dropped, nout = paint_generic(be, pos, w, origin, h, shape, periodic, p, scale, dt, outside, out)
    unit = _out_unit(w_unit, box_unit, ndim, density)
    mesh = attach(mesh, unit)
    if outside == "drop":
        return Painted(mesh, float(dropped), int(nout))
    return mesh



def _out_unit(w_unit, box_unit, ndim, density):
    """Unit of the mesh: the weights' unit, per ``box_unit**ndim`` for a density."""
    return product(w_unit, (box_unit if density else None, -ndim))


def _paint_host(mesh, pos, cells, w, origin, h, shape, periodic, p, scale, nthreads):
    # weights (or the unused placeholder) come in the mesh dtype
    from . import _compiled_paint

    use_cells = cells is not None
    return _compiled_paint.paint_into(
        mesh.reshape(-1).view(np.ndarray),
        read_only(pos),
        read_only(cells if use_cells else np.zeros((0, pos.shape[1]), np.int64)),
        use_cells,
        read_only(w if w is not None else np.zeros(1, mesh.dtype)),
        w is not None,
        float(scale),
        np.asarray(origin, np.float64),
        1.0 / np.asarray(h, np.float64),
        shape,
        periodic,
        p,
        nthreads,
    )



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
    if weights is not None and np.ndim(weights) == 0:
        raise ValueError("weights must have shape (N,); got a scalar (scale the result instead)")
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
    unit = None
    for pos, w in it:
        pos = pos if is_quantity(pos) else np.asarray(pos)  # h5py datasets and lists become arrays
        w = None if w is None else (w if is_quantity(w) else np.asarray(w))
        if out is None:
            dt = result_dtype(pos.dtype, name="source") if dtype is None else result_dtype(dtype, name="dtype")
            shp = mesh_shape(shape, pos.shape[1] if pos.ndim == 2 else None)
            out = np.zeros(shp, dtype=dt)
        r = paint(pos, box_size=box_size, shape=shape, weights=w, out=out, **kwargs)
        mesh = r.mesh if drop else r
        unit = getattr(mesh, "unit", None)
        if drop:
            dropped_mass += r.dropped_mass
            dropped_count += r.dropped_count
    if out is None:
        raise ValueError("source must contain at least one chunk of positions; got an empty source")
    out = attach(out, unit)
    return Painted(out, dropped_mass, dropped_count) if drop else out


