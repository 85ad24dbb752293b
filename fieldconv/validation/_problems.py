"""Closed-form potentials and forces used to validate :mod:`fieldconv.poisson`.

Every problem is a density with a known potential ``phi`` (and force
``F = -grad phi``) in the conventions of :mod:`fieldconv.poisson`, with
``G = 1`` and unit total mass ``M = 1``:

``gauss3d``
    ``rho = M (2 pi s^2)^-3/2 exp(-r^2/2s^2)``; ``phi = -G M erf(r/(sqrt2 s))/r``.
``plummer3d``
    Plummer sphere truncated at radius ``R`` (so that it fits in the box):
    ``phi = -G M/sqrt(r^2+a^2) + G M/a (1+R^2/a^2)^-3/2`` inside ``R``,
    ``-G M(<R)/r`` outside, ``M(<R) = M R^3/(R^2+a^2)^(3/2)``.
``sphere3d``
    Uniform sphere: ``phi = -G M (3R^2 - r^2)/(2R^3)`` inside, ``-G M/r`` outside.
``cube3d``
    Uniform cube ``[-c, c]^3`` aligned with the cell faces:
    ``phi(x) = -G rho sum_corners (+-) F(corner - x)`` with the antiderivative
    ``F`` of ``1/r`` (MacMillan 1930; see :mod:`fieldconv._antiderivatives`).
``gauss2d_log``
    2-D gravity of a Gaussian: ``phi = G M [ln R + E1(R^2/2s^2)/2]``.
``sheet2d``
    Razor-thin Gaussian sheet, in-plane potential
    ``phi = -G M sqrt(pi/2)/s exp(-y) I0(y)``, ``y = R^2/4s^2``.
``trig1d``, ``trig2d``, ``trig3d``
    Periodic products of sines and cosines with integer modes ``m`` on a box
    of side ``2 pi``: ``phi = -4 pi G rho/|m|^2`` (``2 pi G`` for the 2-D log kernel).

Coordinates are cell centres ``x_i = -B/2 + (i + 1/2) h`` (box ``[-B/2, B/2]``)
for the isolated problems and ``(i + 1/2) h`` on ``[0, 2 pi)`` for the
periodic ones.

Examples
--------
>>> from fieldconv.validation import PROBLEMS
>>> sorted(PROBLEMS)[:3]
['cube3d', 'gauss2d_log', 'gauss3d']
>>> p = PROBLEMS["gauss3d"]
>>> x = p.coords(8)
>>> p.density(x).shape
(8, 8, 8)
"""

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .._antiderivatives import box_antiderivative

__all__ = ["Problem", "PROBLEMS"]


@dataclass(frozen=True)
class Problem:
    """One validation problem: density, potential and force on a cell-centred grid.

    Attributes
    ----------
    name : str
    ndim : int
    bc : {"isolated", "periodic"}
    kernel : str
    box : float
        Box side B (code units).
    methods : tuple of (green, options) pairs
        Solver configurations this problem validates.
    smooth : bool
        True for sources resolved to spectral accuracy.
    """

    name: str
    ndim: int
    bc: str
    kernel: str
    box: float
    methods: tuple
    smooth: bool
    _rho: object = field(repr=False, default=None)
    _phi: object = field(repr=False, default=None)
    _dphi_dr: object = field(repr=False, default=None)
    _force: object = field(repr=False, default=None)
    min_size: int = 8

    def spacing(self, n):
        """Cell size for `n` cells per axis."""
        return self.box / n

    def coords(self, n):
        """Cell-centre coordinates: tuple of broadcastable arrays."""
        h = self.spacing(n)
        x = (np.arange(n) + 0.5) * h + (0.0 if self.bc == "periodic" else -self.box / 2)
        return tuple(x.reshape(tuple(-1 if b == a else 1 for b in range(self.ndim))) for a in range(self.ndim))

    def _full(self, v, x):
        return np.broadcast_to(v, np.broadcast_shapes(*(c.shape for c in x))).copy()

    def density(self, x):
        """Source on the grid `x` (from :meth:`coords`)."""
        return self._full(self._rho(x), x)

    def potential(self, x):
        """Exact potential on `x`."""
        return self._full(self._phi(x), x)

    def force(self, x):
        """Exact force ``-grad phi`` on `x`: tuple of arrays."""
        if self._force is not None:
            return tuple(self._full(f, x) for f in self._force(x))
        r = np.sqrt(sum(c * c for c in x))
        d = self._dphi_dr(r)
        with np.errstate(invalid="ignore", divide="ignore"):
            fs = [np.where(r > 0, -d * c / r, 0.0) for c in x]
        return tuple(self._full(f, x) for f in fs)


def _r(x):
    return np.sqrt(sum(c * c for c in x))


# ------------------------------------------------------------------ 3-D Gaussian
S = 1.0


def _gauss3_phi(x):
    r = _r(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = -special.erf(r / (math.sqrt(2) * S)) / r
    return np.where(r > 0, v, -math.sqrt(2 / math.pi) / S)


def _gauss3_dphi(r):
    with np.errstate(invalid="ignore", divide="ignore"):
        return special.erf(r / (math.sqrt(2) * S)) / r**2 - math.sqrt(2 / math.pi) / S * np.exp(-(r**2) / (2 * S * S)) / r


# ------------------------------------------------------------------ Plummer
A_PL, R_PL = 1.0, 7.0
M_IN = R_PL**3 / (R_PL**2 + A_PL**2) ** 1.5


def _plummer_rho(x):
    r = _r(x)
    return np.where(r < R_PL, 3.0 / (4 * math.pi * A_PL**3) * (1 + r * r / A_PL**2) ** -2.5, 0.0)


def _plummer_phi(x):
    r = _r(x)
    inside = -1.0 / np.sqrt(r * r + A_PL**2) + 1.0 / A_PL * (1 + R_PL**2 / A_PL**2) ** -1.5
    with np.errstate(divide="ignore"):
        return np.where(r < R_PL, inside, -M_IN / r)


def _plummer_dphi(r):
    with np.errstate(divide="ignore"):
        return np.where(r < R_PL, r / (r * r + A_PL**2) ** 1.5, M_IN / r**2)


# ------------------------------------------------------------------ uniform sphere
R_SP = 5.0


def _sphere_rho(x):
    return np.where(_r(x) < R_SP, 3.0 / (4 * math.pi * R_SP**3), 0.0)


def _sphere_phi(x):
    r = _r(x)
    with np.errstate(divide="ignore"):
        return np.where(r < R_SP, -(3 * R_SP**2 - r * r) / (2 * R_SP**3), -1.0 / r)


def _sphere_dphi(r):
    with np.errstate(divide="ignore"):
        return np.where(r < R_SP, r / R_SP**3, 1.0 / r**2)


# ------------------------------------------------------------------ cube
C_CUBE = 4.0
RHO_CUBE = 1.0 / (2 * C_CUBE) ** 3


def _cube_rho(x):
    inside = np.ones(())
    for c in x:
        inside = inside * (np.abs(c) < C_CUBE)
    return RHO_CUBE * inside


def _cube_phi(x):
    acc = 0.0
    for corner in np.ndindex(2, 2, 2):
        sign = (-1) ** (3 - sum(corner))
        acc = acc + sign * box_antiderivative("newton", 3, [(2 * s - 1) * C_CUBE - c for s, c in zip(corner, x)])
    return -RHO_CUBE * acc


# ------------------------------------------------------------------ 2-D log Gaussian
def _g2_rho(x):
    r = _r(x)
    return np.exp(-r * r / (2 * S * S)) / (2 * math.pi * S * S)


def _g2_phi(x):
    r = _r(x)
    u = r * r / (2 * S * S)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.log(r) + 0.5 * special.exp1(u)
    return np.where(r > 0, v, 0.5 * (-np.euler_gamma + math.log(2 * S * S)))


def _g2_dphi(r):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.expm1(-r * r / (2 * S * S)) / r


# ------------------------------------------------------------------ thin sheet
def _sheet_phi(x):
    y = sum(c * c for c in x) / (4 * S * S)
    return -math.sqrt(math.pi / 2) / S * special.ive(0, y)


def _sheet_dphi(r):
    y = r * r / (4 * S * S)
    return -math.sqrt(math.pi / 2) / S * (r / (2 * S * S)) * (special.ive(1, y) - special.ive(0, y))


# ------------------------------------------------------------------ periodic trig
MODES = {1: (3,), 2: (2, 3), 3: (1, 2, 3)}


def _trig(ndim, kernel_coef):
    m = MODES[ndim]
    m2 = sum(q * q for q in m)

    def rho(x):
        v = 1.0
        for a, (c, q) in enumerate(zip(x, m)):
            v = v * (np.cos(q * c) if a % 2 == 0 else np.sin(q * c))
        return v

    def phi(x):
        return -kernel_coef * rho(x) / m2

    def force(x):
        out = []
        for b in range(ndim):
            v = 1.0
            for a, (c, q) in enumerate(zip(x, m)):
                if a == b:
                    v = v * (-q * np.sin(q * c) if a % 2 == 0 else q * np.cos(q * c))
                else:
                    v = v * (np.cos(q * c) if a % 2 == 0 else np.sin(q * c))
            out.append(kernel_coef * v / m2)
        return tuple(out)

    return rho, phi, force


_ISO = (("spectral", {}), ("integrated", {}))
_PER = (
    ("continuous", {}),
    ("discrete", {"order": 2}),
    ("discrete", {"order": 4}),
    ("discrete", {"order": 6}),
)


def _build():
    probs = [
        Problem("gauss3d", 3, "isolated", "newton", 16.0, _ISO, True,
                lambda x: np.exp(-_r(x) ** 2 / (2 * S * S)) / (2 * math.pi * S * S) ** 1.5, _gauss3_phi, _gauss3_dphi),
        Problem("plummer3d", 3, "isolated", "newton", 16.0, _ISO, False, _plummer_rho, _plummer_phi, _plummer_dphi),
        Problem("sphere3d", 3, "isolated", "newton", 16.0, _ISO, False, _sphere_rho, _sphere_phi, _sphere_dphi),
        Problem("cube3d", 3, "isolated", "newton", 16.0, (("integrated", {}),), False, _cube_rho, _cube_phi, None),
        Problem("gauss2d_log", 2, "isolated", "log", 16.0, _ISO, True, _g2_rho, _g2_phi, _g2_dphi),
        Problem("sheet2d", 2, "isolated", "thin-disk", 16.0, _ISO, True, _g2_rho, _sheet_phi, _sheet_dphi),
    ]
    for nd in (1, 2, 3):
        coef = 2 * math.pi if nd == 2 else 4 * math.pi
        rho, phi, force = _trig(nd, coef)
        probs.append(Problem(f"trig{nd}d", nd, "periodic", "log" if nd == 2 else "newton", 2 * math.pi, _PER, True,
                             rho, phi, None, force))
    return {p.name: p for p in probs}


#: The validation problems by name.
PROBLEMS = _build()
