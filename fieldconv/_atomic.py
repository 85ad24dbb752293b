"""Atomic file writes: the one way fieldconv puts a file at a path.

A writer opens a temporary file in the destination folder, writes, flushes
and ``fsync``\\ s it, gives it the permissions a plain ``open`` would (the
process umask, not ``mkstemp``'s 0600), renames it over the target with
``os.replace`` and ``fsync``\\ s the folder, so the target path holds either
the old file or the whole new one, also after a power cut.  A process
killed mid-write leaves only a temporary named ``.fieldconv-tmp-<pid>-*``;
:func:`remove_stale_temporaries` deletes those whose writer is gone and is
called by every atomic write in the folder it writes to.

Private leaf module: no fieldconv imports.
"""

import contextlib
import os
import tempfile

__all__ = ["atomic_path", "remove_stale_temporaries", "TMP_PREFIX"]

#: Prefix of every temporary file fieldconv writes; the writer's pid follows.
TMP_PREFIX = ".fieldconv-tmp-"


def _umask_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    except OSError:
        return True
    return True


def remove_stale_temporaries(directory):
    """Delete temporaries of fieldconv writers that no longer run.

    Parameters
    ----------
    directory : str or os.PathLike
        Folder to clean.  Only names ``.fieldconv-tmp-<pid>-*`` whose process
        ``<pid>`` no longer exists on this machine are removed.

    Returns
    -------
    list of str
        The paths removed.

    Examples
    --------
    >>> import tempfile
    >>> remove_stale_temporaries(tempfile.mkdtemp())
    []
    """
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(TMP_PREFIX):
            continue
        pid_text = name[len(TMP_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            os.remove(path)
            removed.append(path)
    return removed


def _fsync_directory(directory):
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path, *, makedirs=False):
    """Yield a temporary path; on success it is renamed to `path`.

    The caller writes the whole file at the yielded path (with any library:
    ``open``, ``h5py.File``, ``numpy.savetxt``) and closes it inside the
    ``with`` block.  On normal exit the file is fsync'ed, given umask
    permissions and renamed over `path`; on an exception it is removed and
    `path` is left as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The target file.
    makedirs : bool, optional
        Create missing parent folders (default False: a missing folder is an
        error that names `path`).

    Yields
    ------
    str
        The temporary path, in the target's folder.

    Raises
    ------
    FileNotFoundError
        If the target's folder does not exist and `makedirs` is False; the
        message names the target, not the temporary.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     with open(tmp, "w") as fh:
    ...         _ = fh.write("hello")
    >>> open(target).read()
    'hello'
    """
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    if makedirs:
        os.makedirs(directory, exist_ok=True)
    elif not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: folder {directory!r} does not exist")
    remove_stale_temporaries(directory)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix="-" + os.path.basename(path), dir=directory)
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_directory(directory)
