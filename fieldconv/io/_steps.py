"""The jobs of fieldconv's batch runs and command line: one input file in, one HDF5 file out.

=========  ==============  ========================================================
step       input           output datasets (each with a ``units`` attribute)
=========  ==============  ========================================================
paint      snapshot        ``density`` (or ``mass`` per cell with ``density=False``)
poisson    snapshot        ``density``, ``potential``, ``forces`` (d, *shape); with
                           ``particles=True`` also ``particles/<species>/acceleration``
convolve   mesh file       the dataset convolved with a smoothing kernel
smooth     spectra file    ``spectra/<name>/axis`` and ``spectra/<name>/y``
=========  ==============  ========================================================

Each job validates its parameters (:meth:`Step.normalize`: defaults filled
in, unknown names refused), reads its input through :mod:`fieldconv.io`,
calls the operators (:func:`fieldconv.paint_chunks`,
:class:`fieldconv.PoissonSolver`, :func:`fieldconv.readout`,
:func:`fieldconv.convolve`, :func:`fieldconv.savgol_filter`) and writes its
output with :func:`~fieldconv.io.write_mesh`, atomically, with the
grid and a provenance record (exact parameters, input checksums, the task
key).  The functions :func:`run_paint`, :func:`run_poisson`,
:func:`run_convolve` and :func:`run_smooth` run one job; the batch driver
(:func:`~fieldconv.io.run_batch`) and the command line call them.

Units
-----
Snapshots carry code units (:attr:`Snapshot.units`); outputs are written in
them: density ``M / L**3``, potential ``(L / T)**2``, forces
``L / T**2`` with ``T = L / V``.  The gravitational constant defaults to
``astropy.constants.G`` in those units when the length and mass units are
known, else to 1 (and the datasets get units "", code units).
"""

import math
import os
import time
from typing import NamedTuple

import numpy as np

from . import _h5
from ._provenance import canonical, input_record, make_provenance, task_key

__all__ = ["Step", "STEPS", "get_step", "PoissonSetup", "poisson_setup", "run_step", "run_paint", "run_poisson", "run_convolve", "run_smooth"]

_REQUIRED = object()


# --------------------------------------------------------------- parameter checks
def _int(minimum=None):
    def check(name, v):
        from .._validate import check_int

        return check_int(name, v, minimum=minimum)

    return check


def _bool(name, v):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be true or false; got {v!r}")
    return bool(v)


def _choice(*choices):
    def check(name, v):
        if not any(v == c and type(v) is type(c) for c in choices):
            opts = ", ".join(repr(c) for c in choices)
            raise ValueError(f"{name} must be one of {opts}; got {v!r}")
        return v

    return check


def _optional(inner):
    def check(name, v):
        return None if v is None else inner(name, v)

    return check


def _shape(name, v):
    from .._validate import check_int

    if isinstance(v, (list, tuple)):
        if not 1 <= len(v) <= 3:
            raise ValueError(f"{name} must have 1, 2 or 3 entries; got {len(v)}")
        return [check_int(name, n, minimum=2) for n in v]
    return check_int(name, v, minimum=2)


def _real(name, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {v}")
    return v


def _reals(name, v):
    """A number, a list of numbers, or a string with units ("100 Mpc")."""
    if isinstance(v, str):
        return _quantity_text(name, v)
    if isinstance(v, (list, tuple)):
        return [_real(f"{name}[{i}]", x) for i, x in enumerate(v)]
    return _real(name, v)


def _quantity_text(name, text):
    import astropy.units as u

    try:
        q = u.Quantity(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number or a quantity string such as '100 Mpc'; got {text!r}") from exc
    if not np.all(np.isfinite(q.value)):
        raise ValueError(f"{name} must be finite; got {text!r}")
    return text


def _str(name, v):
    if not isinstance(v, str) or not v:
        raise TypeError(f"{name} must be a non-empty string; got {v!r}")
    return v


def _dict(name, v):
    if not isinstance(v, dict):
        raise TypeError(f"{name} must be a table (dict); got {type(v).__name__}")
    return canonical(v, name)


def _ptypes(name, v):
    if isinstance(v, (list, tuple)):
        return [_int(0)(f"{name}[{i}]", t) for i, t in enumerate(v)]
    return [_int(0)(name, v)]


def _check_mode(name, v):
    if v is True or v is False or v == "finite":
        return v
    raise ValueError(f"{name} must be true, false or 'finite'; got {v!r}")


def _dtype(name, v):
    return _choice("float32", "float64")(name, v)


def _units(name, v):
    v = _dict(name, v)
    for k, x in v.items():
        if k not in ("length", "mass", "velocity", "time") or not isinstance(x, str):
            raise ValueError(f"{name} must map 'length', 'mass', 'velocity', 'time' to unit strings; got {k!r}: {x!r}")
    return v


_SNAPSHOT_PARAMS = {
    "shape": (_REQUIRED, _shape),
    "scheme": ("cic", _choice("ngp", "cic", "tsc", "pcs")),
    "ptypes": (None, _optional(_ptypes)),
    "dtype": (None, _optional(_dtype)),
    "chunk_size": (1 << 22, _int(1)),
    "box_size": (None, _optional(_reals)),
    "origin": (0.0, _reals),
    "units": (None, _optional(_units)),
    "positions": (None, _optional(_str)),
    "masses": (None, _optional(lambda n, v: v if isinstance(v, str) else _real(n, v))),
    "check": (True, _check_mode),
    "outside": ("raise", _choice("raise", "drop")),
    "compression": ("gzip", _optional(_choice("gzip"))),
}


class Step(NamedTuple):
    """A job: its name, the kind of input it reads, its parameters and its function.

    Attributes
    ----------
    name : str
    input_kind : {"snapshot", "mesh", "spectra"}
    params : dict of str -> (default, check)
        ``default`` is the module's required marker for required parameters.
    run : callable
        ``run(input_path, output_path, params, provenance, progress=False) -> dict``.
    """

    name: str
    input_kind: str
    params: dict
    run: object

    def normalize(self, params):
        """`params` checked, with defaults filled in, as canonical JSON types.

        Raises
        ------
        ValueError
            An unknown or missing parameter, or a bad value (the message
            names the step and the parameter).
        TypeError
            A value of the wrong type.
        """
        if not isinstance(params, dict):
            raise TypeError(f"parameters of step {self.name!r} must be a table (dict); got {type(params).__name__}")
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValueError(f"step {self.name!r} has no parameter {unknown[0]!r}; its parameters are "
                             f"{', '.join(sorted(self.params))}")
        out = {}
        for key, (default, check) in self.params.items():
            if key in params:
                out[key] = check(f"{self.name}.{key}", params[key])
            elif default is _REQUIRED:
                raise ValueError(f"step {self.name!r} needs parameter {key!r}")
            else:
                out[key] = default
        return canonical(out, f"{self.name} parameters")


# ---------------------------------------------------------------- the jobs
def _open_snapshot(path, p):
    from ._snapshot import Snapshot

    box = p["box_size"]
    if isinstance(box, str):
        import astropy.units as u

        box = u.Quantity(box)
    return Snapshot(path, ptypes=p["ptypes"], positions=p["positions"], masses=p["masses"], box_size=box,
                    units=p["units"], check=p["check"])


def _origin(snap, p):
    o = p["origin"]
    if isinstance(o, str):
        import astropy.units as u

        q = u.Quantity(o)
        if snap.units["length"] is None:
            raise ValueError("origin has units but the snapshot's length unit is unknown: give units={length=...}")
        return q.to_value(snap.units["length"])
    return o


def _grid(snap, p, periodic):
    from ._mesh import Grid

    shape = p["shape"]
    if isinstance(shape, int):
        shape = [shape] * snap.ndim
    if len(shape) != snap.ndim:
        raise ValueError(f"shape must have one entry per coordinate ({snap.ndim}); got {shape}")
    length = snap.units["length"]
    return Grid(tuple(shape), snap.box_size, _origin(snap, p), "" if length is None else length, periodic)


def _unit_text(unit):
    return "" if unit is None else _h5.units_string(unit)


def _mesh_units(snap, density):
    L, M = snap.units["length"], snap.units["mass"]
    if L is None or M is None:
        return ""
    return _unit_text(M / L**snap.ndim if density else M)


def _painted(snap, p, grid, density, progress=False):
    from ._snapshot import paint_snapshot

    if snap.box_size is None:
        raise ValueError(f"{snap.files[0]}: the snapshot has no box size (BoxSize missing or 0); "
                         "give the box_size parameter")
    res = paint_snapshot(snap, shape=grid.shape, scheme=p["scheme"], density=density, dtype=p["dtype"],
                         chunk_size=p["chunk_size"], periodic=grid.periodic, origin=grid.origin,
                         outside=p["outside"] if not grid.periodic else "raise", progress=progress)
    if p["outside"] == "drop" and not grid.periodic:
        return res.mesh, {"dropped_mass": res.dropped_mass, "dropped_count": res.dropped_count}
    return res, {}


def _paint_job(path, output, p, provenance, progress=False):
    from ._mesh import write_mesh

    snap = _open_snapshot(path, p)
    grid = _grid(snap, p, periodic=p["periodic"])
    if p["outside"] == "drop" and grid.periodic:
        raise ValueError("paint.outside = 'drop' applies to periodic = false only")
    mesh, extra = _painted(snap, p, grid, density=p["density"], progress=progress)
    name = "density" if p["density"] else "mass"
    write_mesh(output, {name: mesh}, grid=grid, units={name: _mesh_units(snap, p["density"])},
               attrs={name: {"scheme": p["scheme"], "particles": snap.count(), **extra}},
               provenance=provenance, compression=p["compression"])
    return {"particles": snap.count(), "fields": [name], **extra}


def _gravity(snap, G):
    """(G in code units, potential unit, force unit) for the snapshot's units."""
    L, M = snap.units["length"], snap.units["mass"]
    T = snap.units["time"]
    known = L is not None and M is not None
    if isinstance(G, str):
        import astropy.units as u

        if not known:
            raise ValueError("G has units but the snapshot's length and mass units are unknown: give units=...")
        T = T if T is not None else u.s
        return u.Quantity(G).to_value(L**3 / (M * T**2)), _unit_text((L / T) ** 2), _unit_text(L / T**2)
    if not known:
        return (1.0 if G is None else G), "", ""
    import astropy.units as u
    from astropy import constants

    T = T if T is not None else u.s
    g = constants.G.to_value(L**3 / (M * T**2)) if G is None else G
    return g, _unit_text((L / T) ** 2), _unit_text(L / T**2)


class PoissonSetup(NamedTuple):
    """The poisson job resolved for one snapshot: what it reads, on which grid, with which G and units.

    Made by :func:`poisson_setup`; the serial job and the distributed one
    (:func:`fieldconv.distributed.run_step`) both start from it, so that
    they write the same grid, units and attributes.

    Attributes
    ----------
    snapshot : Snapshot
        Opened with the job's parameters (species, layout, units, box).
    grid : Grid
        The mesh: shape, box, origin, length unit, periodic for ``bc="periodic"``.
    G : float
        The gravitational constant in the snapshot's code units
        (``astropy.constants.G`` when the length and mass units are known,
        else 1, unless the parameters give it).
    units : dict of str -> str
        The ``units`` attribute of ``density``, ``potential`` and ``forces``
        (``""``: code units).
    """

    snapshot: object
    grid: object
    G: float
    units: dict

    def attrs(self, params, green, differencing, **density):
        """The attributes of ``density``, ``potential`` and ``forces`` (`green`, `differencing`: the solver's)."""
        return {
            "density": {"scheme": params["scheme"], "particles": self.snapshot.count(), **density},
            "potential": {"G": self.G, "bc": params["bc"], "green": green},
            "forces": {"components": "force per unit mass -grad(phi) along array axes 0..d-1 (first axis)",
                       "differencing": differencing},
        }

    def particle_datasets(self, params):
        """``{species: (dataset name, attributes)}`` of the accelerations at the particles (``particles=True``)."""
        attrs = {"order": "the particles' order in the snapshot (file by file)",
                 "interpolation": f"readout of the mesh forces, scheme {params['scheme']}"}
        return {sp: (f"particles/{sp.replace('/', '_')}/acceleration", dict(attrs)) for sp in self.snapshot.species}


def poisson_setup(path, params):
    """Open a snapshot and resolve the poisson job's grid, G and output units.

    Parameters
    ----------
    path : str or os.PathLike
        The snapshot (any piece or the base of a multi-file one).
    params : dict
        The poisson step's parameters (checked and completed with
        ``STEPS["poisson"].normalize``).

    Returns
    -------
    PoissonSetup

    Raises
    ------
    ValueError, TypeError
        Bad parameters (units of G or origin without the snapshot's units,
        ``outside="drop"`` in a periodic box, a shape of the wrong length).
    FileNotFoundError, FileFormatError
        As :class:`Snapshot`.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> from fieldconv.io import STEPS, poisson_setup, write_snapshot
    >>> path = os.path.join(tempfile.mkdtemp(), "snap.hdf5")
    >>> _ = write_snapshot(path, np.full((4, 3), 0.5), box_size=1.0, units={"length": "kpc", "mass": "solMass",
    ...                                                                   "velocity": "km/s"})
    >>> setup = poisson_setup(path, STEPS["poisson"].normalize({"shape": 8}))
    >>> setup.grid.shape, setup.units["potential"], round(float(setup.G), 9)
    ((8, 8, 8), 'km2 / s2', 4.301e-06)
    """
    snap = _open_snapshot(path, params)
    periodic = params["bc"] == "periodic"
    grid = _grid(snap, params, periodic)
    if params["outside"] == "drop" and periodic:
        raise ValueError("poisson.outside = 'drop' applies to bc = 'isolated' only")
    G, phi_unit, force_unit = _gravity(snap, params["G"])
    return PoissonSetup(snap, grid, G, {"density": _mesh_units(snap, True), "potential": phi_unit,
                                        "forces": force_unit})


def _poisson_job(path, output, p, provenance, progress=False):
    from .. import PoissonSolver, readout
    from ._mesh import write_mesh

    t0 = time.perf_counter()
    setup = poisson_setup(path, p)
    snap, grid, G, units = setup.snapshot, setup.grid, setup.G, dict(setup.units)
    periodic = grid.periodic
    rho, extra = _painted(snap, p, grid, density=True, progress=progress)
    t1 = time.perf_counter()
    force_unit = units["forces"]
    solver = PoissonSolver(grid.shape, grid.spacing, bc=p["bc"], green=p["green"], scheme=p["scheme"],
                           differencing=p["differencing"], G=G, dtype=rho.dtype)
    phi, forces = solver.solve_forces(rho)
    t2 = time.perf_counter()
    fields = {"density": rho, "potential": phi, "forces": forces}
    attrs = setup.attrs(p, solver.green, solver.differencing, **extra)
    if p["particles"]:
        parts = {species: [] for species in snap.species}
        shift = None if periodic else np.asarray(grid.origin)
        for ch in snap.iter_particles(chunk_size=p["chunk_size"], masses=False, reuse=True):
            pos = ch.positions if shift is None else ch.positions - shift.astype(ch.positions.dtype)
            acc = np.empty(pos.shape, dtype=rho.dtype)
            for a, f in enumerate(forces):
                acc[:, a] = readout(f, pos, box_size=grid.box_size, scheme=p["scheme"], periodic=periodic,
                                    outside="drop" if p["outside"] == "drop" else "raise")
            parts[ch.species].append(acc)
        for species, (key, at) in setup.particle_datasets(p).items():
            chunks = parts[species]
            fields[key] = np.concatenate(chunks) if chunks else np.empty((0, snap.ndim), rho.dtype)
            units[key], attrs[key] = force_unit, at
    t3 = time.perf_counter()
    write_mesh(output, fields, grid=grid, units=units, attrs=attrs, provenance=provenance,
               compression=p["compression"])
    seconds = {"read+paint": t1 - t0, "solve": t2 - t1, "particles": t3 - t2, "write": time.perf_counter() - t3}
    return {"particles": snap.count(), "fields": list(fields), "seconds": seconds, **extra}


_PAINT_PARAMS = dict(_SNAPSHOT_PARAMS, periodic=(True, _bool), density=(True, _bool))

_POISSON_PARAMS = dict(
    _SNAPSHOT_PARAMS,
    bc=("periodic", _choice("periodic", "isolated")),
    green=(None, _optional(_choice("continuous", "discrete", "optimal", "spectral", "integrated"))),
    differencing=("spectral", _choice("spectral", "fd")),
    G=(None, _optional(lambda n, v: _quantity_text(n, v) if isinstance(v, str) else _real(n, v))),
    particles=(False, _bool),
)


def _smoothing_kernel(name, args, grid):
    from .. import kernels

    allowed = ("gaussian", "box", "unsharp_mask")
    if name not in allowed:
        raise ValueError(f"convolve.kernel must be one of {', '.join(map(repr, allowed))} (smoothing kernels "
                         f"that keep the field's units); got {name!r}")
    args = dict(args)
    quantities = {}
    for k, v in args.items():
        if isinstance(v, str):
            import astropy.units as u

            quantities[k] = u.Quantity(v)
    if quantities:
        import astropy.units as u

        if not grid.units:
            raise ValueError(f"convolve.kernel_args {sorted(quantities)} have units but the mesh grid has none")
        args.update(quantities)
        args["spacing"] = u.Quantity(grid.spacing, grid.units)
    if name in ("gaussian", "unsharp_mask") and "ndim" not in args:
        args["ndim"] = grid.ndim
    try:
        return getattr(kernels, name)(**args)
    except TypeError as exc:
        raise ValueError(f"convolve.kernel_args do not fit kernels.{name}: {exc}") from exc


def _convolve_job(path, output, p, provenance, progress=False):
    from .. import convolve
    from ._mesh import read_mesh, write_mesh

    m = read_mesh(path)
    name = p["dataset"]
    if name is None:
        on_grid = [k for k in m.fields if m.grid is not None and m.fields[k].shape == m.grid.shape]
        name = "density" if "density" in m.fields else (on_grid[0] if len(on_grid) == 1 else None)
        if name is None:
            raise ValueError(f"{path}: give convolve.dataset: the file holds {sorted(m.fields)}")
    if name not in m.fields:
        raise ValueError(f"{path}: convolve.dataset {name!r} is not in the file; it holds {sorted(m.fields)}")
    if m.grid is None or m.fields[name].shape != m.grid.shape:
        raise ValueError(f"{path}: dataset {name!r} is not a mesh on the file's grid")
    kernel = _smoothing_kernel(p["kernel"], p["kernel_args"], m.grid)
    mode = p["mode"] or ("wrap" if m.grid.periodic else "constant")
    out = convolve(m.fields[name], kernel, mode=mode, method=p["method"])
    out_name = p["output_dataset"] or name
    write_mesh(output, {out_name: out}, grid=m.grid, units={out_name: m.units[name]},
               attrs={out_name: {"kernel": p["kernel"], "kernel_args": str(p["kernel_args"]), "mode": mode}},
               provenance=provenance, compression=p["compression"])
    return {"fields": [out_name]}


_CONVOLVE_PARAMS = {
    "dataset": (None, _optional(_str)),
    "kernel": ("gaussian", _str),
    "kernel_args": ({}, _dict),
    "mode": (None, _optional(_choice("reflect", "constant", "nearest", "mirror", "wrap"))),
    "method": ("auto", _choice("auto", "direct", "separable", "fft", "overlap-add")),
    "output_dataset": (None, _optional(_str)),
    "compression": ("gzip", _optional(_choice("gzip"))),
}


def _smooth_job(path, output, p, provenance, progress=False):
    import astropy.units as u

    from .. import savgol_filter
    from ..spectra import Spectrum
    from ._mesh import write_mesh
    from ._spectrum_files import read_spectra
    from ._spectrum_hdf5 import Y_UNITS, spectrum_fields

    spectra_in = read_spectra(path)
    fields, units, attrs = {}, {}, {}
    for name, s in spectra_in.items():
        if not s.axis.is_uniform:
            raise ValueError(f"{path}: spectrum {name!r} has a non-uniform axis; resample it first "
                             "(fieldconv.spectra.resample)")
        h, k = s.axis.spacing, p["deriv"]
        y = savgol_filter(s.y, p["window_length"], p["polyorder"], deriv=k, delta=abs(h), axis=-1, mode=p["mode"])
        if k == 0:
            f, un, at = spectrum_fields(name, Spectrum(s.axis, y, s.y_unit, s.meta))
        else:
            y = y * (math.copysign(1.0, h) ** k)  # d/dx along the axis as given (descending axes too)
            unit = u.Unit(Y_UNITS[s.y_unit] or u.one) / s.axis.unit**k
            f, un, at = spectrum_fields(name, s, y=y, quantity=f"d{k} {s.y_unit} / d {s.axis.kind}^{k}",
                                        units=_h5.units_string(unit))
        fields.update(f)
        units.update(un)
        attrs.update(at)
    write_mesh(output, fields, units=units, attrs=attrs, provenance=provenance, compression=p["compression"])
    return {"spectra": len(spectra_in), "fields": list(fields)}


_SMOOTH_PARAMS = {
    "window_length": (_REQUIRED, _int(1)),
    "polyorder": (_REQUIRED, _int(0)),
    "deriv": (0, _int(0)),
    "mode": ("interp", _choice("interp", "mirror", "nearest", "constant", "wrap")),
    "compression": ("gzip", _optional(_choice("gzip"))),
}

#: The jobs by name.
STEPS = {
    "paint": Step("paint", "snapshot", _PAINT_PARAMS, _paint_job),
    "poisson": Step("poisson", "snapshot", _POISSON_PARAMS, _poisson_job),
    "convolve": Step("convolve", "mesh", _CONVOLVE_PARAMS, _convolve_job),
    "smooth": Step("smooth", "spectra", _SMOOTH_PARAMS, _smooth_job),
}


def get_step(name):
    """The :class:`Step` called `name`; ``ValueError`` listing the steps otherwise."""
    if name not in STEPS:
        raise ValueError(f"step must be one of {', '.join(map(repr, STEPS))}; got {name!r}")
    return STEPS[name]


def input_files(step, path):
    """The files a job on `path` reads (all pieces of a multi-file snapshot)."""
    if get_step(step).input_kind == "snapshot":
        from ._snapshot import snapshot_files

        return snapshot_files(path)
    return [os.fspath(path)]


def run_step(step, path, output, params=None, *, inputs=None, progress=False, dry_run=False):
    """Run one job: read `path`, write `output` atomically with provenance.

    Parameters
    ----------
    step : {"paint", "poisson", "convolve", "smooth"}
    path : str or os.PathLike
        The input (for snapshots any piece or the base of a multi-file one).
    output : str or os.PathLike
        The HDF5 file to write; its folder must exist.
    params : dict, optional
        The step's parameters (see :data:`STEPS`); checked and completed
        with defaults.
    inputs : list of dict, optional
        the input records (path, size, SHA-256) of every input file,
        when the caller has the checksums already (the batch driver);
        computed otherwise.
    progress : bool, optional
        Progress bars of the long parts (painting), on stderr.
    dry_run : bool, optional
        Check the parameters, find and checksum the input files, compute the
        task key; read no data and write nothing.

    Returns
    -------
    dict
        ``key`` (the task key), ``output``, ``parameters``, ``inputs`` (the
        input records) and what the job reports (particles painted, fields
        written, dropped mass, seconds per part); ``dry_run`` True when
        nothing was run.

    Raises
    ------
    ValueError, TypeError
        Bad parameters.
    FileNotFoundError, FileFormatError
        Missing or unreadable input (the message names the file and dataset).
    """
    st = get_step(step)
    p = st.normalize(params or {})
    if inputs is None:
        inputs = [input_record(f) for f in input_files(step, path)]
    key = task_key(step, p, [rec["sha256"] for rec in inputs])
    output = os.path.abspath(os.fspath(output))
    if output in {os.path.abspath(rec["path"]) for rec in inputs}:
        raise ValueError(f"output {output!r} must not be one of the inputs")
    result = {"key": key, "output": output, "parameters": p, "inputs": inputs, "dry_run": bool(dry_run)}
    if dry_run:
        return result
    prov = make_provenance(step, p, inputs, key=key)
    return {**result, **st.run(os.fspath(path), output, p, prov, progress=progress)}


def run_paint(snapshot, output, **params):
    """Paint a snapshot's particles and write the density mesh (see :func:`run_step`).

    Examples
    --------
    >>> import os, tempfile, h5py, numpy as np
    >>> d = tempfile.mkdtemp(); snap = os.path.join(d, "snap.hdf5")
    >>> with h5py.File(snap, "w") as f:
    ...     h = f.create_group("Header")
    ...     h.attrs.update(BoxSize=1.0, MassTable=[0, 1.0], NumPart_ThisFile=[0, 8], NumPart_Total=[0, 8])
    ...     _ = f.create_dataset("PartType1/Coordinates", data=np.random.default_rng(0).random((8, 3)))
    >>> info = run_paint(snap, os.path.join(d, "rho.h5"), shape=4)
    >>> from fieldconv.io import read_mesh
    >>> m = read_mesh(info["output"])
    >>> float(m["density"].sum() * m.grid.spacing[0] ** 3), m.provenance["parameters"]["scheme"]
    (8.0, 'cic')
    """
    return run_step("paint", snapshot, output, params)


def run_poisson(snapshot, output, **params):
    """Paint, solve for the potential and forces, write them (see :func:`run_step`)."""
    return run_step("poisson", snapshot, output, params)


def run_convolve(mesh_file, output, **params):
    """Convolve a mesh dataset with a smoothing kernel and write it (see :func:`run_step`)."""
    return run_step("convolve", mesh_file, output, params)


def run_smooth(spectra_file, output, **params):
    """Savitzky-Golay-smooth the spectra of a file and write them (see :func:`run_step`)."""
    return run_step("smooth", spectra_file, output, params)
