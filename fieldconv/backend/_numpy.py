"""The NumPy reference backend: NumPy arrays, scipy.fft transforms."""

import math

import numpy as np

from ..errors import HostDeviceCopyError
from ._base import Backend

__all__ = ["NumpyBackend", "aligned_empty", "SIMD_ALIGNMENT"]

#: Byte alignment of the buffers made by CPU backends (AVX-512 friendly).
SIMD_ALIGNMENT = 64


def aligned_empty(shape, dtype, alignment=SIMD_ALIGNMENT):
    """Uninitialised C-contiguous NumPy array whose data start is `alignment`-aligned."""
    dtype = np.dtype(dtype)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    offset = (-raw.ctypes.data) % alignment
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)


class NumpyBackend(Backend):
    """Reference CPU backend: NumPy arrays and ``scipy.fft`` with ``workers``.

    Parameters
    ----------
    threads : int
        ``workers`` passed to ``scipy.fft``.
    """

    name = "numpy"
    on_host = True

    def __init__(self, *, threads=1):
        import scipy.fft

        super().__init__(np, scipy.fft, device=None, threads=threads)

    def _owns(self, x):
        return isinstance(x, (np.ndarray, np.generic))

    def asarray(self, x, dtype=None, *, copy=None):
        if dtype is not None:
            dtype = np.dtype(dtype)
        if self._owns(x) or isinstance(x, (int, float, complex, list, tuple)):
            return np.asarray(x, dtype=dtype, copy=copy) if copy is not None else np.asarray(x, dtype=dtype)
        foreign = hasattr(x, "__cuda_array_interface__") or (
            hasattr(x, "__array_namespace__") and not hasattr(x, "__array_interface__")
        )
        if foreign:
            if not copy:
                raise HostDeviceCopyError(
                    f"the {self.name!r} backend was given a device array of type "
                    f"{type(x).__module__}.{type(x).__name__}; fieldconv does not copy device "
                    "arrays to the host implicitly: pass backend='cupy' (or the array's own "
                    "backend), or copy explicitly with backend.asarray(x, copy=True)"
                )
            return np.asarray(self._from_foreign(x), dtype=dtype)
        try:
            return np.asarray(x, dtype=dtype)
        except (RuntimeError, TypeError) as exc:
            raise HostDeviceCopyError(
                f"the {self.name!r} backend cannot read an array of type {type(x).__name__} "
                f"without an explicit copy ({exc})"
            ) from exc

    def dtype(self, dtype):
        return np.dtype(dtype)

    def empty(self, shape, dtype=np.float64):
        return aligned_empty(shape, dtype)

    def zeros(self, shape, dtype=np.float64):
        a = aligned_empty(shape, dtype)
        a.fill(0)
        return a

    def arange(self, n, dtype=np.float64):
        return np.arange(n, dtype=dtype)

    def _fft_options(self, overwrite_x):
        return {"workers": self.threads, "overwrite_x": overwrite_x}

    def _store(self, out, y):
        if out is None:
            return y
        np.copyto(out, y, casting="same_kind")
        return out

    def scatter_add(self, index, values, size):
        # bincount sums in float64 in index order: deterministic, and far faster than np.add.at
        return np.bincount(index, weights=values, minlength=size).astype(np.float64, copy=False)

    def median_filter(self, x, size=None, *, footprint=None, mode, cval, origin=0):
        import scipy.ndimage

        return scipy.ndimage.median_filter(x, size=size, footprint=footprint, mode=mode, cval=cval, origin=origin)
