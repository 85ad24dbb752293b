"""Shared fixtures: the backend matrix, seeded RNG, hypothesis profiles.

The ``backend`` fixture runs a test on every usable backend: ``numpy``
(reference), ``pyfftw``, ``array_api_strict`` on its fake ``device1`` (the
generic code path the GPU runs, which refuses implicit host copies), and
``cupy`` (marked ``gpu``; skipped cleanly without CuPy and a CUDA device).
Tests create inputs with ``backend.asarray(x_numpy, copy=True)`` and bring
results back with ``backend.to_numpy``.
"""

import os

# Small test grids: FFTW_ESTIMATE plans in microseconds and gives the same bits on every call;
# the "auto" planner policy (the package default) and FFTW_MEASURE are exercised explicitly in
# tests/backend/.  The per-user wisdom cache is off: tests neither read nor write ~/.cache.
os.environ.setdefault("FIELDCONV_FFTW_PLANNER", "FFTW_ESTIMATE")
os.environ.setdefault("FIELDCONV_FFTW_WISDOM_CACHE", "0")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# deprecated module aliases: importing them warns, so the doctest collector leaves them alone
collect_ignore = ["fieldconv/analytic.py", "fieldconv/demo.py"]

settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
# tests/fuzz at 10x the CI examples with fresh seeds (see tests/fuzz/README.md)
settings.register_profile(
    "fuzz-long", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _strict_backend():
    import array_api_strict

    from fieldconv.backend import get_backend

    return get_backend("array_api", xp=array_api_strict, device=array_api_strict.Device("device1"))


def _make_backend(name):
    from fieldconv.backend import get_backend

    if name == "array_api_strict":
        return _strict_backend()
    return get_backend(name)


BACKEND_PARAMS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("pyfftw", id="pyfftw"),
    pytest.param("array_api_strict", id="array_api_strict"),
    pytest.param("cupy", id="cupy", marks=pytest.mark.gpu),
]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request):
    """Every usable backend; an unusable one skips with its reason."""
    from fieldconv.errors import BackendUnavailableError

    try:
        return _make_backend(request.param)
    except (BackendUnavailableError, ImportError) as exc:
        pytest.skip(f"backend {request.param!r} unavailable: {exc}")


@pytest.fixture(params=["numpy", "pyfftw"])
def cpu_backend(request):
    """The host backends only (compiled CPU paths)."""
    return _make_backend(request.param)


@pytest.fixture
def strict_backend():
    """array_api_strict on its fake device: the generic (GPU) code path on CPU."""
    return _strict_backend()


@pytest.fixture
def rng():
    """Seeded generator: every random test input is reproducible."""
    return np.random.default_rng(20261121)


def pytest_collection_modifyitems(config, items):
    from fieldconv.backend import backend_status

    ok, reason = backend_status("cupy")
    if ok:
        return
    skip = pytest.mark.skip(reason=f"gpu test: {reason}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
