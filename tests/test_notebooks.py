"""Every tutorial in docs/tutorials runs top to bottom in a Jupyter kernel of this Python (nbclient): each
notebook asserts what it shows, so executing it is the test. The objects archc returns display in a notebook
as a table (archc.check), formulas (archc.explain) and a diagram (archc.render), through their _repr_*_
methods, both called directly and as the kernel sends them."""

import functools
import os

import pytest

import archc
from tests.conftest import ROOT, SHARED_DATA, SPECS

nbformat = pytest.importorskip("nbformat", reason="nbformat and nbclient are in the dev extra")
nbclient = pytest.importorskip("nbclient", reason="nbformat and nbclient are in the dev extra")

TUTORIALS = ROOT / "docs" / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell; none is near it on a loaded 2-core machine


def _skip_unless_available(book) -> None:
    """A notebook's metadata.archc.needs: importable modules ("torch") and data ("data:hw2p1" under
    ../shared/data, found as tests/conftest.py finds it)."""
    for need in book.metadata.get("archc", {}).get("needs", []):
        if need.startswith("data:"):
            path = SHARED_DATA / need.removeprefix("data:")
            if not path.is_dir():
                pytest.skip(f"{path} not found (see shared/data/PROVENANCE.md)")
        else:
            pytest.importorskip(need)


@functools.cache
def _executed(name: str):
    book = nbformat.read(TUTORIALS / name, as_version=4)
    _skip_unless_available(book)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)  # this checkout's archc
    try:
        client = nbclient.NotebookClient(book, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         resources={"metadata": {"path": str(TUTORIALS)}})
        client.execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
        if not env_path:
            del os.environ["PYTHONPATH"]
    return book


def test_a_notebook_whose_data_or_module_is_missing_is_skipped():
    for need in ("data:no_such_folder", "no_such_module_archc"):
        with pytest.raises(pytest.skip.Exception):
            _skip_unless_available(nbformat.from_dict({"metadata": {"archc": {"needs": [need]}}}))


def test_there_is_a_tutorial_per_assignment():
    assert [p.name for p in NOTEBOOKS] == ["adding_an_op.ipynb", "cifar_networks.ipynb", "conv_as_matrix.ipynb",
                                           "mnist_varres.ipynb", "scanning_mlp.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_valid_and_without_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: clear outputs"
    assert sum("assert " in c.source for c in code) >= 3, f"{path.name} should assert what it shows"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_asserts_hold(path):
    book = _executed(path.name)  # a failing cell raises CellExecutionError, naming the cell and the error
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


def _tagged(notebook: str, tag: str) -> dict:
    """The display data of the one cell tagged ``tag``."""
    (cell,) = [c for c in _executed(notebook).cells if tag in c.metadata.get("tags", [])]
    (out,) = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    return out.data


def test_check_shows_a_table_in_the_notebook():
    data = _tagged("mnist_varres.ipynb", "shows-table")
    html, md = data["text/html"], data["text/markdown"]
    assert "<table>" in html and "<td style=\"text-align:left\">conv2d_1</td>" in html and "29,066" in html
    assert "| Layer | Op | Output shape | Params | MACs per sample |" in md and "| linear_1 | linear |" in md
    plain = data["text/plain"]  # a terminal's IPython, or a front end without HTML: the table as printed
    assert plain.startswith("mnist_cnn  (specs/mnist_cnn.arch)")
    assert "RF ┃ Jump ┃" in plain and "Params: 29,066" in plain


def test_explain_shows_formulas_in_the_notebook():
    data = _tagged("mnist_varres.ipynb", "shows-formulas")
    assert "| H_out | ⌊(H_in + 2·p − K) / s⌋ + 1 | ⌊(28 + 2·1 − 3) / 1⌋ + 1 | 28 |" in data["text/markdown"]
    assert "<table>" in data["text/html"] and "5,770" in data["text/html"]
    assert "  H_out = ⌊(H_in + 2·p − K) / s⌋ + 1 = ⌊(28 + 2·1 − 3) / 1⌋ + 1 = 28" in data["text/plain"]


def test_render_shows_a_diagram_in_the_notebook():
    data = _tagged("cifar_networks.ipynb", "shows-diagram")
    svg = data["image/svg+xml"]
    assert "<svg" in svg and "two_layer: 17 parameters" in svg


def test_repr_methods_directly():
    typed = archc.check(str(SPECS / "mnist_cnn.arch"))
    html = typed._repr_html_()
    assert html.count("<tr>") == 1 + len(typed.graph.inputs) + len(typed.layers) + 1  # header, rows, total
    assert "Params: 29,066" in typed._repr_markdown_()
    e = archc.explain(typed, layers="conv2d_1")
    assert "| MACs | C_out·H_out·W_out · C_in·K·K | 16·28·28 · 1·3·3 | 112,896 |" in e._repr_markdown_()
    svg = archc.render(typed)._repr_mimebundle_()["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "mnist_cnn: 29,066 parameters" in svg


def test_every_notebook_is_listed_on_the_tutorials_page():
    page = (ROOT / "docs" / "tutorials.md").read_text()
    assert all(f"](tutorials/{p.name})" in page for p in NOTEBOOKS)


def test_the_teaching_reports_are_top_level_functions():
    from archc import api

    assert all(getattr(archc, name) is getattr(api, name)
               for name in ("explain", "solve", "sweep", "resolutions", "valid_inputs"))
