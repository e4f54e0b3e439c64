"""The CLI reference: every command and subcommand of rta.cli, with its help, usage
and parameters, in the order `--help` lists them."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

import typer.main

from rta.reference.markdown import COMPUTED, GENERATED, cell, code, escape, prose, table
from rta.reference.settings_doc import value_text

# Typer (0.29) builds its command tree from its own private copy of click
# (typer._click); nodes are typed loosely and only attributes that click and typer share
# are used, so the walk does not depend on which one is underneath.
Command = Any
Context = Any


def _option_default(param: Any) -> str:
    show = getattr(param, "show_default", None)
    if isinstance(show, str):
        # The option documents its default itself (click's show_default="...").
        return cell(show)
    default = param.default
    if callable(default) and not isinstance(default, type):
        return COMPUTED
    if isinstance(default, PurePath) and default.is_absolute():
        return COMPUTED
    if getattr(param, "is_flag", False):
        if param.secondary_opts:
            return code((param.opts if default else param.secondary_opts)[0])
        return "off" if not default else "on"
    if default is None or default == ():
        return "required" if param.required else "unset"
    return code(value_text(default))


def _param_help(param: Any) -> str:
    """The parameter's help, its range and whether it is required, without its default
    (which has its own column)."""
    extra = []
    lo, hi = getattr(param, "min", None), getattr(param, "max", None)
    if lo is not None and hi is not None:
        extra.append(f"{lo} to {hi}")
    elif lo is not None:
        extra.append(f"≥ {lo}")
    elif hi is not None:
        extra.append(f"≤ {hi}")
    envvar = getattr(param, "envvar", None)
    if envvar:
        names = [envvar] if isinstance(envvar, str) else list(envvar)
        extra.append("env " + ", ".join(code(n) for n in names))
    text = cell(getattr(param, "help", None) or "")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def _param_name(param: Any, ctx: Context) -> str:
    """The option as `--help` shows it (`-n, --count <int range>`), from the help record
    click and typer both build, which depends on nothing but the parameter."""
    record = param.get_help_record(ctx)
    return code(record[0]) if record else code(param.name or "")


def _subcommands(cmd: Command, ctx: Context) -> list[tuple[str, Command]]:
    if not hasattr(cmd, "list_commands"):
        return []
    out = []
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            out.append((name, sub))
    return out


def _summary(cmd: Command) -> str:
    """The first paragraph of a command's help, as `--help` lists subcommands."""
    if cmd.short_help:
        return cell(cmd.short_help)
    return cell(prose(cmd.help or "").split("\n\n")[0])


def _anchor(path: str) -> str:
    # GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.
    return "#" + re.sub(r"[^a-z0-9 _-]", "", path.lower()).replace(" ", "-")


def _render_command(path: str, cmd: Command, ctx: Context) -> list[str]:
    out = [f"## `{path}`", ""]
    if cmd.deprecated:
        # click >= 8.2 lets `deprecated` carry a message (what to use instead).
        why = f" {escape(cmd.deprecated)}" if isinstance(cmd.deprecated, str) else ""
        out += [f"**Deprecated.**{why}", ""]
    if cmd.help:
        out += [escape(prose(cmd.help)), ""]
    usage = " ".join([path, *cmd.collect_usage_pieces(ctx)])
    out += ["```", usage, "```", ""]
    params = [p for p in cmd.params if not getattr(p, "hidden", False)]
    arguments = [p for p in params if p.param_type_name == "argument"]
    options = [p for p in params if p.param_type_name == "option"]
    if arguments:
        rows = [[_param_name(p, ctx), _option_default(p), _param_help(p)] for p in arguments]
        out += [*table(["argument", "default", "description"], rows), ""]
    if options:
        rows = [[_param_name(p, ctx), _option_default(p), _param_help(p)] for p in options]
        out += [*table(["option", "default", "description"], rows), ""]
    subs = _subcommands(cmd, ctx)
    if subs:
        rows = [[f"[`{name}`]({_anchor(f'{path} {name}')})", _summary(sub)] for name, sub in subs]
        out += [*table(["command", "description"], rows), ""]
    if getattr(cmd, "epilog", None):
        out += [escape(prose(cmd.epilog)), ""]
    return out


def render_cli(app: typer.Typer | None = None, prog: str = "rta") -> str:
    """The CLI reference of `app` (default: rta's): the root command, then every command
    and subcommand in the order `--help` lists them, each with its help, usage and
    parameters."""
    if app is None:
        # Imported here so that the settings reference does not need the whole CLI.
        from rta.cli import app as rta_app

        app = rta_app
    root = typer.main.get_command(app)
    out = [
        GENERATED.format(src="src/rta/cli.py and src/rta/commands/"),
        "",
        "# CLI reference",
        "",
        f"Every command of `{prog}` with its options, as `{prog} COMMAND --help` shows them.",
        "",
    ]
    help_names: list[str] = []

    def walk(path: str, cmd: Command, parent: Context | None) -> None:
        # A bare context of the command's own class (with its context_settings, such as
        # the help option names) is all the help records need; make_context would parse
        # arguments and run the callbacks, which load the settings.
        ctx = cmd.context_class(
            cmd, info_name=path.rsplit(" ", 1)[-1], parent=parent, **cmd.context_settings
        )
        if not help_names:
            names = cmd.get_help_option_names(ctx)
            help_names.extend(sorted(names, key=lambda n: (n.startswith("--"), n)))
        out.extend(_render_command(path, cmd, ctx))
        for name, sub in _subcommands(cmd, ctx):
            walk(f"{path} {name}", sub, ctx)

    walk(prog, root, None)
    # One line rather than a `--help` row in every table (subcommands inherit the names).
    out.append(f"Every command also takes {', '.join(code(n) for n in help_names)}: its help.")
    return "\n".join(out) + "\n"
