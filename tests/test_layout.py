"""The layout keeps its promises: packages import only along the flow the README states, and the
command line does not load the web stack to ingest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What each package may import, as the README's Architecture section says it.
ALLOWED = {
    "core": set(),
    "privacy": set(),
    "search": {"core"},
    "ingest": {"core", "privacy", "search"},
    "history": {"core"},
    "figures": {"core", "privacy", "search", "history"},
    "api": {"core", "search", "figures", "history"},
    "publisher": {"core", "search", "figures", "history"},
}
PACKAGES = set(ALLOWED) | {"tools", "mittari"}


def imported_packages(path: Path) -> set[str]:
    """Every Mittari package a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PACKAGES


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_along_the_flow(package: str) -> None:
    against = {
        f"{path.relative_to(ROOT)} imports {other}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for other in imported_packages(path) - ALLOWED[package] - {package}
    }
    assert not against


def test_the_checker_imports_nothing_from_mittari() -> None:
    assert not any(imported_packages(path) for path in (ROOT / "tools").rglob("*.py"))


def test_the_flow_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "wrong.py"
    module.write_text("def f():\n    from api.cli import serve_cmd\n    import figures.indicators\n")
    assert imported_packages(module) == {"api", "figures"}


WEB_STACK = ("flask", "werkzeug", "jinja2", "flask_smorest", "webargs", "apispec", "gunicorn")


@pytest.mark.parametrize("argv", [["ingest", "--help"], ["import", "--help"], ["bench", "ingest", "--help"]])
def test_ingest_commands_do_not_load_the_web_stack(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        "import mittari\n"
        f"sys.argv = ['mittari', *{argv!r}]\n"
        "try:\n"
        "    mittari.cli()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({WEB_STACK!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_api_commands_are_still_there() -> None:
    """The lazy group imports them on use: the probe above would pass vacuously if they were gone."""
    out = subprocess.run(
        [sys.executable, "-c", "import mittari; mittari.cli(['serve', '--help'])"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "Serve the public read-only API" in out.stdout
