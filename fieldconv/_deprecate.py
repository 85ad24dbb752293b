"""Deprecation aliases for renamed public parameters.

``@renamed(old="new")`` keeps a call that uses the old keyword working and
emits a ``DeprecationWarning`` that names the new parameter.  Giving both
the old and the new name is a ``TypeError``.  The vocabulary the new names
follow is in ``docs/conventions.md``.

Private leaf module: no fieldconv imports.
"""

import functools
import warnings

__all__ = ["renamed", "warn_deprecated"]


def warn_deprecated(message, stacklevel=3):
    """Emit a ``DeprecationWarning`` pointing at the caller's caller (`stacklevel` as in ``warnings.warn``)."""
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def renamed(**mapping):
    """Decorator: accept each ``old=new`` keyword under its old name, with a DeprecationWarning.

    Examples
    --------
    >>> import warnings
    >>> @renamed(source="density")
    ... def solve(density):
    ...     return density
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     solve(source=3)
    3
    >>> print(w[0].message)
    solve(source=...) is deprecated; use density=... (the parameter was renamed)
    """

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in mapping.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{fn.__name__}() got both {old!r} (deprecated) and {new!r}; use {new!r}")
                    warn_deprecated(
                        f"{fn.__name__}({old}=...) is deprecated; use {new}=... (the parameter was renamed)"
                    )  # stacklevel 3: warn_deprecated -> wrapper -> the caller
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed_parameters__ = dict(mapping)
        return wrapper

    return decorate
