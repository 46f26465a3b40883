"""The one graph interpreter: every executor runs a graph through it with its own rules.

The NumPy model, the torch modules, shape inference, the test reference and both source
emitters (which run it over variable names, printing a line per step) differ only in the
``impl`` they pass: a function of a node and the values of its inputs. Ops that read several
values (add, mul, concat) need nothing special: a node's inputs are fed in order.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from archc.ir.graph import Node

Impl = Callable[[Node, list], Any]
BackwardImpl = Callable[[Node, Any], tuple]


class Interpreter:
    """Runs ``nodes`` (topologically sorted) from ``inputs`` to ``outputs``."""

    def __init__(self, nodes: Sequence[Node], inputs: Sequence[str], outputs: Sequence[str]) -> None:
        self.nodes = tuple(nodes)
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)

    def run(self, impl: Impl, inputs: Sequence[Any],
            on_error: Callable[[Node, list, Exception], Exception] | None = None) -> tuple:
        """The outputs; ``on_error`` turns an exception raised at a node into the one to raise."""
        values = dict(zip(self.inputs, inputs))
        for node in self.nodes:
            args = [values[i] for i in node.inputs]
            try:
                values[node.name] = impl(node, args)
            except Exception as e:
                if on_error is None:
                    raise
                raise on_error(node, args, e) from None
        return tuple(values[o] for o in self.outputs)

    def backward(self, impl: BackwardImpl, grads: Sequence[Any],
                 add: Callable[[Any, Any], Any] = operator.add) -> tuple:
        """Gradients of the inputs from gradients of the outputs, in reverse order.

        ``impl(node, dLdZ)`` returns one gradient per input of the node; a value read by several
        nodes (or twice by one) gets the sum, made with ``add``.
        """
        pending: dict[str, Any] = {}

        def accumulate(name: str, g: Any) -> None:
            if g is None:  # a gradient the caller did not ask for (the network's inputs')
                return
            pending[name] = add(pending[name], g) if name in pending else g

        for name, g in zip(self.outputs, grads):
            accumulate(name, g)
        for node in reversed(self.nodes):
            g = pending.pop(node.name, None)
            if g is None:
                continue
            for src, d in zip(node.inputs, impl(node, g)):
                accumulate(src, d)
        return tuple(pending.get(i) for i in self.inputs)
