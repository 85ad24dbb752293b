r"""Kernel objects and the standard kernels.

A :class:`Kernel` is a small array of weights (its *impulse response*), the
index of the tap that lands on the output point (its *origin*) and,
optionally, the grid spacing it was built for.  Every function of fieldconv
uses the one convention stated here.

Convention
----------
For a kernel ``K`` with weights ``w = K.weights`` (shape ``n``) and origin
``o = K.origin``, on a field ``f``::

    convolve(f, K)[i]  = sum_j w[j] * f[i - j + o]
    correlate(f, K)[i] = sum_j w[j] * f[i + j - o]

(``i``, ``j``, ``o`` are index tuples).  This is exactly
``scipy.ndimage.convolve(f, w, origin=tuple(o[a] - n[a] // 2))`` and
``scipy.ndimage.correlate(f, w, origin=...)`` with the same shifted origin.
The default origin is ``n // 2`` on every axis, i.e. scipy.ndimage's
``origin=0``.  For an odd size that is the centre.  An even-size kernel has no
centre: its default origin ``n // 2`` is the right-hand one of the two middle
taps, as in scipy.ndimage.  scipy.signal (``fftconvolve(mode="same")``)
puts an even kernel one sample to the other side; fieldconv follows
scipy.ndimage.  Asking for ``origin="center"`` with an even size raises
``ValueError``.

``K.flip()`` has weights ``w[::-1, ...]`` and origin ``n - 1 - o``, so that
``convolve(f, K.flip()) == correlate(f, K)``.

The *symbol* (transfer function) of a kernel on a grid of spacing ``h`` is::

    H(k) = sum_j w[j] * exp(-1j * k . (j - o) h)

so that ``convolve(exp(1j k.x), K) = H(k) exp(1j k.x)`` on a periodic grid,
and ``H`` on the FFT grid equals ``numpy.fft.fftn`` of the kernel's response
to a unit impulse at index 0 (NumPy's sign convention).  A kernel that is
symmetric about its origin has a real symbol.

Stencil weights include the grid spacing: ``laplacian(2, spacing=h)``
already carries the ``1/h**2``, so ``convolve(f, K)`` *is* the Laplacian;
with a Quantity spacing the kernel's ``unit`` is ``1/h.unit**2`` and
``convolve`` returns ``f.unit * K.unit``.

Layout: :mod:`._kernel` holds the type and its algebra, :mod:`._library`
the constructors.  Functions here build kernels (nouns, e.g.
``kernels.laplacian``); :mod:`fieldconv.stencil` applies the same stencils
to fields.

Normalisation of the constructors
---------------------------------
==============================  ===========================================
constructor                     sum of the weights
==============================  ===========================================
box, gaussian,                  1 (smoothing kernels; ``noise_gain`` < 1)
assignment_window,
unsharp_mask, savgol(deriv=0)
laplacian, gradient,            0 (derivatives; cannot be ``normalized()``)
directional_derivative,
sobel, prewitt, scharr,
savgol(deriv>0)
==============================  ===========================================

Examples
--------
>>> import numpy as np
>>> from fieldconv import kernels
>>> K = kernels.laplacian(1)
>>> K.weights, K.origin
(array([ 1., -2.,  1.]), (1,))
>>> f = np.arange(6.0) ** 2            # f'' = 2
>>> import scipy.ndimage as ndi        # the convention, on scipy.ndimage
>>> ndi.convolve(f, K.weights, origin=K.origin[0] - K.shape[0] // 2)[1:-1]
array([2., 2., 2., 2.])
"""

from ._kernel import Kernel, as_kernel, compose
from ._library import (
    assignment_window,
    box,
    directional_derivative,
    gaussian,
    gradient,
    laplacian,
    prewitt,
    savgol,
    scharr,
    sobel,
    unsharp_mask,
)

__all__ = [
    "Kernel",
    "as_kernel",
    "compose",
    "box",
    "gaussian",
    "laplacian",
    "gradient",
    "sobel",
    "prewitt",
    "scharr",
    "directional_derivative",
    "unsharp_mask",
    "assignment_window",
    "savgol",
]
