"""`rta collector` (serve the HTTP API) and `rta collector keys add|list|revoke`.

Errors are rta's own (a taken port, Kafka away, a key name in use): rta.cli prints them
and exits with their code.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rta.collector.keys import KeyStore
from rta.collector.server import serve
from rta.layout import Layout
from rta.settings import Settings

err = Console(stderr=True, highlight=False, soft_wrap=True)

# No help= here: the callback's docstring is the group's help.
app = typer.Typer(invoke_without_command=True)
keys_app = typer.Typer(
    help="Write keys, which clients send as 'Authorization: Bearer <key>'.\n\n"
    "Only their hashes are stored, in <state dir>/collector/keys.json.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


def _store(ctx: typer.Context) -> KeyStore:
    settings: Settings = ctx.obj
    return KeyStore(Layout(settings.state_dir).collector_keys)


@app.callback()
def collector(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (default: env RTA_COLLECTOR__HOST, else 127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (default: env RTA_COLLECTOR__PORT, else 8000)."),
    ] = None,
) -> None:
    """Serve the HTTP collector until Ctrl-C: events from real clients into raw_events.

    Endpoints: POST /v1/events, GET /healthz, GET /metrics, and the OpenAPI spec at
    /openapi.json (browsable at /docs). Every event is checked with the event contract:
    valid ones go to raw_events keyed by session_id, rejected ones to the DLQ topic with
    the reason. A request is answered once Kafka has confirmed its events (503 with
    Retry-After if it does not in RTA_COLLECTOR__PRODUCE_TIMEOUT_S). Needs Kafka with
    rta's topics (`rta up`).
    """
    if ctx.invoked_subcommand is not None:
        return
    settings: Settings = ctx.obj
    active = sum(k.active for k in _store(ctx).entries())

    def ready(url: str) -> None:
        err.print(f"collector listening on {url} (API docs: {url}/docs); Ctrl-C stops it")
        if not active:
            err.print(
                "[yellow]no active write key: every post gets 401; "
                "create one with `rta collector keys add NAME`[/yellow]"
            )

    serve(settings, host=host, port=port, on_ready=ready)
    err.print("collector stopped")


@keys_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. web-shop.")],
) -> None:
    """Create a write key and print it on stdout, this once only.

    Only its hash is kept, so store it where the client reads it, e.g.
    `KEY=$(rta collector keys add web-shop)`.
    """
    key = _store(ctx).add(name)
    err.print(f"write key {escape(name)!r} created; it is shown only now:")
    typer.echo(key)


@keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Every write key: name, when it was created, and whether it is revoked."""
    keys = _store(ctx).entries()
    if not keys:
        err.print("no write keys (`rta collector keys add NAME` creates one)")
        return
    table = Table("name", "created", "state")
    for k in keys:
        state = "active" if k.active else f"revoked {k.revoked}"
        table.add_row(escape(k.name), k.created, state)
    Console().print(table)


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The key's name, as `keys list` shows it.")],
) -> None:
    """Revoke a write key: the collector answers 403 to it from now on.

    A running collector notices on the next request, without a restart; the name stays
    taken, so `keys list` keeps the history.
    """
    key = _store(ctx).revoke(name)
    err.print(f"write key {escape(name)!r} revoked at {key.revoked}")
