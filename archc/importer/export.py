"""torch.export's graph -> the importer's calls, for models symbolic tracing cannot follow (an ``if`` on a
size: torch.export runs the model on the example's sizes and keeps the branch taken).

Its nodes are ATen ops, each with the stack of modules it was made in. The nodes of one call of a leaf
module (``aten.conv2d`` inside ``layer1.0.conv1``) become one module call; the others are function calls
by their ATen names (the same names as torch's functions, adapted where the arguments differ).
"""

from __future__ import annotations

from typing import Any

from archc.importer.errors import Where, frame_in
from archc.importer.trace import Call, Ref, Traced, _refs, _type_name, canonical, describe

ADAPT = {  # ATen name -> (torch name, argument names in ATen's order)
    "upsample_nearest1d": ("interpolate", ("input", "size", "scale_factor")),
    "upsample_nearest2d": ("interpolate", ("input", "size", "scale_factor")),
    "upsample_linear1d": ("interpolate", ("input", "size", "align_corners", "scale_factor")),
    "upsample_bilinear2d": ("interpolate", ("input", "size", "align_corners", "scale_factor")),
    "constant_pad_nd": ("pad", ("input", "pad", "value")),
    "_softmax": ("softmax", ("input", "dim", "half_to_float")),
    "_log_softmax": ("log_softmax", ("input", "dim", "half_to_float")),
    "alias": ("contiguous", ("input",)),
    "dropout": ("dropout", ("input", "p", "training")),
    "elu": ("elu", ("input", "alpha", "scale", "input_scale")),
}


def _name(target: Any) -> str:
    packet = getattr(target, "overloadpacket", None)
    return packet.__name__ if packet is not None else canonical(target)


def _adapt(name: str, args: tuple, kwargs: dict) -> tuple[str, tuple, dict]:
    if name not in ADAPT:
        return name, args, kwargs
    torch_name, params = ADAPT[name]
    bound = dict(zip(params, args)) | kwargs
    if name.startswith("upsample"):
        mode = {"nearest": "nearest", "linear": "linear", "bilinear": "bilinear"}[name[9:-2]]
        bound["mode"] = mode
        if bound.get("scale_factor") is not None:
            bound["size"] = None
    if name == "elu" and (bound.get("scale", 1) != 1 or bound.get("input_scale", 1) != 1):
        return "selu", args, kwargs  # not an op archc has: reported by its name
    for k in ("half_to_float", "scale", "input_scale"):
        bound.pop(k, None)
    return torch_name, (bound.pop("input"),), bound


def trace_export(model: Any, inputs: tuple, is_leaf: Any) -> Traced:
    """The calls of ``model`` from torch.export (non-strict), run on ``inputs``."""
    ep = _quiet_export(model, inputs)
    graph = ep.graph
    state = {s.arg.name: s.target for s in ep.graph_signature.input_specs if s.kind.name != "USER_INPUT"}
    calls: list[Call] = []
    members: dict[str, tuple[str, list]] = {}  # a non-leaf module call (its stack key) -> (path, its nodes)
    alias: dict[str, str] = {}  # node -> the leaf call (its last node) it is part of
    nodes = list(graph.nodes)
    i = 0
    while i < len(nodes):
        node = nodes[i]
        stack = list(node.meta.get("nn_module_stack", {}).items())
        for key, (path, _) in stack:
            if path:
                members.setdefault(key, (path, []))[1].append(node)
        shape, value = describe(node.meta.get("val"))
        file, line = frame_in(node.meta.get("stack_trace"))
        if node.op == "placeholder":
            kind = "attr" if node.name in state else "input"
            calls.append(Call(node.name, kind, state.get(node.name, node.name), (), {}, Where(""), "", shape))
        elif node.op == "output":
            calls.append(Call(node.name, "output", "output", _refs(node.args), {}, Where("")))
        elif stack and _leaf(model, stack[-1][1][0], is_leaf):
            key, (path, _) = stack[-1]
            group = [node]
            while i + 1 < len(nodes) and list(nodes[i + 1].meta.get("nn_module_stack", {}))[-1:] == [key]:
                i += 1
                group.append(nodes[i])
                for k, (p, _) in list(nodes[i].meta.get("nn_module_stack", {}).items())[:-1]:
                    members.setdefault(k, (p, []))[1].append(nodes[i])
            made = {n.name for n in group}
            ins = [a for n in group for a in n.all_input_nodes if a.name not in made and a.name not in state]
            last = group[-1]
            for n in group:
                alias[n.name] = last.name
            shape, value = describe(last.meta.get("val"))
            owner = stack[-2][1][0] if len(stack) > 1 else ""
            where = Where(path, type(model.get_submodule(path)).__name__, file, line)
            args = (Ref(alias.get(ins[0].name, ins[0].name)),) if ins else ()
            calls.append(Call(last.name, "module", path, args + tuple(Ref(a.name) for a in ins[1:]), {}, where,
                              owner, shape, value))
        else:
            path, kind = (stack[-1][1][0], _type_name(stack[-1][1][1])) if stack else ("", type(model).__name__)
            name, args, kwargs = _adapt(_name(node.target), _refs(node.args), _refs(node.kwargs))
            args, kwargs = _rename(args, alias), _rename(kwargs, alias)
            calls.append(Call(node.name, "function", name, args, kwargs, Where(path, kind, file, line), path,
                              shape, value))
        i += 1
    return Traced(model, calls, _entered(model, members, state, alias, is_leaf), "export")


def _quiet_export(model: Any, inputs: tuple) -> Any:
    """torch.export.export, without the logging and the graph dumps it writes when it fails."""
    import contextlib
    import io
    import logging

    import torch

    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return torch.export.export(model, inputs, strict=False)
    finally:
        logging.disable(before)


def _leaf(model: Any, path: str, is_leaf: Any) -> bool:
    from torch import nn

    if not path:
        return False
    m = model.get_submodule(path)
    return is_leaf(m) or (m.__module__.startswith("torch.nn") and not isinstance(m, nn.Sequential))


def _entered(model: Any, members: dict, state: dict, alias: dict, is_leaf: Any) -> dict[str, list]:
    """Each non-leaf module's calls, with the values each read from outside it (in the order first read)."""
    out: dict[str, list] = {}
    for path, group in members.values():
        if _leaf(model, path, is_leaf):
            continue
        made = {n.name for n in group}
        args: list[Ref] = []
        for n in group:
            for a in n.all_input_nodes:
                ref = Ref(alias.get(a.name, a.name))
                if a.name not in made and a.name not in state and ref not in args:
                    args.append(ref)
        file, line = frame_in(group[0].meta.get("stack_trace"))
        out.setdefault(path, []).append((tuple(args), {}, (file, line)))
    return out


def _rename(x: Any, alias: dict[str, str]) -> Any:
    if isinstance(x, Ref):
        return Ref(alias.get(x.name, x.name))
    if isinstance(x, list | tuple):
        return type(x)(_rename(v, alias) for v in x)
    if isinstance(x, dict):
        return {k: _rename(v, alias) for k, v in x.items()}
    return x
