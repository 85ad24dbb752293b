"""FFTW wisdom files: saved atomically, loaded with errors that say what is wrong.

File format (v1): a header line, then one section per precision, each
``[name] <bytes>\\n<blob>\\n`` with the blob exported by
``pyfftw.export_wisdom``.
"""

import os

from .._atomic import atomic_path
from ._fftw_plans import _planner_lock, pyfftw

__all__ = ["save_wisdom", "load_wisdom", "import_wisdom_file"]

_HEADER = b"# fieldconv FFTW wisdom v1\n"
_SECTIONS = (b"double", b"single", b"longdouble")


def save_wisdom(path):
    """Save the FFTW wisdom gathered so far to `path`, atomically.

    Cluster jobs that transform the same grid sizes save wisdom once and
    reload it with :func:`load_wisdom` (or ``FIELDCONV_FFTW_WISDOM=path``,
    read before the first plan is made), so ``FFTW_MEASURE`` planning is paid
    once per machine type.

    Parameters
    ----------
    path : str or os.PathLike
        File to write (missing folders are created); replaced atomically
        with :func:`fieldconv._atomic.atomic_path`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, load_wisdom, save_wisdom
    >>> _ = get_backend("pyfftw", threads=1).rfftn(np.ones((8, 8)))
    >>> path = os.path.join(tempfile.mkdtemp(), "wisdom.fftw")
    >>> save_wisdom(path)
    >>> load_wisdom(path)      # raises ValueError if FFTW rejects the file
    """
    mod = pyfftw()
    with _planner_lock:
        sections = mod.export_wisdom()
    with atomic_path(path, makedirs=True) as tmp, open(tmp, "wb") as fh:
        fh.write(_HEADER)
        for name, blob in zip(_SECTIONS, sections):
            fh.write(b"[" + name + b"] %d\n" % len(blob))
            fh.write(blob)
            fh.write(b"\n")


def load_wisdom(path):
    """Load FFTW wisdom written by :func:`save_wisdom`.

    Unlike ``pyfftw.import_wisdom``, which only reports failure in its return
    value, this raises.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a fieldconv wisdom file or FFTW rejects a section
        (wisdom from another FFTW build, a truncated file...).

    Examples
    --------
    See :func:`save_wisdom`.
    """
    with _planner_lock:
        import_wisdom_file(path)


def import_wisdom_file(path):
    """:func:`load_wisdom` for a caller that already holds the planner lock."""
    mod = pyfftw()
    path = os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read()
    if not data.startswith(_HEADER):
        raise ValueError(f"path must be a wisdom file written by fieldconv.backend.save_wisdom; got {path!r}")
    pos = len(_HEADER)
    blobs = []
    for name in _SECTIONS:
        end = data.find(b"\n", pos)
        head = data[pos:end]
        if not head.startswith(b"[" + name + b"] "):
            raise ValueError(f"wisdom file {path!r} is corrupt: expected section {name.decode()}")
        size = int(head.split()[1])
        blobs.append(data[end + 1 : end + 1 + size])
        pos = end + 1 + size + 1
        if len(blobs[-1]) != size:
            raise ValueError(f"wisdom file {path!r} is truncated in section {name.decode()}")
    ok = mod.import_wisdom(tuple(blobs))
    bad = [n.decode() for n, b, flag in zip(_SECTIONS, blobs, ok) if b and not flag]
    if bad:
        raise ValueError(f"FFTW rejected the {', '.join(bad)} wisdom in {path!r} (written by another FFTW build?)")
