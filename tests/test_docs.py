"""Documentation that cannot drift: every example in the docs is a spec that checks, every console
block's shown output is what the command prints, every Python block runs, the op reference is the
registry's, and the site builds with mkdocs --strict."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import archc
from archc.reference import markdown, op_reference
from tests.doc_blocks import blocks, commands, matches

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [b for path in DOCS for b in blocks(path)]
CONSOLE = [b for b in BLOCKS if b.lang == "console"]
PYTHON_FILES = sorted({b.path for b in BLOCKS if b.lang == "python"})
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.*"))


def _id(b):
    return f"{b.path.relative_to(ROOT)}:{b.line}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_spec_checks(path):
    module = archc.parse(str(path))
    for net in module.networks:
        archc.check(module, net.name)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.example], ids=_id)
def test_shown_examples_are_the_files(block):
    assert block.text == (block.path.parent / block.example).read_text(), f"{_id(block)} shows a stale copy"


def test_every_example_file_is_shown_in_the_docs():
    shown = {(b.path.parent / b.example).resolve() for b in BLOCKS if b.example}
    assert {p.resolve() for p in EXAMPLES} <= shown


def test_the_op_reference_page_is_the_registry():
    page = (ROOT / "docs" / "ops.md").read_text()
    assert page == markdown(op_reference()), "docs/ops.md is stale: run `archc ops --markdown > docs/ops.md`"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder where doc commands run: the repository's specs and docs beside them, read-only by use."""
    d = tmp_path_factory.mktemp("docs")
    for name in ("specs", "docs", "bench", "tests"):
        (d / name).symlink_to(ROOT / name)
    (d.parent / "shared").mkdir(exist_ok=True)
    if (ROOT.parent / "shared" / "data").exists() and not (d.parent / "shared" / "data").exists():
        (d.parent / "shared" / "data").symlink_to(ROOT.parent / "shared" / "data")
    return d


def _env():
    env = dict(os.environ, COLUMNS="120", TERM="dumb", NO_COLOR="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


@pytest.mark.parametrize("block", CONSOLE, ids=_id)
def test_console_blocks_print_what_they_show(block, workdir):
    for command, shown in commands(block):
        done = subprocess.run(["bash", "-c", command], cwd=workdir, env=_env(), capture_output=True, text=True,
                              timeout=600)
        actual = (done.stdout + done.stderr).splitlines()
        assert matches(shown, actual), (f"{_id(block)}: `{command}` printed:\n" + "\n".join(actual)
                                        + "\n--- the docs show:\n" + "\n".join(shown))


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, workdir):
    code = "\n\n".join(b.text for b in blocks(path) if b.lang == "python")
    script = workdir / f"blocks_{path.stem}.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], cwd=workdir, env=_env(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{path.name}'s Python blocks fail:\n{done.stderr[-3000:]}"


def test_the_site_builds_strictly(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is a dev dependency (pip install -e '.[dev]')")
    done = subprocess.run([mkdocs, "build", "--strict", "-q", "-d", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


UNRUN = {"$ archc import models:Net --input 1,3,16,16"}  # the page does not show the models.py it imports


def test_every_shown_command_is_a_console_block_that_runs():
    """A block of docs/ that starts with `$ archc ...` is a ```console block, so the test above runs it."""
    plain = [_id(b) for b in BLOCKS if b.path.parent.name == "docs" and b.lang != "console"
             and b.text.startswith("$ ") and b.text.splitlines()[0] not in UNRUN]
    assert not plain, f"make these ```console blocks (their output is then checked): {plain}"


def test_the_readme_counts_the_registrys_ops():
    import re

    from archc.ops import REGISTRY

    shown = re.search(r"\[docs/ops\.md\]\(docs/ops\.md\), (\d+) ops\)", (ROOT / "README.md").read_text())
    assert shown and int(shown.group(1)) == len(REGISTRY), "the README's op count is not the registry's"


def test_the_readmes_op_table_is_the_registrys():
    from archc.reference import table

    assert table(op_reference()) in (ROOT / "README.md").read_text(), "the README's op table is stale"
