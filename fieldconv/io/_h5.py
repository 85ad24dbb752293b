"""Guarded HDF5 access: every failure becomes a FileFormatError naming the file and object.

The readers of :mod:`fieldconv.io` open files, look up objects, read
datasets and attributes only through these functions, so that a truncated
file, a checksum mismatch (HDF5's fletcher32 filter, verified by the library
on every read of a chunk), a missing object or an unparsable ``units``
string gives one kind of error, :class:`~fieldconv.io.FileFormatError`,
whose message starts with the file and the object.  The writers create
datasets through :func:`create_dataset` (chunked, compressed, fletcher32)
and files with :data:`LIBVER`, whose object headers and superblock carry
checksums too, so that a flipped byte anywhere in a fieldconv file is either
harmless (padding) or an error, never different data.

Private module of :mod:`fieldconv.io`.
"""

import contextlib
import os

import numpy as np

from ..errors import FileFormatError

__all__ = [
    "LIBVER",
    "open_read",
    "get",
    "has",
    "read",
    "attr",
    "set_text",
    "units_string",
    "parse_units",
    "chunk_shape",
    "create_dataset",
]

#: HDF5 format bounds of files written by fieldconv: superblock v3 and
#: object header v2, both checksummed, readable by HDF5 >= 1.10.
LIBVER = ("v110", "v110")

#: Target bytes per chunk of a written dataset.
CHUNK_BYTES = 1 << 20

_MISSING = object()


def _reason(exc):
    """The useful part of an h5py error message ("... (truncated file: ...)" -> the parenthesis)."""
    text = str(exc)
    if "(" in text and text.endswith(")"):
        return text[text.index("(") + 1 : -1]
    return text


@contextlib.contextmanager
def open_read(path):
    """Open `path` read-only; ``FileFormatError`` if it is not a readable HDF5 file.

    Raises
    ------
    FileNotFoundError
        No such file (the message names it).
    FileFormatError
        Not HDF5, truncated, or a corrupt superblock.
    """
    path = os.fspath(path)
    import h5py

    if not os.path.isfile(path):
        raise FileNotFoundError(2, "no such file", path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise FileFormatError(
            path, None, f"cannot be opened as HDF5 ({_reason(exc)}): the file is truncated, corrupt or not HDF5"
        ) from exc
    try:
        yield f
    finally:
        with contextlib.suppress(Exception):
            f.close()


def _path(obj):
    return obj.file.filename


def get(parent, name, *, kind=None):
    """The group or dataset `name` under `parent`.

    Parameters
    ----------
    parent : h5py.Group or h5py.File
    name : str
    kind : {None, "group", "dataset"}
        Required kind of object.

    Raises
    ------
    FileFormatError
        Missing, unreadable (corrupt metadata) or of the wrong kind.
    """
    import h5py

    try:
        obj = parent[name]
    except KeyError as exc:
        where = name if name.startswith("/") else f"{parent.name.rstrip('/')}/{name}"
        text = _reason(exc)
        if "doesn't exist" in text or "not found" in text:
            raise FileFormatError(_path(parent), where, f"missing ({kind or 'object'} not in the file)") from None
        raise FileFormatError(_path(parent), where, f"cannot be opened ({text}): corrupt file") from exc
    except OSError as exc:
        raise FileFormatError(_path(parent), name, f"cannot be opened ({_reason(exc)}): corrupt file") from exc
    if kind == "group" and not isinstance(obj, h5py.Group):
        raise FileFormatError(_path(parent), obj.name, f"must be a group; got a {type(obj).__name__}")
    if kind == "dataset" and not isinstance(obj, h5py.Dataset):
        raise FileFormatError(_path(parent), obj.name, f"must be a dataset; got a {type(obj).__name__}")
    return obj


def has(parent, name):
    """True if `name` exists under `parent` (a corrupt entry raises FileFormatError)."""
    try:
        return name in parent
    except (KeyError, OSError) as exc:
        raise FileFormatError(_path(parent), name, f"cannot be looked up ({_reason(exc)}): corrupt file") from exc


def read(dataset, selection=(), *, out=None):
    """Read ``dataset[selection]`` (into `out` when given), checksums verified.

    Raises
    ------
    FileFormatError
        A chunk whose fletcher32 checksum does not match, a chunk that does
        not decompress, or any other read error, naming the dataset.
    """
    try:
        if out is not None:
            dataset.read_direct(out, source_sel=selection if selection != () else None)
            return out
        return dataset[selection]
    except OSError as exc:  # what HDF5 raises for a failed filter (checksum), a short read, a bad chunk
        text = _reason(exc)
        hint = (
            "a checksum (fletcher32) or decompression failure: the data on disk are corrupt"
            if "filter" in text
            else "corrupt or truncated file"
        )
        raise FileFormatError(_path(dataset), dataset.name, f"cannot be read ({text}): {hint}") from exc


def attr(obj, name, default=_MISSING):
    """Attribute `name` of `obj` (bytes decoded to str); `default` if absent.

    Raises
    ------
    FileFormatError
        Absent without a default, or unreadable.
    """
    try:
        present = name in obj.attrs
        if not present:
            if default is _MISSING:
                raise FileFormatError(_path(obj), obj.name, f"attribute {name!r} is missing")
            return default
        value = obj.attrs[name]
    except (KeyError, OSError) as exc:
        raise FileFormatError(_path(obj), obj.name, f"attribute {name!r} cannot be read ({_reason(exc)})") from exc
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind == "S" and value.ndim == 0:
        return value.item().decode("utf-8")
    return value


def set_text(obj, name, text):
    """Store `text` as a fixed-length UTF-8 attribute (inside the checksummed object header)."""
    import h5py

    data = str(text).encode("utf-8")
    obj.attrs.create(name, np.bytes_(data), dtype=h5py.string_dtype("utf-8", max(1, len(data))))


def units_string(unit):
    """An astropy-parsable string for `unit` that parses back to exactly `unit`.

    astropy prints the scale of a composite unit with 6 digits
    (``3.085678e21 cm`` becomes ``"3.08568e+21 cm"``); here the scale is
    written with ``repr`` precision when needed.

    Examples
    --------
    >>> import astropy.units as u
    >>> units_string(u.Msun / u.kpc**3)
    'solMass / kpc3'
    >>> units_string(u.Unit(3.085678e21 * u.cm))
    '3.085678e+21 cm'
    """
    import astropy.units as u

    unit = u.Unit(unit)
    text = unit.to_string()
    if u.Unit(text) == unit and u.Unit(text).scale == unit.scale:
        return text
    base = u.CompositeUnit(1.0, unit.bases, unit.powers)
    text = f"{unit.scale!r} {base.to_string()}".strip()
    if u.Unit(text).scale != unit.scale:  # pragma: no cover - repr round-trips floats
        raise ValueError(f"unit {unit!r} cannot be written faithfully as a string")
    return text


def parse_units(obj, name="units", *, physical_type=None, default=_MISSING):
    """The astropy unit in attribute `name` of `obj`, checked for `physical_type`.

    Raises
    ------
    FileFormatError
        Missing (without `default`), not parsable by astropy, or of the
        wrong dimension (when `physical_type` is an astropy unit or a
        physical type name such as ``"length"``).
    """
    import astropy.units as u

    text = attr(obj, name, default)
    if text is default and default is not _MISSING:
        return default
    try:
        unit = u.Unit(str(text))
    except (ValueError, TypeError) as exc:
        raise FileFormatError(_path(obj), obj.name, f"{name} {text!r} is not an astropy unit ({exc})") from exc
    if physical_type is not None:
        ref = u.Unit(physical_type) if not isinstance(physical_type, str) else None
        ok = unit.is_equivalent(ref) if ref is not None else unit.physical_type == physical_type
        if not ok:
            want = ref if ref is not None else physical_type
            raise FileFormatError(_path(obj), obj.name, f"{name} must be a unit of {want}; got {text!r}")
    return unit


def chunk_shape(shape, itemsize, target=CHUNK_BYTES):
    """Chunk shape of about `target` bytes: whole trailing axes, a slab of leading ones.

    Examples
    --------
    >>> chunk_shape((256, 256, 256), 4)
    (4, 256, 256)
    >>> chunk_shape((3, 64, 64, 64), 8)
    (1, 32, 64, 64)
    >>> chunk_shape((5,), 8)
    (5,)
    >>> chunk_shape((0, 3), 4)
    (1, 3)
    """
    shape = tuple(max(1, int(n)) for n in shape)  # an empty axis still gets a chunk of 1 (checksummed)
    if not shape:
        return None
    chunk = list(shape)
    per = itemsize
    for a in range(len(shape) - 1, -1, -1):
        if per * shape[a] > target:
            chunk[a] = max(1, target // per)
            for b in range(a):
                chunk[b] = 1
            break
        per *= shape[a]
    return tuple(min(c, n) for c, n in zip(chunk, shape))


def create_dataset(group, name, data, *, compression="gzip", compression_opts=1):
    """Write `data` as a chunked, shuffled, compressed, fletcher32 dataset.

    Parameters
    ----------
    group : h5py.Group
    name : str
    data : numpy.ndarray or tuple of ndarray
        Numeric array; a tuple of equal arrays is written stacked along a
        new first axis, one component at a time (no stacked copy in memory).
    compression : {"gzip", None}
        Filter; ``None`` writes uncompressed (still chunked and checksummed).
    compression_opts : int
        gzip level 0-9 (default 1: fast; shuffled floats compress about as
        well as at level 9).
    """
    parts = data if isinstance(data, tuple) else None
    if parts is not None:
        shape, dtype = (len(parts), *parts[0].shape), parts[0].dtype
    else:
        data = np.asarray(data)
        shape, dtype = data.shape, data.dtype
    chunks = chunk_shape(shape, dtype.itemsize)
    kwargs = {}
    if chunks is not None:
        kwargs.update(chunks=chunks, fletcher32=True)
        if 0 in shape:  # HDF5 refuses a chunk larger than a fixed axis; an empty axis is made extendible
            kwargs["maxshape"] = tuple(None if n == 0 else n for n in shape)
        if compression is not None:
            kwargs.update(compression=compression, compression_opts=compression_opts)
            if dtype.kind in "fiuc":
                kwargs["shuffle"] = True
    if parts is None:
        return group.create_dataset(name, data=data, **kwargs)
    ds = group.create_dataset(name, shape=shape, dtype=dtype, **kwargs)
    for i, part in enumerate(parts):
        ds[i] = part
    return ds
