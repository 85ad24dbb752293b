"""Data sets built into fieldconv: labelled synthetic infrared spectra.

Examples
--------
>>> from fieldconv.datasets import GROUP_NAMES, synthetic_ir
>>> len(GROUP_NAMES), GROUP_NAMES[:3]
(16, ('alcohol', 'carboxylic_acid', 'primary_amine'))
"""

from .ir_bands import GROUP_BANDS, GROUP_NAMES, SKELETON_BANDS, Band
from .synthetic_ir import IRDataset, default_grid, synthetic_ir

__all__ = ["synthetic_ir", "IRDataset", "default_grid", "GROUP_NAMES", "GROUP_BANDS", "SKELETON_BANDS", "Band"]
