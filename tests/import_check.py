"""What the importer's tests share: import a model, check the spec builds with its weights and gives the
same outputs (float64, eval), and compare two specs' IR (nodes, ops, attributes, shapes, parameters)."""

import archc
from archc.importer.verify import verify


def imported(model, shape, symbolic=None, name=None, seed=0):
    """Import ``model`` on a random input of ``shape``; verify it; the spec text and its state."""
    import torch

    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    result = archc.import_module(model, x, symbolic=symbolic, name=name)
    assert verify(model, result.spec, result.state, x) <= 1e-12
    return result


def same_ir(a, b):
    """Two checked graphs have the same nodes (names, ops, attributes, inputs), shapes and parameter counts."""
    ga, gb = a.graph, b.graph
    rename = dict(zip(gb.input_names, ga.input_names))
    assert [i.shape for i in ga.inputs] == [i.shape for i in gb.inputs]
    assert [n.name for n in ga.nodes] == [n.name for n in gb.nodes]
    for na, nb in zip(ga.nodes, gb.nodes):
        assert (na.op, na.attrs) == (nb.op, nb.attrs), na.name
        assert na.inputs == tuple(rename.get(i, i) for i in nb.inputs), na.name
        assert a.shapes[na.name] == b.shapes[nb.name], na.name
        assert a.layers[na.name].n_params == b.layers[nb.name].n_params, na.name
    assert a.total_params == b.total_params
