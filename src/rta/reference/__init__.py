"""Render the settings reference and the CLI reference (docs/reference/) from the code.

The settings come from the Pydantic models in rta.settings (every field, its type,
default, `RTA_*` variable and description); the CLI from the command tree Typer
builds for rta.cli.app (every command, its help and its parameters). The output is
deterministic: nothing from this machine (paths, terminal width, colours) gets in,
so that tests/unit/test_reference.py can compare it with the committed files.

    python -m rta.reference           # (re)write docs/reference/{settings,cli}.md
    python -m rta.reference --check   # exit 1 when they differ from the code
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rta.reference.cli_doc import render_cli
from rta.reference.settings_doc import render_settings

__all__ = ["main", "render_all", "render_cli", "render_settings"]

# Relative to the repository root, where `make docs` runs.
OUT_DIR = Path("docs/reference")


def render_all() -> dict[str, str]:
    """File name (in docs/reference/) -> its content."""
    return {"settings.md": render_settings(), "cli.md": render_cli()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rta.reference", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="Directory to write to.")
    parser.add_argument(
        "--check", action="store_true", help="Write nothing; exit 1 if a file differs."
    )
    args = parser.parse_args(argv)
    stale: list[Path] = []
    for name, text in render_all().items():
        path = args.out / name
        if not path.exists() or path.read_text() != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                print(f"wrote {path}")
    if args.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}; run `make docs`", file=sys.stderr)
        return 1
    return 0
