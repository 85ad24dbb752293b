"""Differentiable layers on the fieldconv backends: 1D spectral CNNs and channel mixers.

Every layer follows one protocol (:class:`Layer`): ``forward``/``__call__``,
``backward`` (sets the parameter gradients, returns the input gradient),
``parameters``/``grads``, ``train``/``eval``.  Batches are (B, C, L) arrays
of one backend (NumPy, CuPy, any array-API namespace), float32 by default.
Kernel widths, region bounds and receptive fields are physical: cm^-1 on the
spectral grid.  See ``docs/nn.md``.

Examples
--------
>>> import numpy as np
>>> from fieldconv.nn import Conv1D, Dense, Flatten, ReLU, RegionPool, Sequential
>>> nu = np.arange(400.0, 4000.0, 1.0)
>>> net = Sequential(Conv1D(1, 4, width=15.0, grid=nu, random_state=0), ReLU(),
...                  RegionPool(8), Flatten(), Dense(32, 3, random_state=1))
>>> net(np.zeros((2, 1, nu.size), np.float32)).shape
(2, 3)
"""

from ._layer import Layer, no_grad
from .activations import GELU, LeakyReLU, ReLU, Sigmoid
from .architectures import spectral_cnn
from .containers import Residual, Sequential
from .conv import Conv1D, DepthwiseSeparableConv1D
from .coords import CoordinateChannel
from .dense import Dense, Flatten
from .dropout import Dropout
from .estimator import SpectralCNNClassifier
from .gradcam import GradCAM, grad_cam, plot_grad_cam
from .metrics import f1_per_group, f1_score, multilabel_report, perfection_rate, tune_thresholds
from .mixers import ChannelMixer
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .normalization import BatchNorm1D
from .optim import SGD, Adam, AdamW, Optimizer
from .pooling import AvgPool1D, GlobalPool, MaxPool1D, RegionPool
from .pruning import PruneReport, count_flops, count_parameters, prune_filters
from .saving import build_model, load_model, model_spec, save_model
from .schedules import ConstantLR, CosineLR, ReduceOnPlateau, Schedule, StepLR
from .spectral import ReceptiveField, kernel_size_for, receptive_field, width_in_wavenumbers
from .training import History, predict, train

__all__ = [
    "Layer",
    "no_grad",
    "Conv1D",
    "ChannelMixer",
    "DepthwiseSeparableConv1D",
    "MaxPool1D",
    "AvgPool1D",
    "RegionPool",
    "GlobalPool",
    "CoordinateChannel",
    "Flatten",
    "Dense",
    "ReLU",
    "LeakyReLU",
    "GELU",
    "Sigmoid",
    "Dropout",
    "BatchNorm1D",
    "Sequential",
    "Residual",
    "Loss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "MSELoss",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Schedule",
    "ConstantLR",
    "StepLR",
    "CosineLR",
    "ReduceOnPlateau",
    "spectral_cnn",
    "SpectralCNNClassifier",
    "train",
    "save_model",
    "load_model",
    "model_spec",
    "build_model",
    "predict",
    "History",
    "f1_per_group",
    "f1_score",
    "perfection_rate",
    "tune_thresholds",
    "multilabel_report",
    "grad_cam",
    "GradCAM",
    "plot_grad_cam",
    "prune_filters",
    "PruneReport",
    "count_parameters",
    "count_flops",
    "kernel_size_for",
    "receptive_field",
    "ReceptiveField",
    "width_in_wavenumbers",
]
