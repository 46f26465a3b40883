"""The torchvision zoo written in archc (specs/zoo/): each spec has torchvision's parameter count, its
published GFLOPS (multiply-accumulates at 224x224, 299x299 for inception_v3) to the digits given, an
output [N, 1000], and exactly torchvision's state-dict keys and shapes, in order (tests/data/zoo/, written
down from torchvision's source: see tests/data/zoo/README.md)."""

from pathlib import Path

import pytest

import archc
from tests.conftest import SPECS

DATA = Path(__file__).resolve().parent / "data" / "zoo"
MODELS = sorted(p.stem for p in DATA.glob("*.txt") if (SPECS / "zoo" / f"{p.stem}.arch").exists())


def test_every_model_written_down_has_a_spec():
    """The list of tested models can't silently shrink: each data file (16 families) has its spec, and
    each spec its data file."""
    written = sorted(p.stem for p in DATA.glob("*.txt"))
    assert len(written) == 16
    assert MODELS == written
    assert sorted(p.stem for p in (SPECS / "zoo").glob("*.arch")) == written


def reference(model):
    """(header fields, [(key, kind, shape)]) of a model's data file."""
    header, entries = {}, []
    for line in (DATA / f"{model}.txt").read_text().splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            header[key.strip()] = value.strip()
        elif line.strip():
            key, kind, shape = line.split()
            entries.append((key, kind, () if shape == "-" else tuple(int(d) for d in shape.split(","))))
    return header, entries


def resolution(header):
    return int(header["input"].split()[0])


@pytest.mark.parametrize("model", MODELS)
def test_zoo_spec_has_torchvisions_counts(model):
    header, _ = reference(model)
    r = resolution(header)
    typed = archc.check(str(SPECS / "zoo" / f"{model}.arch"), input_shape=(1, 3, r, r))
    assert typed.output_shapes == [(1, 1000)]
    assert typed.total_params == int(header["params"])
    digits = len(header["gflops"].partition(".")[2])
    assert round(typed.total_macs / 1e9, digits) == float(header["gflops"]), typed.total_macs


@pytest.mark.parametrize("model", MODELS)
def test_zoo_state_dict_keys_are_torchvisions(model):
    _, entries = reference(model)
    typed = archc.check(str(SPECS / "zoo" / f"{model}.arch"))
    want = [(k, shape) for k, _, shape in entries]
    numpy_model = archc.compile(typed)
    assert sorted((k, tuple(v.shape)) for k, v in numpy_model.state_dict().items()) == sorted(want)
    torch = pytest.importorskip("torch")
    module = archc.compile(typed, target="torch")
    assert [(k, tuple(v.shape)) for k, v in module.state_dict().items()] == want
    params = {k for k, _, kind in [(k, s, kd) for k, kd, s in entries] if kind == "param"}
    assert {k for k, _ in module.named_parameters()} == params
    module.load_state_dict({k: torch.zeros(s) for k, s in want}, strict=True)
