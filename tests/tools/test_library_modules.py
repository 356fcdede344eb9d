"""`python -m tools.<library module>` is no command: a usage error in one line (exit 2), never a
silent exit 0 that a CI step would read as success; `--help` says what to run instead."""

import subprocess
import sys

import pytest

LIBRARIES = ["cli", "aws", "images", "signing", "inputs", "usage", "strict_load",
             "quarantine_plan", "retention_verdict", "replication_report"]  # fmt: skip


def _run(module, *args):
    return subprocess.run(
        [sys.executable, "-m", f"tools.{module}", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("module", LIBRARIES)
def test_a_library_module_run_as_a_command_is_a_usage_error(module):
    for args in (["--no-such-flag"], []):
        done = _run(module, *args)
        assert done.returncode == 2, (module, args, done.stderr)
        assert done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"tools.{module}: not a command") and "python -m tools.audit" in line


def test_help_names_the_commands():
    done = _run("cli", "--help")
    assert done.returncode == 0 and "python -m tools.quarantine" in done.stdout
