"""Learning-rate schedules: the rate as a function of (fractional) epoch.

A schedule maps the training time ``t`` in epochs (``epoch + batch /
n_batches``: the training loop updates the rate before every step) and the
optimiser's base rate to the rate to use.  :class:`ReduceOnPlateau` also
listens to the validation loss at the end of each epoch.
"""

import math

from ._checks import check_int, check_real

__all__ = ["Schedule", "ConstantLR", "StepLR", "CosineLR", "ReduceOnPlateau"]


class Schedule:
    """Base class: ``schedule(t, base_lr) -> lr``; ``schedule.update(val_loss)`` after each epoch.

    Examples
    --------
    >>> from fieldconv.nn import Schedule
    >>> class Halving(Schedule):
    ...     def __call__(self, t, base_lr):
    ...         return base_lr / 2 ** int(t)
    >>> Halving()(2.5, 1.0)
    0.25"""

    def __call__(self, t, base_lr):
        raise NotImplementedError

    def update(self, val_loss):
        """Called with the validation loss at the end of every epoch (no-op by default)."""


class ConstantLR(Schedule):
    """The base rate throughout.

    Examples
    --------
    >>> from fieldconv.nn import ConstantLR
    >>> ConstantLR()(3.5, 1e-3)
    0.001
    """

    def __call__(self, t, base_lr):
        return base_lr


class StepLR(Schedule):
    """``base_lr * gamma ** floor(t / step_size)``.

    Examples
    --------
    >>> from fieldconv.nn import StepLR
    >>> [StepLR(10, 0.5)(t, 1.0) for t in (0, 9.9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """

    def __init__(self, step_size, gamma=0.1):
        self.step_size = check_int("step_size", step_size, minimum=1)
        self.gamma = check_real("gamma", gamma, minimum=0.0, maximum=1.0, strict_min=True)

    def __call__(self, t, base_lr):
        return base_lr * self.gamma ** math.floor(t / self.step_size)


class CosineLR(Schedule):
    """Linear warm-up, then cosine decay to ``min_factor * base_lr`` at `total_epochs`.

    ``lr = base_lr * t / warmup`` for ``t < warmup``, then
    ``base_lr * (m + (1 - m) (1 + cos(pi u)) / 2)`` with ``u = (t - warmup) /
    (total_epochs - warmup)`` clipped to [0, 1] (Loshchilov & Hutter 2017,
    without restarts).

    Parameters
    ----------
    total_epochs : float
        End of the decay (epochs).
    warmup : float, optional
        Warm-up length in epochs (default 0).
    min_factor : float, optional
        Final rate as a fraction of the base rate (default 0.01).

    Examples
    --------
    >>> from fieldconv.nn import CosineLR
    >>> s = CosineLR(10, warmup=1, min_factor=0.0)
    >>> [round(s(t, 1.0), 3) for t in (0.5, 1, 5.5, 10, 12)]
    [0.5, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, total_epochs, *, warmup=0.0, min_factor=0.01):
        self.total_epochs = check_real("total_epochs", total_epochs, minimum=0.0, strict_min=True)
        self.warmup = check_real("warmup", warmup, minimum=0.0, maximum=self.total_epochs, strict_max=True)
        self.min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)

    def __call__(self, t, base_lr):
        if t < self.warmup:
            return base_lr * t / self.warmup
        u = min(1.0, max(0.0, (t - self.warmup) / (self.total_epochs - self.warmup)))
        m = self.min_factor
        return base_lr * (m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * u)))


class ReduceOnPlateau(Schedule):
    """Multiply the rate by `factor` after `patience` epochs without a better validation loss.

    Parameters
    ----------
    factor : float, optional
        In (0, 1) (default 0.5).
    patience : int, optional
        Epochs without improvement before a reduction (default 3).
    min_factor : float, optional
        Lowest rate as a fraction of the base rate (default 1e-3).
    threshold : float, optional
        Relative improvement that counts (default 1e-3).

    Examples
    --------
    >>> from fieldconv.nn import ReduceOnPlateau
    >>> s = ReduceOnPlateau(factor=0.5, patience=1)
    >>> for loss in (1.0, 0.9, 0.95, 0.95):
    ...     s.update(loss)
    >>> s(4, 1.0)                 # two epochs without a better loss: halved once
    0.5
    """

    def __init__(self, *, factor=0.5, patience=3, min_factor=1e-3, threshold=1e-3):
        self.factor = check_real("factor", factor, minimum=0.0, maximum=1.0, strict_min=True, strict_max=True)
        self.patience = check_int("patience", patience, minimum=0)
        self.min_factor = check_real("min_factor", min_factor, minimum=0.0, maximum=1.0)
        self.threshold = check_real("threshold", threshold, minimum=0.0)
        self.scale = 1.0
        self._best = math.inf
        self._bad = 0

    def update(self, val_loss):
        if val_loss < self._best * (1.0 - self.threshold):
            self._best = float(val_loss)
            self._bad = 0
            return
        self._bad += 1
        if self._bad > self.patience:
            self.scale = max(self.min_factor, self.scale * self.factor)
            self._bad = 0

    def __call__(self, t, base_lr):
        return base_lr * self.scale
