"""Boundary extension of scipy.ndimage's modes as source indices (used by convolution and filters).

For ``abcd``: "reflect" ``dcba|abcd|dcba`` (half-sample symmetric),
"mirror" ``dcb|abcd|cba``, "nearest" ``aaa|abcd|ddd``, "constant"
``kkk|abcd|kkk`` (``k = cval``, index ``-1``), "wrap" ``bcd|abcd|abc``.
Extensions longer than the line continue periodically, as in scipy.ndimage.

Private leaf module: NumPy only.
"""

import numpy as np

__all__ = ["extension_index", "source_index", "extend_axis"]


def extension_index(n, lo, hi, mode):
    """Source index of each extended position ``p = -lo .. n + hi - 1`` (int64).

    ``-1`` marks a constant (``cval``) sample.  Valid for any extension
    length, also longer than the line (the extension is then periodic with
    period ``n`` (wrap), ``2n`` (reflect) or ``2n - 2`` (mirror), as in
    scipy.ndimage).
    """
    return source_index(np.arange(-lo, n + hi, dtype=np.int64), n, mode)


def source_index(p, n, mode):
    """Source index in ``[0, n)`` of extended positions `p` (int64; ``-1``: the constant)."""
    if mode == "wrap":
        return p % n
    if mode == "nearest":
        return np.clip(p, 0, n - 1)
    if mode == "constant":
        return np.where((p >= 0) & (p < n), p, -1)
    if mode == "reflect":
        q = p % (2 * n)
        return np.where(q < n, q, 2 * n - 1 - q)
    # mirror
    if n == 1:
        return np.zeros_like(p)
    q = p % (2 * n - 2)
    return np.where(q < n, q, 2 * n - 2 - q)


def extend_axis(xp, x, axis, lo, hi, mode, cval, *, device=None, to_xp=None):
    """`x` extended by `lo`/`hi` samples along `axis`, in the array namespace `xp`.

    Built with ``xp.take`` of the extension's source indices and
    ``xp.concat`` (the interior is not copied twice); "constant" samples are
    `cval`.  `to_xp` moves the (host) index arrays to `xp` (default
    ``xp.asarray``); `device` is where new arrays go.
    """
    if lo == 0 and hi == 0:
        return x
    n = x.shape[axis]
    if n == 0:
        raise ValueError(f"cannot extend an empty axis (axis {axis} has length 0)")
    to_xp = to_xp or xp.asarray
    idx = extension_index(n, lo, hi, mode)
    parts = []
    for sel, length in ((idx[:lo], lo), (idx[lo + n :], hi)):
        if length == 0:
            continue
        if mode == "constant":
            shape = list(x.shape)
            shape[axis] = length
            parts.append(xp.full(tuple(shape), cval, dtype=x.dtype, device=device))
        else:
            parts.append(xp.take(x, to_xp(sel), axis=axis))
    left = parts[:1] if lo else []
    right = parts[1:] if lo else parts
    return xp.concat(left + [x] + right, axis=axis)
