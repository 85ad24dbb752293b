"""Central-difference symbols written out from the textbook weights (Fornberg 1988).

Independent of :mod:`fieldconv._fdcoeffs` on purpose: the validation compares
the package's stencils with these.  ``theta = k h``; the 1-D second-difference
symbol is ``LAP_SYMBOL[p](theta) / h^2`` and the first-difference one
``i GRAD_SYMBOL[p](theta) / h``.

Examples
--------
>>> from fieldconv.validation._symbols import LAP_SYMBOL
>>> round(float(LAP_SYMBOL[2](0.1)), 6)   # -theta^2 + theta^4/12
-0.009992
"""

import numpy as np

__all__ = ["LAP_SYMBOL", "GRAD_SYMBOL", "LAP_ABS", "GRAD_ABS"]

LAP_SYMBOL = {
    2: lambda t: 2 * np.cos(t) - 2,
    4: lambda t: -5 / 2 + 8 / 3 * np.cos(t) - 1 / 6 * np.cos(2 * t),
    6: lambda t: -49 / 18 + 3 * np.cos(t) - 3 / 10 * np.cos(2 * t) + 1 / 45 * np.cos(3 * t),
}
GRAD_SYMBOL = {
    2: lambda t: np.sin(t),
    4: lambda t: 4 / 3 * np.sin(t) - 1 / 6 * np.sin(2 * t),
    6: lambda t: 3 / 2 * np.sin(t) - 3 / 10 * np.sin(2 * t) + 1 / 30 * np.sin(3 * t),
}
# sum of |weights| of the 1-D stencils: the round-off amplification of one application
LAP_ABS = {2: 4.0, 4: 5 / 2 + 8 / 3 + 1 / 6, 6: 49 / 18 + 3 + 3 / 10 + 1 / 45}
GRAD_ABS = {2: 1.0, 4: 4 / 3 + 1 / 6, 6: 3 / 2 + 3 / 10 + 1 / 30}

