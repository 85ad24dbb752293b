"""scipy.ndimage's filter signatures on top of fieldconv (a test adapter, not a public API).

``convolve``, ``correlate``, ``convolve1d``, ``correlate1d`` and
``median_filter`` with scipy.ndimage's parameters and defaults, each one
call of the fieldconv function of the same name.  The adapter does only what
a signature needs: scipy's ``output`` (a dtype or an array) becomes
fieldconv's ``output=`` (dtype) and a copy into the caller's array, and
scipy's default output dtype (the input's, promoted to complex for a complex
kernel) is asked for explicitly.  Everything else (modes, origins, axes,
complex data, NaN/inf, dtypes, errors) is fieldconv's own behaviour.

As a pytest plugin (``-p ndimage_shim``, used by ``ndimage_parity.py``) it
swaps these functions into ``scipy.ndimage`` and ``scipy.ndimage._filters``
for the whole session and records, per test, whether a swapped function was
called ("the test reaches the shim") and how the test ended.
"""

import json
import os
import warnings

import numpy as np

import fieldconv as fc

__all__ = ["convolve", "correlate", "convolve1d", "correlate1d", "median_filter", "SHIMMED"]

#: Set by every shim function; the plugin resets it before each test.
_REACHED = [False]
#: scipy.ndimage's own functions, while the plugin has swapped them out: ``{(module name, name): function}``.
_ORIGINALS = {}


def _host_median_with_scipy_original(self, x, size=None, *, footprint=None, mode, cval, origin=0):
    """fieldconv's host median capability, calling scipy's own median_filter (not the swapped-in shim)."""
    original = _ORIGINALS.get(("scipy.ndimage", "median_filter"))
    return original(x, size=size, footprint=footprint, mode=mode, cval=cval, origin=origin)


def _default_dtype(x, complex_result):
    """scipy.ndimage's output dtype: the input's, promoted to complex when the result is complex."""
    dt = np.asarray(x).dtype
    if complex_result and dt.kind != "c":
        return np.promote_types(dt, np.complex64)
    return dt


#: Dtypes fieldconv returns for an input of the same dtype (its dtype table): no ``output=`` needed.
_NATURAL = {np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)}


def _call(fn, x, output, complex_result, **kwargs):
    _REACHED[0] = True
    if complex_result:  # scipy's `output` for a complex result: an array must be complex, a dtype is promoted
        if isinstance(output, np.ndarray) and output.dtype.kind != "c":
            raise RuntimeError("output must have complex dtype")
        if output is not None and not isinstance(output, np.ndarray) and np.dtype(output).kind != "c":
            warnings.warn("promoting specified output dtype to complex", UserWarning, stacklevel=3)
            output = np.promote_types(output, np.complex64)
    if isinstance(output, np.ndarray):
        res = fn(x, output=output.dtype, **kwargs)
        output[...] = res
        return output
    if output is None:
        odt = _default_dtype(x, complex_result)
        if odt in _NATURAL and np.asarray(x).dtype in (odt, _real(odt)):
            return fn(x, **kwargs)  # fieldconv's own dtype table gives scipy's dtype
        return fn(x, output=odt, **kwargs)
    return fn(x, output=np.dtype(output), **kwargs)


def _real(dt):
    return np.empty(0, dt).real.dtype


def _is_complex(a):
    return np.iscomplexobj(a)


def _axes_in_scipy_order(x, axes, origin, mode=None):
    """scipy.ndimage applies the axes of `weights`/`footprint`/`size` to the *sorted* `axes` (while
    `origin` and a sequence `mode` follow `axes` as given); fieldconv maps kernel axis k to
    ``axes[k]``.  Sorting `axes` and permuting `origin` and `mode` the same way gives scipy's result."""
    if axes is None or np.ndim(axes) == 0:
        return axes, origin, mode
    ndim = np.ndim(x)
    if not all(isinstance(a, (int, np.integer)) and -ndim <= a < ndim for a in axes):
        return axes, origin, mode  # fieldconv refuses these
    ax = [int(a) % ndim for a in axes]
    if len(set(ax)) != len(ax):
        return axes, origin, mode  # fieldconv refuses repeated axes
    order = sorted(range(len(ax)), key=lambda k: ax[k])

    def perm(v):
        if v is None or isinstance(v, str) or np.ndim(v) == 0 or len(v) != len(ax):
            return v
        return type(v)(v[k] for k in order) if isinstance(v, (list, tuple)) else [v[k] for k in order]

    return tuple(ax[k] for k in order), perm(origin), perm(mode)


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    axes, origin, _ = _axes_in_scipy_order(input, axes, origin)
    return _call(fc.correlate, input, output, _is_complex(input) or _is_complex(weights), kernel=weights, mode=mode,
                 cval=cval, origin=origin, axes=axes)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    axes, origin, _ = _axes_in_scipy_order(input, axes, origin)
    return _call(fc.convolve, input, output, _is_complex(input) or _is_complex(weights), kernel=weights, mode=mode,
                 cval=cval, origin=origin, axes=axes)


def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    return _call(fc.correlate1d, input, output, _is_complex(input) or _is_complex(weights), weights=weights,
                 axis=axis, mode=mode, cval=cval, origin=origin)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    return _call(fc.convolve1d, input, output, _is_complex(input) or _is_complex(weights), weights=weights,
                 axis=axis, mode=mode, cval=cval, origin=origin)


def median_filter(input, size=None, footprint=None, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    if size is not None and footprint is not None:  # scipy warns and ignores size; fieldconv refuses both
        warnings.warn("ignoring size because footprint is set", UserWarning, stacklevel=2)
        size = None
    axes, origin, mode = _axes_in_scipy_order(input, axes, origin, mode)
    kwargs = {"size": size, "mode": mode, "cval": cval, "origin": origin}
    if footprint is not None:
        kwargs["footprint"] = footprint
    if axes is not None:
        kwargs["axes"] = axes
    return _call(fc.median_filter, input, output, False, **kwargs)


SHIMMED = {"convolve": convolve, "correlate": correlate, "convolve1d": convolve1d, "correlate1d": correlate1d,
           "median_filter": median_filter}


# ---------------------------------------------------------------- pytest plugin
def pytest_configure(config):
    import scipy.ndimage
    import scipy.ndimage._filters
    from scipy._lib._array_api import xp_capabilities_table

    for name, fn in SHIMMED.items():
        # scipy's test decorators look the function up in its array-API capability table
        orig = getattr(scipy.ndimage, name)
        if orig in xp_capabilities_table:
            xp_capabilities_table[fn] = xp_capabilities_table[orig]
        modules = [scipy.ndimage]
        if os.environ.get("NDIMAGE_SHIM_SCOPE", "all") == "all":
            modules.append(scipy.ndimage._filters)  # scipy's own filters built on them (gaussian_filter1d, ...)
        for mod in modules:
            _ORIGINALS[(mod.__name__, name)] = getattr(mod, name)
            setattr(mod, name, fn)
    # fieldconv's host median is scipy.ndimage.median_filter: keep it on scipy's original
    from fieldconv.backend._numpy import NumpyBackend

    NumpyBackend.median_filter = _host_median_with_scipy_original
    config._ndimage_shim_records = {}


def pytest_runtest_setup(item):
    _REACHED[0] = False


def pytest_runtest_makereport(item, call):
    # called for setup, call and teardown: keep the first failure (or the call's outcome)
    rec = item.config._ndimage_shim_records.setdefault(item.nodeid, {"reached": False, "outcome": "passed"})
    rec["reached"] = rec["reached"] or _REACHED[0]
    if call.excinfo is None:
        return
    if call.excinfo.errisinstance(__import__("pytest").skip.Exception):
        rec["outcome"] = "skipped"
        return
    xfail = hasattr(item, "wasxfail") or item.get_closest_marker("xfail") is not None
    if rec["outcome"] == "passed":
        rec["outcome"] = "xfailed" if xfail else "failed"
        exc = call.excinfo.value
        rec["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
        rec["where"] = call.when


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("NDIMAGE_SHIM_RECORDS")
    if path:
        with open(path, "w") as fh:
            json.dump(session.config._ndimage_shim_records, fh, indent=0, sort_keys=True)
