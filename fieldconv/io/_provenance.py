"""Provenance of written files: input checksums, canonical parameters, task keys.

Every file fieldconv writes records how it was made: the fieldconv version,
the exact parameters, the input files with their size and SHA-256, and the
date.  A batch identifies a task by :func:`task_key`, the SHA-256 of the
canonical JSON of its step, parameters and input checksums, so that a
rerun recognises finished work by content, not by file name.
"""

import datetime
import hashlib
import json
import math
import os
import platform

import numpy as np

__all__ = ["file_sha256", "canonical", "canonical_json", "task_key", "input_record", "make_provenance"]

_BLOCK = 1 << 23


def file_sha256(path):
    """SHA-256 of the bytes of `path`, as a hex string.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> _ = open(p, "w").write("abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        buf = bytearray(_BLOCK)
        view = memoryview(buf)
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


def canonical(value, name="parameters"):
    """`value` as plain JSON types: tuples to lists, NumPy scalars and arrays to Python, keys sorted.

    Raises
    ------
    TypeError
        A value with no faithful JSON form (objects, non-finite floats).

    Examples
    --------
    >>> import numpy as np
    >>> canonical({"b": (1, np.int64(2)), "a": np.float32(0.5)})
    {'a': 0.5, 'b': [1, 2]}
    """
    if isinstance(value, dict):
        out = {}
        for k in sorted(value, key=str):
            if not isinstance(k, str):
                raise TypeError(f"{name} keys must be strings; got {k!r}")
            out[k] = canonical(value[k], f"{name}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [canonical(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return canonical(value.tolist(), name)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            raise TypeError(f"{name} must be finite to be recorded; got {v}")
        return v
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} must be JSON-like (dict, list, str, number, bool, None); got {type(value).__name__}")


def canonical_json(value):
    """Compact, key-sorted JSON of :func:`canonical` `value` (the bytes that are hashed)."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def task_key(step, parameters, input_hashes):
    """SHA-256 identifying a task: its step, canonical parameters and input checksums.

    Examples
    --------
    >>> k1 = task_key("paint", {"shape": [8, 8, 8]}, ["ab" * 32])
    >>> k1 == task_key("paint", {"shape": (8, 8, 8)}, ["ab" * 32])
    True
    >>> k1 == task_key("paint", {"shape": [8, 8, 16]}, ["ab" * 32])
    False
    """
    text = canonical_json({"step": step, "parameters": parameters, "inputs": list(input_hashes)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_record(path, sha256=None):
    """``{"path", "size", "sha256"}`` of an input file (the checksum computed unless given)."""
    path = os.path.abspath(os.fspath(path))
    return {"path": path, "size": os.path.getsize(path), "sha256": sha256 or file_sha256(path)}


def make_provenance(step, parameters, inputs, *, key=None):
    """The provenance record written into an output file.

    Parameters
    ----------
    step : str
        The job (``"paint"``, ``"poisson"``, ...).
    parameters : dict
        The exact parameters, defaults filled in.
    inputs : list of dict
        :func:`input_record` of each input.
    key : str, optional
        The task key (:func:`task_key`), recorded so that a batch can
        recognise the output by content.

    Returns
    -------
    dict
        JSON-able: ``fieldconv_version``, ``created`` (UTC, ISO 8601),
        ``step``, ``parameters``, ``inputs``, ``key``, ``libraries``.
    """
    import h5py

    from .. import __version__

    return canonical(
        {
            "fieldconv_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "step": step,
            "parameters": parameters,
            "inputs": inputs,
            "key": key,
            "libraries": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "h5py": h5py.__version__,
                "hdf5": h5py.version.hdf5_version,
            },
        },
        "provenance",
    )
