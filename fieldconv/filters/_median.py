"""The running median (despiking): a non-linear filter, so not a convolution."""

import numpy as np

from .._dtypes import result_dtype
from .._units import attach, strip
from .._validate import check_int, check_mode
from ..backend import get_backend

__all__ = ["median_filter"]


def median_filter(field, size, *, mode="reflect", cval=0.0, backend=None):
    """Running median over a ``size`` box (despiking).  Not a convolution.

    The median is non-linear: ``median(a + b) != median(a) + median(b)`` in
    general, so it has no kernel, no transfer function and no FFT method.
    It removes isolated spikes that a linear smoother would only spread.

    Parameters
    ----------
    field : array or Quantity, real
        Input field.
    size : int or tuple of int
        Box size (odd sizes centre the box), one per axis or one for all.
    mode : {"reflect", "mirror", "nearest", "constant", "wrap"}, optional
        Boundary extension (default "reflect").
    cval : float or Quantity, optional
        Value outside for ``mode="constant"`` (in the unit of `field`).
    backend : str or Backend, optional
        Any backend with the ``median_filter`` capability: the host backends
        (``scipy.ndimage.median_filter``) and CuPy
        (``cupyx.scipy.ndimage.median_filter``).

    Returns
    -------
    array, same shape as `field`, dtype per the dtype table, same unit.

    Raises
    ------
    ValueError
        Bad `mode` or `size`.
    NotImplementedError
        On a generic array-API backend (no median in the standard).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import median_filter
    >>> median_filter(np.array([1., 1., 9., 1., 1.]), 3)
    array([1., 1., 1., 1., 1.])
    """
    field, unit = strip(field, "field")
    cval = strip(cval, "cval", unit)[0] if unit is not None else strip(cval, "cval")[0]
    be = get_backend(backend, like=field)
    mode = check_mode(mode)
    field = be.asarray(field)
    sizes = (size,) * field.ndim if np.ndim(size) == 0 else tuple(size)
    if len(sizes) != field.ndim:
        raise ValueError(f"size must be an int or have one entry per axis ({field.ndim}); got {size!r}")
    sizes = tuple(check_int("size", s, minimum=1) for s in sizes)
    dt = result_dtype(field.dtype, name="field")
    x = np.asarray(field, dtype=dt) if be.on_host else be.xp.astype(field, be.dtype(dt))
    return attach(be.median_filter(x, sizes, mode=mode, cval=float(cval)), unit)
