"""Graphviz diagrams of checked networks."""

from archc.diagram.diagram import render_graph, write

__all__ = ["render_graph", "write"]
