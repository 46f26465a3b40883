"""`if COND { } else { }` in the language: chosen at build time, printed back by fmt (DSL and YAML),
emitted as one class per variant; a condition that is not a truth value is a located error."""

import pytest

import archc
from archc.errors import ArchcError

EXAMPLE = "docs/examples/if.arch"


def test_the_condition_chooses_the_layers():
    names = [n.name for n in archc.load(EXAMPLE).nodes]
    assert "layer2.downsample.0" in names and not any(n.startswith("layer1.downsample") for n in names)
    assert archc.load(EXAMPLE).nodes[-1].attrs["mode"] == "max"
    assert archc.load(EXAMPLE, overrides={"pool": "mean"}).nodes[-1].attrs["mode"] == "mean"


@pytest.mark.parametrize("to", ["arch", "yaml"])
def test_fmt_keeps_conditions(to, tmp_path):
    text = archc.format(EXAMPLE, to)
    assert "stride != 1 or in_channels != C" in text
    again = archc.parse(f"x.{to}", text)
    assert [n.name for n in archc.load(again).nodes] == [n.name for n in archc.load(EXAMPLE).nodes]


@pytest.mark.parametrize("cond,message", [
    ("3", "true or false"), ("H > 2", "'H' is not a number"), ("1 and true", "needs true or false"),
    ("not 2", "'not' needs true or false"), ("max < 2", "only numbers are ordered")])
def test_bad_conditions_are_located_errors(cond, message):
    src = f"network n {{\n  input x: [N, 4, H]\n  if {cond} {{ relu }}\n}}\n"
    with pytest.raises(ArchcError) as info:
        archc.check(src)
    assert message in info.value.message and info.value.span.line == 3


def test_comparisons_and_precedence():
    src = ("network n(a=2, b=3) {\n  input x: [N, 4]\n"
           "  if a + 1 == b and not a > b or false { relu as yes } else { tanh as no }\n}\n")
    assert [n.name for n in archc.load(src).nodes] == ["yes"]
    assert "if a + 1 == b and not a > b or false {" in archc.format(archc.parse("<s>", src))


def test_each_variant_of_a_block_is_its_own_class():
    pytest.importorskip("torch")
    source = archc.emit(EXAMPLE)
    assert "class Basic(nn.Module)" in source and "class BasicDownsample(nn.Module)" in source
