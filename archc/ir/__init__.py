"""The IR and the pass that builds it from the AST."""

from archc.ir.graph import CountCheck, Graph, InputDecl, Node, Scope, ShapeCheck, format_graph
from archc.ir.lower import lower

__all__ = ["CountCheck", "Graph", "InputDecl", "Node", "Scope", "ShapeCheck", "format_graph", "lower"]
