"""The training loop: seeded mini-batches, schedules, early stopping, a progress bar.

Data stay where the caller keeps them (usually host memory); each
mini-batch is gathered, augmented on the host if asked, and moved to the
model's backend with one explicit copy.  Validation runs in inference mode
without keeping activations.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ._checks import check_finite, check_int
from ._init import as_generator
from ._layer import no_grad

__all__ = ["train", "predict", "History"]


@dataclass
class History:
    """What :func:`train` did, epoch by epoch.

    Attributes
    ----------
    train_loss, val_loss, lr, seconds : list of float
        Mean training loss, validation loss (NaN without validation data),
        learning rate at the end, and wall time of each epoch.
    best_epoch : int
        Epoch (0-based) of the lowest validation loss (the last epoch
        without validation data).
    stopped_early : bool
        True if early stopping ended the run before `epochs`.

    Examples
    --------
    >>> from fieldconv.nn import History
    >>> h = History(train_loss=[0.5, 0.3], val_loss=[0.6, 0.4], best_epoch=1)
    >>> h.epochs, h.best_epoch
    (2, 1)
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int = -1
    stopped_early: bool = False

    @property
    def epochs(self):
        return len(self.train_loss)


def _model_backend(model):
    for layer in model.walk():
        be = getattr(layer, "backend", None)
        if be is not None:
            return be, layer.dtype
    from ..backend import get_backend

    return get_backend(), np.dtype(np.float32)


def _batch(be, dtype, X, idx):
    """Rows `idx` of host or backend array `X` as a contiguous array of the model's backend."""
    if isinstance(X, np.ndarray):
        return be.asarray(np.ascontiguousarray(X[idx], dtype=dtype), copy=True)
    xp = be.xp
    return xp.take(X, be.asarray(idx, copy=True), axis=0)


def _snapshot(model):
    """Copies of every parameter and buffer (to restore the best epoch)."""
    out = {}
    for prefix, arrays in (("p:", model.named_parameters()), ("b:", model.named_buffers())):
        for name, a in arrays.items():
            out[prefix + name] = a * 1
    return out


def _restore(model, snap):
    for prefix, arrays in (("p:", model.named_parameters()), ("b:", model.named_buffers())):
        for name, a in arrays.items():
            a[...] = snap[prefix + name]  # in place: optimisers keep their references


def _first_leaf(model):
    """The layer that receives the model's input alone (through nested Sequentials), else the model."""
    from .containers import Sequential

    layer = model
    while isinstance(layer, Sequential) and len(layer) and type(layer).__name__ == "Sequential":
        layer = layer[0]
    return layer if not layer.children() else model


def predict(model, X, *, batch_size=256):
    """Model outputs for `X` in inference mode, batch by batch, without keeping activations.

    Parameters
    ----------
    model : Layer
    X : array (n_samples, ...)
        Host (NumPy) or backend array; host batches are copied to the model's backend.
    batch_size : int, optional
        Default 256.

    Returns
    -------
    array of the model's backend, (n_samples, ...)

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Dense, predict
    >>> predict(Dense(3, 2, random_state=0), np.zeros((5, 3), np.float32)).shape
    (5, 2)
    """
    batch_size = check_int("batch_size", batch_size, minimum=1)
    be, dtype = _model_backend(model)
    was_training = model.training
    model.eval()
    outs = []
    try:
        with no_grad(model):
            for s in range(0, X.shape[0], batch_size):
                outs.append(model(_batch(be, dtype, X, np.arange(s, min(X.shape[0], s + batch_size)))))
    finally:
        model.train(was_training)
    return outs[0] if len(outs) == 1 else be.xp.concat(outs, axis=0)


def _mean_loss(model, loss, X, Y, batch_size, be, dtype):
    total, n = 0.0, X.shape[0]
    with no_grad(model):
        for s in range(0, n, batch_size):
            idx = np.arange(s, min(n, s + batch_size))
            total += loss(model(_batch(be, dtype, X, idx)), _batch(be, dtype, Y, idx)) * idx.size
    return total / n


def train(model, X, Y, *, loss, optimizer, epochs=30, batch_size=64, validation_data=None, patience=None,
          schedule=None, augment=None, random_state=None, progress=False, restore_best=True):
    """Train `model` on (X, Y) with mini-batches; returns a :class:`History`.

    Parameters
    ----------
    model : Layer
    X : array (n_samples, C, L) (or what the model takes)
        Training inputs, host (NumPy) or on the model's backend.  Must be finite.
    Y : array (n_samples, ...)
        Targets for `loss`.
    loss : Loss
        E.g. :class:`~fieldconv.nn.BCEWithLogitsLoss`.
    optimizer : Optimizer
        Built on ``model.parameters()``; its ``lr`` is the base rate.
    epochs : int, optional
        Maximum number of passes over the data (default 30).
    batch_size : int, optional
        Default 64.  The last, smaller batch of an epoch is kept.
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch (inference mode).
    patience : int, optional
        Stop after this many epochs without a lower validation loss
        (needs `validation_data`); None: run all epochs.
    schedule : Schedule, optional
        Learning rate per step from the fractional epoch (default constant).
    augment : callable, optional
        ``augment(X_batch, Y_batch, rng) -> (X_batch, Y_batch)`` on host
        arrays, applied to every training batch (see
        :mod:`fieldconv.nn.augment`).
    random_state : None, int or numpy Generator, optional
        Seed of the shuffling (and of `augment`): the same seed and model
        give the same run.
    progress : bool, optional
        Show a tqdm progress bar over epochs.
    restore_best : bool, optional
        With validation data, leave the model at its best epoch (default True).

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Non-finite `X`; `X` and `Y` of different lengths; `patience` without
        validation data; bad sizes.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Adam, Dense, MSELoss, train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((64, 3)).astype(np.float32)
    >>> Y = X @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    >>> model = Dense(3, 1, random_state=0)
    >>> hist = train(model, X, Y, loss=MSELoss(), optimizer=Adam(model.parameters(), lr=0.05),
    ...              epochs=60, batch_size=16, random_state=0)
    >>> hist.train_loss[-1] < 1e-3
    True
    """
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples; got {X.shape[0]} and {Y.shape[0]}")
    if patience is not None:
        patience = check_int("patience", patience, minimum=0)
        if validation_data is None:
            raise ValueError("patience (early stopping) needs validation_data")
    be, dtype = _model_backend(model)
    check_finite(be if not isinstance(X, np.ndarray) else _HostView, X, "X")
    if validation_data is not None:
        X_val, Y_val = validation_data
        if X_val.shape[0] != Y_val.shape[0]:
            raise ValueError("validation_data: X_val and Y_val must have the same number of samples")
        check_finite(be if not isinstance(X_val, np.ndarray) else _HostView, X_val, "X_val")
    rng = as_generator(random_state)
    n = X.shape[0]
    n_batches = math.ceil(n / batch_size)
    base_lr = optimizer.lr
    hist = History()
    best, snap, bad = math.inf, None, 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, unit="epoch", leave=False)
    first = _first_leaf(model)
    first_needed, first.needs_input_grad = first.needs_input_grad, False  # nobody uses dL/dX here
    try:
        for epoch in range(epochs):
            t0 = time.perf_counter()
            model.train()
            order = rng.permutation(n)
            total = 0.0
            for b in range(n_batches):
                idx = np.sort(order[b * batch_size : (b + 1) * batch_size])
                if schedule is not None:
                    optimizer.lr = schedule(epoch + b / n_batches, base_lr)
                if augment is not None:
                    xb, yb = augment(np.asarray(X[idx]), np.asarray(Y[idx]), rng)
                    xb = be.asarray(np.ascontiguousarray(xb, dtype=dtype), copy=True)
                    yb = be.asarray(np.ascontiguousarray(yb, dtype=dtype), copy=True)
                else:
                    xb, yb = _batch(be, dtype, X, idx), _batch(be, dtype, Y, idx)
                total += loss(model(xb), yb) * idx.size
                model.backward(loss.backward())
                optimizer.step(model.grads())
            hist.train_loss.append(total / n)
            if validation_data is not None:
                model.eval()
                vl = _mean_loss(model, loss, X_val, Y_val, max(batch_size, 256), be, dtype)
                model.train()
                hist.val_loss.append(vl)
                if schedule is not None:
                    schedule.update(vl)
                if vl < best:
                    best, bad, hist.best_epoch = vl, 0, epoch
                    if restore_best:
                        snap = _snapshot(model)
                else:
                    bad += 1
            else:
                hist.val_loss.append(float("nan"))
                hist.best_epoch = epoch
            hist.lr.append(optimizer.lr)
            hist.seconds.append(time.perf_counter() - t0)
            if bar is not None:
                bar.set_postfix(loss=f"{hist.train_loss[-1]:.4f}", val=f"{hist.val_loss[-1]:.4f}")
                bar.update(1)
            if not math.isfinite(hist.train_loss[-1]):
                raise FloatingPointError(
                    f"training diverged at epoch {epoch} (loss {hist.train_loss[-1]}): lower the learning rate"
                )
            if patience is not None and bad > patience:
                hist.stopped_early = True
                break
    finally:
        first.needs_input_grad = first_needed
        if bar is not None:
            bar.close()
        optimizer.lr = base_lr
    if snap is not None and hist.best_epoch != hist.epochs - 1:
        _restore(model, snap)
    return hist


class _HostView:
    """check_finite's view of a NumPy array (the data may be host while the model is on a device)."""

    xp = np
