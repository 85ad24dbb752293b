"""FFTW wisdom: files written atomically and read with errors that name the file, and the per-user cache.

File format (v2): a header line, a ``sha256 <hex>`` line (the checksum of
everything after it), then one section per precision,
``[name] <bytes>\\n<blob>\\n``, each blob exported by
``pyfftw.export_wisdom``.  The checksum is verified before FFTW sees a
byte: FFTW's wisdom parser aborts the whole process (a failed C assertion)
on some damaged entries, so v1 files (fieldconv 0.1, no checksum) are
refused with a ValueError asking to save them again.

The per-user cache (:func:`user_cache_path`) holds the wisdom of the plans
that the planner policy (:mod:`fieldconv.backend._planner`) measured, so
that each transform is measured once per machine, not once per process:

* one file per machine type, ``<cache>/fftw-wisdom-<machine key>``, the key
  a hash of the CPU model and flags, the FFTW and pyFFTW versions and the
  architecture (wisdom is only valid for the FFTW build and CPU that made
  it; a home folder shared by a cluster's different nodes keeps one file
  per node type);
* ``<cache>`` is ``$FIELDCONV_CACHE_DIR``, else ``$XDG_CACHE_HOME/fieldconv``,
  else ``~/.cache/fieldconv``; ``FIELDCONV_FFTW_WISDOM_CACHE=0`` turns the
  cache off (nothing read, nothing written);
* writers merge: under an exclusive lock on ``<file>.lock`` they import the
  file as it is now (wisdom other processes added), export the union and
  replace the file atomically (:func:`fieldconv._atomic.atomic_path`), so
  concurrent processes never lose each other's wisdom or leave a partial
  file;
* the cache is a cache: a corrupt or unreadable cache file is ignored with
  a warning and rewritten, never an error in the caller's computation.
"""

import contextlib
import functools
import hashlib
import os
import platform
import threading
import warnings

from .._atomic import atomic_path
from ._fftw_plans import _planner_lock, pyfftw

__all__ = [
    "save_wisdom",
    "load_wisdom",
    "import_wisdom_file",
    "user_cache_path",
    "user_cache_enabled",
    "load_user_cache",
    "merge_into_user_cache",
    "user_cache_info",
]

_HEADER_V1 = b"# fieldconv FFTW wisdom v1\n"
_HEADER = b"# fieldconv FFTW wisdom v2\n"
_SECTIONS = (b"double", b"single", b"longdouble")
_user_cache_state = {"loaded": False}
_state_lock = threading.Lock()


def save_wisdom(path):
    """Save the FFTW wisdom gathered so far to `path`, atomically.

    Cluster jobs that transform the same grid sizes can also rely on the
    per-user wisdom cache (see ``docs/backend.md``); an explicit file is
    for machines whose home folder is not shared, or for shipping wisdom
    with a job: reload it with :func:`load_wisdom` (or
    ``FIELDCONV_FFTW_WISDOM=path``, read before the first plan is made).

    Parameters
    ----------
    path : str or os.PathLike
        File to write (missing folders are created); replaced atomically
        with :func:`fieldconv._atomic.atomic_path`.

    Raises
    ------
    OSError
        The file cannot be written; the message names it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, load_wisdom, save_wisdom
    >>> _ = get_backend("pyfftw", threads=1, planner_effort="measure").rfftn(np.ones((8, 8)))
    >>> path = os.path.join(tempfile.mkdtemp(), "wisdom.fftw")
    >>> save_wisdom(path)
    >>> load_wisdom(path)      # raises ValueError if FFTW rejects the file
    """
    path = _fspath(path)
    mod = pyfftw()
    with _planner_lock:
        sections = mod.export_wisdom()
    _write(path, sections)


def _fspath(path):
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike; got {type(path).__name__}") from None


def _encode(sections):
    body = b"".join(b"[" + name + b"] %d\n" % len(blob) + blob + b"\n" for name, blob in zip(_SECTIONS, sections))
    return _HEADER + b"sha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _write(path, sections):
    try:
        with atomic_path(path, makedirs=True) as tmp, open(tmp, "wb") as fh:
            fh.write(_encode(sections))
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot write wisdom file {path!r}: {exc.strerror or exc}") from exc


def load_wisdom(path):
    """Load FFTW wisdom written by :func:`save_wisdom`.

    Unlike ``pyfftw.import_wisdom``, which only reports failure in its return
    value, this raises, and every error names the file.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError, OSError
        `path` cannot be read (the message names it).
    ValueError
        The file is not a fieldconv wisdom file, is truncated, fails its
        checksum (so a damaged file never reaches FFTW's parser, which can
        abort the process), has no checksum (format v1), or FFTW rejects a
        section (wisdom from another FFTW build).
    TypeError
        `path` is not a path.

    Examples
    --------
    See :func:`save_wisdom`.
    """
    path = _fspath(path)
    with _planner_lock:
        import_wisdom_file(path)


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise type(exc)(exc.errno, f"cannot read wisdom file {path!r}: {exc.strerror or exc}") from exc


def _parse(data, path):
    """The three wisdom blobs of a v2 file, or ValueError naming `path` and what is wrong."""
    if data.startswith(_HEADER):
        pos = len(_HEADER)
        end = data.find(b"\n", pos)
        line = data[pos:end] if end >= 0 else b""
        if not line.startswith(b"sha256 ") or len(line) != 7 + 64:
            raise ValueError(f"wisdom file {path!r} is corrupt: no checksum line after the header")
        pos = end + 1
        if hashlib.sha256(data[pos:]).hexdigest().encode() != line[7:]:
            raise ValueError(f"wisdom file {path!r} is corrupt or truncated: checksum mismatch")
    elif data.startswith(_HEADER_V1):
        raise ValueError(
            f"wisdom file {path!r} has no checksum (format v1, fieldconv 0.1) and is not loaded: FFTW aborts "
            "the process on damaged wisdom; save it again with fieldconv.backend.save_wisdom"
        )
    else:
        raise ValueError(f"path must be a wisdom file written by fieldconv.backend.save_wisdom; got {path!r}")
    blobs = []
    for name in _SECTIONS:
        end = data.find(b"\n", pos)
        head = data[pos:end] if end >= 0 else b""
        parts = head.split()
        if len(parts) != 2 or parts[0] != b"[" + name + b"]" or not parts[1].isdigit():
            raise ValueError(f"wisdom file {path!r} is corrupt: expected the {name.decode()} section header")
        size = int(parts[1])
        blob = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
        if len(blob) != size or data[pos - 1 : pos] != b"\n":
            raise ValueError(f"wisdom file {path!r} is truncated in section {name.decode()}")
        blobs.append(blob)
    if pos != len(data):
        raise ValueError(f"wisdom file {path!r} is corrupt: {len(data) - pos} bytes after the last section")
    return blobs


def import_wisdom_file(path):
    """:func:`load_wisdom` for a caller that already holds the planner lock."""
    mod = pyfftw()
    path = _fspath(path)
    blobs = _parse(_read(path), path)
    ok = mod.import_wisdom(tuple(blobs))
    bad = [n.decode() for n, b, flag in zip(_SECTIONS, blobs, ok) if b and not flag]
    if bad:
        raise ValueError(f"FFTW rejected the {', '.join(bad)} wisdom in {path!r} (written by another FFTW build?)")


# ------------------------------------------------------------------ per-user cache
def user_cache_enabled():
    """False when ``FIELDCONV_FFTW_WISDOM_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get("FIELDCONV_FFTW_WISDOM_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir():
    """fieldconv's per-user cache folder (``FIELDCONV_CACHE_DIR``, ``XDG_CACHE_HOME``, ``~/.cache``)."""
    explicit = os.environ.get("FIELDCONV_CACHE_DIR")
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fieldconv")


def _cpu_description():
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            text = fh.read(65536)
    except OSError:
        return platform.processor() or platform.machine()
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "flags", "Features", "CPU part", "vendor_id") and key not in fields:
            fields[key] = " ".join(sorted(value.split())) if key in ("flags", "Features") else value.strip()
    return "|".join(f"{k}={v}" for k, v in sorted(fields.items())) or platform.processor()


@functools.lru_cache(maxsize=1)
def machine_key():
    """Hash of what FFTW wisdom depends on: CPU model and flags, FFTW and pyFFTW versions, architecture."""
    mod = pyfftw()
    text = "|".join(
        [
            _cpu_description(),
            platform.machine(),
            str(getattr(mod, "fftw_version", "")),
            str(getattr(mod, "__version__", "")),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def user_cache_path():
    """The per-user wisdom cache file for this machine type (whether or not it exists or is enabled)."""
    return os.path.join(cache_dir(), f"fftw-wisdom-{machine_key()}")


def _warn(message):
    from ..errors import FieldconvWarning

    warnings.warn(message, FieldconvWarning, stacklevel=4)


def load_user_cache(force=False):
    """Import the per-user wisdom cache once per process (caller holds the planner lock).

    Returns True when wisdom was imported (now or by an earlier call).  Problems are warnings: the cache
    is rebuilt by the next measured plan.
    """
    with _state_lock:
        if _user_cache_state["loaded"] and not force:
            return _user_cache_state.get("imported", False)
        _user_cache_state["loaded"] = True
    if not user_cache_enabled():
        return False
    path = user_cache_path()
    if not os.path.exists(path):
        return False
    try:
        import_wisdom_file(path)
    except (OSError, ValueError) as exc:
        _warn(f"ignoring the FFTW wisdom cache ({exc}); it is rewritten by the next measured plan")
        return False
    _user_cache_state["imported"] = True
    return True


@contextlib.contextmanager
def _file_lock(path):
    """Exclusive advisory lock on ``path + '.lock'`` (no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: atomic replace only
        yield
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def merge_into_user_cache():
    """Merge this process's FFTW wisdom into the per-user cache file (caller holds the planner lock).

    Returns the path written, or None when the cache is off or cannot be
    written (a warning, once per reason).
    """
    if not user_cache_enabled():
        return None
    mod = pyfftw()
    path = user_cache_path()
    try:
        with _file_lock(path):
            if os.path.exists(path):
                try:
                    import_wisdom_file(path)  # what other processes added since we read it
                except ValueError as exc:
                    _warn(f"replacing a corrupt FFTW wisdom cache ({exc})")
            _write(path, mod.export_wisdom())
    except OSError as exc:
        _warn(f"cannot write the FFTW wisdom cache ({exc}); set FIELDCONV_CACHE_DIR to a writable folder "
              "or FIELDCONV_FFTW_WISDOM_CACHE=0")
        return None
    return path


def user_cache_info():
    """Where the per-user wisdom cache is, whether it is on, and its size."""
    info = {"enabled": user_cache_enabled(), "path": None, "exists": False, "nbytes": 0}
    try:
        info["path"] = user_cache_path()
    except ImportError:
        return info
    with contextlib.suppress(OSError):
        info["nbytes"] = os.path.getsize(info["path"])
        info["exists"] = True
    return info
