"""Open fuzz findings (/work/notes/fuzz_findings.md): the one switch per finding.

A finding's reproducer is a test marked ``xfail_open("F<n>")``: a strict xfail
while the finding is listed in :data:`OPEN`, so the suite stays green and the
test fails loudly (XPASS strict) the moment the owner's fix is merged.  Then
the lead deletes the entry here: the mark goes away and the generators that
steered around the finding (``open_finding("F<n>")``) include its inputs
again.
"""

import pytest

#: finding id -> one line (family: what)
OPEN = {
    "F4": "spectra: complex y loses its imaginary part (ComplexWarning only); str/datetime y taken as numbers",
    "F6": "assign: paint_chunks of a complex/str/datetime source says 'dtype must be real', naming the wrong parameter",
    "F7": "assign: non-periodic paint of a particle far outside along axis 1/2 segfaults or counts its mass twice",
    "F8": "assign: periodic wrap of |x/h| >= 2**53 loses the half-cell shift (CIC/TSC/PCS half a cell off)",
    "F9": "assign: readout/readout_gradient of a mesh with an empty axis raise ZeroDivisionError",
    "F10": "assign: compensate accepts real/int/object field_k (garbage out); a list raises AttributeError",
    "F11": "assign: a subnormal box_size (1e-320) makes every grid coordinate inf: silently cell 0 / 0.0",
    "F12": "assign: readout/readout_gradient(periodic='no') is taken as periodic",
    "F13": "assign: paint_chunks(weights=<scalar>) raises a bare TypeError/IndexError ('int' object is not subscriptable)",
    "F14": "assign: origin='no' / None gives numpy's 'could not convert string to float' / float() TypeError, no 'origin'",
    "F16": "poisson: solve_poisson(float32, spacing=1e20) is all NaN (float32 overflow)",
    "F17": "filters: smooth_laplacian: one NaN/inf spreads to every output without an error or nan_policy",
    "F18": "filters: smooth_laplacian of a (0, 10) field raises ZeroDivisionError",
    "F21": "smoothing: savgol_coeffs(6_000_001, 2) segfaults in lstsq; savgol_filter(ones(100001), 100001, 2) needs 22 GB",
    "F22": "smoothing: savgol_filter_nonuniform(deriv > polyorder) raises IndexError (the other filters give zeros)",
    "F23": "spectra: one NaN spreads to every output of convolve_instrument / resample (no nan_policy)",
    "F24": "spectra: correct_baseline with a NaN: scipy's 'array must not contain infs or NaNs', y not named",
    "F25": "spectra: convert_spectrum(density=True) to um/nm uses np.gradient of the axis: Jacobian 5-90 % off at the ends",
    "F26": "spectra: penetration_depth(nan, ...) returns nan (non-positive inputs raise, NaN slips through)",
    "F27": "spectra: correct_baseline(method='rubberband') of a straight line raises scipy's QhullError",
    "F28": "io: reader errors do not name the file (ValueError/OSError of read_csv, read_jcamp, read_hdf5)",
    "F29": "io: read_csv of a truncated file or one with a deleted/duplicated line returns fewer/more points silently",
    "F30": "io: read_jcamp: cut inside the last number reads it truncated; edited ##LASTX/FIRSTX/FACTORs/no ##END= accepted; bare Exception",
    "F31": "io: read_hdf5: flipped data bytes read back as different numbers (no fletcher32); KeyError/RuntimeError leak",
    "F32": "io: write_jcamp of y with NaN/inf writes a file the reader rejects with jcamp's bare Exception",
    "F33": "io: write_csv names: a newline makes the file unreadable; leading spaces are lost",
    "F34": "validation: run_validation(sizes=(8.5,)) runs N=8, sizes='8' is iterated; format_table/observed_orders raise KeyError",
    "F35": "backend: set_cache_limit/clear_plan_cache take 2.5 silently, 'x'/nan give int()'s words without the parameter",
    "F36": "backend: first FFTW_MEASURE call on a prime-sized grid takes minutes (120 s for (4099,), 39 s for (211, 223))",
    "F37": "smoothing: savgol_filter/suggest_window with a window Quantity in the wrong unit: astropy's words, no parameter",
    "F38": "backend: load_wisdom of a wisdom file with one damaged entry aborts the interpreter (FFTW assertion, SIGABRT)",
    "F39": "spectra: float32/float16 y comes back float64 (issue 12: spectra keep float32)",
}


def open_finding(fid):
    """True while finding `fid` is open (generators leave its inputs out of the general fuzz)."""
    return fid in OPEN


def xfail_open(fid):
    """Strict xfail while `fid` is open; no mark once it is closed."""
    return pytest.mark.xfail(fid in OPEN, strict=True, reason=f"fuzz_findings {fid}: {OPEN.get(fid, 'fixed')}")
