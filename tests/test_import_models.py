"""archc import on models written the way people write them: each import checks, loads the model's
state dict strictly, and gives the model's outputs exactly (float64, eval mode)."""

import pytest

import archc
from tests.conftest import ROOT, SPECS
from tests.import_check import imported

torch = pytest.importorskip("torch")

from tests.import_models import densenet, mobilenet, resnet, unet  # noqa: E402


def test_resnet18_reads_like_the_zoo_spec():
    result = imported(resnet.resnet18(), (1, 3, 64, 64), symbolic="N,H,W", name="resnet18")
    text = result.spec
    assert len(text.splitlines()) < 40
    assert "residual {" in text and "} shortcut {" in text and "seq as downsample {" in text
    assert "repeat 2 as layer1 {" in text and "basic_block(128, stride=2) -> basic_block(128)" in text
    # one block: the instances with a downsample and those without differ only by that shortcut
    assert text.count("block ") == 1 and "block basic_block(C, stride=1) {" in text
    assert "  } shortcut {\n    if stride != 1 {\n      seq as downsample {" in text
    typed = archc.check(text)
    zoo = archc.check(str(SPECS / "zoo" / "resnet18.arch"))
    assert typed.total_params == zoo.total_params == 11_689_512
    assert [n.name for n in typed.graph.nodes if typed.layers[n.name].n_params] == \
        [n.name for n in zoo.graph.nodes if zoo.layers[n.name].n_params]
    assert set(result.state) == set(resnet.resnet18().state_dict())


def test_resnet18_in_the_docs_is_what_the_importer_writes():
    result = imported(resnet.resnet18(), (1, 3, 64, 64), symbolic="N,H,W", name="resnet18")
    for page in (ROOT / "docs" / "import.md", ROOT / "README.md"):
        assert result.spec in page.read_text(), f"{page.name} shows a stale import"


def test_unet_with_cat_and_pad_to_the_skip():
    result = imported(unet.UNet(), (2, 3, 32, 32))
    assert "block up_block(C, x2) {" in result.spec and "x2 -> concat(up)" in result.spec
    assert "up_block(32, x2=down2) as up1" in result.spec


def test_unet_refuses_symbolic_sizes_it_pads_by():
    with pytest.raises(archc.ArchcError, match="computed from a tensor's size") as e:
        imported(unet.UNet(), (2, 3, 32, 32), symbolic="N,H,W")
    assert "'up1' (Up)" in str(e.value) and "unet.py" in str(e.value)


def test_mobilenet_v3_with_squeeze_excitation():
    result = imported(mobilenet.MobileNetV3(), (2, 3, 64, 64), symbolic="N,H,W")
    text = result.spec
    assert "block squeeze_excitation(C, C2) {" in text and "-> mul(in)" in text
    assert "seq conv_bn_activation(C, kernel, stride, groups) {" in text
    assert "conv2d(C, kernel, stride=stride, padding=kernel // 2, groups=groups, bias=false)" in text


def test_densenet_block_concatenates_its_input():
    result = imported(densenet.DenseNet(), (2, 3, 16, 16))
    assert "concat {\n    branch {\n    }\n    branch {" in result.spec
    assert "repeat 3 as 0 {" in result.spec and "seq transition {" in result.spec


def test_mnist_cnn_sequential_is_the_course_spec():
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import reference_nets

    result = imported(reference_nets.mnist_cnn(), (2, 1, 28, 28), name="mnist_cnn")
    a, b = archc.check(result.spec), archc.check(str(SPECS / "mnist_cnn.arch"))
    assert [(n.op, n.attrs, a.shapes[n.name]) for n in a.graph.nodes] == \
        [(n.op, n.attrs, b.shapes[n.name]) for n in b.graph.nodes]
    assert a.total_params == 29066
    assert "conv2d(16, 3, padding=1) as 0 -> relu as 1 -> maxpool2d(2) as 2" in result.spec


@pytest.mark.parametrize(("name", "shape"), [("mnist_cnn", (2, 1, 28, 28)), ("hw2p1_cnn", (2, 24, 128))])
def test_reference_nets(name, shape):
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import reference_nets

    result = imported(getattr(reference_nets, name)(), shape, name=name)
    b = archc.check(str(SPECS / f"{name}.arch"))
    assert archc.check(result.spec).total_params == b.total_params


class _PadToEven(torch.nn.Module):
    """A model fx cannot trace (``if`` on a size): torch.export follows the example's branch."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.gamma = torch.nn.Parameter(torch.full((4, 1, 1), 0.5))
        self.pool = torch.nn.MaxPool2d(2)

    def forward(self, x):
        x = self.conv(x)
        if x.shape[-1] % 2:
            x = torch.nn.functional.pad(x, [0, 1, 0, 1])
        a, b = x.chunk(2, dim=1)
        return self.pool(torch.cat([b, a], 1) * self.gamma).flatten(1)


def test_export_follows_a_branch_on_sizes():
    result = imported(_PadToEven(), (2, 3, 9, 9))
    assert "pad(((0, 1),))" in result.spec and "chunk(2, 1)" in result.spec
    assert "layer_scale(0.5) as gamma" in result.spec


def test_export_refuses_symbolic_sizes_it_specialised():
    with pytest.raises(archc.ArchcError, match="specialised"):
        imported(_PadToEven(), (2, 3, 9, 9), symbolic="N,H,W")


def test_densenet_of_torchvisions_kind_reads_the_list_of_features():
    result = imported(densenet.ListDenseNet(), (2, 3, 8, 8), symbolic="N,H,W")
    assert "concat(denselayer1, denselayer2) -> batchnorm2d as norm1" in result.spec
    assert "in -> concat(denselayer1, denselayer2, denselayer3)" in result.spec


def test_module_list_and_dict_children_called_by_the_parent():
    from tests.import_models.lists import Lists

    result = imported(Lists(), (2, 3, 8, 8))
    assert "seq as blocks {\n    block_block -> relu as relu_1 -> block_block -> relu as relu_2 -> block_block\n  }" \
        in result.spec  # "block" is a keyword: the block is block_block
    assert "repeat 2 as layers {" in result.spec and "seq as head {" in result.spec


class _Aliased(torch.nn.Module):
    """``z = y; z += ...``: fx's graph would miss that y changed too; the importer sees the difference and
    follows torch.export, which does not."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 1)
        self.conv2 = torch.nn.Conv2d(3, 3, 1)

    def forward(self, x):
        y = self.conv(x)
        z = y
        z += self.conv2(x)
        return y * z


def test_an_in_place_change_fx_cannot_see_is_followed_by_export():
    result = imported(_Aliased(), (2, 3, 4, 4))
    assert "} shortcut {" in result.spec and "mul(residual_1)" in result.spec


class ProjectionFirst(torch.nn.Module):
    """RegNet's order: the projection shortcut runs (and is registered) before the body, and the sum reads
    the body first; ConvNeXt's block owns a learned scale named like its op, layer_scale."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = torch.nn.Conv2d(4, 8, 1, stride=2)
        self.f = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, stride=2, padding=1), torch.nn.ReLU())
        self.layer_scale = torch.nn.Parameter(torch.full((8, 1, 1), 0.5))

    def forward(self, x):
        shortcut = self.proj(x)
        return self.layer_scale * self.f(x) + shortcut


def test_a_shortcut_run_first_keeps_the_models_order():
    result = imported(ProjectionFirst(), (2, 4, 8, 8))
    assert "conv2d(8, 1, stride=2) as proj\n  x -> seq as f {" in result.spec
    assert "layer_scale(0.5) as layer_scale -> add(proj)" in result.spec
    typed = archc.check(result.spec)
    assert [n.name for n in typed.graph.nodes] == ["proj", "f.0", "f.1", "layer_scale", "add_1"]
    assert list(archc.compile(typed, target="torch").state_dict()) == list(ProjectionFirst().state_dict())
