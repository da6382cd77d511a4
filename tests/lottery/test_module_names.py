"""No lottery module is shadowed by a function of its name: the renamed modules are modules under their new
names, the old import paths keep working with a DeprecationWarning, and the functions (``lt.train``,
``lt.reinit``, ``lottery.methods.gmp``, ...) stay functions."""

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import lottery
from lottery._compat import RENAMED_MODULES

PACKAGES = ["lottery", "lottery.methods", "lottery.gallery", "lottery.experiments"]


def test_no_package_attribute_shadows_a_submodule():
    clashes = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{name}.{info.name}")
            attribute = getattr(package, info.name)
            if attribute is not module:
                clashes.append(f"{name}.{info.name} is {type(attribute).__name__}")
    assert clashes == []


@pytest.mark.parametrize("new", sorted(RENAMED_MODULES.values()))
def test_the_new_module_names_are_modules(new):
    module = importlib.import_module(new)
    assert inspect.ismodule(module) and module.__name__ == new
    assert module.__file__.endswith(new.rpartition(".")[2] + ".py")
    package, _, leaf = new.rpartition(".")
    assert getattr(importlib.import_module(package), leaf) is module  # `import new as m` gives the module


def test_the_functions_keep_their_names():
    from lottery.methods import METHODS

    assert (
        inspect.isfunction(lottery.train)
        and lottery.train is importlib.import_module("lottery.training").train
    )
    assert inspect.isfunction(lottery.reinit)
    assert lottery.reinit is importlib.import_module("lottery.reinitialisation").reinit
    for old in RENAMED_MODULES:
        package, _, leaf = old.rpartition(".")
        function = getattr(importlib.import_module(package), leaf)
        assert inspect.isfunction(function), old
    assert lottery.methods.gmp is METHODS["gmp"] and lottery.methods.tropical_prune is METHODS["tropical"]


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED_MODULES.items()))
def test_old_import_paths_warn_and_give_the_same_objects(old, new):
    module, target = importlib.import_module(old), importlib.import_module(new)
    assert inspect.ismodule(module)
    for attribute in target.__all__:
        with pytest.warns(DeprecationWarning, match=f"the module {old} is deprecated.*from {new}"):
            value = getattr(module, attribute)
        assert value is getattr(target, attribute)
    with pytest.warns(DeprecationWarning), pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_from_old_module_import_works_in_a_fresh_interpreter():
    """``from lottery.train import TrainConfig`` before anything else imported ``lottery``."""
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    from lottery.train import TrainConfig\nexcept DeprecationWarning as w:\n    print(w)\n"
        "warnings.simplefilter('ignore')\n"
        "from lottery.train import TrainConfig\nfrom lottery.reinit import REINITS\n"
        "from lottery.methods.tropical_prune import prune_generators\n"
        "import lottery.training, lottery.methods.tropical_pruning as t\n"
        "print(TrainConfig is lottery.training.TrainConfig, prune_generators is t.prune_generators)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.splitlines() == [
        "the module lottery.train is deprecated (the name lottery.train is the function); import TrainConfig "
        "from lottery.training",
        "True True",
    ]
