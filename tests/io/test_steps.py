"""Tests of fieldconv.io._steps: each job against the operators it calls and against
analytic answers (a Zel'dovich plane wave for the periodic Poisson job, a point mass for
the isolated one), units and dtypes of what is written, and parameter checking."""

import math

import astropy.units as u
import numpy as np
import pytest
from astropy import constants

import fieldconv as fc
from fieldconv import kernels
from fieldconv.io import FileFormatError, read_mesh, read_spectra, run_convolve, run_paint, run_poisson, run_smooth
from fieldconv.io import STEPS, write_csv, write_snapshot
from fieldconv.spectra import SpectralAxis, Spectrum

UNITS = {"length": "kpc", "mass": "1e10 solMass", "velocity": "km/s"}


def _snap(tmp_path, n=2000, dtype=np.float32, box=10.0, **kw):
    pos = (np.random.default_rng(0).random((n, 3)) * box).astype(dtype)
    path = tmp_path / "snap.hdf5"
    write_snapshot(path, {1: {"positions": pos, "masses": 0.5}}, box_size=box, **kw)
    return path, pos


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_paint_job(tmp_path, dtype):
    path, pos = _snap(tmp_path, dtype=dtype, units=UNITS)
    info = run_paint(path, tmp_path / "rho.h5", shape=[8, 8, 4], scheme="tsc")
    m = read_mesh(info["output"], quantity=True)
    ref = fc.paint(pos, box_size=10.0, shape=(8, 8, 4), scheme="tsc", density=True) * dtype(0.5)
    assert m["density"].dtype == dtype
    np.testing.assert_array_equal(m["density"].value, ref)  # one chunk, one scaling: the same operations
    assert m["density"].unit.is_equivalent(u.Msun / u.kpc**3)
    assert m["density"].unit.to(u.Msun / u.kpc**3) == pytest.approx(1e10, rel=1e-9)
    assert m.grid.shape == (8, 8, 4) and m.grid.units == "kpc" and m.grid.periodic
    mass = read_mesh(run_paint(path, tmp_path / "m.h5", shape=[8, 8, 4], scheme="tsc", density=False)["output"],
                     quantity=True)["mass"]
    # density adds weight/volume products, mass adds weights: each of the <= 64 additions per cell
    # (8 particles per cell on average, 27 TSC taps) rounds differently
    np.testing.assert_allclose(mass.value, ref * (10.0**3 / 256), rtol=64 * float(np.finfo(dtype).eps))
    assert mass.unit.to(u.Msun) == pytest.approx(1e10, rel=1e-9)
    prov = m.provenance
    assert prov["step"] == "paint" and prov["parameters"]["scheme"] == "tsc" and prov["key"] == info["key"]
    assert prov["inputs"][0]["path"] == str(path) and len(prov["inputs"][0]["sha256"]) == 64


def _zeldovich(tmp_path, n, amp):
    """Particles on an n^3 lattice in the unit box, displaced by amp*sin(k q) along x; returns q_x too."""
    q = (np.arange(n) + 0.5) / n
    qx, qy, qz = np.meshgrid(q, q, q, indexing="ij")
    k = 2 * math.pi
    x = (qx + amp * np.sin(k * qx)) % 1.0
    pos = np.stack([x, qy, qz], axis=-1).reshape(-1, 3)
    path = tmp_path / "zel.hdf5"
    write_snapshot(path, {1: {"positions": pos, "masses": 1.0 / n**3}}, box_size=1.0, nfiles=2)
    return path, qx.reshape(-1)


def test_poisson_job_zeldovich_forces(tmp_path):
    n, amp = 32, 0.008  # density contrast amp*k = 0.05
    path, q = _zeldovich(tmp_path, n, amp)
    info = run_poisson(path, tmp_path / "pm.h5", shape=n, scheme="cic", particles=True, G=1.0)
    m = read_mesh(info["output"])
    acc = m["particles/PartType1/acceleration"]
    assert acc.shape == (n**3, 3) and acc.dtype == np.float64
    assert m["forces"].shape == (3, n, n, n) and m.units["forces"] == ""
    # planar Zel'dovich flow before shell crossing: g(q) = 4 pi G rho_mean psi(q) exactly (rho_mean = 1,
    # psi = amp sin(k q)).
    # The mesh sees the fundamental through CIC paint and CIC readout, damped by sinc^4(pi/n) along x;
    # what remains is second order in the density contrast amp*k = 0.05: (amp*k)^2 / 2 = 1.25e-3.
    # (Projecting on sin(k q) needs the accelerations in the snapshot's particle order.)
    sin_q, cos_q = np.sin(2 * math.pi * q), np.cos(2 * math.pi * q)
    measured = (acc[:, 0] * sin_q).sum() / (sin_q * sin_q).sum()
    sinc4 = (math.sin(math.pi / n) / (math.pi / n)) ** 4
    assert measured / (4 * math.pi * amp * sinc4) == pytest.approx(1.0, abs=1.25e-3)
    # the lattice is symmetric under q -> -q and the force odd: no cos(k q) part, unless the mesh were
    # shifted (half a cell would give sin(pi/n) = 10%); round-off only
    assert abs((acc[:, 0] * cos_q).sum() / (cos_q * cos_q).sum()) <= 1e-9 * measured
    assert np.abs(acc[:, 1:]).max() <= 1e-10 * measured  # planar symmetry: round-off only
    # the mesh potential is the solver's answer on the painted density
    phi = fc.solve_poisson(m["density"], 1.0 / n, G=1.0)
    np.testing.assert_allclose(m["potential"], phi, rtol=0, atol=1e-12 * np.abs(phi).max())


def test_poisson_job_units_and_G(tmp_path):
    path, _ = _snap(tmp_path, units=UNITS)
    m = read_mesh(run_poisson(path, tmp_path / "pm.h5", shape=8)["output"], quantity=True)
    L, M, V = u.kpc, 1e10 * u.Msun, u.km / u.s
    G_code = constants.G.to_value(L**3 / (M * (L / V) ** 2))  # 43009.17... for kpc, 1e10 Msun, km/s
    assert m.attrs["potential"]["G"] == pytest.approx(G_code, rel=1e-9)
    assert m["potential"].unit == u.km**2 / u.s**2
    assert m["forces"].unit.to(u.km**2 / u.s**2 / u.kpc) == pytest.approx(1.0, rel=1e-6)
    assert m["potential"].dtype == np.float32
    # without units: G = 1, datasets in code units ("")
    (tmp_path / "plain").mkdir()
    path2, _ = _snap(tmp_path / "plain", box=10.0)
    m2 = read_mesh(run_poisson(path2, tmp_path / "pm2.h5", shape=8)["output"])
    assert m2.units["potential"] == "" and m2.attrs["potential"]["G"] == 1.0


def test_poisson_setup_is_what_the_job_writes(tmp_path):
    # the distributed job (fieldconv.distributed.run_step) writes from the same setup: grid, G, units, attrs
    from fieldconv.io import STEPS, poisson_setup

    path, _ = _snap(tmp_path, units=UNITS)
    p = STEPS["poisson"].normalize({"shape": 8, "scheme": "tsc"})
    setup = poisson_setup(path, p)
    m = read_mesh(run_poisson(path, tmp_path / "pm.h5", shape=8, scheme="tsc")["output"])
    assert m.grid == setup.grid and m.units == setup.units
    assert m.attrs["potential"]["G"] == setup.G
    assert setup.attrs(p, "continuous", "spectral")["density"] == {"scheme": "tsc", "particles": 2000}
    with pytest.raises(ValueError, match="'drop' applies to bc = 'isolated' only"):
        poisson_setup(path, STEPS["poisson"].normalize({"shape": 8, "outside": "drop"}))


def test_poisson_job_isolated_point_mass(tmp_path):
    # 50 particles of total mass 1 within a tenth of a cell of the centre of an isolated box
    rng = np.random.default_rng(3)
    pos = 0.01 * (rng.random((50, 3)) - 0.5)
    write_snapshot(tmp_path / "p.hdf5", {1: {"positions": pos, "masses": 1 / 50}}, box_size=1.0)
    m = read_mesh(run_poisson(tmp_path / "p.hdf5", tmp_path / "iso.h5", shape=32, bc="isolated", G=1.0,
                              box_size=2.0, origin=-1.0, check="finite")["output"])
    assert not m.grid.periodic and m.grid.origin == (-1.0, -1.0, -1.0)
    c = m.grid.cell_centres(0)
    r = np.sqrt(c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2)
    far = r > 0.5
    # -G M / r outside the CIC cloud (one cell wide): the cloud's quadrupole is O((h/r)^2) <= 1.6%
    np.testing.assert_allclose(m["potential"][far], -1.0 / r[far], rtol=0.02)


def test_convolve_job(tmp_path):
    path, _ = _snap(tmp_path, units=UNITS)
    run_paint(path, tmp_path / "rho.h5", shape=16)
    out = run_convolve(tmp_path / "rho.h5", tmp_path / "s.h5", kernel="gaussian", kernel_args={"sigma": 1.5})
    m, src = read_mesh(out["output"]), read_mesh(tmp_path / "rho.h5")
    ref = fc.convolve(src["density"], kernels.gaussian(1.5, ndim=3), mode="wrap")
    assert m["density"].dtype == np.float32 and m.units == src.units and m.grid == src.grid
    np.testing.assert_array_equal(m["density"], ref)
    # sigma with units: the grid spacing converts it (10 kpc / 16 cells)
    out2 = run_convolve(tmp_path / "rho.h5", tmp_path / "s2.h5", kernel_args={"sigma": "0.9375 kpc"},
                        output_dataset="smoothed")
    np.testing.assert_array_equal(read_mesh(out2["output"])["smoothed"], ref)
    with pytest.raises(ValueError, match="convolve.kernel must be one of 'gaussian', 'box', 'unsharp_mask'"):
        run_convolve(tmp_path / "rho.h5", tmp_path / "x.h5", kernel="laplacian")
    with pytest.raises(ValueError, match="convolve.dataset 'potential' is not in the file"):
        run_convolve(tmp_path / "rho.h5", tmp_path / "x.h5", dataset="potential")


def _spectrum_file(tmp_path):
    x = np.linspace(4000.0, 400.0, 901)  # descending wavenumbers, 4 cm^-1 apart
    y = 1e-6 * x**2
    write_csv(tmp_path / "sp.csv", Spectrum(SpectralAxis(x, "cm-1"), y, "absorbance"))
    return x, y


def test_smooth_job(tmp_path):
    x, y = _spectrum_file(tmp_path)
    s = read_spectra(run_smooth(tmp_path / "sp.csv", tmp_path / "s.h5", window_length=11, polyorder=3)["output"])
    assert s["sp"].y.shape == (901,)  # one spectrum in the file: y of shape (n,), as read_csv gives
    np.testing.assert_allclose(s["sp"].y, fc.savgol_filter(y, 11, 3), rtol=0, atol=0)
    assert s["sp"].y_unit == "absorbance" and s["sp"].axis.values[0] == 4000.0
    # derivative along the axis as given: d(1e-6 x^2)/dx = 2e-6 x, exact for a cubic filter
    out = run_smooth(tmp_path / "sp.csv", tmp_path / "d.h5", window_length=11, polyorder=3, deriv=1)["output"]
    m = read_mesh(out, quantity=True)
    np.testing.assert_allclose(m["spectra/sp/y"].value, 2e-6 * x, rtol=1e-9)
    assert m["spectra/sp/y"].unit == u.cm


def test_smooth_job_bad_input_names_file(tmp_path):
    (tmp_path / "bad.csv").write_text("wavenumber [cm-1],a\n1,2\n3\n")
    with pytest.raises(FileFormatError, match=r"bad.csv.*line 3 has 1 fields"):
        run_smooth(tmp_path / "bad.csv", tmp_path / "o.h5", window_length=5, polyorder=2)


@pytest.mark.parametrize(
    "step, params, exc, match",
    [
        ("paint", {}, ValueError, "step 'paint' needs parameter 'shape'"),
        ("paint", {"shape": 8, "shap": 9}, ValueError, "step 'paint' has no parameter 'shap'"),
        ("paint", {"shape": 8, "scheme": "cloud"}, ValueError, "paint.scheme must be one of"),
        ("paint", {"shape": 1}, ValueError, "paint.shape must be >= 2"),
        ("paint", {"shape": 8.5}, TypeError, "paint.shape must be an integer"),
        ("poisson", {"shape": 8, "particles": "yes"}, TypeError, "poisson.particles must be true or false"),
        ("poisson", {"shape": 8, "G": "6.7e-11 parsecs"}, ValueError, "poisson.G must be a number or a quantity"),
        ("smooth", {"window_length": 5}, ValueError, "needs parameter 'polyorder'"),
        ("convolve", {"kernel_args": [1]}, TypeError, "convolve.kernel_args must be a table"),
    ],
)
def test_parameters_are_checked(step, params, exc, match):
    with pytest.raises(exc, match=match):
        STEPS[step].normalize(params)


def test_output_must_not_be_the_input(tmp_path):
    path, _ = _snap(tmp_path)
    with pytest.raises(ValueError, match="must not be one of the inputs"):
        run_paint(path, path, shape=4)
