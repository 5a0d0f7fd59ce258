"""README.md and docs/*.md stay true to the repository and the CLI: every relative link
resolves (the file, and the heading an anchor names), and every `carecase COMMAND` they show
is a command of the CLI, with options that command has; every `carecase.module.name` they
name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from carecase.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
COMMAND = re.compile(r"(?:^|[\s/(])carecase((?:\s+[^\s`#]+)+)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as -."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M)}


def _links(path: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = []
    for target in _links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{doc.name}: {broken}"


def _cli_commands(text: str) -> list[list[str]]:
    """The words after `carecase` in each code span and fenced code line of a document."""
    snippets = [m.group(1) for m in CODE_SPAN.finditer(FENCE.sub("", text))]
    for block in FENCE.findall(text):
        snippets += block.splitlines()
    return [m.group(1).split() for s in snippets for m in COMMAND.finditer(s)]


def _check(words: list[str], root) -> str | None:  # type: ignore[no-untyped-def]
    words = [w for w in words if w != "--debug"]
    if not words or words[0] in ("PROJECT", "COMMAND", "STAGE"):
        return None
    cmd = root.commands.get(words[0])
    if cmd is None:
        return f"no command {words[0]!r}"
    rest = words[1:]
    if hasattr(cmd, "commands") and rest and rest[0] in cmd.commands:  # a group (typer's own click)
        cmd, rest = cmd.commands[rest[0]], rest[1:]
    options = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    for word in rest:
        flag = word.strip("[]").split("=")[0]
        if flag.startswith("--") and flag not in options:
            return f"{cmd.name} has no option {flag} (has {sorted(options)})"
    return None


def test_every_cli_command_named_in_the_docs_exists() -> None:
    root = typer.main.get_command(app)
    seen, wrong = 0, []
    for doc in DOCS:
        for words in _cli_commands(doc.read_text(encoding="utf-8")):
            seen += 1
            problem = _check(words, root)
            if problem:
                wrong.append(f"{doc.name}: carecase {' '.join(words)}: {problem}")
    assert seen > 30  # the docs' commands were found at all
    assert not wrong, wrong


def test_the_check_sees_a_wrong_command_and_a_wrong_option() -> None:
    root = typer.main.get_command(app)
    assert _cli_commands("run `carecase ingset PROJECT`") == [["ingset", "PROJECT"]]
    assert _check(["ingset", "PROJECT"], root)
    assert _check(["report", "PROJECT", "--shared"], root)
    assert _check(["costs", "show", "--price-year", "2024"], root) is None
    assert _check(["costs", "apply", "PROJECT"], root) is None
    assert _check(["--debug", "run", "myarea", "--only", "ingest"], root) is None


DOTTED = re.compile(r"`(carecase(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
FILE_NAMES = ("yaml", "duckdb")  # `carecase.yaml`, `carecase.duckdb(.wal)`: project files


def test_every_python_name_in_the_docs_exists() -> None:
    """`carecase.x.y.name` in README/docs is a module, or an attribute of one."""
    import importlib

    wrong = []
    for doc in DOCS:
        for name in sorted(set(DOTTED.findall(doc.read_text(encoding="utf-8")))):
            parts = name.split(".")
            if parts[1] in FILE_NAMES:
                continue
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ModuleNotFoundError:
                    continue
                break
            for attr in parts[i:]:
                if not hasattr(obj, attr):
                    wrong.append(f"{doc.name}: {name}")
                    break
                obj = getattr(obj, attr)
    assert not wrong, wrong
