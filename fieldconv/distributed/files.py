"""HDF5 files in the distributed mode: each rank reads its share of a snapshot, rank 0 writes the mesh.

Reading: the particles of all files of a snapshot (a single file, or the
pieces ``base.0.hdf5 .. base.{n-1}.hdf5`` of a multi-file Gadget/SWIFT
snapshot) are numbered in file order and split into ``P`` contiguous,
equal ranges; rank ``r`` reads the hyperslabs of the files its range covers,
with its own ``h5py`` handle (independent I/O on a shared read-only file:
with as many files as ranks or more, a rank reads mostly whole files).  No
MPI-IO driver is needed, and the ``h5py`` wheels have none: reads of
disjoint hyperslabs need no coordination, and collective MPI-IO only pays
for writes or for many small reads.  Only the files' metadata (dataset
shapes, the header) is read by every rank.

Writing: each field is gathered on rank 0 (:meth:`DistributedMesh.gather`,
one block at a time) and written there by :func:`fieldconv.io.write_mesh`
(atomically, a ``units`` attribute on every dataset, the grid, provenance):
:func:`fieldconv.io.read_mesh` reads it unchanged.  Rank 0 must hold the global arrays
(for a mesh that does not fit one node, see ``docs/distributed.md``: one
file per rank joined by a virtual dataset is not implemented yet).

A failure on any rank (a missing file, a missing dataset, NaN positions) is
raised on every rank with the rank's message, never a hang.

This is the distributed mode's own minimal reader and writer (the generic
and Gadget/SWIFT layouts: ``PartTypeN/Coordinates``, ``Masses`` or the
header's ``MassTable``, ``Header/BoxSize``), kept small until the serial
HDF5 layer (:mod:`fieldconv.io`, issue 15) offers reads of a particle range.
Writing goes through that layer.
"""

import os
import re

import numpy as np

from .agreement import agree_on_errors, same_on_all_ranks

__all__ = ["snapshot_files", "read_particles", "write_fields"]


def snapshot_files(path):
    """The files of a snapshot: ``[path]``, or every piece of a multi-file ``base.i.hdf5`` snapshot.

    Parameters
    ----------
    path : str, os.PathLike or sequence of them
        One file, any piece ``base.i.hdf5`` of a multi-file snapshot (its
        ``Header/NumFilesPerSnapshot`` says how many), or a list of files.

    Returns
    -------
    list of str

    Raises
    ------
    FileNotFoundError
        A file that does not exist.

    Examples
    --------
    >>> import os, tempfile, h5py
    >>> d = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     with h5py.File(os.path.join(d, f"snap.{i}.hdf5"), "w") as f:
    ...         f.create_group("Header").attrs["NumFilesPerSnapshot"] = 2
    >>> [os.path.basename(p) for p in snapshot_files(os.path.join(d, "snap.1.hdf5"))]
    ['snap.0.hdf5', 'snap.1.hdf5']
    """
    import h5py

    if not isinstance(path, (str, os.PathLike)):
        files = [os.fspath(p) for p in path]
    else:
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"snapshot file {path!r} does not exist")
        with h5py.File(path, "r") as f:
            nfiles = int(f["Header"].attrs.get("NumFilesPerSnapshot", 1)) if "Header" in f else 1
        m = re.fullmatch(r"(.*)\.(\d+)\.(hdf5|h5)", path)
        files = [f"{m.group(1)}.{i}.{m.group(3)}" for i in range(nfiles)] if nfiles > 1 and m else [path]
    for p in files:
        if not os.path.exists(p):
            raise FileNotFoundError(f"snapshot file {p!r} does not exist")
    return files


def _masses_of(f, positions, masses):
    """Masses dataset name, or one float for every particle of this file."""
    if masses is not None:
        return masses
    m = re.fullmatch(r"PartType(\d+)/Coordinates", positions)
    if m:
        if f"PartType{m.group(1)}/Masses" in f:
            return f"PartType{m.group(1)}/Masses"
        table = f["Header"].attrs.get("MassTable") if "Header" in f else None
        if table is not None and float(table[int(m.group(1))]) > 0:
            return float(table[int(m.group(1))])
    return 1.0


def read_particles(path, mesh, *, positions="PartType1/Coordinates", masses=None):
    """This rank's share of the particles of a snapshot.  Collective.

    Parameters
    ----------
    path : str, os.PathLike or sequence of them
        The snapshot (see :func:`snapshot_files`).
    mesh : DistributedMesh
        Its communicator decides the shares.
    positions : str
        Dataset of the positions, shape (N, d) with ``d = mesh.ndim``.
    masses : str or float, optional
        Dataset of the masses (N,), or one mass for all.  Default: the
        ``Masses`` dataset beside Gadget/SWIFT coordinates, else the header's
        ``MassTable`` entry, else 1.0.

    Returns
    -------
    positions : ndarray (n, d), the file's dtype
        Rank ``r`` gets the particles ``[r N / P, (r + 1) N / P)`` in file order.
    masses : ndarray (n,), float64

    Raises
    ------
    FileNotFoundError, KeyError, ValueError, OSError
        On every rank, naming the file and the rank that failed: a missing
        file or dataset, positions of the wrong shape, non-finite positions
        or masses, a read error.
    """
    import h5py

    comm = mesh.comm
    with agree_on_errors(comm, "read_particles: snapshot files and counts"):
        files = snapshot_files(path)
        counts = []
        for p in files:
            with h5py.File(p, "r") as f:
                if positions not in f:
                    raise KeyError(f"{p}: no dataset {positions!r} (positions=)")
                shape = f[positions].shape
                if len(shape) != 2 or shape[1] != mesh.ndim:
                    raise ValueError(f"{p}: {positions} must have shape (N, {mesh.ndim}); got {shape}")
                counts.append(int(shape[0]))
                dtype = np.dtype(f[positions].dtype)
    same_on_all_ranks(comm, "the snapshot's files, particle counts and dtype", (files, counts, dtype.str))
    total = sum(counts)
    lo, hi = mesh.rank * total // mesh.size, (mesh.rank + 1) * total // mesh.size
    pos_parts, mass_parts = [], []
    with agree_on_errors(comm, "read_particles: read this rank's share"):
        start = 0
        for p, n in zip(files, counts):
            a, b = max(lo, start) - start, min(hi, start + n) - start
            start += n
            if a >= b:
                continue
            with h5py.File(p, "r") as f:
                pos = f[positions][a:b]  # a hyperslab, read by this rank alone
                m = _masses_of(f, positions, masses)
                w = np.asarray(f[m][a:b], dtype=np.float64) if isinstance(m, str) else np.full(b - a, float(m))
            if w.shape != (b - a,):
                raise ValueError(f"{p}: masses must have shape ({n},); got {w.shape[:1]} for {b - a} particles")
            if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(w))):
                raise ValueError(f"{p}: positions and masses must be finite; particles {a}..{b} contain NaN or inf")
            pos_parts.append(pos)
            mass_parts.append(w)
        pos = np.concatenate(pos_parts) if pos_parts else np.empty((0, mesh.ndim), dtype)  # one dtype on all ranks
        w = np.concatenate(mass_parts) if mass_parts else np.empty(0)
    return pos, w


def write_fields(path, fields, mesh, *, units=None, attrs=None, root=0, grid=None, dataset_attrs=None,
                 provenance=None, compression="gzip", whole=None):
    """Gather distributed fields and write them to one HDF5 file on `root`.  Collective.

    Parameters
    ----------
    path : str or os.PathLike
        Output file (written atomically by `root`).
    fields : dict of str -> ndarray or Quantity, ``mesh.local_shape``, or a tuple of them
        This rank's blocks, one dataset each; a tuple (the components of a
        vector field) is written stacked along a first axis, as serial
        fieldconv writes ``forces`` (shape ``(d, *mesh.shape)``).
    mesh : DistributedMesh
    units : dict of str -> str, optional
        The ``units`` attribute per dataset for plain arrays (a Quantity's
        own unit wins); default ``""`` (code units).
    attrs : dict, optional
        Run parameters, recorded in the file's provenance.  The grid is the
        mesh's (``/grid``: shape, box, origin, spacing, length unit, periodic,
        cell-centred): the layout of :func:`fieldconv.io.write_mesh`.
    root : int
    grid : fieldconv.io.Grid, optional
        The grid to record instead of the mesh's (the same shape, box and
        origin; a length unit, say).
    dataset_attrs : dict of str -> dict, optional
        Attributes per dataset, as :func:`fieldconv.io.write_mesh`'s `attrs`.
    provenance : dict, optional
        The provenance record instead of one made from `attrs`
        (``fieldconv.io.run_poisson`` writes the serial job's, plus ``ranks``).
    compression : {"gzip", None}
        As :func:`fieldconv.io.write_mesh`.
    whole : dict of str -> ndarray, optional
        Datasets already whole on `root` (per-particle values, say), written
        beside the fields with their `units`; ignored on the other ranks.

    Returns
    -------
    str or None
        The path on `root`, None elsewhere.

    Raises
    ------
    OSError, ValueError
        On every rank, when `root` cannot write the file or a block has the
        wrong shape.
    """
    units = dict(units or {})
    gathered = {}
    for name, value in fields.items():  # collective: every rank gathers every field, in the same order
        comps = [mesh.gather(b, root=root) for b in (value if isinstance(value, (tuple, list)) else [value])]
        if mesh.rank == root:
            unit = getattr(comps[0], "unit", None)
            plain = [np.asarray(getattr(c, "value", c)) for c in comps]
            full = np.stack(plain) if isinstance(value, (tuple, list)) else plain[0]
            gathered[name] = (full, unit)
    if mesh.rank == root:
        gathered.update({name: (np.asarray(a), None) for name, a in (whole or {}).items()})
    with agree_on_errors(mesh.comm, f"write_fields: write {os.fspath(path)!r} on rank {root}"):
        if mesh.rank == root:
            _write(path, gathered, mesh, units, attrs,
                   dict(grid=grid, attrs=dataset_attrs, provenance=provenance, compression=compression))
    return os.fspath(path) if mesh.rank == root else None


def _write(path, gathered, mesh, units, attrs, options):
    """Rank 0: the gathered fields as a serial fieldconv mesh file (:func:`fieldconv.io.write_mesh`)."""
    from ..io import Grid, make_provenance, write_mesh

    grid = options["grid"]
    if grid is None:
        grid = Grid(mesh.shape, mesh.box_size, mesh.origin, "" if mesh.unit is None else mesh.unit.to_string())
    elif tuple(grid.shape) != mesh.shape or not np.array_equal(grid.box_size, mesh.box_size):
        raise ValueError(f"grid must have the mesh's shape {mesh.shape} and box {mesh.box_size}; got {grid!r}")
    fields = {name: full for name, (full, _unit) in gathered.items()}
    unit_of = {name: (unit.to_string() if unit is not None else str(units.get(name, "")))
               for name, (_full, unit) in gathered.items()}
    prov = options["provenance"]
    if prov is None:
        prov = make_provenance("distributed", {"ranks": int(mesh.size), **(attrs or {})}, [])
    write_mesh(path, fields, grid=grid, units=unit_of, attrs=options["attrs"], provenance=prov,
               compression=options["compression"])
