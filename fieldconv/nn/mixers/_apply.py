"""The big-array half of a channel mixer: ``y = W x + b`` along one axis, and its adjoint.

Everything here acts on the field; the (small) matrices come in ready made.
A field of shape ``(*before, C, *after)`` is viewed, without a copy for a
C-contiguous array, as ``(P, C, Q)`` with ``P = prod(before)`` and
``Q = prod(after)``, and then

* ``Q == 1`` (channels last): rows ``(P, C) @ W.T`` -- one GEMM;
* otherwise: ``W @ x[p]`` on ``(C, Q)`` slabs -- one GEMM per slab, or a
  batched matmul over several ``p`` when the slabs are short.

No transposed or reordered copy of the field is ever made: BLAS reads the
strided views directly.

On host backends (NumPy arrays) the columns are processed in cache-sized
chunks written straight into the output with ``matmul(..., out=)``, and the
bias is added to each chunk while it is still in cache, so ``W x + b`` costs
one read of `x` and one write of `y`, like the bare product.  The backward
pass reads each chunk of the output gradient once for all three products
(``W.T g``, ``sum g x.T`` and ``sum g``).  On other backends (CuPy, any
array-API namespace) the whole slab is one call: a GPU kernel launch per
cache-sized chunk would cost more than it saves.

The weight gradient is accumulated in float64 across chunks (C x C numbers).
A cheap checksum (the sum of each output chunk, formed while the chunk is
in cache) detects NaN or infinity in the field without another pass over it.
"""

import math

import numpy as np

__all__ = ["as_slabs", "mix_forward", "mix_backward", "outer_sum", "chunk_plan"]

#: Elements of the input field per chunk on host backends (1 MiB of float32
#: per operand: input and output chunks stay in L2/L3 for the bias add).
_CHUNK_ELEMENTS = 1 << 18


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
    or ``"batch"`` (chunks ``slice(p0, p1)`` of whole slabs).
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


def _checksum_ok(xp, sums):
    """True when every recorded chunk sum is finite (one device sync)."""
    if not sums:
        return True
    total = sums[0] if len(sums) == 1 else xp.sum(xp.stack(sums))
    return bool(xp.isfinite(total))


def mix_forward(be, W, b, x3, P, Q, *, check_finite=True):
    """``y[p, :, q] = W @ x[p, :, q] + b`` for the ``(P, C_in, Q)`` view `x3`.

    `W` (``(C_out, C_in)``) and `b` (``(C_out,)`` or None) are backend arrays
    in the dtype of `x3`.  Returns ``(y3, finite)``: the ``(P, C_out, Q)``
    output and whether its checksum was finite (True when not checked).
    """
    xp = be.xp
    Ci, Co = x3.shape[1], W.shape[0]
    if not be.on_host:  # one call each: no chunking on devices
        if Q == 1:
            y = xp.matmul(xp.reshape(x3, (P, Ci)), W.T)
            if b is not None:
                y += b
            y = xp.reshape(y, (P, Co, 1))
        else:
            y = xp.matmul(W, x3)
            if b is not None:
                y += xp.reshape(b, (Co, 1))
        return y, (not check_finite) or bool(xp.isfinite(xp.sum(y)))
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite output is detected and reported
        return _host_forward(be, W, b, x3, P, Q, check_finite)


def _host_forward(be, W, b, x3, P, Q, check_finite):
    xp = be.xp
    Ci, Co = x3.shape[1], W.shape[0]
    mode, chunks = chunk_plan(P, Ci, Q, on_host=True)
    sums = []
    if mode == "rows":
        x2 = xp.reshape(x3, (P, Ci))
        y2 = be.empty((P, Co), dtype=x3.dtype)
        Wt = W.T
        for rs in chunks:
            yc = y2[rs]
            xp.matmul(x2[rs], Wt, out=yc)
            if b is not None:
                yc += b
            if check_finite:
                sums.append(xp.sum(yc))
        return xp.reshape(y2, (P, Co, 1)), (not check_finite) or _checksum_ok(xp, sums)
    y3 = be.empty((P, Co, Q), dtype=x3.dtype)
    bcol = None if b is None else xp.reshape(b, (Co, 1))
    for idx in chunks:
        if mode == "slab":
            idx = (idx[0], slice(None), idx[1])
        yc = y3[idx]
        xp.matmul(W, x3[idx], out=yc)
        if bcol is not None:
            yc += bcol
        if check_finite:
            sums.append(xp.sum(yc))
    return y3, (not check_finite) or _checksum_ok(xp, sums)


def mix_backward(be, W, x3, g3, P, Q, *, need_bias):
    """Adjoint of :func:`mix_forward`.

    Returns ``(gx3, gW, gb)``: ``gx = W.T g`` with the shape of `x3`,
    ``gW = sum_{p,q} g x^T`` and ``gb = sum_{p,q} g`` (None unless
    `need_bias`), the last two in float64 on the backend.
    """
    xp = be.xp
    Ci, Co = x3.shape[1], g3.shape[1]
    f64 = be.dtype(np.float64)
    if not be.on_host:  # one call each: no chunking on devices
        if Q == 1:
            x2 = xp.reshape(x3, (P, Ci))
            g2 = xp.reshape(g3, (P, Co))
            gx = xp.reshape(xp.matmul(g2, W), (P, Ci, 1))
            gW = xp.matmul(g2.T, x2)
            gb = xp.sum(g2, axis=0) if need_bias else None
        else:
            gx = xp.matmul(W.T, g3)
            gW = xp.tensordot(g3, x3, axes=([0, 2], [0, 2]))
            gb = xp.sum(g3, axis=(0, 2)) if need_bias else None
        return gx, xp.astype(gW, f64), None if gb is None else xp.astype(gb, f64)
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite gW is detected and reported
        return _host_backward(be, W, x3, g3, P, Q, need_bias)


def _host_backward(be, W, x3, g3, P, Q, need_bias):
    xp = be.xp
    Ci, Co = x3.shape[1], g3.shape[1]
    f64 = be.dtype(np.float64)
    if Q == 1:
        x2 = xp.reshape(x3, (P, Ci))
        g2 = xp.reshape(g3, (P, Co))
    gW = be.zeros((Co, Ci), dtype=np.float64)
    gb = be.zeros((Co,), dtype=np.float64) if need_bias else None
    mode, chunks = chunk_plan(P, Ci, Q, on_host=True)
    if mode == "rows":
        gx2 = be.empty((P, Ci), dtype=x3.dtype)
        for rs in chunks:
            gc = g2[rs]
            xp.matmul(gc, W, out=gx2[rs])
            gW += xp.astype(xp.matmul(gc.T, x2[rs]), f64)
            if need_bias:
                gb += xp.astype(xp.sum(gc, axis=0), f64)
        return xp.reshape(gx2, (P, Ci, 1)), gW, gb
    Wt = W.T
    gx3 = be.empty((P, Ci, Q), dtype=x3.dtype)
    for idx in chunks:
        if mode == "slab":
            idx = (idx[0], slice(None), idx[1])
        gc = g3[idx]
        xc = x3[idx]
        xp.matmul(Wt, gc, out=gx3[idx])
        if mode == "slab":
            gW += xp.astype(xp.matmul(gc, xc.T), f64)
            if need_bias:
                gb += xp.astype(xp.sum(gc, axis=1), f64)
        else:
            gW += xp.astype(xp.tensordot(gc, xc, axes=([0, 2], [0, 2])), f64)
            if need_bias:
                gb += xp.astype(xp.sum(gc, axis=(0, 2)), f64)
    return gx3, gW, gb


def outer_sum(be, a3, b3, P, Q, *, shift_a=None, shift_b=None):
    """``sum_{p,q} (a - shift_a)(b - shift_b)^T`` over ``(P, Ca, Q)``/``(P, Cb, Q)`` views, float64.

    Chunked on host backends (the shifted chunk is a cache-sized temporary);
    one call on devices (a temporary the size of the field when shifted).
    """
    xp = be.xp
    f64 = be.dtype(np.float64)
    Ca, Cb = a3.shape[1], b3.shape[1]
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
