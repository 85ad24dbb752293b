"""fieldconv: a small kernel slid over a field, in real space or in Fourier space.

Convolution toolkit for simulation and spectroscopy on one backend switch
(pyFFTW on CPU, CuPy on GPU).  Public names are re-exported here lazily:
``import fieldconv`` imports no numba, no CuPy and plans no FFT.

Examples
--------
>>> import fieldconv
>>> fieldconv.__version__
'0.1.0'
"""

import importlib

__version__ = "0.1.0"

# name -> submodule that defines it; filled in as operator families land.
_EXPORTS = {
    "Kernel": "fieldconv.kernels",
    "convolve": "fieldconv.convolution",
    "correlate": "fieldconv.convolution",
    "convolve1d": "fieldconv.convolution",
    "correlate1d": "fieldconv.convolution",
    "median_filter": "fieldconv.convolution",
    "spectral_filter": "fieldconv.filters",
    "savgol_coeffs": "fieldconv.smoothing",
    "savgol_filter": "fieldconv.smoothing",
    "SpectralAxis": "fieldconv.spectra",
    "paint": "fieldconv.assign",
    "readout": "fieldconv.assign",
    "readout_gradient": "fieldconv.assign",
    "paint_interlaced": "fieldconv.assign",
    "paint_chunks": "fieldconv.assign",
    "compensate": "fieldconv.assign",
    "solve_poisson": "fieldconv.poisson",
    "solve_forces": "fieldconv.poisson",
    "PoissonSolver": "fieldconv.poisson",
    "smooth_laplacian": "fieldconv.poisson",
    "get_backend": "fieldconv.backend",
    "use_backend": "fieldconv.backend",
    "available_backends": "fieldconv.backend",
    "BackendUnavailableError": "fieldconv.errors",
    "HostDeviceCopyError": "fieldconv.errors",
}

_SUBMODULES = (
    "analytic",
    "validation",
    "backend",
    "errors",
    "kernels",
    "convolution",
    "filters",
    "stencil",
    "poisson",
    "assign",
    "smoothing",
    "spectra",
)

__all__ = [
    "__version__",
    "Kernel",
    "convolve",
    "correlate",
    "convolve1d",
    "correlate1d",
    "median_filter",
    "spectral_filter",
    "savgol_coeffs",
    "savgol_filter",
    "SpectralAxis",
    "paint",
    "readout",
    "readout_gradient",
    "paint_interlaced",
    "paint_chunks",
    "compensate",
    "solve_poisson",
    "solve_forces",
    "PoissonSolver",
    "smooth_laplacian",
    "get_backend",
    "use_backend",
    "available_backends",
    "BackendUnavailableError",
    "HostDeviceCopyError",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"fieldconv.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldconv' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
