"""Per-rank threads: the cores of a node divided among the ranks on it.

Each MPI rank runs FFTW and numba threads of its own.  Left alone, every rank
would start one thread per core and a node running ``R`` ranks would carry
``R`` times as many threads as cores.  :func:`thread_share` gives each rank
its share: the ranks on a node (``comm.Split_type(MPI.COMM_TYPE_SHARED)``)
pool the CPUs they may run on, and the pool is divided evenly (the first
``cores % R`` local ranks take one more).  When the launcher already bound
the ranks to disjoint CPU sets (``srun --cpu-bind=cores``, ``mpiexec -bind-to
core``), each rank keeps its own set.

Until the package-wide thread policy lands, :func:`rank_threads` applies a
share to the calls inside it: ``numba.set_num_threads`` (restored on exit)
and a :func:`fieldconv.use_backend` scope with ``threads=n`` for the FFTs;
:func:`apply_thread_share` sets ``FIELDCONV_NUM_THREADS`` and numba's count
for the rest of the process.
"""

import contextlib
import os

from ._mpi import mpi

__all__ = ["ranks_per_node", "thread_share", "rank_thread_count", "rank_threads", "apply_thread_share"]


def _affinity():
    try:
        return frozenset(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return frozenset(range(os.cpu_count() or 1))


def ranks_per_node(comm):
    """(ranks on this rank's node, this rank's index among them).  Collective.

    Examples
    --------
    Under ``mpiexec -n 2`` on one machine: ``ranks_per_node(MPI.COMM_WORLD)``
    is ``(2, 0)`` on rank 0 and ``(2, 1)`` on rank 1.
    """
    MPI = mpi()
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return node.Get_size(), node.Get_rank()
    finally:
        node.Free()


def thread_share(comm):
    """Threads this rank should use so that its node is not oversubscribed.  Collective.

    Returns
    -------
    int >= 1
        With the node's ranks' CPU sets pooled into ``C`` distinct CPUs and
        ``R`` ranks on the node: ``C // R``, plus one for the first ``C % R``
        local ranks; at least 1 (more ranks than cores share cores).  When
        the ranks' CPU sets are pairwise disjoint (bound by the launcher):
        the size of this rank's own set.
    """
    MPI = mpi()
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        mine = _affinity()
        sets = node.allgather(sorted(mine))
        r, nranks = node.Get_rank(), node.Get_size()
    finally:
        node.Free()
    sets = [frozenset(s) for s in sets]
    pool = frozenset().union(*sets)
    if sum(len(s) for s in sets) == len(pool):  # disjoint: the launcher bound the ranks
        return max(1, len(mine))
    q, rem = divmod(len(pool), nranks)
    return max(1, q + (1 if r < rem else 0))


@contextlib.contextmanager
def rank_threads(threads):
    """Scope in which numba kernels and backend FFTs use `threads` threads.

    numba's count is capped at ``numba.config.NUMBA_NUM_THREADS`` and
    restored on exit; the FFTs run in a ``use_backend(<default>, threads=...)``
    scope on the backend that would be used otherwise (its name).
    """
    import numba

    from ..backend import get_backend, use_backend

    n = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    name = get_backend().name
    scope = use_backend(name, threads=int(threads)) if name in ("pyfftw", "numpy") else contextlib.nullcontext()
    try:
        with scope:
            yield n
    finally:
        numba.set_num_threads(before)


def rank_thread_count(comm, threads=None):
    """The thread count of this rank: `threads`, else ``FIELDCONV_NUM_THREADS``, else its share.  Collective.

    Raises
    ------
    ValueError
        `threads` < 1, or ``FIELDCONV_NUM_THREADS`` set but not a positive integer.
    TypeError
        `threads` not an integer.
    """
    from .._validate import check_int
    from ..backend import default_threads

    share = thread_share(comm)  # collective: every rank takes part whatever it decides
    if threads is not None:
        return check_int("threads", threads, minimum=1)
    if os.environ.get("FIELDCONV_NUM_THREADS") not in (None, ""):
        return default_threads()  # the user's explicit setting (validated there)
    return share


def apply_thread_share(comm, threads=None):
    """Give this rank its thread count for the rest of the process.  Collective.

    Parameters
    ----------
    comm : intracommunicator
    threads : int, optional
        Explicit count; default :func:`rank_thread_count`.

    Returns
    -------
    int
        The count applied: ``FIELDCONV_NUM_THREADS`` is set to it (FFTW plans of
        backends created afterwards) and ``numba.set_num_threads`` is called.
    """
    import numba

    threads = rank_thread_count(comm, threads)
    os.environ["FIELDCONV_NUM_THREADS"] = str(threads)
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    return threads
