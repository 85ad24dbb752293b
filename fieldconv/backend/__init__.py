"""The CPU/GPU backend switch, the thread policy and the caches.

Every operator of fieldconv is written once against a small protocol (the
:class:`Backend` object: an array namespace ``xp``, real and complex n-D FFTs,
wavenumber helpers, ``asarray``/``to_numpy``, aligned ``empty``/``zeros``,
and capabilities such as ``scatter_add`` and ``kernel_threads``) and takes a
``backend=`` argument.  The backend used by a call is resolved in this order:

1. the explicit ``backend=`` argument (a name or a :class:`Backend`);
2. the innermost :func:`use_backend` scope (a ``ContextVar``: per thread and
   per asyncio task, restored on exit);
3. the type of the input array (a CuPy array selects ``"cupy"`` on that
   array's device, an array-API array of another library selects the generic
   ``"array_api"`` backend on that array's namespace and device);
4. the default: ``"pyfftw"`` where pyFFTW imports, else ``"numpy"``.

Threads: one setting, :func:`threads` (or ``use_backend(..., threads=n)``,
or ``FIELDCONV_NUM_THREADS``), drives FFTW, the numba kernels and BLAS; see
:mod:`fieldconv.backend._threads` and ``docs/backend.md``.

Caches: :func:`cache_info` shows what each cache holds, :func:`clear_caches`
frees them, :func:`set_cache_limit` bounds them in bytes.

Backends
--------
``"numpy"``
    Reference: NumPy arrays and ``scipy.fft`` (``workers=threads``).
``"pyfftw"``
    CPU default: NumPy arrays and cached FFTW plans, under a planner policy
    that is never much slower than scipy.fft on a first call and measured
    FFTW on repeated calls (:func:`fft_planner_info`, :func:`plan_fft`,
    :func:`save_wisdom`; ``docs/backend.md``).
``"cupy"``
    GPU: CuPy arrays and ``cupyx.scipy.fft``; ``pip install fieldconv[gpu]``.
``"array_api"``
    Any array-API namespace (used for ``array_api_strict`` in the tests; it
    runs the same generic code as the GPU).

Nothing heavy is imported until a backend is first asked for.

Examples
--------
>>> import numpy as np
>>> from fieldconv.backend import get_backend, use_backend
>>> be = get_backend("numpy")
>>> be.name
'numpy'
>>> x = np.ones((4, 6), dtype=np.float32)
>>> X = be.rfftn(x)
>>> X.dtype, X.shape
(dtype('complex64'), (4, 4))
>>> with use_backend("numpy", threads=1):
...     get_backend().threads
1
"""

from ._base import Backend
from ._caches import cache_info, clear_caches, clear_plan_cache, plan_cache_info, set_cache_limit
from ._fftw_plans import planner_effort
from ._resolution import BACKEND_NAMES, available_backends, backend_status, get_backend, use_backend
from ._threads import current_threads, default_threads, threads
from ._planner import fft_planner_info, plan_fft
from ._wisdom import load_wisdom, save_wisdom

__all__ = [
    "Backend",
    "BACKEND_NAMES",
    "available_backends",
    "backend_status",
    "get_backend",
    "use_backend",
    "threads",
    "default_threads",
    "current_threads",
    "cache_info",
    "clear_caches",
    "set_cache_limit",
    "save_wisdom",
    "load_wisdom",
    "plan_fft",
    "fft_planner_info",
    "plan_cache_info",
    "clear_plan_cache",
    "planner_effort",
]
