"""The layers of docs/architecture.md, held to the code: who may import whom, and the
import graph that the document shows is the one the code has."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "rta"
DOC = REPO / "docs" / "architecture.md"
PACKAGES = (
    "collector",
    "commands",
    "dashboard",
    "generator",
    "kafka",
    "pinot",
    "pipeline",
    "stack",
)
BEGIN, END = "<!-- import graph: begin -->", "<!-- import graph: end -->"


def _unit(module: str) -> str:
    """rta.stack.kafka -> stack; rta.settings -> settings."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path) -> set[str]:
    """Every rta module a file imports (also inside functions: lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "rta":
                found |= {f"rta.{a.name}" for a in node.names}
            elif node.module.startswith("rta."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("rta.")}
    return found


def _modules() -> dict[str, set[str]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__")
        out[name] = _imports(path)
    return out


def import_graph() -> str:
    """One line per top-level module or package: the others it imports."""
    graph: dict[str, set[str]] = {}
    for module, imported in _modules().items():
        if module == "rta":
            continue
        unit = _unit(module)
        graph.setdefault(unit, set()).update(_unit(m) for m in imported if _unit(m) != unit)
    return "\n".join(
        f"{unit} -> {', '.join(sorted(deps)) or '(nothing in rta)'}"
        for unit, deps in sorted(graph.items())
    )


def test_the_document_shows_the_import_graph_as_it_is() -> None:
    text = DOC.read_text()
    shown = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().strip("`").strip()
    assert shown == import_graph(), (
        f"docs/architecture.md's import graph is out of date; between its markers put:\n"
        f"```\n{import_graph()}\n```"
    )


# What a layer must not import: the rules of docs/architecture.md.
FORBIDDEN = {
    # Processes, not what runs on them: no topics, tables, jobs or provisioning.
    "rta.stack": (
        "rta.pinot",
        "rta.pipeline",
        "rta.kafka.topics",
        "rta.provision",
        "rta.lifecycle",
        "rta.generator",
        "rta.commands",
        "rta.foreground",
        "rta.watch",
        # rta's own services run as `python -m rta ...` processes, never in this one.
        "rta.collector",
    ),
    # Endpoints, not processes: provisioning works the same on remote engines.
    "rta.provision": (
        "rta.stack.supervisor",
        "rta.stack.kafka",
        "rta.stack.pinot",
        "rta.stack.flink",
        "rta.lifecycle",
        "rta.commands",
    ),
    "rta.kafka": (
        "rta.stack",
        "rta.pinot",
        "rta.pipeline",
        "rta.commands",
        "rta.generator",
        "rta.collector",
    ),
    "rta.pinot": ("rta.stack", "rta.pipeline", "rta.commands", "rta.generator"),
    "rta.pipeline": ("rta.stack", "rta.pinot", "rta.commands", "rta.generator"),
    # The generator reaches the collector over HTTP only, like any other client.
    "rta.generator": ("rta.stack", "rta.pinot", "rta.pipeline", "rta.commands", "rta.collector"),
    # A producer like generator/ and replay: the contract and kafka/, no engine beyond Kafka.
    "rta.collector": (
        "rta.stack",
        "rta.pinot",
        "rta.pipeline",
        "rta.commands",
        "rta.provision",
        "rta.lifecycle",
        "rta.foreground",
        "rta.generator",
    ),
    # A reader: Pinot's analytics and the components' own APIs; it starts, provisions
    # and produces nothing, and reaches the collector over HTTP like any client.
    "rta.dashboard": (
        "rta.stack",
        "rta.provision",
        "rta.lifecycle",
        "rta.foreground",
        "rta.commands",
        "rta.generator",
        "rta.collector",
        "rta.replay",
    ),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(layer: str) -> None:
    bad = [
        f"{module} imports {imported}"
        for module, imports in _modules().items()
        if module == layer or module.startswith(layer + ".")
        for imported in sorted(imports)
        if any(imported == f or imported.startswith(f + ".") for f in FORBIDDEN[layer])
    ]
    assert bad == []


def test_only_the_cli_imports_commands() -> None:
    bad = [
        f"{module} imports {imported}"
        for module, imports in _modules().items()
        if module != "rta.cli"
        for imported in imports
        if imported.startswith("rta.commands")
    ]
    assert bad == []
