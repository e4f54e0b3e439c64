"""`${name}` templates (rta.templates): what is a placeholder, and what a missing value says."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

import pytest

from rta.errors import ConfigError
from rta.templates import PlaceholderError, fill, fill_file


def test_only_braced_lower_case_names_are_placeholders() -> None:
    assert fill("a ${x} $1 $y $$ ${X}", x=7) == "a 7 $1 $y $$ ${X}"
    with pytest.raises(KeyError, match="missing"):
        fill("${missing}")


def test_a_missing_value_names_the_placeholder_and_the_known_ones() -> None:
    with pytest.raises(PlaceholderError) as caught:
        fill("host=${host}\nport=${prot}", host="h", port=1)
    assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 2
    assert caught.value.name == "prot"
    # A plain message, not KeyError's repr of it.
    assert str(caught.value) == "unknown placeholder ${prot} (known: host, port)"


def test_values_are_text_and_are_not_filled_again() -> None:
    assert fill("${a}/${b}", a=1.5, b="${a}") == "1.5/${a}"


def test_fill_file_names_the_file(tmp_path: Path) -> None:
    file = tmp_path / "x.sql"
    file.write_text("SELECT ${column} FROM ${table}", encoding="utf-8")
    assert fill_file(file, column="a", table="t") == "SELECT a FROM t"
    with pytest.raises(PlaceholderError, match=r"^x\.sql: unknown placeholder \$\{table\}"):
        fill_file(file, column="a")


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in resources.files("rta.stack").joinpath("templates").iterdir()),
)
def test_stack_templates_fill_as_string_template_did(name: str) -> None:
    # The engines' config templates were rendered with string.Template; fill() must
    # give the same text, so no file may use its other forms ($name, $$).
    text = resources.files("rta.stack").joinpath("templates", name).read_text()
    values = {n: f"<{n}>" for n in re.findall(r"\$\{(\w+)\}", text)}
    assert fill(text, **values) == Template(text).substitute(values)
