"""Synthetic mid-infrared spectra of organic molecules with functional-group labels.

No labelled public IR data set can be downloaded where fieldconv is built
and tested, so the package generates one from the physics of an FTIR
measurement.  Each spectrum is made in five steps:

1. **Molecule.**  A set of functional groups (the multi-label target) is
   drawn: none with probability ``p_none``, else ``1 + Poisson(mean_groups - 1)``
   distinct groups (at most 5), uniformly among the chosen groups.  Each
   group contributes all its bands of the correlation table
   (:mod:`fieldconv.datasets.ir_bands`), each with its own centre (uniform in
   the chart's range), width (uniform in its range) and intensity (the chart
   strength times the group's multiplicity, 1 or 2, times a log-normal
   spread of 30 %).  Most molecules also carry the hydrocarbon skeleton
   (C-H stretches and bends, scaled by chain length), and every molecule
   has 2-10 weak-to-medium skeletal bands at random positions in the
   fingerprint region (450-1500 cm^-1), as real molecules do.
2. **Line shape.**  Every band is a Voigt profile (Gaussian inhomogeneous
   width convolved with the Lorentzian lifetime width, Lorentzian share of
   the FWHM 30-70 %, Olivero & Longbothum 1977 for the combined FWHM),
   evaluated exactly (``scipy.special.voigt_profile``) within 40 FWHM of its
   centre: the Lorentzian wings cut off beyond carry at most ``1/(40 pi)``
   = 0.8 % of the band's area.  The absorbance is scaled so that the
   strongest intrinsic band of the molecule peaks at 0.3-1.0 (the sample
   thickness a spectroscopist would choose).
3. **Atmosphere and calibration.**  Residual CO2 (the P/R envelope of
   nu3 at 2349 cm^-1 and the nu2 bend at 667 cm^-1) and water vapour (a fixed
   pseudo line list of narrow lines in 1350-1900 and 3550-3950 cm^-1) are
   added with random sign and amplitude (imperfect background
   compensation).  All positions are offset by one calibration shift per
   spectrum, normal with standard deviation ``calibration_shift``.
4. **Instrument.**  The transmittance ``T = 10^-A`` is convolved with the
   instrument line shape of FWHM `resolution` by
   :func:`fieldconv.spectra.convolve_instrument`, which conserves
   ``sum(1 - T)`` (the band's equivalent width) exactly; a coarser output
   grid is then reached by the bin averages of
   :func:`fieldconv.spectra.resample`.
5. **Detector and baseline.**  A smooth baseline (offset, slope, curvature
   and a scattering term rising as nu^2) multiplies the transmittance, and
   white noise of standard deviation `noise` is added *in transmittance*
   (detector noise), so weak bands under strong absorbers are noisier in
   absorbance, as in real data.  The result is returned as absorbance
   ``-log10(T)`` (transmittance clipped at 1e-4) or as transmittance.

Everything is drawn from one ``numpy.random.Generator`` seeded by
`random_state`: the same seed gives the same data set.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from .ir_bands import GROUP_BANDS, GROUP_NAMES, SKELETON_BANDS

__all__ = ["synthetic_ir", "IRDataset", "default_grid"]

_VOIGT_REACH = 40.0  # bands are evaluated within this many FWHM of their centre
_T_FLOOR = 1e-4


def default_grid():
    """400-3999 cm^-1 at 1 cm^-1 (3600 points, ascending): the mid-IR of a benchtop FTIR.

    Examples
    --------
    >>> from fieldconv.datasets import default_grid
    >>> g = default_grid()
    >>> g.shape, float(g[0]), float(g[-1])
    ((3600,), 400.0, 3999.0)
    """
    return np.arange(400.0, 4000.0, 1.0)


@dataclass
class IRDataset:
    """Spectra, labels and the axis they live on (the result of :func:`synthetic_ir`).

    Attributes
    ----------
    X : ndarray, float32, shape (n_samples, n_points)
        Spectra (absorbance or transmittance, see ``y_unit``) on `grid`.
    Y : ndarray, uint8, shape (n_samples, n_groups)
        ``Y[i, g] = 1`` if molecule ``i`` has group ``groups[g]``.
    grid : ndarray, float64, shape (n_points,)
        Wavenumbers (cm^-1), in the order given.
    groups : tuple of str
        Group names, one per column of `Y`.
    resolution : float
        Instrument resolution (FWHM of the line shape, cm^-1).
    y_unit : str
        ``"absorbance"`` or ``"transmittance"``.
    bands : list of list of tuple, optional
        With ``return_bands=True``: per spectrum, ``(source, label, centre,
        fwhm, peak)`` of every band (source is a group name, ``"skeleton"``,
        or ``"fingerprint"``), centres including the calibration shift.

    Examples
    --------
    >>> from fieldconv.datasets import synthetic_ir
    >>> d = synthetic_ir(2, groups=["nitrile"], random_state=0)
    >>> d.groups, d.X.shape
    (('nitrile',), (2, 3600))
    """

    X: np.ndarray
    Y: np.ndarray
    grid: np.ndarray
    groups: tuple
    resolution: float
    y_unit: str = "absorbance"
    bands: list = field(default=None, repr=False)

    def __repr__(self):
        return (f"IRDataset({self.X.shape[0]} spectra x {self.X.shape[1]} points, {len(self.groups)} groups, "
                f"resolution {self.resolution:g} cm-1, {self.y_unit})")


def _voigt_widths(fwhm, lorentz_share):
    """Gaussian sigma and Lorentzian HWHM of a Voigt of total `fwhm` (Olivero & Longbothum 1977)."""
    f_l = lorentz_share * fwhm
    f_g = math.sqrt(max((fwhm - 0.5346 * f_l) ** 2 - 0.2166 * f_l**2, 1e-12))
    return f_g / (2.0 * math.sqrt(2.0 * math.log(2.0))), 0.5 * f_l


def _add_band(out, x0, h, centre, fwhm, peak, lorentz_share):
    """Add a Voigt band of peak height `peak` to `out` (a grid starting at x0, step h > 0)."""
    from scipy.special import voigt_profile

    sigma, gamma = _voigt_widths(fwhm, lorentz_share)
    norm = voigt_profile(0.0, sigma, gamma)
    reach = _VOIGT_REACH * fwhm
    i0 = max(0, int(math.floor((centre - reach - x0) / h)))
    i1 = min(out.shape[0], int(math.ceil((centre + reach - x0) / h)) + 1)
    if i1 <= i0:
        return
    x = x0 + h * np.arange(i0, i1)
    out[i0:i1] += (peak / norm) * voigt_profile(x - centre, sigma, gamma)


def _atmosphere_templates(x0, h, n):
    """Unit-amplitude absorbance templates of residual CO2 and H2O on the fine grid."""
    co2 = np.zeros(n)
    for centre, fwhm, peak in ((2337.0, 18.0, 1.0), (2361.0, 18.0, 0.9), (667.0, 3.0, 0.6),
                               (652.0, 12.0, 0.25), (682.0, 12.0, 0.25)):
        _add_band(co2, x0, h, centre, fwhm, peak, 0.5)
    h2o = np.zeros(n)
    lines = np.random.default_rng(1729)  # a fixed pseudo line list, the same in every data set
    for lo, hi, count in ((1350.0, 1900.0, 45), (3550.0, 3950.0, 35)):
        pos = lines.uniform(lo, hi, count)
        mid = 0.5 * (lo + hi)
        strength = lines.exponential(1.0, count) * np.exp(-(((pos - mid) / (0.35 * (hi - lo))) ** 2))
        for c, s in zip(pos, strength):
            _add_band(h2o, x0, h, c, 1.5, s, 0.5)
    return co2 / co2.max(), h2o / h2o.max()


def _check_args(n_samples, resolution, noise, groups, mean_groups, p_none, calibration_shift, y_unit):
    from .._grid import strip_wavenumber
    from .._validate import check_choice, check_int, check_real

    n_samples = check_int("n_samples", n_samples, minimum=1)
    resolution = check_real("resolution", strip_wavenumber(resolution, "resolution"), minimum=0.0, strict_min=True)
    noise = check_real("noise", noise, minimum=0.0)
    mean_groups = check_real("mean_groups", mean_groups, minimum=1.0, maximum=5.0)
    p_none = check_real("p_none", p_none, minimum=0.0, maximum=1.0, strict_max=True)
    calibration_shift = check_real("calibration_shift", strip_wavenumber(calibration_shift, "calibration_shift"),
                                   minimum=0.0)
    check_choice("y_unit", y_unit, ("absorbance", "transmittance"))
    if groups is None:
        groups = GROUP_NAMES
    else:
        groups = tuple(groups)
        unknown = [g for g in groups if g not in GROUP_BANDS]
        if unknown or not groups:
            raise ValueError(f"groups must be a non-empty subset of {list(GROUP_NAMES)}; got unknown {unknown or groups}")
        if len(set(groups)) != len(groups):
            raise ValueError(f"groups must not repeat a name; got {list(groups)}")
    return n_samples, resolution, noise, groups, mean_groups, p_none, calibration_shift


def synthetic_ir(n_samples, *, grid=None, resolution=4.0, groups=None, mean_groups=1.8, p_none=0.05, noise=0.003,
                 baseline=True, atmosphere=True, calibration_shift=0.5, line_shape="gaussian", y_unit="absorbance",
                 random_state=None, return_bands=False):
    """Labelled synthetic FTIR spectra of organic molecules (see the module notes for the physics).

    Parameters
    ----------
    n_samples : int
        Number of spectra.
    grid : array_like (n_points,), Quantity or SpectralAxis, optional
        Output wavenumbers in cm^-1, uniform, either direction, within
        400-4000 cm^-1 (default :func:`default_grid`: 400-3999 at 1 cm^-1).
    resolution : float or Quantity, optional
        Instrument resolution, FWHM of the line shape in cm^-1 (default 4).
    groups : sequence of str, optional
        Functional groups to draw from, in label-column order (default all
        16 of :data:`~fieldconv.datasets.ir_bands.GROUP_NAMES`).
    mean_groups : float, optional
        Mean number of groups of a molecule that has any (1-5; default 1.8).
    p_none : float, optional
        Probability of a molecule with none of the groups (default 0.05).
    noise : float, optional
        Standard deviation of the detector noise in transmittance
        (default 0.003: a signal-to-noise ratio of ~300 at the baseline).
    baseline, atmosphere : bool, optional
        Add the smooth baseline / residual CO2 and H2O (default True).
    calibration_shift : float or Quantity, optional
        Standard deviation of the per-spectrum wavenumber offset, cm^-1
        (default 0.5).
    line_shape : {"gaussian", "sinc", "sinc2", ...}, optional
        Instrument line shape family (see :func:`fieldconv.spectra.line_shape`).
    y_unit : {"absorbance", "transmittance"}, optional
        Output ordinate (default absorbance).
    random_state : None, int or numpy Generator, optional
        Seed: the same seed gives the same data set.
    return_bands : bool, optional
        Also return every band drawn (for explanations and tests).

    Returns
    -------
    IRDataset
        ``X`` float32 (n_samples, n_points), ``Y`` uint8 (n_samples,
        n_groups), ``grid``, ``groups``, ``resolution``, ``y_unit`` (and
        ``bands``).

    Raises
    ------
    ValueError
        Non-positive sizes or resolution; negative noise or shift; unknown
        or repeated groups; a grid outside 400-4000 cm^-1, non-uniform or not
        a wavenumber axis; a Quantity resolution that is not a wavenumber.
    TypeError
        Non-integer `n_samples`; a non-numeric argument.

    Examples
    --------
    >>> from fieldconv.datasets import synthetic_ir
    >>> data = synthetic_ir(4, random_state=0)
    >>> data
    IRDataset(4 spectra x 3600 points, 16 groups, resolution 4 cm-1, absorbance)
    >>> data.X.dtype, data.Y.dtype, data.Y.shape
    (dtype('float32'), dtype('uint8'), (4, 16))
    >>> bool((synthetic_ir(4, random_state=0).X == data.X).all())     # seeded
    True
    """
    from .._grid import as_grid
    from .._validate import as_generator
    from ..spectra import convolve_instrument, resample

    n_samples, resolution, noise, groups, mean_groups, p_none, calibration_shift = _check_args(
        n_samples, resolution, noise, groups, mean_groups, p_none, calibration_shift, y_unit)
    g = as_grid(default_grid() if grid is None else grid)
    lo_g, hi_g = min(g.start, g.values[-1]), max(g.start, g.values[-1])
    if lo_g < 400.0 - 1e-9 or hi_g > 4000.0 + 1e-9:
        raise ValueError(f"grid must lie within 400-4000 cm^-1 (the table's mid-IR); got {lo_g:g} .. {hi_g:g}")
    rng = as_generator(random_state)

    # fine working grid: ascending, step <= 1 cm^-1 (the narrowest bands are 5 cm^-1 wide), 50 cm^-1 margins
    h = min(g.spacing, 1.0)
    x0 = lo_g - 50.0
    n_fine = int(math.floor((hi_g + 50.0 - x0) / h + 1e-9)) + 1
    xf = x0 + h * np.arange(n_fine)
    co2, h2o = _atmosphere_templates(x0, h, n_fine) if atmosphere else (None, None)
    same = abs(h - g.spacing) < 1e-9 * h and abs(((lo_g - x0) / h) - round((lo_g - x0) / h)) < 1e-6
    if same:
        i_lo = int(round((lo_g - x0) / h))
        take = slice(i_lo, i_lo + len(g))

    X = np.empty((n_samples, len(g)), dtype=np.float32)
    Y = np.zeros((n_samples, len(groups)), dtype=np.uint8)
    all_bands = [] if return_bands else None
    xi = (xf - 2200.0) / 1800.0  # baseline coordinate, ~[-1, 1] over the mid-IR
    for i in range(n_samples):
        A = np.zeros(n_fine)
        shift = rng.normal(0.0, calibration_shift) if calibration_shift > 0 else 0.0
        bands = []
        # --- the molecule: groups (labels), skeleton, fingerprint clutter
        if rng.random() >= p_none:
            k = min(5, len(groups), 1 + rng.poisson(mean_groups - 1.0))
            for gi in rng.choice(len(groups), size=k, replace=False):
                Y[i, gi] = 1
                mult = 2.0 if rng.random() < 0.2 else 1.0
                for b in GROUP_BANDS[groups[gi]]:
                    bands.append((groups[gi], b, mult))
        if rng.random() < 0.9:
            chain = rng.uniform(0.2, 1.2)
            bands.extend(("skeleton", b, chain) for b in SKELETON_BANDS)
        drawn = []
        for source, b, mult in bands:
            centre = rng.uniform(b.centre_lo, b.centre_hi) + shift
            fwhm = rng.uniform(b.fwhm_lo, b.fwhm_hi)
            peak = b.strength * mult * rng.lognormal(0.0, 0.3)
            drawn.append((source, b.label, centre, fwhm, peak))
        for _ in range(rng.integers(2, 11)):
            drawn.append(("fingerprint", "skeletal band", rng.uniform(450.0, 1500.0) + shift,
                          rng.uniform(6.0, 30.0), rng.uniform(0.05, 0.4)))
        target = rng.uniform(0.3, 1.0) / max(d[4] for d in drawn)
        drawn = [(s, lab, c, f, p * target) for (s, lab, c, f, p) in drawn]
        for _, _, centre, fwhm, peak in drawn:
            _add_band(A, x0, h, centre, fwhm, peak, rng.uniform(0.3, 0.7))
        if return_bands:
            all_bands.append(drawn)
        # --- atmosphere residuals (either sign), calibration shift included
        if atmosphere:
            s = int(round(shift / h))
            A += rng.normal(0.0, 0.02) * np.roll(co2, s) + rng.normal(0.0, 0.01) * np.roll(h2o, s)
        # --- instrument: the line shape acts on transmittance, conserving sum(1 - T)
        T = convolve_instrument(10.0 ** (-A), h, resolution, line_shape=line_shape)
        if baseline:
            base = (rng.uniform(-0.02, 0.05) + rng.normal(0.0, 0.02) * xi + rng.normal(0.0, 0.015) * xi**2
                    + rng.uniform(0.0, 0.08) * (xf / 4000.0) ** 2)
            T = T * 10.0 ** (-base)
        T = T[take] if same else resample(T, xf, np.sort(g.values))
        if noise > 0:
            T = T + rng.normal(0.0, noise, T.shape)
        if g.step < 0:  # back to the caller's order
            T = T[::-1]
        X[i] = -np.log10(np.maximum(T, _T_FLOOR)) if y_unit == "absorbance" else T
    return IRDataset(X, Y, np.array(g.values), tuple(groups), resolution, y_unit, all_bands)
