"""The public face of the caches: what they hold, freeing them, bounding them (plus the plan-cache shortcuts)."""

from .. import _cache

__all__ = ["cache_info", "clear_caches", "set_cache_limit", "plan_cache_info", "clear_plan_cache"]


def _count(name, value, minimum):
    """`value` as an int >= `minimum` (None passes); TypeError/ValueError naming `name` otherwise."""
    if value is None:
        return None
    from .._validate import check_int

    try:
        return check_int(name, value, minimum=minimum)
    except TypeError:
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}") from None


def _register_caches():
    """The plan cache belongs to this layer: make sure it exists (no pyFFTW import needed)."""
    from . import _fftw_plans  # noqa: F401


def cache_info():
    """What every fieldconv cache holds, by name.

    Returns
    -------
    dict of str -> dict
        For each cache (``"fft_plans"``, ``"savgol_coefficients"``,
        ``"poisson_solvers"``): ``entries``, ``nbytes``, ``max_bytes``,
        ``max_entries``, ``hits``, ``misses`` and ``description``.  Objects
        that own caches (live :class:`~fieldconv.poisson.PoissonSolver`
        objects and their Green's functions) are summed under ``"owned"``.

    Caches whose module is not imported yet are listed empty; limits set
    for them with :func:`set_cache_limit` apply when they are created.

    Examples
    --------
    >>> from fieldconv.backend import cache_info
    >>> sorted(cache_info())
    ['fft_plans', 'owned', 'poisson_solvers', 'savgol_coefficients']
    """
    _register_caches()
    return _cache.cache_info()


def clear_caches(name=None):
    """Free fieldconv's caches: all of them, or the one called `name`.

    Parameters
    ----------
    name : str, optional
        A key of :func:`cache_info`.  ``"owned"`` (included when `name` is
        None) drops the Green's functions of live Poisson solvers, which
        rebuild them on their next solve.

    Raises
    ------
    ValueError
        An unknown `name`.

    Examples
    --------
    >>> from fieldconv.backend import cache_info, clear_caches
    >>> clear_caches()
    >>> cache_info()["fft_plans"]["entries"]
    0
    """
    _register_caches()
    _cache.clear_caches(name)


def set_cache_limit(name, max_bytes=None, *, max_entries=None):
    """Bound the cache `name` to `max_bytes` bytes (and optionally `max_entries` entries).

    The least recently used entries go first; the entry in use is kept even
    when it alone exceeds the bound.

    Raises
    ------
    ValueError
        An unknown `name`, a negative `max_bytes` or a `max_entries` below 1.
    TypeError
        A `max_bytes` or `max_entries` that is not an integer (2.5, "x", NaN).

    Examples
    --------
    >>> from fieldconv.backend import cache_info, set_cache_limit
    >>> old = cache_info()["fft_plans"]["max_bytes"]
    >>> set_cache_limit("fft_plans", 256 * 2**20)
    >>> cache_info()["fft_plans"]["max_bytes"] == 256 * 2**20
    True
    >>> set_cache_limit("fft_plans", old)
    """
    max_bytes = _count("max_bytes", max_bytes, 0)
    max_entries = _count("max_entries", max_entries, 1)
    _register_caches()
    _cache.set_cache_limit(name, max_bytes, max_entries=max_entries)



def plan_cache_info():
    """Counters of the FFTW plan cache: ``cache_info()["fft_plans"]`` plus ``size``.

    ``misses`` counts plannings; ``size`` (= ``entries``) the plans held.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.backend import get_backend, plan_cache_info
    >>> be = get_backend("pyfftw", threads=1)
    >>> _ = be.rfftn(np.ones(12))
    >>> before = plan_cache_info()["misses"]
    >>> _ = be.rfftn(np.ones(12))          # same shape: no new plan
    >>> plan_cache_info()["misses"] == before
    True
    """
    info = cache_info()["fft_plans"]
    return dict(info, size=info["entries"], maxsize=info["max_entries"])


def clear_plan_cache(maxsize=None):
    """Drop the cached FFTW plans (optionally re-bounding their number).

    Parameters
    ----------
    maxsize : int, optional
        New bound on the number of plans kept (least recently used out
        first); the byte bound is set with :func:`set_cache_limit`.

    Examples
    --------
    >>> from fieldconv.backend import clear_plan_cache, plan_cache_info
    >>> clear_plan_cache()
    >>> plan_cache_info()["size"]
    0
    """
    maxsize = _count("maxsize", maxsize, 1)
    clear_caches("fft_plans")
    if maxsize is not None:
        set_cache_limit("fft_plans", max_entries=maxsize)
