"""The vocabulary of docs/conventions.md: deprecated names still work, warn, and name the new parameter."""

import importlib
import inspect
import warnings

import numpy as np
import pytest

import fieldconv
from fieldconv import assign, convolution, kernels, poisson

RNG = np.random.default_rng(3)
F2 = RNG.standard_normal((8, 8))
POS = RNG.random((20, 2))


def _same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    if isinstance(a, kernels.Kernel):
        a, b = a.weights, b.weights
    np.testing.assert_array_equal(a, b)


RENAMED = [
    ("convolve(normalize=)", lambda: convolution.convolve(F2, np.ones((3, 3)), normalize=True),
     lambda: convolution.convolve(F2, np.ones((3, 3)), normalize_kernel=True), "normalize_kernel="),
    ("correlate(normalize=)", lambda: convolution.correlate(F2, np.ones((3, 3)), normalize=True),
     lambda: convolution.correlate(F2, np.ones((3, 3)), normalize_kernel=True), "normalize_kernel="),
    ("sobel(normalize=)", lambda: kernels.sobel(0, normalize=True), lambda: kernels.sobel(0, derivative=True),
     "derivative="),
    ("prewitt(normalize=)", lambda: kernels.prewitt(1, normalize=True), lambda: kernels.prewitt(1, derivative=True),
     "derivative="),
    ("scharr(normalize=)", lambda: kernels.scharr(0, normalize=True), lambda: kernels.scharr(0, derivative=True),
     "derivative="),
    ("readout(mesh=)", lambda: assign.readout(mesh=F2, positions=POS, box_size=1.0),
     lambda: assign.readout(field=F2, positions=POS, box_size=1.0), "field="),
    ("readout_gradient(mesh=)", lambda: assign.readout_gradient(mesh=F2, positions=POS, box_size=1.0),
     lambda: assign.readout_gradient(field=F2, positions=POS, box_size=1.0), "field="),
    ("compensate(mesh_k=)", lambda: assign.compensate(mesh_k=np.ones((4, 3), complex), scheme="tsc"),
     lambda: assign.compensate(field_k=np.ones((4, 3), complex), scheme="tsc"), "field_k="),
    ("compensate(spacing=)", lambda: assign.compensate(np.ones((4, 3), complex), "tsc", spacing=0.5),
     lambda: assign.compensate(np.ones((4, 3), complex), "tsc"), "leave spacing out"),
    ("solve_poisson(source=)", lambda: poisson.solve_poisson(source=F2, spacing=0.5),
     lambda: poisson.solve_poisson(density=F2, spacing=0.5), "density="),
    ("solve_forces(source=)", lambda: poisson.solve_forces(source=F2, spacing=0.5),
     lambda: poisson.solve_forces(density=F2, spacing=0.5), "density="),
    ("solve_poisson(window=)", lambda: poisson.solve_poisson(F2, 0.5, green="optimal", window="tsc"),
     lambda: poisson.solve_poisson(F2, 0.5, green="optimal", scheme="tsc"), "scheme="),
    ("PoissonSolver(window=)", lambda: poisson.PoissonSolver((8, 8), 0.5, green="optimal", window="pcs").solve(F2),
     lambda: poisson.PoissonSolver((8, 8), 0.5, green="optimal", scheme="pcs").solve(F2), "scheme="),
    ("PoissonSolver.solve(source=)", lambda: poisson.PoissonSolver((8, 8), 0.5).solve(source=F2),
     lambda: poisson.PoissonSolver((8, 8), 0.5).solve(density=F2), "density="),
    ("PoissonSolver.forces(source=)", lambda: poisson.PoissonSolver((8, 8), 0.5).forces(source=F2),
     lambda: poisson.PoissonSolver((8, 8), 0.5).forces(density=F2), "density="),
]


@pytest.mark.parametrize("old,new,hint", [r[1:] for r in RENAMED], ids=[r[0] for r in RENAMED])
def test_deprecated_names_warn_and_give_the_same_result(old, new, hint):
    with pytest.warns(DeprecationWarning, match=hint.replace("(", r"\(").replace(")", r"\)")):
        got = old()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        want = new()
    _same(got, want)


def test_old_and_new_name_together_is_an_error():
    with pytest.raises(TypeError, match="got both 'normalize' \\(deprecated\\) and 'normalize_kernel'"):
        convolution.convolve(F2, np.ones((3, 3)), normalize=True, normalize_kernel=True)


def test_moved_modules_and_attributes():
    with pytest.warns(DeprecationWarning, match="fieldconv.io.read_csv"):
        from fieldconv.spectra import read_csv
    assert read_csv is importlib.import_module("fieldconv.io").read_csv
    solver = poisson.PoissonSolver((8,), 1.0, scheme="tsc")
    assert solver.window == solver.scheme == "tsc"  # the old attribute reads the new one
    assert convolution.median_filter is fieldconv.filters.median_filter
    assert poisson.smooth_laplacian is fieldconv.filters.smooth_laplacian


def test_pyfftw_plan_cache_size_is_deprecated():
    from fieldconv.backend import cache_info, get_backend, set_cache_limit

    old = cache_info()["fft_plans"]["max_entries"]
    try:
        with pytest.warns(DeprecationWarning, match="set_cache_limit"):
            get_backend("pyfftw", threads=1, plan_cache_size=17)
        assert cache_info()["fft_plans"]["max_entries"] == 17
    finally:
        set_cache_limit("fft_plans", max_entries=old)


#: parameter names that the vocabulary retired (public functions must not use them)
RETIRED = {"mesh", "mesh_k", "normalize", "window"}
#: declared exceptions: fieldconv.distributed's ``mesh`` is a DistributedMesh (the decomposed grid
#: object, like io's ``grid``), never an array, so the reason ``mesh=`` was retired does not apply
ALLOWED = {"distributed": {"mesh"}}


def _public_functions():
    for sub in fieldconv._SUBPACKAGES:
        mod = importlib.import_module(f"fieldconv.{sub}")
        for n in mod.__all__:
            obj = getattr(mod, n)
            if inspect.isfunction(obj) or (inspect.isclass(obj) and not hasattr(obj, "_fields")):
                yield f"{sub}.{n}", obj  # NamedTuple results name outputs (Painted.mesh), not parameters


def test_no_public_function_uses_a_retired_parameter_name():
    offences = []
    for name, obj in _public_functions():
        try:
            params = inspect.signature(obj).parameters
        except (TypeError, ValueError):
            continue
        bad = (RETIRED - ALLOWED.get(name.split(".")[0], set())) & set(params)
        if bad:
            offences.append(f"{name}: {sorted(bad)}")
    assert not offences, offences


def test_G_defaults_to_none_everywhere():
    for fn in (poisson.solve_poisson, poisson.solve_forces, poisson.PoissonSolver):
        assert inspect.signature(fn).parameters["G"].default is None


def test_every_array_operator_takes_backend():
    # host-only functions (spectra, io, small host tables) say why in their docstrings; these must take it
    names = ["convolution.convolve", "convolution.correlate", "convolution.convolve1d", "convolution.correlate1d",
             "filters.median_filter", "filters.spectral_filter", "filters.smooth_laplacian", "stencil.laplacian",
             "stencil.gradient", "stencil.spectral_laplacian", "stencil.spectral_gradient", "stencil.laplacian_symbol",
             "stencil.gradient_symbol", "poisson.solve_poisson", "poisson.solve_forces", "poisson.PoissonSolver",
             "assign.paint", "assign.paint_interlaced", "assign.readout", "assign.readout_gradient", "assign.bucket",
             "assign.window", "assign.compensate", "smoothing.savgol_filter", "smoothing.savgol_filter_nan",
             "smoothing.savgol_filter_nonuniform", "smoothing.savgol_filter_2d"]
    for name in names:
        sub, fn = name.split(".")
        assert "backend" in inspect.signature(getattr(importlib.import_module(f"fieldconv.{sub}"), fn)).parameters, name
    for method in (kernels.Kernel.transfer_function, kernels.Kernel.to_fft_array):
        assert "backend" in inspect.signature(method).parameters
