"""specs/unet.arch is the U-Net as milesial's Pytorch-UNet writes it (bilinear=False, one input channel,
two classes): a U-Net written by hand in torch here has the same parameter count, 31,036,546, and on
the same weights (at base width 8, to keep float64 cheap) the same output and input gradient, in eval
and training mode. The valid-input analysis finds that H and W must be multiples of 16, and a size
that is not one is a diagnostic at the join that lists both shapes."""

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

import archc
from archc import api
from tests.conftest import SPECS
from tests.forms import assert_matches_hand_written, randomize

torch = pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
nn = torch.nn
UNET = str(SPECS / "unet.arch")


def double_conv(c_in, c):
    return nn.Sequential(nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                         nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU())


class Up(nn.Module):
    def __init__(self, c_in, c):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c, 2, stride=2)
        self.conv = double_conv(2 * c, c)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class UNet(nn.Module):
    def __init__(self, base=64, channels=1, classes=2):
        super().__init__()
        widths = [base, 2 * base, 4 * base, 8 * base, 16 * base]
        self.inc = double_conv(channels, base)
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), double_conv(a, b))
                                   for a, b in pairwise(widths))
        self.ups = nn.ModuleList(Up(a, b) for a, b in pairwise(widths[::-1]))
        self.outc = nn.Conv2d(base, classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)


def test_parameter_count_is_the_hand_written_unets():
    count = sum(p.numel() for p in UNet().parameters())
    assert count == 31_036_546
    assert archc.check(UNET).total_params == count


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_unet_computes_what_the_hand_written_one_does(training):
    narrow = archc.load(UNET, overrides={"base": 8})  # its `expect params` holds for base=64 only
    typed = archc.check(replace(narrow, checks=()), input_shape=(2, 1, 32, 48))
    model = archc.compile(typed, dtype=np.float64)
    rng = np.random.default_rng(1)
    randomize(model, rng)
    ref = UNet(base=8).double()
    y = assert_matches_hand_written(model, ref, rng.standard_normal((2, 1, 32, 48)), training, rng)
    assert y.shape == (2, 2, 32, 48)


def test_valid_inputs_are_multiples_of_16():
    valid = api.valid_inputs(UNET)
    assert valid.text() == "H >= 16, H % 16 == 0, W >= 16, W % 16 == 0"
    assert {"H": 32, "W": 48} in valid and {"H": 32, "W": 40} not in valid
    with pytest.raises(archc.ArchcError) as e:
        archc.check(UNET, input_shape=(1, 1, 48, 40))
    assert "concat" in e.value.message and "[1, 512, 6, 5], [1, 512, 6, 4]" in e.value.message
