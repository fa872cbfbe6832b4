"""Training: losses with their gradients, optimizers, clipping, the fit loop, gradcheck."""

from shapely_nn.train._fit import NonFiniteLossError, Optimizer, fit, train_step
from shapely_nn.train._gradcheck import (
    GradcheckError,
    GradcheckResult,
    gradcheck,
    numerical_gradient,
)
from shapely_nn.train._losses import (
    cross_entropy,
    cross_entropy_onehot,
    language_model_loss,
    mse,
    sequence_cross_entropy,
)
from shapely_nn.train._optim import SGD, Adam, clip_grad_norm

__all__ = [
    "SGD",
    "Adam",
    "GradcheckError",
    "GradcheckResult",
    "NonFiniteLossError",
    "Optimizer",
    "clip_grad_norm",
    "cross_entropy",
    "cross_entropy_onehot",
    "fit",
    "gradcheck",
    "language_model_loss",
    "mse",
    "numerical_gradient",
    "sequence_cross_entropy",
    "train_step",
]
