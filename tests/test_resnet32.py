"""specs/resnet32.arch is the course's CIFAR ResNet-32 with option-A shortcuts: a ResNet-32 written
by hand in torch here (as the CIFAR ResNets of the assignments write it: the shortcut of a stride-2
block is ``F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4))``) has the same parameter
count, 464,154, and on the same weights computes the same outputs and input gradient in float64, in
eval and in training mode. specs/resnet32_b.arch, the projection variant, has 2,752 more."""

import numpy as np
import pytest

import archc
from tests.conftest import SPECS
from tests.forms import assert_matches_hand_written, randomize

torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
nn, F = torch.nn, torch.nn.functional


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if stride != 1 or in_planes != planes else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(out + shortcut)


class ResNet32(nn.Module):
    def __init__(self, n=5, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, c_in = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                blocks.append(BasicBlock(c_in, planes, stride if i == 0 else 1))
                c_in = planes
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(64, classes)

    def forward(self, x):
        out = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(out, 1).flatten(1))


def test_parameter_counts_are_the_papers():
    reference = sum(p.numel() for p in ResNet32().parameters())
    assert reference == 464_154
    assert archc.check(str(SPECS / "resnet32.arch")).total_params == reference
    assert archc.check(str(SPECS / "resnet32_b.arch")).total_params == reference + 2_752


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_option_a_resnet32_computes_what_the_hand_written_one_does(training):
    model = archc.compile(str(SPECS / "resnet32.arch"), dtype=np.float64)
    rng = np.random.default_rng(0)
    randomize(model, rng)
    ref = ResNet32().double()
    assert_matches_hand_written(model, ref, rng.standard_normal((4, 3, 32, 32)), training, rng)
