"""Savitzky-Golay smoothing and differentiation.

A Savitzky-Golay (SG) filter replaces each sample by the value (or a
derivative) at a chosen position of the least-squares polynomial of degree
``polyorder`` fitted to the ``window_length`` samples around it.  On a
uniform grid the fit is linear in the data and the same for every window, so
the filter is a correlation with a fixed kernel, computed once in float64
(:func:`savgol_coeffs`, from a basis of polynomials orthonormal on the
window: stable and linear in memory for any window length)::

    y[i] = sum_j c_dot[j] * x[i + j - pos]        (use="dot" order)

:func:`savgol_filter` is a drop-in for :func:`scipy.signal.savgol_filter`
(same positional order, defaults, modes and results to rounding) running on
:func:`fieldconv.convolution.correlate` (direct sums or, for long windows,
an FFT, by the engine's cost model), so it runs on every backend
(NumPy/pyFFTW with compiled FIRs, CuPy and any array-API namespace with
generic code).  The ``"interp"`` edges are the polynomial fitted to the
first/last window (its projection on the orthonormal basis), evaluated at
the edge points: no least-squares problem is solved per call, memory stays
linear in the window, and a NaN in an edge window gives NaN there (scipy
1.17 raises ``LinAlgError``).

Beyond scipy: the window as a physical width (:func:`window_length_from_width`,
or a Quantity `window_length` with a Quantity `delta`), NaN-aware smoothing
(:func:`savgol_filter_nan`: missing samples are left out of each local fit),
non-uniform sampling (:func:`savgol_filter_nonuniform`: the fit uses the true
abscissae), 2-D filtering of images and hyperspectral cubes
(:func:`savgol_coeffs_2d`, :func:`savgol_filter_2d`), the frequency response
and white-noise gain (:func:`savgol_frequency_response`,
:func:`savgol_noise_gain`) and a window suggestion from the narrowest band
width (:func:`suggest_window`).

Layout: :mod:`._filter` (the 1-D filter, coefficients, kernel),
:mod:`._nan`, :mod:`._nonuniform`, :mod:`._filter2d`, :mod:`._response`;
the least-squares coefficients come from :mod:`fieldconv._sgcoeffs`, shared
with :func:`fieldconv.kernels.savgol` (``savgol_kernel`` here is that same
function).

References: A. Savitzky, M. J. E. Golay, Anal. Chem. 36, 1627 (1964);
R. W. Schafer, "What is a Savitzky-Golay filter?", IEEE Signal Process. Mag.
28(4), 111 (2011); W. H. Press, S. A. Teukolsky, Comput. Phys. 4, 669 (1990).
"""


from ._filter import SAVGOL_MODES, savgol_coeffs, savgol_filter, savgol_kernel, window_length_from_width
from ._filter2d import savgol_coeffs_2d, savgol_filter_2d
from ._nan import savgol_filter_nan
from ._nonuniform import savgol_filter_nonuniform
from ._response import savgol_frequency_response, savgol_noise_gain, suggest_window

__all__ = [
    "savgol_coeffs",
    "savgol_kernel",
    "savgol_filter",
    "savgol_filter_nan",
    "savgol_filter_nonuniform",
    "savgol_coeffs_2d",
    "savgol_filter_2d",
    "savgol_frequency_response",
    "savgol_noise_gain",
    "window_length_from_width",
    "suggest_window",
    "SAVGOL_MODES",
]
