"""The architecture holds: nothing outside `tuinews.ui` imports Textual."""

from __future__ import annotations

import pkgutil

import pytest

import tuinews
from interpreter import fresh_output


def _non_ui_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(tuinews.__path__, "tuinews."):
        if info.name == "tuinews.ui" or info.name.startswith("tuinews.ui."):
            continue
        if info.name == "tuinews.__main__":
            continue
        names.append(info.name)
    return sorted(names)


def test_there_are_layers_to_check() -> None:
    names = _non_ui_modules()
    for layer in ("tuinews.model", "tuinews.sources.sanitize", "tuinews.cli"):
        assert layer in names


@pytest.mark.parametrize("module", _non_ui_modules())
def test_module_does_not_import_textual(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = fresh_output(code)
    assert out == "", f"{module} pulls in Textual: {out}"


def test_the_first_frame_loads_only_what_it_draws() -> None:
    """A bare `tuinews` draws its first screen before the rest loads: what that path
    imports decides how soon the headlines show (a count of modules, not a timing)."""
    code = (
        "import sys\n"
        "import tuinews.cli\n"
        "from tuinews.ui.first_frame import quick_first_frame\n"
        "import tuinews.store.first_screen, tuinews.paths, tuinews.ui.launch_cache\n"
        "heavy = ('textual', 'dataclasses', 'argparse', 'tomllib', 'platformdirs', 'httpx',\n"
        "    'lxml', 'rich.console', 'tuinews.model', 'tuinews.config', 'tuinews.store.store')\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(heavy))))\n"
    )
    out = fresh_output(code)
    assert out == "", f"the first frame's path imports: {out}"


def test_a_spawned_worker_does_not_run_the_command_again() -> None:
    """`python -m tuinews`: a parse worker started with "spawn" imports the main module
    again, under the name `__mp_main__`; the command must not run in it a second time."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['tuinews', '--version']\n"
        "runpy.run_module('tuinews.__main__', run_name='__mp_main__')\n"
        "print('imported only')\n"
    )
    assert fresh_output(code) == "imported only"
