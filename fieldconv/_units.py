"""astropy units at the boundary: stripped on entry, re-attached on exit.

Operators work on plain arrays in code units.  A public function that
accepts Quantities calls :func:`strip` on each dimensional argument and
:func:`attach` on its result; astropy is imported only when a Quantity is
actually seen, so plain-array calls never import it.
"""

import sys

__all__ = ["is_quantity", "strip", "strip_like", "attach"]


def is_quantity(value):
    """True if `value` is an astropy Quantity (without importing astropy)."""
    units = sys.modules.get("astropy.units")
    return units is not None and isinstance(value, units.Quantity)


def strip(value, name, unit=None):
    """Split `value` into (plain value, unit or None).

    If `unit` is given and `value` is a Quantity, the value is converted to
    `unit` first; an incompatible unit raises ``ValueError`` naming `name`.
    """
    if not is_quantity(value):
        return value, None
    if unit is None:
        return value.value, value.unit
    try:
        return value.to_value(unit), unit
    except Exception as exc:  # astropy.units.UnitConversionError
        raise ValueError(f"{name} must have units convertible to {unit}; got {value.unit}") from exc


def strip_like(value, name, unit, *, ref_name="spacing"):
    """Plain value of a length-like `value` in `unit`, the unit of `ref_name`.

    With `unit` None (the reference is a plain number) a Quantity `value`
    raises ``ValueError``: its unit could not be related to the reference's.
    """
    if unit is not None:
        return strip(value, name, unit)[0]
    plain, vunit = strip(value, name)
    if vunit is not None:
        raise ValueError(f"{name} is a Quantity but {ref_name} is not: give {ref_name} with units too")
    return plain


def attach(value, unit):
    """Re-attach `unit` (None leaves `value` a plain array)."""
    if unit is None:
        return value
    import astropy.units as u

    return u.Quantity(value, unit, copy=False)
