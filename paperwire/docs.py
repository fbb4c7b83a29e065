"""Generate the README's configuration table and CLI reference from the code (`python -m paperwire.docs`)."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer.main

from paperwire.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def settings_table() -> str:
    """A Markdown table of every setting: environment variable, default and help."""
    rows = ["| environment variable | default | what it sets |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(empty)" if default is None else f"`{default}`"
        rows.append(f"| `PAPERWIRE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


def _param_row(param: Any) -> str | None:
    if getattr(param, "hidden", False) or param.name == "help":
        return None
    if type(param).__name__ == "TyperArgument":
        return None
    opts = ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])
    if getattr(param, "is_bool_flag", False):
        default = f"`{param.opts[0]}`" if param.default is True else ""
    elif param.default is None:
        default = ""
    else:
        default = f"`{param.default}`"
    required = " (required)" if param.required else ""
    return f"| {opts} | {default} | {param.help or ''}{required} |"


def _usage(path: str, command: Any) -> str:
    pieces = [path, "[OPTIONS]"] if any(type(p).__name__ == "TyperOption" for p in command.params) else [path]
    for param in command.params:
        if type(param).__name__ == "TyperArgument":
            name = param.name.upper()
            pieces.append(f"{name}..." if param.nargs == -1 else name)
    return " ".join(pieces)


def cli_reference() -> str:
    """Markdown for every command: usage, help, and a table of its options."""
    from paperwire.cli import app

    root = typer.main.get_command(app)
    parts: list[str] = []

    def walk(command: Any, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands and path != "paperwire":
            for name in sorted(subcommands):
                walk(subcommands[name], f"{path} {name}")
            return
        if subcommands:
            parts.append(f"### `{path} [--db URL] [--home PATH] COMMAND`\n\n{(command.help or '').strip()}\n")
            rows = [r for r in (_param_row(p) for p in command.params) if r]
            parts.append("| option | default | meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n")
            for name in subcommands:
                walk(subcommands[name], f"{path} {name}")
            return
        parts.append(f"### `{_usage(path, command)}`\n\n{(command.help or '').strip()}\n")
        arguments = [p for p in command.params if type(p).__name__ == "TyperArgument"]
        for arg in arguments:
            parts.append(f"- `{arg.name.upper()}`: {arg.help}")
        if arguments:
            parts.append("")
        rows = [r for r in (_param_row(p) for p in command.params) if r]
        if rows:
            parts.append("| option | default | meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n")

    walk(root, "paperwire")
    return "\n".join(parts).strip()


def _filled(content: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m.group(1) + content + "\n" + m.group(2)


def render(readme: str) -> str:
    """The README with its generated sections replaced by freshly generated ones."""
    for marker, content in (("settings", settings_table()), ("cli", cli_reference())):
        pattern = re.compile(rf"(<!-- {marker}:start -->\n)(?:.*?\n)?(<!-- {marker}:end -->)", re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README has no <!-- {marker}:start --> ... <!-- {marker}:end --> section")
        readme = pattern.sub(_filled(content), readme)
    return readme


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in sys.argv:
        sys.exit(0 if fresh == current else "README.md is out of date: run python -m paperwire.docs")
    README.write_text(fresh, encoding="utf-8")
    print(f"updated {README}")
