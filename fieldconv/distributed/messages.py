"""Point-to-point exchange of byte buffers: 64-bit counts, messages below MPI's 2 GiB limit.

MPI counts and displacements are C ``int``: one message, or one entry of an
``Alltoallv``, cannot exceed ``2**31 - 1`` elements, and a particle exchange
at 10^9+ particles per rank passes that in bytes.  Everything here counts in
int64 and splits each buffer into messages of at most ``max_message_bytes``
(default ``2**30``): receives are posted first, every chunk is a separate
non-blocking message, and MPI's non-overtaking rule (messages between one
pair of ranks with one tag on one communicator arrive in the order they were
sent) puts the chunks back in order.  Sends to oneself are copies.

The communicator should be the library's own duplicate
(:attr:`DistributedMesh.comm`), so that these messages never match a
receive posted by user code.
"""

import numpy as np

from ._mpi import mpi

__all__ = ["MAX_MESSAGE_BYTES", "exchange_counts", "exchange_bytes", "check_message_bytes", "message_stats"]

#: Default largest single message, bytes (1 GiB: half of what a C int can count).
MAX_MESSAGE_BYTES = 1 << 30

_TAG = 0x6663  # "fc": every fieldconv exchange uses this tag on the library's communicator

_stats = {"messages": 0, "bytes": 0, "largest": 0}


def message_stats(reset=False):
    """Messages this rank has sent through :func:`exchange_bytes` (self-copies excluded).

    Returns
    -------
    dict
        ``messages`` (count), ``bytes`` (total) and ``largest`` (bytes of the
        largest single message), since the start or the last reset.
    """
    out = dict(_stats)
    if reset:
        _stats.update(messages=0, bytes=0, largest=0)
    return out


def check_message_bytes(value):
    """Validate a message size limit: an int in [1, 2**31 - 1]."""
    from .._validate import check_int

    value = check_int("max_message_bytes", value, minimum=1)
    if value > (1 << 31) - 1:
        raise ValueError(f"max_message_bytes must be at most 2**31 - 1 (MPI counts are C ints); got {value}")
    return value


def exchange_counts(comm, send_counts):
    """All-to-all of int64 counts: ``recv[j]`` is what rank j sends to this rank.

    Parameters
    ----------
    comm : intracommunicator
    send_counts : array-like (P,), integers
        Items this rank sends to each rank.

    Returns
    -------
    recv_counts : ndarray (P,), int64
    """
    MPI = mpi()
    send = np.ascontiguousarray(send_counts, dtype=np.int64)
    recv = np.empty_like(send)
    comm.Alltoall([send, MPI.INT64_T], [recv, MPI.INT64_T])
    return recv


def exchange_bytes(comm, sends, recvs, *, max_message_bytes=MAX_MESSAGE_BYTES, out=None):
    """Send byte buffers to some ranks and receive from others, in chunks.

    Parameters
    ----------
    comm : intracommunicator
    sends : list of (dest rank, 1-D uint8 C-contiguous array)
        At most one buffer per destination.  Empty buffers send nothing.
    recvs : list of (source rank, int64 number of bytes)
        What to expect from each source (zero: nothing).  Every rank must
        describe the same messages from both ends.
    max_message_bytes : int
        Largest single message.
    out : 1-D uint8 array, optional
        Receive into this buffer, the sources' data back to back in the
        order of `recvs` (its size must be the sum of the byte counts).

    Returns
    -------
    list of 1-D uint8 arrays, one per entry of `recvs`, in that order
    (views of `out` when given).

    Notes
    -----
    Collective over the ranks that appear in the lists (every rank calls it,
    possibly with empty lists).  A buffer of ``B`` bytes travels as
    ``ceil(B / max_message_bytes)`` messages.
    """
    MPI = mpi()
    me = comm.Get_rank()
    chunk = int(max_message_bytes)
    total = sum(int(nbytes) for _, nbytes in recvs)
    if out is None:
        out = np.empty(total, dtype=np.uint8)
    elif out.dtype != np.uint8 or out.ndim != 1 or out.size != total:
        raise ValueError(f"out must be a 1-D uint8 array of {total} bytes; got {out.dtype} {out.shape}")
    views = []
    reqs = []
    own = None
    off0 = 0
    for src, nbytes in recvs:
        buf = out[off0 : off0 + int(nbytes)]
        off0 += int(nbytes)
        views.append(buf)
        if src == me:
            own = buf
            continue
        for off in range(0, buf.size, chunk):
            reqs.append(comm.Irecv([buf[off : off + chunk], MPI.BYTE], source=src, tag=_TAG))
    for dest, data in sends:
        data = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        if dest == me:
            if own is None or own.size != data.size:
                raise RuntimeError(  # a planning bug, not user input: the plans of both ends disagree
                    f"self-message of {data.size} bytes does not match the expected "
                    f"{None if own is None else own.size} bytes"
                )
            own[...] = data
            continue
        for off in range(0, data.size, chunk):
            piece = data[off : off + chunk]
            reqs.append(comm.Isend([piece, MPI.BYTE], dest=dest, tag=_TAG))
            _stats["messages"] += 1
            _stats["bytes"] += piece.size
            _stats["largest"] = max(_stats["largest"], piece.size)
    if reqs:
        MPI.Request.Waitall(reqs)
    return views
