"""Built-in example data: a Plummer sphere written as a Gadget snapshot, with its closed forms."""

import math

import numpy as np

from ._snapshot_writer import write_snapshot

__all__ = ["write_plummer_snapshot", "plummer_acceleration"]


def _enclosed_fraction(r, a):
    """M(<r) / M_Plummer = r^3 / (r^2 + a^2)^(3/2)."""
    return r**3 / (r**2 + a**2) ** 1.5


def write_plummer_snapshot(path, n=200_000, *, nfiles=1, scale_radius=1.0, mass=1.0, r_max=5.0, box_size=12.0,
                           seed=0, dtype=np.float32, units=None):
    """Write a Plummer sphere of `n` equal-mass particles, centred in the box, as a Gadget snapshot.

    The sphere is the Plummer profile truncated at `r_max`, centred at
    ``box_size / 2`` on every axis, for an isolated Poisson solve on the box
    ``[0, box_size)^3`` (``fieldconv poisson --bc isolated``).  Radii are
    drawn by inverting the enclosed mass, directions isotropically, from
    ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    path : str or os.PathLike
        The file, or the base of ``nfiles`` pieces (see :func:`write_snapshot`).
    n : int, optional
        Particles (default 200,000).
    nfiles : int, optional
        Pieces of the snapshot (default 1).
    scale_radius : float, optional
        Plummer radius ``a`` (code length units, default 1).
    mass : float, optional
        Total mass of the truncated sphere (code mass units, default 1).
    r_max : float, optional
        Truncation radius (default 5 ``a``-units; must be below ``box_size / 2``).
    box_size : float, optional
        Side of the box (default 12).
    seed : int, optional
    dtype : {float32, float64}, optional
        Dtype of the positions written (default float32).
    units : dict, optional
        Code units, as in :func:`write_snapshot` (default: none, G = 1).

    Returns
    -------
    list of str
        The files written.

    Raises
    ------
    ValueError
        Non-positive sizes, ``r_max >= box_size / 2``, fewer than one particle.

    Notes
    -----
    With ``M_P = mass / f(r_max)``, ``f(r) = r^3 / (r^2 + a^2)^{3/2}`` (the
    untruncated Plummer mass), inside ``r_max``:

    * density ``rho(r) = 3 M_P / (4 pi a^3) (1 + r^2/a^2)^{-5/2}``;
    * enclosed mass ``M(<r) = M_P f(r)``;
    * acceleration ``g(r) = -G M_P r / (r^2 + a^2)^{3/2}`` (radial), which
      :func:`plummer_acceleration` evaluates; the truncation changes nothing
      inside ``r_max`` (Newton's shell theorem).

    Examples
    --------
    >>> import os, tempfile
    >>> from fieldconv.io import Snapshot, write_plummer_snapshot
    >>> files = write_plummer_snapshot(os.path.join(tempfile.mkdtemp(), "plummer"), 1000, nfiles=2)
    >>> s = Snapshot(files[0]); s.count(), s.box_size, float(s.constant_mass())
    (1000, (12.0, 12.0, 12.0), 0.001)
    """
    from .._validate import check_int

    n = check_int("n", n, minimum=1)
    for name, v in (("scale_radius", scale_radius), ("mass", mass), ("r_max", r_max), ("box_size", box_size)):
        if not (isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive finite number; got {v!r}")
    if r_max >= box_size / 2:
        raise ValueError(f"r_max must be below box_size / 2 = {box_size / 2}; got {r_max}")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {np.dtype(dtype)}")
    rng = np.random.default_rng(seed)
    a = float(scale_radius)
    frac = rng.random(n) * _enclosed_fraction(r_max, a)  # enclosed-mass fraction, uniform below the truncation
    r = a / np.sqrt(np.maximum(frac, 1e-300) ** (-2.0 / 3.0) - 1.0)
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2 * math.pi, n)
    sin_t = np.sqrt(1.0 - cos_t**2)
    pos = np.empty((n, 3), dtype=dtype)
    centre = box_size / 2
    pos[:, 0] = centre + r * sin_t * np.cos(phi)
    pos[:, 1] = centre + r * sin_t * np.sin(phi)
    pos[:, 2] = centre + r * cos_t
    return write_snapshot(path, {1: {"positions": pos, "masses": mass / n}}, box_size=box_size, nfiles=nfiles,
                          units=units)


def plummer_acceleration(positions, *, scale_radius=1.0, mass=1.0, r_max=5.0, box_size=12.0, G=None):
    """The closed-form acceleration of :func:`write_plummer_snapshot`'s sphere at `positions`.

    Parameters
    ----------
    positions : ndarray (N, 3)
        In code length units, in the snapshot's box.
    scale_radius, mass, r_max, box_size
        As given to :func:`write_plummer_snapshot`.
    G : float, optional
        Gravitational constant in code units (default None: 1, as for every
        plain-number input in fieldconv).

    Returns
    -------
    ndarray (N, 3), float64
        ``-G M_P (x - c) / (|x - c|^2 + a^2)^{3/2}`` (valid inside ``r_max``).

    Examples
    --------
    >>> import numpy as np
    >>> g = plummer_acceleration(np.array([[7.0, 6.0, 6.0]]))  # r = a from the centre (6, 6, 6)
    >>> print(np.round(g, 4))  # -G M_P a / (2 a^2)^(3/2), M_P = 1 / f(5) = 1.0606
    [[-0.375  0.     0.   ]]
    """
    G = 1.0 if G is None else float(G)
    d = np.asarray(positions, dtype=np.float64) - box_size / 2
    a = float(scale_radius)
    m_p = mass / _enclosed_fraction(r_max, a)
    r2 = np.einsum("ij,ij->i", d, d)
    return -G * m_p * d / ((r2 + a * a) ** 1.5)[:, None]
