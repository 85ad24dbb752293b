"""Deprecated alias of :mod:`fieldconv.validation` (kept so that ``fieldconv.analytic`` imports keep working)."""

from ._deprecate import warn_deprecated
from .validation import PROBLEMS, Problem

__all__ = ['PROBLEMS', 'Problem']

warn_deprecated("fieldconv.analytic is deprecated; import PROBLEMS, Problem from fieldconv.validation", stacklevel=2)
