"""How each op family looks in a diagram: a colour and a node shape, so the diagram also reads in
black and white. (An op's label is its registry entry's ``label``.)"""

from __future__ import annotations

FAMILY_STYLE: dict[str, dict[str, str]] = {
    "conv": {"fillcolor": "#a6cee3", "shape": "box", "style": "filled"},
    "pool": {"fillcolor": "#fdbf6f", "shape": "invtrapezium", "style": "filled"},
    "resample": {"fillcolor": "#cab2d6", "shape": "parallelogram", "style": "filled"},
    "activation": {"fillcolor": "#b2df8a", "shape": "ellipse", "style": "filled"},
    "norm": {"fillcolor": "#fb9a99", "shape": "box", "style": "filled,rounded,dashed"},
    "linear": {"fillcolor": "#1f78b4", "shape": "box3d", "style": "filled", "fontcolor": "white"},
    "shape": {"fillcolor": "#eeeeee", "shape": "cds", "style": "filled"},
    "merge": {"fillcolor": "white", "shape": "circle", "style": "filled,bold"},
    "regularize": {"fillcolor": "#f0f0f0", "shape": "box", "style": "filled,dotted"},
}
# a merge whose label is more than a glyph (concat and its shape): a rounded box, not a circle
MERGE_BOX_STYLE = {"fillcolor": "white", "shape": "box", "style": "filled,rounded,bold"}
COLLAPSED_STYLE = {"shape": "box3d", "style": "filled,bold", "fillcolor": "#dddddd"}
FAMILY_NAMES = {"conv": "convolution", "pool": "pooling", "resample": "resampling", "activation": "activation",
                "norm": "normalisation", "linear": "linear", "shape": "reshape",
                "merge": "merge (add, multiply, concat)",
                "regularize": "dropout",
                "collapsed": "collapsed block"}
