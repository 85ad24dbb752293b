"""The array operators of the public API as one-argument calls, for table-driven fuzz tests.

Each entry: public name -> (call on the data array, name of the data parameter, shape of the
canonical input, dtype rule).  The dtype rule is ``"table"`` (float32 -> float32,
float16 -> float32, ints/bools -> float64, float64 -> float64) for every operator: the
spectroscopy functions returned float64 whatever came in until issue 12 moved them to the
table (spectra@f2a3f16; ``F39`` in ``_findings.OPEN`` until that fix is on main).
"""

import numpy as np

import fieldconv
from fieldconv import assign, convolution, filters, poisson, smoothing, spectra, stencil

_POS = np.array([[0.3, 1.7], [2.5, 0.1], [3.9, 3.2], [1.0, 2.0]])
_NU = np.linspace(1000.0, 1100.0, 16)
_W2 = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])


def _solver_dtype(f):
    """The solver's working dtype for density `f`; None (the default) where the table refuses it.

    The solver itself must refuse a complex/str/datetime density, naming `density`: computing the
    dtype here with ``result_dtype``'s default name made the op, not fieldconv, say "field" (F5).
    """
    try:
        return fieldconv._dtypes.result_dtype(np.asarray(f).dtype)
    except (TypeError, ValueError):
        return None


def _mixer():
    from fieldconv.nn import ChannelMixer

    return ChannelMixer(6, 3, rng=1, dtype=np.float64)


#: name -> (fn, data parameter, canonical shape, dtype rule)
OPS = {
    "convolution.convolve": (lambda f: convolution.convolve(f, _W2), "field", (6, 7), "table"),
    "convolution.correlate": (lambda f: convolution.correlate(f, _W2, mode="wrap"), "field", (6, 7), "table"),
    "convolution.convolve1d": (lambda f: convolution.convolve1d(f, [1.0, -2.0, 4.0], axis=0), "field", (6, 7), "table"),
    "convolution.correlate1d": (lambda f: convolution.correlate1d(f, [1.0, 3.0], mode="nearest"), "field", (6, 7), "table"),
    "convolution.median_filter": (lambda f: convolution.median_filter(f, 3), "field", (6, 7), "table"),
    "filters.median_filter": (lambda f: filters.median_filter(f, (1, 3), mode="constant"), "field", (6, 7), "table"),
    "filters.spectral_filter": (lambda f: filters.spectral_filter(f, 2.0, kind="gaussian"), "field", (6, 8), "table"),
    "filters.smooth_laplacian": (lambda f: filters.smooth_laplacian(f, 0.5), "field", (6, 8), "table"),
    "poisson.smooth_laplacian": (lambda f: poisson.smooth_laplacian(f, 0.5, order=4), "field", (8,), "table"),
    "stencil.laplacian": (lambda f: stencil.laplacian(f, 0.5, bc="dirichlet"), "field", (6, 7), "table"),
    "stencil.gradient": (lambda f: stencil.gradient(f, 0.5, bc="neumann", axis=1), "field", (6, 7), "table"),
    "stencil.spectral_laplacian": (lambda f: stencil.spectral_laplacian(f, 0.5), "field", (6, 8), "table"),
    "stencil.spectral_gradient": (lambda f: stencil.spectral_gradient(f, 0.5, axis=0), "field", (6, 8), "table"),
    "poisson.solve_poisson": (lambda f: poisson.solve_poisson(f, 0.5), "density", (6, 8), "table"),
    "poisson.solve_forces": (lambda f: poisson.solve_forces(f, 0.5)[1][0], "density", (8,), "table"),
    "poisson.PoissonSolver": (lambda f: poisson.PoissonSolver(np.shape(f), 0.5, bc="isolated", dtype=_solver_dtype(f)
                                                              ).solve(f), "density", (6, 8), "table"),
    "assign.readout": (lambda f: assign.readout(f, _POS, box_size=4.0, scheme="tsc"), "field", (4, 5), "table"),
    "assign.readout_gradient": (lambda f: assign.readout_gradient(f, _POS, box_size=4.0), "field", (4, 5), "table"),
    # paint's mesh dtype follows the positions (the weights are cast to it)
    "assign.paint": (lambda p: assign.paint(p, box_size=4.0, shape=(4, 4), scheme="tsc"), "positions", (5, 2), "table"),
    "assign.paint_chunks": (lambda p: assign.paint_chunks(p, box_size=4.0, shape=(4, 4), chunk_size=3), "source",
                            (5, 2), "table"),
    "smoothing.savgol_filter": (lambda x: smoothing.savgol_filter(x, 5, 2), "x", (3, 9), "table"),
    "smoothing.savgol_filter_nan": (lambda x: smoothing.savgol_filter_nan(x, 5, 2), "x", (3, 9), "table"),
    "smoothing.savgol_filter_nonuniform": (lambda y: smoothing.savgol_filter_nonuniform(np.arange(9.0) ** 1.5, y, 5, 2),
                                           "y", (3, 9), "table"),
    "smoothing.savgol_filter_2d": (lambda f: smoothing.savgol_filter_2d(f, 3, 1), "field", (6, 7), "table"),
    "spectra.convolve_instrument": (lambda y: spectra.convolve_instrument(y, 1.0, 3.0), "y", (2, 16), "table"),
    "spectra.resample": (lambda y: spectra.resample(y, _NU, _NU[::3] + 1.0), "y", (2, 16), "table"),
    "spectra.interp": (lambda y: spectra.interp(_NU[::2] + 0.5, _NU, y), "y", (2, 16), "table"),
    "spectra.normalize": (lambda y: spectra.normalize(y, "vector"), "y", (2, 16), "table"),
    "spectra.despike": (lambda y: spectra.despike(y), "y", (2, 16), "table"),
    "spectra.atr_correction": (lambda y: spectra.atr_correction(y, _NU), "y", (2, 16), "table"),
    "spectra.mask_atmospheric": (lambda y: spectra.mask_atmospheric(y, np.linspace(2200.0, 2500.0, 16)), "y", (2, 16),
                                 "table"),
    "nn.ChannelMixer": (lambda x: _mixer().forward(x), "x", (6, 5), "table"),
}

