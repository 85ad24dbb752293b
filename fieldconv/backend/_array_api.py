"""The generic array-API backend: any namespace with the ``fft`` extension.

This is the code path the GPU runs, exercised on CPU: tests use it with
``array_api_strict`` on its fake ``Device("device1")``, which refuses any
implicit conversion to NumPy exactly as CuPy does, so a stray
``np.asarray`` in an operator's generic path fails loudly here before it
fails on a GPU.
"""

import numpy as np

from ._base import Backend

__all__ = ["ArrayAPIBackend"]


class ArrayAPIBackend(Backend):
    """Backend on an arbitrary array-API namespace and device.

    Parameters
    ----------
    xp : module
        An array-API namespace that implements the ``fft`` extension.
    device : object, optional
        Device on which new arrays are created.
    """

    name = "array_api"
    on_host = False

    def __init__(self, xp, *, device=None, threads=1):
        super().__init__(xp, xp.fft, device=device, threads=1)

    def _owns(self, x):
        ns = getattr(x, "__array_namespace__", None)
        if ns is None or ns() is not self.xp:
            return False
        return self.device is None or x.device == self.device

    def to_numpy(self, x):
        return np.asarray(self._from_foreign(x))
