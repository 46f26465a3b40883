"""The summary of a checked network: a torchinfo-style table, and the same as JSON.

MACs are multiply-accumulates of the weights (convolutions, linear layers): bias adds,
normalisation, activations and pooling are not counted, as fvcore and torchvision's
published GFLOPS count them (torchinfo's "mult-adds" also count the bias).
"""

from __future__ import annotations

from typing import Any

from archc.dims import dim_str, shape_str
from archc.shape_infer import TypedGraph

COUNTING_RULE = ("MACs count the multiply-accumulates of convolution and linear weights; bias adds, "
                 "normalisation, activations and pooling are not counted (as fvcore and torchvision's GFLOPS do; "
                 "torchinfo's mult-adds also count the bias)")


def jdim(d: Any) -> Any:
    return d if isinstance(d, int) else dim_str(d)


def jshape(s: tuple) -> list:
    return [jdim(d) for d in s]


def summary_dict(typed: TypedGraph) -> dict[str, Any]:
    """The machine-readable summary (the `--json` output)."""
    from archc.teach.valid import input_sizes

    g = typed.graph
    return {
        "network": g.name,
        "inputs": {i.name: jshape(typed.shapes[i.name]) for i in g.inputs},
        "input_shape": jshape(typed.shapes[g.inputs[0].name]) if g.inputs else None,
        "outputs": {o: jshape(typed.shapes[o]) for o in g.outputs},
        "output_shape": jshape(typed.shapes[g.outputs[0]]),
        "total_params": typed.total_params,
        "macs_per_sample": jdim(typed.total_macs),
        "macs_per_batch": jdim(typed.macs_per_batch()),
        "batch": jdim(typed.batch) if typed.batch is not None else None,
        "macs_counting": COUNTING_RULE,
        "parameters": {k: jdim(v) if not isinstance(v, str) else v for k, v in g.params.items()},
        "valid_inputs": input_sizes(typed).to_dict(),
        "layers": [
            {"name": layer.name, "op": layer.op, "inputs": list(layer.inputs), "output_shape": jshape(layer.shape),
             "params": layer.n_params, "macs_per_sample": jdim(layer.macs_per_sample),
             "macs_per_batch": jdim(layer.macs),
             "receptive_field": list(layer.receptive_field) if layer.receptive_field else None,
             "jump": list(layer.jump) if layer.jump else None}
            for layer in typed.layers.values()
        ],
    }


def _by(values: tuple | None) -> str:
    return "x".join(map(str, values)) if values else ""


def pretty_shape(shape: tuple) -> str:
    return "[" + ", ".join(dim_str(d, pretty=True) for d in shape) + "]"


def num(v: Any) -> str:
    if isinstance(v, int):
        return f"{v:,}" if v else ""
    return dim_str(v, pretty=True)


def summary_table(typed: TypedGraph) -> Any:
    """The rich Table of layers, shapes, parameters, MACs, receptive fields and jumps."""
    from rich.table import Table

    g = typed.graph
    header, body, total = rows(typed)
    table = Table(title=f"{g.name}  ({g.file})", title_justify="left", show_footer=True)
    for i, (name, foot) in enumerate(zip(header, total)):
        table.add_column(name, footer=foot, justify="right" if i >= 3 else "left")
    for r in body:
        table.add_row(*r)
    return table


def footer_lines(typed: TypedGraph) -> list[str]:
    g = typed.graph
    batch = typed.batch
    per_batch = (f"   MACs per batch of {batch}: {num(typed.macs_per_batch())}"
                 if isinstance(batch, int) and batch != 1 else "")
    outs = ", ".join(f"{o} {shape_str(typed.shapes[o])}" if len(g.outputs) > 1 else shape_str(typed.shapes[o])
                     for o in g.outputs)
    lines = [f"Params: {typed.total_params:,} ({typed.total_params * 4 / 2**20:.2f} MiB as float32)   "
             f"MACs per sample: {num(typed.total_macs)}{per_batch}   Output{'s' if len(g.outputs) > 1 else ''}: {outs}"]
    if g.params:
        lines.append("Parameters: " + ", ".join(f"{k}={v}" for k, v in g.params.items()))
    from archc.teach.valid import valid_line

    valid = valid_line(typed)
    if valid:
        lines.append(f"Valid inputs: {valid}")
    lines.append(COUNTING_RULE + ".")
    return lines


def print_summary(typed: TypedGraph, console: Any = None) -> None:
    """Print the table and its footer lines."""
    from rich.console import Console

    console = console or Console(width=max(110, Console().width))
    console.print(summary_table(typed))
    for line in footer_lines(typed):
        console.print(line, highlight=False)


def rows(typed: TypedGraph) -> tuple[list[str], list[list[str]], list[str]]:
    """(header, body rows, total row) of the summary table, as text cells."""
    spatial = any(layer.receptive_field for layer in typed.layers.values())
    header = ["Layer", "Op", "Output shape", "Params", "MACs per sample"] + (["RF", "Jump"] if spatial else [])
    body = [[i.name, "input", pretty_shape(typed.shapes[i.name]), "", ""] + (["", ""] if spatial else [])
            for i in typed.graph.inputs]
    for layer in typed.layers.values():
        body.append([layer.name, layer.op, pretty_shape(layer.shape), f"{layer.n_params:,}" if layer.n_params else "-",
                     num(layer.macs_per_sample) or "-"]
                    + ([_by(layer.receptive_field), _by(layer.jump)] if spatial else []))
    total = ["Total", "", "", f"{typed.total_params:,}", num(typed.total_macs)] + (["", ""] if spatial else [])
    return header, body, total


class CheckedNetwork(TypedGraph):
    """A checked network (what archc.check returns) that shows its summary table in a notebook."""

    def _repr_markdown_(self) -> str:
        header, body, total = rows(self)
        lines = [f"**{self.graph.name}** ({self.graph.file})", "", "| " + " | ".join(header) + " |",
                 "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in [*body, total]]
        return "\n".join([*lines, "", *footer_lines(self)])

    def _repr_html_(self) -> str:
        from html import escape

        header, body, total = rows(self)
        right = {3, 4, 5, 6}

        def row(cells: list[str], tag: str = "td") -> str:
            return "<tr>" + "".join(f'<{tag} style="text-align:{"right" if i in right else "left"}">'
                                    f"{escape(c)}</{tag}>" for i, c in enumerate(cells)) + "</tr>"

        table = (f"<table><thead>{row(header, 'th')}</thead><tbody>{''.join(row(r) for r in body)}</tbody>"
                 f"<tfoot>{row(total, 'th')}</tfoot></table>")
        notes = "".join(f"<p>{escape(line)}</p>" for line in footer_lines(self))
        return f"<div><p><b>{escape(self.graph.name)}</b> ({escape(str(self.graph.file))})</p>{table}{notes}</div>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain-text display (a terminal, or a notebook without HTML): the summary as printed."""
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=120, record=True, color_system=None, force_jupyter=False)
        print_summary(self, console)
        printer.text(console.export_text().rstrip("\n"))

    @classmethod
    def of(cls, typed: TypedGraph) -> CheckedNetwork:
        return typed if isinstance(typed, cls) else cls(**vars(typed))
