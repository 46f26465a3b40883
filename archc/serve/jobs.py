"""The playground's API calls, each a few calls to archc.api whose result (or diagnostic) becomes JSON.

Every job takes the request's JSON object and the server's context (the file it was started with) and
returns ``(status, body)``. Runs in a worker process (archc.serve.worker), never in the server's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archc import api, limits
from archc.errors import ArchcError, SpecError

TARGETS = {"arch": ".arch", "yaml": ".yaml", "torch": "_torch.py", "numpy": "_numpy.py"}


class BadRequestError(Exception):
    """The request's JSON lacks a field or has one of the wrong type (HTTP 400)."""


def diagnostic(e: ArchcError) -> dict[str, Any]:
    """A diagnostic as JSON: severity, message, 1-based line and column (null when it has no place),
    hint, notes, and the compiler-style text the CLI prints."""
    span = e.span
    return {"severity": e.kind, "message": e.message, "file": span.file if span else None,
            "line": span.line if span else None, "column": span.column if span else None,
            "end_line": span.end_line if span else None, "end_column": span.end_column if span else None,
            "hint": e.hint, "notes": list(e.notes), "text": e.format()}


def _field(req: dict, name: str, kinds: type | tuple, default: Any = None) -> Any:
    value = req.get(name, default)
    if value is not None and not isinstance(value, kinds):
        raise BadRequestError(f"'{name}' must be {getattr(kinds, '__name__', kinds)}")
    return value


def _options(req: dict) -> tuple[str | None, list[str], tuple | None]:
    """The request's network, --set pairs and input shape."""
    network = _field(req, "network", str) or None
    sets = _field(req, "set", list, [])
    if not all(isinstance(s, str) for s in sets):
        raise BadRequestError("'set' must be a list of NAME=VALUE strings")
    shape = _field(req, "input", (str, list))
    if isinstance(shape, list):
        if not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            raise BadRequestError("'input' must be a list of integers or a string such as 1,1,28,28")
        shape = ",".join(map(str, shape))
    from archc.cli.common import input_shape

    return network, [s for s in sets if s.strip()], input_shape(shape)


def _module(req: dict, ctx: dict) -> Any:
    text = _field(req, "spec", str)
    if text is None:
        raise BadRequestError("'spec' (the spec's text) is missing")
    return api.parse(_source_name(req, ctx), text)


def _source_name(req: dict, ctx: dict) -> str:
    """The name diagnostics and the parser see: the started file's, or playground.arch / .yaml."""
    fmt = _field(req, "format", str) or None
    start = ctx.get("path")
    if start and (fmt is None or Path(start).suffix.lstrip(".") in ((fmt, "yml") if fmt == "yaml" else (fmt,))):
        return Path(start).name
    if fmt not in (None, "arch", "yaml"):
        raise BadRequestError("'format' must be 'arch' or 'yaml'")
    return f"playground.{fmt or 'arch'}"


def check(req: dict, ctx: dict) -> tuple[int, dict]:
    """Diagnostics (errors and warnings), the file's networks, the checked one's totals and valid inputs.
    A spec with errors is a normal answer here (200, ``ok: false``)."""
    out: dict[str, Any] = {"ok": False, "diagnostics": [], "networks": []}
    try:
        module = _module(req, ctx)
        out["networks"] = [n.name for n in module.networks]
        network, sets, shape = _options(req)
        typed = api.check(module, network, sets, shape)
        out["diagnostics"] += [diagnostic(w) for w in api.warnings(module, network, sets)]
        out.update(ok=True, network=typed.graph.name, total_params=typed.total_params,
                   valid_inputs=api.valid_inputs(typed.graph).text())
    except ArchcError as e:
        out["diagnostics"].insert(0, diagnostic(e))
    return 200, out


def _typed(req: dict, ctx: dict) -> Any:
    network, sets, shape = _options(req)
    return api.check(_module(req, ctx), network, sets, shape)


def summary(req: dict, ctx: dict) -> tuple[int, dict]:
    """`archc summary --json` of the spec, and the line each layer was written on."""
    typed = _typed(req, ctx)
    body = api.summary(typed)
    body["lines"] = {n.name: n.span.line for n in typed.graph.nodes if n.span is not None}
    return 200, body


def render(req: dict, ctx: dict) -> tuple[int, dict]:
    """The diagram as SVG text."""
    import graphviz

    dot = api.render(_typed(req, ctx), rankdir=_field(req, "rankdir", str) or "TB")
    try:
        return 200, {"svg": dot.pipe(format="svg").decode("utf-8")}
    except graphviz.ExecutableNotFound:
        raise SpecError("Graphviz's `dot` program is not installed on the server",
                        hint="apt-get install graphviz") from None


def explain(req: dict, ctx: dict) -> tuple[int, dict]:
    """The `explain` formulas of one layer (``layer``) or of every layer."""
    layer = _field(req, "layer", str) or None
    report = api.explain(_typed(req, ctx), layers=layer)
    return 200, report.to_dict() | {"text": report.text()}


def emit(req: dict, ctx: dict) -> tuple[int, dict]:
    """A download: the spec as ``arch`` or ``yaml`` text, or the emitted ``torch`` or ``numpy`` source."""
    target = _field(req, "target", str)
    if target not in TARGETS:
        raise BadRequestError("'target' must be one of " + ", ".join(TARGETS))
    module = _module(req, ctx)
    stem = Path(ctx["path"]).stem if ctx.get("path") else "playground"
    if target in ("arch", "yaml"):
        text = api.format(module, target)
    else:
        network, sets, _ = _options(req)
        text = api.emit(module, target, network, sets)
    return 200, {"filename": stem + TARGETS[target], "text": text}


def save(req: dict, ctx: dict) -> tuple[int, dict]:
    """Write the spec over the file the server was started with, only if it parses; the previous
    version goes to FILE.bak. Both writes are atomic."""
    from archc.fileio import atomic_write, read_bytes

    if not ctx.get("path"):
        return 409, {"error": {"message": "the server was started without a file; use Download",
                               "line": None, "column": None}}
    path = Path(ctx["path"])
    new = _field(req, "spec", str)
    if new is None:
        raise BadRequestError("'spec' (the spec's text) is missing")
    api.parse(path.name, new)  # in the file's own format; raises on a spec that does not parse: the file stays
    backup = None
    if path.exists():
        old = read_bytes(path, "spec", limits.limit("spec_bytes"))
        if old == new.encode("utf-8"):
            return 200, {"saved": str(path), "backup": None, "unchanged": True}
        backup = atomic_write(path.with_name(path.name + ".bak"), old, what="backup")
    atomic_write(path, new, what="spec")
    return 200, {"saved": str(path), "backup": str(backup) if backup else None, "unchanged": False}


JOBS = {"check": check, "summary": summary, "render": render, "explain": explain, "emit": emit, "save": save}


def run(name: str, req: Any, ctx: dict) -> tuple[int, dict]:
    """Run job ``name``: its answer, or an error as JSON (400 a bad request, 422 a diagnostic)."""
    if name not in JOBS:
        return 404, {"error": {"message": f"no API call '{name}'", "line": None, "column": None}}
    if not isinstance(req, dict):
        return 400, {"error": {"message": "the request must be a JSON object", "line": None, "column": None}}
    try:
        return JOBS[name](req, ctx)
    except BadRequestError as e:
        return 400, {"error": {"message": str(e), "line": None, "column": None}}
    except ArchcError as e:
        return 422, {"error": diagnostic(e)}
    except RecursionError:
        return 422, {"error": {"message": "the spec is nested too deeply to process", "line": None, "column": None}}
    except MemoryError:
        return 422, {"error": {"message": "out of memory", "line": None, "column": None}}
