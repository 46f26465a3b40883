"""Several networks in one table: a parameter swept over a range (``--set C=60..100:10``), or one
network at several input sizes (``--input 1,1,32,32 --input 1,1,48,48``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archc.dims import shape_str
from archc.errors import ArchcError, SpecError
from archc.ir.graph import Graph
from archc.shape_infer import TypedGraph
from archc.summary import jdim, jshape, pretty_shape
from archc.teach.formulas import count_text
from archc.teach.report import Report, Table

RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*(?::\s*(\d+))?\s*$")
MAX_SWEEP = 1_000


def parse_range(text: str, what: str = "range") -> range:
    """``60..100`` or ``60..100:10`` (both ends included) -> a range."""
    m = RANGE.match(text)
    if not m:
        raise SpecError(f"{what}: expected LO..HI or LO..HI:STEP, got {text!r}")
    lo, hi, step = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    if step < 1 or hi < lo:
        raise SpecError(f"{what}: {text!r} is empty (LO <= HI and a positive STEP are needed)")
    return range(lo, hi + 1, step)


def split_sweep(pairs: list[str] | None) -> tuple[list[str], tuple[str, range] | None]:
    """``--set`` pairs without the one that sweeps (``NAME=LO..HI[:STEP]``), and that one as (name, values)."""
    fixed, sweeps = [], []
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if sep and RANGE.match(value):
            sweeps.append((key.strip(), parse_range(value, f"--set {key.strip()}")))
        else:
            fixed.append(pair)
    if len(sweeps) > 1:
        raise SpecError("only one --set may sweep a range", hint="fix the others to one value each")
    if sweeps and len(sweeps[0][1]) > MAX_SWEEP:
        raise SpecError(f"--set {sweeps[0][0]}: {len(sweeps[0][1]):,} values; a sweep takes at most {MAX_SWEEP:,}",
                        hint="give a step: LO..HI:STEP")
    return fixed, sweeps[0] if sweeps else None


def int_param(graph: Graph, name: str) -> Graph:
    """``graph`` if it has an integer parameter ``name``; else a SpecError that says what ``name`` is."""
    if name not in graph.params:
        inputs = {str(d): i.name for i in graph.inputs for d in i.shape if not isinstance(d, int)}
        why = f"'{name}' is a dim of input '{inputs[name]}', not a parameter; " if name in inputs else ""
        raise SpecError(f"network '{graph.name}' has no parameter '{name}'",
                        hint=f"{why}its parameters: {', '.join(graph.params) or 'none'}")
    v = graph.params[name]
    if isinstance(v, bool) or not isinstance(v, int):
        raise SpecError(f"parameter '{name}' of network '{graph.name}' is {v!r}, not an integer")
    return graph


@dataclass
class Sweep(Report):
    """The parameter count and MACs per sample at each value of one network parameter."""

    network: str
    name: str
    rows: list[tuple[int, TypedGraph | None, str | None]]  # (value, checked net, error)

    def tables(self) -> list[Table]:
        errors = any(t is None for _, t, _ in self.rows)
        rows = []
        for v, t, error in self.rows:
            if t is None:
                rows.append([str(v), "-", "-", "-", error or ""])
            else:
                rows.append([str(v), f"{t.total_params:,}", count_text(t.total_macs),
                             pretty_shape(t.output_shapes[0]), *([""] if errors else [])])
        values = [v for v, _, _ in self.rows]
        step = f":{values[1] - values[0]}" if len(values) > 1 and values[1] - values[0] != 1 else ""
        title = f"{self.network}: {self.name} = {values[0]}..{values[-1]}{step}"
        header = [self.name, "params", "MACs per sample", "output", *(["error"] if errors else [])]
        return [Table(title, header, rows, math=(0, 1, 2))]

    def to_dict(self) -> dict[str, Any]:
        return {"network": self.network, "parameter": self.name,
                "rows": [{"value": v, "params": t.total_params if t else None,
                          "macs_per_sample": jdim(t.total_macs) if t else None,
                          "output_shape": jshape(t.output_shapes[0]) if t else None, "error": e}
                         for v, t, e in self.rows]}

    def plot(self, path: str | Path, inputs: list | tuple = (), target: tuple[str, int] | None = None) -> Path:
        """Draw params (and MACs, where they are numbers) against the value, to a PNG, SVG or PDF file;
        ``target`` ("params" or "MACs", n) adds a line at a target count."""
        from archc.fileio import atomic_write

        try:
            import matplotlib
        except ImportError:
            raise ArchcError("--plot needs matplotlib", hint="pip install 'archc[train]'") from None
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ok = [(v, t) for v, t, _ in self.rows if t is not None]
        xs = [v for v, _ in ok]
        series = {"params": [t.total_params for _, t in ok]}
        if ok and all(isinstance(t.total_macs, int) for _, t in ok):
            series["MACs"] = [t.total_macs for _, t in ok]
        fig, axes = plt.subplots(len(series), 1, sharex=True, figsize=(6, 2.2 + 1.6 * len(series)), squeeze=False)
        for ax, (what, ys), color in zip(axes[:, 0], series.items(), ("tab:blue", "tab:orange")):
            ax.plot(xs, ys, "o-", color=color)
            ax.set_ylabel(what if what == "params" else "MACs per sample")
            ax.grid(alpha=0.3)
            if target is not None and target[0] == what:
                ax.axhline(target[1], color="gray", linestyle=":", label=f"target {target[1]:,}")
                ax.legend(loc="best")
        axes[-1, 0].set_xlabel(self.name)
        axes[0, 0].set_title(f"{self.network}: {' and '.join(series)} against {self.name}")
        fig.tight_layout()
        fmt = Path(path).suffix.lstrip(".").lower() or "png"
        try:
            return atomic_write(path, lambda f: fig.savefig(f, format=fmt), inputs=inputs, what="plot")
        finally:
            plt.close(fig)


def sweep(check_at: Callable[[int], TypedGraph], name: str, values: range, network: str = "") -> Sweep:
    """``check_at(v)`` for every value (a value whose network does not check is a row with its error)."""
    rows: list[tuple[int, TypedGraph | None, str | None]] = []
    for v in values:
        try:
            rows.append((v, check_at(v), None))
        except ArchcError as e:
            rows.append((v, None, e.message))
    return Sweep(network, name, rows)


def _size(shape: tuple) -> str:
    return "×".join(map(str, shape[2:])) if len(shape) > 2 else shape_str(shape)


@dataclass
class Resolutions(Report):
    """One network checked at several input shapes: a shape and a MACs column per input, params once."""

    typed: list[TypedGraph]

    def tables(self) -> list[Table]:
        first = self.typed[0]
        sizes = [_size(t.shapes[t.graph.inputs[0].name]) for t in self.typed]
        header = ["Layer", "Op", "Params"] + [h for s in sizes for h in (f"Shape @{s}", f"MACs @{s}")]
        rows = [[i.name, "input", ""] + [x for t in self.typed for x in (pretty_shape(t.shapes[i.name]), "")]
                for i in first.graph.inputs]
        for name, layer in first.layers.items():
            row = [name, layer.op, f"{layer.n_params:,}" if layer.n_params else "-"]
            for t in self.typed:
                info = t.layers[name]
                row += [pretty_shape(info.shape), count_text(info.macs_per_sample) if info.macs_per_sample else "-"]
            rows.append(row)
        rows.append(["Total", "", f"{first.total_params:,}"] +
                    [x for t in self.typed for x in ("", count_text(t.total_macs))])
        return [Table(f"{first.graph.name}  ({first.graph.file})", header, rows, math=tuple(range(2, len(header))))]

    def to_dict(self) -> dict[str, Any]:
        first = self.typed[0]
        return {"network": first.graph.name, "total_params": first.total_params,
                "input_shapes": [jshape(t.shapes[t.graph.inputs[0].name]) for t in self.typed],
                "output_shapes": [jshape(t.output_shapes[0]) for t in self.typed],
                "macs_per_sample": [jdim(t.total_macs) for t in self.typed],
                "layers": [{"name": n, "op": layer.op, "params": layer.n_params,
                            "output_shapes": [jshape(t.layers[n].shape) for t in self.typed],
                            "macs_per_sample": [jdim(t.layers[n].macs_per_sample) for t in self.typed]}
                           for n, layer in first.layers.items()]}
