"""The offline plan (python -m tools.plan): the program under mocks, the pack over gRPC and the
conformance check, as a user runs them on a fresh clone with no AWS account and no Pulumi CLI."""

import json
import os
import shutil
import subprocess
import sys

import jsonschema
import pytest
import yaml

from tests.support.fakes import ACCOUNT_ID, KMS_KEY_ARN, OTHER_PROJECT_KEY_ARN
from tools.preview import conformance, pack_runner, plan
from tools.preview.mock_engine import PLACEHOLDER_KEY_ID, ROOT, run_program

SHIPPED = ("dev", "staging", "prod", "local")
PACK = (
    "ecr-guardrails@v" + yaml.safe_load((ROOT / "policy/PulumiPolicy.yaml").read_text())["version"]
)
KEY_READ = "ssm:/shared/kms/ecs-secrets-key-arn"


def run_plan(capsys, *argv):
    code = plan.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path):
    """A project directory with this checkout's Pulumi.yaml and a stack file the test writes."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")

    def stack(name, config, region="ap-northeast-2"):
        document = {"config": {"aws:region": region, **config} if region else config}
        (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
        return str(tmp_path)

    return stack


@pytest.fixture
def summary(tmp_path, monkeypatch):
    path = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(path))
    return path


# --- the shipped stack files ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", SHIPPED)
def test_each_shipped_stack_plans_clean_with_its_resources_and_verdict(capsys, summary, stack):
    code, out, err = run_plan(capsys, "--stack", stack)
    assert code == 0, err
    registered = run_program(stack).resources
    assert f"+ {len(registered) + 1} to create" in out  # the stack resource counts, as in the CLI
    for resource in registered:
        assert f"{resource.type}  " in out and f" {resource.name} " in out
    assert "pulumi:pulumi:Stack" in out and f"ecr-{stack}" in out
    assert "├─ ecr:index:EcrRepository" in out or "└─ ecr:index:EcrRepository" in out
    # The inputs that matter: encryption, scanning, mutability, lifecycle rules, grants, tags.
    assert "encryptionConfigurations[0].encryptionType: KMS" in out
    assert f"encryptionConfigurations[0].kmsKey: {KMS_KEY_ARN} [placeholder]" in out
    assert "imageScanningConfiguration.scanOnPush: true" in out
    mutability = "IMMUTABLE" if stack == "prod" else "MUTABLE"
    assert f"imageTagMutability: {mutability}\n" in out
    assert "policy rule: 1: tagged v*, imageCountMoreThan 30 -> expire" in out
    assert "policy grant: SameAccountPullPush: Allow ecr:BatchCheckLayerAvailability" in out
    assert f"to AWS arn:aws:iam::{ACCOUNT_ID}:root [placeholder]" in out
    assert f"Environment={'dev' if stack == 'local' else stack}" in out
    assert "value: [secret]" in out  # the URL parameter's value is secret by schema, as in the CLI
    assert "repositories.fileflow.repositoryUrl: " in out
    assert f"] {PACK} (local: policy)" in out
    assert "Verdict: clean." in out
    assert f"accountId = {ACCOUNT_ID}  ([placeholder]" in out
    assert "### Offline plan of `" + stack + "`: clean" in summary.read_text()


def test_prod_notes_the_missing_signing_profile_as_advisory_like_the_cli(capsys):
    code, out, _ = run_plan(capsys, "--stack", "prod")
    assert code == 0
    assert f"[warning] {PACK} (local: policy)" in out
    assert (
        "- [advisory]  ecr-stack-production-signing-profile  (pulumi:pulumi:Stack: ecr-prod)" in out
    )


# --- exit 2: refused config, wrong input ------------------------------------------------------------


def test_a_refused_config_exits_2_with_the_programs_message(capsys, project, summary):
    directory = project(
        "bad",
        {
            "ecr:environment": "prod",
            "ecr:owner": "nobody",
            "ecr:services": {"fileflow": {"scanOnPsh": True}},
        },
    )
    code, out, err = run_plan(capsys, "--stack", "bad", "--project-dir", directory)
    assert code == 2
    assert out == ""
    assert "plan: stack bad: invalid stack config (2 problem(s)):" in err
    assert '\n  - ecr:owner = "nobody": must be an e-mail address' in err
    assert "\n  - ecr:services.fileflow.scanOnPsh = true: unknown key" in err
    assert "Traceback" not in err
    assert "refused" in summary.read_text() and "scanOnPsh" in summary.read_text()


def test_an_assumed_key_the_program_refuses_exits_2_with_its_message(capsys):
    code, _, err = run_plan(capsys, "--stack", "dev", "--assume", f"{KEY_READ}=alias/ecr")
    assert code == 2
    assert 'SSM parameter /shared/kms/ecs-secrets-key-arn holds "alias/ecr"' in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stack", "nosuch"], "cannot read Pulumi.nosuch.yaml"),
        (["--stack", "dev", "--assume", "accountId=12"], 'accountId = "12"'),
        (["--stack", "dev", "--assume", "owner=x"], "KEY must be accountId, region, ssm:NAME"),
        (["--stack", "dev", "--assume", "region"], "must be KEY=VALUE"),
        (["--stack", "dev", "--answers", "/nonexistent.yaml"], "--answers /nonexistent.yaml"),
        (["--stack", "dev", "--policy-pack", "/nonexistent"], "policy pack"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run_plan(capsys, *argv)
    assert code == 2 and out == ""
    (line,) = [x for x in err.splitlines() if not x.startswith("plan: running")]
    assert message in line and "Traceback" not in err


def test_a_policy_config_the_cli_would_refuse_exits_2_naming_it(capsys, tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(
        json.dumps({"ecr-repository-required-tags": {"requiredTags": "Owner"}, "ecr-typo": {}})
    )
    code, out, err = run_plan(capsys, "--stack", "dev", "--policy-pack-config", str(config))
    assert code == 2 and out == ""
    assert "ecr-repository-required-tags.requiredTags: 'Owner' is not of type 'array'" in err
    assert "ecr-typo: the pack has no such policy" in err


def test_an_answers_file_naming_an_unknown_key_is_refused(capsys, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("acountId: '111122223333'\n")
    code, _, err = run_plan(capsys, "--stack", "dev", "--answers", str(answers))
    assert code == 2
    assert f"--answers {answers}: acountId" in err and "Extra inputs are not permitted" in err


# --- exit 1: what the pack or the API models refuse ---------------------------------------------------


def test_a_config_the_pack_refuses_exits_1_naming_the_policy(capsys, project, summary):
    directory = project(
        "noscan",
        {"ecr:environment": "dev", "ecr:services": {"fileflow": {"scanOnPush": False}}},
    )
    code, out, _ = run_plan(capsys, "--stack", "noscan", "--project-dir", directory)
    assert code == 1
    assert f"[error] {PACK}" in out
    assert (
        "- [mandatory]  ecr-repository-require-scan-on-push  "
        "(aws:ecr/repository:Repository: fileflow)" in out
    )
    assert "Verdict: 1 mandatory violation(s), 0 conformance problem(s)." in out
    text = summary.read_text()
    assert "1 mandatory policy violation(s)" in text
    assert "| mandatory | ecr-repository-require-scan-on-push |" in text


def test_the_clis_config_shorthands_all_and_a_bare_level(capsys, project, tmp_path):
    directory = project(
        "noscan",
        {"ecr:environment": "dev", "ecr:services": {"fileflow": {"scanOnPush": False}}},
    )
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"all": "advisory"}))
    argv = ["--stack", "noscan", "--project-dir", directory, "--policy-pack-config", str(config)]
    code, out, _ = run_plan(capsys, *argv)
    assert code == 0
    assert "- [advisory]  ecr-repository-require-scan-on-push" in out
    config.write_text(
        json.dumps({"all": "advisory", "ecr-repository-require-scan-on-push": "mandatory"})
    )
    code, out, _ = run_plan(capsys, *argv)
    assert code == 1
    assert "- [mandatory]  ecr-repository-require-scan-on-push" in out


def test_the_org_config_flags_the_placeholder_key_until_the_real_one_is_assumed(capsys):
    org = "policy/config/org.example.json"
    code, out, _ = run_plan(capsys, "--stack", "prod", "--policy-pack-config", str(ROOT / org))
    assert code == 1
    assert "- [mandatory]  ecr-repository-require-kms-cmk" in out
    assert f"kmsKey {KMS_KEY_ARN} is not in allowedKmsKeys" in out
    assert PLACEHOLDER_KEY_ID in KMS_KEY_ARN
    # With the account's real key assumed (the one the org allowlists), the same plan is clean.
    code, out, _ = run_plan(
        capsys,
        "--stack",
        "prod",
        "--policy-pack-config",
        str(ROOT / org),
        "--assume",
        f"{KEY_READ}={OTHER_PROJECT_KEY_ARN}",
        "--assume",
        f"accountId={ACCOUNT_ID}",
    )
    assert code == 0, out
    assert f"/shared/kms/ecs-secrets-key-arn = {OTHER_PROJECT_KEY_ARN}  (assumed)" in out
    assert "[placeholder]" not in out


def test_a_conformance_problem_exits_1(capsys, monkeypatch, summary):
    """tools/preview/conformance.py is issue 15's module (an interface-only copy on this branch): the
    problem here is data the test controls, returned by a monkeypatched `problems`."""
    seen = []

    def problems(resources):
        seen.extend(resources)
        return [conformance.Problem("fileflow", "name", "must match [a-z0-9._/-]+ (test data)")]

    monkeypatch.setattr(conformance, "problems", problems)
    code, out, _ = run_plan(capsys, "--stack", "dev")
    assert code == 1
    assert {r.type for r in seen} >= {"aws:ecr/repository:Repository"}
    assert (
        "API-model conformance:\n    - fileflow: name: must match [a-z0-9._/-]+ (test data)" in out
    )
    assert "Verdict: 0 mandatory violation(s), 1 conformance problem(s)." in out
    assert "| fileflow | name | must match" in summary.read_text()
    code, out, _ = run_plan(capsys, "--stack", "dev", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["conformance"] == [
        {"resource": "fileflow", "property": "name", "rule": "must match [a-z0-9._/-]+ (test data)"}
    ]


# --- answers -------------------------------------------------------------------------------------------


def test_answers_file_answers_the_reads_per_region(capsys, project, tmp_path):
    directory = project(
        "replicas",
        {
            "ecr:environment": "dev",
            "ecr:services": {"fileflow": {}},
            "ecr:replicationRegions": ["us-west-2"],
        },
    )
    home = "arn:aws:kms:ap-northeast-2:111122223333:key/aaaaaaaa-1111-2222-3333-444444444444"
    west = "arn:aws:kms:us-west-2:111122223333:key/bbbbbbbb-1111-2222-3333-444444444444"
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        yaml.safe_dump(
            {
                "accountId": "111122223333",
                "ssm": {
                    "/shared/kms/ecs-secrets-key-arn": home,
                    "us-west-2:/shared/kms/ecs-secrets-key-arn": west,
                },
            }
        )
    )
    code, out, err = run_plan(
        capsys,
        "--stack",
        "replicas",
        "--project-dir",
        directory,
        "--answers",
        str(answers),
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert [(r["subject"], r["value"], r["placeholder"]) for r in report["reads"]] == [
        ("accountId", "111122223333", False),
        ("/shared/kms/ecs-secrets-key-arn", home, False),
        ("us-west-2:/shared/kms/ecs-secrets-key-arn", west, False),
    ]
    keys = {
        r["inputs"]["prefix"]: r["inputs"]["encryptionConfigurations"][0]["kmsKey"]
        for r in report["resources"]
        if r["type"] == "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
    }
    assert west in keys.values()
    # --assume wins over the file: the replica region's key becomes a placeholder-free override.
    other = west.replace("bbbbbbbb", "cccccccc")
    code, out, _ = run_plan(
        capsys,
        *("--stack", "replicas", "--project-dir", directory, "--answers", str(answers)),
        *("--assume", f"ssm:us-west-2:/shared/kms/ecs-secrets-key-arn={other}", "--json"),
    )
    assert code == 0
    assert other in out and west not in out


def test_the_region_is_a_labelled_read_only_when_the_stack_sets_none(capsys, project):
    config = {"ecr:environment": "dev", "ecr:services": {"fileflow": {}}}
    directory = project("noregion", config, region=None)
    code, out, _ = run_plan(capsys, "--stack", "noregion", "--project-dir", directory)
    assert code == 0
    assert "    region = ap-northeast-2  ([placeholder]" in out
    code, out, _ = run_plan(
        capsys, "--stack", "noregion", "--project-dir", directory, "--assume", "region=eu-west-1"
    )
    assert code == 0
    assert "    region = eu-west-1  (assumed)" in out
    assert "kmsKey: arn:aws:kms:eu-west-1:" in out and "ap-northeast-2" not in out


# --- --json ---------------------------------------------------------------------------------------------

NULLABLE_STRING = {"type": ["string", "null"]}
SHAPE = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "stack",
        "project",
        "ok",
        "reads",
        "resources",
        "outputs",
        "summary",
        "policyPack",
        "diagnostics",
        "conformance",
    ],
    "properties": {
        "stack": {"type": "string"},
        "project": {"type": "string"},
        "ok": {"type": "boolean"},
        "reads": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["invoke", "subject", "value", "placeholder"],
                "properties": {
                    "invoke": {"type": "string"},
                    "subject": {"type": "string"},
                    "value": {"type": "string"},
                    "placeholder": {"type": "boolean"},
                },
            },
        },
        "resources": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["urn", "type", "name", "parent", "custom", "inputs", "options"],
                "properties": {
                    "urn": {"type": "string", "pattern": "^urn:pulumi:"},
                    "type": {"type": "string"},
                    "name": {"type": "string"},
                    "parent": {"type": "string", "pattern": "^urn:pulumi:"},
                    "custom": {"type": "boolean"},
                    "inputs": {"type": "object"},
                    "options": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "parent": {"type": "string"},
                            "protect": {"const": True},
                            "import": {"type": "string"},
                            "dependsOn": {"type": "array", "items": {"type": "string"}},
                            "retainOnDelete": {"const": True},
                            "deleteBeforeReplace": {"const": True},
                            "aliases": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "outputs": {"type": "object"},
        "summary": {
            "type": "object",
            "additionalProperties": False,
            "required": ["create"],
            "properties": {"create": {"type": "integer", "minimum": 1}},
        },
        "policyPack": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version", "path", "config"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "path": {"type": "string"},
                "config": NULLABLE_STRING,
            },
        },
        "diagnostics": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["policy", "level", "message", "description", "urn", "type", "name"],
                "properties": {
                    "policy": {"type": "string"},
                    "level": {"enum": ["advisory", "mandatory", "remediate"]},
                    "message": {"type": "string"},
                    "description": {"type": "string"},
                    "urn": NULLABLE_STRING,
                    "type": NULLABLE_STRING,
                    "name": NULLABLE_STRING,
                },
            },
        },
        "conformance": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["resource", "property", "rule"],
                "properties": {
                    "resource": {"type": "string"},
                    "property": {"type": "string"},
                    "rule": {"type": "string"},
                },
            },
        },
    },
}


def test_json_has_the_documented_shape(capsys):
    code, out, _ = run_plan(
        capsys,
        "--stack",
        "prod",
        "--json",
        "--policy-pack-config",
        str(ROOT / "policy/config/org.example.json"),
    )
    assert code == 1
    report = json.loads(out)
    jsonschema.Draft7Validator(SHAPE).validate(report)
    assert report["ok"] is False
    assert report["summary"]["create"] == len(report["resources"]) + 1
    by_name = {(r["type"], r["name"]): r for r in report["resources"]}
    repository = by_name[("aws:ecr/repository:Repository", "fileflow")]
    component = by_name[("ecr:index:EcrRepository", "fileflow")]
    assert repository["parent"] == component["urn"] and component["custom"] is False
    assert repository["options"]["protect"] is True
    assert repository["inputs"]["imageTagMutability"] == "IMMUTABLE"
    assert by_name[("aws:ssm/parameter:Parameter", "fileflow-url")]["inputs"]["value"] == "[secret]"
    (kms,) = [d for d in report["diagnostics"] if d["level"] == "mandatory"]
    assert (kms["policy"], kms["type"], kms["name"]) == (
        "ecr-repository-require-kms-cmk",
        "aws:ecr/repository:Repository",
        "fileflow",
    )
    (signing,) = [d for d in report["diagnostics"] if d["urn"] is None]
    assert signing["policy"] == "ecr-stack-production-signing-profile"
    assert report["policyPack"]["config"].endswith("org.example.json")
    assert report["outputs"]["repositories"]["fileflow"]["registryId"] == ACCOUNT_ID


# --- the process: clean-up, pipes, a fresh clone -----------------------------------------------------------


def test_the_pack_process_ends_on_every_path(capsys, monkeypatch, tmp_path):
    started = []

    class Recorded(pack_runner.RunningPack):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(plan, "RunningPack", Recorded)
    assert run_plan(capsys, "--stack", "dev")[0] == 0
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"ecr-typo": {}}))
    assert run_plan(capsys, "--stack", "dev", "--policy-pack-config", str(config))[0] == 2

    def broken(self, resources):
        raise pack_runner.PackError("policy pack Analyze failed: test")

    monkeypatch.setattr(Recorded, "preview", broken)
    assert run_plan(capsys, "--stack", "dev")[0] == 2
    assert len(started) == 3
    assert all(pack.process.poll() is not None for pack in started)


def test_help_explains_the_reads_the_limits_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exit_:
        plan.main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for words in (
        "--assume",
        "ssm:us-west-2:",
        "--policy-pack-config",
        "pulumi preview",
        "Exit status",
    ):
        assert words in text


def _clean_checkout(tmp_path):
    """The files a commit would hold (tracked and not ignored), as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    checkout = tmp_path / "clone"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    return checkout


def test_runs_on_a_fresh_clone_after_make_setup_with_no_aws_credentials(tmp_path):
    checkout = _clean_checkout(tmp_path)
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    home = tmp_path / "home"
    home.mkdir()
    # No AWS or Pulumi variables at all; HOME has no ~/.aws or ~/.pulumi.
    env = {"PATH": os.defpath, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "tools.plan", "--stack", "prod"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "+ 9 to create" in result.stdout and "Verdict: clean." in result.stdout
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before  # wrote nothing


def test_a_closed_pipe_ends_quietly():
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.plan", "--stack", "dev"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err


# --- the engine's view: URNs as the engine forms them, and the duplicates it refuses ------------------


def test_urns_are_formed_as_the_engine_forms_them():
    run = run_program("dev")
    component = run.one("ecr:index:EcrRepository", "fileflow")
    repository = run.one("aws:ecr/repository:Repository", "fileflow")
    assert component.urn == "urn:pulumi:dev::ecr::ecr:index:EcrRepository::fileflow"
    assert component.parent == "urn:pulumi:dev::ecr::pulumi:pulumi:Stack::ecr-dev"
    assert repository.urn == (
        "urn:pulumi:dev::ecr::ecr:index:EcrRepository$aws:ecr/repository:Repository::fileflow"
    )


def test_two_resources_with_one_urn_stop_the_plan(capsys, monkeypatch, tmp_path):
    program = tmp_path / "program.py"
    program.write_text(
        "import pulumi_aws as aws\n"
        "aws.ecr.Repository('twice', name='a')\n"
        "aws.ecr.Repository('twice', name='b')\n"
    )

    def twice(*args, **kwargs):
        return run_program(*args, **kwargs, program=program)

    monkeypatch.setattr(plan, "run_program", twice)
    code, out, err = run_plan(capsys, "--stack", "dev")
    assert code == 2 and out == ""
    assert (
        "the engine would refuse the update: duplicate resource URN "
        "urn:pulumi:dev::ecr::aws:ecr/repository:Repository::twice" in err
    )


def test_an_answer_the_program_never_reads_is_a_warning(capsys):
    code, _, err = run_plan(capsys, "--stack", "dev", "--assume", "ssm:/shared/kms/typo=x")
    assert code == 0
    assert "plan: warning: the answer for ssm:/shared/kms/typo was never read (a typo?)" in err
    code, _, err = run_plan(
        capsys, "--stack", "dev", "--assume", f"ssm:/shared/kms/ecs-secrets-key-arn={KMS_KEY_ARN}"
    )
    assert code == 0 and "warning" not in err
