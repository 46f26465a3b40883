"""The IR, the pass that builds it from the AST, and the one interpreter that runs it."""

from archc.ir.graph import CountCheck, Graph, InputDecl, Node, Scope, ShapeCheck, format_graph
from archc.ir.interpret import Interpreter
from archc.ir.lower import lower

__all__ = ["CountCheck", "Graph", "InputDecl", "Interpreter", "Node", "Scope", "ShapeCheck", "format_graph", "lower"]
