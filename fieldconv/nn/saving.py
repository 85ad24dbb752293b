"""Models in HDF5: architecture, weights, buffers and the spectral grid, written atomically.

File layout (``format = "fieldconv.nn.model"``, ``format_version = 1``)::

    /                      attrs: format, format_version, fieldconv_version
    /architecture          attrs: spec (JSON: {"class", "config", "children"} per layer)
    /parameters/<name>     one dataset per parameter ("0.weight", ...)
    /buffers/<name>        batch-norm running statistics
    /grid                  dataset: wavenumbers (attrs units="cm-1");
                           attrs: start, step, n, resolution (NaN: unknown), units
    /metadata              attrs: JSON of the caller's metadata (estimator settings,
                           thresholds, group names)

The file is written through :func:`fieldconv._atomic.atomic_path`: the path
holds either the previous file or the complete new one.
"""

import json

import numpy as np

from .._grid import Grid, as_grid

__all__ = ["save_model", "load_model", "model_spec", "build_model", "mixer_constraint_config"]

FORMAT = "fieldconv.nn.model"
FORMAT_VERSION = 1


def _registry():
    from . import activations, containers, conv, coords, dense, dropout, normalization, pooling

    classes = {}
    for mod in (activations, containers, conv, coords, dense, dropout, normalization, pooling):
        for name in mod.__all__:
            classes[name] = getattr(mod, name)
    try:
        from . import ChannelMixer  # issue 14's pointwise layer, when present

        classes["ChannelMixer"] = ChannelMixer
    except ImportError:  # pragma: no cover - before the mixer lands
        pass
    return classes


def _plain(value):
    """JSON form of a constraint description: arrays as {"array": nested lists}, tuples as {"tuple": [...]}."""
    if isinstance(value, np.ndarray):
        return {"array": value.tolist()}
    if isinstance(value, tuple):
        return {"tuple": [_plain(v) for v in value]}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _unplain(value):
    if isinstance(value, dict):
        if set(value) == {"array"}:
            return np.asarray(value["array"], dtype=np.float64)
        if set(value) == {"tuple"}:
            return tuple(_unplain(v) for v in value["tuple"])
        return {k: _unplain(v) for k, v in value.items()}
    return value


def mixer_constraint_config(mixer):
    """The ``constraint=`` argument that rebuilds `mixer`'s constraint, in JSON form."""
    constraint = mixer.constraint  # already in the form constraint= accepts (None, a name or a dict)
    return constraint if constraint is None or isinstance(constraint, str) else _plain(constraint)


def _mixer_config(mixer):
    return {"in_channels": mixer.in_channels, "out_channels": mixer.out_channels,
            "constraint": mixer_constraint_config(mixer), "bias": mixer.has_bias,
            "channel_axis": mixer.channel_axis, "dtype": mixer.dtype.name}


def model_spec(layer):
    """The architecture of `layer` as a JSON-compatible dict (class, config, children).

    Examples
    --------
    >>> from fieldconv.nn import Dense, ReLU, Sequential, model_spec
    >>> model_spec(Sequential(Dense(2, 3), ReLU()))["children"][0]
    {'class': 'Dense', 'config': {'in_features': 2, 'out_features': 3, 'bias': True, 'dtype': 'float32'}, 'children': []}
    """
    name = type(layer).__name__
    if name not in _registry():
        raise TypeError(f"cannot save layer {name}: only fieldconv.nn layers have a stored architecture")
    config = _mixer_config(layer) if name == "ChannelMixer" else layer.config()
    spec = {"class": name, "config": config, "children": [model_spec(c) for c in _own_children(layer)]}
    grid = getattr(layer, "grid", None)
    if name == "Sequential" and isinstance(grid, Grid):
        spec["grid"] = grid.metadata()
    return spec


def _own_children(layer):
    """Children that the architecture stores (containers only; composite layers rebuild theirs)."""
    from .containers import Residual, Sequential
    from .conv import DepthwiseSeparableConv1D

    if isinstance(layer, DepthwiseSeparableConv1D):
        return []
    if isinstance(layer, (Sequential, Residual)):
        return layer.children()
    return []


def build_model(spec, *, backend=None):
    """Rebuild a model (fresh weights) from :func:`model_spec`'s dict.

    Raises
    ------
    ValueError
        An unknown layer class or a malformed spec.

    Examples
    --------
    >>> from fieldconv.nn import Dense, ReLU, Sequential, build_model, model_spec
    >>> build_model(model_spec(Sequential(Dense(2, 3), ReLU())))
    Sequential(
      Dense(2, 3),
      ReLU()
    )
    """
    classes = _registry()
    try:
        name, config, children = spec["class"], dict(spec["config"]), spec.get("children", [])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed layer spec: {spec!r}") from exc
    cls = classes.get(name)
    if cls is None:
        raise ValueError(f"unknown layer class {name!r} in the stored architecture")
    if "constraint" in config:
        config["constraint"] = _unplain(config["constraint"])
    if isinstance(config.get("grid"), dict):
        config["grid"] = Grid.from_metadata(config["grid"])
    if "ranges" in config and config["ranges"] is not None:
        config["ranges"] = [tuple(r) for r in config["ranges"]]
    kids = [build_model(c, backend=backend) for c in children]
    if name == "Sequential":
        layer = cls(*kids)
        if "grid" in spec:
            layer.grid = Grid.from_metadata(spec["grid"])
            layer.resolution = layer.grid.resolution
        return layer
    if name == "Residual":
        return cls(kids[0], kids[1] if config.get("shortcut") else None)
    import inspect

    params = inspect.signature(cls).parameters
    if name == "ChannelMixer":
        config["rng"] = None
    if "backend" in params:
        config["backend"] = backend
    if name in ("RegionPool",) and config.get("grid") is None:
        config.pop("grid", None)
    if name in ("RegionPool", "GlobalPool") and config.get("ranges") is None:
        config.pop("ranges", None)
    if name == "RegionPool" and config.get("n_bins") is None:
        config.pop("n_bins", None)
    return cls(**config)


def save_model(model, path, *, grid=None, metadata=None):
    """Write `model` (architecture, weights, buffers), its grid and `metadata` to an HDF5 file.

    Parameters
    ----------
    model : Layer
        Built from fieldconv.nn layers.
    path : str or os.PathLike
        Target file (replaced atomically).
    grid : array_like, Quantity or SpectralAxis, optional
        The input's wavenumber axis; default ``model.grid`` if set.
    metadata : dict, optional
        JSON-compatible extras stored with the model.

    Raises
    ------
    TypeError
        A layer that is not a fieldconv.nn layer; metadata that is not JSON.
    FileNotFoundError
        The target folder does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from fieldconv.nn import Dense, load_model, save_model
    >>> path = os.path.join(tempfile.mkdtemp(), "model.h5")
    >>> save_model(Dense(3, 2, random_state=0), path, grid=np.arange(400.0, 403.0))
    >>> model, grid, meta = load_model(path)
    >>> model, grid
    (Dense(3, 2), Grid(400 .. 402 cm-1, n=3, step=1))
    """
    import h5py

    from .. import __version__
    from .._atomic import atomic_path

    spec = json.dumps(model_spec(model))
    meta = json.dumps(metadata or {})
    g = as_grid(grid) if grid is not None else getattr(model, "grid", None)
    params = {k: np.asarray(_host(v)) for k, v in model.named_parameters().items()}
    buffers = {k: np.asarray(_host(v)) for k, v in model.named_buffers().items()}
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["fieldconv_version"] = __version__
            f.create_group("architecture").attrs["spec"] = spec
            pg = f.create_group("parameters")
            for k, v in params.items():
                pg.create_dataset(k, data=v)
            bg = f.create_group("buffers")
            for k, v in buffers.items():
                bg.create_dataset(k, data=v)
            if g is not None:
                gg = f.create_group("grid")
                for k, v in g.metadata().items():
                    gg.attrs[k] = v
                ds = gg.create_dataset("wavenumbers", data=np.asarray(g.values))
                ds.attrs["units"] = "cm-1"
            f.create_group("metadata").attrs["json"] = meta


def _host(a):
    from ..backend import get_backend

    return get_backend(like=a).to_numpy(a)


def load_model(path, *, backend=None):
    """Read a model written by :func:`save_model`.

    Parameters
    ----------
    path : str or os.PathLike
    backend : str or Backend, optional
        Where to put the weights (default: as for every layer).

    Returns
    -------
    (model, grid, metadata)
        The rebuilt model with its weights, its :class:`~fieldconv._grid.Grid`
        (None if none was saved) and the metadata dict.

    Raises
    ------
    ValueError
        Not a fieldconv model file, a newer format, or weights that do not
        fit the architecture.
    FileNotFoundError
        If `path` does not exist.

    Examples
    --------
    See :func:`save_model`.
    """
    import h5py

    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise ValueError(f"{path!s} is not a fieldconv.nn model file (format attribute {f.attrs.get('format')!r})")
        version = int(f.attrs.get("format_version", 0))
        if version > FORMAT_VERSION:
            raise ValueError(f"{path!s} has model format version {version}; this fieldconv reads up to {FORMAT_VERSION}")
        spec = json.loads(f["architecture"].attrs["spec"])
        params = {k: f["parameters"][k][()] for k in f["parameters"]}
        buffers = {k: f["buffers"][k][()] for k in f["buffers"]}
        grid = Grid.from_metadata(dict(f["grid"].attrs)) if "grid" in f else None
        meta = json.loads(f["metadata"].attrs["json"]) if "metadata" in f else {}
    model = build_model(spec, backend=backend)
    _assign(model.named_parameters(), params, "parameter")
    _assign(model.named_buffers(), buffers, "buffer")
    if grid is not None and getattr(model, "grid", None) is None and type(model).__name__ == "Sequential":
        model.grid = grid
    return model, grid, meta


def _assign(targets, stored, what):
    if set(targets) != set(stored):
        missing = sorted(set(targets) - set(stored))
        extra = sorted(set(stored) - set(targets))
        raise ValueError(f"stored {what}s do not fit the architecture: missing {missing}, unexpected {extra}")
    from ..backend import get_backend

    for k, a in targets.items():
        v = stored[k]
        if tuple(v.shape) != tuple(a.shape):
            raise ValueError(f"stored {what} {k!r} has shape {v.shape}; the architecture needs {tuple(a.shape)}")
        be = get_backend(like=a)
        a[...] = be.asarray(np.ascontiguousarray(v), copy=True)
