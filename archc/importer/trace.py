"""Tracing a PyTorch model into the calls the importer reads.

torch.fx symbolic tracing first; where it cannot trace the model (``if`` on a size, say), torch.export,
which runs the model on the example's sizes (export.py turns its graph into the same calls). The
model runs once more on the example input, so every call knows the shape it made. Modules the
registry has an op for, and the helper modules of archc's emitted source, are traced as leaves.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from archc.importer.errors import Where, error, frame_in, frame_of

INPLACE_OPERATORS = {operator.iadd: "add_", operator.imul: "mul_", operator.isub: "sub_",
                     operator.itruediv: "truediv_"}


@dataclass(frozen=True)
class Ref:
    """A value of the traced model: the output of an earlier call."""

    name: str


@dataclass
class Call:
    """One step of the traced model.

    ``kind``: input, module (``target`` its path), function (``target`` a canonical name: ``relu``,
    ``add``, ``cat``, ``mean``, ``view``; a trailing ``_`` for in-place), attr (a tensor attribute),
    output. ``shape``: the tensor it made in the example run (a tuple of shapes for a tuple of tensors);
    ``value``: what it made when that is not a tensor (``x.size(0)``).
    """

    name: str
    kind: str
    target: str
    args: tuple
    kwargs: dict
    where: Where
    owner: str = ""
    shape: Any = None
    value: Any = None


@dataclass
class Traced:
    """The calls of a model, and the arguments each non-leaf module was entered with."""

    model: Any
    calls: list[Call]
    entered: dict[str, list[tuple]] = field(default_factory=dict)
    via: str = "fx"

    def call(self, name: str) -> Call:
        return self._index[name]

    def __post_init__(self) -> None:
        self._index = {c.name: c for c in self.calls}


def torch_module() -> Any:
    """torch, imported on first use; a diagnostic when it is missing."""
    try:
        import torch
    except ImportError:
        from archc.errors import EmitError

        raise EmitError("archc import needs PyTorch", hint="pip install 'archc[torch]'") from None
    return torch


def canonical(target: Any) -> str:
    """The name a function call is known by: ``F.relu``, ``torch.relu`` and ``x.relu()`` are all ``relu``."""
    if isinstance(target, str):
        return target
    if target in INPLACE_OPERATORS:
        return INPLACE_OPERATORS[target]
    if getattr(target, "__module__", None) in ("_operator", "operator") or target is getattr:
        return target.__name__
    module = getattr(target, "__module__", "") or ""
    name = getattr(target, "__name__", repr(target))
    return name if module.startswith("torch") or module == "builtins" else f"{module}.{name}"


def _refs(x: Any) -> Any:
    """fx nodes and proxies -> Ref, inside lists, tuples and dicts."""
    import torch.fx as fx

    if isinstance(x, fx.Proxy):
        x = x.node
    if isinstance(x, fx.Node):
        return Ref(x.name)
    if isinstance(x, list | tuple):
        return type(x)(_refs(v) for v in x)
    if isinstance(x, dict):
        return {k: _refs(v) for k, v in x.items()}
    return x


def describe(out: Any) -> tuple[Any, Any]:
    """(shape, value) of a run's result: a tensor's shape, a tuple of shapes, or a plain value."""
    torch = torch_module()
    if isinstance(out, torch.Tensor):
        return tuple(out.shape), None
    if isinstance(out, list | tuple) and out and all(isinstance(o, torch.Tensor) for o in out):
        return tuple(tuple(o.shape) for o in out), None
    if isinstance(out, torch.Size):
        return None, tuple(out)
    return None, out if isinstance(out, int | float | bool | tuple | list | type(None)) else repr(out)


class TracedDiffers(Exception):  # noqa: N818 - a reason to try torch.export, not an error shown as such
    """fx traced the model, but its graph computes something else (aliasing that fx does not follow)."""


def _tracer(is_leaf: Any) -> Any:
    import torch.fx as fx

    class ImportTracer(fx.Tracer):
        """fx's tracer, with the registry's modules as leaves and a record of each non-leaf module call."""

        def __init__(self) -> None:
            super().__init__()
            self.record_stack_traces = True
            self.entered: dict[str, list[tuple]] = {}

        def is_leaf_module(self, m: Any, qualname: str) -> bool:
            return is_leaf(m) or super().is_leaf_module(m, qualname)

        def call_module(self, m: Any, forward: Any, args: tuple, kwargs: dict) -> Any:
            path = self.path_of_module(m)
            if not self.is_leaf_module(m, path):
                import traceback

                where = frame_in("".join(traceback.format_stack()))
                self.entered.setdefault(path, []).append((_refs(args), _refs(kwargs), where))
            return super().call_module(m, forward, args, kwargs)

    return ImportTracer()


def _where(model: Any, node: Any) -> tuple[Where, str]:
    """Where a node was made, and the path of the module whose forward made it."""
    stack = list(node.meta.get("nn_module_stack", {}).values())
    file, line = frame_in(node.meta.get("stack_trace") or getattr(node, "stack_trace", None))
    if node.op == "call_module":
        owner = stack[-2][0] if len(stack) > 1 else ""
        return Where(node.target, type(model.get_submodule(node.target)).__name__, file, line), owner
    path, kind = (stack[-1][0], _type_name(stack[-1][1])) if stack else ("", type(model).__name__)
    return Where(path, kind, file, line), path


def _type_name(t: Any) -> str:
    return t.__name__ if isinstance(t, type) else str(t).rpartition(".")[2].strip("'>")


def trace_fx(model: Any, inputs: tuple, is_leaf: Any) -> Traced:
    """The calls of ``model`` by torch.fx symbolic tracing, with the shapes of a run on ``inputs``."""
    import torch.fx as fx

    tracer = _tracer(is_leaf)
    try:
        graph = tracer.trace(model)
    except Exception as e:
        e.archc_module_stack = list(tracer.module_stack.values())  # type: ignore[attr-defined]
        raise
    gm = fx.GraphModule(tracer.root, graph)
    results: dict[str, tuple] = {}

    class Record(fx.Interpreter):
        def run_node(self, n: Any) -> Any:
            try:
                out = super().run_node(n)
            except Exception as e:  # the model's own error on the example: say where, do not try export
                text = str(e).splitlines()[0] if str(e) else ""
                shapes = ", ".join(str(list(x.shape)) for x in inputs)
                raise error(f"the model fails on an input of shape {shapes}: {type(e).__name__}: {text}",
                            _where(model, n)[0], "give --input the shape the model takes") from None
            results[n.name] = describe(out)
            return out

    torch = torch_module()
    with torch.no_grad(), torch.random.fork_rng():  # the same random draws in both runs (F.dropout)
        torch.manual_seed(0)
        got = Record(gm).run(*(t.clone() for t in inputs))
        torch.manual_seed(0)
        want = model(*(t.clone() for t in inputs))
    if isinstance(got, torch.Tensor) and isinstance(want, torch.Tensor) and \
            (got.shape != want.shape or not torch.allclose(got, want, rtol=1e-4, atol=1e-5)):
        raise TracedDiffers("fx's graph does not compute what the model computes: the model changes a value in "
                            "place (x += y on a value read again?) in a way symbolic tracing cannot see")
    calls = []
    for node in graph.nodes:
        where, owner = _where(model, node)
        shape, value = results.get(node.name, (None, None))
        kind = {"placeholder": "input", "call_module": "module", "call_function": "function",
                "call_method": "function", "get_attr": "attr", "output": "output"}[node.op]
        calls.append(Call(node.name, kind, canonical(node.target), _refs(node.args), _refs(node.kwargs), where,
                          owner, shape, value))
    return Traced(model, calls, tracer.entered, "fx")


def trace(model: Any, inputs: tuple, is_leaf: Any) -> Traced:
    """The calls of ``model``: fx first, torch.export where fx cannot trace it; a diagnostic where neither can."""
    from archc.importer.errors import ModelImportError

    try:
        return trace_fx(model, inputs, is_leaf)
    except ModelImportError:
        raise
    except Exception as fx_error:  # any failure of symbolic tracing: try torch.export, unless it is final
        if "item assignment" in str(fx_error):
            raise _trace_failure(model, fx_error, None) from None
        from archc.importer.export import trace_export

        try:
            return trace_export(model, inputs, is_leaf)
        except Exception as export_error:  # both failed: report what fx saw, in the model's code
            raise _trace_failure(model, fx_error, export_error) from None


def _trace_failure(model: Any, fx_error: BaseException, export_error: BaseException | None) -> Exception:
    stack = getattr(fx_error, "archc_module_stack", [])
    path, kind = (stack[-1][0], _type_name(stack[-1][1])) if stack else ("", type(model).__name__)
    file, line = frame_of(fx_error)
    text = str(fx_error).splitlines()[0] if str(fx_error) else type(fx_error).__name__
    other = str(export_error or "")
    if "item assignment" in text:
        what, hint = "assigning into a tensor (x[...] = ...) writes in place", "build the value with ops instead"
    elif isinstance(fx_error, TracedDiffers):
        what, hint = text, "write the in-place change out of place (y = y + z), or import a copy of the model that does"
    elif "'Proxy'" in text or "specialized integer" in other:
        what = "the forward computes a number (a size) from a tensor's values, which a spec cannot say"
        hint = "a spec's sizes come from the input's shape, not from its values"
    elif "control flow" in text or "guard on data-dependent" in other:
        what = "the forward branches or loops on a tensor's values, which a spec cannot say"
        hint = "a spec is one fixed graph: compute both branches and combine them, or move the decision out"
    else:
        what = f"the model cannot be traced ({type(fx_error).__name__}: {text})"
        hint = f"torch.export failed too: {type(export_error).__name__}: {other.splitlines()[0][:200]}" \
            if other else None
    return error(what, Where(path, kind, file, line), hint)
