"""One exception root: every exception class the package defines derives from SwitchyardError."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import switchyard
from switchyard.catalog import SwitchyardError


def test_every_package_exception_derives_from_the_root() -> None:
    defined: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(switchyard.__path__, "switchyard."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                defined.append(obj)
    assert len(defined) > 10  # the walk found the package's exceptions
    strays = [f"{c.__module__}.{c.__name__}" for c in defined if not issubclass(c, SwitchyardError)]
    assert strays == []
