"""The NumPy backend: one class per op with a hand-written backward pass."""

from archc.emit_numpy import (  # noqa: F401 - each module registers its layers
    activation,
    activation_more,
    adaptive,
    conv,
    linear,
    merge,
    norm,
    norm_more,
    pool,
    regularize,
    resample,
    reshape,
    resize,
    structural,
)
from archc.emit_numpy.base import LAYERS, Layer
from archc.emit_numpy.loss import MSELoss, SoftmaxCrossEntropy
from archc.emit_numpy.model import NumpyModel, build_numpy
from archc.emit_numpy.optim import SGD, Adam

__all__ = ["LAYERS", "SGD", "Adam", "Layer", "MSELoss", "NumpyModel", "SoftmaxCrossEntropy", "build_numpy"]
