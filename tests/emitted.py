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
    """The emitted model class of ``network``: the module's ``MODEL``, whose docstring names the network."""
    cls = getattr(mod, "MODEL", None)
    if cls is None:
        raise AssertionError(f"{mod.__name__} names no MODEL class")
    assert (cls.__doc__ or "").startswith(f"{network}"), f"MODEL of {mod.__name__} is {cls.__name__}: {cls.__doc__}"
    assert f"The model is the class {cls.__name__} " in mod.__doc__
    return cls
