"""`rta config`: the effective settings, where each value came from, and its env var."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rta.settings import SECTIONS, Settings


@dataclass(frozen=True)
class SettingRow:
    key: str  # dotted: kafka.port
    value: Any
    env_var: str
    source: str  # "env", "rta.toml" or "default"
    description: str


def _source(env_vars: list[str], value: Any, default: Any, environ: Mapping[str, str]) -> str:
    if any(v in environ for v in env_vars):
        return "env"
    return "default" if value == default else "rta.toml"


def rows(settings: Settings, environ: Mapping[str, str] | None = None) -> list[SettingRow]:
    """Every setting with its value, env var and source, in declaration order."""
    environ = os.environ if environ is None else environ
    out: list[SettingRow] = []
    for name, field in Settings.model_fields.items():
        if name in SECTIONS:
            continue
        env = ["RTA_JAVA_HOME", "JAVA_HOME"] if name == "java_home" else [f"RTA_{name.upper()}"]
        value = getattr(settings, name)
        out.append(
            SettingRow(
                name,
                value,
                " / ".join(env),
                _source(env, value, field.default, environ),
                field.description or "",
            )
        )
    for section in SECTIONS:
        model: BaseModel = getattr(settings, section)
        for name, field in type(model).model_fields.items():
            var = f"RTA_{section.upper()}__{name.upper()}"
            value = getattr(model, name)
            out.append(
                SettingRow(
                    f"{section}.{name}",
                    value,
                    var,
                    _source([var], value, field.default, environ),
                    field.description or "",
                )
            )
    return out


def services(settings: Settings) -> dict[str, str]:
    """Where each engine is: started locally by `rta up`, or an existing remote service."""
    k, f, p = settings.kafka, settings.flink, settings.pinot
    return {
        "kafka": f"{'remote' if k.is_remote else 'local'} {k.bootstrap}",
        "flink": f"{'remote' if f.is_remote else 'local'} {f.url} (SQL Gateway {f.gateway})",
        "pinot": f"{'remote' if p.is_remote else 'local'} controller {p.controller}, "
        f"broker {p.broker}",
    }


def config(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the settings as JSON (no env var).")
    ] = False,
) -> None:
    """Show the effective settings, where each came from, and its RTA_* variable.

    Sources in rising priority: defaults, ./rta.toml, RTA_* environment variables.
    Nested fields use '__', e.g. RTA_KAFKA__PORT=19092; in rta.toml they sit in
    tables such as \\[kafka].
    """
    settings: Settings = ctx.obj
    table_rows = rows(settings)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "services": services(settings),
                    "settings": {
                        r.key: {"value": r.value, "env": r.env_var, "source": r.source}
                        for r in table_rows
                    },
                },
                indent=2,
                default=str,
            )
        )
        return
    out = Console()
    for name, where in services(settings).items():
        out.print(f"{name:<6} {escape(where)}", highlight=False)
    t = Table("setting", "value", "source", "env var", "meaning")
    for r in table_rows:
        src = {"env": "[yellow]env[/yellow]", "rta.toml": "[cyan]rta.toml[/cyan]"}.get(
            r.source, "[dim]default[/dim]"
        )
        t.add_row(r.key, escape(str(r.value)), src, r.env_var, escape(r.description))
    out.print(t)
