"""Names of a package loaded on first use (PEP 562), so importing the package is cheap."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def loader(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `homes` maps each name to the submodule that
    defines it, imported the first time the name is asked for (then kept)."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
