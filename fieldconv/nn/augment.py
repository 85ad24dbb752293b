"""Augmentations a spectroscopist would apply: shifts, baselines, noise, resolution, mixing.

Each augmentation is a callable ``aug(X, Y, rng) -> (X, Y)`` on host arrays
``X`` (n, n_points) or (n, 1, n_points) of absorbance on a uniform grid and
``Y`` (n, n_groups) of 0/1 labels; :class:`Compose` chains them, and the
result is what :func:`fieldconv.nn.train` takes as ``augment=``.  Each one
changes a spectrum the way a real measurement of the same sample could
differ, so the labels stay true:

* :class:`WavenumberShift`: a calibration offset (linear interpolation,
  edge values held);
* :class:`AddBaseline`: a smooth offset/slope/curvature in absorbance;
* :class:`TransmittanceNoise`: detector noise added to ``10^-A`` and
  converted back (noise grows under strong bands, as in real data);
* :class:`DegradeResolution`: a coarser instrument line shape
  (:func:`fieldconv.spectra.convolve_instrument` on the transmittance);
* :class:`MixSameLabels`: ``a x_i + (1 - a) x_j`` of two spectra with the
  *same* label set (a mixture of two molecules with the same groups has
  those groups).

Every augmentation acts on each spectrum with probability `p`.
"""

import numpy as np

from ._checks import check_probability, check_real, strip_wavenumber
from .._grid import as_grid

__all__ = ["Compose", "WavenumberShift", "AddBaseline", "TransmittanceNoise", "DegradeResolution", "MixSameLabels"]


def _rows(X):
    """(X as (n, n_points) float64 view/copy, a function restoring the original layout and dtype)."""
    X = np.asarray(X)
    shape, dtype = X.shape, X.dtype
    if X.ndim == 3:
        if X.shape[1] != 1:
            raise ValueError(f"X must be (n, n_points) or (n, 1, n_points); got shape {shape}")
        X2 = X[:, 0, :]
    elif X.ndim == 2:
        X2 = X
    else:
        raise ValueError(f"X must be (n, n_points) or (n, 1, n_points); got shape {shape}")
    return np.array(X2, dtype=np.float64), lambda out: np.ascontiguousarray(out.reshape(shape), dtype=dtype)


class _Aug:
    def __init__(self, p):
        self.p = check_real("p", p, minimum=0.0, maximum=1.0)

    def _chosen(self, n, rng):
        return np.flatnonzero(rng.random(n) < self.p)

    def __call__(self, X, Y, rng):
        X2, back = _rows(X)
        idx = self._chosen(X2.shape[0], rng)
        if idx.size:
            X2[idx] = self._apply(X2[idx], rng)
        return back(X2), Y


class Compose:
    """Apply augmentations in order.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import AddBaseline, Compose, WavenumberShift
    >>> nu = np.arange(400.0, 4000.0, 1.0)
    >>> aug = Compose(WavenumberShift(nu, 2.0), AddBaseline(0.02))
    >>> X, Y = aug(np.zeros((3, 3600), np.float32), np.zeros((3, 2)), np.random.default_rng(0))
    >>> X.shape, X.dtype
    ((3, 3600), dtype('float32'))
    """

    def __init__(self, *augmentations):
        for i, a in enumerate(augmentations):
            if not callable(a):
                raise TypeError(f"augmentations[{i}] must be callable as aug(X, Y, rng); got {type(a).__name__}")
        self.augmentations = augmentations

    def __call__(self, X, Y, rng):
        for a in self.augmentations:
            X, Y = a(X, Y, rng)
        return X, Y


class WavenumberShift(_Aug):
    """Shift each spectrum by a uniform offset in ``[-max_shift, max_shift]`` cm^-1.

    Parameters
    ----------
    grid : array_like, Quantity or SpectralAxis
        The spectra's wavenumbers (uniform).
    max_shift : float or Quantity
        Largest offset in cm^-1.
    p : float, optional
        Probability per spectrum (default 1).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import WavenumberShift
    >>> nu = np.arange(400.0, 500.0, 1.0)
    >>> x = np.zeros((1, 100)); x[0, 50] = 1.0
    >>> y, _ = WavenumberShift(nu, 3.0)(x, None, np.random.default_rng(0))
    >>> abs(int(np.argmax(y)) - 50) <= 3
    True
    """

    def __init__(self, grid, max_shift, *, p=1.0):
        super().__init__(p)
        self.grid = as_grid(grid)
        self.max_shift = check_real("max_shift", strip_wavenumber(max_shift, "max_shift"), minimum=0.0)

    def _apply(self, X, rng):
        n = X.shape[1]
        i = np.arange(n, dtype=np.float64)
        shifts = rng.uniform(-self.max_shift, self.max_shift, X.shape[0]) / self.grid.step  # in points
        out = np.empty_like(X)
        for r, s in enumerate(shifts):
            out[r] = np.interp(i - s, i, X[r])  # content moves by +s points; edges held
        return out


class AddBaseline(_Aug):
    """Add ``c0 + c1 t + c2 t^2`` (t in [-1, 1] along the spectrum), each ``c ~ N(0, scale)``, in absorbance.

    Parameters
    ----------
    scale : float
        Standard deviation of the coefficients (absorbance units).
    p : float, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import AddBaseline
    >>> y, _ = AddBaseline(0.01)(np.zeros((2, 50)), None, np.random.default_rng(0))
    >>> y.shape, bool(np.all(np.abs(y) < 0.1))
    ((2, 50), True)
    """

    def __init__(self, scale, *, p=1.0):
        super().__init__(p)
        self.scale = check_real("scale", scale, minimum=0.0)

    def _apply(self, X, rng):
        t = np.linspace(-1.0, 1.0, X.shape[1])
        c = rng.normal(0.0, self.scale, (X.shape[0], 3))
        return X + c[:, :1] + c[:, 1:2] * t + c[:, 2:3] * t * t


class TransmittanceNoise(_Aug):
    """Add white noise of standard deviation `sigma` to the transmittance ``10^-A``.

    Parameters
    ----------
    sigma : float
        Noise level in transmittance (e.g. 0.003).
    p : float, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import TransmittanceNoise
    >>> y, _ = TransmittanceNoise(0.01)(np.zeros((4, 1000)), None, np.random.default_rng(0))
    >>> round(float(np.std(10.0 ** -y)), 2)
    0.01
    """

    def __init__(self, sigma, *, p=1.0):
        super().__init__(p)
        self.sigma = check_real("sigma", sigma, minimum=0.0)

    def _apply(self, X, rng):
        T = 10.0 ** (-X) + rng.normal(0.0, self.sigma, X.shape)
        return -np.log10(np.maximum(T, 1e-4))


class DegradeResolution(_Aug):
    """Convolve the transmittance with a coarser instrument line shape.

    Parameters
    ----------
    grid : array_like, Quantity or SpectralAxis
        The spectra's wavenumbers (uniform).
    resolution : float or Quantity
        Resolution the data have (FWHM, cm^-1).
    worst : float or Quantity
        Coarsest resolution to degrade to; each spectrum gets a uniform
        draw in ``(resolution, worst]``.
    line_shape : str, optional
        Default "gaussian".
    p : float, optional
        Default 0.5.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import DegradeResolution
    >>> nu = np.arange(1000.0, 1200.0, 1.0)
    >>> band = 0.5 * np.exp(-0.5 * ((nu - 1100.0) / 2.0) ** 2)[None, :]
    >>> wide, _ = DegradeResolution(nu, 4.0, 16.0, p=1.0)(band, None, np.random.default_rng(0))
    >>> bool(wide.max() < band.max())
    True
    """

    def __init__(self, grid, resolution, worst, *, line_shape="gaussian", p=0.5):
        super().__init__(p)
        self.grid = as_grid(grid)
        self.resolution = check_real("resolution", strip_wavenumber(resolution, "resolution"), minimum=0.0,
                                     strict_min=True)
        self.worst = check_real("worst", strip_wavenumber(worst, "worst"), minimum=self.resolution, strict_min=True)
        self.line_shape = line_shape

    def _apply(self, X, rng):
        from ..spectra import convolve_instrument

        out = np.empty_like(X)
        for r in range(X.shape[0]):
            target = rng.uniform(self.resolution, self.worst)
            if target <= self.resolution * (1 + 1e-9):
                out[r] = X[r]
                continue
            T = convolve_instrument(10.0 ** (-X[r]), self.grid.spacing, target, line_shape=self.line_shape,
                                    source_resolution=self.resolution)
            out[r] = -np.log10(np.maximum(T, 1e-4))
        return out


class MixSameLabels:
    """Replace spectra by ``a x_i + (1 - a) x_j`` with ``x_j`` of the same label set, ``a ~ U(0.3, 0.7)``.

    Spectra whose label set occurs once in the batch are left alone.

    Parameters
    ----------
    p : float, optional
        Probability per spectrum (default 0.5).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn.augment import MixSameLabels
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    >>> Y = np.array([[1, 0], [1, 0], [0, 1]])
    >>> Xm, Ym = MixSameLabels(p=1.0)(X, Y, np.random.default_rng(0))
    >>> bool(0 < Xm[0, 0] < 1 and Xm[2, 0] == 5.0), bool((Ym == Y).all())
    (True, True)
    """

    def __init__(self, *, p=0.5):
        self.p = check_probability("p", p) if p < 1 else 1.0

    def __call__(self, X, Y, rng):
        X2, back = _rows(X)
        Yh = np.asarray(Y)
        keys = [row.tobytes() for row in (Yh != 0)]
        groups = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        src = X2.copy()
        for members in groups.values():
            if len(members) < 2:
                continue
            for i in members:
                if rng.random() >= self.p:
                    continue
                j = members[rng.integers(len(members) - 1)]
                j = j if j != i else members[-1]
                a = rng.uniform(0.3, 0.7)
                X2[i] = a * src[i] + (1 - a) * src[j]
        return back(X2), Y
