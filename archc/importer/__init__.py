"""`archc import`: an existing PyTorch model in, a readable, checked spec out.

    trace.py     torch.fx symbolic tracing (torch.export where fx fails) -> calls with shapes
    flat.py      calls -> registry ops on values (modules.py, functions.py map each call)
    tree.py      ops -> one group per module: the levels of the spec's dotted names
    regions.py   a group's items -> chains, residuals, concatenations, gates
    blocks.py    instances of one class that differ only in values -> one block with parameters
    names.py     the labels lowering needs to give every layer its module's name
    write.py     drafts -> the spec's AST (printed by archc.parser.fmt)
    spec.py      the whole: text, checked, with expectations; verify.py: the same outputs

Nothing read from a spec or a weight file is executed; the model's own code runs (it is traced).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from archc.importer.errors import ModelImportError


class Imported(NamedTuple):
    """The spec text of an imported model and its state dict (NumPy arrays under the spec's names)."""

    spec: str
    state: dict[str, Any]


def symbolic_dims(shape: tuple, symbolic: str | tuple | list | None) -> tuple[str | None, ...]:
    """Which dims of the input are named, from ``"N,H,W"`` (by convention: N, C, then D, H, W) or one entry
    per dim (``"N,_,H,W"``; ``_`` or a number keeps the size). The default names the batch dim N."""
    from archc.errors import SpecError

    if symbolic is None:
        symbolic = "N"
    names = [s.strip() for s in symbolic.split(",")] if isinstance(symbolic, str) else \
        ["_" if s is None else str(s).strip() for s in symbolic]
    names = [n for n in names if n]
    if len(names) == len(shape):
        out = tuple(None if n == "_" or n.isdigit() else n for n in names)
    else:
        spatial = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(len(shape) - 2, ())
        slots = ("N", "C", *spatial)[:len(shape)]
        unknown = [n for n in names if n not in slots]
        if unknown:
            raise SpecError(f"--symbolic {','.join(names)}: {', '.join(unknown)} is not a dim of a rank-{len(shape)} "
                            f"input (its dims are {', '.join(slots)}; or give one name per dim, _ to keep a size)")
        out = tuple(s if s in names else None for s in slots)
    for n in out:
        if n is not None and not n.isidentifier():
            raise SpecError(f"--symbolic: {n!r} is not a name")
    return out


def import_module(model: Any, example_input: Any, symbolic: str | tuple | None = None,
                  name: str | None = None) -> Imported:
    """Trace ``model`` (an nn.Module) on ``example_input`` (a tensor) and write it as a spec.

    Returns the spec text and the model's state dict as NumPy arrays; the spec's layers have the
    model's module names, so the state dict loads into ``archc.compile(spec, target="torch")`` with
    ``strict=True``. ``symbolic`` names input dims (default: the batch dim, N). Whatever the spec cannot
    express is one ModelImportError naming the module and the model's source line.
    """
    from archc.importer.flat import flatten_calls
    from archc.importer.modules import is_leaf
    from archc.importer.spec import network_name, spec_keys, write_spec
    from archc.importer.trace import torch_module, trace
    from archc.importer.tree import build_tree

    torch = torch_module()
    if not isinstance(model, torch.nn.Module):
        raise ModelImportError(f"expected a torch.nn.Module, got {type(model).__name__}")
    inputs = tuple(example_input) if isinstance(example_input, list | tuple) else (example_input,)
    if len(inputs) != 1 or not isinstance(inputs[0], torch.Tensor):
        raise ModelImportError("archc import takes models of one tensor input")
    _refuse_bare_layer(model, is_leaf)
    was_training = model.training
    model.eval()
    try:
        dims = symbolic_dims(tuple(inputs[0].shape), symbolic)
        traced = trace(model, inputs, is_leaf)
        sizes_vary = any(d is not None for d in dims[1:])
        if sizes_vary and traced.via == "export":
            raise ModelImportError("the model's forward depends on its input's sizes, and torch.export specialised it "
                                   f"to {list(inputs[0].shape)}", hint="import it with concrete sizes (--symbolic N)")
        flat = flatten_calls(traced, sizes_vary=sizes_vary)
        text, typed = write_spec(build_tree(flat), flat, network_name(model, name), dims)
    finally:
        model.train(was_training)
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    expected = spec_keys(typed)
    if set(expected) != set(state) or any(tuple(state[k].shape) != s for k, s in expected.items()):
        missing = sorted(set(state) - set(expected))[:5]
        extra = sorted(set(expected) - set(state))[:5]
        raise ModelImportError("the imported spec's parameter names differ from the model's "
                               f"(the model's only: {missing}; the spec's only: {extra})")
    return Imported(text, {k: state[k] for k in expected})


def _refuse_bare_layer(model: Any, is_leaf: Any) -> None:
    """A ModelImportError for a layer with weights as the whole model (nn.Linear itself): its state-dict keys
    (``weight``) have no module name, and every key of a spec begins with its layer's name."""
    keys = list(model.state_dict())
    if not is_leaf(model) or not keys:
        return
    cls = type(model).__name__
    shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
    raise ModelImportError(f"the model is one {cls} layer: its state-dict keys ({shown}) have no layer name, "
                           "and a spec's keys begin with the name of their layer",
                           hint=f"import nn.Sequential(model): one layer named 0, its keys "
                                f"{', '.join('0.' + k for k in keys[:3])}")


__all__ = ["Imported", "ModelImportError", "import_module", "symbolic_dims"]
