"""fieldconv: a small kernel slid over a field, in real space or in Fourier space.

Convolution toolkit for simulation and spectroscopy on one backend switch
(pyFFTW on CPU, CuPy on GPU).  Public names are re-exported here lazily:
``import fieldconv`` imports no numba, no CuPy, no SciPy and plans no FFT.
The layout (one subpackage per family) is described in
``docs/architecture.md``; the names and units every function uses in
``docs/conventions.md``.

Examples
--------
>>> import fieldconv
>>> fieldconv.__version__
'0.1.0'
"""

__version__ = "0.1.0"

# name -> subpackage that defines it
_EXPORTS = {
    "Kernel": "fieldconv.kernels",
    "convolve": "fieldconv.convolution",
    "correlate": "fieldconv.convolution",
    "convolve1d": "fieldconv.convolution",
    "correlate1d": "fieldconv.convolution",
    "median_filter": "fieldconv.filters",
    "spectral_filter": "fieldconv.filters",
    "smooth_laplacian": "fieldconv.filters",
    "savgol_coeffs": "fieldconv.smoothing",
    "savgol_filter": "fieldconv.smoothing",
    "SpectralAxis": "fieldconv.spectra",
    "Spectrum": "fieldconv.spectra",
    "paint": "fieldconv.assign",
    "readout": "fieldconv.assign",
    "readout_gradient": "fieldconv.assign",
    "paint_interlaced": "fieldconv.assign",
    "paint_chunks": "fieldconv.assign",
    "compensate": "fieldconv.assign",
    "Painted": "fieldconv.assign",
    "solve_poisson": "fieldconv.poisson",
    "solve_forces": "fieldconv.poisson",
    "PoissonSolver": "fieldconv.poisson",
    "get_backend": "fieldconv.backend",
    "use_backend": "fieldconv.backend",
    "available_backends": "fieldconv.backend",
    "BackendUnavailableError": "fieldconv.errors",
    "HostDeviceCopyError": "fieldconv.errors",
}

#: The public subpackages, imported on first attribute access.
_SUBPACKAGES = (
    "backend",
    "errors",
    "kernels",
    "convolution",
    "filters",
    "stencil",
    "poisson",
    "assign",
    "pm",
    "smoothing",
    "spectra",
    "io",
    "validation",
    "nn",
    "distributed",
)

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    from importlib import import_module

    if name in _SUBPACKAGES:
        return import_module(f"fieldconv.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldconv' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(__all__) | set(_SUBPACKAGES))
