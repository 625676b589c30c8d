"""`make bench` is not run by the suite, so a rename must not break it unseen: every name bench/ imports from the
project (at the top or inside its functions) must still be importable."""
import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[4] / "bench"


def project_imports():
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("singlewindow"):
                for alias in node.names:
                    yield pytest.param(node.module, alias.name, id=f"{path.name}:{node.module}.{alias.name}")


@pytest.mark.parametrize(("module", "name"), list(project_imports()))
def test_every_name_the_bench_imports_exists(module, name):
    imported = importlib.import_module(module)
    assert hasattr(imported, name) or importlib.util.find_spec(f"{module}.{name}"), f"{module}.{name}"
