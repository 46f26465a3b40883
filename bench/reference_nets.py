"""The course networks written by hand in torch.nn: the references the benchmarks compare against."""

from torch import nn


def mnist_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(576, 10))


def hw2p1_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(24, 56, 5), nn.Tanh(), nn.Conv1d(56, 28, 6, stride=2), nn.ReLU(),
        nn.Conv1d(28, 14, 2, stride=2), nn.Sigmoid(), nn.Flatten(), nn.Linear(420, 10))
