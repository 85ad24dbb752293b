"""Exception and warning types of fieldconv.

Every operator raises the standard Python exceptions for bad input
(``ValueError`` for a bad value or shape, ``TypeError`` for a wrong type,
``NotImplementedError`` for a valid but unsupported combination), and the
types below for conditions specific to fieldconv.  The message always names
the parameter, the rule and the value received.
"""

__all__ = [
    "FieldconvError",
    "BackendUnavailableError",
    "HostDeviceCopyError",
    "CollectiveError",
    "FileFormatError",
    "FieldconvWarning",
    "AccuracyWarning",
]


class FieldconvError(Exception):
    """Base class of the exceptions specific to fieldconv."""


class BackendUnavailableError(FieldconvError, ImportError):
    """A backend was asked for by name but cannot be used here.

    Raised for an unknown backend name, or when the library behind the backend
    (pyFFTW, CuPy, a CUDA device) does not import or is not usable.  The
    message names the backend and the command that installs it, e.g.
    ``pip install fieldconv[gpu]``.  It subclasses :class:`ImportError` so that
    ``except ImportError`` guards written for optional dependencies keep
    working.
    """


class HostDeviceCopyError(FieldconvError, TypeError):
    """An array lives on a different device than the backend asked for.

    fieldconv never copies between host and device behind the caller's back:
    a NumPy array given to the ``"cupy"`` backend (or a device array given to a
    CPU backend) raises this error unless the caller asked for the copy, for
    example with ``backend.asarray(x, copy=True)``.
    """


class CollectiveError(FieldconvError, RuntimeError):
    """A collective step of :mod:`fieldconv.distributed` failed on some ranks with different exceptions.

    Raised on every rank of the communicator, so that no rank enters the next
    collective alone.  ``failures`` lists ``(rank, exception type name,
    message)`` for every failing rank.  When all failing ranks raised the same
    type, that type is raised instead (``ValueError`` stays ``ValueError``).
    """

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


class FileFormatError(FieldconvError, ValueError):
    """A file cannot be read faithfully: truncated, corrupt, inconsistent or not what it must be.

    Raised by the readers of :mod:`fieldconv.io` instead of returning
    different data: a file that is not HDF5 or is truncated, a failed
    checksum (HDF5's fletcher32, the CRC-32 of spectrum files fieldconv
    writes), a missing end marker (``##END=`` in JCAMP-DX, ``# end`` in
    fieldconv CSV), a missing group, dataset or attribute, a dataset of the
    wrong shape or dtype, units that do not parse or have the wrong
    dimension, counts or headers that contradict the data, bytes that are
    not text.  The message starts
    with the file and the dataset, then says what is wrong, so that a batch
    log names the culprit.  Subclasses :class:`ValueError` (bad input).

    Parameters
    ----------
    path : str
        The file.
    dataset : str or None
        The HDF5 object (dataset, group or attribute path) concerned, if any.
    reason : str
        What is wrong and, where there is one, the fix.

    Attributes
    ----------
    path, dataset, reason

    Examples
    --------
    >>> from fieldconv.errors import FileFormatError
    >>> err = FileFormatError("snap.hdf5", "/PartType1/Coordinates", "shape (10, 2); expected (N, 3)")
    >>> str(err)
    'snap.hdf5: /PartType1/Coordinates: shape (10, 2); expected (N, 3)'
    """

    def __init__(self, path, dataset, reason):
        self.path, self.dataset, self.reason = str(path), dataset, reason
        super().__init__(f"{self.path}: {dataset}: {reason}" if dataset else f"{self.path}: {reason}")

    def __reduce__(self):  # picklable across process pools
        return (type(self), (self.path, self.dataset, self.reason))


class FieldconvWarning(UserWarning):
    """Base class of the warnings emitted by fieldconv."""


class AccuracyWarning(FieldconvWarning):
    """A result is valid but less accurate than the caller may expect."""
