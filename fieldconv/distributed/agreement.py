"""Agree on errors before collectives, so that a failure on one rank never hangs the others.

A distributed operator is a sequence of *local steps* (validation, reading a
file, painting a block), which may fail on some ranks only, and *collective
steps* (particle exchange, ghost folding, FFT transposes), which every rank
must enter.  Between the two sits an agreement:

* :func:`agree_on_errors` runs a local step; on leaving it every rank learns,
  with one ``allreduce``, whether any rank failed, and if so every rank raises
  (the failing ranks re-raise their own error, chained; the others raise the
  same exception type with the failing ranks' messages).  No rank goes on to
  the next collective alone.
* :func:`abort_on_error` guards a collective step: an exception escaping it
  (a bug, or a resource failure inside MPI) cannot be agreed on, because
  other ranks may already wait inside the collective, so the job is aborted
  with the message on stderr (``MPI_Abort``) instead of hanging.
* :func:`same_on_all_ranks` checks that an argument (a mesh shape, a scheme)
  is the same on every rank.

With a communicator of one rank the agreement costs one no-op ``allreduce``
and errors propagate exactly as in serial code.

Examples
--------
Every rank raises, whichever rank failed (run under ``mpiexec -n 2``)::

    with agree_on_errors(comm, "read snapshot"):
        f = open(f"snap.{comm.rank}.hdf5", "rb")     # FileNotFoundError on rank 1 only
"""

import contextlib
import importlib
import sys
import traceback

from ..errors import CollectiveError
from ._mpi import mpi

__all__ = ["CollectiveError", "agree_on_errors", "abort_on_error", "same_on_all_ranks"]

_MAX_LISTED = 4  # ranks quoted in a combined message (the rest are counted)


def _describe(exc):
    cls = type(exc)
    return cls.__module__, cls.__qualname__, str(exc)


def _resolve(module, qualname):
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except Exception:
        return None
    return obj if isinstance(obj, type) and issubclass(obj, Exception) else None


def _message(step, size, failures):
    head = ", ".join(f"rank {r}: {name}: {msg}" for r, (_, name, msg) in failures[:_MAX_LISTED])
    more = len(failures) - _MAX_LISTED
    tail = f" (and {more} more ranks)" if more > 0 else ""
    which = "rank" if len(failures) == 1 else "ranks"
    return f"{step} failed on {len(failures)} {which} of {size}: {head}{tail}"


def _raise_agreed(comm, step, exc):
    """Collective: return if no rank failed, else raise the agreed error on every rank."""
    MPI = mpi()
    if not comm.allreduce(exc is not None, op=MPI.LOR):
        return
    infos = comm.allgather(None if exc is None else _describe(exc))
    failures = [(r, info) for r, info in enumerate(infos) if info is not None]
    kinds = {(m, q) for _, (m, q, _msg) in failures}
    message = _message(step, comm.Get_size(), [(r, (m, q.rsplit(".", 1)[-1], msg)) for r, (m, q, msg) in failures])
    agreed = None
    if len(kinds) == 1:
        cls = _resolve(*next(iter(kinds)))
        if cls is not None:
            try:
                agreed = cls(message)
            except Exception:
                agreed = None
    if agreed is None:
        agreed = CollectiveError(message, [(r, q, msg) for r, (_m, q, msg) in failures])
    if exc is not None:
        raise agreed from exc
    raise agreed


@contextlib.contextmanager
def agree_on_errors(comm, step):
    """Run a local step; on exit, every rank raises if any rank failed.

    Parameters
    ----------
    comm : mpi4py intracommunicator
        Every rank of `comm` must enter and leave the block (it ends with one
        ``allreduce``).  The block itself must not call collectives.
    step : str
        What the block does, quoted in the message (``"paint: check positions"``).

    Raises
    ------
    Exception
        The type the failing ranks raised (all the same), with every failing
        rank's message; on the failing ranks chained to the original error.
    CollectiveError
        When the failing ranks raised different types.

    Notes
    -----
    Only :class:`Exception` is caught: ``KeyboardInterrupt`` and
    ``SystemExit`` pass through (the launcher then ends the job).
    """
    failure = None
    try:
        yield
    except Exception as exc:  # agreed on below, re-raised on every rank
        failure = exc
    _raise_agreed(comm, step, failure)


@contextlib.contextmanager
def abort_on_error(comm, step):
    """Guard a collective step: an escaping exception aborts the job with its message.

    With one rank the exception propagates unchanged (there is nobody to
    wait).  With several, the traceback is written to stderr with the rank and
    the step, and ``comm.Abort(1)`` ends every rank of the job: some ranks may
    already wait inside the collective, and waiting for them would hang.
    """
    try:
        yield
    except Exception:
        if comm.Get_size() == 1:
            raise
        sys.stderr.write(
            f"fieldconv.distributed: rank {comm.Get_rank()} of {comm.Get_size()} failed inside the collective "
            f"step {step!r}; other ranks may be waiting in it, so the job is aborted (MPI_Abort).\n"
            f"{traceback.format_exc()}"
        )
        sys.stderr.flush()
        comm.Abort(1)
        raise  # pragma: no cover - Abort does not return


def same_on_all_ranks(comm, name, value):
    """Raise ValueError on every rank unless `value` (picklable, comparable) is equal on all ranks."""
    values = comm.allgather(value)
    if any(v != values[0] for v in values[1:]):
        diff = ", ".join(f"rank {r}: {v!r}" for r, v in enumerate(values[: 2 * _MAX_LISTED]))
        raise ValueError(f"{name} must be the same on every rank; got {diff}")
