"""A compiled NumPy model: runs the graph forward, and backward in reverse order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from archc.dims import shape_str
from archc.emit_numpy.base import LAYERS, Layer
from archc.errors import EmitError
from archc.ops.base import REGISTRY
from archc.shape_infer import TypedGraph, check_inputs


class NumpyModel:
    """The NumPy build of a checked spec.

    ``forward(x)`` returns the output; ``backward(dLdY)`` returns dL/dx and
    accumulates every parameter's gradient (see ``gradients()``).
    """

    def __init__(self, typed: TypedGraph, dtype: Any = np.float32, seed: int = 0) -> None:
        self.typed = typed
        self.graph = typed.graph
        self.dtype = np.dtype(dtype)
        self.training = True
        self._checked: set[tuple] = set()
        rng = np.random.default_rng(seed)
        self.layers: dict[str, Layer] = {}
        for node in self.graph.nodes:
            info = typed.layers[node.name]
            in_shapes = [typed.shapes[i] for i in node.inputs]
            self.layers[node.name] = LAYERS[node.op](node.attrs, in_shapes, info.params, info.buffers,
                                                     self.dtype, rng)

    # -- running -----------------------------------------------------------------------
    def __call__(self, *inputs: np.ndarray) -> np.ndarray:
        return self.forward(*inputs)

    def forward(self, *inputs: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        """Run the network; one array per declared input."""
        decls = self.graph.inputs
        if len(inputs) != len(decls):
            raise EmitError(f"{self.graph.name} takes {len(decls)} input(s), got {len(inputs)}")
        arrays = [np.asarray(x) for x in inputs]
        self._check_shapes(tuple(a.shape for a in arrays))
        values = {decl.name: a.astype(self.dtype, copy=False) for decl, a in zip(decls, arrays)}
        for node in self.graph.nodes:
            args = [values[i] for i in node.inputs]
            try:
                values[node.name] = self.layers[node.name].forward(*args)
            except (ValueError, IndexError) as e:
                shapes = ", ".join(shape_str(a.shape) for a in args)
                expected = ", ".join(shape_str(self.typed.shapes[i]) for i in node.inputs)
                raise EmitError(f"layer '{node.name}' ({node.op}) failed on input {shapes}; "
                                f"expected {expected}: {e}") from None
        self._values_kept = True
        outs = tuple(values[o] for o in self.graph.outputs)
        return outs[0] if len(outs) == 1 else outs

    def _check_shapes(self, shapes: tuple) -> None:
        """Shape-check the graph for these concrete input shapes (once per distinct shape)."""
        if shapes not in self._checked:
            check_inputs(self.graph, shapes)
            self._checked.add(shapes)

    def backward(self, *grads: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        """Back-propagate dL/d(output); returns dL/d(input) and accumulates parameter gradients."""
        if not getattr(self, "_values_kept", False):
            raise EmitError("backward() needs a forward() first")
        pending: dict[str, np.ndarray] = {}
        for name, g in zip(self.graph.outputs, grads):
            pending[name] = np.asarray(g, dtype=self.dtype)
        for node in reversed(self.graph.nodes):
            g = pending.pop(node.name, None)
            if g is None:
                continue
            out = self.layers[node.name].backward(g)
            outs = out if isinstance(out, tuple) else (out,)
            for src, d in zip(node.inputs, outs):
                pending[src] = pending[src] + d if src in pending else d
        result = tuple(pending.get(i.name) for i in self.graph.inputs)
        return result[0] if len(result) == 1 else result

    # -- modes and parameters -----------------------------------------------------------
    def train(self, mode: bool = True) -> NumpyModel:
        self.training = mode
        for layer in self.layers.values():
            layer.training = mode
        return self

    def eval(self) -> NumpyModel:
        return self.train(False)

    def zero_grad(self) -> None:
        for layer in self.layers.values():
            layer.zero_grad()

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter by its shared name (``<node>.weight``); the live arrays."""
        return {f"{n}.{k}": v for n, layer in self.layers.items() for k, v in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The accumulated gradient of every parameter, by the same names."""
        return {f"{n}.{k}": v for n, layer in self.layers.items() for k, v in layer.grads.items()}

    def buffers(self) -> dict[str, np.ndarray]:
        return {f"{n}.{k}": v for n, layer in self.layers.items() for k, v in layer.buffers.items()}

    def num_parameters(self) -> int:
        return sum(v.size for v in self.parameters().values())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of parameters and buffers, by the names PyTorch's state_dict uses."""
        out: dict[str, np.ndarray] = {}
        for n, layer in self.layers.items():
            for k, v in {**layer.params, **layer.buffers}.items():
                out[f"{n}.{k}"] = v.copy()
        return out

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Load arrays (NumPy, or anything ``np.asarray`` takes, e.g. torch tensors) by name."""
        own = {f"{n}.{k}": (layer, store, k) for n, layer in self.layers.items()
               for store in (layer.params, layer.buffers) for k in store}
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise EmitError(f"state dict does not match {self.graph.name}: "
                            f"missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
        for key, value in state.items():
            if key not in own:
                continue
            layer, store, k = own[key]
            arr = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
            if arr.shape != store[k].shape:
                raise EmitError(f"'{key}': expected shape {shape_str(store[k].shape)}, got {shape_str(arr.shape)}")
            store[k] = arr.astype(store[k].dtype, copy=True)
        for layer in self.layers.values():
            layer.zero_grad()

    def save(self, path: str | Path) -> None:
        """Write parameters and buffers to an ``.npz`` file (exactly; no conversion)."""
        np.savez(path, **self.state_dict())

    def load(self, path: str | Path) -> None:
        with np.load(path) as data:
            self.load_state_dict({k: data[k] for k in data.files})

    def __repr__(self) -> str:
        lines = [f"NumpyModel({self.graph.name}, {self.num_parameters():,} params, dtype={self.dtype})"]
        for node in self.graph.nodes:
            lines.append(f"  {node.name}: {node.op} -> {shape_str(self.typed.shapes[node.name])}")
        return "\n".join(lines)


def build_numpy(typed: TypedGraph, dtype: Any = np.float32, seed: int = 0) -> NumpyModel:
    """Build the NumPy model of a checked graph."""
    missing = set(REGISTRY) - set(LAYERS)
    if missing:  # pragma: no cover - the registry test guards this
        raise EmitError(f"no NumPy layer for {sorted(missing)}")
    return NumpyModel(typed, dtype, seed)
