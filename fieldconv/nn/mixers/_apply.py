"""The big-array half of a channel mixer: ``y = W x + b`` along one axis, and its adjoint.

Everything here acts on the field; the (small) matrices come in ready made.
A field of shape ``(*before, C, *after)`` is viewed, without a copy for a
C-contiguous array, as ``(P, C, Q)`` with ``P = prod(before)`` and
``Q = prod(after)``, and then

* ``Q == 1`` (channels last): rows, ``(P, C) @ W.T`` -- one GEMM;
* otherwise slabs, ``W @ x[p]`` on ``(C, Q)`` -- one GEMM per slab (one
  batched ``matmul`` call; ``P = 1`` for a channels-first field).

No transposed or reordered copy of the field is ever made: BLAS reads the
strided views directly (a transposed operand is a flag, not a copy).

Each product is one BLAS call over the whole field, not a loop over
cache-sized chunks: a multithreaded GEMM per chunk pays a thread barrier per
chunk, which on a loaded machine (threads descheduled) costs far more than
the cache reuse saves (measured: 6-18x slower at load 5 on 2 cores).

The bias costs no extra pass on host backends: the output is pre-filled with
``b`` and the GEMM accumulates into it (``beta = 1``, through
``scipy.linalg.blas``), which replaces the zeroing pass that a ``beta = 0``
GEMM (``numpy.matmul``) makes over its output anyway.  The pre-fill runs on
``backend.threads`` threads: it is the first touch of a fresh output, and
the kernel's page zeroing costs more than the fill (measured 60 ms per
256 MiB on one thread), so it is shared out as BLAS shares its zeroing.  On other backends
(CuPy, array-API) the bias is an in-place add after ``matmul``.

The finite check reads one output channel (``1 / C_out`` of the output): any
NaN or infinity in ``x[:, p]`` makes every output at ``p`` non-finite
(``NaN * 0 = NaN``, ``inf * 0 = NaN``; BLAS multiplies every term), so one
channel detects them all.  The channel with the largest gain
``sum_i |W_oi|`` is read, which also catches an overflow where it is most
likely (not guaranteed in the other channels).
"""

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["as_slabs", "mix_forward", "mix_backward", "outer_sum", "chunk_plan"]

#: Elements of the input field per centred chunk in :func:`outer_sum` on host backends
#: (16 MiB of float32: few enough chunks that BLAS's per-call thread barrier stays negligible).
_CHUNK_ELEMENTS = 1 << 22


def as_slabs(xp, x, axis):
    """View `x` as ``(P, C, Q)`` around `axis`; returns the view and ``(P, Q)``."""
    shape = tuple(x.shape)
    P = math.prod(shape[:axis])
    Q = math.prod(shape[axis + 1 :])
    return xp.reshape(x, (P, shape[axis], Q)), P, Q


def chunk_plan(P, C, Q, *, on_host=True, chunk_elements=None):
    """Index tuples into the ``(P, C, Q)`` view, in order, covering it once.

    Returns ``(mode, chunks)``: mode ``"rows"`` (``Q == 1``; chunks are row
    slices of the ``(P, C)`` view), ``"slab"`` (chunks ``(p, slice(q0, q1))``)
    or ``"batch"`` (chunks ``slice(p0, p1)`` of whole slabs).  One chunk off
    the host.
    """
    target = _CHUNK_ELEMENTS if chunk_elements is None else int(chunk_elements)
    C = max(C, 1)
    if Q == 1:
        step = P if not on_host else max(1, target // C)
        return "rows", [slice(r, min(r + step, P)) for r in range(0, P, step)]
    if not on_host:
        return "batch", [slice(0, P)]
    cols = max(1, target // C)
    if Q >= cols // 2:
        return "slab", [(p, slice(q, min(q + cols, Q))) for p in range(P) for q in range(0, Q, cols)]
    per = max(1, cols // Q)
    return "batch", [slice(p, min(p + per, P)) for p in range(0, P, per)]


#: Largest dimension handed to scipy's (32-bit integer) BLAS.
_BLAS_INT_MAX = 2**31 - 1
#: Slabs smaller than this (output elements) take the batched ``matmul`` + add path on host.
_SMALL_SLAB = 1 << 14


def _gemm_accumulate(c_t, a_t, b_t, *, trans_a=False):
    """``c_t += op(a_t) @ b_t`` in place on Fortran-ordered views (host, float32/float64)."""
    from scipy.linalg import blas

    gemm = blas.get_blas_funcs("gemm", (c_t,))
    out = gemm(1.0, a_t, b_t, beta=1.0, c=c_t, overwrite_c=1, trans_a=int(trans_a))
    if not np.shares_memory(out, c_t):  # pragma: no cover - f2py copied: write the result back
        c_t[...] = out


_pools = {}
_pools_lock = threading.Lock()
#: Below this many bytes the pre-fill runs in the calling thread.
_PARALLEL_FILL_BYTES = 1 << 24


def _fill(y, value, axis, threads):
    """``y[...] = value`` (broadcast), split along `axis` over `threads` threads (host arrays).

    A fresh output is first touched here: the kernel's page zeroing and the
    fill are shared by the threads as BLAS shares them in a ``beta = 0`` GEMM
    (NumPy releases the GIL for the copies).
    """
    n = y.shape[axis]
    if threads < 2 or n < threads or y.nbytes < _PARALLEL_FILL_BYTES:
        y[...] = value
        return
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="fieldconv-fill")
    bounds = [n * t // threads for t in range(threads + 1)]
    idx = [slice(None)] * y.ndim

    def part(t):
        sl = list(idx)
        sl[axis] = slice(bounds[t], bounds[t + 1])
        y[tuple(sl)] = value

    list(pool.map(part, range(threads)))


def _check_row(xp, W):
    """Index of the output channel with the largest gain ``sum_i |W_oi|``."""
    return int(xp.argmax(xp.sum(xp.abs(W), axis=1)))


def mix_forward(be, W, b, x3, P, Q, *, check_finite=True):
    """``y[p, :, q] = W @ x[p, :, q] + b`` for the ``(P, C_in, Q)`` view `x3`.

    `W` (``(C_out, C_in)``) and `b` (``(C_out,)`` or None) are backend arrays
    in the dtype of `x3`.  Returns ``(y3, finite)``: the ``(P, C_out, Q)``
    output and whether the checked channel is finite (True when not checked).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite output is detected and reported
        return _forward(be, W, b, x3, P, Q, check_finite)


def _forward(be, W, b, x3, P, Q, check_finite):
    xp = be.xp
    Ci, Co = x3.shape[1], W.shape[0]
    host_gemm = be.on_host and b is not None and 0 < P * Q and max(P, Q) <= _BLAS_INT_MAX
    if Q == 1:
        x2 = xp.reshape(x3, (P, Ci))
        if host_gemm:
            y2 = be.empty((P, Co), dtype=x3.dtype)
            _fill(y2, b, 0, be.threads)
            _gemm_accumulate(y2.T, W.T, x2.T, trans_a=True)  # y^T = W x^T + y^T
        else:
            y2 = xp.matmul(x2, W.T)
            if b is not None:
                y2 += b
        finite = (not check_finite) or bool(xp.isfinite(xp.sum(y2[:, _check_row(xp, W)])))
        return xp.reshape(y2, (P, Co, 1)), finite
    if host_gemm and Q * Co >= _SMALL_SLAB:
        y3 = be.empty((P, Co, Q), dtype=x3.dtype)
        _fill(y3, xp.reshape(b, (Co, 1)), 0 if P >= be.threads else 2, be.threads)
        Wt = W.T
        for p in range(P):
            _gemm_accumulate(y3[p].T, x3[p].T, Wt)  # y[p]^T = x[p]^T W^T + y[p]^T
    else:
        y3 = xp.matmul(W, x3)
        if b is not None:
            y3 += xp.reshape(b, (Co, 1))
    finite = (not check_finite) or bool(xp.isfinite(xp.sum(y3[:, _check_row(xp, W), :])))
    return y3, finite


def mix_backward(be, W, x3, g3, P, Q, *, need_bias):
    """Adjoint of :func:`mix_forward`.

    Returns ``(gx3, gW, gb)``: ``gx = W.T g`` with the shape of `x3`,
    ``gW = sum_{p,q} g x^T`` and ``gb = sum_{p,q} g`` (None unless
    `need_bias`), the last two in float64 on the backend.  Two GEMMs over
    the field (the transposed operands are views) and one reduction.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite gW is detected and reported
        return _backward(be, W, x3, g3, P, Q, need_bias)


def _backward(be, W, x3, g3, P, Q, need_bias):
    xp = be.xp
    Ci, Co = x3.shape[1], g3.shape[1]
    f64 = be.dtype(np.float64)
    if Q == 1:
        x2 = xp.reshape(x3, (P, Ci))
        g2 = xp.reshape(g3, (P, Co))
        gx = xp.reshape(xp.matmul(g2, W), (P, Ci, 1))
        gW = xp.matmul(g2.T, x2)
        gb = xp.sum(g2, axis=0) if need_bias else None
    else:
        gx = xp.matmul(W.T, g3)
        if P == 1:
            gW = xp.matmul(g3[0, ...], x3[0, ...].T)
        else:
            gW = xp.sum(xp.matmul(g3, xp.moveaxis(x3, 1, 2)), axis=0)
        gb = xp.sum(g3, axis=(0, 2)) if need_bias else None
    return gx, xp.astype(gW, f64), None if gb is None else xp.astype(gb, f64)


def outer_sum(be, a3, b3, P, Q, *, shift_a=None, shift_b=None):
    """``sum_{p,q} (a - shift_a)(b - shift_b)^T`` over ``(P, Ca, Q)``/``(P, Cb, Q)`` views, float64.

    Unshifted: one product over the field.  Shifted: chunked on host backends
    (the shifted chunk is a temporary of ``_CHUNK_ELEMENTS``); one call on
    devices (a temporary the size of the field).
    """
    xp = be.xp
    f64 = be.dtype(np.float64)
    Ca, Cb = a3.shape[1], b3.shape[1]
    if shift_a is None and shift_b is None:  # one GEMM (SYRK for a is b) per slab, no temporaries
        if Q == 1:
            return xp.astype(xp.matmul(xp.reshape(a3, (P, Ca)).T, xp.reshape(b3, (P, Cb))), f64)
        if P == 1:
            return xp.astype(xp.matmul(a3[0, ...], b3[0, ...].T), f64)
        return xp.astype(xp.sum(xp.matmul(a3, xp.moveaxis(b3, 1, 2)), axis=0), f64)
    acc = be.zeros((Ca, Cb), dtype=np.float64)
    if Q == 1:
        a2, b2 = xp.reshape(a3, (P, Ca)), xp.reshape(b3, (P, Cb))
        mode, chunks = chunk_plan(P, max(Ca, Cb), 1, on_host=be.on_host)
        for rs in chunks:
            ac, bc = a2[rs, :], b2[rs, :]
            if shift_a is not None:
                ac = ac - shift_a
            if shift_b is not None:
                bc = bc - shift_b
            acc += xp.astype(xp.matmul(ac.T, bc), f64)
        return acc
    sa = None if shift_a is None else xp.reshape(shift_a, (Ca, 1))
    sb = None if shift_b is None else xp.reshape(shift_b, (Cb, 1))
    mode, chunks = chunk_plan(P, max(Ca, Cb), Q, on_host=be.on_host)
    for idx in chunks:
        idx = (idx[0], slice(None), idx[1]) if mode == "slab" else (idx, slice(None), slice(None))
        ac, bc = a3[idx], b3[idx]
        if sa is not None:
            ac = ac - sa
        if sb is not None:
            bc = bc - sb
        if mode == "slab":
            acc += xp.astype(xp.matmul(ac, bc.T), f64)
        else:
            acc += xp.astype(xp.tensordot(ac, bc, axes=([0, 2], [0, 2])), f64)
    return acc
