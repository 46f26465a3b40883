"""Module classes whose instances differ by an optional shortcut: a torchvision-style Bottleneck (a
downsample where the stride or the width changes), and a block whose projection is a constructor flag."""

import torch
from torch import nn


class Bottleneck(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        width = planes * 4
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != width:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, width, 1, stride, bias=False), nn.BatchNorm2d(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Stages(nn.Module):
    """Two Bottleneck stages: the first block of each has a downsample (stride 1 in the first stage)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 64, 3, padding=1)
        self.layer1 = nn.Sequential(Bottleneck(64, 64), Bottleneck(256, 64))
        self.layer2 = nn.Sequential(Bottleneck(256, 128, 2), Bottleneck(512, 128))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(self.layer1(self.stem(x)))


class Mixer(nn.Module):
    def __init__(self, channels: int, project: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.proj = nn.Conv2d(channels, channels, 1) if project else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x) + (x if self.proj is None else self.proj(x)))


class Flags(nn.Module):
    """Instances of one size, with and without a projection: only a flag tells them apart."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Mixer(8, False), Mixer(8, True), Mixer(8, False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)
