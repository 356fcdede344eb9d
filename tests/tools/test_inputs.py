"""Quiet inputs are refused, not read as "no filter": an empty or blank value for any flag of any
tool (an unset CI variable, `--service "$SERVICE"`), in one line naming the flag, before any AWS
call; an accounts file listing an account twice (naming both lines); and an --in-use file that
repeats a line is reported, naming both lines."""

from __future__ import annotations

import importlib

import pytest

from tests.support.moto_server import REGION

REQUIRED = {
    "tools.audit.command": [],
    "tools.retention": ["--stack", "dev"],
    "tools.quarantine": ["--repository", "fileflow", "--tag", "v1"],
    "tools.scan_gate": ["--repository", "fileflow", "--tag", "v1"],
    "tools.preview.plan": ["--stack", "dev"],
}
CASES = [
    ("tools.audit.command", "--region"),
    ("tools.audit.command", "--regions"),
    ("tools.audit.command", "--accounts"),
    ("tools.audit.command", "--role-name"),
    ("tools.audit.command", "--external-id"),
    ("tools.audit.command", "--policy-config"),
    ("tools.audit.command", "--in-use"),
    ("tools.audit.command", "--security-hub-account"),
    ("tools.audit.command", "--release-tag-pattern"),
    ("tools.retention", "--service"),
    ("tools.retention", "--ecs-cluster"),
    ("tools.retention", "--stack"),
    ("tools.retention", "--images"),
    ("tools.retention", "--in-use"),
    ("tools.retention", "--region"),
    ("tools.quarantine", "--repository"),
    ("tools.quarantine", "--tag"),
    ("tools.quarantine", "--in-use"),
    ("tools.quarantine", "--notify"),
    ("tools.quarantine", "--region"),
    ("tools.scan_gate", "--repository"),
    ("tools.scan_gate", "--tag"),
    ("tools.scan_gate", "--region"),
    ("tools.preview.plan", "--stack"),
]


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
@pytest.mark.parametrize(("module", "flag"), CASES, ids=[f"{m} {f}" for m, f in CASES])
def test_an_empty_or_blank_flag_value_is_refused_in_one_line_naming_it(
    module, flag, blank, capsys, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may be called
    monkeypatch.setenv("AWS_REGION", REGION)
    args = [*REQUIRED[module], flag, blank]
    if flag in REQUIRED[module]:  # replace the required value rather than repeat the flag
        index = REQUIRED[module].index(flag)
        args = [*REQUIRED[module][:index], flag, blank, *REQUIRED[module][index + 2 :]]
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main(args)
    out, err = capsys.readouterr()
    assert (exited.value.code, out) == (2, "")
    # One line naming the flag and the value (a flag whose own grammar refuses it first, such as
    # --stack, says so after argparse's usage lines).
    assert f"error: argument {flag}: {blank!r} " in err.splitlines()[-1], err
    assert err.count("\n") == 1 or "usage:" in err


def test_a_second_value_that_is_blank_is_refused_too(capsys):
    from tools import retention

    with pytest.raises(SystemExit):
        retention.main(["--stack", "dev", "--service", "api", "--service", ""])
    assert "argument --service: '' is empty" in capsys.readouterr().err


def test_an_accounts_file_listing_an_account_twice_is_refused_naming_both_lines(tmp_path):
    from tools.audit.targets import read_accounts
    from tools.cli import ToolError

    accounts = tmp_path / "accounts.txt"
    accounts.write_text("111111111111 dev\n# prod\n222222222222 prod\n\n111111111111 dev\n")
    with pytest.raises(
        ToolError, match=r"accounts.txt lines 1 and 5: account 111111111111 listed twice"
    ):
        read_accounts(str(accounts))


def test_an_in_use_file_repeating_a_line_is_reported_naming_both_and_counted_once(tmp_path, capsys):
    from tools.usage import from_file

    in_use = tmp_path / "in-use.txt"
    in_use.write_text("fileflow:v1\napi:v2  # web\nfileflow:v1\n")
    uses = from_file(str(in_use))
    assert [(u.repository, u.tag, u.user) for u in uses] == [
        ("fileflow", "v1", "in-use.txt:1"),
        ("api", "v2", "in-use.txt:2"),
    ]
    err = capsys.readouterr().err
    assert f"--in-use {in_use}:3: repeats line 1 (fileflow:v1): counted once" in err
