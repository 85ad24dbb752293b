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


def _cols(be, win, x, c0, c1, groups, buf, ones=False):
    """Windows of samples c0:c1 as (g, C/g * k, n * L_out), written into the flat buffer `buf`.

    With `ones` (one group only) a row of ones follows the windows: (1, C*k + 1, n * L_out),
    so that a bias column appended to the weights is added by the same product.
    """
    xp = be.xp
    c, n, k, lo = x.shape[1], c1 - c0, win.kernel_size, win.out_length
    size = c * k * n * lo
    out = xp.reshape(buf[:size], (c, k, n, lo))
    win.unfold(be, xp.permute_dims(x[c0:c1, ...], (1, 0, 2)), tap_axis=-3, out=out)  # reads x in place
    if ones:
        buf[size : size + n * lo] = 1.0
        return xp.reshape(buf[: size + n * lo], (1, c * k + 1, n * lo))
    return xp.reshape(out, (groups, (c // groups) * k, n * lo))


def _itemsize(x):
    return 4 if dtype_name(x.dtype) == "float32" else 8


def _with_bias_column(xp, wm, bias):
    """(1, O, C*k) weights and (O,) bias -> (1, O, C*k + 1)."""
    return xp.concat([wm, xp.reshape(bias, (1, bias.shape[0], 1))], axis=2)


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

    Notes
    -----
    With one group the bias rides in the product (a ones row under the
    windows, the bias as an extra weight column): no pass over the output.
    On host backends a one-sample chunk is multiplied straight into the
    output (NumPy's ``matmul(out=)``).
    """
    xp = be.xp
    batch, channels = x.shape[0], x.shape[1]
    out_ch, cg, k = w.shape
    lo = win.out_length
    dt = dtype_name(x.dtype)
    fused = bias is not None and groups == 1
    wm = _grouped_weight(xp, w, groups)
    if fused:
        wm = _with_bias_column(xp, wm, bias)
    bcol = None if bias is None or fused else xp.reshape(bias, (out_ch, 1, 1))
    step = chunk_size(be, batch, channels * k * lo * _itemsize(x))
    y = be.empty((batch, out_ch, lo), dt)
    buf = be.empty(((channels * k + 1) * step * lo,), dt)
    direct = be.on_host and groups == 1
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        cols = _cols(be, win, x, c0, c1, groups, buf, ones=fused)
        if direct and c1 - c0 == 1:
            xp.matmul(wm[0], cols[0], out=y[c0])  # host only: NumPy writes the product in place
            continue
        yc = xp.reshape(xp.matmul(wm, cols), (out_ch, c1 - c0, lo))
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
    direct = be.on_host and step == 1
    alloc = be.zeros if direct else be.empty
    dx = alloc((batch, channels, win.length), dt) if need_input_grad else None
    buf = be.empty(((channels * k + 1) * step * lo,), dt)
    fused = groups == 1  # the ones row gives db as the last row of the weight gradient
    dwT = None
    for c0 in range(0, batch, step):
        c1 = min(batch, c0 + step)
        n = c1 - c0
        gyc = xp.reshape(xp.permute_dims(gy[c0:c1, ...], (1, 0, 2)), (groups, og, n * lo))  # a copy
        part = xp.matmul(_cols(be, win, x, c0, c1, groups, buf, ones=fused), gyc.mT)  # (g, C/g*k [+1], O/g)
        dwT = part if dwT is None else dwT + part
        if need_input_grad:
            dcols = xp.reshape(xp.matmul(wmT, gyc), (channels, k, n, lo))
            if direct:  # host, one sample: add the windows straight into dx
                win.fold(be, dcols[:, :, 0, :], tap_axis=-2, out=dx[c0])
            else:
                dx[c0:c1, ...] = xp.permute_dims(win.fold(be, dcols, tap_axis=-3), (1, 0, 2))
    if fused:
        db, dwT = dwT[0, -1, :], dwT[:, :-1, :]
    else:
        db = xp.sum(gy, axis=(0, 2))
    return dx, xp.reshape(xp.permute_dims(dwT, (0, 2, 1)), (out_ch, cg, k)), db
