"""The backend protocol, written once on the array API.

:class:`Backend` implements everything on an array namespace ``xp`` and an
FFT module with the ``scipy.fft``/array-API signatures, so a backend is
little more than the choice of those two (plus a device).  The generic code
here is the code the GPU runs: it never calls NumPy on an array of the
backend, and it creates every new array on the backend's device.

Operators ask a backend what it *can do*, never what it is called:

============================  ==============================================
capability                    meaning
============================  ==============================================
``on_host``                   NumPy arrays in host memory: compiled CPU
                              kernels (numba) may run on them
``fft_writes_out``            ``rfftn(..., out=buf)`` transforms straight into
                              ``buf`` (pyFFTW): reusing scratch saves memory;
                              elsewhere ``out=`` is one more copy
``threads``                   threads FFTs, compiled kernels and BLAS use
``kernel_threads(work)``      context: run numba kernels on ``threads``
``blas_threads()``            context: limit BLAS to ``threads``
``scatter_add(i, v, size)``   ``out[i] += v`` for repeated indices (float64)
``median_filter(...)``        running median (raises NotImplementedError
                              where the backend has none)
``device``                    where new arrays live
============================  ==============================================
"""

import contextlib
import math

import numpy as np

from .._dtypes import complex_dtype, np_dtype, real_dtype
from ..errors import HostDeviceCopyError
from ._threads import blas_threads, compiled_threads

__all__ = ["Backend"]

_NORMS = (None, "backward", "ortho", "forward")
FFT_KINDS = ("rfftn", "irfftn", "fftn", "ifftn")


class Backend:
    """An array namespace, an FFT implementation, a device and a thread count.

    Operators receive a backend from :func:`fieldconv.backend.get_backend` and
    use only what is listed here, so the same operator code runs on NumPy,
    pyFFTW, CuPy or any array-API namespace.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"pyfftw"``, ``"cupy"`` or ``"array_api"`` (for
        messages and for :func:`~fieldconv.backend.get_backend`; operators
        never branch on it).
    xp : module
        The array namespace (``numpy``, ``cupy``, ``array_api_strict``...).
    device : object or None
        Where new arrays are created (None: the namespace's default).
    threads : int
        Threads FFTs, compiled kernels and BLAS may use (1 on backends that
        cannot choose).
    on_host : bool
        True when arrays live in host memory as NumPy arrays, so compiled
        CPU kernels (numba) may be used on them.
    fft_writes_out : bool
        True when the FFTs write into ``out=`` without a temporary.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend
    >>> be = get_backend("numpy", threads=1)
    >>> f = be.asarray(np.cos(2 * np.pi * np.arange(8) / 8))
    >>> k = be.k(8, spacing=1.0, rfft=True)            # rad per unit length
    >>> df = be.irfftn(1j * k * be.rfftn(f), s=(8,))   # spectral derivative
    >>> bool(np.allclose(df, -2 * np.pi / 8 * np.sin(2 * np.pi * np.arange(8) / 8)))
    True
    """

    name = "abstract"
    on_host = False
    fft_writes_out = False

    def __init__(self, xp, fft, *, device=None, threads=1):
        self.xp = xp
        self._fft = fft
        self.device = device
        self.threads = int(threads)

    def __repr__(self):
        dev = "" if self.device is None else f", device={self.device!r}"
        return f"<fieldconv backend {self.name!r}, threads={self.threads}{dev}>"

    # ------------------------------------------------------------------ arrays
    def _owns(self, x):
        """True if `x` is an array of this backend (on its device)."""
        return False

    def asarray(self, x, dtype=None, *, copy=None):
        """`x` as an array of this backend, without hidden device copies.

        Parameters
        ----------
        x : array_like
            Data. Python scalars and lists are always accepted; an array of
            another device is accepted only with ``copy=True``.
        dtype : dtype, optional
            Target dtype (a NumPy dtype or name).
        copy : bool or None, optional
            As in the array API: True always copies, None copies only if
            needed (never across devices), False never copies.

        Raises
        ------
        HostDeviceCopyError
            If `x` lives on another device and `copy` is not True.
        """
        xp = self.xp
        if dtype is not None:
            dtype = self.dtype(dtype)
        if self._owns(x) or isinstance(x, (int, float, complex, list, tuple)):
            return xp.asarray(x, dtype=dtype, copy=copy, device=self.device)
        if not copy:
            raise HostDeviceCopyError(
                f"the {self.name!r} backend was given an array of type "
                f"{type(x).__module__}.{type(x).__name__}; fieldconv does not copy between "
                "devices implicitly: move it first or call backend.asarray(x, copy=True)"
            )
        return xp.asarray(self._from_foreign(x), dtype=dtype, device=self.device)

    def _from_foreign(self, x):
        """Explicitly requested copy of a foreign array to host memory."""
        if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
            return x.get()
        to_device = getattr(x, "to_device", None)
        if to_device is not None and not isinstance(x, np.ndarray):
            import array_api_strict as strict  # only for array_api_strict arrays

            return np.asarray(to_device(strict.Device("CPU_DEVICE")))
        return np.asarray(x)

    def to_numpy(self, x):
        """Explicit copy of an array of this backend to a NumPy array."""
        return np.asarray(x)

    def dtype(self, dtype):
        """The namespace's dtype object for a NumPy dtype or name."""
        return getattr(self.xp, np.dtype(dtype).name)

    def empty(self, shape, dtype=np.float64):
        """Uninitialised array (SIMD-aligned on CPU backends)."""
        return self.xp.empty(shape, dtype=self.dtype(dtype), device=self.device)

    def zeros(self, shape, dtype=np.float64):
        """Zero-filled array (SIMD-aligned on CPU backends)."""
        return self.xp.zeros(shape, dtype=self.dtype(dtype), device=self.device)

    def arange(self, n, dtype=np.float64):
        """``0, 1, ..., n-1`` on the backend's device."""
        return self.xp.arange(n, dtype=self.dtype(dtype), device=self.device)

    # ---------------------------------------------------------------- threads
    def kernel_threads(self, work=None):
        """Context in which numba kernels run on ``threads`` (one thread for small `work`)."""
        if not self.on_host:
            return contextlib.nullcontext(1)
        return compiled_threads(self.threads, work)

    def blas_threads(self):
        """Context in which BLAS calls use at most ``threads`` threads."""
        if not self.on_host:
            return contextlib.nullcontext()
        return blas_threads(self.threads)

    # ------------------------------------------------------- scatter, median
    def scatter_add(self, index, values, size):
        """``out = zeros(size, float64); out[index] += values`` with repeated indices summed.

        The array API has no scatter-add: values are sorted by index (stable),
        summed with a float64 cumulative sum and differenced at the segment
        ends, exact to about ``eps * sum|values|``.
        """
        xp = self.xp
        f64 = self.dtype(np.float64)
        values = xp.astype(values, f64)
        order = xp.argsort(index, stable=True)
        sidx = xp.take(index, order)
        csum = xp.concat([xp.zeros(1, dtype=f64, device=self.device), xp.cumulative_sum(xp.take(values, order))])
        cells = xp.arange(size, dtype=sidx.dtype, device=self.device)
        hi = xp.searchsorted(sidx, cells, side="right")
        lo = xp.searchsorted(sidx, cells, side="left")
        return xp.take(csum, hi) - xp.take(csum, lo)

    def median_filter(self, x, size=None, *, footprint=None, mode, cval, origin=0):
        """Running median over a `size` box or a boolean `footprint` (scipy.ndimage semantics), where the backend has one."""
        raise NotImplementedError(
            f"median_filter is not available on the {self.name!r} backend (the array API has no median); "
            "use backend='numpy' or 'cupy'"
        )

    # ---------------------------------------------------------------- wavenumbers
    def freq(self, n, spacing=1.0, *, rfft=False, dtype=np.float64):
        """Sample frequencies in cycles per unit length, FFT order.

        ``freq[m] = m / (n * spacing)`` for ``m < (n+1)//2``, negative above;
        with ``rfft=True`` only the ``n//2 + 1`` non-negative frequencies of
        the real transform.  The Nyquist entry of an even `n` is ``-1/(2h)``
        in the full layout and ``+1/(2h)`` in the rfft layout, as in NumPy.
        """
        m = self._mode_index(n, rfft, dtype)
        return m / self.xp.asarray(n * float(spacing), dtype=self.dtype(dtype), device=self.device)

    def k(self, n, spacing=1.0, *, rfft=False, dtype=np.float64):
        """Angular wavenumbers in radians per unit length, FFT order.

        ``k[m] = 2*pi*m / (n*spacing)`` with the same layout as :meth:`freq`.
        The factor is formed in float64 from the integer mode index so that
        ``k*x`` phases stay exact to rounding.
        """
        m = self._mode_index(n, rfft, dtype)
        scale = 2.0 * math.pi / (n * float(spacing))
        return m * self.xp.asarray(scale, dtype=self.dtype(dtype), device=self.device)

    def _mode_index(self, n, rfft, dtype):
        xp = self.xp
        n = int(n)
        if rfft:
            return xp.arange(n // 2 + 1, dtype=self.dtype(dtype), device=self.device)
        m = xp.arange(n, dtype=self.dtype(dtype), device=self.device)
        half = (n + 1) // 2
        return xp.where(m < half, m, m - n)

    def kgrid(self, shape, spacing=1.0, *, rfft=True, dtype=np.float64):
        """Broadcastable angular wavenumbers, one array per axis.

        Returns a tuple of ``len(shape)`` arrays; entry ``i`` has shape 1 on
        every axis but ``i``.  With ``rfft=True`` the last axis has the
        ``n//2 + 1`` entries of the real transform.
        """
        return self._grid(self.k, shape, spacing, rfft, dtype)

    def freqgrid(self, shape, spacing=1.0, *, rfft=True, dtype=np.float64):
        """Broadcastable frequencies (cycles per length), see :meth:`kgrid`."""
        return self._grid(self.freq, shape, spacing, rfft, dtype)

    def _grid(self, fn, shape, spacing, rfft, dtype):
        ndim = len(shape)
        spacing = (spacing,) * ndim if np.ndim(spacing) == 0 else tuple(spacing)
        out = []
        for i, (n, h) in enumerate(zip(shape, spacing)):
            v = fn(n, h, rfft=rfft and i == ndim - 1, dtype=dtype)
            out.append(self.xp.reshape(v, tuple(-1 if j == i else 1 for j in range(ndim))))
        return tuple(out)

    # ------------------------------------------------------------------- FFTs
    @staticmethod
    def _check_norm(norm):
        if norm not in _NORMS:
            raise ValueError(f"norm must be one of 'backward', 'ortho', 'forward'; got {norm!r}")

    def _fft_call(self, kind, x, s, axes, norm, out, overwrite_x):
        """The one FFT entry every backend implements: transform `kind` of `x`.

        The base version calls ``self._fft.<kind>`` with the scipy.fft
        signature plus :meth:`_fft_options`, then stores into `out`.
        """
        self._check_norm(norm)
        if s is not None and axes is None:  # scipy.fft's rule, spelled out (NumPy 2 deprecates the implicit form)
            axes = tuple(range(x.ndim - len(s), x.ndim))
        y = getattr(self._fft, kind)(x, s=s, axes=axes, norm=norm or "backward", **self._fft_options(overwrite_x))
        return self._store(out, y)

    def _fft_options(self, overwrite_x):
        """Extra keyword arguments of this backend's FFT functions."""
        return {}

    def _store(self, out, y):
        if out is None:
            return y
        out[...] = y
        return out

    def _real_input(self, x):
        x = self.asarray(x)
        if self.xp.isdtype(x.dtype, "complex floating"):
            raise TypeError(f"rfftn needs a real input; got dtype {x.dtype}")
        dt = np_dtype(x.dtype)
        if dt not in (np.float32, np.float64):
            x = self.xp.astype(x, self.dtype(np.float64 if dt.itemsize > 4 else np.float32))
        return x

    def _complex_input(self, x):
        x = self.asarray(x)
        if not self.xp.isdtype(x.dtype, "complex floating"):
            dt = np_dtype(x.dtype)
            x = self.xp.astype(x, self.dtype(complex_dtype(np.float32 if dt == np.float32 else np.float64)))
        return x

    def rfftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        """N-D discrete Fourier transform of real input (``scipy.fft.rfftn``).

        float32 input gives complex64 output, float64 gives complex128.
        `out`, if given, receives the result (no new allocation on backends
        with ``fft_writes_out``).  The input is never modified.
        """
        return self._fft_call("rfftn", self._real_input(x), s, axes, norm, out, overwrite_x)

    def irfftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        """Inverse of :meth:`rfftn` (``scipy.fft.irfftn``).

        complex64 input gives float32 output.  Pass `s` to recover an odd last
        axis.  With ``overwrite_x=True`` the backend may use `x` as scratch
        (a multi-dimensional complex-to-real FFT destroys its input); by
        default `x` is preserved.
        """
        return self._fft_call("irfftn", self._complex_input(x), s, axes, norm, out, overwrite_x)

    def fftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        """N-D complex discrete Fourier transform (``scipy.fft.fftn``)."""
        return self._fft_call("fftn", self._complex_input(x), s, axes, norm, out, overwrite_x)

    def ifftn(self, x, s=None, axes=None, norm=None, *, out=None, overwrite_x=False):
        """N-D inverse complex discrete Fourier transform (``scipy.fft.ifftn``)."""
        return self._fft_call("ifftn", self._complex_input(x), s, axes, norm, out, overwrite_x)

    @staticmethod
    def real_dtype(dtype):
        """Real dtype matching `dtype` (complex64 -> float32)."""
        return real_dtype(dtype)
