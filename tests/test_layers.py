"""The domain core never reaches up: app/ imports neither Qt, HTTP, ui nor sync — not even inside functions.

Backed by import-linter (#28): `make test` runs `lint-imports`, whose contracts ([tool.importlinter] in
pyproject.toml) say the same over the whole import graph, indirect chains included, and add what this file does not
(the sync client and ui import no district server code). The checks here stay: they also see imports by name
(import_module, __import__), the modules really loaded, and the noqa markers.
"""

import ast
import re
from pathlib import Path

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "requests", "httpx", "ui", "sync", "signin", "fastapi", "uvicorn")
ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
            if node.args and isinstance(node.args[0], ast.Constant):
                found.append(str(node.args[0].value))
    return found


def offenders(folder: str, forbidden) -> list[str]:
    """Every import in ``folder`` of a top-level package in ``forbidden``, as "file: module"."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}: {module}")
    return found


def test_app_imports_no_upper_layer():
    assert offenders("app", FORBIDDEN) == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    import PySide6.QtWidgets\n    from sync import client\n")
    assert imported_modules(sample) == ["PySide6.QtWidgets", "sync"]


def test_importing_the_core_loads_no_qt(tmp_path):
    import subprocess
    import sys

    code = "import sys, app.cli, app.cli.commands, app.db, app.services.activities, app.demo; print(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (FORBIDDEN,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_the_district_command_loads_no_qt():
    """`station district serve` runs on a server with no display: building the command must not load Qt."""
    import subprocess
    import sys

    code = ("import sys; from app.cli import build_parser; build_parser(); import sync.server.app; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_signin_imports_neither_ui_qt_sync_nor_an_http_library():
    """The phone sign-in server (signin/, beside sync/) is the standard library's: the village bundle needs nothing
    more, and the command line serves it without Qt."""
    assert offenders("signin", FORBIDDEN) == []
    assert (ROOT / "signin" / "server.py").is_file() and not (ROOT / "app" / "signin.py").exists()


def test_sync_does_not_import_ui():
    assert offenders("sync", ("ui", "PySide6", "signin")) == []


NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")


def noqa_without_a_reason(text: str) -> list[int]:
    """Lines whose suppression comment names no rule, or a rule and no reason after it (": S101 - why")."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        match = NOQA.search(line)
        if match and not re.match(r":\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*\s*[-–(]\s*\S", match.group("rest")):
            found.append(number)
    return found


def test_every_noqa_says_which_rule_and_why():
    """#28: a suppressed warning says why; ruff's RUF100 (make test) refuses one that suppresses nothing."""
    mark = "# no" + "qa"  # (spelled apart: this file is scanned too)
    sample = f"x = 1  {mark}\ny = 2  {mark}: F401\nz = 3  {mark}: F401 - re-exported\nw = 4  {mark}: E402 (after sys.path)\n"
    assert noqa_without_a_reason(sample) == [1, 2]
    bare = {}
    for folder in ("app", "signin", "ui", "sync", "bench", "tests", "installer"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            lines = noqa_without_a_reason(path.read_text(encoding="utf-8"))
            if lines:
                bare[str(path.relative_to(ROOT))] = lines
    assert bare == {}


def test_the_store_and_its_queue_import_no_service_in_a_circle():
    """#28: app/db.py, app/outbox.py, app/services/audit.py and app/services/context.py imported each other in a
    circle (a function's import counted too), so none could be read, tested or moved alone. The store opens the
    outbox; the outbox and the context are handed a store and import it only for types; the tables' names for a
    person live with the models (app/models/labels.py)."""
    import grimp

    graph = grimp.build_graph("app", exclude_type_checking_imports=True, cache_dir=None)
    four = ["app.db", "app.outbox", "app.services.audit", "app.services.context"]
    circles = [(a, b, graph.find_shortest_chain(importer=a, imported=b), graph.find_shortest_chain(importer=b, imported=a))
               for n, a in enumerate(four) for b in four[n + 1:]]
    assert [(a, b, there, back) for a, b, there, back in circles if there and back] == []
