"""Warnings for values a network computes and then drops.

A layer whose output no later layer reads and that is not an output of the network does nothing:
``c0 -> conv2d(4, kernel=1) as side`` with ``side`` never used. It is legal (its parameters still
exist and are counted), and usually a mistake, so archc warns once per place in the spec.
"""

from __future__ import annotations

from archc.ir import Graph
from archc.teach.shadow import SpecWarning


class UnusedValue(SpecWarning):
    """A layer whose value is dropped (editors may show it faded)."""


def unused_warnings(graph: Graph) -> list[SpecWarning]:
    """One warning per spec location whose layer's value is never read and is not an output."""
    read = {i for n in graph.nodes for i in n.inputs} | set(graph.outputs)
    out: list[SpecWarning] = []
    seen: set = set()
    for n in graph.nodes:
        if n.name in read or n.span is None or (n.span.line, n.span.column) in seen:
            continue
        seen.add((n.span.line, n.span.column))
        out.append(UnusedValue(f"the value of '{n.name}' ({n.op}) is never used: no later layer reads it and it is "
                               "not an output", n.span, source=graph.source,
                               hint="read it (name it with `as`, then add(NAME), concat or `output NAME`), "
                               "or remove the layer"))
    return out
