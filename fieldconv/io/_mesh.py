"""HDF5 files of meshes, potentials, forces and spectra, with units, grid and provenance.

Layout of a file written by :func:`write_mesh` (format ``fieldconv.mesh/1``)::

    /                       attrs: format, fieldconv_version, created, contents (JSON)
    /grid                   attrs: shape, box_size, origin, spacing, units (length),
                                   periodic, centring ("cell": sample i at origin + (i + 1/2) h)
    /provenance             one JSON string: version, parameters, inputs and checksums, date
    /<name>                 every dataset: attr units (astropy string, "" = dimensionless)

Each dataset is chunked (slabs of about 1 MiB), shuffled and gzip-compressed,
and carries HDF5's fletcher32 checksum; files are written with HDF5 1.10
object headers, which are checksummed too, and through
:func:`fieldconv._atomic.atomic_path` (a temporary in the same folder,
fsync'ed, then renamed).  The root attribute ``contents`` lists every
dataset with its shape, dtype and units, so :func:`read_mesh` detects a
deleted, replaced or reshaped dataset as well as flipped bytes.

A field whose trailing axes have the grid's shape lies on the grid
(``forces`` has shape ``(d, *grid.shape)``: component first, along the
array axes).  Spectra (:func:`fieldconv.io.write_hdf5`) use the same
container with no grid: ``/spectra/<name>/axis`` and ``/spectra/<name>/y``.
"""

import dataclasses
import json
import math
import os

import numpy as np

from .. import _atomic
from . import _h5
from ..errors import FileFormatError
from ._provenance import canonical

__all__ = ["FORMAT", "Grid", "MeshFile", "write_mesh", "read_mesh"]

#: Value of the root ``format`` attribute (major version after the slash).
FORMAT = "fieldconv.mesh/1"

_RESERVED = ("grid", "provenance")


@dataclasses.dataclass(frozen=True)
class Grid:
    """A cell-centred grid: shape, box, origin, length unit, periodicity.

    Parameters
    ----------
    shape : tuple of int
    box_size : tuple of float
        Box length per axis (in `units`).
    origin : tuple of float, optional
        Lower corner of cell 0 (default 0 on every axis).
    units : str, optional
        Length unit of `box_size` and `origin` (astropy string; "" when
        unknown: code units).
    periodic : bool, optional
        Default True.
    centring : {"cell"}, optional
        Sample ``i`` sits at ``origin + (i + 1/2) * spacing`` (the
        convention of :func:`fieldconv.paint` and the Poisson solvers).

    Examples
    --------
    >>> g = Grid.from_box((4, 4), 2.0)
    >>> g.spacing, g.ndim
    ((0.5, 0.5), 2)
    >>> g.cell_centres(0)
    array([0.25, 0.75, 1.25, 1.75])
    """

    shape: tuple
    box_size: tuple
    origin: tuple = None
    units: str = ""
    periodic: bool = True
    centring: str = "cell"

    def __post_init__(self):
        from .._validate import check_int

        shape = tuple(check_int("shape", n, minimum=1) for n in np.atleast_1d(self.shape).tolist())
        box = np.atleast_1d(np.asarray(self.box_size, dtype=np.float64)).tolist()
        if len(box) == 1:
            box = box * len(shape)
        if len(box) != len(shape) or not all(math.isfinite(b) and b > 0 for b in box):
            raise ValueError(f"box_size must be positive and finite, one per axis ({len(shape)}); got {self.box_size!r}")
        origin = [0.0] * len(shape) if self.origin is None else np.atleast_1d(np.asarray(self.origin, np.float64)).tolist()
        if len(origin) == 1:
            origin = origin * len(shape)
        if len(origin) != len(shape) or not all(math.isfinite(o) for o in origin):
            raise ValueError(f"origin must be finite, one per axis ({len(shape)}); got {self.origin!r}")
        if self.centring != "cell":
            raise ValueError(f"centring must be 'cell'; got {self.centring!r}")
        if not isinstance(self.periodic, (bool, np.bool_)):
            raise TypeError(f"periodic must be a bool; got {self.periodic!r}")
        units = "" if self.units is None else self.units
        if units:
            import astropy.units as u

            unit = u.Unit(units)
            if not unit.is_equivalent(u.m):
                raise ValueError(f"units must be a length unit; got {units!r}")
            units = _h5.units_string(unit)
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "box_size", tuple(box))
        object.__setattr__(self, "origin", tuple(origin))
        object.__setattr__(self, "units", units)
        object.__setattr__(self, "periodic", bool(self.periodic))

    @classmethod
    def from_box(cls, shape, box_size, *, origin=0.0, periodic=True):
        """A grid from a shape (int: every axis) and a box (float, sequence or length Quantity).

        A Quantity `origin` is converted to the unit of `box_size` (which
        must then be a Quantity too: plain numbers and Quantities do not mix).
        """
        from .. import _units

        if np.ndim(shape) == 0:
            ndim = np.size(box_size) if np.ndim(box_size) else 3
            shape = (shape,) * ndim
        box_size, unit = _units.strip(box_size, "box_size", dimension="length")
        origin = _units.strip_like(origin, "origin", unit, ref_name="box_size")
        unit = "" if unit is None else unit
        return cls(tuple(shape), box_size, origin, unit, periodic)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def spacing(self):
        """Cell size per axis."""
        return tuple(b / n for b, n in zip(self.box_size, self.shape))

    def cell_centres(self, axis):
        """Positions of the cell centres along `axis` (float64)."""
        n, h, o = self.shape[axis], self.spacing[axis], self.origin[axis]
        return o + (np.arange(n) + 0.5) * h

    def quantity(self, name="box_size"):
        """`box_size`, `origin` or `spacing` as an astropy Quantity (dimensionless without units)."""
        import astropy.units as u

        return u.Quantity(getattr(self, name), u.Unit(self.units))


@dataclasses.dataclass
class MeshFile:
    """What :func:`read_mesh` returns.

    Attributes
    ----------
    path : str
    fields : dict of str -> ndarray or Quantity
        The datasets read (Quantities with ``quantity=True``).
    units : dict of str -> str
        The ``units`` attribute of each dataset.
    attrs : dict of str -> dict
        Other attributes of each dataset.
    grid : Grid or None
    provenance : dict
    """

    path: str
    fields: dict
    units: dict
    attrs: dict
    grid: object
    provenance: dict

    def __getitem__(self, name):
        return self.fields[name]


def _plain_and_unit(name, value, units):
    from .. import _units

    given = None if units is None else units.get(name)
    if _units.is_quantity(value):
        import astropy.units as u

        if given is not None and u.Unit(given) != value.unit:
            raise ValueError(f"units[{name!r}] = {given!r} disagrees with the Quantity's unit {value.unit}")
        return value.value, _h5.units_string(value.unit)
    if given is None:
        raise ValueError(
            f"units of field {name!r} are missing: give a Quantity or units={{{name!r}: 'kg / m3'}} "
            "('' for dimensionless or code units)"
        )
    if given == "":
        return value, ""
    import astropy.units as u

    try:
        return value, _h5.units_string(u.Unit(given))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"units[{name!r}] must be an astropy unit string; got {given!r}") from exc


def _numeric(name, value):
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"field {name!r} must have a numeric dtype; got dtype {arr.dtype}")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.byteorder not in "=|":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr


def _check_name(name):
    if not isinstance(name, str) or not name or name.startswith("/") or name.endswith("/") or "//" in name:
        raise ValueError(f"field names must be non-empty relative HDF5 paths; got {name!r}")
    if name.split("/")[0] in _RESERVED:
        raise ValueError(f"field name {name!r} is reserved (grid, provenance)")


def write_mesh(path, fields, *, grid=None, units=None, attrs=None, provenance=None, compression="gzip",
               compression_opts=1, makedirs=False):
    """Write named arrays with units, a grid and provenance to an HDF5 file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output file; replaced atomically (the old file, if any, stays until
        the new one is complete).
    fields : dict of str -> array, Quantity or tuple of them
        Datasets by name (``"density"``, ``"forces"``, ``"particles/acc"``).
        Real or complex numeric arrays; the dtype is kept (float32 stays
        float32).  A tuple of equal-shape arrays (the force components) is
        written as one dataset with the components along a new first axis.
    grid : Grid, optional
        The grid of the mesh fields.  A field whose trailing axes have
        ``grid.shape`` is recorded as lying on it.
    units : dict of str -> str or astropy unit, optional
        Units of the plain-array fields ("" for dimensionless or code
        units); Quantities bring their own.  Every field needs one.
    attrs : dict of str -> dict, optional
        Extra attributes per field (numbers, strings, small arrays).
    provenance : dict, optional
        JSON-able record (see :func:`fieldconv.io.make_provenance`);
        default: version and date only.
    compression : {"gzip", None}, optional
        Default "gzip" (level `compression_opts`, default 1, with shuffle).
    makedirs : bool, optional
        Create the output folder.

    Returns
    -------
    str
        The absolute path written.

    Raises
    ------
    ValueError
        A field without units, unparsable units, a reserved or malformed
        name.
    TypeError
        `fields` not a dict; non-numeric data; a non-JSON-able provenance.
    FileNotFoundError
        The output folder does not exist (and `makedirs` is False).

    Examples
    --------
    >>> import os, tempfile, numpy as np, astropy.units as u
    >>> p = os.path.join(tempfile.mkdtemp(), "mesh.h5")
    >>> g = Grid.from_box(8, 1.0 * u.Mpc)
    >>> _ = write_mesh(p, {"density": np.ones((8, 8, 8), np.float32) * u.Msun / u.Mpc**3}, grid=g)
    >>> m = read_mesh(p, quantity=True)
    >>> m["density"].unit, m["density"].dtype, m.grid.spacing
    (Unit("solMass / Mpc3"), dtype('float32'), (0.125, 0.125, 0.125))
    """
    import h5py

    from .. import __version__
    from ._provenance import make_provenance

    if not isinstance(fields, dict) or not fields:
        raise TypeError(f"fields must be a non-empty dict of name -> array; got {type(fields).__name__}")
    if grid is not None and not isinstance(grid, Grid):
        raise TypeError(f"grid must be a fieldconv.io.Grid; got {type(grid).__name__}")
    if units is not None and not isinstance(units, dict):
        raise TypeError(f"units must be a dict of field name -> unit; got {type(units).__name__}")
    attrs = attrs or {}
    prepared = {}
    for name, value in fields.items():
        _check_name(name)
        if isinstance(value, (tuple, list)):  # components, written stacked along a first axis
            if not value:
                raise ValueError(f"field {name!r} is an empty sequence of components")
            comps = [_plain_and_unit(name, v, units) for v in value]
            unit_text = comps[0][1]
            if any(c[1] != unit_text for c in comps):
                raise ValueError(f"the components of field {name!r} must share one unit")
            arr = tuple(_numeric(name, c[0]) for c in comps)
            if len({(a.shape, a.dtype) for a in arr}) != 1:
                raise ValueError(f"the components of field {name!r} must have one shape and dtype")
        else:
            plain, unit_text = _plain_and_unit(name, value, units)
            arr = _numeric(name, plain)
        prepared[name] = (arr, unit_text)
    if provenance is None:
        provenance = make_provenance(None, {}, [])
    prov_text = json.dumps(canonical(provenance, "provenance"), sort_keys=True, ensure_ascii=False)
    contents = {}
    path = os.path.abspath(os.fspath(path))
    with _atomic.atomic_path(path, makedirs=makedirs) as tmp:
        with h5py.File(tmp, "w", libver=_h5.LIBVER) as f:
            _h5.set_text(f, "format", FORMAT)
            _h5.set_text(f, "fieldconv_version", __version__)
            _h5.set_text(f, "created", provenance.get("created", ""))
            if grid is not None:
                g = f.create_group("grid")
                g.attrs["shape"] = np.asarray(grid.shape, np.int64)
                g.attrs["box_size"] = np.asarray(grid.box_size, np.float64)
                g.attrs["origin"] = np.asarray(grid.origin, np.float64)
                g.attrs["spacing"] = np.asarray(grid.spacing, np.float64)
                g.attrs["periodic"] = np.int8(grid.periodic)
                _h5.set_text(g, "units", grid.units)
                _h5.set_text(g, "centring", grid.centring)
            data = prov_text.encode("utf-8")
            f.create_dataset("provenance", data=np.array([data], dtype=h5py.string_dtype("utf-8", len(data))),
                             chunks=(1,), fletcher32=True)
            for name, (arr, unit_text) in prepared.items():
                ds = _h5.create_dataset(f, name, arr, compression=compression, compression_opts=compression_opts)
                _h5.set_text(ds, "units", unit_text)
                shape = tuple(ds.shape)
                on_grid = grid is not None and len(shape) >= grid.ndim and shape[len(shape) - grid.ndim :] == grid.shape
                ds.attrs["on_grid"] = np.int8(on_grid)
                for k, v in (attrs.get(name) or {}).items():
                    if isinstance(v, str):
                        _h5.set_text(ds, k, v)
                    else:
                        ds.attrs[k] = v
                contents[name] = {"shape": list(ds.shape), "dtype": ds.dtype.str, "units": unit_text}
            _h5.set_text(f, "contents", json.dumps(contents, sort_keys=True))
    return path


def _json(path, obj, name, text):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise FileFormatError(path, obj, f"{name} is not valid JSON ({exc})") from exc


def _read_grid(f, path):
    g = _h5.get(f, "grid", kind="group")
    try:
        shape = tuple(int(n) for n in np.asarray(_h5.attr(g, "shape")).ravel())
        grid = Grid(
            shape,
            tuple(np.asarray(_h5.attr(g, "box_size"), np.float64).ravel()),
            tuple(np.asarray(_h5.attr(g, "origin"), np.float64).ravel()),
            _h5.attr(g, "units"),
            bool(_h5.attr(g, "periodic")),
            _h5.attr(g, "centring"),
        )
    except (ValueError, TypeError) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(path, "/grid", f"invalid grid attributes ({exc})") from exc
    spacing = np.asarray(_h5.attr(g, "spacing"), np.float64).ravel()
    if spacing.shape != (grid.ndim,) or not np.allclose(spacing, grid.spacing, rtol=1e-12, atol=0):
        raise FileFormatError(path, "/grid", f"spacing {spacing.tolist()} disagrees with box_size/shape {grid.spacing}")
    return grid


def read_mesh(path, names=None, *, quantity=False):
    """Read a file written by :func:`write_mesh`: fields, units, grid, provenance.

    Parameters
    ----------
    path : str or os.PathLike
    names : sequence of str, optional
        Fields to read (default all).
    quantity : bool, optional
        Return astropy Quantities (units attached) instead of plain arrays.

    Returns
    -------
    MeshFile
        Arrays with the dtype written.

    Raises
    ------
    FileNotFoundError
        No such file.
    FileFormatError
        Not a fieldconv mesh file, truncated, a checksum mismatch, a field
        missing or different from the file's ``contents`` record (shape,
        dtype, units), units that astropy cannot parse, an inconsistent
        grid; the message names the file and the dataset.
    KeyError
        A name in `names` that the file does not list.
    """
    path = os.fspath(path)
    with _h5.open_read(path) as f:
        fmt = _h5.attr(f, "format", None)
        if not isinstance(fmt, str) or not fmt.startswith("fieldconv.mesh/"):
            raise FileFormatError(path, "/", f"not a fieldconv mesh file (format attribute {fmt!r}; expected {FORMAT!r})")
        if fmt.split("/", 1)[1] != FORMAT.split("/", 1)[1]:
            raise FileFormatError(path, "/", f"format {fmt!r} is not supported by this fieldconv (reads {FORMAT!r})")
        contents = _json(path, "/", "attribute 'contents'", _h5.attr(f, "contents"))
        prov_ds = _h5.get(f, "provenance", kind="dataset")
        raw = _h5.read(prov_ds)
        provenance = _json(path, "/provenance", "provenance", raw[0].decode("utf-8") if len(raw) else "")
        grid = _read_grid(f, path) if _h5.has(f, "grid") else None
        if names is None:
            names = list(contents)
        else:
            names = list(names)
            unknown = [n for n in names if n not in contents]
            if unknown:
                raise KeyError(f"{path}: no field {unknown[0]!r}; the file holds {sorted(contents)}")
        fields, units, attrs = {}, {}, {}
        for name in names:
            rec = contents[name]
            ds = _h5.get(f, name, kind="dataset")
            if list(ds.shape) != rec["shape"] or ds.dtype.str != rec["dtype"]:
                raise FileFormatError(path, ds.name, f"shape {ds.shape} dtype {ds.dtype.str} differ from the file's "
                                                     f"contents record {tuple(rec['shape'])} {rec['dtype']}")
            if not ds.fletcher32:
                raise FileFormatError(path, ds.name, "has no fletcher32 checksum: not written by fieldconv, or rewritten")
            unit_text = _h5.attr(ds, "units")
            if unit_text != rec["units"]:
                raise FileFormatError(path, ds.name, f"units {unit_text!r} differ from the contents record {rec['units']!r}")
            unit = _h5.parse_units(ds)
            if grid is not None and bool(_h5.attr(ds, "on_grid", 0)) and tuple(ds.shape[ds.ndim - grid.ndim :]) != grid.shape:
                raise FileFormatError(path, ds.name, f"shape {ds.shape} does not end with the grid shape {grid.shape}")
            data = _h5.read(ds, ())
            if not data.dtype.isnative:  # a file from a machine of the other byte order
                data = data.astype(data.dtype.newbyteorder("="))
            fields[name] = _as_quantity(data, unit) if quantity else data
            units[name] = unit_text
            attrs[name] = {k: _h5.attr(ds, k) for k in ds.attrs if k not in ("units", "on_grid")}
    return MeshFile(path, fields, units, attrs, grid, provenance)


def _as_quantity(data, unit):
    import astropy.units as u

    return u.Quantity(data, unit, copy=False)
