"""Files in and out: spectrum files, particle snapshots, meshes with units and provenance, batch runs.

====================================  ======================================================
module                                job
====================================  ======================================================
:mod:`fieldconv.io.snapshot`          Gadget-2/3/4, SWIFT and generic HDF5 particle
                                      snapshots, read in chunks; :func:`paint_snapshot`
:mod:`fieldconv.io.snapshot_writer`   :func:`write_snapshot`: the Gadget and SWIFT layouts
:mod:`fieldconv.io.mesh`              meshes, potentials, forces and spectra in HDF5: units
                                      on every dataset, the grid, provenance, fletcher32
:mod:`fieldconv.io.provenance`        input checksums, canonical parameters, task keys
:mod:`fieldconv.io.steps`             the jobs: paint, poisson, convolve, smooth (one file
                                      in, one file out)
:mod:`fieldconv.io.manifest`          the record of finished batch outputs, safe under
                                      concurrency and crashes
:mod:`fieldconv.io.batch`             batch runs from a TOML config: resume by hash,
                                      parallel processes, dry run, summary
``_jcamp``, ``_spectrum_csv``,        spectrum files: JCAMP-DX, CSV, HDF5 collections
``_spectrum_hdf5``
====================================  ======================================================

Every file is written through :func:`fieldconv._atomic.atomic_path` (the
target holds the old or the whole new file, never a partial one), and every
reader raises :class:`FileFormatError`, naming the file and the dataset, for
a truncated, corrupt or inconsistent file.  No argument parsing here: the
command line (:mod:`fieldconv.cli`) is a thin layer over these functions.

Examples
--------
>>> import fieldconv.io as fio
>>> sorted(fio.STEPS)
['convolve', 'paint', 'poisson', 'smooth']
"""

from ._errors import FileFormatError
from ._jcamp import read_jcamp, write_jcamp
from ._spectrum_csv import read_csv, write_csv
from ._spectrum_hdf5 import read_hdf5, write_hdf5
from .batch import BatchInterrupted, BatchSummary, load_config, plan, run_batch
from .manifest import Manifest
from .mesh import Grid, MeshFile, read_mesh, read_spectra, write_mesh, write_spectra
from .provenance import file_sha256, task_key
from .snapshot import Snapshot, paint_snapshot, snapshot_files
from .snapshot_writer import write_snapshot
from .steps import STEPS, run_convolve, run_paint, run_poisson, run_smooth, run_step

__all__ = [
    "FileFormatError",
    "read_jcamp",
    "write_jcamp",
    "read_csv",
    "write_csv",
    "read_hdf5",
    "write_hdf5",
    "Snapshot",
    "snapshot_files",
    "paint_snapshot",
    "write_snapshot",
    "Grid",
    "MeshFile",
    "write_mesh",
    "read_mesh",
    "write_spectra",
    "read_spectra",
    "file_sha256",
    "task_key",
    "STEPS",
    "run_step",
    "run_paint",
    "run_poisson",
    "run_convolve",
    "run_smooth",
    "Manifest",
    "load_config",
    "plan",
    "run_batch",
    "BatchSummary",
    "BatchInterrupted",
]
