"""A compiled NumPy model: the graph interpreter run forward over the layers, and backward."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from archc.dims import shape_str
from archc.emit_numpy.base import LAYERS, Layer
from archc.errors import EmitError
from archc.ir.graph import param_key
from archc.ir.interpret import Interpreter
from archc.ops import REGISTRY
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
        self._ran = False
        self.interpreter = Interpreter(self.graph.nodes, self.graph.input_names, self.graph.outputs)
        rng = np.random.default_rng(seed)
        self.layers: dict[str, Layer] = {}
        for node in self.graph.nodes:
            info = typed.layers[node.name]
            in_shapes = [typed.shapes[i] for i in node.inputs]
            self.layers[node.name] = LAYERS[node.op](node.attrs, in_shapes, info.params, info.buffers,
                                                     self.dtype, rng)
        inputs = set(self.graph.input_names)
        self._first = [self.layers[n.name] for n in self.graph.nodes if set(n.inputs) <= inputs]  # read only inputs

    # -- running -----------------------------------------------------------------------
    def __call__(self, *inputs: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        return self.forward(*inputs)

    def forward(self, *inputs: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        """Run the network; one array per declared input."""
        decls = self.graph.inputs
        if len(inputs) != len(decls):
            raise EmitError(f"{self.graph.name} takes {len(decls)} input(s), got {len(inputs)}")
        arrays = [np.asarray(x) for x in inputs]
        self._check_shapes(tuple(a.shape for a in arrays))
        outs = self.interpreter.run(lambda node, args: self.layers[node.name].forward(*args),
                                    [a.astype(self.dtype, copy=False) for a in arrays], self._failed)
        self._ran = True
        return outs[0] if len(outs) == 1 else outs

    def _failed(self, node: Any, args: list, e: Exception) -> Exception:
        if isinstance(e, EmitError):
            return e
        shapes = ", ".join(shape_str(a.shape) for a in args)
        expected = ", ".join(shape_str(self.typed.shapes[i]) for i in node.inputs)
        return EmitError(f"layer '{node.name}' ({node.op}) failed on input {shapes}; expected {expected}: {e}")

    def _check_shapes(self, shapes: tuple) -> None:
        """Shape-check the graph for these concrete input shapes (once per distinct shape)."""
        if shapes not in self._checked:
            check_inputs(self.graph, shapes)
            self._checked.add(shapes)

    def backward(self, *grads: np.ndarray, input_grad: bool = True) -> np.ndarray | tuple[np.ndarray, ...] | None:
        """Back-propagate dL/d(output); returns dL/d(input) and accumulates parameter gradients.
        ``input_grad=False`` (training): dL/d(input) is not wanted, the layers reading the inputs may skip
        it, and the result is None."""
        if not self._ran:
            raise EmitError("backward() needs a forward() first")
        if len(grads) != len(self.graph.outputs):
            raise EmitError(f"{self.graph.name} has {len(self.graph.outputs)} output(s), got {len(grads)} gradient(s)")

        for layer in self._first:
            layer.input_grad = input_grad

        def step(node: Any, dLdZ: np.ndarray) -> tuple:
            out = self.layers[node.name].backward(dLdZ)
            return out if isinstance(out, tuple) else (out,)

        result = self.interpreter.backward(step, [np.asarray(g, dtype=self.dtype) for g in grads])
        if not input_grad:
            return None
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

    def _named(self, store: str) -> dict[str, np.ndarray]:
        return {param_key(n, k): v for n, layer in self.layers.items() for k, v in getattr(layer, store).items()}

    def parameters(self) -> dict[str, np.ndarray]:
        """Every parameter by its shared name (``<node>.weight``); the live arrays."""
        return self._named("params")

    def gradients(self) -> dict[str, np.ndarray]:
        """The accumulated gradient of every parameter, by the same names."""
        return self._named("grads")

    def buffers(self) -> dict[str, np.ndarray]:
        return self._named("buffers")

    def num_parameters(self) -> int:
        return sum(v.size for v in self.parameters().values())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of parameters and buffers, by the names PyTorch's state_dict uses."""
        out: dict[str, np.ndarray] = {}
        for n, layer in self.layers.items():
            for k, v in {**layer.params, **layer.buffers}.items():
                out[param_key(n, k)] = v.copy()
        return out

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> None:
        """Load arrays (NumPy, or anything ``np.asarray`` takes, e.g. torch tensors) by name.

        Every key must be present with its shape (and, with ``strict``, no other key); the
        arrays must be real numbers.
        """
        own = {param_key(n, k): (store, k) for n, layer in self.layers.items()
               for store in (layer.params, layer.buffers) for k in store}
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or (strict and unexpected):
            raise EmitError(f"state dict does not match {self.graph.name}: "
                            f"missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}")
        arrays = {}
        for key, (store, k) in own.items():
            value = state[key]
            arr = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
            if arr.shape != store[k].shape:
                raise EmitError(f"'{key}': expected shape {shape_str(store[k].shape)}, got {shape_str(arr.shape)}")
            if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
                    or arr.dtype == np.bool_):
                raise EmitError(f"'{key}': expected real numbers, got an array of {arr.dtype}")
            arrays[key] = arr
        for key, (store, k) in own.items():
            store[k] = arrays[key].astype(store[k].dtype, copy=True)
        for layer in self.layers.values():
            layer.zero_grad()

    def save(self, path: str | Path) -> Path:
        """Write parameters and buffers to exactly ``path`` as an ``.npz`` file (atomically)."""
        from archc.fileio import atomic_write

        state = self.state_dict()
        return atomic_write(path, lambda f: np.savez(f, **state))

    def load(self, path: str | Path, strict: bool = True, notes: list[str] | None = None) -> None:
        """Load a weight file: every key with its shape (with ``strict``, no other key), real numbers;
        a mismatch names the file, the key and both shapes. Integer arrays are converted (noted in ``notes``)."""
        from archc.weights import check_state, read_weights

        state = read_weights(path, notes)
        check_state(state, {k: v.shape for k, v in self.state_dict().items()}, path, strict)
        self.load_state_dict(state, strict)

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
