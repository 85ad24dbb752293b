"""Units round-trip through every public function.

Every public callable of every public namespace is listed here: either with a
call made of astropy Quantities and the unit its result must carry (the value
must equal the plain-number call in the same units), or with the reason it
takes no units.  A new public function fails :func:`test_every_public_callable_is_listed`
until it is added, so the rule of ``docs/conventions.md`` (strip at the
boundary with the right dimension, re-attach the right unit) stays checked.
"""

import importlib
import inspect

import astropy.units as u
from astropy import constants
import numpy as np
import pytest

import fieldconv
from fieldconv import assign, convolution, filters, io, kernels, pm, poisson, smoothing, spectra, stencil

RNG = np.random.default_rng(11)
F1 = RNG.standard_normal(32)
F2 = RNG.standard_normal((12, 10))
F3 = RNG.standard_normal((8, 8, 8))
POS = RNG.random((50, 2)) * 2.0
POS3 = RNG.random((50, 3)) * 2.0
G_SI = float(constants.G.si.value)
NU = np.linspace(1800.0, 1600.0, 201)  # cm^-1, descending
BAND = np.exp(-0.5 * ((NU - 1700.0) / 3.0) ** 2)
m, s, K, kg, cm = u.m, u.s, u.K, u.kg, u.cm

#: public name -> (call with Quantities, expected unit of the result (or of each result), call with plain numbers)
CASES = {
    # kernels
    "kernels.Kernel": (lambda: kernels.Kernel([1.0, 2.0, 1.0] * u.J, spacing=0.5 * m).unit, u.J, None),
    "kernels.as_kernel": (lambda: kernels.as_kernel([1.0, 2.0] * u.J).unit, u.J, None),
    "kernels.compose": (lambda: kernels.compose(kernels.gradient(1, 0, spacing=0.1 * m),
                                                kernels.gradient(1, 0, spacing=0.1 * m)).unit, m**-2, None),
    "kernels.box": (lambda: kernels.box(3, spacing=2 * m).spacing_unit, m, None),
    "kernels.gaussian": (lambda: kernels.gaussian(0.3 * m, spacing=0.1 * m),
                         None, lambda: kernels.gaussian(3.0)),
    "kernels.laplacian": (lambda: kernels.laplacian(1, spacing=0.1 * m), m**-2,
                          lambda: kernels.laplacian(1, spacing=0.1)),
    "kernels.gradient": (lambda: kernels.gradient(2, 1, spacing=0.1 * m), m**-1,
                         lambda: kernels.gradient(2, 1, spacing=0.1)),
    "kernels.directional_derivative": (lambda: kernels.directional_derivative(30 * u.deg, spacing=0.1 * m), m**-1,
                                       lambda: kernels.directional_derivative(np.pi / 6, spacing=0.1)),
    "kernels.unsharp_mask": (lambda: kernels.unsharp_mask(0.2 * m, 1.0, spacing=0.1 * m), None,
                             lambda: kernels.unsharp_mask(2.0, 1.0)),
    "kernels.savgol": (lambda: kernels.savgol(7, 2, deriv=1, delta=0.5 * s), s**-1,
                       lambda: kernels.savgol(7, 2, deriv=1, delta=0.5)),
    "kernels.Kernel.transfer_function": (lambda: kernels.laplacian(1, spacing=0.5 * m).transfer_function((8,)), m**-2,
                                         lambda: kernels.laplacian(1, spacing=0.5).transfer_function((8,))),
    "kernels.Kernel.to_fft_array": (lambda: kernels.laplacian(1, spacing=0.5 * m).to_fft_array((8,)), m**-2,
                                    lambda: kernels.laplacian(1, spacing=0.5).to_fft_array((8,))),
    # convolution
    "convolution.convolve": (lambda: convolution.convolve(F2 * K, kernels.laplacian(2, spacing=0.1 * m)), K / m**2,
                             lambda: convolution.convolve(F2, kernels.laplacian(2, spacing=0.1))),
    "convolution.correlate": (lambda: convolution.correlate(F2 * K, np.ones((3, 3))), K,
                              lambda: convolution.correlate(F2, np.ones((3, 3)))),
    "convolution.convolve1d": (lambda: convolution.convolve1d(F1 * K, kernels.gradient(1, 0, spacing=2 * s)), K / s,
                               lambda: convolution.convolve1d(F1, kernels.gradient(1, 0, spacing=2.0))),
    "convolution.correlate1d": (lambda: convolution.correlate1d(F1 * K, [1.0, 2.0, 1.0]), K,
                                lambda: convolution.correlate1d(F1, [1.0, 2.0, 1.0])),
    "convolution.median_filter": (lambda: convolution.median_filter(F2 * K, 3), K,
                                  lambda: convolution.median_filter(F2, 3)),
    # filters
    "filters.spectral_filter": (lambda: filters.spectral_filter(F2 * K, 0.3 * m, spacing=0.1 * m), K,
                                lambda: filters.spectral_filter(F2, 3.0)),
    "filters.filter_transfer_function": (
        lambda: filters.filter_transfer_function("gaussian", np.linspace(0, 3, 5) / m, 50 * cm), None,
        lambda: filters.filter_transfer_function("gaussian", np.linspace(0, 3, 5), 0.5)),
    "filters.median_filter": (lambda: filters.median_filter(F2 * K, 3, mode="constant", cval=2 * K), K,
                              lambda: filters.median_filter(F2, 3, mode="constant", cval=2.0)),
    "filters.smooth_laplacian": (lambda: filters.smooth_laplacian(F2 * K, 1e-4 * m**4, 0.1 * m), K,
                                 lambda: filters.smooth_laplacian(F2, 1.0, 1.0)),
    "poisson.smooth_laplacian": (lambda: poisson.smooth_laplacian(F2 * K, 1e-4 * m**4, 0.1 * m), K,
                                 lambda: poisson.smooth_laplacian(F2, 1.0, 1.0)),
    # stencil
    "stencil.laplacian": (lambda: stencil.laplacian(F3 * K, 0.5 * m), K / m**2,
                          lambda: stencil.laplacian(F3, 0.5)),
    "stencil.gradient": (lambda: stencil.gradient(F3 * K, 0.5 * m), K / m,
                         lambda: stencil.gradient(F3, 0.5)),
    "stencil.spectral_laplacian": (lambda: stencil.spectral_laplacian(F3 * K, 0.5 * m), K / m**2,
                                   lambda: stencil.spectral_laplacian(F3, 0.5)),
    "stencil.spectral_gradient": (lambda: stencil.spectral_gradient(F3 * K, 0.5 * m, axis=1), K / m,
                                  lambda: stencil.spectral_gradient(F3, 0.5, axis=1)),
    "stencil.laplacian_symbol": (lambda: stencil.laplacian_symbol((8, 6), 0.5 * m), m**-2,
                                 lambda: stencil.laplacian_symbol((8, 6), 0.5)),
    "stencil.gradient_symbol": (lambda: stencil.gradient_symbol(8, 0.5 * m), m**-1,
                                lambda: stencil.gradient_symbol(8, 0.5)),
    # poisson (G in code units, so values compare with the plain call)
    "poisson.solve_poisson": (lambda: poisson.solve_poisson(F3 * kg / m**3, 0.5 * m, G=2.0), kg / m,
                              lambda: poisson.solve_poisson(F3, 0.5, G=2.0)),
    "poisson.solve_forces": (lambda: poisson.solve_forces(F3 * kg / m**3, 0.5 * m, G=2.0)[1][0], kg / m**2,
                             lambda: poisson.solve_forces(F3, 0.5, G=2.0)[1][0]),
    "poisson.PoissonSolver": (lambda: poisson.PoissonSolver((8, 8, 8), 0.5 * m, G=2.0).solve(F3 * kg / m**3), kg / m,
                              lambda: poisson.PoissonSolver((8, 8, 8), 0.5, G=2.0).solve(F3)),
    # assign
    "assign.paint": (lambda: assign.paint(POS * m, box_size=2 * m, shape=(4, 4), weights=np.ones(50) * kg,
                                          density=True), kg / m**2,
                     lambda: assign.paint(POS, box_size=2.0, shape=(4, 4), weights=np.ones(50), density=True)),
    "assign.paint_chunks": (lambda: assign.paint_chunks(POS * m, box_size=2 * m, shape=(4, 4),
                                                        weights=np.ones(50) * kg, chunk_size=20), kg,
                            lambda: assign.paint_chunks(POS, box_size=2.0, shape=(4, 4), weights=np.ones(50),
                                                        chunk_size=20)),
    "assign.paint_interlaced": (lambda: assign.paint_interlaced(POS * m, box_size=2 * m, shape=(4, 4),
                                                                weights=np.ones(50) * kg), kg,
                                lambda: assign.paint_interlaced(POS, box_size=2.0, shape=(4, 4), weights=np.ones(50))),
    "assign.readout": (lambda: assign.readout(F2 * K, POS * m, box_size=(2.4, 2.0) * m), K,
                       lambda: assign.readout(F2, POS, box_size=(2.4, 2.0))),
    "assign.readout_gradient": (lambda: assign.readout_gradient(F2 * K, POS * m, box_size=(2.4, 2.0) * m), K / m,
                                lambda: assign.readout_gradient(F2, POS, box_size=(2.4, 2.0))),
    "assign.bucket": (lambda: assign.bucket(POS * m, box_size=2 * m, shape=(4, 4))[0], m,
                      lambda: assign.bucket(POS, box_size=2.0, shape=(4, 4))[0]),
    "assign.window": (lambda: assign.window(np.linspace(0, 3, 5) / m, "cic", 50 * cm), None,
                      lambda: assign.window(np.linspace(0, 3, 5), "cic", 0.5)),
    "pm.accelerations": (lambda: pm.accelerations(POS3 * m, masses=np.ones(50) * kg, box_size=2 * m, shape=(4, 4, 4)),
                         m / s**2,
                         lambda: pm.accelerations(POS3, masses=np.ones(50), box_size=2.0, shape=(4, 4, 4), G=G_SI)),
    "pm.ParticleMesh": (lambda: pm.ParticleMesh((4, 4, 4), 2 * m).accelerations(POS3 * m, masses=np.ones(50) * kg),
                        m / s**2,
                        lambda: pm.ParticleMesh((4, 4, 4), 2.0, G=G_SI).accelerations(POS3, masses=np.ones(50))),
    "assign.compensate": (lambda: assign.compensate(np.ones((4, 3), complex) * kg, "cic"), kg,
                          lambda: assign.compensate(np.ones((4, 3), complex), "cic")),
    # smoothing
    "smoothing.savgol_coeffs": (lambda: smoothing.savgol_coeffs(7, 2, deriv=1, delta=0.5 * s), s**-1,
                                lambda: smoothing.savgol_coeffs(7, 2, deriv=1, delta=0.5)),
    "smoothing.savgol_kernel": (lambda: smoothing.savgol_kernel(7, 2, deriv=2, delta=0.5 * s), s**-2,
                                lambda: smoothing.savgol_kernel(7, 2, deriv=2, delta=0.5)),
    "smoothing.savgol_filter": (lambda: smoothing.savgol_filter(F1 * K, 7, 2, deriv=1, delta=0.5 * s), K / s,
                                lambda: smoothing.savgol_filter(F1, 7, 2, deriv=1, delta=0.5)),
    "smoothing.savgol_filter_nan": (lambda: smoothing.savgol_filter_nan(F1 * K, 7, 2, deriv=1, delta=0.5 * s), K / s,
                                    lambda: smoothing.savgol_filter_nan(F1, 7, 2, deriv=1, delta=0.5)),
    "smoothing.savgol_filter_nonuniform": (
        lambda: smoothing.savgol_filter_nonuniform(np.cumsum(F1 ** 2 + 0.1) * s, F1 * K, 7, 2, deriv=1), K / s,
        lambda: smoothing.savgol_filter_nonuniform(np.cumsum(F1 ** 2 + 0.1), F1, 7, 2, deriv=1)),
    "smoothing.savgol_coeffs_2d": (lambda: smoothing.savgol_coeffs_2d(5, 2, deriv=(1, 0), delta=0.5 * m), m**-1,
                                   lambda: smoothing.savgol_coeffs_2d(5, 2, deriv=(1, 0), delta=0.5)),
    "smoothing.savgol_filter_2d": (lambda: smoothing.savgol_filter_2d(F2 * K, 5, 2, deriv=(0, 1), delta=0.5 * m),
                                   K / m, lambda: smoothing.savgol_filter_2d(F2, 5, 2, deriv=(0, 1), delta=0.5)),
    "smoothing.savgol_frequency_response": (
        lambda: smoothing.savgol_frequency_response(7, 2, delta=0.5 * s)[0], 1 / s,
        lambda: smoothing.savgol_frequency_response(7, 2, delta=0.5)[0]),
    "smoothing.savgol_noise_gain": (lambda: smoothing.savgol_noise_gain(7, 2, deriv=1, delta=0.5 * s), s**-2,
                                    lambda: smoothing.savgol_noise_gain(7, 2, deriv=1, delta=0.5)),
    # spectra (x in cm^-1 as SpectralAxis or Quantity; y in any unit)
    "spectra.SpectralAxis": (lambda: spectra.SpectralAxis(NU / cm).quantity, 1 / cm, None),
    "spectra.interp": (lambda: spectra.interp([1700.0] / cm, NU / cm, BAND * K), K,
                       lambda: spectra.interp([1700.0], NU, BAND)),
    "spectra.convert_spectrum": (lambda: spectra.convert_spectrum(spectra.SpectralAxis(NU, "cm-1"), BAND * K, "um")[1],
                                 K, lambda: spectra.convert_spectrum(spectra.SpectralAxis(NU, "cm-1"), BAND, "um")[1]),
    "spectra.line_shape": (lambda: spectra.line_shape([0.0, 2.0] / cm, 4 / cm), cm,
                           lambda: spectra.line_shape([0.0, 2.0], 4.0)),
    "spectra.convolve_instrument": (lambda: spectra.convolve_instrument(BAND * K, 1 / cm, 800 / m), K,
                                    lambda: spectra.convolve_instrument(BAND, 1.0, 8.0)),
    "spectra.resample": (lambda: spectra.resample(BAND * K, NU / cm, NU[::4] / cm, resolution=8 / cm), K,
                         lambda: spectra.resample(BAND, NU, NU[::4], resolution=8.0)),
    "spectra.correct_baseline": (lambda: spectra.correct_baseline(BAND * K, NU, "rubberband")[0], K,
                                 lambda: spectra.correct_baseline(BAND, NU, "rubberband")[0]),
    "spectra.despike": (lambda: spectra.despike(BAND * K), K, lambda: spectra.despike(BAND)),
    "spectra.penetration_depth": (lambda: spectra.penetration_depth(1000 / cm, n_crystal=2.4, n_sample=1.5), u.um,
                                  lambda: spectra.penetration_depth(1000.0, n_crystal=2.4, n_sample=1.5)),
    "spectra.atr_correction": (lambda: spectra.atr_correction(BAND * K, NU / cm), K,
                               lambda: spectra.atr_correction(BAND, NU)),
    "spectra.mask_atmospheric": (lambda: spectra.mask_atmospheric(BAND * K, NU / cm), K,
                                 lambda: spectra.mask_atmospheric(BAND, NU)),
    "spectra.transmittance_to_absorbance": (lambda: spectra.transmittance_to_absorbance([50.0] * u.percent), None,
                                            lambda: spectra.transmittance_to_absorbance([0.5])),
    "spectra.absorbance_to_transmittance": (lambda: spectra.absorbance_to_transmittance([1.0] * u.one), None,
                                            lambda: spectra.absorbance_to_transmittance([1.0])),
    "spectra.normalize": (lambda: spectra.normalize(BAND * K), None, lambda: spectra.normalize(BAND)),
    "spectra.atmospheric_mask": (lambda: spectra.atmospheric_mask(NU / cm), None,
                                 lambda: spectra.atmospheric_mask(NU)),
    # io: Quantities written as `units` attributes and read back (quantity=True)
    "io.write_mesh": (lambda: _mesh_round_trip(F3 * kg / m**3), kg / m**3, lambda: _mesh_round_trip(F3, "")),
    "io.read_mesh": (lambda: _mesh_round_trip((F3 * u.kpc / u.Myr).to(u.km / s)), u.km / s,
                     lambda: _mesh_round_trip((F3 * u.kpc / u.Myr).to_value(u.km / s), "km / s")),
    "io.Grid": (lambda: io.Grid.from_box(8, 2 * u.kpc, origin=-500 * u.pc).quantity("origin"), u.kpc,
                lambda: io.Grid.from_box(8, 2.0, origin=-0.5).origin),
    "io.write_snapshot": (lambda: _snapshot_box(POS3 * u.kpc, 2 * u.kpc), u.kpc, lambda: _snapshot_box(POS3, 2.0)),
}


def _mesh_round_trip(value, plain_units=None):
    """write_mesh then read_mesh (Quantities back when `value` is one)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = io.write_mesh(os.path.join(d, "m.h5"), {"f": value},
                             units=None if plain_units is None else {"f": plain_units})
        return io.read_mesh(path, quantity=plain_units is None)["f"]


def _snapshot_box(positions, box_size):
    """write_snapshot then Snapshot: the box as a Quantity in the snapshot's length unit (plain without one)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        snap = io.Snapshot(io.write_snapshot(os.path.join(d, "s.hdf5"), positions, box_size=box_size)[0])
        box = np.asarray(snap.box_size)
        return box if snap.units["length"] is None else box * snap.units["length"]

#: public callables that take no physical units, and why
NO_UNITS = {
    "kernels.sobel": "grid-unit edge stencil: no spacing (scale by 1/h for a derivative)",
    "kernels.prewitt": "grid-unit edge stencil: no spacing",
    "kernels.scharr": "grid-unit edge stencil: no spacing",
    "kernels.assignment_window": "offsets in cells: grid units by definition",
    "smoothing.window_length_from_width": "returns a count of samples (units in, a plain int out; tested in smoothing)",
    "smoothing.suggest_window": "returns a count of samples",
    "spectra.Spectrum": "y_unit is a spectroscopic label (absorbance, transmittance...): a Quantity y raises TypeError",
    "io.read_jcamp": "files: a Spectrum carries its axis unit and y label",
    "io.write_jcamp": "files",
    "io.read_csv": "files",
    "io.write_csv": "files",
    "io.read_hdf5": "files: HDF5 datasets carry a units attribute",
    "io.write_hdf5": "files: HDF5 datasets carry a units attribute",
    "io.read_spectra": "files: a Spectrum carries its axis unit and y label",
    "io.FileFormatError": "exception type",
    "io.Snapshot": "positions in the file's code units; their astropy units in Snapshot.units (box_size Quantity: "
                   "tested in tests/io/test_snapshot.py)",
    "io.ParticleChunk": "a chunk of io.Snapshot, code units",
    "io.snapshot_files": "file names",
    "io.write_plummer_snapshot": "built-in example data in code units (units= as in write_snapshot)",
    "io.plummer_acceleration": "a closed form in code units",
    "io.paint_snapshot": "the mesh in the snapshot's code units (io.Snapshot.units); the jobs write them as units",
    "io.MeshFile": "what read_mesh returns (units per field; Quantities with quantity=True)",
    "io.make_provenance": "a JSON record",
    "io.file_sha256": "checksums",
    "io.task_key": "checksums",
    "io.input_record": "checksums",
    "io.poisson_setup": "the units the poisson job writes, as unit strings (tests/io/test_steps.py checks them "
                        "against the written file)",
    "io.Step": "a job: units come from its input file and go to the output's units attributes",
    "io.run_step": "a job: units come from its input file and go to the output's units attributes",
    "io.run_paint": "a job: units from the snapshot (tests/io/test_steps.py checks the written units)",
    "io.run_poisson": "a job: units from the snapshot (tests/io/test_steps.py checks the written units)",
    "io.run_convolve": "a job: units from the mesh file",
    "io.run_smooth": "a job: units from the spectra file",
    "io.Manifest": "batch bookkeeping",
    "io.load_config": "batch config (quantity strings such as '100 Mpc' in step parameters)",
    "io.plan": "batch bookkeeping",
    "io.run_batch": "batch runs of the jobs",
    "io.BatchConfig": "batch bookkeeping",
    "io.StepConfig": "batch bookkeeping",
    "io.Task": "batch bookkeeping",
    "io.TaskResult": "batch bookkeeping",
    "io.BatchSummary": "batch bookkeeping",
    "io.BatchInterrupted": "exception type",
    "backend.*": "the backend switch, threads and caches",
    "validation.*": "closed forms in code units, studies and the demo",
    "errors.*": "exception types",
    "distributed.*": "collective MPI calls: their units round trip (paint, solve) runs under mpiexec in "
                     "tests/distributed/mpi_checks.py",
    "convolution.MODES": "constant",
    # fieldconv.nn: wavenumbers (widths, grids) accept Quantities and are converted to cm^-1 at the
    # boundary (strip_wavenumber; a non-wavenumber unit raises, see tests/nn); results are counts,
    # probabilities, scores or models
    "nn.kernel_size_for": "width and grid accept wavenumber Quantities; returns an odd point count",
    "nn.width_in_wavenumbers": "returns the width as a plain float in cm^-1 by definition (its name)",
    "nn.receptive_field": "points, and the width in cm^-1 (documented field of the result)",
    "nn.spectral_cnn": "builds a model; widths and grid accept wavenumber Quantities",
    "nn.build_model": "builds a model from a spec (plain cm^-1 metadata)",
    "nn.model_spec": "a model's architecture as plain data (grid metadata carries units='cm-1')",
    "nn.save_model": "files: the grid metadata carries units='cm-1'",
    "nn.load_model": "files: the grid metadata carries units='cm-1'",
    "nn.no_grad": "context manager",
    "nn.train": "training loop on dimensionless spectra",
    "nn.predict": "model outputs (logits or probabilities)",
    "nn.f1_per_group": "scores", "nn.f1_score": "scores", "nn.perfection_rate": "scores",
    "nn.tune_thresholds": "probability thresholds", "nn.multilabel_report": "scores",
    "nn.grad_cam": "a relative map on the model's grid", "nn.plot_grad_cam": "a figure",
    "nn.prune_filters": "a model and counts", "nn.count_parameters": "counts", "nn.count_flops": "counts",
}


def _public_callables():
    names = []
    for sub in fieldconv._SUBPACKAGES:
        mod = importlib.import_module(f"fieldconv.{sub}")
        for n in mod.__all__:
            if callable(getattr(mod, n)) and not isinstance(getattr(mod, n), type(np.float64)):
                names.append(f"{sub}.{n}")
    return names


def test_every_public_callable_is_listed():
    listed = set(CASES) | set(NO_UNITS)
    missing = [n for n in _public_callables() if n not in listed and f"{n.split('.')[0]}.*" not in listed]
    assert not missing, f"add these public functions to tests/test_units.py (CASES or NO_UNITS): {missing}"


def _value(x):
    if isinstance(x, tuple):
        return np.stack([_value(v) for v in x])
    return x.value if isinstance(x, u.Quantity) else x


def _unit(x):
    if isinstance(x, tuple):
        units = {_unit(v) for v in x}
        assert len(units) == 1, units
        return units.pop()
    if isinstance(x, kernels.Kernel):
        return x.unit
    if isinstance(x, u.UnitBase):
        return x
    return getattr(x, "unit", None)


@pytest.mark.parametrize("name", sorted(CASES))
def test_units_round_trip(name):
    call, expected, plain = CASES[name]
    got = call()
    unit = _unit(got)
    if expected is None:
        assert unit is None or unit.is_equivalent(u.one) and unit.to(u.one) == 1.0, f"{name}: got unit {unit}"
    else:
        assert unit is not None and unit.is_equivalent(expected) and unit.to(expected) == pytest.approx(1.0), \
            f"{name}: got unit {unit}, expected {expected}"
    if plain is not None:
        ref = plain()
        a = np.asarray(got.weights if isinstance(got, kernels.Kernel) else _value(got))
        b = np.asarray(ref.weights if isinstance(ref, kernels.Kernel) else ref)
        # the same computation on the same numbers (units only stripped and re-attached, or a
        # Quantity converted to the same code unit): equal to a few ulps of the result's scale
        np.testing.assert_allclose(a, b, rtol=0, atol=64 * np.finfo(float).eps * max(np.abs(b).max(), 1.0))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: poisson.solve_poisson(F3 * kg / m**3, 1 * s), "spacing must be a length"),
        (lambda: poisson.solve_poisson(F3 * K, 1 * m), "density must be a mass per length"),
        (lambda: spectra.convolve_instrument(BAND, 1 / cm, 8 * u.nm), "resolution must have units convertible to 1 / cm"),
        (lambda: spectra.resample(BAND, NU, NU[::4], resolution=8 / cm), "resolution is a Quantity but x is not"),
        (lambda: assign.paint(POS * u.s, box_size=1.0, shape=(4, 4)), "positions must be a length"),
        (lambda: stencil.laplacian(F3 * K, [0.5 * m, 2 * s, 0.5 * m]), r"spacing\[1\] must have units convertible to m"),
        (lambda: filters.spectral_filter(F2, 0.3 * m), "width is a Quantity but spacing is not"),
        (lambda: spectra.Spectrum(spectra.SpectralAxis(NU), BAND * K), "y must be a plain array"),
    ],
    ids=["poisson-spacing-time", "poisson-density-kelvin", "resolution-nm-vs-cm-1", "resolution-plain-axis",
         "positions-time-plain-box", "mixed-spacing", "width-plain-spacing", "spectrum-quantity-y"],
)
def test_wrong_dimensions_raise(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_convolve_instrument_converts_the_resolution():
    # 800 m^-1 is 8 cm^-1: the result equals the plain call with 8 (it was taken as 800 before)
    got = spectra.convolve_instrument(BAND, 1 / cm, 800 / m)
    np.testing.assert_allclose(got, spectra.convolve_instrument(BAND, 1.0, 8.0), rtol=0, atol=1e-14)
    assert not np.allclose(got, spectra.convolve_instrument(BAND, 1.0, 800.0))


def test_every_signature_still_accepts_plain_numbers():
    # the plain calls above ran: units are optional everywhere; spot-check the signatures name them
    for name in ("convolution.convolve", "poisson.solve_poisson", "assign.paint"):
        sub, fn = name.split(".")
        assert inspect.signature(getattr(importlib.import_module(f"fieldconv.{sub}"), fn)).parameters
