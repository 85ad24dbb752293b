"""Deprecated alias of :mod:`fieldconv.validation` (kept so that ``fieldconv.demo`` imports keep working)."""

from ._deprecate import warn_deprecated
from .validation import run_demo

__all__ = ['run_demo']

warn_deprecated("fieldconv.demo is deprecated; import run_demo from fieldconv.validation", stacklevel=2)
