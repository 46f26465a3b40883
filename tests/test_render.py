"""Diagrams: every spec renders; layers, shapes and residual edges are in the SVG."""

import shutil
import xml.etree.ElementTree as ET

import pytest

import archc
from archc.cli import main
from archc.diagram import render_graph, write
from archc.diagram.styles import FAMILY_STYLE
from archc.dims import shape_str
from archc.errors import EmitError
from archc.ops import REGISTRY
from tests.conftest import SPECS

SPEC_NETS = [(p.name, n.name) for p in sorted(SPECS.glob("*.arch")) for n in archc.parse(str(p)).networks]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz `dot` is not installed (run.sh installs it)")
NS = "{http://www.w3.org/2000/svg}"


def test_every_family_has_a_style():
    assert {op.family for op in REGISTRY.values()} <= set(FAMILY_STYLE)


def svg_of(dot):
    root = ET.fromstring(dot.pipe(format="svg"))
    nodes, edges = {}, []
    for g in root.iter(f"{NS}g"):
        title = g.find(f"{NS}title")
        texts = [t.text or "" for t in g.iter(f"{NS}text")]
        if g.get("class") == "node":
            nodes[title.text] = texts
        elif g.get("class") == "edge":
            src, _, dst = title.text.partition("->")
            style = [p.get("stroke-dasharray") for p in g.iter(f"{NS}path")]
            edges.append((src, dst, texts, any(style)))
    return nodes, edges


@needs_dot
@pytest.mark.parametrize("spec,network", SPEC_NETS, ids=[f"{s}:{n}" for s, n in SPEC_NETS])
def test_every_layer_appears_with_its_shape(spec, network):
    typed = archc.check(str(SPECS / spec), network)
    nodes, edges = svg_of(render_graph(typed))
    edge_labels = {(s, d): " ".join(t).strip() for s, d, t, _ in edges}
    for node in typed.graph.nodes:
        texts = nodes[f"n_{node.name}"]
        if REGISTRY[node.op].family != "merge":  # a layer shows its name within its block (the cluster the block)
            assert node.local in texts, node.name
        elif node.op == "concat":  # a join shows what it is
            assert "concat" in texts, node.name
        shape = shape_str(typed.shapes[node.name], pretty=True)
        outgoing = [label for (s, _), label in edge_labels.items() if s == f"n_{node.name}"]
        assert any(shape in label for label in outgoing) or shape in " ".join(texts), (node.name, shape)
    adds = [n for n in typed.graph.nodes if n.op == "add"]
    skips = [(s, d) for s, d, t, dashed in edges if dashed and "skip" in " ".join(t)]
    for add in adds:
        assert (f"n_{add.inputs[1]}", f"n_{add.name}") in skips
    # the other skips are a concat's values saved earlier (a U-Net's encoder outputs)
    concats = {f"n_{n.name}" for n in typed.graph.nodes if n.op == "concat"}
    assert len([d for _, d in skips if d not in concats]) == len(adds)


@needs_dot
def test_symbolic_shapes_are_drawn_as_such():
    _, edges = svg_of(archc.render(str(SPECS / "varres_cnn.arch")))
    labels = " ".join(" ".join(t) for _, _, t, _ in edges)
    assert "N×81×⌊H/8⌋×⌊W/8⌋" in labels


@needs_dot
@pytest.mark.parametrize("spec,expanded,collapsed", [
    # collapsed by hand: resnet32 = conv1, bn1, relu + stage1, stage2_down, stage2, stage3_down, stage3 + pool, fc
    ("resnet32.arch", None, 10),
    # preact: 13 plain layers (conv0..3, maxpool1..5, norm, relu, flatten, fc) + 9 preact blocks
    ("preact_convnet.arch", None, 22),
])
def test_collapse_keeps_big_networks_readable(spec, expanded, collapsed):
    typed = archc.check(str(SPECS / spec))
    full, _ = svg_of(render_graph(typed, legend=False))
    small, _ = svg_of(render_graph(typed, collapse=1, legend=False))
    inputs = {f"n_{i.name}" for i in typed.graph.inputs}
    layers = lambda nodes: [k for k in nodes if k.startswith("n_") and k not in inputs]  # noqa: E731
    assert len(layers(full)) == len(typed.graph.nodes)
    assert len(layers(small)) == collapsed


@needs_dot
def test_scan_can_be_drawn_as_mlp_or_cnn():
    typed = archc.check(str(SPECS / "scan_simple.arch"))
    mlp, _ = svg_of(render_graph(typed, scan_as="mlp"))
    cnn, _ = svg_of(render_graph(typed, scan_as="cnn"))
    assert "linear 192→8" in mlp["n_mlp.layer1"]
    assert "conv1d 8 /4 p0" in cnn["n_mlp.layer1"]


@needs_dot
def test_render_cli_formats(tmp_path):
    for suffix in ("svg", "png", "pdf", "dot"):
        out = tmp_path / f"net.{suffix}"
        assert main(["render", str(SPECS / "mnist_cnn.arch"), "-o", str(out), "--rankdir", "LR"]) == 0
        assert out.stat().st_size > 100
    assert (tmp_path / "net.png").read_bytes()[:4] == b"\x89PNG"
    assert "rankdir=LR" in (tmp_path / "net.dot").read_text()


def test_missing_dot_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    dot = archc.render(str(SPECS / "mnist_cnn.arch"))
    with pytest.raises(EmitError) as info:
        write(dot, str(tmp_path / "x.svg"))
    assert "not installed" in info.value.message and "apt-get install graphviz" in info.value.hint
    write(dot, str(tmp_path / "x.dot"))  # the source needs no Graphviz


def test_render_returns_a_digraph_for_notebooks():
    dot = archc.render(str(SPECS / "mnist_cnn.arch"))
    assert hasattr(dot, "_repr_mimebundle_") and "conv2d_1" in dot.source


ZOO_DIAGRAMS = ["zoo/resnet50.arch", "zoo/inception_v3.arch", "unet.arch"]


@needs_dot
@pytest.mark.parametrize("spec", ZOO_DIAGRAMS, ids=lambda s: s.rsplit("/", 1)[-1])
def test_collapsed_by_blocks_is_small_and_keeps_every_concat(spec):
    """`archc render --collapse`: blocks without a concat are one node each, and every concat is still
    drawn, with its output shape in its node."""
    typed = archc.check(str(SPECS / spec))
    full, _ = svg_of(render_graph(typed, legend=False))
    small, edges = svg_of(render_graph(typed, collapse="blocks", legend=False))
    drawn = lambda nodes: [k for k in nodes if k.startswith("n_")]  # noqa: E731
    assert len(drawn(full)) == len(typed.graph.nodes) + len(typed.graph.inputs)
    assert 3 * len(drawn(small)) <= len(drawn(full)), (len(drawn(small)), len(drawn(full)))
    for node in (n for n in typed.graph.nodes if n.op == "concat"):
        texts = small[f"n_{node.name}"]
        assert "concat" in texts and shape_str(typed.shapes[node.name], pretty=True) in texts, node.name
        assert len([d for _, d, _, _ in edges if d == f"n_{node.name}"]) == len(set(node.inputs)), node.name


@needs_dot
def test_collapsed_unet_draws_its_skips_into_the_concats():
    typed = archc.check(str(SPECS / "unet.arch"))
    _, edges = svg_of(render_graph(typed, collapse="blocks", legend=False))
    skips = {(s, d) for s, d, t, dashed in edges if dashed and "skip" in " ".join(t)}
    assert skips == {(f"n_cluster__enc{k}", f"n_dec{k}.concat_1") for k in (1, 2, 3, 4)}


@needs_dot
def test_collapsed_inception_folds_each_branch_into_one_node():
    typed = archc.check(str(SPECS / "zoo/inception_v3.arch"), input_shape=(1, 3, 299, 299))
    nodes, _ = svg_of(render_graph(typed, collapse="blocks", legend=False))
    branch = " ".join(nodes["n_branch__Mixed_5b.concat_1__2"])  # 1x1 64, 3x3 96, 3x3 96
    assert "branch3x3dbl_1" in branch and "conv2d 3x3 /1 p1 → 96" in branch and "151,040 params" in branch
    assert "concat" in nodes["n_Mixed_5b.concat_1"] and "1×256×35×35" in nodes["n_Mixed_5b.concat_1"]


def test_render_collapse_option(tmp_path):
    out = tmp_path / "net.dot"
    assert main(["render", str(SPECS / "unet.arch"), "-o", str(out), "--collapse"]) == 0
    assert "cluster__enc1" in out.read_text() and "n_enc1.conv1" not in out.read_text()
    assert main(["render", str(SPECS / "unet.arch"), "-o", str(out), "--collapse", "2"]) == 0
    assert "cluster__enc2__conv" in out.read_text()
    with pytest.raises(SystemExit):
        main(["render", str(SPECS / "unet.arch"), "-o", str(out), "--collapse", "0"])
