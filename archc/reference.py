"""The op reference, generated from the registry (`archc ops`, the docs' op page, the README table).

Each op's output-size formula and parameter shapes are not written down here: they are read
off the op's own rules, run on a symbolic input (sizes W, H and channels C_in, with symbols
for the required attributes), so the reference cannot drift from what archc computes.
"""

from __future__ import annotations

from typing import Any

from archc import dims, sizes
from archc.ops import REGISTRY, Trace, tracing

SYMBOLS = {"out_channels": "C_out", "out_features": "F_out", "kernel_size": "K", "factor": "k", "num_groups": "G",
           "chunks": "n", "size": "S"}
SIZE_NAMES = {"size": "W", "kernel": "K", "stride": "s", "padding": "p", "dilation": "d", "output_padding": "op",
              "factor": "k", "scale": "s", "before": "before", "after": "after"}


def _probe(op: Any, symbolic: bool) -> tuple[dict, list]:
    """(attributes, input shapes) to run an op's rules on: required attributes and channels as symbols
    (for parameter shapes), or as small integers (to see which size formulas the shape rule applies)."""
    attrs: dict[str, Any] = {}
    for a in op.attrs:
        if a.kind in ("ref", "refs"):
            continue
        if a.required:
            s = dims.sym(SYMBOLS.get(a.name, a.name)) if symbolic else 2
            attrs[a.name] = (s,) * op.spatial if a.kind == "ints" else s
        elif a.default_from:
            attrs[a.name] = attrs[a.default_from]
        else:
            from archc.ops.attrs import check_value

            attrs[a.name] = check_value(op, a, a.default) if a.default is not None else None
    spatial = [dims.sym(n) for n in ("H", "W")][-op.spatial:] if op.spatial else []
    c = dims.sym("C_in") if symbolic else 4
    x = (dims.sym("N"), c, *spatial) if op.spatial or op.family in ("norm", "pool") \
        else (dims.sym("N"), dims.sym("F_in") if symbolic else 4)
    return attrs, [x] * (1 if op.arity == 1 else 2)


def _formula(fn: str) -> str:
    return sizes.FORMULAS[fn].format(**{k: v for k, v in SIZE_NAMES.items()})


def describe(name: str) -> dict[str, Any]:
    """One op's reference entry."""
    from archc.ops.attrs import signature

    op = REGISTRY[name]
    entry: dict[str, Any] = {
        "name": op.name, "family": op.family, "doc": op.doc, "shapes": op.inputs_doc,
        "usage": signature(op).removeprefix("usage: "),
        "inputs": "any number" if op.arity < 0 else op.arity,
        "attributes": [{"name": a.name, "kind": a.kind, "default": a.describe_default(), "doc": a.doc,
                        "aliases": list(a.aliases), "choices": list(a.choices),
                        "bounds": _bounds(a)} for a in op.attrs],
        "output_size": None, "params": {}, "backends": _backends(name),
    }
    try:
        attrs, ins = _probe(op, symbolic=True)
        entry["params"] = {k: dims.shape_str(v) for k, v in op.params(ins, attrs).items()}
        attrs, ins = _probe(op, symbolic=False)
        with tracing(Trace()) as trace:
            op.shape(ins, attrs)
        fns = list(dict.fromkeys(f for _, f, _, _ in trace.formulas))
        entry["output_size"] = "; ".join(f"{_formula(f)}" for f in fns) or None
    except Exception:
        pass
    return entry


def _bounds(a: Any) -> str:
    parts = []
    if a.minimum is not None:
        parts.append(f">= {a.minimum:g}")
    if a.above is not None:
        parts.append(f"> {a.above:g}")
    if a.maximum is not None:
        parts.append(f"<= {a.maximum:g}")
    return ", ".join(parts)


def _backends(name: str) -> list[str]:
    out = []
    from archc.emit_numpy import LAYERS

    if name in LAYERS:
        out.append("numpy")
    try:
        from archc.emit_torch.rules import RULES
    except ImportError:  # pragma: no cover - torch is optional
        return out
    if name in RULES:
        out.append("torch")
    return out


def op_reference(name: str | None = None) -> list[dict[str, Any]]:
    """Every op's entry (or the one named), in registry order."""
    if name is not None:
        from archc.ops import get_op

        get_op(name)
        return [describe(name)]
    return [describe(n) for n in REGISTRY]


def markdown(entries: list[dict[str, Any]]) -> str:
    """The reference as a Markdown page: a table of contents by family, then one section per op."""
    lines = ["# Op reference", "", "Generated from archc's op registry by `archc ops --markdown`; every op is "
             "implemented by both backends unless its entry says otherwise.", ""]
    families: dict[str, list[str]] = {}
    for e in entries:
        families.setdefault(e["family"], []).append(e["name"])
    lines += [f"- **{fam}**: " + ", ".join(f"[`{n}`](#{n})" for n in names) for fam, names in families.items()]
    for e in entries:
        lines += ["", f"## {e['name']}", "", f"`{e['usage']}` — {e['doc']}.", "", f"Shapes: `{e['shapes']}`."]
        if e["output_size"]:
            lines += ["", f"Output size, per spatial dim: {e['output_size']}"]
        if e["params"]:
            lines += ["", "Parameters: " + ", ".join(f"`{k}` {v}" for k, v in e["params"].items())]
        if e["attributes"]:
            lines += ["", "| attribute | kind | default | bounds | meaning |", "|---|---|---|---|---|"]
            for a in e["attributes"]:
                kind = a["kind"] + (f" ({', '.join(a['choices'])})" if a["choices"] else "")
                alias = f" (alias: {', '.join(a['aliases'])})" if a["aliases"] else ""
                lines.append(f"| `{a['name']}`{alias} | {kind} | {a['default']} | {a['bounds']} | {a['doc']} |")
        lines += ["", "Backends: " + ", ".join(e["backends"])]
    return "\n".join(lines) + "\n"


def table(entries: list[dict[str, Any]]) -> str:
    """The README's compact op table: one row per family."""
    families: dict[str, list[str]] = {}
    for e in entries:
        families.setdefault(e["family"], []).append(f"`{e['name']}`")
    rows = ["| family | ops |", "|---|---|"] + [f"| {fam} | {', '.join(ns)} |" for fam, ns in families.items()]
    return "\n".join(rows) + "\n"
