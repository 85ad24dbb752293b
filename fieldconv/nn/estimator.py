"""A scikit-learn-style estimator: :class:`SpectralCNNClassifier` for functional groups in IR spectra."""

import math
import time

import numpy as np

from ._checks import check_choice, check_int, check_real
from .._grid import as_grid
from ._init import as_generator

__all__ = ["SpectralCNNClassifier"]

_PARAMS = (
    "grid", "resolution", "head", "channels", "kernel_size", "region_width", "hidden", "dropout", "epochs",
    "batch_size", "learning_rate", "weight_decay", "validation_fraction", "patience", "class_weight", "threshold",
    "augment", "dtype", "backend", "random_state", "verbose",
)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


class SpectralCNNClassifier:
    """Multi-label classifier of spectra (which functional groups a molecule has), a 1D CNN inside.

    Parameters
    ----------
    grid : array_like, Quantity or SpectralAxis, optional
        Wavenumber axis of the spectra (cm^-1, uniform, ascending or
        descending).  None: the columns of ``X`` are taken as a 1 cm^-1 grid
        (kernel widths then count points).
    resolution : float or Quantity, optional
        Instrument resolution of the data, FWHM in cm^-1 (default 4).
    head : {"region", "global", "flatten"}, optional
        Classifier head (default "region": pooling over wavenumber regions,
        which keeps where bands sit; "global" is the position-blind
        negative control).  See :func:`~fieldconv.nn.spectral_cnn`.
    channels, kernel_size, region_width, hidden, dropout
        Architecture, as :func:`~fieldconv.nn.spectral_cnn` (defaults
        (16, 32, 64, 64), 7, 50 cm^-1, 128, 0.3).
    epochs : int, optional
        Training epochs (default 6), with a cosine learning-rate decay.
    batch_size : int, optional
        Default 64.
    learning_rate, weight_decay : float, optional
        AdamW settings (defaults 3e-3 and 1e-4).
    validation_fraction : float, optional
        Fraction of the training spectra held out for early stopping and the
        decision thresholds (default 0.1; 0: none).
    patience : int, optional
        Early stopping after this many epochs without a lower validation
        loss (default None: all epochs, the best one kept).
    class_weight : {None, "balanced"} or dict, optional
        "balanced": positive examples of each group weighted by
        ``n_negative / n_positive`` (clipped to [1, 20]) in the loss; a dict
        ``{label: weight}`` for a 1-D binary ``y``.
    threshold : "tune" or float, optional
        Decision threshold on the probabilities: per group, tuned for F1 on
        the validation spectra ("tune", the default) or one fixed value.
    augment : bool, optional
        Train on augmented batches (wavenumber shifts of +-2 cm^-1, baselines,
        transmittance noise, same-label mixing); default False.
    dtype : {"float32", "float64"}, optional
        Default "float32".
    backend : str or Backend, optional
        Where the network runs ("numpy", "pyfftw", "cupy", ...).
    random_state : None or int, optional
        Seed of the weights, the split, the shuffling and the augmentation.
    verbose : bool, optional
        Show a progress bar while fitting.

    Attributes
    ----------
    model_ : Sequential
        The trained network (outputs logits).
    grid_ : Grid
        The grid the model was fitted on.
    thresholds_ : ndarray (n_groups,)
    n_groups_, n_features_in_ : int
    history_ : History
    fit_time_ : float
        Seconds spent in :meth:`fit`.

    Examples
    --------
    >>> from fieldconv.datasets import synthetic_ir
    >>> from fieldconv.nn import SpectralCNNClassifier
    >>> data = synthetic_ir(64, random_state=0)
    >>> clf = SpectralCNNClassifier(grid=data.grid, epochs=1, random_state=0).fit(data.X, data.Y)
    >>> clf.predict(data.X[:2]).shape, clf.predict_proba(data.X[:2]).dtype
    ((2, 16), dtype('float64'))
    """

    def __init__(self, grid=None, *, resolution=4.0, head="region", channels=(16, 32, 64, 64), kernel_size=7,
                 region_width=50.0, hidden=128, dropout=0.3, epochs=6, batch_size=64, learning_rate=3e-3,
                 weight_decay=1e-4, validation_fraction=0.1, patience=None, class_weight=None, threshold="tune",
                 augment=False, dtype="float32", backend=None, random_state=None, verbose=False):
        self.grid = grid
        self.resolution = resolution
        self.head = head
        self.channels = channels
        self.kernel_size = kernel_size
        self.region_width = region_width
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.class_weight = class_weight
        self.threshold = threshold
        self.augment = augment
        self.dtype = dtype
        self.backend = backend
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ sklearn API
    def get_params(self, deep=True):
        """The constructor parameters, as a dict."""
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params):
        """Set constructor parameters; returns self."""
        for k, v in params.items():
            if k not in _PARAMS:
                raise ValueError(f"invalid parameter {k!r} for SpectralCNNClassifier; valid: {', '.join(_PARAMS)}")
            setattr(self, k, v)
        return self

    def __repr__(self):
        default = SpectralCNNClassifier()
        changed = []
        for k in _PARAMS:
            v = getattr(self, k)
            d = getattr(default, k)
            if v is d or (type(v) is type(d) and not isinstance(v, np.ndarray) and v == d):
                continue
            changed.append(f"{k}=<{len(v)} points>" if k == "grid" and v is not None and np.ndim(v) == 1
                           else f"{k}={v!r}")
        return f"SpectralCNNClassifier({', '.join(changed)})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True, multi_output=True, single_output=True),
            classifier_tags=ClassifierTags(multi_class=False, multi_label=True),
            input_tags=InputTags(two_d_array=True, allow_nan=False),
            non_deterministic=False,
        )

    # -------------------------------------------------------------- checks
    def _check_X(self, X, n_points=None, name="X"):
        from ..backend import get_backend

        if type(X).__module__.startswith("scipy.sparse") or hasattr(X, "tocsr"):
            raise TypeError(f"{name}: sparse input is not supported; spectra are dense arrays (use X.toarray())")
        if hasattr(X, "__array_namespace__") and not isinstance(X, np.ndarray):
            X = get_backend(like=X).to_numpy(X)  # spectra on a device: copied once, by request of fit/predict
        try:
            X = np.asarray(X)
            if X.dtype.kind == "O":
                X = X.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of spectra (n_samples, n_points) of real numbers: {exc}") from exc
        if X.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: {name} must be real spectra; got dtype {X.dtype}")
        if X.dtype.kind not in "fiub":
            raise ValueError(f"{name} must hold real numbers; got dtype {X.dtype}")
        if X.ndim == 3 and X.shape[1] == 1:
            X = X[:, 0, :]
        if X.ndim != 2:
            hint = " (Reshape your data with X.reshape(1, -1) for a single spectrum)" if X.ndim == 1 else ""
            raise ValueError(
                f"{name} must be 2-D (n_samples, n_points) or (n_samples, 1, n_points); got shape {X.shape}{hint}"
            )
        if X.shape[0] < 1:
            raise ValueError(f"{name} must hold at least one spectrum (n_samples=0); got shape {X.shape}")
        if n_points is not None and X.shape[1] != n_points:
            raise ValueError(
                f"X has {X.shape[1]} features, but SpectralCNNClassifier is expecting {n_points} features as input: "
                f"{name} has {X.shape[1]} points per spectrum but the model's grid has {n_points} "
                f"({self.grid_!r}); pass grid= (and resample=True) to predict on another grid"
            )
        if X.shape[1] < 2:
            raise ValueError(
                f"{X.shape[1]} feature(s) (shape={X.shape}) while a minimum of 2 is required: {name} must hold "
                "spectra of at least 2 points"
            )
        X = X.astype(np.dtype(self.dtype), copy=False)
        bad = ~np.isfinite(X)
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            raise ValueError(f"{name} must be finite; spectra {rows[:5].tolist()} hold NaN or infinite values "
                             f"({int(bad.sum())} values in all)")
        return X

    def _check_Y(self, Y, n_samples, *, fitting=False):
        """0/1 targets as uint8 (n, n_groups); 1-D binary labels become one column (``classes_`` keeps them)."""
        if Y is None:
            raise ValueError("SpectralCNNClassifier requires y to be passed, but the target y is None")
        Y = np.asarray(Y)
        if Y.ndim == 1 or (Y.ndim == 2 and Y.shape[1] == 1 and not fitting and getattr(self, "_binary", False)):
            Y = Y.ravel()
            if Y.shape[0] != n_samples:
                raise ValueError(f"y must have one label per spectrum ({n_samples}); got {Y.shape[0]}")
            if Y.dtype.kind == "f" and not np.all(np.isfinite(Y)):
                raise ValueError("Input y contains NaN or infinity; y must hold class labels")
            if Y.dtype.kind == "f" and np.any(Y != np.round(Y)):
                raise ValueError("Unknown label type: continuous; y must hold class labels (or 0/1 group labels)")
            labels = np.unique(Y)
            if fitting:
                if labels.size > 2:
                    raise ValueError(
                        "Only binary classification is supported for a 1-D y (the type of the target is "
                        f"multiclass: {labels.size} classes); give multi-label targets (n_samples, n_groups) of 0/1"
                    )
                self._binary = True
                self.classes_ = labels
            classes = self.classes_
            unknown = np.setdiff1d(labels, classes)
            if unknown.size:
                raise ValueError(f"y holds labels {unknown[:5].tolist()} not seen in fit (classes {classes.tolist()})")
            return (Y == classes[-1]).astype(np.uint8)[:, None]
        if Y.ndim != 2:
            raise ValueError(f"Y must be 2-D multi-label targets (n_samples, n_groups) of 0/1; got shape {Y.shape}")
        if Y.shape[0] != n_samples:
            raise ValueError(f"Y must have one row per spectrum ({n_samples}); got {Y.shape[0]}")
        if Y.dtype.kind not in "biuf":
            raise ValueError(f"Unknown label type: Y must hold 0/1 group labels; got dtype {Y.dtype}")
        ok = (Y == 0) | (Y == 1)
        if not np.all(ok):
            kind = "continuous-multioutput" if Y.dtype.kind == "f" and np.any(Y[~ok] != np.round(Y[~ok])) else "values"
            raise ValueError(f"Y must hold labels 0 and 1 only (Unknown label type: {kind}); got "
                             f"{np.unique(Y[~ok])[:5].tolist()}")
        if fitting:
            self._binary = False
        return Y.astype(np.uint8)

    def _check_params(self):
        check_choice("head", self.head, ("region", "global", "flatten"))
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_real("learning_rate", self.learning_rate, minimum=0.0, strict_min=True)
        check_real("weight_decay", self.weight_decay, minimum=0.0)
        check_real("validation_fraction", self.validation_fraction, minimum=0.0, maximum=1.0, strict_max=True)
        if not (self.class_weight is None or isinstance(self.class_weight, dict) or self.class_weight == "balanced"):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict; got {self.class_weight!r}")
        if not (isinstance(self.threshold, str) and self.threshold == "tune"):
            check_real("threshold", self.threshold, minimum=0.0, maximum=1.0, strict_min=True, strict_max=True)
        if np.dtype(self.dtype) not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64; got {self.dtype!r}")

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Train on spectra `X` (n_samples, n_points) and 0/1 group labels `y` (n_samples, n_groups).

        A 1-D `y` of two classes trains a binary classifier (one output).

        Raises
        ------
        ValueError
            NaN or infinite spectra, labels other than 0/1, a `Y` that is not
            2-D, spectra whose length differs from the grid, bad parameters.
        TypeError
            Non-numeric inputs or parameters of the wrong type.
        """
        from .architectures import spectral_cnn
        from .losses import BCEWithLogitsLoss
        from .metrics import tune_thresholds
        from .optim import AdamW
        from .schedules import CosineLR
        from .training import train

        t0 = time.perf_counter()
        self._check_params()
        X = self._check_X(X)
        Y = self._check_Y(y, X.shape[0], fitting=True)
        n, n_points = X.shape
        grid = as_grid(self.grid if self.grid is not None else np.arange(float(n_points)), resolution=self.resolution)
        if len(grid) != n_points:
            raise ValueError(f"X has {n_points} points per spectrum but grid has {len(grid)}")
        rng = as_generator(self.random_state)
        order = rng.permutation(n)
        n_val = int(round(self.validation_fraction * n)) if self.validation_fraction > 0 and n >= 10 else 0
        val, tr = order[:n_val], np.sort(order[n_val:])
        # one scalar standardisation of the absorbance (the first batch norm takes care of the rest)
        self.offset_ = float(X[tr].mean())
        self.scale_ = float(X[tr].std()) or 1.0
        Xs = ((X - self.offset_) / self.scale_).astype(np.dtype(self.dtype))[:, None, :]
        self.model_ = spectral_cnn(
            grid, Y.shape[1], resolution=grid.resolution, channels=self.channels, kernel_size=self.kernel_size,
            head=self.head, region_width=self.region_width, hidden=self.hidden, dropout=self.dropout,
            dtype=self.dtype, backend=self.backend, random_state=int(rng.integers(2**31)),
        )
        pos_weight = weight = None
        if isinstance(self.class_weight, dict):
            if not self._binary:
                raise ValueError("a class_weight dict needs a 1-D binary y; use 'balanced' for multi-label targets")
            w = [float(self.class_weight.get(c, 1.0)) for c in self.classes_]
            if len(w) == 2:
                pos_weight, weight = [w[1] / w[0]], [w[0]]  # l = w0 (1-y) l0 + w1 y l1
        elif self.class_weight == "balanced":
            p = Y[tr].mean(axis=0)
            pos_weight = np.clip((1 - p) / np.maximum(p, 1e-12), 1.0, 20.0)
        loss = BCEWithLogitsLoss(pos_weight=pos_weight, class_weight=weight)
        opt = AdamW(self.model_.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        augment = self._augmenter(grid) if self.augment else None
        self.history_ = train(
            self.model_, Xs[tr], Y[tr], loss=loss, optimizer=opt, epochs=self.epochs, batch_size=self.batch_size,
            validation_data=(Xs[val], Y[val]) if n_val else None, patience=self.patience,
            schedule=CosineLR(self.epochs, warmup=min(1.0, self.epochs / 10)), augment=augment,
            random_state=int(rng.integers(2**31)), progress=bool(self.verbose),
        )
        self.grid_ = grid
        self.n_groups_ = Y.shape[1]
        self.n_features_in_ = n_points
        if not self._binary:
            self.classes_ = np.arange(self.n_groups_)  # label columns, as scikit-learn's multi-label classifiers
        if isinstance(self.threshold, str) and n_val:
            self.thresholds_ = tune_thresholds(Y[val], _sigmoid(self._logits(Xs[val])))
        else:
            t = 0.5 if isinstance(self.threshold, str) else float(self.threshold)
            self.thresholds_ = np.full(self.n_groups_, t)
        self.fit_time_ = time.perf_counter() - t0
        return self

    def _augmenter(self, grid):
        from .augment import AddBaseline, Compose, MixSameLabels, TransmittanceNoise, WavenumberShift

        physical = Compose(MixSameLabels(p=0.3), WavenumberShift(grid, 2.0), AddBaseline(0.01),
                           TransmittanceNoise(0.002, p=0.5))
        off, scale = self.offset_, self.scale_

        def augment(Xb, Yb, rng):  # augment in absorbance, train on the standardised values
            Xa, Ya = physical(Xb * scale + off, Yb, rng)
            return (Xa - off) / scale, Ya

        return augment

    # -------------------------------------------------------------- predict
    def _fitted(self):
        if not hasattr(self, "model_"):
            try:
                from sklearn.exceptions import NotFittedError
            except ImportError:  # pragma: no cover - scikit-learn is optional
                NotFittedError = AttributeError
            raise NotFittedError("this SpectralCNNClassifier is not fitted yet: call fit(X, Y) first")

    def _prepare(self, X, grid, resample, source_resolution):
        self._fitted()
        if grid is None:
            return self._check_X(X, len(self.grid_))
        g = as_grid(grid, name="grid")
        X = self._check_X(X, len(g))
        if g.same_as(self.grid_):
            return X
        if not resample:
            raise ValueError(
                f"grid {g!r} differs from the model's grid {self.grid_!r}; pass resample=True to resample the "
                "spectra onto it with fieldconv.spectra.resample"
            )
        from ..spectra import resample as resample_spectra

        res = self.grid_.resolution
        Xr = resample_spectra(X.astype(np.float64), g.values, self.grid_.values, resolution=res,
                              source_resolution=source_resolution)
        if not np.all(np.isfinite(Xr)):
            raise ValueError(
                f"grid {g!r} does not cover the model's grid {self.grid_!r}: resampling leaves points without data"
            )
        return Xr.astype(np.dtype(self.dtype))

    def decision_function(self, X, *, grid=None, resample=False, source_resolution=None):
        """Logits (n_samples, n_groups), float64 ((n_samples,) for a 1-D binary ``y``)."""
        X = self._prepare(X, grid, resample, source_resolution)
        z = self._logits(self._standardised(X))
        return z[:, 0] if self._binary else z

    def _logits(self, Xs):
        from ..backend import get_backend
        from .training import predict

        z = predict(self.model_, Xs, batch_size=256)
        return np.asarray(get_backend(like=z).to_numpy(z), dtype=np.float64)

    def predict_proba(self, X, *, grid=None, resample=False, source_resolution=None):
        """Probability of each group, (n_samples, n_groups), float64.

        Parameters
        ----------
        X : array_like (n_samples, n_points)
            Spectra on the model's grid, or on `grid`.
        grid : array_like, Quantity or SpectralAxis, optional
            The spectra's own axis.  If it differs from the model's grid the
            call refuses unless `resample` is True.
        resample : bool, optional
            Bring spectra on another grid onto the model's with
            :func:`fieldconv.spectra.resample` (band areas conserved, degraded
            to the model's resolution when `source_resolution` is finer).
        source_resolution : float, optional
            Resolution (cm^-1) of the given spectra, for the resampling.

        Raises
        ------
        ValueError
            NaN spectra; a length or grid that differs from the model's (without
            `resample`); a grid that does not cover the model's.
        """
        p = _sigmoid(self.decision_function(X, grid=grid, resample=resample, source_resolution=source_resolution))
        return np.stack([1.0 - p, p], axis=1) if self._binary else p

    def predict(self, X, *, grid=None, resample=False, source_resolution=None):
        """0/1 group labels (n_samples, n_groups), int64: probabilities at or above the thresholds.

        A classifier fitted on a 1-D binary ``y`` returns 1-D labels from ``classes_``.
        """
        z = self.decision_function(X, grid=grid, resample=resample, source_resolution=source_resolution)
        if self._binary:
            if self.classes_.size == 1:  # fitted on one class: that class
                return np.full(z.shape[0], self.classes_[0])
            return self.classes_[(_sigmoid(z) >= self.thresholds_[0]).astype(np.int64)]
        return (_sigmoid(z) >= self.thresholds_).astype(np.int64)

    def score(self, X, y):
        """Micro-averaged F1 of :meth:`predict` against `Y` (accuracy for a 1-D binary ``y``)."""
        from .metrics import f1_score

        self._fitted()
        X = self._check_X(X, len(self.grid_))
        if self._binary:
            return float(np.mean(self.predict(X) == np.asarray(y).ravel()))
        return f1_score(self._check_Y(y, X.shape[0]), self.predict(X), "micro")

    # ---------------------------------------------------- explain and compress
    def _standardised(self, X):
        return ((X - self.offset_) / self.scale_).astype(np.dtype(self.dtype))[:, None, :]

    def explain(self, X, groups=None, *, method="auto"):
        """Grad-CAM maps: which wavenumbers drove each group's score (see :func:`~fieldconv.nn.grad_cam`).

        Parameters
        ----------
        X : array_like (n_samples, n_points)
            Spectra on the model's grid.
        groups : int or sequence of int, optional
            Group columns to explain (default all).
        method : {"auto", "grad-cam", "hires"}, optional
            See :func:`~fieldconv.nn.grad_cam` ("auto": point-wise gradients
            behind the region-pool head).

        Returns
        -------
        GradCAM
            ``maps`` (n_samples, n_groups, n_points) in [0, 1] on ``grid`` (cm^-1).
        """
        from .gradcam import grad_cam

        self._fitted()
        X = self._check_X(X, len(self.grid_))
        return grad_cam(self.model_, self._standardised(X), outputs=groups, grid=self.grid_, method=method)

    def fine_tune(self, X, y, *, epochs=2, learning_rate=None):
        """Continue training the fitted network on (X, y) (e.g. after :meth:`prune`); returns self.

        The network keeps its weights; a fresh AdamW with a cosine decay over
        `epochs` starts at `learning_rate` (default a tenth of the fit's).
        The input scaling and the decision thresholds are kept.
        """
        from .losses import BCEWithLogitsLoss
        from .optim import AdamW
        from .schedules import CosineLR
        from .training import train

        self._fitted()
        X = self._check_X(X, len(self.grid_))
        Y = self._check_Y(y, X.shape[0])
        lr = self.learning_rate / 10 if learning_rate is None else learning_rate
        opt = AdamW(self.model_.parameters(), lr=lr, weight_decay=self.weight_decay)
        rng = as_generator(self.random_state)
        self.history_ = train(self.model_, self._standardised(X), Y, loss=BCEWithLogitsLoss(), optimizer=opt,
                              epochs=check_int("epochs", epochs, minimum=1), batch_size=self.batch_size,
                              schedule=CosineLR(epochs), random_state=int(rng.integers(2**31)),
                              progress=bool(self.verbose))
        return self

    def prune(self, fraction, X=None, y=None):
        """A copy whose network lost the lowest-l1 `fraction` of its convolution filters.

        Parameters
        ----------
        fraction : float
            In [0, 1); see :func:`~fieldconv.nn.prune_filters`.
        X, y : array_like, optional
            Labelled spectra on which to report the micro-F1 before and after.

        Returns
        -------
        (SpectralCNNClassifier, dict)
            The pruned classifier (thresholds kept) and a report: ``params``,
            ``flops`` (before, after), ``channels`` and, with data,
            ``micro_f1`` (before, after).
        """
        import copy

        from .pruning import prune_filters

        self._fitted()
        model, rep = prune_filters(self.model_, fraction, length=len(self.grid_))
        new = copy.copy(self)
        new.model_ = model
        new.history_ = copy.copy(self.history_)
        report = {"params": (rep.params_before, rep.params_after), "flops": (rep.flops_before, rep.flops_after),
                  "channels": (rep.channels_before, rep.channels_after), "summary": str(rep)}
        if X is not None:
            report["micro_f1"] = (self.score(X, y), new.score(X, y))
        return new, report

    # ----------------------------------------------------------------- files
    def save(self, path):
        """Write the fitted classifier (network, grid, thresholds, settings) to HDF5, atomically."""
        from .saving import save_model

        self._fitted()
        params = {k: v for k, v in self.get_params().items() if k not in ("grid", "backend")}
        params["channels"] = list(params["channels"])
        params["random_state"] = params["random_state"] if isinstance(params["random_state"], (int, type(None))) else None
        meta = {
            "estimator": "SpectralCNNClassifier",
            "params": params,
            "thresholds": self.thresholds_.tolist(),
            "offset": self.offset_,
            "scale": self.scale_,
            "n_groups": self.n_groups_,
            "fit_time": self.fit_time_,
            "binary": self._binary,
            "classes": np.asarray(self.classes_).tolist() if self._binary else None,
        }
        save_model(self.model_, path, grid=self.grid_, metadata=meta)

    @classmethod
    def load(cls, path, *, backend=None):
        """Read a classifier written by :meth:`save`."""
        from .saving import load_model

        model, grid, meta = load_model(path, backend=backend)
        if meta.get("estimator") != "SpectralCNNClassifier":
            raise ValueError(f"{path!s} holds a model but not a SpectralCNNClassifier")
        params = dict(meta["params"])
        params["channels"] = tuple(params["channels"])
        clf = cls(grid=np.array(grid.values), backend=backend, **params)
        clf.model_ = model
        clf.grid_ = grid
        clf.thresholds_ = np.asarray(meta["thresholds"], dtype=np.float64)
        clf.offset_, clf.scale_ = float(meta["offset"]), float(meta["scale"])
        clf.n_groups_ = int(meta["n_groups"])
        clf.n_features_in_ = len(grid)
        clf._binary = bool(meta.get("binary", False))
        clf.classes_ = np.asarray(meta["classes"]) if clf._binary else np.arange(clf.n_groups_)
        clf.fit_time_ = float(meta.get("fit_time", math.nan))
        return clf
