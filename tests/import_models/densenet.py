"""A DenseNet-style network: dense layers that concatenate their input with what they compute
(``torch.cat([x, new], 1)``), dense blocks as Sequentials, transitions that halve the size."""

import torch
import torch.nn.functional as F
from torch import nn


class DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth_rate, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        new = self.conv1(F.relu(self.norm1(x)))
        new = self.conv2(F.relu(self.norm2(new)))
        return torch.cat([x, new], 1)


class Transition(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(in_channels))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    def __init__(self, growth_rate: int = 8, blocks: tuple = (3, 3), init: int = 16, num_classes: int = 10) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, init, kernel_size=3, padding=1, bias=False)
        stages: list[nn.Module] = []
        channels = init
        for i, n in enumerate(blocks):
            stages.append(nn.Sequential(*[DenseLayer(channels + k * growth_rate, growth_rate) for k in range(n)]))
            channels += n * growth_rate
            if i != len(blocks) - 1:
                stages.append(Transition(channels, channels // 2))
                channels //= 2
        self.features = nn.Sequential(*stages)
        self.norm = nn.BatchNorm2d(channels)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.conv0(x))
        x = F.relu(self.norm(x))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


class ListDenseLayer(nn.Module):
    """torchvision's way: a dense layer takes the list of all earlier feature maps and concatenates them."""

    def __init__(self, in_channels: int, growth_rate: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, growth_rate, kernel_size=3, padding=1, bias=False)

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        x = torch.cat(inputs, 1)
        return self.conv1(F.relu(self.norm1(x)))


class ListDenseBlock(nn.ModuleDict):
    def __init__(self, n: int, in_channels: int, growth_rate: int) -> None:
        super().__init__()
        for i in range(n):
            self.add_module(f"denselayer{i + 1}", ListDenseLayer(in_channels + i * growth_rate, growth_rate))

    def forward(self, init: torch.Tensor) -> torch.Tensor:
        features = [init]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class ListDenseNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, 8, 3, padding=1)
        self.block = ListDenseBlock(3, 8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.conv0(x)).mean((2, 3))
