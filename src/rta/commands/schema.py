from __future__ import annotations

import json

import typer

from rta.events import event_json_schema


def schema() -> None:
    """Print the JSON Schema of rta events (the four seed event types)."""
    typer.echo(json.dumps(event_json_schema(), indent=2))
