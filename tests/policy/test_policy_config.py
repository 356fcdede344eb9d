"""One validation of a whole policy config, shared by the pack and the tools: unknown policies and
keys, bad values and too-wide exemptions are refused naming the key and what is allowed; the
audit refuses such a file with exit 2 and one line, before any AWS call."""

import datetime
import json
import subprocess
import sys

import pytest

from policy.ecr_guardrails.config import SETTINGS_OF, settings_of
from policy.ecr_guardrails.policies import POLICIES, check_config
from tools.preview.mock_engine import ROOT

SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
FAR = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()
LEAST = "ecr-repository-policy-least-privilege"
PACK = "ecr-pack-settings"


def test_the_shipped_configs_are_accepted():
    for name in ("org.example.json", "advisory.json"):
        raw = json.loads((ROOT / "policy" / "config" / name).read_text())
        assert check_config(raw) == [], name


def test_every_configurable_policy_exists():
    names = {p.name for p in POLICIES}
    assert set(SETTINGS_OF) <= names
    for policy in POLICIES:
        schema = policy.config_schema
        assert set(schema.properties if schema else ()) == set(settings_of(policy.name))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({LEAST: {"allowedAcounts": ["123456789012"]}}, f"{LEAST}.allowedAcounts is not a setting"),
        ({PACK: {"allowedAccounts": ["12"]}}, f'{PACK}.allowedAccounts[0] = "12": wrong format'),
        ({PACK: {"allowedAccounts": "123456789012"}}, "wrong type"),
        ({LEAST: {"allowedAccounts": []}}, "it moved to ecr-pack-settings.allowedAccounts"),
        ({PACK: {"minReleaseImagesKept": 0}}, f"{PACK}.minReleaseImagesKept = 0: too small"),
        ({LEAST: {"enforcementLevel": "strict"}}, 'enforcementLevel = "strict": must be one of'),
        ({"ecr-no-such-policy": {}}, "ecr-no-such-policy is not a policy of this pack"),
        ({"ecr-pack-settings": {"productionStacks": []}}, "productionStacks = []: is empty"),
        (
            {"ecr-repository-immutable-tags-in-production": {"prodEnvironments": ["prd"]}},
            "it moved to ecr-pack-settings.productionEnvironments",
        ),
        (
            {
                LEAST: {
                    "exemptions": [
                        {"repository": "*", "stacks": ["*"], "reason": "r", "expires": SOON}
                    ]
                }
            },
            "matches every repository",
        ),
        (
            {LEAST: {"exemptions": [{"repository": "legacy/*", "reason": "r", "expires": SOON}]}},
            "stacks is a required property",
        ),
        (
            {
                LEAST: {
                    "exemptions": [
                        {"repository": "legacy/*", "stacks": ["*"], "reason": "r", "expires": FAR}
                    ]
                }
            },
            "is more than 365 days ahead",
        ),
        ([], "must be a JSON object"),
    ],
)
def test_bad_configs_name_the_key_and_what_is_allowed(raw, expected):
    problems = check_config(raw)
    assert problems and expected in problems[0], problems


def test_the_clis_other_forms_are_accepted():
    # The CLI takes a bare level for a policy, and `all` for every policy's level.
    assert check_config({"all": "advisory", LEAST: "disabled"}) == []
    assert check_config({"all": {"enforcementLevel": "mandatory"}}) == []
    assert check_config({"all": {"allowedAccounts": []}}) == ["all takes only enforcementLevel"]
    assert "must be one of" in check_config({LEAST: "loud"})[0]


def test_the_horizon_comes_from_the_pack_settings():
    exemption = {"repository": "legacy/*", "stacks": ["*"], "reason": "r", "expires": FAR}
    raw = {LEAST: {"exemptions": [exemption]}, "ecr-pack-settings": {"maxExemptionDays": 500}}
    assert check_config(raw) == []


def _audit(tmp_path, config):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(config))
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "ap-northeast-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # Nothing listens here: a tool that called AWS would fail with an AWS error instead.
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "tools.audit", "--policy-config", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({LEAST: {"allowedAcounts": ["123456789012"]}}, f"{LEAST}.allowedAcounts"),
        ({"ecr-pack-settings": {"allowedAccounts": ["1"]}}, "ecr-pack-settings.allowedAccounts[0]"),
        ({"ecr-pack-settings": {"productionEnvironments": []}}, "productionEnvironments = []"),
    ],
)
def test_the_audit_refuses_a_bad_policy_config_before_any_aws_call(tmp_path, config, expected):
    result = _audit(tmp_path, config)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("audit: --policy-config ") and expected in result.stderr
    assert "AWS error" not in result.stderr


def test_the_audit_reads_the_clis_shorthands_as_the_cli_does(tmp_path):
    from tools.audit.pack import PackConfig

    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"all": "advisory", LEAST: "remediate", "ecr-pack-settings": {}}))
    config = PackConfig.load(str(path))
    assert config.levels[LEAST] == "mandatory"  # remediate enforces; the audit changes nothing
    assert {config.levels[p.name] for p in POLICIES if p.name != LEAST} == {"advisory"}
    assert config.of(LEAST) == {}
