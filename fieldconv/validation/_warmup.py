"""Warm-up for job scripts: compile the numba kernels and plan the FFTs a job will use, before it starts.

``fieldconv warmup`` (and :func:`warmup`) runs each chosen operator family
once per dtype on small inputs that take the same compiled code paths as
large ones, so that numba compiles (or loads from its on-disk cache) exactly
the specialisations the job's calls need, and, for each ``shape`` given,
measures the FFTW plans of that grid and keeps them in the per-user wisdom
cache (:func:`fieldconv.backend.plan_fft`).  Run it once per machine type
(login node or the first job of an array) and every later process finds the
compiled kernels and the measured plans in the caches; what it did and how
long each step took is returned (and printed by the CLI).
"""

import time

import numpy as np

from .._validate import check_choice

__all__ = ["WARMUP_FAMILIES", "warmup"]

#: Operator families :func:`warmup` knows, in the order it runs them.
WARMUP_FAMILIES = ("convolution", "smoothing", "stencil", "filters", "poisson", "assign", "fft")
_DTYPES = ("float32", "float64")


def _grid(shapes, ndim, default):
    for s in shapes:
        if len(s) == ndim:
            return tuple(min(n, 64) for n in s)
    return default


def _steps(family, dt, shapes, rng):
    """(label, callable) pairs of `family` for dtype `dt`."""
    import fieldconv as fc
    from fieldconv import kernels, stencil

    g3 = _grid(shapes, 3, (16, 16, 16))
    g2 = _grid(shapes, 2, (32, 32))
    f3 = rng.standard_normal(g3).astype(dt)
    f2 = rng.standard_normal(g2).astype(dt)
    f1 = rng.standard_normal(257).astype(dt)
    if family == "convolution":
        k2 = kernels.gaussian(1.0, ndim=2)
        k3 = np.ones((3, 3, 3)) / 27
        f2n = f2.copy()
        f2n[3, 4] = np.nan
        return [
            ("correlate1d", lambda: fc.correlate1d(f1, np.ones(5) / 5)),
            ("convolve 2-D separable", lambda: fc.convolve(f2, k2, method="separable")),
            ("convolve 2-D direct", lambda: fc.convolve(f2, k2, method="direct")),
            ("convolve 3-D direct", lambda: fc.convolve(f3, k3, method="direct")),
            ("convolve NaN interpolate", lambda: fc.convolve(f2n, k2, nan_policy="interpolate")),
        ]
    if family == "smoothing":
        return [("savgol_filter", lambda: fc.savgol_filter(f1, 21, 3, deriv=1))]
    if family == "stencil":
        return [
            ("laplacian 3-D", lambda: stencil.laplacian(f3, 1.0, bc="periodic")),
            ("laplacian 2-D", lambda: stencil.laplacian(f2, 1.0, bc="dirichlet")),
            ("gradient 3-D", lambda: stencil.gradient(f3, 1.0, bc="periodic")),
        ]
    if family == "filters":
        return [
            ("median_filter", lambda: fc.median_filter(f2, 3)),
            ("spectral_filter", lambda: fc.spectral_filter(f3, 2.0, kind="gaussian")),
            ("smooth_laplacian", lambda: fc.smooth_laplacian(f2, 0.1)),
        ]
    if family == "poisson":
        return [
            ("solve_poisson periodic", lambda: fc.solve_poisson(f3, spacing=1.0, bc="periodic")),
            ("solve_poisson isolated", lambda: fc.solve_poisson(f3, spacing=1.0, bc="isolated")),
            ("solve_forces periodic", lambda: fc.solve_forces(f3, spacing=1.0, bc="periodic")),
        ]
    if family == "assign":
        pos = rng.random((20_000, 3)).astype(dt)
        mesh = rng.random(g3).astype(dt)
        steps = []
        for scheme in ("cic", "tsc"):
            steps += [
                (f"paint {scheme}", lambda s=scheme: fc.paint(pos, box_size=1.0, shape=g3, scheme=s)),
                (f"readout {scheme}", lambda s=scheme: fc.readout(mesh, pos, box_size=1.0, scheme=s)),
                (f"readout_gradient {scheme}", lambda s=scheme: fc.readout_gradient(mesh, pos, box_size=1.0, scheme=s)),
            ]
        return steps
    if family == "fft":
        from ..backend import plan_fft

        return [(f"FFTW plans {'x'.join(map(str, s))}", lambda s=s: plan_fft(s, dtype=dt)) for s in shapes]
    raise AssertionError(family)  # pragma: no cover - checked by the caller


def warmup(families=None, dtypes=("float64",), shapes=(), *, progress=None):
    """Compile the numba kernels and plan the FFTs that a job will use.

    Parameters
    ----------
    families : sequence of str, optional
        A subset of :data:`WARMUP_FAMILIES` (default all; ``"fft"`` only plans the
        `shapes` given).
    dtypes : sequence of {"float32", "float64"}
        Field dtypes of the job: each compiled kernel has one specialisation
        per dtype.
    shapes : sequence of tuple of int
        Grid shapes of the job: their FFTW plans are measured (or found in
        wisdom) and kept in the per-user wisdom cache, and the compiled
        families run on grids of the same dimensions.
    progress : callable, optional
        Called with each result row as it is done (the CLI prints it).

    Returns
    -------
    list of dict
        One row per step: ``family``, ``step``, ``dtype``, ``seconds`` and
        ``status`` (``"ok"``, the FFT planner's status, or the error text of a
        step that failed; a failed step does not stop the others).

    Raises
    ------
    ValueError
        An unknown family or dtype, or a shape that is not a tuple of
        positive ints.

    Examples
    --------
    >>> from fieldconv.validation import warmup
    >>> rows = warmup(["smoothing"], dtypes=["float64"])
    >>> [(r["family"], r["step"], r["status"]) for r in rows]
    [('smoothing', 'savgol_filter', 'ok')]
    """
    families = WARMUP_FAMILIES if families is None else tuple(families)
    for fam in families:
        check_choice("families", fam, WARMUP_FAMILIES)
    dtypes = tuple(dtypes)
    if not dtypes:
        raise ValueError("dtypes must name at least one of 'float32', 'float64'; got none")
    for dt in dtypes:
        check_choice("dtypes", str(np.dtype(dt)) if isinstance(dt, type) else dt, _DTYPES)
    dtypes = tuple(str(np.dtype(dt)) for dt in dtypes)
    checked = []
    for s in shapes:
        try:
            s = tuple(int(n) for n in s)
        except (TypeError, ValueError):
            raise ValueError(f"shapes must be tuples of positive ints; got {s!r}") from None
        if not s or any(n < 1 for n in s):
            raise ValueError(f"shapes must be tuples of positive ints; got {s!r}")
        checked.append(s)
    rng = np.random.default_rng(0)
    rows = []
    for fam in families:
        for dt in dtypes:
            for label, fn in _steps(fam, dt, checked, rng):
                t0 = time.perf_counter()
                try:
                    res = fn()
                    status = "ok"
                    if fam == "fft":
                        status = ", ".join(f"{r['kind']} {r['status']}" for r in res)
                except Exception as exc:  # noqa: BLE001 - report and go on with the other steps
                    status = f"failed: {type(exc).__name__}: {exc}"
                row = {"family": fam, "step": label, "dtype": dt, "seconds": time.perf_counter() - t0,
                       "status": status}
                rows.append(row)
                if progress is not None:
                    progress(row)
    return rows
