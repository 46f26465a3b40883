"""Hostile inputs that would run for minutes or take gigabytes (issue #13): each is refused with a
diagnostic naming the limit and how to raise it. Each runs `archc` in a subprocess under a
wall-clock timeout and a 2 GiB address-space limit, so a regression fails rather than hangs."""

import os
import resource
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SPECS

MEMORY = 2 * 2**30  # bytes of address space: far more than any of these needs when refused early


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def archc(*argv, cwd, timeout=60):
    """Exit code and stderr of ``archc ARGV`` in a subprocess, under the time and memory limits."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "archc", *map(str, argv)], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, preexec_fn=_limit_memory, env=env)
    return r.returncode, r.stderr


NET = "network t {{\n  input x: [N, 4, a, b, c, d, e, f, g, h]\n  {body}\n}}\n"
SUM = "(a+b+c+d+e+f+g+h)"
FANOUT = "block b0 { relu }\n" + "".join(f"block b{i} {{ b{i - 1} -> b{i - 1} }}\n" for i in range(1, 41)) + \
    "network t {\n  input x: [N, 4]\n  b40\n}\n"
LAUGHS = ("network: t\ninput: {x: [N, 4]}\nlayers:\n  - linear: [&a [x,x,x,x,x,x,x,x,x], "
          + ", ".join(f"&{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)) + "]\n")

CASES = [  # (label, file name, text, message, the option that raises the limit)
    ("repeat of a billion", "a.arch", NET.format(body="repeat 1000000000 { relu }"),
     "repeat 1,000,000,000 would make the network larger than 100,000 layers", "--max-nodes"),
    ("block fan-out of 2^40 layers", "a.arch", FANOUT,
     "block 'b40' expands to at least 1,099,511,627,776 layers", "--max-nodes"),
    ("billion laughs of YAML aliases", "a.yaml", LAUGHS,
     "more than 1,000,000 values with its aliases expanded", "--max yaml_nodes=N"),
    ("expected shape (a+...+h)^12", "a.arch", NET.format(body="relu : [N, 4, a, b, c, d, e, f, g, "
                                                         + "*".join([SUM] * 12) + "]"),
     "terms, more than the limit of 10,000", "--max terms=N"),
    ("a spec of 5 MiB", "a.arch", "# " + "x" * (5 * 2**20) + "\n" + NET.format(body="relu"),
     "bytes is larger than the limit for a spec", "--max spec_bytes=N"),
    ("250 nested repeats", "a.arch", NET.format(body="repeat 1 { " * 250 + "relu" + " }" * 250),
     "brackets are nested more than 100 deep", "--max nesting=N"),
    ("5000 nested parentheses", "a.arch", NET.format(body="linear(" + "(" * 5000 + "1" + ")" * 5000 + ")"),
     "brackets are nested more than 100 deep", "--max nesting=N"),
    ("3000 nested YAML lists", "a.yaml", "network: t\ninput: {x: [N, 4]}\nlayers:\n  - linear: "
     + "[" * 3000 + "1" + "]" * 3000 + "\n", "YAML lists and mappings are nested more than 100 deep",
     "--max nesting=N"),
    ("a sum of 100,000 ones", "a.arch", NET.format(body="linear(" + "+".join(["1"] * 100_000) + ")"),
     "the text has more than 100,000 tokens", "--max tokens=N"),
    ("a YAML sum of 5,000 ones", "a.yaml", "network: t\ninput: {x: [N, 4]}\nlayers:\n  - linear: '"
     + "+".join(["1"] * 5000) + "'\n", "the expression is nested more than 100 deep", "--max nesting=N"),
    ("5,000 minus signs", "a.arch", NET.format(body="linear(" + "-" * 5000 + "1)"),
     "the expression is nested more than 100 deep", "--max nesting=N"),
    ("200 chained block calls", "a.arch", "block b0 { relu }\n" + "".join(f"block b{i} {{ b{i - 1} }}\n"
                                                                        for i in range(1, 201))
     + "network t {\n  input x: [N, 4]\n  b200\n}\n", "blocks and groups are nested more than 48 deep",
     "--max depth=N"),
]


@pytest.mark.parametrize("label,name,text,message,option", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_spec_is_refused_quickly_naming_the_limit(label, name, text, message, option, tmp_path):
    (tmp_path / name).write_text(text)
    code, err = archc("check", name, cwd=tmp_path)
    assert code == 1, (label, err)
    assert message in err and option in err, err
    assert "Traceback" not in err and f"{name}:" in err


def test_raising_a_limit_lets_the_spec_through(tmp_path):
    """A negative control: the limit, not the spec, refused; raised, the same spec checks."""
    text = NET.format(body="repeat 1 { " * 120 + "relu" + " }" * 120)
    (tmp_path / "a.arch").write_text(text)
    code, err = archc("check", "a.arch", cwd=tmp_path)
    assert code == 1 and "--max nesting=N" in err
    code, err = archc("check", "a.arch", "--max", "nesting=130", "--max", "depth=200", cwd=tmp_path)
    assert code == 0, err


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_not_read(device, tmp_path):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    code, err = archc("check", device, cwd=tmp_path, timeout=30)
    assert code == 1 and f"{device}: not a regular file" in err


@pytest.mark.parametrize("spec,layer_message", [
    ("preact_convnet.arch", "would have 201,326,592 entries"),
    ("resnet32.arch", "is not a linear layer"),
])
def test_lower_estimates_the_matrix_or_checks_linearity_before_building(spec, layer_message, tmp_path):
    """preact_convnet's dense matrix is 1.5 GiB: refused before it is allocated. resnet32 with the
    size limit raised: its first relu is found non-linear before anything is built."""
    extra = ["--max-elements", str(10**12)] if spec == "resnet32.arch" else []
    code, err = archc("lower", SPECS / spec, "-o", "m.npz", *extra, cwd=tmp_path)
    assert code == 1 and layer_message in err and not (tmp_path / "m.npz").exists(), err
    if spec == "preact_convnet.arch":
        assert "--max-elements" in err


def test_lower_of_a_trillion_wide_linear_is_refused(tmp_path):
    (tmp_path / "a.arch").write_text("network t {\n  input x: [N, 4]\n  linear(1000000000000)\n}\n")
    code, err = archc("lower", "a.arch", "-o", "m.npz", cwd=tmp_path)
    assert code == 1 and "4,000,000,000,000 entries" in err and "--max-elements" in err
    assert "a.arch:3:3:" in err


def test_render_refuses_a_diagram_dot_would_take_minutes_on(tmp_path):
    """20,000 drawn nodes once ran dot for 115 s until it died of memory: refused before dot starts,
    and --collapse or a raised limit draws it."""
    (tmp_path / "a.arch").write_text(NET.format(body="repeat 20000 { relu }").replace(", a, b, c, d, e, f, g, h", ""))
    code, err = archc("render", "a.arch", "-o", "a.svg", cwd=tmp_path)
    assert code == 1 and "a.arch:3:18: error: the diagram would draw more than 2,000 nodes" in err, err
    assert "--collapse" in err and "--max render_nodes=N" in err and not (tmp_path / "a.svg").exists()
    code, err = archc("render", "a.arch", "-o", "a.svg", "--collapse", "1", cwd=tmp_path)
    assert code == 0 and (tmp_path / "a.svg").read_bytes().startswith(b"<?xml"), err
    code, err = archc("render", "a.arch", "-o", "a.dot", "--max", "render_nodes=30000", cwd=tmp_path)
    assert code == 0 and (tmp_path / "a.dot").read_text().count("<BR/>relu>") == 20000, err
