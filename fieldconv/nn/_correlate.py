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

The batch is processed in pieces so that the unfolded windows (``k`` times
the input) stay small: on a one-thread host backend a piece's windows fit
in about :data:`HOST_CHUNK_BYTES` (the L2 cache of one core, where the
matrix product reads them back), with several threads in
:data:`HOST_THREADED_CHUNK_BYTES` (fewer, larger threaded products); on a
device, whole batches up to :data:`DEVICE_CHUNK_BYTES`.  A sample whose
windows exceed the budget is cut along its output points.  The pieces
change no result but the order of the weight gradient's sum over samples.

Private module.
"""

from ._checks import dtype_name

__all__ = ["correlate", "correlate_backward", "pieces", "HOST_CHUNK_BYTES", "HOST_THREADED_CHUNK_BYTES",
           "DEVICE_CHUNK_BYTES"]

#: Bytes of unfolded windows per piece on one-thread host backends (measured: OpenBLAS sgemm runs
#: fastest on panels of about 1 MB, which stay in a core's L2 while the product reads them).
HOST_CHUNK_BYTES = 1 << 20
#: The same with several threads (``backend.threads > 1``): a threaded GEMM ends in a barrier, which
#: costs a scheduler quantum whenever another process holds a core; 16 MB pieces keep the barriers to
#: a few per layer (measured at load 5-10 on 2 cores: 1 MB pieces ran 8x slower than 16 MB ones).
HOST_THREADED_CHUNK_BYTES = 16 << 20
#: Bytes of unfolded windows per piece on device backends.
DEVICE_CHUNK_BYTES = 256 << 20


def pieces(be, batch, rows, out_length, itemsize):
    """``[(c0, c1, t0, t1)]``: samples c0:c1 and output points t0:t1 whose windows fit the budget.

    `rows` is the number of window rows (C * k [+ 1]).  Whole samples are
    grouped while they fit; a sample too long for the budget is cut along
    its output points.
    """
    if be.on_host:
        budget = HOST_CHUNK_BYTES if be.threads <= 1 else max(HOST_CHUNK_BYTES, HOST_THREADED_CHUNK_BYTES)
    else:
        budget = DEVICE_CHUNK_BYTES
    per_sample = max(1, rows * out_length * itemsize)
    if per_sample <= budget:
        step = max(1, min(int(batch), budget // per_sample))
        return [(c0, min(batch, c0 + step), 0, out_length) for c0 in range(0, batch, step)]
    span = max(1, budget // max(1, rows * itemsize))
    cuts = -(-out_length // span)
    span = -(-out_length // cuts)  # equal pieces
    return [(b, b + 1, t0, min(out_length, t0 + span)) for b in range(batch) for t0 in range(0, out_length, span)]


def _grouped_weight(xp, w, groups):
    out_ch, cg, k = w.shape
    return xp.reshape(w, (groups, out_ch // groups, cg * k))


def _cols(be, win, x, piece, groups, buf, ones=False):
    """Windows of a piece as (g, C/g * k, n * P), written into the flat buffer `buf`.

    With `ones` (one group only) a row of ones follows the windows: (1, C*k + 1, n * P),
    so that a bias column appended to the weights is added by the same product.
    """
    xp = be.xp
    c0, c1, t0, t1 = piece
    c, n, k, p = x.shape[1], c1 - c0, win.kernel_size, t1 - t0
    size = c * k * n * p
    out = xp.reshape(buf[:size], (c, k, n, p))
    # reads x in place (a strided view); the windows land in (C, k, n, P) order
    win.unfold(be, xp.permute_dims(x[c0:c1, ...], (1, 0, 2)), tap_axis=-3, out=out, t_range=(t0, t1))
    if ones:
        buf[size : size + n * p] = 1.0
        return xp.reshape(buf[: size + n * p], (1, c * k + 1, n * p))
    return xp.reshape(out, (groups, (c // groups) * k, n * p))


def _itemsize(x):
    return 4 if dtype_name(x.dtype) == "float32" else 8


def _with_bias_column(xp, wm, bias):
    """(1, O, C*k) weights and (O,) bias -> (1, O, C*k + 1)."""
    return xp.concat([wm, xp.reshape(bias, (1, bias.shape[0], 1))], axis=2)


def _buffer(be, chunks, rows, dt):
    size = max((c1 - c0) * (t1 - t0) for c0, c1, t0, t1 in chunks) * rows
    return be.empty((size,), dt)


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
    On host backends a one-sample piece is multiplied straight into the
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
    rows = channels * k + 1
    chunks = pieces(be, batch, rows, lo, _itemsize(x))
    y = be.empty((batch, out_ch, lo), dt)
    buf = _buffer(be, chunks, rows, dt)
    direct = be.on_host and groups == 1
    for piece in chunks:
        c0, c1, t0, t1 = piece
        cols = _cols(be, win, x, piece, groups, buf, ones=fused)
        if direct and c1 - c0 == 1:
            xp.matmul(wm[0], cols[0], out=y[c0, :, t0:t1])  # host only: NumPy writes the product in place
            if bcol is not None:
                y[c0, :, t0:t1] += bcol[:, 0, :]
            continue
        yc = xp.reshape(xp.matmul(wm, cols), (out_ch, c1 - c0, t1 - t0))
        if bcol is not None:
            yc += bcol
        y[c0:c1, :, t0:t1] = xp.permute_dims(yc, (1, 0, 2))
    return y


def correlate_backward(be, x, w, gy, win, groups, *, need_input_grad=True):
    """Gradients of :func:`correlate`: ``(dx, dw, db)`` from the output gradient `gy`.

    ``dx`` (B, C, L) is ``fold(W^T @ gy)`` (None when `need_input_grad` is
    False), ``dw`` (O, C/groups, k) is ``gy @ cols^T`` summed over pieces and
    ``db`` (O,) is ``gy`` summed over batch and length.
    """
    xp = be.xp
    batch, channels = x.shape[0], x.shape[1]
    out_ch, cg, k = w.shape
    og = out_ch // groups
    lo = win.out_length
    dt = dtype_name(x.dtype)
    wmT = _grouped_weight(xp, w, groups).mT  # (g, C/g*k, O/g)
    rows = channels * k + 1
    chunks = pieces(be, batch, rows, lo, _itemsize(x))
    direct = be.on_host and all(c1 - c0 == 1 for c0, c1, _, _ in chunks)
    partial = any(t0 > 0 or t1 < lo for _, _, t0, t1 in chunks)  # samples cut along their length
    dx = None
    if need_input_grad:
        dx = (be.zeros if direct or partial else be.empty)((batch, channels, win.length), dt)
    buf = _buffer(be, chunks, rows, dt)
    fused = groups == 1  # the ones row gives db as the last row of the weight gradient
    dwT = None
    for piece in chunks:
        c0, c1, t0, t1 = piece
        n, p = c1 - c0, t1 - t0
        gyc = xp.reshape(xp.permute_dims(gy[c0:c1, :, t0:t1], (1, 0, 2)), (groups, og, n * p))
        part = xp.matmul(_cols(be, win, x, piece, groups, buf, ones=fused), gyc.mT)  # (g, C/g*k [+1], O/g)
        dwT = part if dwT is None else dwT + part
        if need_input_grad:
            dcols = xp.reshape(xp.matmul(wmT, gyc), (channels, k, n, p))
            if direct:  # host, one sample: add the windows straight into dx
                win.fold(be, dcols[:, :, 0, :], tap_axis=-2, out=dx[c0], t_range=(t0, t1))
            elif partial:
                dx[c0:c1, ...] += xp.permute_dims(win.fold(be, dcols, tap_axis=-3, t_range=(t0, t1)), (1, 0, 2))
            else:
                dx[c0:c1, ...] = xp.permute_dims(win.fold(be, dcols, tap_axis=-3), (1, 0, 2))
    if fused:
        db, dwT = dwT[0, -1, :], dwT[:, :-1, :]
    else:
        db = xp.sum(gy, axis=(0, 2))
    return dx, xp.reshape(xp.permute_dims(dwT, (0, 2, 1)), (out_ch, cg, k)), db
