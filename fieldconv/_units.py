"""astropy units at the boundary: stripped on entry, re-attached on exit.

The one units helper of fieldconv.  Operators work on plain arrays in code
units; every public function that accepts Quantities

1. strips each dimensional argument with :func:`strip` (or
   :func:`strip_spacing` for grid spacings), naming the dimension the value
   must have (``dimension="length"``) or the unit it is converted to;
2. computes the result's unit with :func:`product` from the input units
   (an input given as a plain number contributes no unit);
3. re-attaches it with :func:`attach`.

A Quantity whose unit cannot be related to a plain reference (a width in
metres for a grid whose spacing is a plain number) raises ``ValueError``
(:func:`strip_like`): a plain number and a Quantity never mix silently.

astropy is imported only when a Quantity is actually seen, so plain-array
calls never import it.

Private leaf module: no fieldconv imports.
"""

import sys

__all__ = ["is_quantity", "strip", "strip_like", "strip_spacing", "product", "attach", "attach_all"]

#: Reference units of the dimensions operators ask for by name.
_DIMENSIONS = {
    "length": "m",
    "angle": "rad",
    "wavenumber": "1 / m",
    "mass": "kg",
}


def is_quantity(value):
    """True if `value` is an astropy Quantity (without importing astropy)."""
    units = sys.modules.get("astropy.units")
    return units is not None and isinstance(value, units.Quantity)


def _unit(unit):
    import astropy.units as u

    return u.Unit(_DIMENSIONS.get(unit, unit)) if isinstance(unit, str) else unit


def strip(value, name, unit=None, *, dimension=None):
    """Split `value` into ``(plain value, unit or None)``.

    Parameters
    ----------
    value : object
        A Quantity or anything else (returned unchanged with unit None).
    name : str
        Parameter name, for the error message.
    unit : str or astropy unit, optional
        Convert a Quantity to this unit (the returned unit is `unit`).
    dimension : str or astropy unit, optional
        The dimension the Quantity must have (``"length"``, ``"angle"``,
        ``"wavenumber"``, ``"mass"`` or any unit of that dimension); its own
        unit is kept.

    Raises
    ------
    ValueError
        A Quantity whose unit does not convert to `unit` or lacks `dimension`.
    """
    if not is_quantity(value):
        return value, None
    if unit is not None:
        target = _unit(unit)
        try:
            return value.to_value(target), target
        except Exception as exc:  # astropy.units.UnitConversionError
            raise ValueError(f"{name} must have units convertible to {target}; got {value.unit}") from exc
    if dimension is not None:
        ref = _unit(dimension)
        if not value.unit.is_equivalent(ref):
            what = dimension if isinstance(dimension, str) else f"units of {ref}"
            raise ValueError(f"{name} must be a {what} (units convertible to {ref}); got {value.unit}")
    return value.value, value.unit


def strip_like(value, name, unit, *, ref_name="spacing"):
    """Plain value of `value` in `unit`, the unit of the reference `ref_name`.

    With `unit` None (the reference is a plain number) a Quantity `value`
    raises ``ValueError``: its unit could not be related to the reference's.
    """
    if unit is not None:
        return strip(value, name, unit)[0]
    plain, vunit = strip(value, name)
    if vunit is not None:
        raise ValueError(f"{name} is a Quantity but {ref_name} is not: give {ref_name} with units too")
    return plain


def strip_spacing(spacing, name="spacing", *, dimension=None):
    """A spacing (scalar, sequence, Quantity or sequence of Quantities) as ``(plain, unit or None)``.

    A sequence of Quantities is converted to the unit of its first Quantity;
    the plain value is a float or a tuple of floats.
    """
    if is_quantity(spacing):
        value, unit = strip(spacing, name, dimension=dimension)
        if getattr(value, "ndim", 0) == 0:
            return float(value), unit
        return tuple(float(v) for v in value.ravel()), unit
    if isinstance(spacing, (list, tuple)) and any(is_quantity(v) for v in spacing):
        first = next(v for v in spacing if is_quantity(v))
        unit = strip(first, f"{name}", dimension=dimension)[1]
        return tuple(float(strip_like(v, f"{name}[{i}]", unit)) for i, v in enumerate(spacing)), unit
    return spacing, None


def product(*terms):
    """The unit ``prod u_i**p_i`` of `terms` (units, or ``(unit, power)`` pairs); None terms are skipped.

    Returns None when every unit is None (a plain result).
    """
    out = None
    for term in terms:
        unit, power = term if isinstance(term, tuple) else (term, 1)
        if unit is None or power == 0:
            continue
        piece = unit**power if power != 1 else unit
        out = piece if out is None else out * piece
    return out


def attach(value, unit):
    """Re-attach `unit` (None leaves `value` a plain array)."""
    if unit is None:
        return value
    import astropy.units as u

    if isinstance(value, (int, float, complex)):
        return u.Quantity(value, unit)
    return u.Quantity(value, unit, copy=False)


def attach_all(result, unit):
    """:func:`attach` to one array or to each array of a tuple."""
    if isinstance(result, tuple):
        return tuple(attach(r, unit) for r in result)
    return attach(result, unit)
