"""`archc fmt` keeps everything a spec means, or refuses (issue #13): for every spec in specs/ and for
a few hundred seeded mutations of them, the formatted text (DSL -> YAML -> DSL, YAML -> DSL -> YAML)
has the same IR listing, the same checks (duplicates included), the same outputs, the same shape-check
result and the same comments; or fmt raises a diagnostic."""

import random
import re

import pytest

from archc import api
from archc.errors import ArchcError
from archc.parser import parse_dsl, parse_yaml
from tests.conftest import SPECS

ALL = sorted(SPECS.glob("**/*.arch")) + sorted(SPECS.glob("**/*.yaml"))
SMALL = [p for p in ALL if p.parent == SPECS]


def comments(text: str) -> list[str]:
    """Each `#` comment's text, outside double quotes (the test's own reading, not the parser's)."""
    out = []
    for line in text.splitlines():
        m = re.match(r'^((?:[^"#]|"[^"]*")*)#(.*)$', line)
        if m:
            out.append(m.group(2).strip())
    return out


def _unlocated(message: str) -> str:
    return re.sub(r"\bline \d+", "line _", message)


def means(module) -> list:
    """Per network: the IR listing (nodes, checks, outputs) and its parameters, and what checking it
    says (output shapes and parameter count, or the error without its location)."""
    out = []
    for net in module.networks:
        try:
            g = api.load(module, net.name)
            listing = (str(g), sorted(g.params.items(), key=str))
        except ArchcError as e:
            out.append((net.name, "error", _unlocated(e.message)))
            continue
        try:
            t = api.check(module, net.name)
            checked = ([str(s) for s in t.output_shapes], t.total_params)
        except ArchcError as e:
            checked = ("error", _unlocated(e.message))
        out.append((net.name, listing, checked))
    return out


def reparse(text: str, to: str, file: str):
    return (parse_yaml if to == "yaml" else parse_dsl)(text, file)


def round_trip(module) -> int:
    """Format to the other language and back; assert the meaning at each step. Returns how many
    steps were refused (0, 1 or 2): a refusal must be a diagnostic, never another exception."""
    other = "arch" if module.format == "yaml" else "yaml"
    want, want_comments = means(module), comments(module.source)
    current = module
    for to in (other, module.format):
        try:
            text = api.format(current, to)
        except ArchcError as e:
            assert e.format(), "a refusal without a message"
            return 1 if to == other else 2
        current = reparse(text, to, module.file)
        assert means(current) == want, f"formatting {module.file} as {to} changed it:\n{text}"
        assert comments(text) == want_comments, f"formatting {module.file} as {to} lost a comment:\n{text}"
    return 0


@pytest.mark.parametrize("path", ALL, ids=lambda p: str(p.relative_to(SPECS)))
def test_every_spec_keeps_its_meaning_through_both_languages(path):
    assert round_trip(api.parse(path)) == 0


def mutate(text: str, rng: random.Random) -> str:
    """One to three edits a user might make: repeat, drop or swap lines, change a number, add comments,
    expectations and outputs."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        kind = rng.randrange(8)
        if kind == 0:
            lines.insert(i, lines[i])
        elif kind == 1 and len(lines) > 2:
            del lines[i]
        elif kind == 2 and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif kind == 3:
            lines[i] = re.sub(r"\b\d+\b", lambda m: str(rng.randint(1, 9)), lines[i], count=1)
        elif kind == 4:
            lines.insert(i, f"{' ' * rng.randint(0, 4)}# note {rng.randint(0, 99)}")
        elif kind == 5:
            lines[i] += f"  # trailing {rng.randint(0, 99)}"
        elif kind == 6:
            indent = re.match(r"\s*", lines[i]).group()
            lines.insert(i, indent + (f"expect params == {rng.randint(1, 10**6)}" if text.lstrip().startswith(
                ("#", "network", "block", "seq")) else f"- params: {rng.randint(1, 10**6)}"))
        else:
            lines.append(rng.choice(["# the end", "", "  # indented end"]))
    return "\n".join(lines) + "\n"


def test_mutated_specs_keep_their_meaning_or_are_refused():
    rng = random.Random(13)
    tried = kept = refused = 0
    while tried < 300:
        path = rng.choice(SMALL)
        text = mutate(path.read_text(), rng)
        try:
            module = api.parse(str(path.with_name("mutant" + path.suffix)), text)
        except ArchcError:
            continue  # fmt never sees a file that does not parse
        tried += 1
        steps_refused = round_trip(module)
        kept += steps_refused == 0
        refused += steps_refused > 0
    assert kept > 150, f"only {kept} of {tried} mutants went through both languages ({refused} refused)"


def test_the_comparison_sees_a_changed_number_a_dropped_check_and_a_dropped_comment():
    base = api.parse("x.arch", "network n {\n  input x: [N, 4]\n  linear(3)  # c\n  expect params == 15\n"
                     "  expect params == 15\n}\n")
    for other in ("network n {\n  input x: [N, 4]\n  linear(2)  # c\n  expect params == 15\n  expect params == 15\n}\n",
                  "network n {\n  input x: [N, 4]\n  linear(3)  # c\n  expect params == 15\n}\n"):
        assert means(api.parse("x.arch", other)) != means(base)
    assert comments(base.source) == ["c"] and comments('a: "#x"  # y\n') == ["y"]


def test_the_issues_three_drops_are_kept():
    """A second `output`, a duplicate `expect` and a trailing comment (issue #13, item 3)."""
    text = ("network two(h=4) {\n  input x: [N, 8]\n  linear(h) as a : [N, h]\n  linear(3) as b\n  output a, b\n"
            "  expect params == 51\n  expect params == 51\n}\n# trailing comment\n")
    module = api.parse("two.arch", text)
    assert round_trip(module) == 0
    yaml_text = api.format(module, "yaml")
    assert "output: [a, b]" in yaml_text and yaml_text.count("params: 51") == 2
    assert yaml_text.endswith("# trailing comment\n")
    assert str(api.load(reparse(yaml_text, "yaml", "two.yaml"))).count("check params == 51") == 2
