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


_READONLY_CHILD = r"""
import os, sys
site = sys.argv[1]
if os.getuid() == 0:  # root writes through file modes: refuse the package folder as a read-only mount would
    from numba.core import caching
    real = caching.InTreeCacheLocator.ensure_cache_path
    def refuse(self):
        if self.get_cache_path().startswith(site):
            raise PermissionError(13, "Read-only file system", self.get_cache_path())
        return real(self)
    caching.InTreeCacheLocator.ensure_cache_path = refuse
sys.path.insert(0, site)
import warnings
warnings.simplefilter("error")  # no "cannot cache" warning: the per-user folder is used
import rokernels
assert rokernels.triple(2.0) == 6.0
print("HITS", sum(rokernels.triple.stats.cache_hits.values()), "MISSES", sum(rokernels.triple.stats.cache_misses.values()))
"""


def test_read_only_install_caches_in_the_user_cache_dir(tmp_path):
    # A cluster module install: the package folder is read-only, so numba's in-tree
    # __pycache__ is refused and the kernels must be cached (and found again by the next
    # process) in the per-user cache folder, $XDG_CACHE_HOME/numba.
    import subprocess
    import sys

    site = tmp_path / "site"
    site.mkdir()
    (site / "rokernels.py").write_text(
        "from fieldconv._jit import jit\n\n\n@jit\ndef triple(x):\n    return 3.0 * x\n"
    )
    site.chmod(0o555)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "usercache")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        runs = [
            subprocess.run([sys.executable, "-c", _READONLY_CHILD, str(site)], env=env, capture_output=True,
                           text=True, timeout=300)
            for _ in range(2)
        ]
    finally:
        site.chmod(0o755)
    for r in runs:
        assert r.returncode == 0, r.stderr[-2000:]
    assert runs[0].stdout.split() == ["HITS", "0", "MISSES", "1"]  # compiled and saved
    assert runs[1].stdout.split() == ["HITS", "1", "MISSES", "0"]  # loaded from the user cache
    assert not (site / "__pycache__").exists()
    saved = [p.name for p in (tmp_path / "usercache" / "numba").rglob("rokernels.triple-*")]
    assert any(n.endswith(".nbi") for n in saved) and any(n.endswith(".nbc") for n in saved), saved
