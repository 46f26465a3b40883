"""The TextMate grammar of `.arch` (editors/vscode/syntaxes): valid, in step with the op registry and
the language's keywords, and colouring a real spec as intended. Its rules are plain `match` rules, so
a TextMate tokenizer reduces to: at each position, the earliest match of any rule (the first rule on
a tie) wins; Python's `re` reads these patterns as Oniguruma does."""

from __future__ import annotations

import json
import re
from pathlib import Path

from archc.ir.values import FUNCTIONS
from archc.ops import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = json.loads((ROOT / "editors/vscode/syntaxes/arch.tmLanguage.json").read_text())
GRAMMAR_TEXT = (ROOT / "archc/parser/grammar.lark").read_text()


def _rules(pattern: dict) -> list[dict]:
    if "include" in pattern:
        return _rules(GRAMMAR["repository"][pattern["include"].removeprefix("#")])
    if "patterns" in pattern:
        return [r for p in pattern["patterns"] for r in _rules(p)]
    return [pattern]


RULES = [(re.compile(r["match"]), r) for p in GRAMMAR["patterns"] for r in _rules(p)]


def tokens(line: str) -> list[tuple[str, str]]:
    """(text, scope) for each token the grammar gives ``line``; text no rule matches is left out."""
    out, pos = [], 0
    while pos < len(line):
        best = None
        for rx, rule in RULES:
            m = rx.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        if "name" in rule:
            out.append((m.group(0), rule["name"]))
        for k, cap in rule.get("captures", {}).items():
            if m.group(int(k)) is not None:
                out.append((m.group(int(k)), cap["name"]))
        pos = m.end()
    return out


def test_the_grammar_names_every_registered_op_and_builtin():
    op_rule = GRAMMAR["repository"]["op"]["match"]
    assert set(op_rule.removeprefix(r"\b(").removesuffix(r")\b").split("|")) == set(REGISTRY)
    builtins = GRAMMAR["repository"]["expression"]["patterns"][0]["match"]
    assert set(builtins.removeprefix(r"\b(").split(")")[0].split("|")) == set(FUNCTIONS) - {"not"}


def test_the_grammar_knows_every_keyword_of_the_language():
    keywords = set(re.findall(r'"([a-z]+)"', GRAMMAR_TEXT)) - {"true", "false"}
    scoped = {text for line in ["network a {", "block b(", "seq s {", "input x", "expect params", "output y",
                                "residual shortcut repeat index scan seq concat branch if else and or not", "x as y"]
              for text, scope in tokens(line) if scope.startswith(("keyword", "storage"))}
    assert keywords <= scoped | {"params", "macs"}


def test_a_spec_is_coloured_as_intended():
    text = (ROOT / "specs/mnist_cnn.arch").read_text().splitlines()
    assert tokens(text[0]) == [(text[0], "comment.line.number-sign.arch")]
    assert tokens(text[1])[:2] == [("network", "storage.type.network.arch"),
                                   ("mnist_cnn", "entity.name.type.network.arch")]
    conv = dict((s, x) for x, s in tokens(text[3]))
    assert conv["support.function.op.arch"] == "maxpool2d"  # the last op of the line
    got = tokens(text[3])
    assert ("conv2d", "support.function.op.arch") in got and ("relu", "support.function.op.arch") in got
    assert ("kernel", "variable.parameter.attribute.arch") in got and ("->", "keyword.operator.chain.arch") in got
    assert ("16", "constant.numeric.integer.arch") in got
    resnet = (ROOT / "specs/resnet32_b.arch").read_text().splitlines()
    block = tokens(resnet[8])  # block basic(C, stride=1) {
    assert block[:2] == [("block", "storage.type.block.arch"), ("basic", "entity.name.function.block.arch")]
    use = tokens(resnet[30])  # down(32) as stage2_down
    assert ("down", "entity.name.function.call.arch") in use and ("stage2_down", "entity.name.label.arch") in use
