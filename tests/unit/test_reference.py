"""Docs that cannot drift: the references in docs/reference/ are what the code renders
today, and the README's layout section names every top-level module of src/rta."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pytest
import typer
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rta import reference
from rta.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "rta"
RENDERERS: dict[str, Callable[[], str]] = {
    "settings.md": reference.render_settings,
    "cli.md": reference.render_cli,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_committed_reference_matches_the_code(name: str) -> None:
    path = ROOT / "docs" / "reference" / name
    expected = RENDERERS[name]()
    committed = path.read_text() if path.exists() else ""
    if committed != expected:
        diff = difflib.unified_diff(
            committed.splitlines(), expected.splitlines(), "committed", "generated", lineterm=""
        )
        # The first lines of the diff say what changed; the whole diff could be the file.
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"docs/reference/{name} differs from the code: run `make docs`\n{shown}")


def test_render_all_covers_every_committed_reference() -> None:
    committed = {p.name for p in (ROOT / "docs" / "reference").glob("*.md")}
    assert committed == set(reference.render_all()) == set(RENDERERS)


def test_output_depends_on_nothing_of_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    first = reference.render_all()
    # Terminal width and colour settings are what help output usually picks up.
    monkeypatch.setenv("COLUMNS", "37")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.chdir(ROOT / "docs")
    assert reference.render_all() == first
    text = "".join(first.values())
    assert "\x1b" not in text
    for local in {str(ROOT), str(Path.home()), os.getcwd()}:
        assert local not in text


def test_every_setting_has_help() -> None:
    # The reference (and `rta config`) would show an empty description.
    models: list[type[BaseModel]] = [Settings]
    missing = []
    while models:
        model = models.pop()
        for name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                models.append(annotation)
            elif not field.description:
                missing.append(f"{model.__name__}.{name}")
    assert not missing, f"settings without description=: {missing}"


def test_settings_reference_names_every_variable() -> None:
    text = reference.render_settings()
    assert "| `kafka.port` | `RTA_KAFKA__PORT` | `int` | `9092` |" in text
    assert "| `java_home` | `RTA_JAVA_HOME`, `JAVA_HOME` | `Path \\| None` | unset |" in text
    assert "| `kafka.partitions` | `RTA_KAFKA__PARTITIONS` | `int` (≥ 1) | `4` |" in text


def test_defaults_computed_at_run_time_are_not_printed() -> None:
    class Section(BaseModel):
        cache: Path = Field(default_factory=Path.cwd, description="Computed.")
        home: Path = Field(
            default_factory=Path.home,
            description="Documented.",
            json_schema_extra={"documented_default": "your home directory"},
        )

    class Machine(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="X_", env_nested_delimiter="__")
        where: Path = Field(Path("/abs/on/this/machine"), description="Absolute.")
        section: Section = Section()

    text = reference.render_settings(Machine)
    assert "| `where` | `X_WHERE` | `Path` | computed at run time |" in text
    assert "| `section.cache` | `X_SECTION__CACHE` | `Path` | computed at run time |" in text
    assert "| `section.home` | `X_SECTION__HOME` | `Path` | your home directory |" in text
    assert str(Path.cwd()) not in text and str(Path.home()) not in text

    app = typer.Typer()
    here = Path.cwd()

    @app.command()
    def run(
        out: Annotated[Path, typer.Option(help="Computed.")] = here / "out",
        log: Annotated[Path, typer.Option(show_default="<state dir>/logs")] = here / "log",
    ) -> None:
        """Run."""

    cli = reference.render_cli(app, prog="x")
    assert "| `--out <path>` | computed at run time | Computed. |" in cli
    assert "| `--log <path>` | \\<state dir>/logs |" in cli
    assert str(Path.cwd()) not in cli


def test_cli_reference_walks_every_command() -> None:
    app = typer.Typer(help="Root.")
    group = typer.Typer(help="A group.")
    app.add_typer(group, name="group")

    @app.command()
    def top(
        count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many.")] = 3,
    ) -> None:
        """Top command.

        More about it.
        """

    @group.command()
    def sub(name: Annotated[str, typer.Argument(help="A name.")]) -> None:
        """Sub command."""

    @group.command(hidden=True)
    def secret() -> None:
        """Hidden."""

    text = reference.render_cli(app, prog="x")
    for heading in ("## `x`", "## `x top`", "## `x group`", "## `x group sub`"):
        assert heading + "\n" in text
    assert "secret" not in text
    assert "| `-n, --count <int range>` | `3` | How many. (≥ 1) |" in text
    assert "| `name <str>` | required | A name. |" in text
    assert "| [`sub`](#x-group-sub) | Sub command. |" in text
    assert "Top command.\n\nMore about it." in text


# --- README layout ------------------------------------------------------------------


def _layout_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    assert match, "README.md has no '## Layout' section"
    return match.group(1)


def _top_level() -> list[str]:
    """Every module (but __init__) and every subpackage directly under src/rta."""
    modules = [f"src/rta/{p.name}" for p in SRC.glob("*.py") if p.name != "__init__.py"]
    packages = [
        f"src/rta/{p.name}/"
        for p in SRC.iterdir()
        if p.is_dir() and p.name.isidentifier() and any(p.glob("*.py"))
    ]
    return sorted(modules + packages)


def _listed() -> set[str]:
    return set(re.findall(r"src/rta/\w+(?:\.py|/)", _layout_section()))


def test_readme_layout_lists_every_top_level_module() -> None:
    missing = [m for m in _top_level() if m not in _listed()]
    assert not missing, f"README.md's Layout section does not list {missing}: add a line each"


def test_readme_layout_lists_nothing_that_is_gone() -> None:
    gone = sorted(entry for entry in _listed() if not (ROOT / entry).exists())
    assert not gone, f"README.md's Layout section lists {gone}, which do not exist"
