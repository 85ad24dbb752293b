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


class FieldconvWarning(UserWarning):
    """Base class of the warnings emitted by fieldconv."""


class AccuracyWarning(FieldconvWarning):
    """A result is valid but less accurate than the caller may expect."""
