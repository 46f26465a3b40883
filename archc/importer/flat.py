"""The traced calls -> a flat list of registry ops on named values, in the order the model runs them.

Each op keeps the module it is (a leaf's path: its name in the spec), the module whose forward made it,
its source line and the shape it made. Sizes read from tensors (``x.size(0)``) are constants of the
example run; ``torch.chunk`` pieces become chunk ops; ``x * self.gamma`` with a (C, 1, 1) parameter is
a layer_scale; calls that return their input vanish. What a spec cannot say is a diagnostic here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc.importer.errors import Where, error
from archc.importer.functions import ALIAS, PIECES, function_op, inplace
from archc.importer.modules import UnsupportedError, module_op
from archc.importer.trace import Call, Ref, Traced


@dataclass
class Op:
    """One node of the spec to be: a registry op reading values of the model."""

    name: str
    op: str
    attrs: dict
    inputs: list[str]
    where: Where
    owner: str
    shape: tuple
    path: str | None = None  # the leaf module (or parameter) it is: its dotted name in the spec
    params: bool = False  # it owns parameters or buffers, so its name must be kept
    inplace: bool = False


@dataclass
class Flat:
    model: Any
    ops: list[Op]
    inputs: list[tuple[str, tuple]]
    output: str
    entered: dict[str, list[tuple]] = field(default_factory=dict)
    shared: set[str] = field(default_factory=set)  # parameter-free leaf modules called more than once
    values: dict[str, Any] = field(default_factory=dict)  # call name -> what it is (a tensor: its value name)

    def resolve(self, name: str) -> str | None:
        """The value a traced call's result is (through calls that return their input), None if not a tensor."""
        v = self.values.get(name)
        return v[1] if v is not None and v[0] == "tensor" else None


class _Resolver:
    """The Context a mapping asks about its arguments (functions.Context)."""

    def __init__(self, values: dict[str, Any], call: Call, training: bool, sizes_vary: bool) -> None:
        self.values, self.call, self.training, self.sizes_vary = values, call, training, sizes_vary

    def _value(self, arg: Any) -> Any:
        return self.values[arg.name] if isinstance(arg, Ref) else ("const", arg, False)

    def is_tensor(self, arg: Any) -> bool:
        return self._value(arg)[0] == "tensor"

    def tensor(self, arg: Any) -> str:
        v = self._value(arg)
        if v[0] != "tensor":
            raise UnsupportedError(f"expected a tensor of the network, got {self.constant(arg)!r}")
        return v[1]

    def shape(self, arg: Any) -> tuple:
        return self.values[arg.name][2]

    def constant(self, arg: Any) -> Any:
        if isinstance(arg, list | tuple):
            return type(arg)(self.constant(a) for a in arg)
        v = self._value(arg)
        if v[0] == "tensor":
            raise UnsupportedError("a tensor where a number is expected: a size computed from a tensor's values")
        if v[0] != "const":
            raise UnsupportedError(f"a {v[0]} where a number is expected")
        if v[2] and self.sizes_vary:
            raise UnsupportedError("an attribute computed from a tensor's size, which the spec's symbolic sizes "
                                   "would change", "import with concrete sizes (--symbolic N), or compute it in "
                                   "the model's __init__")
        return v[1]

    def out_shape(self) -> tuple:
        return self.call.shape


def _has_state(m: Any) -> bool:
    return any(True for _ in m.parameters(recurse=True)) or any(True for _ in m.buffers(recurse=True))


def flatten_calls(traced: Traced, sizes_vary: bool = False) -> Flat:
    """The ops of a traced model; a ModelImportError at the first call a spec cannot express.

    ``sizes_vary``: the spec names spatial sizes, so attributes computed from sizes are refused."""
    model, values, ops = traced.model, {}, []
    inputs: list[tuple[str, tuple]] = []
    calls_of: dict[str, int] = {}
    shared: set[str] = set()
    output = None
    for path, entries in traced.entered.items():
        if len(entries) > 1 and _has_state(model.get_submodule(path)):
            where = Where(path, type(model.get_submodule(path)).__name__, *entries[1][2])
            raise error("the module is called more than once: its parameters would be shared, and each layer of a "
                        "spec has its own", where, "make one module per use")
    for call in traced.calls:
        try:
            if call.kind == "input":
                values[call.name] = ("tensor", call.name, call.shape)
                inputs.append((call.name, call.shape))
            elif call.kind == "attr":
                values[call.name] = ("attr", call.target, call.shape, _constant_value(model, call.target))
            elif call.kind == "output":
                output = _output(call, values, traced)
            elif call.kind == "module":
                ops.append(_module(call, model, values, calls_of, shared))
            else:
                op = _function(call, values, model.training, sizes_vary)
                if op is not None:
                    ops.append(op)
        except UnsupportedError as e:
            raise error(e.message, call.where, e.hint) from None
    _check_inplace(ops, output)
    return Flat(model, ops, inputs, output, traced.entered, shared, values)


def _output(call: Call, values: dict, traced: Traced) -> str:
    out = call.args[0]
    if isinstance(out, list | tuple):
        if len(out) != 1:
            last = next((traced.call(o.name) for o in reversed(out) if isinstance(o, Ref)), call)
            where = last.where
            raise error(f"the model returns {len(out)} values; an imported spec has one output", where,
                        "return one tensor (import each output as its own model)")
        out = out[0]
    if not isinstance(out, Ref) or values[out.name][0] != "tensor":
        raise UnsupportedError("the model's output is not a tensor")
    return values[out.name][1]


def _module(call: Call, model: Any, values: dict, calls_of: dict, shared: set) -> Op:
    m = model.get_submodule(call.target)
    if len(call.args) != 1 or call.kwargs or not isinstance(call.args[0], Ref) or \
            values[call.args[0].name][0] != "tensor":
        raise UnsupportedError(f"{type(m).__name__} called with {len(call.args) + len(call.kwargs)} arguments; "
                          "archc's ops of a module read one tensor")
    _, x, shape = values[call.args[0].name]
    state = _has_state(m)
    calls_of[call.target] = calls_of.get(call.target, 0) + 1
    if calls_of[call.target] > 1:
        if state:
            raise UnsupportedError("the module is called more than once: its parameters would be shared, and each "
                              "layer of a spec has its own", "make one module per use")
        shared.add(call.target)
    op, attrs = module_op(m, shape)
    values[call.name] = ("tensor", call.name, call.shape)
    return Op(call.name, op, attrs, [x], call.where, call.owner, call.shape, call.target, state,
              bool(getattr(m, "inplace", False)))


def _function(call: Call, values: dict, training: bool, sizes_vary: bool) -> Op | None:
    name = call.target
    if name in ("size", "getattr", "dim") or (name == "getitem" and values.get(_first(call), ("",))[0] != "tensor"):
        return _non_tensor(call, values)
    if call.shape is None and _constants_only(call, values):  # arithmetic on sizes: x.size(2) - y.size(2)
        values[call.name] = ("const", call.value, True)
        return None
    scale = _layer_scale(call, values)
    if scale is not None:
        return scale
    op, attrs, ins = function_op(name, call.args, call.kwargs, _Resolver(values, call, training, sizes_vary))
    if op == ALIAS:
        values[call.name] = ("tensor", ins[0], call.shape)
        return None
    if op == PIECES:
        values[call.name] = ("pieces", ins[0], attrs)
        return None
    values[call.name] = ("tensor", call.name, call.shape)
    return Op(call.name, op, attrs, ins, call.where, call.owner, call.shape,
              inplace=inplace(name, call.args, call.kwargs))


def _constants_only(call: Call, values: dict) -> bool:
    refs = [a for a in _leaves((call.args, call.kwargs)) if isinstance(a, Ref)]
    return bool(refs) and all(values[r.name][0] == "const" for r in refs)


def _leaves(x: Any) -> list:
    if isinstance(x, list | tuple):
        return [y for v in x for y in _leaves(v)]
    if isinstance(x, dict):
        return [y for v in x.values() for y in _leaves(v)]
    return [x]


def _first(call: Call) -> str | None:
    return call.args[0].name if call.args and isinstance(call.args[0], Ref) else None


def _non_tensor(call: Call, values: dict) -> Op | None:
    """x.size(), x.shape, x.dim(), a size's item, a chunk's piece."""
    src = values.get(_first(call), ("const", None))
    if call.target == "getitem" and src[0] == "pieces":
        index = call.args[1]
        if not isinstance(index, int):
            raise UnsupportedError("a piece of torch.chunk taken by a computed index")
        values[call.name] = ("tensor", call.name, call.shape)
        attrs = {"chunks": src[2]["chunks"], "index": index % src[2]["chunks"], "dim": src[2]["dim"]}
        return Op(call.name, "chunk", attrs, [src[1]], call.where, call.owner, call.shape)
    if call.target == "getattr" and call.args[1] not in ("shape",):
        raise UnsupportedError(f"reading .{call.args[1]} of a tensor has no archc op")
    if src[0] == "attr":
        raise UnsupportedError(f"the tensor attribute '{src[1]}' is used in forward", "a spec's tensors come from ops")
    values[call.name] = ("const", call.value, True)
    return None


def _layer_scale(call: Call, values: dict) -> Op | None:
    """``x * self.gamma`` (either order) with a parameter of shape (C, 1, ...): a layer_scale."""
    if call.target not in ("mul", "mul_") or len(call.args) != 2 or not all(isinstance(a, Ref) for a in call.args):
        for a in call.args:
            if isinstance(a, Ref) and values[a.name][0] == "attr":
                raise UnsupportedError(f"the tensor attribute '{values[a.name][1]}' is used in forward",
                                  "a spec's tensors come from ops; `x * self.gamma` with a (C, 1, 1) parameter "
                                  "is a layer_scale")
        return None
    kinds = [values[a.name][0] for a in call.args]
    if sorted(kinds) != ["attr", "tensor"]:
        return None
    x = values[call.args[kinds.index("tensor")].name]
    _, path, pshape, init = values[call.args[kinds.index("attr")].name]
    shape = x[2]
    if len(shape) < 2 or tuple(pshape) != (shape[1], *(1,) * (len(shape) - 2)):
        raise UnsupportedError(f"multiplying by the tensor attribute '{path}' of shape {list(pshape)}",
                          f"a layer_scale multiplies by a parameter of shape {[shape[1]] + [1] * (len(shape) - 2)}")
    values[call.name] = ("tensor", call.name, call.shape)
    return Op(call.name, "layer_scale", {"init": 1e-6 if init is None else init}, [x[1]],
              call.where, call.owner, call.shape, path, True)


def _check_inplace(ops: list[Op], output: str | None) -> None:
    """An in-place op must be the last reader of its input: later readers would see the changed value."""
    last: dict[str, int] = {}
    for i, op in enumerate(ops):
        for v in op.inputs:
            last[v] = i
    for i, op in enumerate(ops):
        if op.inplace and (last.get(op.inputs[0], i) > i or op.inputs[0] == output):
            later = next(o for o in ops[i + 1:] if op.inputs[0] in o.inputs) if last.get(op.inputs[0], i) > i \
                else None
            who = f"'{later.path or later.op}'" if later else "the output"
            raise error(f"the in-place {op.op} changes a value that {who} reads afterwards; a spec's ops never "
                        "change their input", op.where, "drop inplace=True (or the trailing _)")


def _constant_value(model: Any, path: str) -> float | None:
    """The one value every entry of a parameter holds (an untrained layer_scale's init), else None."""
    try:
        t = model.get_parameter(path)
    except AttributeError:
        return None
    flat = t.detach().flatten()
    if not flat.numel() or not bool((flat == flat[0]).all()):
        return None
    import numpy as np

    value = flat[0].item()
    return float(str(np.float32(value))) if t.dtype.itemsize == 4 else value  # 1e-06, not 9.99999997e-07
