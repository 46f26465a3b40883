"""Training and evaluation, one loop for every backend, in one process or several (torchrun)."""

from archc.train.backends import make_trainer
from archc.train.loop import History, accuracy, augment, batches, confusion, fit, learning_rate, plot
from archc.train.sampler import ShardSampler

__all__ = ["History", "ShardSampler", "accuracy", "augment", "batches", "confusion", "fit", "learning_rate",
           "make_trainer", "plot"]
