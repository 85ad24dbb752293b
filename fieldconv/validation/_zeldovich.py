"""The Zel'dovich pancake: a plane-wave collapse with an exact solution before shell crossing.

In a periodic box whose mean density ``rho_bar`` is subtracted (the Poisson
problem :mod:`fieldconv.pm` solves), particles displaced along x by
``psi(q)`` from a uniform lattice feel, by Gauss's law in plane symmetry
and while no two sheets have crossed, ``g = 4 pi G rho_bar psi``: every
sheet obeys ``psi'' = omega^2 psi`` with ``omega^2 = 4 pi G rho_bar``,
whatever the shape of ``psi``.  The growing mode of the pancake is

    x(q, t) = q - A(t) sin(k q) / k,   v(q, t) = dA/dt * (-sin(k q) / k),
    A(t) = A0 exp(omega (t - t0)),   k = 2 pi / L,

the Zel'dovich solution of a static background (exact, not an
approximation, in one dimension).  Shell crossing happens at ``q = 0`` when
``A = 1`` (``dx/dq = 0``); the density there is ``rho_bar / (1 - A)``.

:func:`run_pancake` integrates it with :class:`fieldconv.pm.ParticleMesh`
and a kick-drift-kick leapfrog in a 3-D periodic box (one particle per mesh
cell, the plane wave along axis 0) and returns the position and velocity
errors against this solution; :func:`pancake_convergence` repeats it on
finer meshes.  Used by ``examples/zeldovich_pancake.py``, ``docs/pm.md`` and
``fieldconv validate``.
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ZeldovichPancake", "PancakeResult", "integrate_pancake", "run_pancake", "pancake_convergence"]


@dataclass(frozen=True)
class ZeldovichPancake:
    """The exact plane-wave solution in a periodic box of side `box_size` (code units).

    Parameters
    ----------
    box_size : float
        Side ``L`` of the cubic box; the wave is along axis 0, ``k = 2 pi / L``.
    omega : float
        Growth rate ``sqrt(4 pi G rho_bar)``.
    a0 : float
        Amplitude ``A`` at ``t = 0`` (shell crossing at ``A = 1``).
    """

    box_size: float = 1.0
    omega: float = 1.0
    a0: float = 0.1

    @property
    def k(self):
        return 2.0 * math.pi / self.box_size

    def amplitude(self, t):
        """``A(t) = a0 exp(omega t)``."""
        return self.a0 * math.exp(self.omega * t)

    def time_of(self, amplitude):
        """The time at which ``A`` reaches `amplitude`."""
        return math.log(amplitude / self.a0) / self.omega

    def positions(self, q, t):
        """Eulerian x of the sheets with Lagrangian coordinates `q` (any shape), at time `t`."""
        return q - self.amplitude(t) * np.sin(self.k * q) / self.k

    def velocities(self, q, t):
        """dx/dt of the sheets `q` at time `t`."""
        return -self.omega * self.amplitude(t) * np.sin(self.k * q) / self.k

    def mean_density(self, G=1.0):
        """``rho_bar = omega^2 / (4 pi G)``."""
        return self.omega**2 / (4.0 * math.pi * G)


@dataclass(frozen=True)
class PancakeResult:
    """Errors of one pancake run, relative to the displacement and velocity amplitudes at the end."""

    n_mesh: int
    n_steps: int
    scheme: str
    amplitude: float
    position_error: float  #: max |x - x_exact| / (A / k)
    velocity_error: float  #: max |v - v_exact| / (omega A / k)
    transverse: float  #: max |x_perp - x_perp,0| + |v_perp| (should stay at round-off)


def _wrap(d, L):
    """Displacement `d` on a periodic axis of length `L`, into [-L/2, L/2)."""
    return (d + 0.5 * L) % L - 0.5 * L


def integrate_pancake(n_mesh, *, scheme="cic", a_start=0.1, a_end=0.8, n_steps=None, n_steps_per_cell=4,
                      transverse=4, green=None, recipe="momentum", dtype=np.float64, backend=None):
    """Integrate the pancake with particle-mesh gravity and a kick-drift-kick leapfrog.

    Parameters
    ----------
    n_mesh : int
        Mesh cells (and particles) along the wave; the mesh is
        ``(n_mesh, transverse, transverse)``, one particle per cell at the
        cell centres of the unperturbed lattice (box side 1, ``G = 1``,
        ``omega = 1``).
    scheme, green, recipe, backend
        Passed to :class:`fieldconv.pm.ParticleMesh`.
    a_start, a_end : float
        Amplitude at the start and at the end (shell crossing at 1).
    n_steps : int, optional
        Leapfrog steps; default ``n_steps_per_cell * n_mesh``.
    n_steps_per_cell : int
        Default 4: the time-step error (``~ (omega dt)^2``) is then about 1 %
        of the mesh error (measured: halving dt at 64 cells changes the
        error by < 1 %).
    transverse : int
        Cells (and particles) along axes 1 and 2 (>= 2).
    dtype : numpy dtype
        Working dtype of the positions, velocities and the mesh.

    Returns
    -------
    (solution, t_end, q, x, v, n_steps)
        The exact :class:`ZeldovichPancake`, the final time, the Lagrangian
        coordinates (N, 3) and the final positions and velocities (N, 3).
    """
    from ..pm import ParticleMesh

    if not 0 < a_start < a_end < 1:
        raise ValueError(f"the amplitudes must satisfy 0 < a_start < a_end < 1 (shell crossing at 1); "
                         f"got a_start={a_start}, a_end={a_end}")
    n_steps = n_steps_per_cell * n_mesh if n_steps is None else int(n_steps)
    L = 1.0
    sol = ZeldovichPancake(box_size=L, omega=1.0, a0=a_start)
    shape = (n_mesh, transverse, transverse)
    grids = np.meshgrid(*[(np.arange(n) + 0.5) * (L / n) for n in shape], indexing="ij")
    q = np.stack([g.ravel() for g in grids], axis=1)
    mass = sol.mean_density() * L**3 / q.shape[0]
    x = q.copy()
    x[:, 0] = sol.positions(q[:, 0], 0.0)
    v = np.zeros_like(q)
    v[:, 0] = sol.velocities(q[:, 0], 0.0)
    x, v = x.astype(dtype), v.astype(dtype)
    pm = ParticleMesh(shape, L, scheme=scheme, green=green, recipe=recipe, G=1.0, dtype=dtype, backend=backend)
    t_end = sol.time_of(a_end)
    dt = t_end / n_steps
    acc = pm.accelerations(x, masses=mass)
    for _ in range(n_steps):  # kick-drift-kick
        v += 0.5 * dt * acc
        x += dt * v
        acc = pm.accelerations(x, masses=mass)
        v += 0.5 * dt * acc
    return sol, t_end, q, x, v, n_steps


def run_pancake(n_mesh, **kwargs):
    """:func:`integrate_pancake`, then its errors against the exact solution.

    Parameters
    ----------
    n_mesh : int
    **kwargs
        As :func:`integrate_pancake`.

    Returns
    -------
    PancakeResult

    Examples
    --------
    >>> from fieldconv.validation._zeldovich import run_pancake
    >>> r = run_pancake(16, scheme="tsc", n_steps=32, backend="numpy")
    >>> r.position_error < 0.05 and r.transverse < 1e-10
    True
    """
    sol, t_end, q, x, v, n_steps = integrate_pancake(n_mesh, **kwargs)
    L = sol.box_size
    x64, v64 = np.asarray(x, np.float64), np.asarray(v, np.float64)
    amp = sol.amplitude(t_end)
    dx = _wrap(x64[:, 0] - sol.positions(q[:, 0], t_end), L)
    dv = v64[:, 0] - sol.velocities(q[:, 0], t_end)
    perp = np.abs(_wrap(x64[:, 1:] - q[:, 1:], L)).max() + np.abs(v64[:, 1:]).max()
    return PancakeResult(
        n_mesh=n_mesh, n_steps=n_steps, scheme=kwargs.get("scheme", "cic"), amplitude=amp,
        position_error=float(np.abs(dx).max() / (amp / sol.k)),
        velocity_error=float(np.abs(dv).max() / (sol.omega * amp / sol.k)),
        transverse=float(perp),
    )


def pancake_convergence(meshes=(16, 32, 64, 128), **kwargs):
    """:func:`run_pancake` on each mesh; returns the results and the observed orders between neighbours.

    Returns
    -------
    results : list of PancakeResult
    orders : list of (position order, velocity order)
        ``log2(e_coarse / e_fine) / log2(n_fine / n_coarse)`` for each
        neighbouring pair.

    Examples
    --------
    >>> from fieldconv.validation._zeldovich import pancake_convergence
    >>> res, orders = pancake_convergence((8, 16), scheme="tsc", backend="numpy")
    >>> len(res), len(orders)
    (2, 1)
    """
    results = [run_pancake(n, **kwargs) for n in meshes]
    orders = []
    for a, b in zip(results, results[1:]):
        r = math.log2(b.n_mesh / a.n_mesh)
        orders.append((math.log2(a.position_error / b.position_error) / r,
                       math.log2(a.velocity_error / b.velocity_error) / r))
    return results, orders
