"""Without the mpi extra: fieldconv and everything serial work; the distributed mode says how to install it."""

import subprocess
import sys
import textwrap

import pytest

PROGRAM = textwrap.dedent(
    """
    import sys
    sys.modules["mpi4py"] = None          # as if not installed: importing it raises ImportError
    sys.modules["mpi4py_fft"] = None
    import numpy as np
    import fieldconv as fc
    from fieldconv import distributed as fd
    from fieldconv.errors import BackendUnavailableError

    pos = np.random.default_rng(0).random((100, 3))
    rho = fc.paint(pos, box_size=1.0, shape=(8, 8, 8), density=True)
    phi = fc.solve_poisson(rho, 1 / 8)
    assert abs(rho.sum() / 8**3 - 100) < 1e-9 and phi.shape == (8, 8, 8)
    assert fd.is_available() is False
    try:
        fd.DistributedMesh((8, 8, 8), 1.0)
    except BackendUnavailableError as exc:
        msg = str(exc)
        assert isinstance(exc, ImportError)
        assert "mpi4py" in msg and "libfftw3-dev" in msg and "pip install" in msg, msg
        print("OK", msg)
    else:
        raise SystemExit("no BackendUnavailableError")
    try:
        fd.run_poisson("snap.hdf5", "out.h5", shape=8)  # before touching any file
    except BackendUnavailableError:
        pass
    else:
        raise SystemExit("run_poisson: no BackendUnavailableError")
    assert fd.launched_ranks() >= 1
    """
)


def test_serial_works_and_distributed_mode_says_how_to_install():
    r = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK the distributed mode needs mpi4py")


@pytest.mark.parametrize("params, match", [
    ({"bc": "isolated"}, r"poisson.bc = 'isolated' is not available in the distributed mode \(several MPI ranks\)"),
    ({"shape": 1}, "poisson.shape must be"),
])
def test_distributed_job_refuses_serial_only_options_before_any_message(tmp_path, params, match):
    # what `mpiexec -n P fieldconv poisson --bc isolated` prints on every rank (exit 2): every rank has the
    # same parameters and raises the same error before it opens a file or calls MPI, so nobody waits
    from fieldconv import distributed as fd

    with pytest.raises(ValueError, match=match):
        fd.run_step("poisson", tmp_path / "missing.hdf5", tmp_path / "out.h5", {"shape": 8, **params})
    with pytest.raises(ValueError, match="step must be 'poisson'"):
        fd.run_step("paint", tmp_path / "missing.hdf5", tmp_path / "out.h5", {"shape": 8})
