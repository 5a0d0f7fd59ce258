"""`carecase web` refuses a port it cannot serve on before printing a URL (an out-of-range
port dumped two tracebacks and 'unexpected error … report it'; a port in use printed an
'open …' URL whose token the app already on that port refused, then failed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from carecase.cli import main; main()"]


def _web(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*CLI, "web", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_an_out_of_range_port_is_a_usage_error(tmp_path):
    for port in ("99999", "-5", "0"):
        result = _web(str(tmp_path), "--port", port, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Invalid value for '--port'" in result.stderr
        assert "Traceback" not in result.stderr and "open http" not in result.stdout


def test_a_port_in_use_is_named_before_any_url(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _web(str(tmp_path), "--port", str(port), cwd=tmp_path)
    assert result.returncode != 0
    assert f"Cannot serve on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert "open http" not in result.stdout and "Traceback" not in result.stderr
