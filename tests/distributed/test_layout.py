"""The distributed mode's serial parts, without MPI: process grids, ghost widths, the serial
coordinate.  (The serial Green's functions on blocks of wavenumbers are tested in
tests/poisson/test_green_blocks.py.)"""

import numpy as np
import pytest

import fieldconv as fc
from fieldconv.distributed.decomposition import process_grid
from fieldconv.distributed.ghosts import ghost_widths
from fieldconv.distributed.routing import wrapped_coordinate


# ------------------------------------------------------------------ process grids
@pytest.mark.parametrize(
    "shape, size, decomposition, expected",
    [
        ((64, 64, 64), 1, "pencil", ((1, 1, 1), "slab")),  # one rank owns everything
        ((64, 64, 64), 4, "auto", ((4, 1, 1), "slab")),
        ((64, 64, 4), 4, "auto", ((2, 2, 1), "pencil")),  # 3 Fourier planes < 4 ranks
        ((8, 8, 10), 4, "pencil", ((2, 2, 1), "pencil")),
        ((18, 12, 10), 6, (3, 2), ((3, 2, 1), "pencil")),
        ((16, 12), 3, "auto", ((3, 1), "slab")),
        ((4, 12, 10), 4, "slab", ((4, 1, 1), "slab")),  # one row per rank is enough
    ],
    ids=["P1", "slab", "auto-pencil", "pencil", "explicit", "2d", "thin"],
)
def test_process_grid(shape, size, decomposition, expected):
    assert process_grid(shape, size, decomposition) == expected


@pytest.mark.parametrize(
    "shape, size, decomposition, error, match",
    [
        ((3, 12, 4), 4, "slab", ValueError, r"shape\[0\] = 3 >= 4"),
        ((4, 4, 4), 16, "auto", ValueError, "too small for 16 ranks"),
        ((16, 2), 3, "auto", ValueError, r"shape\[1\] // 2 \+ 1 \(Fourier space\) = 2 >= 3"),
        ((8, 8, 8), 3, "pencil", ValueError, "no pencil grid"),
        ((8, 8, 8), 4, (3, 2), ValueError, "product is the number of ranks 4"),
        ((8, 8, 8), 4, "cubes", ValueError, "decomposition must be one of"),
        ((64,), 2, "auto", NotImplementedError, "1-D mesh is not distributed"),
    ],
    ids=["slab-too-small", "auto-too-small", "2d-fourier", "prime-pencil", "bad-grid", "bad-name", "1d"],
)
def test_process_grid_errors(shape, size, decomposition, error, match):
    with pytest.raises(error, match=match):
        process_grid(shape, size, decomposition)


def test_ghost_widths_cover_the_window():
    # a window of order p touches cells c - (p-1)//2 .. c - (p-1)//2 + p - 1 of its base cell c
    for p in (1, 2, 3, 4):
        lo, hi = ghost_widths(p)
        assert lo + hi + 1 == p and lo == (p - 1) // 2


# ------------------------------------------------------------------ serial coordinate
@pytest.mark.parametrize("scheme", ["ngp", "cic", "tsc", "pcs"])
def test_wrapped_coordinate_is_the_serial_one(scheme, rng):
    """The base cell and fraction routing computes are the serial kernel's, bit for bit:
    a 1-D paint built from them with np.add.at equals fieldconv.paint exactly."""
    n, box, origin = 12, 1.7, -0.3
    h = box / n
    x = np.concatenate([
        origin + rng.random(400) * box,
        origin + np.arange(n + 1) * h,  # cell edges, x = L
        origin + (np.arange(n) + 0.5) * h,  # cell centres
        [origin - 5 * box + 1e-9, origin + 9.5 * box, origin + box * (1 - 1e-16), origin - 1e-300],
    ])
    p = {"ngp": 1, "cic": 2, "tsc": 3, "pcs": 4}[scheme]
    shift = 0.5 if p % 2 == 0 else 0.0
    t = wrapped_coordinate(x, origin, h, n, shift)
    assert np.all((t >= 0) & (t < n))
    c = np.floor(t).astype(np.int64)
    f = t - c
    w = np.zeros((p, x.size))
    if p == 1:
        w[0] = 1.0
    elif p == 2:
        w[:] = 1.0 - f, f
    elif p == 3:
        d = f - 0.5
        w[:] = 0.5 * (0.5 - d) ** 2, 0.75 - d * d, 0.5 * (0.5 + d) ** 2
    else:  # the kernel's own expressions (fieldconv.assign's B-spline weights)
        g = 1.0 - f
        f2, g2 = f * f, g * g
        w[:] = g2 * g / 6.0, (4.0 - 6.0 * f2 + 3.0 * f2 * f) / 6.0, (4.0 - 6.0 * g2 + 3.0 * g2 * g) / 6.0, f2 * f / 6.0
    mine = np.zeros(n)
    ref = fc.paint(x[:, None], box_size=box, shape=n, origin=origin, scheme=scheme, backend="numpy")
    for i in range(x.size):
        for k in range(p):
            mine[(c[i] - (p - 1) // 2 + k) % n] += w[k, i]
    # the same contributions in the same order (particle by particle, tap by tap): identical sums
    np.testing.assert_array_equal(mine, ref)


# ------------------------------------------------------------------ launcher environment
@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, 1),
        ({"PMI_SIZE": "4"}, 4),  # MPICH/Hydra mpiexec, srun --mpi=pmi2
        ({"OMPI_COMM_WORLD_SIZE": "2"}, 2),  # Open MPI
        ({"SLURM_NTASKS": "8"}, 1),  # a batch script outside srun is one process
        ({"SLURM_NTASKS": "8", "SLURM_STEP_ID": "0"}, 8),  # inside an srun step
        ({"PMI_SIZE": "garbage"}, 1),
    ],
    ids=["none", "mpich", "openmpi", "sbatch", "srun", "garbage"],
)
def test_launched_ranks_reads_the_launcher(monkeypatch, env, expected):
    from fieldconv.distributed import launched_ranks

    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "SLURM_NTASKS", "SLURM_STEP_ID"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert launched_ranks() == expected
