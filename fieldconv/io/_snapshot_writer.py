"""Writing particle snapshots in the Gadget-2/3 and SWIFT HDF5 layouts.

The counterpart of :class:`fieldconv.io.Snapshot`, for initial conditions,
converted data, tests and examples: one or several particle types, masses
from the ``MassTable`` or per particle, optional velocities, unit metadata in
the layout's own place, multi-file snapshots, each file written atomically.
"""

import os

import numpy as np

from .. import _units
from ._snapshot import _SWIFT_DIMENSIONS

__all__ = ["write_snapshot"]


def _strip_units(species, box_size, units):
    """Quantities -> plain values in the snapshot's units; `units` completed from them.

    The length unit is ``units["length"]``, else the unit of `box_size`; the
    mass and velocity units likewise from ``units`` or the first Quantity
    given.  A Quantity position with a plain box (and no length unit) raises.
    """
    import astropy.units as u

    units = dict(units or {})
    box, unit = _units.strip(box_size, "box_size", units.get("length"), dimension="length")
    if unit is not None:
        units.setdefault("length", unit)
    length = units.get("length")
    out = {}
    for t, (pos, m, vel) in species.items():
        pos = _units.strip_like(pos, f"particles[{t}] positions", None if length is None else u.Unit(length),
                                ref_name="box_size")
        m, unit = _units.strip(m, f"particles[{t}] masses", units.get("mass"), dimension="mass")
        if unit is not None:
            units.setdefault("mass", unit)
        if vel is not None:
            vel, unit = _units.strip(vel, f"particles[{t}] velocities", units.get("velocity"), dimension=u.m / u.s)
            if unit is not None:
                units.setdefault("velocity", unit)
        out[t] = (pos, m, vel)
    return out, box, units


def _species_arrays(particles):
    """{ptype: (positions, masses, velocities)} from an array or a dict (Quantities kept)."""
    if not isinstance(particles, dict):
        particles = {1: particles}
    out = {}
    for t, v in particles.items():
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t <= 6:
            raise ValueError(f"particle types must be ints 0..6; got {t!r}")
        if isinstance(v, dict):
            unknown = sorted(set(v) - {"positions", "masses", "velocities"})
            if unknown:
                raise ValueError(f"particles[{t}] has unknown key {unknown[0]!r} (positions, masses, velocities)")
            pos, m, vel = v.get("positions"), v.get("masses"), v.get("velocities")
        else:
            pos, m, vel = v, None, None
        pos = pos if _units.is_quantity(pos) else np.asarray(pos)
        if pos.ndim != 2 or pos.shape[1] != 3 or pos.dtype.kind != "f":
            raise ValueError(f"particles[{t}] positions must be a float array of shape (N, 3); got {pos.dtype} {pos.shape}")
        if m is None:
            m = 1.0
        if np.ndim(m) == 1 and np.shape(m) != (pos.shape[0],):
            raise ValueError(f"particles[{t}] masses must be one number or shape ({pos.shape[0]},); got {np.shape(m)}")
        if vel is not None:
            vel = vel if _units.is_quantity(vel) else np.asarray(vel)
            if vel.shape != pos.shape:
                raise ValueError(f"particles[{t}] velocities must have shape {pos.shape}; got {vel.shape}")
        out[int(t)] = (pos, m, vel)
    return out


def write_snapshot(path, particles, *, box_size, nfiles=1, layout="gadget", units=None, checksum=None,
                   time=0.0, redshift=0.0):
    """Write particles as a Gadget-2/3 or SWIFT HDF5 snapshot, each file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file (``nfiles=1``) or the base ``dir/snap_000`` of the pieces
        ``snap_000.0.hdf5 ... snap_000.{nfiles-1}.hdf5``.
    particles : array (N, 3) or dict
        Positions of type-1 particles (unit mass), or ``{ptype: positions}``
        or ``{ptype: {"positions": ..., "masses": ..., "velocities": ...}}``
        with masses one number (written to ``MassTable``) or one per particle
        (a ``Masses`` dataset).  Arrays are written with their dtype.
        Quantities are converted to the snapshot's units (below).
    box_size : float or length Quantity
        The periodic box (``BoxSize``); one per axis for SWIFT.  A Quantity
        sets the length unit when `units` has none.
    nfiles : int, optional
        Pieces; particles are split evenly, in order.
    layout : {"gadget", "swift"}, optional
        Gadget-2/3 (units in ``/Parameters``, contiguous datasets) or SWIFT
        (``Code = "SWIFT"``, ``/Units``, per-dataset unit exponents, 64-bit
        ``NumPart_ThisFile``).
    units : dict, optional
        ``{"length": ..., "mass": ..., "velocity": ...}`` astropy units or
        strings, written as the layout's unit metadata.  A unit missing here
        is taken from the Quantities given (box, masses, velocities), if any.
    checksum : bool, optional
        Chunked datasets with fletcher32 (default: True for SWIFT, which
        always writes them, False for Gadget).
    time, redshift : float, optional
        Header ``Time`` and ``Redshift``.

    Returns
    -------
    list of str
        The files written.

    Raises
    ------
    ValueError
        Particle types outside 0..6, arrays of the wrong shape, a box that is
        not positive and finite, unknown unit keys, a Quantity of the wrong
        dimension, Quantity positions with a plain box and no length unit.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> base = os.path.join(tempfile.mkdtemp(), "snap_000")
    >>> pos = np.random.default_rng(0).random((1000, 3)).astype(np.float32)
    >>> files = write_snapshot(base, pos, box_size=1.0, nfiles=2, units={"length": "Mpc"})
    >>> [os.path.basename(f) for f in files]
    ['snap_000.0.hdf5', 'snap_000.1.hdf5']
    >>> from fieldconv.io import Snapshot
    >>> s = Snapshot(base)
    >>> s.count(), str(s.units["length"]), s.dtype
    (1000, 'Mpc', dtype('float32'))
    """
    import astropy.units as u
    import h5py

    from .. import _atomic
    from .._validate import check_choice, check_int

    check_choice("layout", layout, ("gadget", "swift"))
    nfiles = check_int("nfiles", nfiles, minimum=1)
    species, box_size, units = _strip_units(_species_arrays(particles), box_size, units)
    ntypes = 7 if layout == "swift" else 6
    checksum = (layout == "swift") if checksum is None else bool(checksum)
    box = np.asarray(box_size, dtype=np.float64).ravel()
    if box.size not in (1, 3) or not np.all(np.isfinite(box) & (box > 0)):
        raise ValueError(f"box_size must be positive and finite (one or three values); got {box_size!r}")
    if layout == "swift" and box.size == 1:
        box = np.repeat(box, 3)
    cgs = {}
    for key, value in (units or {}).items():
        target = {"length": u.cm, "mass": u.g, "velocity": u.cm / u.s}.get(key)
        if target is None:
            raise ValueError(f"units keys must be 'length', 'mass' or 'velocity'; got {key!r}")
        cgs[key] = u.Unit(value).to(target)
    path = os.fspath(path)
    names = [path] if nfiles == 1 else [f"{path}.{i}.hdf5" for i in range(nfiles)]
    totals = np.zeros(ntypes, np.uint64)
    mass_table = np.zeros(ntypes)
    for t, (pos, m, _) in species.items():
        totals[t] = pos.shape[0]
        if np.ndim(m) == 0:
            mass_table[t] = float(m)
    bounds = {t: np.linspace(0, totals[t], nfiles + 1).astype(np.int64) for t in species}
    for i, name in enumerate(names):
        this = np.zeros(ntypes, np.int64 if layout == "swift" else np.int32)
        for t in species:
            this[t] = bounds[t][i + 1] - bounds[t][i]
        with _atomic.atomic_path(name) as tmp, h5py.File(tmp, "w") as f:
            h = f.create_group("Header")
            h.attrs["BoxSize"] = box if box.size > 1 else box[0]
            h.attrs["MassTable"] = mass_table
            h.attrs["NumPart_ThisFile"] = this
            h.attrs["NumPart_Total"] = (totals & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            h.attrs["NumPart_Total_HighWord"] = (totals >> np.uint64(32)).astype(np.uint32)
            h.attrs["NumFilesPerSnapshot"] = np.int32(nfiles)
            h.attrs["Time"], h.attrs["Redshift"] = float(time), float(redshift)
            h.attrs["Flag_DoublePrecision"] = np.int32(any(p.dtype == np.float64 for p, _, _ in species.values()))
            if layout == "swift":
                h.attrs["Code"] = "SWIFT"
                h.attrs["Dimension"] = np.int32(3)
                g = f.create_group("Units")
                lcm = cgs.get("length", 1.0)
                vcgs = cgs.get("velocity", 1.0)
                g.attrs["Unit length in cgs (U_L)"] = np.array([lcm])
                g.attrs["Unit mass in cgs (U_M)"] = np.array([cgs.get("mass", 1.0)])
                g.attrs["Unit time in cgs (U_t)"] = np.array([lcm / vcgs])
                g.attrs["Unit current in cgs (U_I)"] = np.array([1.0])
                g.attrs["Unit temperature in cgs (U_T)"] = np.array([1.0])
            elif cgs:
                g = f.create_group("Parameters")
                for key, attr in (("length", "UnitLength_in_cm"), ("mass", "UnitMass_in_g"),
                                  ("velocity", "UnitVelocity_in_cm_per_s")):
                    if key in cgs:
                        g.attrs[attr] = cgs[key]
            for t, (pos, m, vel) in species.items():
                a, b = bounds[t][i], bounds[t][i + 1]
                grp = f.create_group(f"PartType{t}")
                fields = [("Coordinates", pos[a:b])]
                if np.ndim(m) == 1:
                    fields.append(("Masses", np.asarray(m)[a:b]))
                if vel is not None:
                    fields.append(("Velocities", vel[a:b]))
                for field, data in fields:
                    kw = {}
                    if checksum and data.shape[0] > 0:
                        kw = dict(chunks=(min(data.shape[0], 1 << 16), *data.shape[1:]), fletcher32=True)
                    ds = grp.create_dataset(field, data=data, **kw)
                    if layout == "swift":
                        for k, e in zip(("U_L exponent", "U_M exponent", "U_t exponent", "U_I exponent",
                                         "U_T exponent"), (*_SWIFT_DIMENSIONS[field], 0, 0)):
                            ds.attrs[k] = np.array([float(e)])
    return names
