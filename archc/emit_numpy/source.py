"""Write a checked graph as standalone NumPy source: the layer classes it uses (with their
hand-written backward passes), and a model class whose forward and backward read top to
bottom. The file imports only NumPy (and SciPy's erf for GELU).

The forward and backward are printed by running the graph interpreter over variable
names, the same loop (and the same gradient accumulation) the NumPy model runs over arrays.
"""

from __future__ import annotations

import sys
from typing import Any

from archc import codegen, sizes
from archc.dims import dim_str
from archc.emit_numpy import base, conv_math
from archc.emit_numpy.base import LAYERS
from archc.ir.graph import param_key
from archc.ir.interpret import Interpreter
from archc.shape_infer import TypedGraph

_METHODS = ("forward", "backward", "layers", "train", "eval", "zero_grad", "parameters", "gradients", "state_dict",
            "load_state_dict", "KEYS", "dtype", "training")
_MODEL_METHODS = '''
    def layers(self) -> dict:
        """Every layer by its spec name."""
        return {name: getattr(self, attr) for name, attr in self.KEYS}

    def train(self, mode: bool = True):
        for layer in self.layers().values():
            layer.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self) -> None:
        for layer in self.layers().values():
            layer.zero_grad()

    @staticmethod
    def _key(name: str, k: str) -> str:
        return f"{name}.{k}" if k else name

    def parameters(self) -> dict:
        return {self._key(n, k): v for n, layer in self.layers().items() for k, v in layer.params.items()}

    def gradients(self) -> dict:
        return {self._key(n, k): v for n, layer in self.layers().items() for k, v in layer.grads.items()}

    def state_dict(self) -> dict:
        return {self._key(n, k): v.copy() for n, layer in self.layers().items()
                for k, v in {**layer.params, **layer.buffers}.items()}

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Load arrays by name: every key must be there with its shape (and, if strict, no other)."""
        own = {self._key(n, k): (store, k) for n, layer in self.layers().items()
               for store in (layer.params, layer.buffers) for k in store}
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or (strict and unexpected):
            raise KeyError(f"state dict: missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
        for key, (store, k) in own.items():
            value = np.asarray(state[key])
            if value.shape != store[k].shape:
                raise ValueError(f"{key}: expected shape {store[k].shape}, got {value.shape}")
            store[k] = value.astype(store[k].dtype)
        self.zero_grad()
'''


def emit_numpy_source(typed: TypedGraph, class_name: str | None = None) -> str:
    """Standalone NumPy source for the model ``build_numpy(typed)`` builds."""
    g = typed.graph
    modules = {sizes, base, conv_math, *(sys.modules[cls.__module__] for cls in LAYERS.values())}
    defs = codegen.definitions(sorted(modules, key=lambda m: m.__name__))
    classes = sorted({LAYERS[n.op].__name__ for n in g.nodes})
    body = "\n\n\n".join(codegen.sources(codegen.closure(["Layer", *classes], defs), defs))
    body = body.replace("  # noqa: N803", "")
    imports = ["from __future__ import annotations", ""]
    if "math." in body:
        imports.append("import math")
    imports += ["from typing import Any", "", "import numpy as np"]
    if "as_strided" in body:
        imports.append("from numpy.lib.stride_tricks import as_strided")
    if "erf(" in body:
        imports.append("from scipy.special import erf")
    attrs = codegen.Namer(codegen.KEYWORDS | set(_METHODS))
    local = codegen.Namer()
    classes_named = codegen.Namer(codegen.RESERVED | set(defs) | {"MODEL"})  # not a copied layer's name
    name = classes_named("model", class_name or codegen.class_name(g.name, "Numpy"))
    keys = {n.name: attrs(n.name) for n in g.nodes}
    model = [f"class {name}:",
             codegen.docstring(f"{g.name}: forward(x) and backward(dLdy); {typed.total_params:,} parameters.", "    "),
             "", f"    KEYS = {codegen.literal(tuple(keys.items()))}  # (spec name, attribute)", "",
             "    def __init__(self, dtype: Any = np.float32, seed: int = 0) -> None:",
             "        rng = np.random.default_rng(seed)",
             "        self.dtype = np.dtype(dtype)"]
    for n in g.nodes:
        info = typed.layers[n.name]
        ins = [tuple(d if isinstance(d, int) else None for d in typed.shapes[i]) for i in n.inputs]
        model.append(f"        self.{keys[n.name]} = {LAYERS[n.op].__name__}({codegen.literal(dict(n.attrs))}, "
                     f"{codegen.literal(ins)}, {codegen.literal(info.params)}, {codegen.literal(info.buffers)}, "
                     f"self.dtype, rng)")
    model += _forward(typed, keys, local) + _backward(typed, keys, local)
    header = codegen.docstring(f"{g.name}: a NumPy model with hand-written backward passes, generated by archc "
                               f"from {g.file}.\n\nThe model is the class {name} (also named MODEL).\n")
    tail = f"\n\nMODEL = {name}  # the model class\n"
    return "\n".join([header, "", *imports, "", "", body, "", "", *model]) + "\n" + _MODEL_METHODS + tail


def _forward(typed: TypedGraph, keys: dict[str, str], local: codegen.Namer) -> list[str]:
    g = typed.graph
    args = [local(i.name) for i in g.inputs]
    lines = ["", f"    def forward(self, {', '.join(args)}):"]
    lines += [f"        {a} = np.asarray({a}, dtype=self.dtype)" for a in args]

    def step(node: Any, ins: list[str]) -> str:
        var = local(node.name)
        shape = codegen.comment(", ".join(dim_str(d) for d in typed.shapes[node.name]))
        lines.append(f"        {var} = self.{keys[node.name]}.forward({', '.join(ins)})  # ({shape})")
        return var

    outs = Interpreter(g.nodes, g.input_names, g.outputs).run(step, args)
    lines.append(f"        return {', '.join(outs)}")
    return lines


def _backward(typed: TypedGraph, keys: dict[str, str], local: codegen.Namer) -> list[str]:
    g = typed.graph
    grads = [local(("d", o), f"d_{o}") for o in g.outputs]
    lines = ["", f"    def backward(self, {', '.join(grads)}):",
             codegen.docstring("Accumulates every parameter gradient; returns dL/d(input).", "        ")]
    count: dict[str, int] = {}

    def fresh(value: str) -> str:
        count[value] = count.get(value, 0) + 1
        k = count[value]
        return local(("d", value, k), f"d_{value}" if k == 1 else f"d_{value}_{k}")

    def step(node: Any, dLdZ: str) -> tuple:
        outs = [fresh(i) for i in node.inputs]
        target = outs[0] if len(outs) == 1 else ", ".join(outs)
        lines.append(f"        {target} = self.{keys[node.name]}.backward({dLdZ})")
        return tuple(outs)

    def accumulate(a: str, b: str) -> str:
        lines.append(f"        {a} = {a} + {b}")
        return a

    for o, d in zip(g.outputs, grads):  # the output gradients are the arguments
        count[o] = 1
        local.names[("d", o, 1)] = d
    result = Interpreter(g.nodes, g.input_names, g.outputs).backward(step, grads, accumulate)
    lines.append(f"        return {', '.join(r or 'None' for r in result)}")
    return lines


__all__ = ["emit_numpy_source", "param_key"]
