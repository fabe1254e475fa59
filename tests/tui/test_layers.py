"""DESIGN.md convention 8: the TUI's views never import providers/ or server/; they only read bus events.

The app, the conductor and the command module may reach the runtime (that is how runs are built);
every other module of codetether/tui is a view or a widget and must not.
"""

import ast
from pathlib import Path

TUI = Path(__file__).resolve().parents[2] / "codetether" / "tui"
NOT_VIEWS = {"app.py", "conductor.py", "commands.py", "undo.py", "__init__.py"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_views_do_not_import_providers_or_server():
    views = [p for p in TUI.glob("*.py") if p.name not in NOT_VIEWS]
    assert len(views) >= 15
    for path in views:
        bad = {n for n in imported(path) if "providers" in n or "server" in n or n.endswith("runtime")}
        assert not bad, f"{path.name} imports {bad}"
