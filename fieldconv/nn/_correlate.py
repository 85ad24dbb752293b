"""Grouped 1D correlation as matrix products on the window, and its two adjoints.

With ``cols = unfold(x)`` reshaped to ``(B, g, C/g * k, L_out)`` and the
weights ``w`` of shape ``(O, C/g, k)`` reshaped to ``(g, O/g, C/g * k)``::

    y      = w @ cols                       (forward: the correlation)
    dx     = fold(w^T @ dy)                 (adjoint in x: convolution with the flipped kernel)
    dw     = sum_b dy @ cols^T              (adjoint in w: correlation of x with dy)

Each is one batched matrix product (BLAS ``sgemm``/``dgemm`` on the host,
cuBLAS on CuPy) around the window maps of :mod:`fieldconv.nn._window`.

The batch is processed in chunks so that the unfolded windows (``k`` times
the input) stay small: on the host a chunk's windows fit in about
:data:`HOST_CHUNK_BYTES` (the L2 cache of one core, where the matrix
product reads them back); on a device, whole batches up to
:data:`DEVICE_CHUNK_BYTES`.  The chunking changes no result: every output
sample depends on its own input sample only, and the weight gradient sums
per-chunk products in batch order.

Private module.
"""

from ._checks import dtype_name

__all__ = ["correlate", "correlate_backward", "chunk_size", "HOST_CHUNK_BYTES", "DEVICE_CHUNK_BYTES"]

#: Bytes of unfolded windows per chunk on host backends (about one core's L2).
HOST_CHUNK_BYTES = 2 << 20
#: Bytes of unfolded windows per chunk on device backends.
DEVICE_CHUNK_BYTES = 256 << 20


def chunk_size(be, batch, bytes_per_sample):
    """Samples per chunk for windows of `bytes_per_sample` bytes per sample."""
    budget = HOST_CHUNK_BYTES if be.on_host else DEVICE_CHUNK_BYTES
    return max(1, min(int(batch), budget // max(int(bytes_per_sample), 1)))


def _grouped_weight(xp, w, groups):
    out_ch, cg, k = w.shape
    return xp.reshape(w, (groups, out_ch // groups, cg * k))


def correlate(be, x, w, bias, win, groups):
    """``y[b, o, t] = bias[o] + sum_{c in group(o), j} w[o, c, j] * xpad[b, c, t*s + j*d]``.

    Parameters
    ----------
    be : Backend
    x : array (B, C, L)
    w : array (O, C/groups, k)
    bias : array (O,) or None
    win : Window
    groups : int

    Returns
    -------
    array (B, O, win.out_length), the dtype of `x`
    """
    xp = be.xp
    batch, channels = x.shape[0], x.shape[1]
    out_ch, cg, k = w.shape
    lo = win.out_length
    wm = _grouped_weight(xp, w, groups)
    bcol = None if bias is None else xp.reshape(bias, (out_ch, 1))
    itemsize = 4 if dtype_name(x.dtype) == "float32" else 8
    step = chunk_size(be, batch, channels * k * lo * itemsize)
    y = None if step >= batch else be.empty((batch, out_ch, lo), dtype_name(x.dtype))
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        cols = xp.reshape(win.unfold(be, x[c0:c1, ...]), (c1 - c0, groups, cg * k, lo))
        yc = xp.reshape(xp.matmul(wm, cols), (c1 - c0, out_ch, lo))
        if bcol is not None:
            yc += bcol
        if y is None:
            return yc
        y[c0:c1, ...] = yc
    return y


def correlate_backward(be, x, w, gy, win, groups, *, need_input_grad=True):
    """Gradients of :func:`correlate`: ``(dx, dw, db)`` from the output gradient `gy`.

    ``dx`` (B, C, L) is ``fold(w^T @ gy)`` (None when `need_input_grad` is
    False), ``dw`` (O, C/groups, k) is ``sum_b gy @ unfold(x)^T`` and ``db``
    (O,) is ``gy`` summed over batch and length.
    """
    xp = be.xp
    batch, channels = x.shape[0], x.shape[1]
    out_ch, cg, k = w.shape
    og = out_ch // groups
    lo = win.out_length
    dt = dtype_name(x.dtype)
    wmT = _grouped_weight(xp, w, groups).mT  # (g, C/g*k, O/g)
    itemsize = 4 if dt == "float32" else 8
    step = chunk_size(be, batch, channels * k * lo * itemsize)
    dx = be.empty((batch, channels, win.length), dt) if need_input_grad else None
    dw = None
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        n = c1 - c0
        gyc = xp.reshape(gy[c0:c1, ...], (n, groups, og, lo))
        cols = xp.reshape(win.unfold(be, x[c0:c1, ...]), (n, groups, cg * k, lo))
        part = xp.matmul(gyc, cols.mT)  # (n, g, O/g, C/g*k)
        part = part[0, ...] if n == 1 else xp.sum(part, axis=0)
        dw = part if dw is None else dw + part
        if need_input_grad:
            dcols = xp.reshape(xp.matmul(wmT, gyc), (n, channels, k, lo))
            dx[c0:c1, ...] = win.fold(be, dcols)
    db = xp.sum(gy, axis=(0, 2))
    return dx, xp.reshape(dw, (out_ch, cg, k)), db
