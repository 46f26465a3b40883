"""The registry is the one description of an op: every per-op table has exactly its keys, every op
is documented, and no stage of the pipeline imports a later one."""

import ast
from pathlib import Path

import pytest

from archc.diagram.styles import FAMILY_NAMES, FAMILY_STYLE
from archc.emit_numpy import LAYERS
from archc.ops import REGISTRY
from archc.reference import op_reference
from tests.op_cases import CASES

ARCHC = Path(__file__).resolve().parent.parent / "archc"


def test_numpy_layers_and_test_cases_cover_exactly_the_registry():
    """A test case and its torch reference are one row of tests/op_cases.py."""
    assert set(LAYERS) == set(REGISTRY)
    assert set(CASES) == set(REGISTRY)


def test_torch_rules_and_references_cover_exactly_the_registry():
    pytest.importorskip("torch", reason="torch is an optional extra; CI installs it")
    from archc.emit_torch.rules import RULES

    assert set(RULES) == set(REGISTRY)


def test_every_op_has_a_family_style_and_documentation():
    for name, op in REGISTRY.items():
        assert op.family in FAMILY_STYLE and op.family in FAMILY_NAMES, name
        assert op.doc and op.inputs_doc, name
        for a in op.attrs:
            assert a.doc, f"{name}.{a.name} has no doc"


def test_the_op_reference_lists_every_op_with_its_attributes():
    entries = {e["name"]: e for e in op_reference()}
    assert list(entries) == list(REGISTRY)
    conv = entries["conv2d"]
    assert [a["name"] for a in conv["attributes"]] == [a.name for a in REGISTRY["conv2d"].attrs]
    assert conv["output_size"] == "⌊(W + 2·p − d·(K − 1) − 1) / s⌋ + 1"
    assert conv["params"] == {"weight": "[C_out, C_in, K, K]", "bias": "[C_out]"}
    assert "numpy" in conv["backends"]


# -- stages: parser -> ops -> ir -> shape_infer -> backends -> api -> cli -------------------------------
STAGES = [
    ({"archc.errors", "archc.limits", "archc.dims", "archc.sizes", "archc.codegen", "archc.fileio",
      "archc.weights"}, 0),
    ({"archc.parser"}, 1),
    ({"archc.ops"}, 2),
    ({"archc.ir"}, 3),
    ({"archc.shape_infer"}, 4),
    ({"archc.emit_numpy", "archc.emit_torch", "archc.diagram", "archc.remap", "archc.summary", "archc.reference",
      "archc.formatting", "archc.teach", "archc.importer"}, 5),
    ({"archc.data", "archc.train"}, 6),
    ({"archc.api", "archc.api_teach", "archc.api_source"}, 7),
    ({"archc.cli", "archc.lsp", "archc.__main__", "archc"}, 8),
]


def _stage(module: str) -> int:
    best = None
    for names, rank in STAGES:
        for n in names:
            if (module == n or module.startswith(n + ".")) and (best is None or len(n) > len(best[0])):
                best = (n, rank)
    assert best is not None, f"{module} belongs to no stage: add it to STAGES"
    return best[1]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ARCHC.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("archc"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (ARCHC.parent / sub.replace(".", "/")).with_suffix(".py").exists() or \
                    (ARCHC.parent / sub.replace(".", "/")).is_dir()
                out.append(sub if is_module else node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("archc")]
    return out


def test_no_stage_imports_a_later_stage():
    bad = []
    for path in sorted(ARCHC.rglob("*.py")):
        me = _module_name(path)
        for imported in _imports(path):
            if _stage(imported) > _stage(me):
                bad.append(f"{me} (stage {_stage(me)}) imports {imported} (stage {_stage(imported)})")
    assert not bad, "\n".join(bad)


def test_no_file_is_longer_than_300_lines():
    root = ARCHC.parent
    files = [p for d in ("archc", "tests", "bench", "editors") for p in (root / d).rglob("*.py")]
    long = [f"{p.relative_to(root)}: {n}" for p in files if (n := len(p.read_text().splitlines())) > 300]
    assert not long, long


def test_no_backend_names_a_particular_op_outside_its_rule_table():
    """Backends and emitters handle every op through the registry and their rule tables only: nothing
    outside a rule table compares a node's op with a name."""
    tables = {"emit_torch/rules.py"}
    offenders = []
    for sub in ("emit_numpy", "emit_torch", "diagram", "shape_infer"):
        for path in sorted((ARCHC / sub).glob("*.py")):
            rel = f"{sub}/{path.name}"
            if rel in tables:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                names_op = isinstance(node, ast.Compare) and (
                    (isinstance(node.left, ast.Attribute) and node.left.attr == "op")
                    or (isinstance(node.left, ast.Name) and node.left.id == "op"))
                if names_op and any(isinstance(c, ast.Constant | ast.Tuple | ast.Set) for c in node.comparators):
                    offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders
