"""Files in and out: spectrum files, particle snapshots, meshes with units and provenance, batch runs.

======================  ==============================================================
private module          job
======================  ==============================================================
``_jcamp``              JCAMP-DX spectrum files (:func:`read_jcamp`, :func:`write_jcamp`)
``_spectrum_csv``       CSV spectrum files (:func:`read_csv`, :func:`write_csv`)
``_spectrum_hdf5``      spectra in HDF5 with astropy units (:func:`read_hdf5`,
                        :func:`write_hdf5`; fieldconv 0.1 files are read too)
``_spectrum_files``     any spectrum file, by extension (:func:`read_spectra`)
``_snapshot``           Gadget-2/3/4, SWIFT and generic HDF5 particle snapshots, read in
                        chunks (:class:`Snapshot`, :func:`paint_snapshot`)
``_snapshot_writer``    :func:`write_snapshot`: the Gadget and SWIFT layouts
``_example_data``       built-in data: a Plummer sphere snapshot and its closed-form
                        acceleration (:func:`write_plummer_snapshot`)
``_mesh``               meshes, potentials and forces in HDF5: units on every dataset, the
                        grid, provenance, fletcher32 (:func:`write_mesh`, :func:`read_mesh`)
``_h5``                 guarded HDF5 access: every failure a :class:`FileFormatError`
``_provenance``         input checksums, canonical parameters, task keys
``_steps``              the jobs: paint, poisson, convolve, smooth (one file in, one out)
``_manifest``           the record of finished batch outputs, safe under concurrency and
                        crashes
``_batch``              batch runs from a TOML config: resume by hash, parallel processes,
                        dry run, summary
======================  ==============================================================

Every file is written through :func:`fieldconv._atomic.atomic_path` (the
target holds the old or the whole new file, never a partial one), and every
reader raises :class:`~fieldconv.errors.FileFormatError`, naming the file and
the dataset, for a truncated, corrupt or inconsistent file.  No argument
parsing here: the command line (:mod:`fieldconv.cli`) is a thin layer over
these functions.

Arrays: files are read into and written from host memory (NumPy), so these
functions take no ``backend=``; the operators they call (painting, Poisson
solves, convolutions) run on the default CPU backend with the threads of
:func:`fieldconv.backend.threads` (batch workers: ``cores // jobs`` each).

Examples
--------
>>> import fieldconv.io as fio
>>> sorted(fio.STEPS)
['convolve', 'paint', 'poisson', 'smooth']
"""

from ..errors import FileFormatError
from ._batch import BatchConfig, BatchInterrupted, BatchSummary, StepConfig, Task, TaskResult, load_config, plan, run_batch
from ._example_data import plummer_acceleration, write_plummer_snapshot
from ._jcamp import read_jcamp, write_jcamp
from ._manifest import Manifest
from ._mesh import Grid, MeshFile, read_mesh, write_mesh
from ._provenance import file_sha256, input_record, make_provenance, task_key
from ._snapshot import ParticleChunk, Snapshot, paint_snapshot, snapshot_files
from ._snapshot_writer import write_snapshot
from ._spectrum_csv import read_csv, write_csv
from ._spectrum_files import read_spectra
from ._spectrum_hdf5 import read_hdf5, write_hdf5
from ._steps import STEPS, PoissonSetup, Step, poisson_setup, run_convolve, run_paint, run_poisson, run_smooth, run_step

__all__ = [
    "FileFormatError",
    # spectrum files
    "read_jcamp",
    "write_jcamp",
    "read_csv",
    "write_csv",
    "read_hdf5",
    "write_hdf5",
    "read_spectra",
    # snapshots
    "Snapshot",
    "ParticleChunk",
    "snapshot_files",
    "paint_snapshot",
    "write_snapshot",
    "write_plummer_snapshot",
    "plummer_acceleration",
    # meshes
    "Grid",
    "MeshFile",
    "write_mesh",
    "read_mesh",
    "make_provenance",
    "input_record",
    "file_sha256",
    "task_key",
    # jobs
    "Step",
    "STEPS",
    "PoissonSetup",
    "poisson_setup",
    "run_step",
    "run_paint",
    "run_poisson",
    "run_convolve",
    "run_smooth",
    # batch runs
    "Manifest",
    "load_config",
    "plan",
    "run_batch",
    "BatchConfig",
    "StepConfig",
    "Task",
    "TaskResult",
    "BatchSummary",
    "BatchInterrupted",
]
