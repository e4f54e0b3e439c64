"""`${name}` templates: the engines' config files, the pipeline's SQL and Pinot's JSON.

Only `${lower_case_name}` is a placeholder. Every other `$` stays as written: `$1` in
a regular expression, `$$`, `$name`, and `${UPPER}` (left for shells and compose), so
the files need no escaping. A placeholder without a value is an error, never an
empty string.
"""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable

from rta.errors import ConfigError

__all__ = ["PlaceholderError", "fill", "fill_file"]

_PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


class PlaceholderError(ConfigError, KeyError):
    """A `${name}` in a template has no value; `name` says which.

    Also a KeyError, the error a missing name in a mapping has always raised.
    """

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name

    def __str__(self) -> str:
        # KeyError would show the repr, quotes and escaped newlines included.
        return str(self.args[0])


def fill(text: str, /, **values: object) -> str:
    """`text` with each `${name}` replaced by str(values[name])."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values)) or "none"
            raise PlaceholderError(f"unknown placeholder ${{{name}}} (known: {known})", name)
        return str(values[name])

    return _PLACEHOLDER.sub(value, text)


def fill_file(file: Traversable, /, **values: object) -> str:
    """The filled text of a file (a Path or a package resource); errors name the file."""
    try:
        return fill(file.read_text(encoding="utf-8"), **values)
    except PlaceholderError as exc:
        raise PlaceholderError(f"{file.name}: {exc}", exc.name) from None
