"""Round trip: every spec in specs/ and specs/zoo/, emitted as torch source and imported back, gives a
spec with the same IR (names, ops, attributes, shapes, parameter counts) and the same outputs."""

from pathlib import Path

import pytest

import archc
from tests.conftest import SPECS
from tests.emitted import load_source, model_class
from tests.import_check import imported, same_ir

torch = pytest.importorskip("torch")
SIZE = {"N": 2}  # other symbols: 32


OPS = Path(__file__).parent / "import_models" / "ops.arch"  # every op family, beside the specs


def _networks():
    out = []
    for path in [*sorted([*SPECS.glob("*.arch"), *(SPECS / "zoo").glob("*.arch")]), OPS]:
        for net in archc.parse(path).networks:
            out.append(pytest.param(path, net.name, id=f"{path.name}:{net.name}"))
    return out


def _smallest(typed, decl):
    """The input shape to trace on: the batch 2, every other symbol the smallest size the network takes."""
    for r in (32, 48, 64, 80, 96):
        shape = tuple(d if isinstance(d, int) else SIZE.get(str(d), r) for d in decl.shape)
        try:
            archc.check(typed, input_shape=shape)
        except archc.ArchcError:
            continue
        return shape
    raise AssertionError(f"{typed.graph.name} takes no square input up to 96")


@pytest.mark.parametrize(("path", "network"), _networks())
def test_emit_then_import_gives_the_same_ir(path, network, tmp_path):
    original = archc.check(str(path), network=network)
    decl = original.graph.inputs[0]
    symbolic = tuple(None if isinstance(d, int) else str(d) for d in decl.shape)
    shape = _smallest(original, decl)
    source = archc.emit(original, target="torch")
    model = model_class(load_source(source, tmp_path), network)()
    result = imported(model, shape, symbolic=symbolic, name=network)
    same_ir(original, archc.check(result.spec))
