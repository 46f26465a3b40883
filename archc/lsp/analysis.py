"""One document, checked: its syntax tree, each network checked (symbolic and at the input shape the
client set), and every diagnostic and warning archc gives, all from archc.api."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from archc import api, limits
from archc.errors import ArchcError, Span, SpecError
from archc.parser import ast
from archc.shape_infer import TypedGraph

_YAML_SPEC = re.compile(r"^network\s*:", re.M)  # a YAML spec's documents each start with `network: NAME`


@dataclass
class Settings:
    """What the client may set (initializationOptions or the ``archc`` configuration section):
    ``input`` ("1,1,64,64", binds the symbolic dims of the first input), ``set`` (["C=64"]) and
    ``inlayHints`` (on by default)."""

    input: tuple | None = None
    overrides: list[str] = field(default_factory=list)
    inlay_hints: bool = True

    @classmethod
    def read(cls, options: Any) -> Settings:
        """Settings from the client's JSON (a dict, possibly under an ``archc`` key); bad values are ignored."""
        if not isinstance(options, dict):
            return cls()
        options = options.get("archc", options) if isinstance(options.get("archc"), dict) else options
        shape = None
        text = options.get("input")
        if isinstance(text, str) and text.strip():
            try:
                shape = tuple(int(p) for p in text.replace("x", ",").split(","))
            except ValueError:
                shape = None
        sets = options.get("set")
        sets = [s for s in sets if isinstance(s, str)] if isinstance(sets, list) else []
        return cls(shape, sets, options.get("inlayHints", True) is not False)


@dataclass
class Analysis:
    """A document's text and what archc says of it. ``typed`` maps each network that checks to its
    TypedGraph; ``concrete`` to the same at the client's input shape, where one is set and fits."""

    uri: str
    file: str
    text: str
    module: ast.Module | None = None
    typed: dict[str, TypedGraph] = field(default_factory=dict)
    concrete: dict[str, TypedGraph] = field(default_factory=dict)
    diagnostics: list[ArchcError] = field(default_factory=list)


def analyze(uri: str, file: str, text: str, settings: Settings) -> Analysis:
    """Parse and check ``text`` (the spec ``file``), collecting diagnostics instead of raising them."""
    out = Analysis(uri, file, text)
    most = limits.limit("spec_bytes")
    if len(text.encode("utf-8", "surrogatepass")) > most:
        out.diagnostics.append(SpecError(f"{file}: larger than {most:,} bytes (the limit spec_bytes); not checked",
                                         Span(file, 1, 1), hint=limits.hint("spec_bytes")))
        return out
    if file.endswith((".yaml", ".yml")) and not _YAML_SPEC.search(text):
        return out  # some other YAML file (CI, configuration): not archc's to judge
    try:
        out.module = api.parse(file, text)
    except ArchcError as e:
        out.diagnostics.append(e)
        return out
    except (RecursionError, MemoryError):
        out.diagnostics.append(SpecError("the spec is nested too deeply to process", Span(file, 1, 1)))
        return out
    for net in out.module.networks:
        _check_network(out, net.name, settings)
    unique: dict = {}  # a block's problem, met once per network that uses it, is shown once
    for e in out.diagnostics:
        unique.setdefault((e.kind, e.message, e.span), e)
    out.diagnostics = list(unique.values())
    return out


def _check_network(out: Analysis, name: str, settings: Settings) -> None:
    module = out.module
    try:
        out.typed[name] = typed = api.check(module, name, settings.overrides or None)
        out.diagnostics.extend(api.warnings(module, name, settings.overrides or None))
    except ArchcError as e:
        out.diagnostics.append(e)
        _without_checks(out, name, settings)
        return
    except (RecursionError, MemoryError):
        out.diagnostics.append(SpecError(f"network '{name}' is nested too deeply to process", Span(out.file, 1, 1)))
        return
    if settings.input is not None:
        try:
            out.concrete[name] = api.check(typed, input_shape=settings.input)
        except ArchcError:  # the input size the client set does not fit this network: symbolic answers only
            pass


def _without_checks(out: Analysis, name: str, settings: Settings) -> None:
    """Where only an expectation fails (`: [...]`, `expect params`), the shapes are still known: keep them
    for hover and hints, the failure stays a diagnostic."""
    try:
        graph = api.load(out.module, name, settings.overrides or None)
        out.typed[name] = api.check(replace(graph, checks=()))
    except (ArchcError, RecursionError, MemoryError):
        pass


def network_at(a: Analysis, line: int) -> ast.Network | None:
    """The network whose text holds 1-based ``line``, or the one before it."""
    best = None
    for net in a.module.networks if a.module else []:
        if net.span is not None and net.span.line <= line:
            best = net
    return best
