"""Loading emitted source as a module, for the tests that run it."""

import importlib.util
import itertools
import sys

_count = itertools.count()


def load_source(text, tmp_path, stem="emitted"):
    """Import ``text`` as a fresh module (from a file in tmp_path) and return it."""
    name = f"{stem}_{next(_count)}"
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def model_class(mod, network):
    """The emitted model class of ``network`` (the last class defined in the module)."""
    from archc.codegen import class_name

    for suffix in ("", "Numpy"):
        cls = getattr(mod, class_name(network, suffix), None)
        if cls is not None:
            return cls
    raise AssertionError(f"no class for {network} in {mod.__name__}")
