"""Boundary extension: scipy.ndimage's modes, as source indices and padded arrays.

For ``abcd``: "reflect" ``dcba|abcd|dcba`` (half-sample symmetric, the
default), "mirror" ``dcb|abcd|cba``, "nearest" ``aaa|abcd|ddd``, "constant"
``kkk|abcd|kkk`` (``k = cval``), "wrap" ``bcd|abcd|abc``.  Extensions longer
than the line continue periodically, as in scipy.ndimage.
"""


from .._extension import extend_axis, extension_index, source_index
from .._validate import NDIMAGE_MODES as MODES
from .._validate import check_mode

__all__ = ["MODES", "check_mode", "extension_index", "source_index", "pad_host", "pad_axis_xp", "pad_xp"]


def pad_host(be, x, lo, hi, mode, cval, total=None):
    """`x` extended by ``lo[a]``/``hi[a]`` samples per axis (host, C-contiguous).

    With `total`, the array is allocated with that shape and zero beyond the
    extension (for FFT zero-padding).
    """
    shape = tuple(n + l + h for n, l, h in zip(x.shape, lo, hi))
    alloc = shape if total is None else tuple(total)
    P = be.empty(alloc, x.dtype)  # SIMD-aligned on the host backends
    if total is not None:  # zero only the FFT padding beyond the extension
        for a in range(P.ndim):
            if alloc[a] > shape[a]:
                sl = [slice(None)] * P.ndim
                sl[a] = slice(shape[a], alloc[a])
                P[tuple(sl)] = 0
    inner = tuple(slice(l, l + n) for l, n in zip(lo, x.shape))
    P[inner] = x
    core = tuple(slice(0, s) for s in shape)
    for a, (n, l, h) in enumerate(zip(x.shape, lo, hi)):
        if l == 0 and h == 0:
            continue
        idx = extension_index(n, l, h, mode)
        for start, length, sel in ((0, l, idx[:l]), (l + n, h, idx[l + n :])):
            if length == 0:
                continue
            dst = list(core)
            dst[a] = slice(start, start + length)
            if mode == "constant":
                P[tuple(dst)] = cval
            else:
                src = list(core)
                src[a] = sel + l  # one advanced index: gathers only the slab
                P[tuple(dst)] = P[tuple(src)]
    return P


def pad_xp(be, x, lo, hi, mode, cval):
    for a in range(x.ndim):
        x = pad_axis_xp(be, x, a, lo[a], hi[a], mode, cval)
    return x



def pad_axis_xp(be, x, axis, lo, hi, mode, cval):
    """`x` extended by `lo`/`hi` samples along `axis` (array-API only, built with xp.concat)."""
    return extend_axis(be.xp, x, axis, lo, hi, mode, cval, device=be.device,
                       to_xp=lambda a: be.asarray(a, copy=True))
