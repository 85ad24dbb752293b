"""Particles to the ranks that own their cells, and results back to where they came from.

:func:`route` is the particle exchange of the distributed mode.  For each
particle it computes the grid coordinate exactly as the serial kernels do
(``t = (x - origin) / h - shift`` in float64, wrapped into ``[0, n)`` by the
same floor/modulo), takes the base cell ``floor(t)`` of the window, and
sends the particle to the rank owning that cell; the window then fits in the
owner's block extended by its ghost layers (:mod:`.ghosts`).  Particles
exactly on a rank boundary, at ``x = L`` or many boxes away go where serial
painting puts their base cell.

The exchange moves only positions and weights (the input dtype, one record
per particle), counts in int64 and splits messages below MPI's limit
(:mod:`.messages`).  Each rank remembers how it sorted its particles and how
many it sent to and received from each rank, so :meth:`RoutedParticles.to_home`
returns per-particle results (readout values, forces) to the particles' home
ranks in their original order.

On the owner, the coordinate along a split axis becomes the coordinate in
the extended block in cell units (``t - (s - lo) + shift``, one rounding of
order ``eps * n_ext``, none at all for NGP); along the other axes the
position is kept as given, so that the serial kernels recompute the serial
coordinate bit for bit.
"""

import numpy as np

from .._dtypes import result_dtype
from .._units import strip, strip_like
from .._windows import scheme_order
from .agreement import abort_on_error, agree_on_errors, same_on_all_ranks
from .ghosts import GhostLayout
from .messages import exchange_bytes, exchange_counts

__all__ = ["RoutedParticles", "route", "wrapped_coordinate"]

_CHUNK = 1 << 20  # particles per pass when computing destinations (bounds the temporaries)


def _shift(p):
    return 0.5 if p % 2 == 0 else 0.0


def wrapped_coordinate(x, origin, h, n, shift):
    """The serial kernels' wrapped grid coordinate ``t`` (float64), vectorised.

    ``t = (x - origin) * (1/h) - shift``; outside ``[0, n)`` it is reduced with
    ``t - n floor(t/n)`` and nudged into range, as in
    ``fieldconv._numba_assign._cell``: the same operations in the same order,
    so the same bits.
    """
    invh = 1.0 / np.float64(h)
    t = (np.asarray(x, dtype=np.float64) - np.float64(origin)) * invh - shift
    nf = float(n)
    bad = ~((t >= 0.0) & (t < nf))
    if bad.any():
        tb = t[bad]
        tb = tb - nf * np.floor(tb / nf)
        tb = np.where(tb < 0.0, tb + nf, tb)
        tb = np.where(tb >= nf, tb - nf, tb)
        tb = np.where((tb >= 0.0) & (tb < nf), tb, 0.0)
        t[bad] = tb
    return t


class RoutedParticles:
    """Particles held by the rank that owns their base cell, for one mesh and scheme.

    Created by :func:`route`; used by :func:`~fieldconv.distributed.paint`,
    :func:`~fieldconv.distributed.readout` and ``readout_gradient``, which
    accept it in place of positions, so one exchange serves a paint and any
    number of readouts.

    Attributes
    ----------
    mesh : DistributedMesh
    scheme : str
    layout : GhostLayout
        The extended block the local particles paint into.
    positions : ndarray (n_local, d), float64
        Local-frame coordinates (see the module notes), sorted by cell
        unless routed with ``sort=False``.
    weights : ndarray (n_local,) or None
        In the input dtype.
    dtype : numpy dtype
        The serial paint's mesh dtype for this input (float32 for float32
        positions and weights, else float64).
    n_home : int
        Particles this rank passed to :func:`route`.
    n_local : int
        Particles this rank holds now.
    unit, weight_unit
        Length unit of the positions (the mesh's) and unit of the weights,
        or None.
    """

    def __init__(self, mesh, scheme, p, layout, positions, weights, dtype, order, cell_order, n_home, send_counts,
                 recv_counts, unit, weight_unit):
        self.mesh, self.scheme, self.p, self.layout = mesh, scheme, p, layout
        self.positions, self.weights, self.dtype = positions, weights, dtype
        # order: home particles by destination (None: already so); cell_order: arrivals by cell (None: unsorted)
        self._order, self._cell_order = order, cell_order
        self._send_counts, self._recv_counts = send_counts, recv_counts
        self.n_home = int(n_home)
        self.n_local = int(positions.shape[0])
        self.unit, self.weight_unit = unit, weight_unit

    def local_box(self):
        """(box_size, origin) for the serial kernels on the extended block (see the module notes)."""
        return _local_box(self.mesh, self.layout), 0.0

    def to_home(self, values):
        """Per-particle `values` (n_local, ...) back to the home ranks, original order.  Collective.

        Returns
        -------
        ndarray (n_home, ...), the dtype of `values`
        """
        mesh = self.mesh
        with agree_on_errors(mesh.comm, "return results to the particles' home ranks"):
            values = np.asarray(values)
            if values.ndim < 1 or values.shape[0] != self.n_local:
                raise ValueError(f"values must have one row per local particle ({self.n_local}); got shape {values.shape}")
            if self._cell_order is not None:  # back from cell order to the order of arrival
                arrived = np.empty_like(values)
                arrived[self._cell_order] = values
                values = arrived
            values = np.ascontiguousarray(values)
        same_on_all_ranks(mesh.comm, "the dtype and trailing shape of the returned values",
                          (str(values.dtype), values.shape[1:]))
        item = values.dtype.itemsize * int(np.prod(values.shape[1:], dtype=np.int64))
        sends, off = [], 0
        for src, cnt in enumerate(self._recv_counts):
            if cnt:
                sends.append((src, values[off : off + cnt].view(np.uint8).reshape(-1)))
            off += int(cnt)
        recvs = [(dst, int(cnt) * item) for dst, cnt in enumerate(self._send_counts) if cnt]
        ordered = np.empty((self.n_home,) + values.shape[1:], dtype=values.dtype)
        with abort_on_error(mesh.comm, "return results to the particles' home ranks"):
            exchange_bytes(mesh.comm, sends, recvs, max_message_bytes=mesh.max_message_bytes,
                           out=ordered.reshape(-1).view(np.uint8))
        if self._order is None:
            return ordered
        out = np.empty_like(ordered)
        out[self._order] = ordered
        return out


def _check_input(positions, weights, mesh):
    pos = strip_like(positions, "positions", mesh.unit, ref_name="the mesh's box_size")
    pos = np.asarray(pos)
    if pos.ndim != 2 or pos.shape[1] != mesh.ndim:
        raise ValueError(f"positions must have shape (N, {mesh.ndim}) for a {mesh.ndim}-D mesh; got shape {pos.shape}")
    pdt = result_dtype(pos.dtype, name="positions")
    pos = np.ascontiguousarray(pos, dtype=pdt)
    bad = int(np.count_nonzero(~np.isfinite(pos)))
    if bad:
        raise ValueError(f"positions must be finite; got {bad} non-finite coordinates")
    w = wunit = None
    if weights is not None:
        w, wunit = strip(weights, "weights")
        if np.ndim(w) == 0:
            raise ValueError("weights must have shape (N,); got a scalar (scale the result instead)")
        w = np.asarray(w)
        if w.shape != (pos.shape[0],):
            raise ValueError(f"weights must have shape (N,) = ({pos.shape[0]},); got shape {w.shape}")
        w = np.ascontiguousarray(w, dtype=result_dtype(w.dtype, name="weights"))
        bad = int(np.count_nonzero(~np.isfinite(w)))
        if bad:
            raise ValueError(f"weights must be finite; got {bad} non-finite weights")
    return pos, w, wunit


def _destinations(pos, mesh, p):
    """Owner rank of each particle's base cell (int64), computed in chunks."""
    split = mesh.decomposed_axes
    dest = np.zeros(pos.shape[0], dtype=np.int64)
    if not split:
        return dest
    shift = _shift(p)
    for s in range(0, pos.shape[0], _CHUNK):
        part = pos[s : s + _CHUNK]
        cells = np.empty((part.shape[0], len(split)), dtype=np.int64)
        for j, a in enumerate(split):
            t = wrapped_coordinate(part[:, a], mesh.origin[a], mesh.spacing[a], mesh.shape[a], shift)
            cells[:, j] = np.floor(t)
        dest[s : s + _CHUNK] = mesh.owners(cells)
    return dest


def _local_frame(pos, mesh, layout, p):
    """float64 (n, d): split axes in extended-block cell units (+ shift), others x - origin."""
    out = np.empty(pos.shape, dtype=np.float64)
    shift = _shift(p)
    for a in range(mesh.ndim):
        if a in mesh.decomposed_axes:
            t = wrapped_coordinate(pos[:, a], mesh.origin[a], mesh.spacing[a], mesh.shape[a], shift)
            # t - s is exact (s <= floor(t)); one rounding when adding lo + shift
            out[:, a] = (t - mesh.local_start[a]) + (layout.lo[a] + shift)
        else:
            out[:, a] = pos[:, a].astype(np.float64) - mesh.origin[a]  # the serial kernel's own first step
    return out


def route(positions, mesh, *, scheme="cic", weights=None, sort=True):
    """Send each particle to the rank that owns its base cell.  Collective.

    Parameters
    ----------
    positions : array (N, d) or Quantity, float, length units
        This rank's particles (any split of the particle set over the ranks;
        N may be 0).  Never modified.
    mesh : DistributedMesh
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        The window the particles will be painted or read out with (it sets
        the base cell and the ghost widths).  Default "cic".
    weights : array (N,) or Quantity, optional
        Masses; default 1 each.  Given on every rank or on none.
    sort : bool, optional
        Sort each rank's particles by cell (:func:`fieldconv.assign.bucket`,
        O(n)) after the exchange, for memory locality: readout of random
        particles on a 128^3 block runs 7x faster sorted.  Painting then adds
        in another order (round-off); readout values do not change at all.
        Default True.

    Raises
    ------
    ValueError
        Bad shapes, non-finite positions or weights, a scheme or dtype that
        differs between ranks: raised on every rank.
    TypeError
        Wrong types (scheme, dtype).

    Notes
    -----
    Memory per rank (``N`` particles in, ``M`` held afterwards, ``d`` axes,
    item size ``b`` of the positions, ``w = 1`` with weights): ``10 N``
    bytes of destinations and sort keys while sorting, ``8 N`` of sort order
    kept for :meth:`~RoutedParticles.to_home` (none when the input is already
    in destination order, e.g. on one rank), a send buffer of
    ``N (d + w) b`` bytes freed on return, and ``M (d + w) b`` received plus
    ``8 M d`` for the local coordinates (the received records are freed);
    sorting holds a second copy of the coordinates and weights briefly and
    keeps an ``8 M`` byte permutation.
    """
    comm = mesh.comm
    with agree_on_errors(comm, "route particles: check the input"):
        p = scheme_order(scheme)
        pos, w, wunit = _check_input(positions, weights, mesh)
    same_on_all_ranks(comm, "scheme, positions dtype and whether weights are given",
                      (p, str(pos.dtype), None if w is None else str(w.dtype)))
    layout = GhostLayout(mesh.blocks, mesh.rank, p)
    with agree_on_errors(comm, "route particles: sort by destination"):
        dest = _destinations(pos, mesh, p)
        send_counts = np.bincount(dest, minlength=mesh.size).astype(np.int64)
        order = None  # input already in destination order (one rank, or sorted input): no permutation
        if dest.size > 1 and not bool(np.all(dest[1:] >= dest[:-1])):
            # a stable sort by destination; NumPy sorts 16-bit keys by radix, O(N), 4x faster than int64 here
            key = dest.astype(np.int16) if mesh.size <= np.iinfo(np.int16).max else dest
            order = np.argsort(key, kind="stable")
            del key
        del dest
        fields = [("x", pos.dtype, (mesh.ndim,))] + ([("w", w.dtype)] if w is not None else [])
        rec = np.dtype(fields)
        buf = np.empty(pos.shape[0], dtype=rec)
        for s in range(0, pos.shape[0], _CHUNK):  # gathered in chunks: no full-size temporary
            idx = slice(s, s + _CHUNK) if order is None else order[s : s + _CHUNK]
            buf["x"][s : s + _CHUNK] = pos[idx]
            if w is not None:
                buf["w"][s : s + _CHUNK] = w[idx]
    with abort_on_error(comm, "route particles: exchange"):
        recv_counts = exchange_counts(comm, send_counts)
        sends, off = [], 0
        raw = buf.view(np.uint8).reshape(-1)
        for r, cnt in enumerate(send_counts):
            if cnt:
                sends.append((r, raw[off * rec.itemsize : (off + cnt) * rec.itemsize]))
            off += int(cnt)
        recvs = [(r, int(cnt) * rec.itemsize) for r, cnt in enumerate(recv_counts) if cnt]
        data = np.empty(int(recv_counts.sum()), dtype=rec)
        exchange_bytes(comm, sends, recvs, max_message_bytes=mesh.max_message_bytes,
                       out=data.view(np.uint8).reshape(-1))
    del buf, raw, sends
    with agree_on_errors(comm, "route particles: local coordinates"):
        local = _local_frame(data["x"], mesh, layout, p)
        lw = np.ascontiguousarray(data["w"]) if w is not None else None
        del data
        dt = result_dtype(pos.dtype) if w is None else np.promote_types(pos.dtype, w.dtype)
        cell_order = None
        if sort and local.shape[0] > 1:
            local, lw, cell_order = _sort_by_cell(local, lw, mesh, layout)
    return RoutedParticles(mesh, scheme.lower(), p, layout, local, lw, np.dtype(dt), order, cell_order,
                           pos.shape[0], send_counts, recv_counts, mesh.unit, wunit)


def _sort_by_cell(local, weights, mesh, layout):
    """Counting sort of the local particles by cell of the extended block (serial bucket)."""
    from ..assign import bucket
    from .threads import rank_threads

    with rank_threads(mesh.threads):
        return bucket(local, box_size=_local_box(mesh, layout), shape=layout.ext_shape, weights=weights,
                      return_index=True)


def _local_box(mesh, layout):
    """Box of the extended block in the local frame: its length in cells along split axes, else the box."""
    return tuple(float(layout.ext_shape[a]) if a in mesh.decomposed_axes else mesh.box_size[a]
                 for a in range(mesh.ndim))
