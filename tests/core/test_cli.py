"""The command line: one clear message and a non-zero exit on error; --debug shows the traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from carecase.cli import app
from carecase.core.schema_doc import schema_markdown

CLI = [sys.executable, "-c", "from carecase.cli import main; main()"]


def _carecase(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_error_prints_one_clear_message_without_traceback(tmp_path):
    bad = tmp_path / "proj"
    bad.mkdir()
    (bad / "carecase.yaml").write_text("version: 1\nproject:\n  name: x\n  period_start: 2024-01-01\n"
                                       "  period_end: 2023-01-01\nengine: {backend: postgres}\n")
    result = _carecase("run", str(bad), cwd=tmp_path)
    assert result.returncode == 2  # ConfigError.exit_code
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.startswith("error: ")
    assert "2 problem(s) in the configuration" in result.stderr
    assert "engine.backend (line 6) = 'postgres'" in result.stderr
    assert "project (line 2): period_end (2023-01-01) is before period_start" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = _carecase("--debug", "run", str(tmp_path / "missing"), cwd=tmp_path)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "ConfigError" in result.stderr and "is not a carecase project" in result.stderr


def test_init_then_refuse_to_overwrite(tmp_path):
    first = _carecase("init", "proj", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "proj" / "carecase.yaml").is_file()
    again = _carecase("init", "proj", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr
    forced = _carecase("init", "proj", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr


def test_usage_error_exits_non_zero_without_traceback(tmp_path):
    result = _carecase("no-such-command", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr and "unexpected error" not in result.stderr


def test_schema_prints_valid_json_schema():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    jsonschema.Draft202012Validator.check_schema(json.loads(result.stdout))


def test_schema_markdown_is_the_configuration_reference():
    result = CliRunner().invoke(app, ["schema", "--markdown"])
    assert result.exit_code == 0
    assert result.stdout == schema_markdown()


def test_help_does_not_load_the_engines() -> None:
    """`carecase --help` (and every stage's command list) loads no table engine, statistics or
    linkage library: each command imports what it needs when it runs (a quick --help)."""
    import subprocess
    import sys

    heavy = ("pandas", "ibis", "duckdb", "scipy", "statsmodels", "splink", "openpyxl", "altair",
             "pyarrow", "carecase.synth.build")
    code = ("import sys, carecase.cli; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""


def test_a_run_prints_each_stages_warnings_and_notes() -> None:
    """`carecase run` and the demo printed only headlines: an ingest warning (an outcome
    instrument nobody declared), a costs warning (an override code one character off) or a
    linkage note (a level fixed in training) was only in the summary files."""
    from rich.console import Console

    import carecase.cli as cli

    buffer = Console(record=True, width=200)
    original, cli.console = cli.console, buffer
    try:
        cli.print_summaries({
            "ingest": {"headline": "1 file", "warnings": ["outcome instrument not declared"]},
            "link": {"headline": "1 person", "notes": ["dob level fixed"]},
            "costs": {"headline": "costed", "warnings": []},
            "audit": None,
        })
    finally:
        cli.console = original
    text = buffer.export_text()
    assert "ingest: outcome instrument not declared" in text
    assert "link: dob level fixed" in text


def test_an_interrupted_or_failed_command_exits_non_zero(monkeypatch, capsys) -> None:
    """Without standalone mode Typer returns (does not raise) the code of a `typer.Exit` and
    of Ctrl-C, and `main` dropped it: a run stopped by Ctrl-C during link, or `carecase link
    review` with no review file, exited 0, so a script's `carecase run X && publish` went on.
    Ctrl-C during a DuckDB query (DuckDB raises its own error, wrapped by the stage) was
    reported as the stage's failure ("could not be trained ... too few records")."""
    import typer

    import carecase.cli as cli

    fake = typer.Typer()

    @fake.command()
    def stop() -> None:
        raise KeyboardInterrupt

    @fake.command()
    def fail() -> None:
        raise typer.Exit(1)

    @fake.command()
    def ok() -> None:
        pass

    @fake.command()
    def query() -> None:  # what DuckDB raises when Ctrl-C stops a query, wrapped by a stage
        from carecase.core.errors import LinkError

        try:
            raise RuntimeError("Query interrupted")
        except RuntimeError as err:
            raise LinkError("The probabilistic model could not be trained (SplinkException).") from err

    monkeypatch.setattr(cli, "app", fake)
    def status(*args: str) -> int:
        monkeypatch.setattr(sys, "argv", ["carecase", *args])
        try:
            cli.main()
        except SystemExit as ended:
            return int(ended.code or 0)
        return 0

    assert status("ok") == 0
    assert status("fail") == 1
    assert status("stop") == 130
    assert "interrupted: the stage that was running did not finish" in capsys.readouterr().err
    assert status("query") == 130
    err = capsys.readouterr().err
    assert "interrupted: the stage" in err and "could not be trained" not in err


def test_a_file_that_cannot_be_written_is_named_with_the_fix_not_as_a_bug(monkeypatch, capsys) -> None:
    """out/report not writable (or the disk full) stopped the report with `unexpected error:
    PermissionError ... Run again with --debug for the traceback, and report it`."""
    import errno

    import typer

    import carecase.cli as cli

    fake = typer.Typer()
    raised: list[BaseException] = []

    @fake.command()
    def write() -> None:
        raise raised[0]

    @fake.command()
    def other() -> None:  # two commands, so that `write` is named as a subcommand
        pass

    monkeypatch.setattr(cli, "app", fake)
    monkeypatch.setattr(sys, "argv", ["carecase", "write"])
    for err, fix in ((PermissionError(errno.EACCES, "Permission denied", "/p/out/report/report.pdf"), "ls -l"),
                     (OSError(errno.ENOSPC, "No space left on device", "/p/out/evaluate/matched.csv"),
                      "the disk is full"),
                     (OSError(errno.EROFS, "Read-only file system", "/p/out/report/report.html"), "read-only")):
        raised[:] = [err]
        try:
            cli.main()
        except SystemExit as ended:
            assert ended.code == 1
        stderr = capsys.readouterr().err
        assert stderr.startswith("error: could not write or read"), stderr
        assert str(err.filename) in stderr.replace("\n", "") and fix in stderr.replace("\n", " ")
        assert "unexpected error" not in stderr and "report it" not in stderr
    raised[:] = [OSError(errno.EBADF, "Bad file descriptor")]  # anything else is still a bug to report
    try:
        cli.main()
    except SystemExit as ended:
        assert ended.code == 1
    assert "unexpected error" in capsys.readouterr().err
