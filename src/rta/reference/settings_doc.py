"""The settings reference: every field of rta.settings, its type, default, `RTA_*`
variable and description, one table per section."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

import annotated_types
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from rta.reference.markdown import COMPUTED, GENERATED, cell, code, prose, table
from rta.settings import Settings


def _type_name(annotation: Any) -> str:
    if annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{_type_name(origin)}[{args}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _bounds(field: FieldInfo) -> str:
    """The field's numeric constraints (ge=1 and the like) as `≥ 1`."""
    signs = {
        annotated_types.Ge: ("≥", "ge"),
        annotated_types.Gt: (">", "gt"),
        annotated_types.Le: ("≤", "le"),
        annotated_types.Lt: ("<", "lt"),
    }
    out = []
    for meta in field.metadata:
        for kind, (sign, attr) in signs.items():
            if isinstance(meta, kind):
                out.append(f"{sign} {getattr(meta, attr)}")
    return ", ".join(out)


def value_text(value: Any) -> str:
    """A value as it is written in rta.toml or an RTA_* variable."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def _setting_default(field: FieldInfo) -> str:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if "documented_default" in extra:
        # A default computed per machine states what it is in its field, for the docs.
        return cell(str(extra["documented_default"]))
    if field.default_factory is not None or field.default is PydanticUndefined:
        return COMPUTED if field.default_factory is not None else "required"
    if field.default is None:
        return "unset"
    if field.default in ([], ()):
        return "empty"
    if isinstance(field.default, PurePath) and field.default.is_absolute():
        return COMPUTED
    return code(value_text(field.default))


def _env_vars(name: str, field: FieldInfo, prefix: str) -> list[str]:
    """The variables a field reads: its validation aliases if it has any (pydantic-settings
    then ignores the prefix), else prefix + name. Names are matched case-insensitively."""
    alias = field.validation_alias
    choices: list[str] = []
    if isinstance(alias, str):
        choices = [alias]
    elif isinstance(alias, AliasChoices):
        choices = [c for c in alias.choices if isinstance(c, str)]
    names = [c.upper() for c in choices] or [f"{prefix}{name}".upper()]
    return list(dict.fromkeys(names))


def _is_section(field: FieldInfo) -> bool:
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _sections(
    model: type[BaseModel], key: str, env_prefix: str, delimiter: str
) -> Iterator[tuple[str, type[BaseModel], str]]:
    """(dotted key, model, env prefix of its fields) for the model and each nested one."""
    yield key, model, env_prefix
    for name, field in model.model_fields.items():
        if _is_section(field):
            sub = typing.cast(type[BaseModel], field.annotation)
            yield from _sections(
                sub,
                f"{key}.{name}" if key else name,
                f"{env_prefix}{name}{delimiter}",
                delimiter,
            )


def render_settings(settings_cls: type[BaseSettings] = Settings) -> str:
    """The settings reference: one table per section, every field in declaration order."""
    config = settings_cls.model_config
    prefix = str(config.get("env_prefix", ""))
    delimiter = str(config.get("env_nested_delimiter") or "__")
    toml = config.get("toml_file")
    out = [
        GENERATED.format(src="src/rta/settings.py"),
        "",
        "# Settings reference",
        "",
        f"Every setting of rta, read in rising priority from its default, `{toml}` in the "
        f"working directory and `{prefix}*` environment variables. Nested settings use "
        f"`{delimiter}` in variable names (`{prefix}KAFKA{delimiter}PORT=19092`) and a "
        "table in the file (`[kafka]` then `port = 19092`). `rta config` shows the "
        "effective value of each and where it came from.",
    ]
    for key, model, env_prefix in _sections(settings_cls, "", prefix, delimiter):
        title = f"`[{key}]`" if key else "Top level"
        out += ["", f"## {title}", ""]
        doc = model.__doc__ if key else None
        if doc:
            out += [prose(doc), ""]
        rows = []
        for name, field in model.model_fields.items():
            if _is_section(field):
                continue
            bounds = _bounds(field)
            rows.append(
                [
                    code(f"{key}.{name}" if key else name),
                    ", ".join(code(v) for v in _env_vars(name, field, env_prefix)),
                    code(_type_name(field.annotation)) + (f" ({bounds})" if bounds else ""),
                    _setting_default(field),
                    cell(field.description or ""),
                ]
            )
        out += table(["setting", "env var", "type", "default", "description"], rows)
    return "\n".join(out) + "\n"
