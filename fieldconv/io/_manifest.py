"""The batch manifest: which outputs are finished, made from which inputs and parameters.

A JSON file next to the outputs (default ``fieldconv-manifest.json`` in the
output folder) maps each finished output (its path relative to the
manifest) to a record::

    {"key": <task key>, "step": ..., "parameters": {...},
     "inputs": [{"path", "size", "mtime_ns", "sha256"}, ...],
     "output_sha256": ..., "output_size": ..., "output_mtime_ns": ...,
     "finished": <UTC ISO date>, "seconds": ...}

``key`` is :func:`fieldconv.io.task_key` of the step, the
parameters and the inputs' SHA-256: an output is up to date when the record's
key equals the task's key now and the file's SHA-256 equals
``output_sha256`` (verified by content, not by name or date).  Sizes and
``mtime_ns`` let a rerun reuse recorded checksums instead of reading every
file again: a file whose size and mtime match its record has the recorded
checksum (``verify="stat"``, the default); one whose size or mtime changed is
hashed anew, so a touched but unchanged file is still current and an edited
one is not.  ``verify="content"`` hashes every output on every check.

Concurrency and crashes: every update takes an exclusive ``flock`` on
``<manifest>.lock``, re-reads the manifest, changes one record and writes
the whole file through :func:`fieldconv._atomic.atomic_path`, so processes
finishing at the same moment never lose each other's records, and a process
killed at any instant leaves the old or the new manifest, never a mix.  The
file carries the SHA-256 of its records; an edited or damaged manifest is
an error (:class:`~fieldconv.io.FileFormatError`) rather than a silent
restart (delete it to start over: outputs whose provenance key matches are
then adopted without recomputation).
"""

import contextlib
import datetime
import hashlib
import json
import os

from .. import _atomic
from ..errors import FileFormatError
from ._provenance import canonical, canonical_json

__all__ = ["Manifest", "MANIFEST_NAME", "FORMAT"]

#: Default file name of a batch manifest.
MANIFEST_NAME = "fieldconv-manifest.json"
#: Value of the manifest's ``format`` field.
FORMAT = "fieldconv.manifest/1"


def _digest(entries):
    return hashlib.sha256(canonical_json(entries).encode("utf-8")).hexdigest()


class Manifest:
    """A batch manifest on disk (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file; created on the first :meth:`record`.  Its folder
        is the base of the relative output paths.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> m = Manifest(os.path.join(d, MANIFEST_NAME))
    >>> _ = open(os.path.join(d, "out.h5"), "w").write("data")
    >>> m.record(os.path.join(d, "out.h5"), key="k1", step="paint", parameters={}, inputs=[])
    >>> m.lookup(os.path.join(d, "out.h5"))["key"], m.is_current(os.path.join(d, "out.h5"), "k1")
    ('k1', True)
    """

    def __init__(self, path):
        self.path = os.path.abspath(os.fspath(path))
        self.base = os.path.dirname(self.path)

    # ----------------------------------------------------------------- files
    def _rel(self, output):
        return os.path.relpath(os.path.abspath(os.fspath(output)), self.base)

    def load(self):
        """All records, by output path relative to the manifest (empty if no manifest yet).

        Raises
        ------
        FileFormatError
            The manifest is not valid JSON, has another format, or its
            records do not match its checksum.
        """
        try:
            with open(self.path, encoding="utf-8") as fh:
                text = fh.read()
        except FileNotFoundError:
            return {}
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise FileFormatError(self.path, None, f"the batch manifest is not valid JSON ({exc}); "
                                                   "delete it to rebuild it from the outputs") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("entries"), dict):
            raise FileFormatError(self.path, None, f"not a fieldconv batch manifest (format {FORMAT!r} expected)")
        if doc.get("sha256") != _digest(doc["entries"]):
            raise FileFormatError(self.path, "entries", "the records do not match the manifest's checksum "
                                                        "(edited or damaged); delete it to rebuild it from the outputs")
        return doc["entries"]

    @contextlib.contextmanager
    def _locked(self):
        import fcntl

        os.makedirs(self.base, exist_ok=True)
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, entries):
        doc = {"format": FORMAT, "sha256": _digest(entries), "entries": entries}
        with _atomic.atomic_path(self.path) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True, ensure_ascii=False)
                fh.write("\n")

    # --------------------------------------------------------------- records
    def lookup(self, output):
        """The record of `output`, or None."""
        return self.load().get(self._rel(output))

    def record(self, output, *, key, step, parameters, inputs, seconds=None, output_sha256=None):
        """Record `output` as finished (atomically, under the lock).

        Parameters
        ----------
        output : str
            The finished file (it must exist: its size and SHA-256 are
            recorded, computed here unless `output_sha256` is given).
        key : str
            The task key.
        step : str
        parameters : dict
        inputs : list of dict
            ``{"path", "size", "mtime_ns", "sha256"}`` per input.
        seconds : float, optional
            Run time of the task.
        output_sha256 : str, optional
        """
        from ._provenance import file_sha256

        output = os.path.abspath(os.fspath(output))
        rec = canonical({
            "key": key,
            "step": step,
            "parameters": parameters,
            "inputs": inputs,
            "output_sha256": output_sha256 or file_sha256(output),
            "output_size": os.stat(output).st_size,
            "output_mtime_ns": os.stat(output).st_mtime_ns,
            "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "seconds": None if seconds is None else round(float(seconds), 3),
        }, "manifest record")
        with self._locked():
            entries = self.load()
            entries[self._rel(output)] = rec
            self._write(entries)

    def forget(self, output):
        """Remove the record of `output` (no error if there is none)."""
        with self._locked():
            entries = self.load()
            if entries.pop(self._rel(output), None) is not None:
                self._write(entries)

    def is_current(self, output, key, *, verify="stat"):
        """True if `output` exists, its record has `key`, and its content matches the record.

        Parameters
        ----------
        output : str
        key : str
        verify : {"stat", "content"}, optional
            "stat": an output whose size and mtime equal the record's has the
            recorded SHA-256; otherwise (and always with "content") the file
            is hashed and compared.
        """
        from ._provenance import file_sha256

        if verify not in ("stat", "content"):
            raise ValueError(f"verify must be 'stat' or 'content'; got {verify!r}")
        rec = self.lookup(output)
        if rec is None or rec.get("key") != key or not os.path.isfile(output):
            return False
        st = os.stat(output)
        if st.st_size != rec.get("output_size"):
            return False
        if verify == "stat" and st.st_mtime_ns == rec.get("output_mtime_ns"):
            return True
        return file_sha256(output) == rec.get("output_sha256")

    def known_inputs(self):
        """``{abs path: (size, mtime_ns, sha256)}`` from every record, to skip rehashing unchanged inputs."""
        known = {}
        for rec in self.load().values():
            for inp in rec.get("inputs", ()):
                try:
                    known[inp["path"]] = (inp["size"], inp["mtime_ns"], inp["sha256"])
                except (KeyError, TypeError):
                    continue
        return known
