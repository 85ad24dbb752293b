"""The distributed mesh: global grid, process grid, each rank's block, the FFT plans.

A :class:`DistributedMesh` is a periodic cell-centred grid (the grid of
:func:`fieldconv.paint` and :class:`fieldconv.PoissonSolver`) split into
blocks over the ranks of a communicator, the way mpi4py-fft's distributed
real-to-complex FFT splits it:

* **slab** (process grid ``(P, 1, 1)``): rank ``r`` owns rows
  ``[s_r, s_r + n_r)`` of axis 0 in real space (``n_r = n_0 // P``, the
  first ``n_0 % P`` ranks one more) and a block of the last (half-length)
  axis in Fourier space.  One global transpose per FFT.
* **pencil** (process grid ``(P_0, P_1, 1)``, 3-D only): axes 0 and 1 are
  split in real space; in Fourier space axis 1 is split ``P_0`` ways and the
  last axis ``P_1`` ways.  Two transposes per FFT, each within a row or
  column of the process grid; needed when ``P`` exceeds a slab's limits.

``decomposition="auto"`` takes a slab when every rank gets at least one row
and one Fourier plane, else the most square pencil grid that fits.  A mesh
too small for the ranks raises ``ValueError`` on every rank before any MPI
call (the check depends on the arguments only).

The mesh duplicates its communicator (:attr:`comm`), so its messages never
meet the caller's.  Creating one is collective; :meth:`close` frees it
(collective too).
"""

import math

import numpy as np

from .._dtypes import result_dtype
from .._units import strip, strip_like
from .._validate import as_spacing, check_choice, check_int
from ..backend import default_threads
from ..backend import planner_effort as _planner_effort
from ._mpi import default_comm, mpi4py_fft
from .agreement import abort_on_error, agree_on_errors, same_on_all_ranks
from .blocks import BlockGrid
from .messages import MAX_MESSAGE_BYTES, check_message_bytes, exchange_bytes
from .threads import rank_thread_count

__all__ = ["DistributedMesh", "process_grid", "DECOMPOSITIONS"]

DECOMPOSITIONS = ("auto", "slab", "pencil")


def _pairs(size):
    """Factor pairs (d0, d1), d0 * d1 = size, d0 >= d1, most square first."""
    out = [(size // d, d) for d in range(1, int(math.isqrt(size)) + 1) if size % d == 0]
    return sorted(out, key=lambda p: p[0] - p[1])


def _fits(shape, dims):
    """Empty list if every rank's real and Fourier blocks are non-empty, else the violated rules.

    mpi4py-fft (``collapse=True``) splits real space along the axes of the
    process grid; in Fourier space a slab ``(P, 1[, 1])`` is split along the
    last (half-length) axis, a pencil ``(P_0, P_1, 1)`` along axis 1 (``P_0``
    ways) and the last axis (``P_1`` ways).
    """
    nk = shape[-1] // 2 + 1
    last = len(shape) - 1
    rules = [(shape[a], d, f"shape[{a}]") for a, d in enumerate(dims) if d > 1]
    split = [a for a, d in enumerate(dims) if d > 1]
    if len(split) == 2:
        rules += [(shape[1], dims[0], "shape[1] (Fourier space)"), (nk, dims[1], f"shape[{last}] // 2 + 1 (Fourier space)")]
    elif split:
        rules += [(nk, dims[split[0]], f"shape[{last}] // 2 + 1 (Fourier space)")]
    return [f"{what} = {n} >= {d}" for n, d, what in rules if n < d]


def process_grid(shape, size, decomposition="auto"):
    """Process grid for a mesh of `shape` over `size` ranks.

    Parameters
    ----------
    shape : tuple of 2 or 3 ints
    size : int
        Number of ranks.
    decomposition : {"auto", "slab", "pencil"} or tuple of ints
        An explicit grid is ``(P_0,)`` or ``(P_0, P_1)`` with the product
        `size` (3-D only for two entries).

    Returns
    -------
    dims : tuple of ints, one per axis (the last is 1)
    kind : {"slab", "pencil"}

    Raises
    ------
    ValueError
        A grid that leaves some rank without a block: the message names the
        axis, its length and the number of ranks along it.
    NotImplementedError
        A 1-D mesh (mpi4py-fft distributes 2-D and 3-D transforms).

    Examples
    --------
    >>> from fieldconv.distributed.decomposition import process_grid
    >>> process_grid((64, 64, 64), 4)
    ((4, 1, 1), 'slab')
    >>> process_grid((64, 64, 4), 4)      # 3 Fourier planes: too few for 4 slabs
    ((2, 2, 1), 'pencil')
    >>> process_grid((3, 12, 4), 4, "slab")
    Traceback (most recent call last):
    ...
    ValueError: shape (3, 12, 4) is too small for a slab decomposition over 4 ranks: it needs shape[0] = 3 >= 4, shape[2] // 2 + 1 (Fourier space) = 3 >= 4; use fewer ranks, a larger mesh or decomposition='pencil'
    """
    shape = tuple(shape)
    ndim = len(shape)
    if ndim == 1:
        raise NotImplementedError(
            "a 1-D mesh is not distributed (mpi4py-fft splits 2-D and 3-D transforms); "
            "use the serial solver, or a 2-D or 3-D mesh"
        )
    if ndim not in (2, 3):
        raise ValueError(f"shape must have 2 or 3 entries; got {shape}")
    size = check_int("size", size, minimum=1)
    tail = (1,) * (ndim - 1)
    if size == 1 and isinstance(decomposition, str):
        check_choice("decomposition", decomposition, DECOMPOSITIONS)
        return (1,) * ndim, "slab"  # one rank owns the whole mesh, whatever was asked
    if not isinstance(decomposition, str):
        grid = tuple(check_int("decomposition", d, minimum=1) for d in decomposition)
        if not 1 <= len(grid) <= ndim - 1 or math.prod(grid) != size:
            raise ValueError(
                f"decomposition as a process grid must have 1 to {ndim - 1} entries whose product is the "
                f"number of ranks {size}; got {grid}"
            )
        dims = grid + (1,) * (ndim - len(grid))
        bad = _fits(shape, dims)
        if bad:
            raise ValueError(f"shape {shape} is too small for the process grid {grid}: it needs {', '.join(bad)}")
        return dims, "pencil" if sum(d > 1 for d in dims) == 2 else "slab"
    check_choice("decomposition", decomposition, DECOMPOSITIONS)
    slab = (size,) + tail
    bad_slab = _fits(shape, slab)
    if decomposition in ("auto", "slab") and not bad_slab:
        return slab, "slab"
    hint = "use fewer ranks, a larger mesh"
    if decomposition == "slab" or ndim == 2:
        extra = " or decomposition='pencil'" if ndim == 3 else ""
        raise ValueError(
            f"shape {shape} is too small for a slab decomposition over {size} ranks: it needs "
            f"{', '.join(bad_slab)}; {hint}{extra}"
        )
    tried = []
    for d0, d1 in _pairs(size):
        if d1 == 1:
            continue  # (P, 1) is the slab, tried above
        for dims in dict.fromkeys(((d0, d1, 1), (d1, d0, 1))):
            bad = _fits(shape, dims)
            if not bad:
                return dims, "pencil"
            tried.append(f"{dims[0]} x {dims[1]} needs {', '.join(bad)}")
    pencils = f"pencils: {'; '.join(tried)}" if tried else f"no pencil grid ({size} is prime)"
    raise ValueError(
        f"shape {shape} is too small for {size} ranks: a slab needs {', '.join(bad_slab)}; {pencils}; {hint}"
    )


class DistributedMesh:
    """A periodic cell-centred mesh split into blocks over the ranks of a communicator.

    Parameters
    ----------
    shape : tuple of 2 or 3 ints, each >= 2
        Global mesh shape.
    box_size : float, sequence of floats or Quantity, length units
        Box length per axis.
    origin : float or sequence, optional
        Lower corner of cell 0 (default 0), in the unit of `box_size`.
    comm : mpi4py intracommunicator, optional
        Default ``MPI.COMM_WORLD``.  Duplicated; the duplicate is :attr:`comm`.
    decomposition : {"auto", "slab", "pencil"} or tuple of ints, optional
        See :func:`process_grid`.  Default "auto".
    dtype : {float64, float32}, optional
        Working dtype of the FFTs planned at creation (others are planned on
        first use).  Default float64.
    threads : int, optional
        Threads per rank for numba kernels and FFTW; default
        ``FIELDCONV_NUM_THREADS`` when set, else this rank's share of its
        node (:func:`~fieldconv.distributed.threads.thread_share`).
    planner_effort : str, optional
        FFTW planner flag of mpi4py-fft's plans; default as the serial
        backend (``FIELDCONV_FFTW_PLANNER``, else ``FFTW_MEASURE``).
    max_message_bytes : int, optional
        Largest single MPI message (default ``2**30``; at most ``2**31 - 1``).

    Attributes
    ----------
    shape, ndim, box_size, spacing, origin, unit, dtype
        The global grid (``spacing = box_size / shape``; `unit` the length
        unit of a Quantity `box_size`, else None).
    comm, size, rank
        The mesh's communicator (a duplicate) and this rank in it.
    grid, decomposition, decomposed_axes
        The process grid, "slab" or "pencil", the axes split in real space.
    local_slice, local_start, local_shape
        This rank's real-space block of the global array.
    blocks : BlockGrid
        Every rank's block; who owns a cell.
    k_slice, k_shape
        This rank's block of the global ``rfftn``-layout array.
    threads, max_message_bytes, planner_effort

    Raises
    ------
    ValueError
        Bad shape, box or origin, a mesh too small for the ranks, arguments
        that differ between ranks (raised on every rank).
    TypeError
        A non-integer shape, a complex dtype, `comm` not an intracommunicator.
    NotImplementedError
        A 1-D mesh.
    BackendUnavailableError
        mpi4py or mpi4py-fft missing (the message says how to install them).

    Examples
    --------
    Run under ``mpiexec -n 2 python script.py``::

        from fieldconv.distributed import DistributedMesh
        mesh = DistributedMesh((64, 64, 64), box_size=100.0)
        mesh.local_slice    # (slice(0, 32), slice(0, 64), slice(0, 64)) on rank 0
    """

    def __init__(
        self,
        shape,
        box_size,
        *,
        origin=0.0,
        comm=None,
        decomposition="auto",
        dtype=np.float64,
        threads=None,
        planner_effort=None,
        max_message_bytes=MAX_MESSAGE_BYTES,
    ):
        mpi4py_fft()  # BackendUnavailableError with the install hint, before anything else
        comm = default_comm(comm)
        with agree_on_errors(comm, "DistributedMesh: check arguments"):
            if np.ndim(shape) != 1:
                raise ValueError(f"shape must be a sequence of 2 or 3 ints; got {shape!r}")
            shape = tuple(check_int("shape", n, minimum=2) for n in shape)
            dims, kind = process_grid(shape, comm.Get_size(), decomposition)
            box, unit = strip(box_size, "box_size")
            box = as_spacing(box, len(shape), name="box_size")
            org = origin if np.ndim(origin) else (origin,) * len(shape)
            if len(org) != len(shape):
                raise ValueError(f"origin must be a scalar or have one entry per axis ({len(shape)}); got {len(org)}")
            org = tuple(float(strip_like(o, f"origin[{i}]", unit, ref_name="box_size")) for i, o in enumerate(org))
            if not all(math.isfinite(o) for o in org):
                raise ValueError(f"origin must be finite; got {org}")
            dt = result_dtype(dtype, name="dtype")
            effort = _planner_effort(planner_effort)
            if threads is not None:
                threads = check_int("threads", threads, minimum=1)
            default_threads()  # raises here, on every rank alike, for a bad FIELDCONV_NUM_THREADS
            max_message_bytes = check_message_bytes(max_message_bytes)
        same_on_all_ranks(comm, "the DistributedMesh arguments (shape, box_size, origin, dtype, process grid)",
                          (shape, box, org, str(dt), dims))
        self.shape, self.ndim, self.box_size, self.origin, self.unit = shape, len(shape), box, org, unit
        self.spacing = tuple(b / n for b, n in zip(box, shape))  # the serial grid's h, same expression
        self.dtype = dt
        self.grid, self.decomposition = dims, kind
        self.decomposed_axes = tuple(a for a, d in enumerate(dims) if d > 1)  # BlockGrid agrees (checked below)
        self.planner_effort = effort
        self.max_message_bytes = max_message_bytes
        self.threads = rank_thread_count(comm, threads)
        self.comm = comm.Dup()
        self.size, self.rank = self.comm.Get_size(), self.comm.Get_rank()
        self._ffts = {}
        with abort_on_error(self.comm, "DistributedMesh: process grid and FFT plans"):
            from mpi4py_fft.pencil import Subcomm

            self._subcomm = Subcomm(self.comm, list(dims))
            fft = self.fft(dt)
            real = tuple((s.start, s.stop) for s in fft.local_slice(False))
            spec = tuple((s.start, s.stop) for s in fft.local_slice(True))
            blocks = self.comm.allgather(real)
        self.blocks = BlockGrid(shape, blocks)  # every rank's real block, owners, neighbours
        self.local_slice = tuple(slice(a, b) for a, b in real)
        self.local_start = tuple(a for a, _ in real)
        self.local_shape = tuple(b - a for a, b in real)
        self.k_slice = tuple(slice(a, b) for a, b in spec)
        self.k_shape = tuple(b - a for a, b in spec)
        with agree_on_errors(self.comm, "DistributedMesh: check the blocks"):
            if self.blocks.decomposed_axes != self.decomposed_axes:  # pragma: no cover - mpi4py-fft changed
                raise RuntimeError(f"mpi4py-fft split axes {self.blocks.decomposed_axes}, expected {self.decomposed_axes}")
            if min(self.local_shape) < 1 or min(self.k_shape) < 1:
                raise ValueError(  # process_grid's rules and mpi4py-fft's layout disagree: say so, don't hang
                    f"rank {self.rank} has an empty block (real {self.local_shape}, Fourier {self.k_shape}) "
                    f"for shape {shape} on the process grid {dims}"
                )

    # ------------------------------------------------------------ layout
    def block(self, rank):
        """((start, stop) per axis) of `rank`'s real-space block."""
        return self.blocks.block(rank)

    def owners(self, cells):
        """Rank owning each cell (see :meth:`BlockGrid.owners`)."""
        return self.blocks.owners(cells)

    def fft(self, dtype=None):
        """mpi4py-fft's ``PFFT`` for this mesh and `dtype` (planned once; collective on first use)."""
        dt = self.dtype if dtype is None else result_dtype(dtype, name="dtype")
        fft = self._ffts.get(dt)
        if fft is None:
            from mpi4py_fft import PFFT

            with abort_on_error(self.comm, "plan the distributed FFT"):
                fft = PFFT(self._subcomm, self.shape, axes=tuple(range(self.ndim)), dtype=dt, collapse=True,
                           threads=self.threads, planner_effort=self.planner_effort)
            self._ffts[dt] = fft
        return fft

    # ------------------------------------------------------------ arrays
    def zeros(self, dtype=None):
        """A zero local block (`local_shape`, `dtype`, default the mesh dtype)."""
        return np.zeros(self.local_shape, dtype=self.dtype if dtype is None else dtype)

    def local_view(self, array):
        """This rank's block of a global array every rank holds (a copy, C-contiguous)."""
        array = np.asarray(array)
        if tuple(array.shape) != self.shape:
            raise ValueError(f"array must have the global shape {self.shape}; got {tuple(array.shape)}")
        return np.ascontiguousarray(array[self.local_slice])

    def gather(self, block, root=0):
        """Assemble the global array on `root` from every rank's block.  Collective.

        Parameters
        ----------
        block : array, `local_shape`
        root : int

        Returns
        -------
        ndarray of `shape` on `root` (dtype of the blocks), None elsewhere.

        Notes
        -----
        Memory on `root`: the global array plus one block (the blocks arrive
        one after the other).  Messages are chunked below ``max_message_bytes``.
        """
        block, unit = strip(block, "block")
        with agree_on_errors(self.comm, "gather: check the block"):
            block = np.ascontiguousarray(block)
            if tuple(block.shape) != self.local_shape:
                raise ValueError(f"block must have this rank's shape {self.local_shape}; got {tuple(block.shape)}")
        same_on_all_ranks(self.comm, "the dtype of the gathered blocks", str(block.dtype))
        out = np.empty(self.shape, dtype=block.dtype) if self.rank == root else None
        with abort_on_error(self.comm, "gather"):
            for r in range(self.size):  # one block at a time: root holds the result and one block
                region = tuple(slice(a, b) for a, b in self.block(r))
                nbytes = math.prod(sl.stop - sl.start for sl in region) * block.dtype.itemsize
                sends = [(root, block.view(np.uint8).reshape(-1))] if self.rank == r else []
                recvs = [(r, nbytes)] if self.rank == root else []
                got = exchange_bytes(self.comm, sends, recvs, max_message_bytes=self.max_message_bytes)
                if self.rank == root:
                    out[region] = got[0].view(block.dtype).reshape(tuple(sl.stop - sl.start for sl in region))
        if out is not None and unit is not None:
            from .._units import attach

            out = attach(out, unit)
        return out

    def scatter(self, array, root=0):
        """Every rank's block of a global array held on `root`.  Collective.

        Parameters
        ----------
        array : array of `shape` on `root` (ignored elsewhere)
        root : int

        Returns
        -------
        ndarray, `local_shape`, the dtype of `array`
        """
        with agree_on_errors(self.comm, "scatter: check the array"):
            if self.rank == root:
                array = np.asarray(array)
                if tuple(array.shape) != self.shape:
                    raise ValueError(f"array must have the global shape {self.shape}; got {tuple(array.shape)}")
                result_dtype(array.dtype, name="array")
        dt = np.dtype(self.comm.bcast(str(array.dtype) if self.rank == root else None, root=root))
        mine = None
        with abort_on_error(self.comm, "scatter"):
            for r in range(self.size):  # one block at a time: root holds the input and one block
                region = tuple(slice(a, b) for a, b in self.block(r))
                sends = []
                if self.rank == root:
                    sends = [(r, np.ascontiguousarray(array[region], dtype=dt).view(np.uint8).reshape(-1))]
                recvs = [(root, math.prod(sl.stop - sl.start for sl in region) * dt.itemsize)] if self.rank == r else []
                got = exchange_bytes(self.comm, sends, recvs, max_message_bytes=self.max_message_bytes)
                if self.rank == r:
                    mine = got[0].view(dt).reshape(self.local_shape)
        return mine

    def close(self):
        """Free the mesh's communicators and plans.  Collective; the mesh is unusable afterwards."""
        if getattr(self, "comm", None) is None:
            return
        self._ffts.clear()
        self._subcomm.destroy()
        self.comm.Free()
        self.comm = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return (
            f"DistributedMesh(shape={self.shape}, box_size={self.box_size}, {self.decomposition} "
            f"{'x'.join(map(str, self.grid))}, rank {getattr(self, 'rank', '?')} of {getattr(self, 'size', '?')}, "
            f"local_slice={getattr(self, 'local_slice', None)})"
        )
