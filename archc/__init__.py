"""archc: a compiler for neural-network architectures.

    >>> import archc
    >>> typed = archc.check("specs/mnist_cnn.arch")
    >>> typed.total_params
    29066
"""

from archc import ops  # noqa: F401 - registers every op
from archc.api import check, compile, emit, format, import_module, load, parse, render, summary  # noqa: A004
from archc.api_teach import explain, resolutions, solve, sweep, valid_inputs
from archc.errors import ArchcError, EmitError, ShapeError, SpecError, SpecSyntaxError

__all__ = ["ArchcError", "EmitError", "ShapeError", "SpecError", "SpecSyntaxError",
           "check", "compile", "emit", "explain", "format", "import_module", "load", "parse", "render", "resolutions",
           "solve", "summary", "sweep", "valid_inputs"]
__version__ = "0.2.0"
