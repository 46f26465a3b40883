"""Training and evaluation, one loop for every backend."""

from archc.train.backends import make_trainer
from archc.train.loop import History, accuracy, augment, batches, confusion, fit, plot

__all__ = ["History", "accuracy", "augment", "batches", "confusion", "fit", "make_trainer", "plot"]
