"""Instances of one module class that differ by an optional shortcut import as one block whose shortcut
is ``if COND { ... }``; each import gives the model's outputs exactly (tests/import_check.py)."""

import pytest

import archc
from tests.import_check import imported

torch = pytest.importorskip("torch")

from tests.import_models import optional  # noqa: E402


def test_bottleneck_downsample_where_the_width_changes():
    result = imported(optional.Stages(), (2, 3, 16, 16), symbolic="N,H,W")
    text = result.spec
    assert text.count("block ") == 1 and "block bottleneck(C, stride) {" in text
    assert "    if in_channels != 4 * C {\n      seq as downsample {" in text
    assert "conv2d(4 * C, 1, stride=stride, bias=false) -> batchnorm2d" in text
    typed = archc.check(text)
    assert sum(n.endswith("downsample.0") for n in typed.layers) == 2  # layer1.0 and layer2.0
    assert set(result.state) == set(optional.Stages().state_dict())


def test_a_shortcut_no_argument_predicts_becomes_a_flag():
    result = imported(optional.Flags(), (2, 8, 6, 6))
    text = result.spec
    assert text.count("block ") == 1 and "block mixer(proj=false) {" in text
    assert "if proj {" in text and "mixer(proj=true)" in text
    typed = archc.check(text)
    assert [n for n in typed.layers if n.endswith(".proj")] == ["blocks.1.proj"]
