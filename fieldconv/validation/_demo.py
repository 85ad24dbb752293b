"""Built-in demonstration run by ``fieldconv demo``.

Until every operator family has landed this demonstrates the backend layer:
a smooth periodic field with a known Fourier series is transformed on each
usable CPU backend, its spectral derivative is compared with the analytic
one, and the round-trip time per backend is printed.
"""

import math
import numbers
import time

import numpy as np

from ..backend import available_backends, get_backend

__all__ = ["run_demo"]


def _field(n):
    # f(x, y, z) = sin(x) cos(2y) + 0.5 sin(3z), on [0, 2 pi)^3, n points per axis.
    # Phases built from integers modulo n are exact to rounding (see STYLE.md).
    i = np.arange(n)
    ph = 2 * np.pi * i / n
    x, y, z = np.meshgrid(ph, (2 * i % n) * 2 * np.pi / n, (3 * i % n) * 2 * np.pi / n, indexing="ij", sparse=True)
    f = np.sin(x) * np.cos(y) + 0.5 * np.sin(z)
    dfdx = np.cos(x) * np.cos(y)
    return f, dfdx


def run_demo(size=64, backend=None, progress=True):
    """Run the demonstration and print its table; returns 0 on success.

    Parameters
    ----------
    size : int
        Grid points per axis (>= 8).
    backend : str, optional
        Run only this backend (default: every usable CPU backend).
    progress : bool
        Show a progress bar.

    Returns
    -------
    int
        0 (the exit status of ``fieldconv demo``).

    Raises
    ------
    TypeError
        `size` is not an integer (``"16"``, ``16.0``).
    ValueError
        `size` below 8.
    BackendUnavailableError
        An unknown or unusable `backend`, before anything is printed.
    """
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise TypeError(f"size must be an integer >= 8; got {size!r}")
    if size < 8:
        raise ValueError(f"size must be >= 8; got {size}")
    names = [backend] if backend else [b for b in available_backends() if b != "cupy"]
    backends = [get_backend(name) for name in names]  # an unknown or unusable backend raises before any output
    f64, d64 = _field(size)
    rows = []
    try:
        from tqdm import tqdm

        it = tqdm(list(zip(names, backends)), desc="demo", disable=not progress)
    except ImportError:  # pragma: no cover
        it = zip(names, backends)
    for name, be in it:
        for dtype in (np.float32, np.float64):
            f = f64.astype(dtype)
            kx = be.kgrid(f.shape, 2 * math.pi / size, dtype=dtype)[0]
            F = be.rfftn(f)
            be.irfftn(1j * kx * F, s=f.shape)  # plan outside the timing
            t0 = time.perf_counter()
            for _ in range(3):
                g = be.irfftn(1j * kx * be.rfftn(f), s=f.shape)
            dt = (time.perf_counter() - t0) / 3
            err = float(np.max(np.abs(be.to_numpy(g) - d64)))
            rows.append((name, np.dtype(dtype).name, F.dtype.name, g.dtype.name, err, dt * 1e3))
    print(f"spectral d/dx of sin(x)cos(2y)+0.5sin(3z) on {size}^3 (analytic cos(x)cos(2y))")
    print(f"{'backend':8s} {'dtype':8s} {'spectrum':10s} {'result':8s} {'max error':>10s} {'ms/pair':>8s}")
    for r in rows:
        print(f"{r[0]:8s} {r[1]:8s} {r[2]:10s} {r[3]:8s} {r[4]:10.2e} {r[5]:8.2f}")
    return 0
