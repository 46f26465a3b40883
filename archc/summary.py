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
    table = Table(title=f"{g.name}  ({g.file})", title_justify="left", show_footer=True)
    table.add_column("Layer", footer="Total")
    table.add_column("Op")
    table.add_column("Output shape")
    table.add_column("Params", justify="right", footer=f"{typed.total_params:,}")
    table.add_column("MACs per sample", justify="right", footer=num(typed.total_macs))
    spatial = any(layer.receptive_field for layer in typed.layers.values())
    if spatial:
        table.add_column("RF", justify="right")
        table.add_column("Jump", justify="right")
    for i in g.inputs:
        table.add_row(i.name, "input", pretty_shape(typed.shapes[i.name]), "", "", *(["", ""] if spatial else []))
    for layer in typed.layers.values():
        extra = [_by(layer.receptive_field), _by(layer.jump)] if spatial else []
        table.add_row(layer.name, layer.op, pretty_shape(layer.shape), f"{layer.n_params:,}" if layer.n_params else "-",
                      num(layer.macs_per_sample) or "-", *extra)
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
