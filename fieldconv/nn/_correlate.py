"""Grouped 1D correlation as matrix products on the window, and its two adjoints.

A chunk of ``b`` samples is laid out channel-major, ``xt = x.transpose(1, 0, 2)``
of shape (C, b, L), and unfolded with the taps before the batch, so that its
windows form one matrix ``cols`` of shape (g, C/g * k, b * L_out) whose
columns are all (sample, output point) pairs.  With the weights ``w`` of
shape (O, C/g, k) viewed as ``W`` (g, O/g, C/g * k)::

    y      = W @ cols                       (forward: the correlation)
    dx     = fold(W^T @ dy)                 (adjoint in x: convolution with the flipped kernel)
    dw     = dy @ cols^T                    (adjoint in w: correlation of x with dy)

with ``dy`` laid out as (g, O/g, b * L_out).  Each is one matrix product per
chunk and group (BLAS ``sgemm``/``dgemm`` on the host, cuBLAS on CuPy) around
the window maps of :mod:`fieldconv.nn._window`; the weight gradient's inner
dimension runs over the whole chunk.

The batch is processed in chunks so that the unfolded windows (``k`` times
the input) stay small: on the host a chunk's windows fit in about
:data:`HOST_CHUNK_BYTES` (the L2 cache of one core, where the matrix
product reads them back); on a device, whole batches up to
:data:`DEVICE_CHUNK_BYTES`.  The chunking changes no result but the order
of the weight gradient's sum over samples.

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


def _cols(be, win, x, c0, c1, groups):
    """Windows of samples c0:c1 as (g, C/g * k, n * L_out)."""
    xp = be.xp
    xt = xp.permute_dims(x[c0:c1, ...], (1, 0, 2))  # (C, n, L)
    cols = win.unfold(be, xt, tap_axis=-3)  # (C, k, n, L_out), a new contiguous array
    c, k, n, lo = cols.shape
    return xp.reshape(cols, (groups, (c // groups) * k, n * lo))


def _itemsize(x):
    return 4 if dtype_name(x.dtype) == "float32" else 8


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
    bcol = None if bias is None else xp.reshape(bias, (out_ch, 1, 1))
    step = chunk_size(be, batch, channels * k * lo * _itemsize(x))
    y = be.empty((batch, out_ch, lo), dtype_name(x.dtype))
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        yc = xp.reshape(xp.matmul(wm, _cols(be, win, x, c0, c1, groups)), (out_ch, c1 - c0, lo))
        if bcol is not None:
            yc += bcol
        y[c0:c1, ...] = xp.permute_dims(yc, (1, 0, 2))
    return y


def correlate_backward(be, x, w, gy, win, groups, *, need_input_grad=True):
    """Gradients of :func:`correlate`: ``(dx, dw, db)`` from the output gradient `gy`.

    ``dx`` (B, C, L) is ``fold(W^T @ gy)`` (None when `need_input_grad` is
    False), ``dw`` (O, C/groups, k) is ``gy @ cols^T`` summed over chunks and
    ``db`` (O,) is ``gy`` summed over batch and length.
    """
    xp = be.xp
    batch, channels = x.shape[0], x.shape[1]
    out_ch, cg, k = w.shape
    og = out_ch // groups
    lo = win.out_length
    dt = dtype_name(x.dtype)
    wmT = _grouped_weight(xp, w, groups).mT  # (g, C/g*k, O/g)
    step = chunk_size(be, batch, channels * k * lo * _itemsize(x))
    dx = be.empty((batch, channels, win.length), dt) if need_input_grad else None
    dw = None
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        n = c1 - c0
        gyc = xp.reshape(xp.permute_dims(gy[c0:c1, ...], (1, 0, 2)), (groups, og, n * lo))  # a copy
        part = xp.matmul(gyc, _cols(be, win, x, c0, c1, groups).mT)  # (g, O/g, C/g*k)
        dw = part if dw is None else dw + part
        if need_input_grad:
            dcols = xp.reshape(xp.matmul(wmT, gyc), (channels, k, n, lo))
            dx[c0:c1, ...] = xp.permute_dims(win.fold(be, dcols, tap_axis=-3), (1, 0, 2))
    db = xp.sum(gy, axis=(0, 2))
    return dx, xp.reshape(dw, (out_ch, cg, k)), db
