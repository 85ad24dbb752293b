"""Convolution and correlation of fields with kernels.

The convention (see :mod:`fieldconv.kernels`) is stated once::

    convolve(f, K)[i]  = sum_j K.weights[j] * f[i - j + K.origin]
    correlate(f, K)[i] = sum_j K.weights[j] * f[i + j - K.origin]

which is exactly ``scipy.ndimage.convolve/correlate`` with
``origin = K.origin - shape // 2``.  Values outside the field come from the
boundary `mode`, with scipy.ndimage's names and meanings (for ``abcd``):

===========  ==========================
mode         extension
===========  ==========================
"reflect"    ``dcba|abcd|dcba`` (half-sample symmetric, the default)
"mirror"     ``dcb|abcd|cba`` (whole-sample symmetric)
"nearest"    ``aaa|abcd|ddd``
"constant"   ``kkk|abcd|kkk`` with ``k = cval``
"wrap"       ``bcd|abcd|abc`` (periodic)
===========  ==========================

``"grid-wrap"``, ``"grid-constant"`` and ``"grid-mirror"`` are accepted as
aliases of "wrap", "constant" and "reflect" (as in scipy.ndimage filters).

Fields and kernels may be real or complex (complex64 stays complex64; a
correlation conjugates complex weights, as scipy.ndimage); non-finite samples
give the exact sum's answer on every method.

Layout: :mod:`._engine` (prepare -> choose -> execute, NaN policies,
output dtypes), :mod:`._methods` (the algorithms), :mod:`._cost` (the cost
model of ``method="auto"``), :mod:`._oned` (the 1-D primitive),
:mod:`._boundary` (modes), :mod:`._parts` (complex data as real parts),
:mod:`._nonfinite` (inf and NaN on the FFT methods), :mod:`._compiled`
(numba kernels).  The running
median is not a convolution: it lives in :mod:`fieldconv.filters` (and is
re-exported here for compatibility).

Methods: ``"direct"`` (compiled FIR sums on the host), ``"separable"``
(successive 1-D passes of :func:`correlate1d` for a rank-1 kernel),
``"fft"`` (the field padded with the exact boundary extension, then one
real FFT product), ``"overlap-add"`` (block FFT convolution for fields much
longer than the kernel) and ``"auto"`` (the cheapest by a calibrated cost
model).  See ``docs/convolution.md``.
"""

from ..filters import median_filter
from ._boundary import MODES
from ._engine import METHODS, NAN_POLICIES, convolve, correlate
from ._oned import convolve1d, correlate1d

__all__ = ["correlate1d", "convolve1d", "convolve", "correlate", "median_filter", "MODES", "METHODS", "NAN_POLICIES"]
