"""Caches a user can see and bound: least-recently-used, bounded in bytes.

Every cache fieldconv keeps across calls is a :class:`ByteCache` registered
here by name, so :func:`fieldconv.backend.cache_info` lists what each holds
and :func:`fieldconv.backend.clear_caches` frees it.  Objects that own
caches of their own (a :class:`~fieldconv.poisson.PoissonSolver` holds its
Green's functions) register themselves with :func:`register_owner` so that
they are listed and cleared too, without the registry keeping them alive.

Private leaf module: no fieldconv imports.  The public functions are
re-exported by :mod:`fieldconv.backend`, which first imports the modules
that own caches so that every cache is listed.
"""

import collections
import os
import threading
import weakref

__all__ = ["ByteCache", "cache_info", "clear_caches", "set_cache_limit", "register_owner", "default_limit"]

_registry = {}
_registry_lock = threading.Lock()
_owners = weakref.WeakSet()
#: Limits set before their cache exists (its module not imported yet), applied when it registers.
_pending = {}

#: Every named cache of the package, whether its module is imported yet or not.
CACHE_NAMES = ("fft_plans", "savgol_coefficients", "poisson_solvers")


def default_limit(fraction, ceiling):
    """``min(ceiling, fraction * physical memory)`` bytes (the ceiling where memory is unknown)."""
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return int(ceiling)
    return int(min(ceiling, fraction * mem))


class ByteCache:
    """Thread-safe LRU mapping bounded by the bytes of its values.

    Parameters
    ----------
    name : str
        Registry name (shown by :func:`cache_info`).
    max_bytes : int
        Bound on the sum of the entries' sizes.  The entry just stored is
        never evicted, so one value larger than the bound is still kept (it
        is the one in use); older entries go first.
    max_entries : int, optional
        Optional bound on the number of entries as well.
    description : str, optional
        What the cache holds, for :func:`cache_info`.
    """

    def __init__(self, name, max_bytes, *, max_entries=None, description=""):
        self.name = name
        self.description = description
        self._lock = threading.Lock()
        self._data = collections.OrderedDict()
        self._nbytes = 0
        self.max_bytes = int(max_bytes)
        self.max_entries = None if max_entries is None else int(max_entries)
        self.hits = self.misses = 0
        with _registry_lock:
            _registry[name] = self
            pending = _pending.pop(name, None)
        if pending is not None:
            self.set_limit(*pending)

    def get(self, key, *, count=True):
        """The value stored under `key` (now most recently used), or None.

        `count` False: a second look (after waiting for a lock) that does not
        count as a hit or a miss.
        """
        with self._lock:
            item = self._data.get(key)
            if item is None:
                self.misses += count
                return None
            self._data.move_to_end(key)
            self.hits += count
            return item[0]

    def put(self, key, value, nbytes):
        """Store `value` (of `nbytes` bytes) and evict the least recently used beyond the bounds.

        Returns the value now stored under `key` (an existing one wins a race).
        """
        with self._lock:
            old = self._data.get(key)
            if old is not None:
                self._data.move_to_end(key)
                return old[0]
            self._data[key] = (value, int(nbytes))
            self._nbytes += int(nbytes)
            self._evict()
            return value

    def discard(self, key):
        """Remove the entry under `key`, if any."""
        with self._lock:
            item = self._data.pop(key, None)
            if item is not None:
                self._nbytes -= item[1]

    def _evict(self):
        while len(self._data) > 1 and (
            self._nbytes > self.max_bytes or (self.max_entries is not None and len(self._data) > self.max_entries)
        ):
            _, (_, nb) = self._data.popitem(last=False)
            self._nbytes -= nb

    def set_limit(self, max_bytes=None, max_entries=None):
        """Change the bounds (evicting at once if needed)."""
        with self._lock:
            if max_bytes is not None:
                if int(max_bytes) < 0:
                    raise ValueError(f"max_bytes must be >= 0; got {max_bytes!r}")
                self.max_bytes = int(max_bytes)
            if max_entries is not None:
                if int(max_entries) < 1:
                    raise ValueError(f"max_entries must be >= 1; got {max_entries!r}")
                self.max_entries = int(max_entries)
            self._evict()

    def clear(self):
        """Drop every entry and reset the hit/miss counters."""
        with self._lock:
            self._data.clear()
            self._nbytes = 0
            self.hits = self.misses = 0

    def info(self):
        """``entries``, ``nbytes``, ``max_bytes``, ``max_entries``, ``hits``, ``misses``, ``description``."""
        with self._lock:
            return {
                "entries": len(self._data),
                "nbytes": self._nbytes,
                "max_bytes": self.max_bytes,
                "max_entries": self.max_entries,
                "hits": self.hits,
                "misses": self.misses,
                "description": self.description,
            }


def register_owner(obj):
    """Register an object with ``cache_nbytes()`` and ``clear_cache()`` methods (held weakly)."""
    _owners.add(obj)
    return obj


def cache_info():
    """What every fieldconv cache holds, by name.

    Returns
    -------
    dict of str -> dict
        For each cache: ``entries``, ``nbytes``, ``max_bytes``,
        ``max_entries``, ``hits``, ``misses`` and ``description``.  Objects
        that own caches (live Poisson solvers) are summed under ``"owned"``
        (``entries`` objects holding ``nbytes``; no bound: they go with
        their owner).
    """
    with _registry_lock:
        caches = dict(_registry)
    out = {}
    for name in sorted(set(caches) | set(CACHE_NAMES)):
        if name in caches:
            out[name] = caches[name].info()
        else:  # its module is not imported: nothing held yet
            limits = _pending.get(name, (None, None))
            out[name] = {"entries": 0, "nbytes": 0, "max_bytes": limits[0], "max_entries": limits[1], "hits": 0,
                         "misses": 0, "description": "(not created yet: its module is not imported)"}
    owners = list(_owners)
    out["owned"] = {
        "entries": len(owners),
        "nbytes": sum(int(o.cache_nbytes()) for o in owners),
        "max_bytes": None,
        "max_entries": None,
        "hits": None,
        "misses": None,
        "description": "caches held by live objects (Poisson solvers' Green's functions)",
    }
    return out


def clear_caches(name=None):
    """Free fieldconv's caches: all of them, or the one called `name`.

    Parameters
    ----------
    name : str, optional
        A key of :func:`cache_info` (``"owned"``: the caches of live
        objects, e.g. Poisson solvers, which rebuild them on next use).

    Raises
    ------
    ValueError
        An unknown `name`.
    """
    with _registry_lock:
        caches = dict(_registry)
    if name is not None and name != "owned" and name not in caches and name not in CACHE_NAMES:
        opts = ", ".join(repr(n) for n in sorted(set(caches) | set(CACHE_NAMES)) + ["owned"])
        raise ValueError(f"name must be one of {opts}; got {name!r}")
    for key, c in caches.items():
        if name is None or name == key:
            c.clear()
    if name in (None, "owned"):
        for o in list(_owners):
            o.clear_cache()


def set_cache_limit(name, max_bytes=None, *, max_entries=None):
    """Bound the cache `name` to `max_bytes` bytes (and optionally `max_entries` entries).
    """
    with _registry_lock:
        cache = _registry.get(name)
        if cache is None and name in CACHE_NAMES:
            _pending[name] = (max_bytes, max_entries)
            return
    if cache is None:
        opts = ", ".join(repr(n) for n in sorted(set(_registry) | set(CACHE_NAMES)))
        raise ValueError(f"name must be one of {opts}; got {name!r}")
    cache.set_limit(max_bytes, max_entries)
