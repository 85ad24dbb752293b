"""The CuPy backend: CuPy arrays on a CUDA device, ``cupyx.scipy.fft``.

Thin by design: the operators' generic array code runs on ``cupy`` as its
array namespace, and the FFTs are ``cupyx.scipy.fft`` (which, unlike
``scipy.fft``, takes no ``workers`` argument).  CuPy keeps a per-device FFT
plan cache that holds GPU memory; ``plan_cache_size`` and
``plan_cache_memsize`` bound it.  ``cupyx.scipy.ndimage`` filters accumulate
in float32 for float32 input, so operators that need float64 accumulation do
not route float64 work through them.

A NumPy array given to this backend raises
:class:`~fieldconv.errors.HostDeviceCopyError` unless the caller asks for the
copy with ``backend.asarray(x, copy=True)``.
"""

from ..errors import BackendUnavailableError
from ._base import Backend

__all__ = ["CupyBackend", "cupy_status", "device_id"]


def cupy_status():
    """``(usable, reason)``: whether CuPy imports and sees a CUDA device."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CUDA library load failure
        return False, f"CuPy does not import ({exc.__class__.__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy imports but finds no CUDA device ({exc})"
    if count < 1:
        return False, "CuPy imports but finds no CUDA device"
    return True, f"{count} CUDA device(s)"


def device_id(device):
    """The integer id of a CUDA device given as an int or a ``cupy.cuda.Device``."""
    return int(getattr(device, "id", device))


class CupyBackend(Backend):
    """GPU backend: CuPy arrays and ``cupyx.scipy.fft``.

    Parameters
    ----------
    device : int, optional
        CUDA device id (default: CuPy's current device).
    plan_cache_size : int, optional
        Maximum number of cuFFT plans CuPy keeps per device.
    plan_cache_memsize : int, optional
        Maximum bytes of GPU memory those plans may hold (-1: unbounded).
    """

    name = "cupy"
    on_host = False

    def __init__(self, *, device=None, plan_cache_size=None, plan_cache_memsize=None, threads=1):
        ok, reason = cupy_status()
        if not ok:
            raise BackendUnavailableError(
                f"backend 'cupy' is unavailable: {reason}; install it with "
                "`pip install fieldconv[gpu]` on a machine with a CUDA GPU"
            )
        import cupy
        import cupyx.scipy.fft

        dev = cupy.cuda.Device(device_id(device)) if device is not None else cupy.cuda.Device()
        super().__init__(cupy, cupyx.scipy.fft, device=dev, threads=1)
        cache = cupy.fft.config.get_plan_cache()
        if plan_cache_size is not None:
            cache.set_size(int(plan_cache_size))
        if plan_cache_memsize is not None:
            cache.set_memsize(int(plan_cache_memsize))

    def _owns(self, x):
        return isinstance(x, self.xp.ndarray)

    def to_numpy(self, x):
        return self.xp.asnumpy(x)

    def _fft_options(self, overwrite_x):
        return {"overwrite_x": overwrite_x}

    def scatter_add(self, index, values, size):  # pragma: no cover - needs a GPU
        import cupyx

        out = self.xp.zeros(size, dtype=self.xp.float64)
        cupyx.scatter_add(out, index, self.xp.astype(values, self.xp.float64))
        return out

    def median_filter(self, x, size=None, *, footprint=None, mode, cval, origin=0):  # pragma: no cover - needs a GPU
        import cupyx.scipy.ndimage

        fp = None if footprint is None else self.xp.asarray(footprint)
        return cupyx.scipy.ndimage.median_filter(x, size=size, footprint=fp, mode=mode, cval=cval, origin=origin)
