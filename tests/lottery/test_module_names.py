"""The modules renamed because the package exports a function of their name: new names are modules, the
old import paths keep working with a DeprecationWarning, and ``lt.train`` / ``lt.reinit`` stay functions."""

import importlib
import inspect
import subprocess
import sys
import types

import pytest

import lottery
from lottery._compat import RENAMED_MODULES

NEW_NAMES = {"lottery.training": ("train", "TrainConfig", "History"),
             "lottery.reinitialisation": ("reinit", "REINITS", "pruned_values")}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NEW_NAMES))
def test_the_new_module_names_are_modules(name):
    module = importlib.import_module(name)
    assert isinstance(module, types.ModuleType) and module.__name__ == name
    assert module.__file__.endswith(name.rpartition(".")[2] + ".py")
    for attribute in NEW_NAMES[name]:
        assert hasattr(module, attribute)


def test_import_as_gives_the_module():
    import lottery.reinitialisation as reinitialisation
    import lottery.training as training

    assert inspect.ismodule(training) and inspect.ismodule(reinitialisation)


def test_the_package_functions_stay_functions():
    from lottery.reinitialisation import reinit
    from lottery.training import train

    assert inspect.isfunction(lottery.train) and lottery.train is train
    assert inspect.isfunction(lottery.reinit) and lottery.reinit is reinit


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED_MODULES.items()))
def test_old_import_paths_warn_and_give_the_same_objects(old, new):
    module = importlib.import_module(old)
    assert inspect.ismodule(module)
    for attribute in NEW_NAMES[new]:
        with pytest.warns(DeprecationWarning, match=f"{old}.*{new}"):
            value = getattr(module, attribute)
        assert value is getattr(importlib.import_module(new), attribute)
    with pytest.warns(DeprecationWarning), pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_from_old_module_import_works_in_a_fresh_interpreter():
    """``from lottery.train import TrainConfig`` before anything else imported ``lottery``."""
    code = (
        "import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
        "try:\n    from lottery.train import TrainConfig\nexcept DeprecationWarning as w:\n    print(w)\n"
        "warnings.simplefilter('ignore')\n"
        "from lottery.train import TrainConfig\nfrom lottery.reinit import REINITS\n"
        "import lottery.training\nprint(TrainConfig is lottery.training.TrainConfig, sorted(REINITS)[0])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.splitlines() == [
        "the module lottery.train is deprecated (the name lottery.train is the function); import TrainConfig "
        "from lottery.training",
        "True flip_sign",
    ]
