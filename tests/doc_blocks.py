"""Fenced blocks of Markdown files, for the tests that run the documentation.

- ```console: lines starting with `$ ` are commands; the lines after one, up to the next, are its
  shown output (`...` alone on a line skips any number of lines; numbers with a unit of time, and
  paths under a temporary folder, are compared loosely).
- ```python: run, one file's blocks in order, in one namespace.
- a block right after `<!-- example: PATH -->` must be that file, verbatim.
"""

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n$")


@dataclass
class Block:
    path: Path
    line: int
    lang: str
    text: str
    example: str | None  # the file it must equal


def blocks(path: Path) -> list[Block]:
    text = path.read_text()
    out = []
    for m in FENCE.finditer(text):
        before = text[:m.start()]
        ex = EXAMPLE.search(before[-200:])
        out.append(Block(path, before.count("\n") + 1, m.group(1), m.group(2), ex.group(1) if ex else None))
    return out


def commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, shown output lines) of a console block."""
    out: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    return out


TIME = re.compile(r"\d+(\.\d+)?\s?(ms|s|µs|us)\b")


def _norm(line: str) -> str:
    return TIME.sub("<time>", line.rstrip())


def matches(shown: list[str], actual: list[str]) -> bool:
    """Whether the actual output lines are the shown ones (with `...` lines matching any run of lines)."""
    shown = [_norm(s) for s in shown]
    actual = [_norm(a) for a in actual]
    while shown and not shown[-1]:
        shown.pop()
    while actual and not actual[-1]:
        actual.pop()

    def match(i: int, j: int) -> bool:
        if i == len(shown):
            return j == len(actual)
        if shown[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and shown[i] == actual[j] and match(i + 1, j + 1)

    return match(0, 0)
