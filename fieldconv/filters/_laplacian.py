"""Laplacian-regularised smoothing: ``(I + lam L^T L) u = f`` solved in Fourier space."""

import math

import numpy as np

from .._dtypes import result_dtype
from .._nan_policy import (
    FFT_WEIGHT_FLOOR,
    check_nan_policy,
    inf_count,
    nan_count,
    normalised,
    refuse_infinite,
    refuse_nan,
)
from .._units import attach, strip, strip_spacing
from .._validate import as_spacing, check_order
from ..backend import get_backend

__all__ = ["smooth_laplacian"]

#: Why a NaN or inf reaches every output of the smoothing.
_FOURIER = "the smoothing is solved in Fourier space (every output depends on every sample)"


def smooth_laplacian(field, lam, spacing=1.0, *, order=2, nan_policy="propagate", preserve_nan=False, backend=None):
    """Laplacian-regularised smoothing: solve ``(I + lam L^T L) u = f`` (periodic).

    Parameters
    ----------
    field : array or Quantity, real, 1-3 axes
        Data ``f`` on a periodic cell-centred grid (no empty axis).
    lam : float or Quantity
        Regularisation weight (>= 0), unit length**4 (a Quantity needs a
        Quantity `spacing`).
    spacing : float or sequence of float or Quantity
        Grid spacing per axis.
    order : {2, 4, 6}
        Order of the stencil Laplacian ``L``.
    nan_policy : {"propagate", "interpolate", "raise"}, optional
        What NaN samples do (the vocabulary of :func:`fieldconv.convolve`).
        "propagate" (default): every output depends on every sample, so a
        NaN would make the whole result NaN: ``ValueError`` instead (with
        ``lam == 0``, the identity, NaN stays where it is).  "interpolate":
        normalised smoothing ``S(f0) / S(valid)``, NaN samples left out;
        NaN where the valid samples weigh less than sqrt(eps) of the kernel.  "raise":
        ``ValueError`` for any NaN.
    preserve_nan : bool, optional
        With "interpolate": put NaN back at the NaN samples (default False:
        they are filled).
    backend : str or Backend, optional

    Returns
    -------
    array, same shape and unit, dtype rule of the package
        ``u = irfftn(f_hat / (1 + lam lambda(k)^2))`` with ``lambda`` the
        stencil eigenvalue (:func:`fieldconv.stencil.laplacian_symbol`); the
        mean is preserved.

    Raises
    ------
    ValueError
        Negative or non-finite `lam`, bad spacing/order, a field of ndim > 3
        or with an empty axis; NaN under "propagate" (``lam > 0``) or
        "raise"; infinite values when ``lam > 0`` (they would make every
        output NaN); an unknown `nan_policy`.
    TypeError
        Complex or non-numeric `field`.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.filters import smooth_laplacian
    >>> u = smooth_laplacian(np.ones(8), 3.0, backend="numpy")
    >>> bool(np.allclose(u, 1.0))
    True
    >>> f = np.ones(8); f[3] = np.nan
    >>> bool(np.allclose(smooth_laplacian(f, 3.0, nan_policy="interpolate", backend="numpy"), 1.0))
    True
    """
    from ..stencil import laplacian_symbol

    field, unit = strip(field, "field")
    spacing, lunit = strip_spacing(spacing, dimension="length")
    if lunit is not None:
        lam = strip(lam, "lam", lunit**4)[0]
    else:
        lam, lam_unit = strip(lam, "lam")
        if lam_unit is not None:
            raise ValueError("lam is a Quantity but spacing is not: give spacing with units too")
    nan_policy = check_nan_policy(nan_policy)
    order = check_order(order)
    be = get_backend(backend, like=field)
    xp = be.xp
    f = be.asarray(field)
    if f.ndim < 1 or f.ndim > 3:
        raise ValueError(f"field must be 1-, 2- or 3-dimensional; got ndim={f.ndim}")
    if 0 in tuple(f.shape):
        raise ValueError(f"field must have at least one sample along every axis; got shape {tuple(f.shape)}")
    dt = result_dtype(f.dtype)
    if f.dtype != be.dtype(dt):
        f = xp.astype(f, be.dtype(dt))
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be finite and >= 0; got {lam!r}")
    shape = tuple(f.shape)
    spacing = as_spacing(spacing, len(shape))
    nnan = nan_count(f, xp)
    refuse_nan(nnan, nan_policy, "field")
    if lam == 0:  # the identity: nothing spreads
        return attach(xp.asarray(f, copy=True), unit)
    refuse_infinite(inf_count(f, xp), "field", _FOURIER)
    refuse_nan(nnan, nan_policy, "field", global_op=_FOURIER)
    sym = laplacian_symbol(shape, spacing, order=order, rfft=True)
    m_host = 1.0 / (1.0 + lam * sym * sym)
    m = xp.astype(be.asarray(m_host, copy=True), be.dtype(dt))

    def apply(a):
        return be.irfftn(be.rfftn(a) * m, s=shape, overwrite_x=True)

    if nnan:  # nan_policy == "interpolate"
        # the valid samples' weight comes out of an FFT round trip (noise ~ eps log2(N) sum|k|, k the kernel of
        # the smoothing): below FFT_WEIGHT_FLOOR sum|k| (float32: its own sqrt(eps)) NaN there
        ksum = float(np.abs(np.fft.irfftn(m_host, s=shape, axes=tuple(range(len(shape))))).sum())
        tiny = max(FFT_WEIGHT_FLOOR, math.sqrt(float(np.finfo(dt).eps))) * ksum
        return attach(normalised(apply, f, tiny=tiny, preserve_nan=preserve_nan, xp=xp), unit)
    return attach(apply(f), unit)
