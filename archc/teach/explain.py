"""`archc explain`: every number of a checked network as a formula, in textbook form and with numbers.

For each layer: the output size of each spatial dim (the formula of :mod:`archc.sizes` shape
inference applied, filled in with the layer's kernel, stride, padding and input size), the
parameter count (from the parameter shapes) and the multiply-accumulates per sample (from the
op's MAC factors). With a symbolic input the results are symbolic (``⌊H/2⌋``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archc.errors import SpecError, did_you_mean
from archc.ops import REGISTRY
from archc.shape_infer import TypedGraph
from archc.summary import jdim, jshape, pretty_shape
from archc.teach.formulas import (
    Formula,
    count_text,
    macs_formula,
    params_formula,
    size_formula,
    textbook_counts,
)
from archc.teach.report import Report, Table, latex_math, latex_text


@dataclass
class LayerExplanation:
    """One layer: what it is, the shapes it reads and makes, and its formulas."""

    name: str
    op: str
    label: str
    inputs: list[tuple]
    output: tuple
    formulas: list[Formula] = field(default_factory=list)

    @property
    def heading(self) -> str:
        what = f"{self.op} {self.label}".strip()
        shapes = " + ".join(pretty_shape(s) for s in self.inputs)
        return f"{self.name}: {what}, {shapes} → {pretty_shape(self.output)}"

    def formula(self, name: str) -> Formula:
        """The formula of one quantity: ``H_out``, ``W_out``, ``params`` or ``MACs``."""
        for f in self.formulas:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "op": self.op, "label": self.label,
                "input_shapes": [jshape(s) for s in self.inputs], "output_shape": jshape(self.output),
                "formulas": [f.to_dict() for f in self.formulas]}


@dataclass
class Explanation(Report):
    """The explained layers of a network, printable as text, Markdown, LaTeX, HTML or JSON."""

    network: str
    file: str
    inputs: dict[str, tuple]
    layers: list[LayerExplanation]
    total_params: int
    total_macs: Any

    @property
    def title(self) -> str:
        shapes = ", ".join(f"{k} {pretty_shape(v)}" for k, v in self.inputs.items())
        return f"{self.network} ({self.file}), input {shapes}"

    def layer(self, name: str) -> LayerExplanation:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def text(self) -> str:
        out = [self.title, ""]
        for layer in self.layers:
            out.append(layer.heading)
            out += [f"  {f.line()}" for f in layer.formulas]
        if len(self.layers) > 1:
            out += ["", f"Total: {self.total_params:,} params, {count_text(self.total_macs)} MACs per sample"]
        return "\n".join(out) + "\n"

    def tables(self) -> list[Table]:
        tables = []
        for layer in self.layers:
            rows = [[f.name, f.textbook or "", f.filled, f.result_text] for f in layer.formulas]
            tables.append(Table(layer.heading, ["Quantity", "Formula", "With numbers", "Result"], rows,
                                math=(0, 1, 2, 3)))
        return tables

    def markdown(self) -> str:
        return f"### {self.title}\n\n" + super().markdown()

    def latex(self) -> str:
        out = [f"% {self.title}"]
        for layer in self.layers:
            out.append(f"% {layer.heading}")
            if not layer.formulas:
                continue
            out.append(r"\paragraph{" + latex_text(layer.name) + "} " + latex_text(layer.heading.split(": ", 1)[1]))
            out.append(r"\begin{align*}")
            lines = []
            for f in layer.formulas:
                name = r"\text{" + f.name + "}" if f.name in ("params", "MACs") else latex_math(f.name, False)
                rest = [latex_math(x, False) for x in (f.textbook, f.filled) if x]
                if f.filled != f.result_text:
                    rest.append(latex_math(f.result_text, False))
                lines.append(f"{name} &= " + " = ".join(rest))
            out.append(" \\\\\n".join(lines))
            out.append(r"\end{align*}")
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "file": self.file,
                "inputs": {k: jshape(v) for k, v in self.inputs.items()},
                "total_params": self.total_params, "macs_per_sample": jdim(self.total_macs),
                "layers": [layer.to_dict() for layer in self.layers]}


def explain_layer(typed: TypedGraph, name: str) -> LayerExplanation:
    """The formulas of one layer of a checked network."""
    info = typed.layers[name]
    node = typed.graph.node(name)
    op = REGISTRY[info.op]
    ins = [typed.shapes[i] for i in info.inputs]
    formulas = [size_formula(label, fn, args, result) for label, fn, args, result in info.sizes]
    book_params, book_macs = textbook_counts(info.op, node.attrs, ins, info.shape) \
        if info.params or info.macs_factors else (None, None)
    for f in (params_formula(info.params, book_params), macs_formula(info.macs_factors, info.shape, book_macs)):
        if f is not None:
            formulas.append(f)
    return LayerExplanation(name, info.op, op.label(node.attrs, ins), ins, info.shape, formulas)


def find_layer(typed: TypedGraph, name: str) -> str:
    """The full name of the layer called ``name`` (its dotted name, or its last part when that is unique)."""
    if name in typed.layers:
        return name
    matches = [n for n in typed.layers if n.rpartition(".")[2] == name or n.endswith("." + name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise SpecError(f"'{name}' names several layers: {', '.join(matches)}", hint="give the dotted name")
    raise SpecError(f"network '{typed.graph.name}' has no layer '{name}'", hint=did_you_mean(name, typed.layers))


def explain(typed: TypedGraph, layers: list[str] | None = None) -> Explanation:
    """The explanation of every layer of a checked network, or of the layers named."""
    names = [find_layer(typed, n) for n in layers] if layers else list(typed.layers)
    return Explanation(typed.graph.name, typed.graph.file, typed.input_shapes,
                       [explain_layer(typed, n) for n in names], typed.total_params, typed.total_macs)
