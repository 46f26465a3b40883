"""Random and mutated spec text: nothing escapes but archc's own diagnostics."""

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archc
from archc.errors import ArchcError
from tests.conftest import SPECS

SEEDS = [p.read_text() for p in sorted(SPECS.glob("*.arch"))] + [p.read_text() for p in sorted(SPECS.glob("*.yaml"))]
SUFFIX = [".arch"] * len(list(SPECS.glob("*.arch"))) + [".yaml"] * len(list(SPECS.glob("*.yaml")))
TOKENS = ["network", "block", "input", "output", "expect", "residual", "repeat", "scan", "shortcut", "as",
          "{", "}", "(", ")", "[", "]", ",", ":", "->", "=", "==", "+", "-", "*", "/", "//", "0", "1", "-3", "2.5",
          "N", "H", "x", "conv2d", "linear", "relu", "add", "flatten", "maxpool2d", "global_pool", "floor",
          "ceil", "kernel", "stride", "true", "'s'", "\n", "#c\n", "  ", "- ", "layers:", "network:"]


def _compile(text: str, suffix: str) -> None:
    module = archc.parse(f"fuzz{suffix}", text)
    for net in module.networks:
        archc.check(module, net.name)


def _run(text: str, suffix: str) -> None:
    try:
        _compile(text, suffix)
    except ArchcError as e:
        assert e.format()  # a diagnostic always renders


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60), st.sampled_from([".arch", ".yaml"]))
def test_random_token_soup(tokens, suffix):
    _run(" ".join(tokens), suffix)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from([".arch", ".yaml"]))
def test_random_text(text, suffix):
    _run(text, suffix)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SEEDS) - 1), st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_mutated_specs(which, seed, n_mutations):
    rng = random.Random(seed)
    text = SEEDS[which]
    for _ in range(n_mutations):
        i = rng.randrange(len(text) + 1)
        kind = rng.randrange(5)
        if kind == 0 and text:  # delete a span
            text = text[:i] + text[i + rng.randrange(1, 8):]
        elif kind == 1:  # insert a token
            text = text[:i] + rng.choice(TOKENS) + text[i:]
        elif kind == 2 and text:  # replace a digit-ish character
            text = text[:i] + rng.choice("0123456789-_xN(){}[]") + text[i + 1:]
        elif kind == 3:  # duplicate a line
            lines = text.splitlines(keepends=True)
            if lines:
                j = rng.randrange(len(lines))
                lines.insert(j, lines[j])
                text = "".join(lines)
        else:  # swap two characters
            if len(text) > 2:
                j = rng.randrange(len(text) - 1)
                text = text[:j] + text[j + 1] + text[j] + text[j + 2:]
    _run(text, SUFFIX[which])


def test_deep_nesting_is_a_diagnostic():
    text = "network t { input x: [N, " + "(" * 5000 + "1" + ")" * 5000 + "] }"
    _run(text, ".arch")


def test_the_command_line_survives_mutated_specs_yaml_and_weights(tmp_path):
    """Every command, in-process, on mutated specs, YAML and weight files (tests/cli_fuzz.py): nothing
    escapes but a diagnostic, and a failed command writes nothing. ARCHC_FUZZ_N=5000 runs a long fuzz
    (ARCHC_FUZZ_SEED picks the first case)."""
    from tests.cli_fuzz import STATS, fuzz

    n = int(os.environ.get("ARCHC_FUZZ_N", "300"))
    ran, failures = fuzz(n, int(os.environ.get("ARCHC_FUZZ_SEED", "0")), tmp_path)
    assert ran == n and not failures, f"{len(failures)} of {n} cases failed:\n" + "\n".join(failures[:20])
    reached = {command for command, code in STATS if code == 0}
    assert {"check", "fmt", "emit", "summary", "train", "lower"} <= reached, STATS  # not only failures
