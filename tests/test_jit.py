"""The numba policy leaf (fieldconv._jit): options, lazy single specialisations, the cache fallback."""

import os
import warnings

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from fieldconv import _jit  # noqa: E402


def test_policy_options_reach_numba():
    @_jit.jit(parallel=True)
    def _k(x, out):
        for i in _jit.prange(x.shape[0]):
            out[i] = x[i] / 0.0  # error_model="numpy": inf, no ZeroDivisionError

    out = np.empty(2)
    _k(np.array([1.0, -1.0]), out)
    assert out.tolist() == [np.inf, -np.inf]
    opts = _k.targetoptions
    assert type(_k._cache).__name__ == "FunctionCache"  # cache=True
    assert opts["nogil"] is True and opts["parallel"] is True
    assert opts["fastmath"] is False and opts["error_model"] == "numpy"


def test_decorator_forms_and_laziness():
    @_jit.jit
    def _a(x):
        return x + 1

    @_jit.jit(inline=True)
    def _b(x):
        return 2 * x

    assert _a.signatures == [] and _b.signatures == []  # nothing compiled before a call
    assert _a(1.0) == 2.0 and _b(3) == 6
    assert len(_a.signatures) == 1 and _b.targetoptions["inline"] == "always"


def test_no_writable_cache_folder_compiles_without_cache(monkeypatch):
    # numba.njit(cache=True) raises "cannot cache function ... no locator available" at
    # decoration when neither the package folder, the user cache nor NUMBA_CACHE_DIR is
    # writable, which made the compiled modules fail to import.
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    monkeypatch.setattr(numba.config, "CACHE_LOCATOR_CLASSES", "", raising=False)
    monkeypatch.setattr(_jit, "_warned", type(_jit._warned)())
    with pytest.raises(RuntimeError, match="cannot cache function"):
        numba.njit(cache=True)(lambda x: x)
    with pytest.warns(RuntimeWarning, match="NUMBA_CACHE_DIR"):
        f = _jit.jit(_triple)
    assert f(2) == 6 and type(f._cache).__name__ == "NullCache"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process
        _jit.jit(_triple)


def _triple(x):
    return x * 3


def test_other_numba_errors_propagate(monkeypatch):
    def broken(**options):
        raise RuntimeError("something else")

    monkeypatch.setattr(numba, "njit", broken)
    with pytest.raises(RuntimeError, match="something else"):
        _jit.jit(lambda x: x)


def test_readonly_is_a_view():
    a = np.arange(4.0)
    v = _jit.readonly(a)
    assert not v.flags.writeable and a.flags.writeable and np.shares_memory(a, v)


def test_cache_location_follows_numba_order(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    folder, rule = _jit.cache_location(_jit.__file__)
    assert rule == "NUMBA_CACHE_DIR" and folder.startswith(str(tmp_path / "nb"))
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    folder, rule = _jit.cache_location(_jit.__file__)
    if os.access(os.path.dirname(_jit.__file__), os.W_OK):
        assert rule == "package __pycache__"
    else:  # pragma: no cover - read-only install
        assert rule == "per-user cache"


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _jit.nope
