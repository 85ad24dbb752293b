"""Error bounds shared by the convolution tests (derived once, used throughout).

* direct sums: an output is a sum of K products; each product and partial sum
  carries a relative rounding of at most eps, so |error| <= K * eps * sum|w| * max|f|
  (``direct_tol``).  For float32 output the reference is computed in float64,
  so the bound with eps = eps32 covers both the float32 accumulation and the
  rounding of the weights to float32.
* FFT paths: the error of a length-N real FFT round trip is O(eps log2 N) in the
  2-norm relative to the data; bounded pointwise by
  c * eps * log2(N) * ||w||_1 * max|f| with c = 8 (``fft_tol``).
"""

import math

import numpy as np
import pytest

MODES = ["reflect", "mirror", "nearest", "constant", "wrap"]
DTYPES = [pytest.param(np.float64, id="f64"), pytest.param(np.float32, id="f32")]


def direct_tol(w, f, dtype, cval=0.0):
    """K * eps * sum|w| * max(|f|, |cval|): worst case of a K-term float sum."""
    eps = np.finfo(dtype).eps
    w = np.asarray(w)
    scale = max(float(np.max(np.abs(f))) if np.size(f) else 0.0, abs(cval), 1e-300)
    return w.size * eps * float(np.abs(w).sum()) * scale


def fft_tol(w, f, dtype, n_total):
    """c * eps * log2(N) * ||w||_1 * max|f|, c = 8 (FFT round-trip error, pointwise)."""
    eps = np.finfo(dtype).eps
    return 8 * eps * math.log2(max(n_total, 2)) * float(np.abs(w).sum()) * max(float(np.max(np.abs(f))), 1.0)
