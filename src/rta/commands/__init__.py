"""Thin Typer commands: parse options, call a plain function, map errors to exit codes."""
