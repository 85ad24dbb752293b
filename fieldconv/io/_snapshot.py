"""Particle snapshots in HDF5: Gadget-2/3/4, SWIFT, or datasets named by the user.

A :class:`Snapshot` reads the header of every file of a (multi-file)
snapshot when it is opened, checks that the files agree with it, and reads
the particles lazily, chunk by chunk, so that a 10^9-particle snapshot is
painted (:func:`paint_snapshot`, through :func:`fieldconv.paint_chunks`)
with the mesh plus one chunk in memory.

Layouts
-------
Gadget-2/3/4 and SWIFT (``layout="gadget"``, found from a ``/Header`` group):
    ``Header`` attributes ``BoxSize`` (scalar, or one per axis in SWIFT),
    ``MassTable``, ``NumPart_ThisFile``, ``NumPart_Total`` (plus
    ``NumPart_Total_HighWord * 2**32`` where present, for more than 2^32
    particles of a type), ``NumFilesPerSnapshot``; datasets
    ``PartTypeN/Coordinates`` (N, 3), ``PartTypeN/Masses`` (N,) (absent for a
    type whose ``MassTable`` entry is non-zero), ``PartTypeN/Velocities``.
    A multi-file snapshot is ``base.0.hdf5 ... base.{k-1}.hdf5``; any piece,
    or ``base`` itself, opens all of them.
Generic (``positions="/path/to/dataset"``):
    positions (N, d) with d = 1..3, masses a dataset (N,) or one number,
    velocities optional; the box from ``box_size=`` (or ``/Header/BoxSize``
    when there is one).

Units
-----
Positions, masses and velocities are returned in the file's own units
("code units").  Their astropy units, in :attr:`Snapshot.units`, come from
(first match wins): the ``units=`` argument; SWIFT's ``/Units`` group
(``Unit length in cgs (U_L)``, ``Unit mass in cgs (U_M)``, ``Unit time in
cgs (U_t)``); Gadget's ``UnitLength_in_cm``, ``UnitMass_in_g``,
``UnitVelocity_in_cm_per_s`` in ``/Parameters`` or ``/Header``; a ``units``
attribute of a generic dataset.  Cosmological factors (Gadget's implicit
``h^-1`` and comoving coordinates, SWIFT's ``a``/``h`` exponents) are not
applied: the mesh is in the same comoving code units as the file, and the
header's ``HubbleParam``/``Time`` are in :attr:`Snapshot.header`.  Where a
dataset states its own dimension (SWIFT's ``U_L exponent`` and friends, or a
``units`` attribute) it is checked: coordinates must be lengths, masses
masses.

Checks
------
Every piece must exist and be readable; the counts in each header must
match the dataset lengths, and the per-file counts must add up to
``NumPart_Total``; datasets must have the expected shapes; with
``check=True`` (default) each chunk of positions is checked to be finite
and within one box length of the box (periodic codes store positions in
``[0, L)`` up to a small drift), which catches most corrupt values in files
written without checksums.  Checksummed files (SWIFT writes fletcher32) are
verified by HDF5 on every read.  Every failure is a
:class:`~fieldconv.io.FileFormatError` naming the file and the dataset.
"""

import math
import os
import re
from typing import NamedTuple

import numpy as np

from .. import _units
from . import _h5
from ..errors import FileFormatError

__all__ = ["Snapshot", "ParticleChunk", "paint_snapshot", "snapshot_files", "DEFAULT_CHUNK"]

#: Particles per chunk (a multiple of paint's 2**21-particle binning block).
DEFAULT_CHUNK = 1 << 22

_PIECE = re.compile(r"^(?P<base>.+)\.(?P<index>\d+)\.(?P<ext>hdf5|h5|hdf)$")

_SWIFT_UNITS = {
    "length": ("Unit length in cgs (U_L)", "cm"),
    "mass": ("Unit mass in cgs (U_M)", "g"),
    "time": ("Unit time in cgs (U_t)", "s"),
}
_GADGET_UNITS = {
    "length": ("UnitLength_in_cm", "cm"),
    "mass": ("UnitMass_in_g", "g"),
    "velocity": ("UnitVelocity_in_cm_per_s", "cm / s"),
}
# SWIFT per-dataset exponents: (U_L, U_M, U_t) expected for each field
_SWIFT_DIMENSIONS = {"Coordinates": (1, 0, 0), "Masses": (0, 1, 0), "Velocities": (1, 0, -1)}
_PHYSICAL = {"Coordinates": "length", "Masses": "mass", "Velocities": "speed"}


class ParticleChunk(NamedTuple):
    """One chunk of particles of one type from one file.

    Attributes
    ----------
    species : str
        ``"PartType1"`` (Gadget/SWIFT) or the positions dataset (generic).
    file : str
        The file the chunk comes from.
    start : int
        Index of the first particle of the chunk within its species (over
        all files, in file order).
    positions : ndarray (n, d)
        In code length units, the file's dtype.
    masses : ndarray (n,) or float or None
        Per-particle masses, one mass for all, or None (not asked for).
    velocities : ndarray (n, d) or None
    """

    species: str
    file: str
    start: int
    positions: np.ndarray
    masses: object
    velocities: object


def snapshot_files(path):
    """The files of the snapshot that `path` names, in order.

    Parameters
    ----------
    path : str or os.PathLike
        A file, any piece ``base.i.hdf5`` of a multi-file snapshot, or the
        base name ``base`` of one (then ``base.0.hdf5`` must exist).

    Returns
    -------
    list of str
        One path, or ``base.0.hdf5 ... base.{k-1}.hdf5`` with ``k`` from
        ``/Header/NumFilesPerSnapshot`` of the piece named.

    Raises
    ------
    FileNotFoundError
        Nothing exists at `path` (nor at ``path.0.hdf5``).
    FileFormatError
        A piece named by ``NumFilesPerSnapshot`` is missing, or a file with
        ``NumFilesPerSnapshot > 1`` is not named ``base.i.hdf5``.

    Examples
    --------
    >>> import os, tempfile, h5py
    >>> d = tempfile.mkdtemp()
    >>> for i in range(2):
    ...     with h5py.File(os.path.join(d, f"snap_000.{i}.hdf5"), "w") as f:
    ...         f.create_group("Header").attrs["NumFilesPerSnapshot"] = 2
    >>> [os.path.basename(p) for p in snapshot_files(os.path.join(d, "snap_000"))]
    ['snap_000.0.hdf5', 'snap_000.1.hdf5']
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        for ext in ("hdf5", "h5", "hdf"):
            if os.path.isfile(f"{path}.0.{ext}"):
                path = f"{path}.0.{ext}"
                break
        else:
            raise FileNotFoundError(2, "no such snapshot file (nor a multi-file snapshot base)", path)
    with _h5.open_read(path) as f:
        nfiles = 1
        if _h5.has(f, "Header"):
            nfiles = _one_int(_h5.get(f, "Header", kind="group"), "NumFilesPerSnapshot", 1)
    if nfiles == 1:
        return [path]
    m = _PIECE.match(path)
    if m is None:
        raise FileFormatError(
            path, "/Header", f"NumFilesPerSnapshot = {nfiles} but the name does not follow 'base.N.hdf5'"
        )
    files = [f"{m['base']}.{i}.{m['ext']}" for i in range(nfiles)]
    missing = [p for p in files if not os.path.isfile(p)]
    if missing:
        raise FileFormatError(
            path, "/Header", f"NumFilesPerSnapshot = {nfiles} but {len(missing)} piece(s) are missing: {missing[0]}"
        )
    return files


_NAMED = {
    "length": ("pc", "kpc", "Mpc", "Gpc", "AU", "km", "m", "cm"),
    "mass": ("solMass", "earthMass", "kg", "g"),
    "time": ("yr", "Myr", "Gyr", "s"),
    "velocity": ("km / s", "m / s", "cm / s"),
}


def _named(value, cgs, kind):
    """``value * cgs`` as a multiple of the nearest named unit (1e10 Msun, not 1.989e43 g).

    The value is kept exactly: ``1.989e43 g`` becomes ``1.0002968...e10 solMass``.
    """
    import astropy.units as u

    q = value * u.Unit(cgs)
    best = min(_NAMED[kind], key=lambda name: abs(math.log10(q.to_value(name))) if q.to_value(name) > 0 else math.inf)
    ratio = q.to_value(best)
    if ratio == 1.0:
        return u.Unit(best)
    return u.CompositeUnit(ratio, [u.Unit(best)], [1])


def _counts(hdr, name, default=_h5._MISSING):
    """A particle-count attribute of the header: non-negative integers, one per type (uint64)."""
    value = _h5.attr(hdr, name, default)
    if value is None and default is None:
        return None
    path = hdr.file.filename
    try:
        v = np.asarray(value).ravel()
        ok = v.size >= 1 and v.dtype.kind in "iuf" and bool(np.all(np.isfinite(v))) and bool(np.all(v >= 0))
        ok = ok and bool(np.all(v == np.floor(v))) and bool(np.all(v < 2.0**64))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise FileFormatError(path, "/Header", f"{name} must be non-negative integers, one per particle type; "
                                               f"got {value!r}")
    return v.astype(np.uint64)


def _one_int(obj, name, default):
    """A scalar integer attribute (``NumFilesPerSnapshot``), checked."""
    value = _h5.attr(obj, name, default)
    try:
        v = np.asarray(value).ravel()
        ok = v.size == 1 and v.dtype.kind in "iuf" and np.isfinite(v[0]) and v[0] == int(v[0]) and v[0] >= 1
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise FileFormatError(obj.file.filename, obj.name, f"{name} must be one integer >= 1; got {value!r}")
    return int(v[0])


def _floats(obj, name, value):
    """A float attribute (``BoxSize``, ``MassTable``) as a float64 vector, checked to be numeric."""
    v = np.asarray(value).ravel()
    if v.size == 0 or v.dtype.kind not in "iuf":
        raise FileFormatError(obj.file.filename, obj.name, f"{name} must be numbers; got {value!r}")
    return v.astype(np.float64)


def _unit(value, name):
    import astropy.units as u

    try:
        return u.Unit(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"units[{name!r}] must be an astropy unit or unit string; got {value!r}") from exc


class _Species(NamedTuple):
    name: str
    coords: str
    masses: object  # dataset path, float, or None
    velocities: object  # dataset path or None
    table: object = None  # the MassTable entry a Masses dataset must agree with


class Snapshot:
    """A particle snapshot (one or more HDF5 files), read lazily in chunks.

    Parameters
    ----------
    path : str, os.PathLike or sequence of them
        A snapshot file, any piece ``base.i.hdf5`` of a multi-file snapshot
        or its base name (see :func:`snapshot_files`), or an explicit list of
        files.
    ptypes : int or sequence of int, optional
        Gadget/SWIFT particle types to read (``PartTypeN``); default every
        type with particles.
    positions : str, optional
        Generic layout: the dataset of the positions, shape (N, d).  Giving
        it selects the generic layout.
    masses : str or float, optional
        Generic layout: the dataset of the masses, shape (N,), or one mass
        for every particle (default 1.0).
    velocities : str, optional
        Generic layout: the dataset of the velocities, shape (N, d).
    box_size : float, sequence of float or Quantity, optional
        Box length per axis.  Required where the file has none (generic
        files without ``/Header/BoxSize``, Gadget runs with ``BoxSize = 0``);
        otherwise it overrides the header.  A Quantity is converted to the
        snapshot's length unit (or sets it, when the file has none).
    units : dict, optional
        ``{"length": ..., "mass": ..., "velocity": ...}``: astropy units or
        strings for the code units, overriding the file's.
    check : {True, "finite", False}, optional
        Check every chunk of positions: finite and within one box length of
        the box (True, default), finite only ("finite": isolated runs whose
        particles may fly far), or not at all.

    Attributes
    ----------
    files : list of str
    layout : {"gadget", "swift", "generic"}
    header : dict
        The ``/Header`` attributes of the first file (empty if none).
    box_size : tuple of float or None
        Box length per axis, code units.
    ndim : int
    counts : dict of str -> int
        Particles per species (``"PartType1"`` or the positions dataset).
    dtype : numpy.dtype
        dtype of the positions.
    units : dict of str -> astropy unit or None
        ``"length"``, ``"mass"``, ``"velocity"``, ``"time"``.

    Raises
    ------
    FileNotFoundError
        No such file.
    FileFormatError
        No ``/Header`` in a file read as Gadget/SWIFT, counts that disagree,
        missing or misshapen datasets, units of the wrong dimension.
    ValueError, TypeError
        Bad arguments (the message names the parameter).

    Examples
    --------
    >>> import os, tempfile, h5py, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "snap.hdf5")
    >>> with h5py.File(path, "w") as f:
    ...     h = f.create_group("Header")
    ...     h.attrs.update(BoxSize=10.0, NumFilesPerSnapshot=1, MassTable=[0, 2.0, 0, 0, 0, 0],
    ...                    NumPart_ThisFile=[0, 4, 0, 0, 0, 0], NumPart_Total=[0, 4, 0, 0, 0, 0])
    ...     _ = f.create_dataset("PartType1/Coordinates", data=np.full((4, 3), 2.5, np.float32))
    >>> snap = Snapshot(path)
    >>> snap.layout, snap.counts, snap.box_size
    ('gadget', {'PartType1': 4}, (10.0, 10.0, 10.0))
    >>> mesh = paint_snapshot(snap, shape=4, scheme="ngp", density=False)
    >>> mesh.dtype, float(mesh.sum()), float(mesh[1, 1, 1])
    (dtype('float32'), 8.0, 8.0)
    """

    def __init__(self, path, *, ptypes=None, positions=None, masses=None, velocities=None, box_size=None,
                 units=None, check=True):
        if isinstance(path, (list, tuple)):
            if not path:
                raise ValueError("path must name at least one file; got an empty list")
            self.files = [os.fspath(p) for p in path]
            for p in self.files:
                if not os.path.isfile(p):
                    raise FileNotFoundError(2, "no such snapshot file", p)
        else:
            self.files = snapshot_files(path)
        if units is not None and not isinstance(units, dict):
            raise TypeError(f"units must be a dict like {{'length': 'kpc'}}; got {type(units).__name__}")
        for key in units or {}:
            if key not in ("length", "mass", "velocity", "time"):
                raise ValueError(f"units keys must be 'length', 'mass', 'velocity' or 'time'; got {key!r}")
        if check not in (True, False, "finite") or isinstance(check, (int, float)) and not isinstance(check, bool):
            raise ValueError(f"check must be True, 'finite' or False; got {check!r}")
        self.check = check
        first = self.files[0]
        with _h5.open_read(first) as f:
            has_header = _h5.has(f, "Header")
            self.header = dict(_h5.get(f, "Header", kind="group").attrs) if has_header else {}
            if positions is not None:
                self.layout = "generic"
                self._init_generic(f, positions, masses, velocities)
            else:
                if not has_header:
                    raise FileFormatError(
                        first, "/Header",
                        "missing: not a Gadget/SWIFT snapshot (no Header group); to read another layout "
                        "name the datasets: positions='/path/to/positions', box_size=...",
                    )
                if masses is not None or velocities is not None:
                    raise ValueError("masses and velocities name datasets of the generic layout; give positions too")
                code = _h5.attr(f["Header"], "Code", "")
                self.layout = "swift" if (str(code).upper() == "SWIFT" or _h5.has(f, "Units")) else "gadget"
                self._init_gadget(f, ptypes)
            file_units = self._file_units(f)
        self._count_files()
        self._init_units(file_units, units)
        self._init_box(box_size)

    # ----------------------------------------------------------------- layout
    def _init_gadget(self, f, ptypes):
        hdr = f["Header"]
        this = _counts(hdr, "NumPart_ThisFile")
        total = _counts(hdr, "NumPart_Total")
        high = _counts(hdr, "NumPart_Total_HighWord", None)
        if high is not None:
            if high.shape != total.shape:
                raise FileFormatError(self.files[0], "/Header",
                                      f"NumPart_Total_HighWord has {high.size} entries, NumPart_Total {total.size}")
            total = total + (high << np.uint64(32))
        if this.shape != total.shape:
            raise FileFormatError(self.files[0], "/Header",
                                  f"NumPart_ThisFile has {this.size} entries, NumPart_Total {total.size}")
        ntypes = total.size
        mass_table = _floats(hdr, "MassTable", _h5.attr(hdr, "MassTable", np.zeros(ntypes)))
        if not np.all(np.isfinite(mass_table)) or np.any(mass_table < 0):
            raise FileFormatError(self.files[0], "/Header", f"MassTable must be finite masses >= 0; got {mass_table!r}")
        if mass_table.size < ntypes:
            raise FileFormatError(self.files[0], "/Header",
                                  f"MassTable has {mass_table.size} entries; NumPart_Total has {ntypes}")
        self._totals = {f"PartType{t}": int(total[t]) for t in range(ntypes)}
        if ptypes is None:
            ptypes = [t for t in range(ntypes) if total[t] > 0]
        elif np.ndim(ptypes) == 0:
            ptypes = [ptypes]
        sel = []
        for t in ptypes:
            if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or not 0 <= t < ntypes:
                raise ValueError(f"ptypes must be particle types in 0..{ntypes - 1}; got {t!r}")
            if int(t) not in sel:
                sel.append(int(t))
        self._species = []
        for t in sel:
            name = f"PartType{t}"
            m = float(mass_table[t]) if mass_table[t] != 0 else f"{name}/Masses"
            table = None if isinstance(m, str) else m
            self._species.append(_Species(name, f"{name}/Coordinates", m, f"{name}/Velocities", table))

    def _init_generic(self, f, positions, masses, velocities):
        if not isinstance(positions, str):
            raise TypeError(f"positions must be a dataset path (str); got {type(positions).__name__}")
        if masses is None:
            masses = 1.0
        elif not isinstance(masses, str):
            try:
                masses = float(masses)
            except (TypeError, ValueError):
                raise TypeError(f"masses must be a dataset path or a number; got {masses!r}") from None
            if not np.isfinite(masses):
                raise ValueError(f"masses must be finite; got {masses}")
        if velocities is not None and not isinstance(velocities, str):
            raise TypeError(f"velocities must be a dataset path (str); got {type(velocities).__name__}")
        self._species = [_Species(positions.lstrip("/"), positions, masses, velocities)]
        self._totals = None

    def _count_files(self):
        """Per-file counts from the dataset shapes, checked against the headers."""
        self._per_file = []
        ndim = None
        dtype = None
        for i, path in enumerate(self.files):
            with _h5.open_read(path) as f:
                this = None
                if self.layout != "generic":
                    hdr = _h5.get(f, "Header", kind="group")
                    this = _counts(hdr, "NumPart_ThisFile")
                    self._check_unlisted(f, path, this)
                    nf = _one_int(hdr, "NumFilesPerSnapshot", 1)
                    if nf != len(self.files) and len(self.files) > 1:
                        raise FileFormatError(path, "/Header",
                                              f"NumFilesPerSnapshot = {nf}; the first piece says {len(self.files)}")
                counts = {}
                for sp in self._species:
                    t = int(sp.name[8:]) if this is not None else None
                    expected = int(this[t]) if this is not None else None
                    if expected == 0 and not _h5.has(f, sp.coords):
                        counts[sp.name] = 0
                        continue
                    ds = _h5.get(f, sp.coords, kind="dataset")
                    if ds.ndim != 2 or not 1 <= ds.shape[1] <= 3:
                        raise FileFormatError(path, ds.name, f"positions must have shape (N, d), d = 1..3; got {ds.shape}")
                    if ds.dtype.kind != "f":
                        raise FileFormatError(path, ds.name, f"positions must be floating point; got dtype {ds.dtype}")
                    n = int(ds.shape[0])
                    if expected is not None and n != expected:
                        raise FileFormatError(path, ds.name,
                                              f"has {n} particles; /Header/NumPart_ThisFile[{t}] says {expected}")
                    if ndim is None:
                        ndim, dtype = int(ds.shape[1]), ds.dtype
                    elif ds.shape[1] != ndim:
                        raise FileFormatError(path, ds.name, f"has {ds.shape[1]} coordinates per particle; expected {ndim}")
                    self._check_dims(ds, "Coordinates")
                    if sp.table is not None and not isinstance(sp.masses, str) and _h5.has(f, f"{sp.name}/Masses"):
                        # a Masses dataset besides a MassTable entry: read it, and check it agrees
                        i = self._species.index(sp)
                        sp = self._species[i] = sp._replace(masses=f"{sp.name}/Masses")
                    if isinstance(sp.masses, str):
                        self._check_aux(f, path, sp.masses, (n,), "Masses")
                    if isinstance(sp.velocities, str) and self.layout == "generic":
                        self._check_aux(f, path, sp.velocities, (n, ndim), "Velocities")
                    counts[sp.name] = n
                self._per_file.append(counts)
        self.counts = {sp.name: sum(c[sp.name] for c in self._per_file) for sp in self._species}
        if self._totals is not None:
            for name, n in self.counts.items():
                if n != self._totals[name]:
                    raise FileFormatError(
                        self.files[0], "/Header",
                        f"NumPart_Total (with NumPart_Total_HighWord) says {self._totals[name]} {name} particles; "
                        f"the {len(self.files)} file(s) hold {n}",
                    )
        self.ndim = ndim if ndim is not None else 3  # no particles: Gadget and SWIFT are 3-D
        self.dtype = dtype.newbyteorder("=") if dtype is not None else np.dtype(np.float64)

    @staticmethod
    def _check_unlisted(f, path, this):
        """Every PartTypeN with particles must be counted by NumPart_ThisFile (no silent loss)."""
        for key in f:
            m = re.fullmatch(r"PartType(\d+)", key)
            if m is None or not _h5.has(f[key], "Coordinates"):
                continue
            t, rows = int(m[1]), _h5.get(f[key], "Coordinates").shape
            n = int(rows[0]) if len(rows) else 0
            listed = int(this[t]) if t < this.size else None
            if listed is None and n:
                raise FileFormatError(path, f"/{key}/Coordinates",
                                      f"holds {n} particles of type {t}; NumPart_ThisFile has {this.size} types")
            if listed is not None and n != listed:
                raise FileFormatError(path, f"/{key}/Coordinates",
                                      f"has {n} particles; /Header/NumPart_ThisFile[{t}] says {listed}")

    def _check_aux(self, f, path, name, shape, field):
        ds = _h5.get(f, name, kind="dataset")
        if tuple(ds.shape) != shape:
            raise FileFormatError(path, ds.name, f"must have shape {shape} (one entry per particle); got {ds.shape}")
        if ds.dtype.kind not in "fiu":
            raise FileFormatError(path, ds.name, f"must be numeric; got dtype {ds.dtype}")
        self._check_dims(ds, field)

    def _check_dims(self, ds, field):
        """SWIFT exponents or a units attribute must give the field's dimension."""
        attrs = ds.attrs
        if "U_L exponent" in attrs:
            got = tuple(float(np.asarray(attrs.get(k, 0)).ravel()[0]) for k in ("U_L exponent", "U_M exponent", "U_t exponent"))
            if got != _SWIFT_DIMENSIONS[field]:
                raise FileFormatError(
                    ds.file.filename, ds.name,
                    f"has unit exponents (U_L, U_M, U_t) = {got}; {field} must have {_SWIFT_DIMENSIONS[field]}",
                )
        if "units" in attrs:
            _h5.parse_units(ds, physical_type=_PHYSICAL[field])

    # ------------------------------------------------------------------ units
    def _file_units(self, f):
        import astropy.units as u

        found = {}
        if _h5.has(f, "Units"):
            g = _h5.get(f, "Units")
            cgs_values = {}
            for key, (name, cgs) in _SWIFT_UNITS.items():
                v = _h5.attr(g, name, None)
                if v is not None:
                    cgs_values[key] = float(np.asarray(v).ravel()[0])
                    found[key] = cgs_values[key] * u.Unit(cgs)
                    found[key] = _named(found[key].value, cgs, key) if found[key].value > 0 else found[key]
            if cgs_values.get("length", 0) > 0 and cgs_values.get("time", 0) > 0:
                found["velocity"] = _named(cgs_values["length"] / cgs_values["time"], "cm / s", "velocity")
        else:
            for group in ("Parameters", "Header"):
                if not _h5.has(f, group):
                    continue
                g = _h5.get(f, group)
                for key, (name, cgs) in _GADGET_UNITS.items():
                    v = _h5.attr(g, name, None)
                    if v is not None and key not in found:
                        found[key] = float(np.asarray(v).ravel()[0]) * u.Unit(cgs)
                        found[key] = _named(found[key].value, cgs, key) if found[key].value > 0 else found[key]
        for key, q in list(found.items()):
            if isinstance(q, u.Quantity) and not (np.isfinite(q.value) and q.value > 0):
                raise FileFormatError(self.files[0], "/Units" if self.layout == "swift" else "/Parameters",
                                      f"the {key} unit must be positive and finite; got {q}")
        if self.layout == "generic":
            sp = self._species[0]
            ds = _h5.get(f, sp.coords, kind="dataset")
            if "units" in ds.attrs:
                found["length"] = _h5.parse_units(ds, physical_type="length")
            if isinstance(sp.masses, str):
                dm = _h5.get(f, sp.masses, kind="dataset")
                if "units" in dm.attrs:
                    found["mass"] = _h5.parse_units(dm, physical_type="mass")
        return {k: u.Unit(v) for k, v in found.items()}

    def _init_units(self, found, given):
        import astropy.units as u

        expect = {"length": u.m, "mass": u.kg, "velocity": u.m / u.s, "time": u.s}
        merged = dict(found)
        for key, value in (given or {}).items():
            unit = _unit(value, key)
            if not unit.is_equivalent(expect[key]):
                raise ValueError(f"units[{key!r}] must be a unit of {expect[key].physical_type}; got {unit}")
            merged[key] = unit
        if "velocity" not in merged and "length" in merged and "time" in merged:
            merged["velocity"] = merged["length"] / merged["time"]
        if "time" not in merged and "length" in merged and "velocity" in merged:
            merged["time"] = merged["length"] / merged["velocity"]
        self.units = {k: merged.get(k) for k in ("length", "mass", "velocity", "time")}

    def _init_box(self, box_size):
        if box_size is None:
            box = self.header.get("BoxSize")
            if box is None:
                self.box_size = None
                return
            with _h5.open_read(self.files[0]) as f:
                box = _floats(_h5.get(f, "Header"), "BoxSize", box)
            if box.size == 1:
                box = np.repeat(box, self.ndim)
            if box.size < self.ndim:
                raise FileFormatError(self.files[0], "/Header", f"BoxSize has {box.size} entries; positions have {self.ndim}")
            box = box[: self.ndim]
            if np.all(box == 0):  # non-periodic Gadget runs write BoxSize = 0
                self.box_size = None
                return
            if not np.all(np.isfinite(box) & (box > 0)):
                raise FileFormatError(self.files[0], "/Header", f"BoxSize must be positive and finite; got {box}")
            self.box_size = tuple(float(b) for b in box)
            return
        if _units.is_quantity(box_size):
            length = self.units["length"]
            box_size, unit = _units.strip(box_size, "box_size", length, dimension="length")
            if length is None:
                self.units["length"] = unit
        box = np.asarray(box_size, dtype=np.float64).ravel()
        if box.size == 1:
            box = np.repeat(box, self.ndim)
        if box.size != self.ndim:
            raise ValueError(f"box_size must be a scalar or have {self.ndim} entries; got {box.size}")
        if not np.all(np.isfinite(box) & (box > 0)):
            raise ValueError(f"box_size must be positive and finite; got {box_size!r}")
        self.box_size = tuple(float(b) for b in box)

    # ---------------------------------------------------------------- reading
    @property
    def species(self):
        """Names of the species read, in order."""
        return [sp.name for sp in self._species]

    def count(self):
        """Total number of particles read (all selected species)."""
        return sum(self.counts.values())

    def constant_mass(self):
        """The one mass of every selected particle (code units), or None if masses vary."""
        masses = {sp.masses for sp in self._species if self.counts[sp.name]}
        if len(masses) == 1:
            (m,) = masses
            if not isinstance(m, str):
                return m
        return None

    def iter_particles(self, *, chunk_size=DEFAULT_CHUNK, masses=True, velocities=False, reuse=False, select=None):
        """Yield the particles chunk by chunk, species by species, file by file.

        Parameters
        ----------
        chunk_size : int, optional
            Most particles per chunk (default ``2**22``); a chunk does not
            span two files.
        masses : bool, optional
            Read the masses (an array, or a float for a constant mass).
        velocities : bool, optional
            Read the velocities too.
        reuse : bool, optional
            Read every chunk into the same buffers (no allocation per
            chunk): a yielded chunk is valid only until the next one.  For
            consumers that do not keep chunks, such as painting.
        select : tuple of 2 ints, optional
            Only the particles ``start <= i < stop`` of the reading order
            (species by species, file by file: the order of the chunks);
            default all.  Only their hyperslabs are read: the ranks of a
            distributed job read disjoint ranges of one snapshot this way.

        Yields
        ------
        ParticleChunk

        Raises
        ------
        FileFormatError
            Unreadable data (checksum mismatch, truncation), non-finite
            positions or positions more than a box length outside the box
            (with ``check=True``), a missing velocities dataset.
        ValueError
            A `select` that is not a range within ``0..count()``.
        """
        from .._validate import check_int

        chunk_size = check_int("chunk_size", chunk_size, minimum=1)
        lo, hi = 0, self.count()
        if select is not None:
            if np.ndim(select) != 1 or len(select) != 2:
                raise ValueError(f"select must be (start, stop); got {select!r}")
            lo, hi = (check_int("select", v, minimum=0) for v in select)
            if not lo <= hi <= self.count():
                raise ValueError(f"select must satisfy 0 <= start <= stop <= {self.count()} (the particles); "
                                 f"got {select!r}")
        buffers = {}
        first = 0  # index of the first particle of this file and species in the reading order
        for sp in self._species:
            start = 0
            for path, counts in zip(self.files, self._per_file):
                n = counts[sp.name]
                a, b = max(lo - first, 0), min(hi - first, n)  # this file's part of the selection
                first += n
                if a >= b:
                    start += n
                    continue
                with _h5.open_read(path) as f:
                    dpos = _h5.get(f, sp.coords, kind="dataset")
                    dmass = _h5.get(f, sp.masses, kind="dataset") if masses and isinstance(sp.masses, str) else None
                    dvel = None
                    if velocities:
                        if sp.velocities is None:
                            raise ValueError("velocities must name a dataset to be read (generic layout)")
                        dvel = _h5.get(f, sp.velocities, kind="dataset")
                        if tuple(dvel.shape) != (n, self.ndim):
                            raise FileFormatError(path, dvel.name, f"must have shape {(n, self.ndim)}; got {dvel.shape}")
                        self._check_dims(dvel, "Velocities")
                    for s in range(a, b, chunk_size):
                        e = min(b, s + chunk_size)
                        sel = np.s_[s:e]
                        pos = self._read(dpos, sel, (e - s, self.ndim), buffers, "pos", reuse)
                        if self.check:
                            self._check_positions(pos, dpos, s)
                        m = None
                        if masses:
                            m = sp.masses if dmass is None else self._read(dmass, sel, (e - s,), buffers, "mass", reuse)
                            if dmass is not None and sp.table is not None:
                                self._check_table(m, sp, dmass, s)
                        v = self._read(dvel, sel, (e - s, self.ndim), buffers, "vel", reuse) if dvel is not None else None
                        yield ParticleChunk(sp.name, path, start + s, pos, m, v)
                start += n

    @staticmethod
    def _read(ds, sel, shape, buffers, key, reuse):
        dt = ds.dtype.newbyteorder("=")  # native byte order: HDF5 converts big-endian files on read
        buf = buffers.get(key) if reuse else None
        if buf is None or buf.dtype != dt or buf.shape[0] < shape[0] or buf.shape[1:] != shape[1:]:
            buf = np.empty(shape, dtype=dt)
            if reuse:
                buffers[key] = buf
        return _h5.read(ds, sel, out=buf[: shape[0]])

    @staticmethod
    def _check_table(m, sp, ds, offset):
        tol = 2 * float(np.finfo(m.dtype).eps) * abs(sp.table) if m.dtype.kind == "f" else 0.0
        bad = np.abs(m - sp.table) > tol  # the table in float64, the dataset maybe float32: 2 ulp
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FileFormatError(ds.file.filename, ds.name,
                                  f"mass {m[i]!r} of particle {offset + i} disagrees with /Header/MassTable"
                                  f"[{sp.name[8:]}] = {sp.table!r}: the file is inconsistent")

    def _check_positions(self, pos, ds, offset):
        if pos.shape[0] == 0:
            return
        flat = pos.reshape(-1)
        lo, hi = flat.min(), flat.max()  # contiguous reductions (a strided axis-0 one is 20x slower)
        if self.box_size is not None and self.check is True:
            box = np.asarray(self.box_size)
            ok = lo >= -box.min() and hi <= 2 * box.min()
            if not ok and np.isfinite(lo) and np.isfinite(hi):  # unequal box sides: test axis by axis
                ok = all(pos[:, a].min() >= -box[a] and pos[:, a].max() <= 2 * box[a] for a in range(pos.shape[1]))
            rule = f"finite and within one box length of the box [0, {self.box_size}]"
        else:
            ok = bool(np.isfinite(lo) and np.isfinite(hi))
            rule = "finite"
        if not ok:
            bad = ~np.isfinite(pos).all(axis=1)
            if self.box_size is not None and self.check is True:
                bad |= np.any((pos < -box) | (pos > 2 * box), axis=1)
            i = int(np.flatnonzero(bad)[0])
            raise FileFormatError(
                ds.file.filename, ds.name,
                f"positions must be {rule}; particle {offset + i} is at {pos[i].tolist()} "
                f"({int(bad.sum())} such in rows {offset}..{offset + pos.shape[0] - 1}): corrupt data? "
                "(check='finite' skips the box test, for isolated runs)",
            )

    def read(self, field="Coordinates"):
        """Read one field of every selected particle into memory.

        Parameters
        ----------
        field : {"Coordinates", "Masses", "Velocities"}

        Returns
        -------
        ndarray
            (N, d) or (N,), species after species, file by file (masses from
            the MassTable are filled in).
        """
        if field not in ("Coordinates", "Masses", "Velocities"):
            raise ValueError(f"field must be 'Coordinates', 'Masses' or 'Velocities'; got {field!r}")
        parts = []
        for ch in self.iter_particles(masses=field == "Masses", velocities=field == "Velocities"):
            if field == "Coordinates":
                parts.append(ch.positions)
            elif field == "Velocities":
                parts.append(ch.velocities)
            else:
                m = ch.masses
                parts.append(np.full(ch.positions.shape[0], m) if np.ndim(m) == 0 else m)
        if not parts:
            shape = (0, self.ndim) if field != "Masses" else (0,)
            return np.empty(shape, dtype=self.dtype)
        return np.concatenate(parts)

    def __repr__(self):
        return (f"Snapshot({self.files[0]!r}{' +%d files' % (len(self.files) - 1) if len(self.files) > 1 else ''}, "
                f"{self.layout}, {self.counts}, box {self.box_size})")


def paint_snapshot(snapshot, *, shape, scheme="cic", density=True, dtype=None, chunk_size=DEFAULT_CHUNK,
                   periodic=True, origin=0.0, outside="raise", progress=False, **snapshot_options):
    """Paint the particles of a snapshot on a mesh, chunk by chunk.

    Parameters
    ----------
    snapshot : Snapshot or str or os.PathLike
        An open snapshot, or a path (opened with `snapshot_options`).
    shape : int or sequence of int
        Mesh shape (one entry per position axis).
    scheme : {"ngp", "cic", "tsc", "pcs"}, optional
        Assignment window (default "cic").
    density : bool, optional
        Mass per unit volume (default) or mass per cell.
    dtype : {None, float32, float64}, optional
        Mesh dtype; default the dtype of the positions (float32 snapshots
        give float32 meshes).
    chunk_size : int, optional
        Particles read and painted at a time (default ``2**22``).
    periodic : bool, optional
        Periodic box (default); False for an isolated box with `origin`.
    origin : float or sequence, optional
        Lower corner of the mesh (code length units).
    outside : {"raise", "drop"}, optional
        Non-periodic only, as in :func:`fieldconv.paint`.
    progress : bool, optional
        A progress bar of the particles painted (tqdm, on stderr).
    **snapshot_options
        Passed to :class:`Snapshot` when `snapshot` is a path.

    Returns
    -------
    mesh : ndarray of `shape`, or :class:`fieldconv.assign.Painted` with ``outside="drop"``
        Plain array in code units: ``mass / length**d`` (density) or mass
        per cell, with the units of ``snapshot.units`` (None where unknown).

    Raises
    ------
    ValueError
        No box size known (give ``box_size=`` to the snapshot), bad
        arguments, particles outside a non-periodic mesh.
    FileFormatError
        As :meth:`Snapshot.iter_particles`.

    Notes
    -----
    Memory: the mesh, one chunk of positions and masses (read into reused
    buffers) and :func:`fieldconv.paint`'s binning block.  When every
    particle has the same mass (a Gadget ``MassTable`` entry) the particles
    are painted with unit weight and the mesh is scaled once at the end.
    """
    from .. import paint_chunks

    snap = snapshot if isinstance(snapshot, Snapshot) else Snapshot(snapshot, **snapshot_options)
    if snapshot_options and isinstance(snapshot, Snapshot):
        raise TypeError(f"snapshot options {sorted(snapshot_options)} apply only when snapshot is a path")
    if snap.box_size is None:
        raise ValueError(
            f"box_size must be known to paint {snap.files[0]!r}: the file has no BoxSize "
            "(give box_size= to the Snapshot)"
        )
    if dtype is None:
        dtype = snap.dtype
    m_const = snap.constant_mass()

    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=snap.count(), unit="particle", unit_scale=True, file=sys.stderr, desc="paint")

    def source():
        for ch in snap.iter_particles(chunk_size=chunk_size, masses=m_const is None, reuse=True):
            if bar is not None:
                bar.update(ch.positions.shape[0])
            if m_const is not None:
                yield ch.positions
            elif np.ndim(ch.masses) == 0:
                yield ch.positions, np.full(ch.positions.shape[0], ch.masses, dtype=dtype)
            else:
                yield ch.positions, ch.masses

    if snap.count() == 0:
        raise ValueError(f"snapshot {snap.files[0]!r} has no particles of the selected types {snap.species}")
    try:
        mesh = paint_chunks(
            source(), box_size=snap.box_size, shape=shape, chunk_size=chunk_size, dtype=dtype, scheme=scheme,
            density=density, periodic=periodic, origin=origin, outside=outside,
        )
    finally:
        if bar is not None:
            bar.close()
    if m_const is not None and m_const != 1.0:
        target = mesh.mesh if outside == "drop" else mesh
        target *= target.dtype.type(m_const)
        if outside == "drop":
            from ..assign import Painted

            mesh = Painted(target, mesh.dropped_mass * m_const, mesh.dropped_count)
    return mesh
