"""The retention check: what a stack file's proposed lifecycle policy would take, against a moto
server (ECR images, ECS task definitions and tasks, Lambda image functions) and against offline
snapshots with push and pull dates we choose (moto stamps every push with the current time)."""

import datetime
import json
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from components.lifecycle import Retention
from components.settings import RepositorySettings
from tests.support.aws_fixtures import ACCOUNT, client, kms_key, push, repository
from tests.support.moto_server import REGION
from tools.preview.mock_engine import ROOT
from tools.preview.stack_file import stack_settings
from tools.retention import aws_preview, compare, judge

URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/api"


def project(tmp_path, **ecr):
    """A project directory with Pulumi.yaml and a stack `test` with these `ecr:` keys."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    config = {"aws:region": REGION, "ecr:environment": "dev", "ecr:services": {"api": {}}}
    config |= {f"ecr:{k}": v for k, v in ecr.items()}
    (tmp_path / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def retention(env, directory, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.retention", "--stack", "test", "--project-dir", str(directory), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def releases(aws):
    """api: v1..v5 pushed a second apart (moto's push times are the current time)."""
    endpoint, env = aws
    repository(endpoint, "api", kms_key(endpoint))
    digests = {}
    for i in range(1, 6):
        digests[f"v{i}"] = push(endpoint, "api", f"v{i}", str(i), scan=False)
        time.sleep(1.1)
    return endpoint, env, digests


def test_a_lower_keep_count_that_would_expire_deployed_images_fails(releases, tmp_path):
    endpoint, env, digests = releases
    ecs = client(endpoint, "ecs")
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "a", "image": f"{URI}:v1", "memory": 64}]
    )
    ecs.register_task_definition(
        family="worker",
        containerDefinitions=[{"name": "a", "image": f"{URI}@{digests['v2']}", "memory": 64}],
    )
    result = retention(env, project(tmp_path, lifecyclePolicyMaxImageCount=2), "--json")
    assert result.returncode == 1, result.stderr
    (service,) = json.loads(result.stdout)["services"]
    assert [e["tags"] for e in service["expire"]] == [["v1"], ["v2"], ["v3"]]
    blocked = {b["digest"]: b["usedBy"] for b in service["blocked"]}
    assert blocked == {
        digests["v1"]: ["ECS task definition web:1"],
        digests["v2"]: ["ECS task definition worker:1"],
    }
    assert json.loads(result.stdout)["ok"] is False


def test_running_tasks_and_lambda_functions_count_as_in_use(releases, tmp_path):
    endpoint, env, digests = releases
    untagged = push(endpoint, "api", None, "u", scan=False)
    ecs, ec2 = client(endpoint, "ecs"), client(endpoint, "ec2")
    ecs.create_cluster(clusterName="prod")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    ecs.register_container_instance(
        cluster="prod", instanceIdentityDocument=json.dumps({"instanceId": instance})
    )
    ecs.register_task_definition(
        family="job",
        containerDefinitions=[{"name": "a", "image": f"{URI}@{untagged}", "memory": 64}],
    )
    ecs.run_task(cluster="prod", taskDefinition="job", launchType="EC2")
    ecs.deregister_task_definition(taskDefinition="job:1")  # only the running task uses it now
    role = client(endpoint, "iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")[
        "Role"
    ]["Arn"]
    client(endpoint, "lambda").create_function(
        FunctionName="thumbs", PackageType="Image", Role=role, Code={"ImageUri": f"{URI}:v3"}
    )
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).isoformat()
    result = retention(
        env,
        project(tmp_path, lifecyclePolicyMaxImageCount=2),
        "--json",
        "--at",
        later,
        "--ecs-cluster",
        "prod",
    )
    assert result.returncode == 1, result.stderr
    blocked = {
        b["digest"]: b["usedBy"] for b in json.loads(result.stdout)["services"][0]["blocked"]
    }
    assert blocked[digests["v3"]] == ["Lambda function thumbs"]
    (task,) = blocked[untagged]
    assert task.startswith("ECS task ") and task.endswith("(prod)")


def test_a_policy_that_takes_nothing_in_use_passes(releases, tmp_path):
    _, env, _ = releases
    result = retention(env, project(tmp_path))
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[2].split()
    # service, images, archived, activating, expire, archive, kept, blocked, status
    assert row == ["api", "5", "0", "0", "0", "0", "5", "0", "judged"]


# --- offline snapshots -----------------------------------------------------------------------------

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)


def detail(digest, tags, pushed_days, pulled_days=None):
    entry = {
        "imageDigest": digest,
        "imageTags": tags,
        "imagePushedAt": (NOW - datetime.timedelta(days=pushed_days)).isoformat(),
    }
    if pulled_days is not None:
        entry["lastRecordedPullTime"] = (NOW - datetime.timedelta(days=pulled_days)).isoformat()
    return entry


def snapshot(tmp_path, *details):
    path = tmp_path / "images.json"
    path.write_text(json.dumps({"api": list(details)}))
    return str(path)


def test_offline_protected_tags_survive_and_archive_goes_by_last_pull(tmp_path):
    directory = project(
        tmp_path, lifecyclePolicyMaxImageCount=1, protectedTags=["prod-*"], archiveAfterDays=90
    )
    images = snapshot(
        tmp_path,
        detail("sha256:old-prod", ["v1", "prod-2025"], 400),
        detail("sha256:old", ["v0"], 500),
        detail("sha256:new", ["v2"], 1),
        detail("sha256:latest", ["latest"], 300, pulled_days=120),
        detail("sha256:main", ["main"], 300, pulled_days=3),
    )
    in_use = tmp_path / "in-use.txt"
    in_use.write_text("# EKS\napi:latest\n")
    env = {
        "PATH": "/usr/bin:/bin"
    }  # no AWS credentials, region or endpoint: nothing is read from AWS
    result = retention(
        env,
        directory,
        "--images",
        images,
        "--in-use",
        str(in_use),
        "--at",
        NOW.isoformat(),
        "--json",
    )
    assert result.returncode == 1, result.stderr
    (service,) = json.loads(result.stdout)["services"]
    assert [e["digest"] for e in service["expire"]] == ["sha256:old"]
    assert [(a["digest"], a["rule"]) for a in service["archive"]] == [("sha256:latest", 4)]
    assert [(b["digest"], b["usedBy"]) for b in service["blocked"]] == [
        ("sha256:latest", ["in-use.txt:2"])
    ]


def test_a_protected_image_a_rule_would_still_take_is_blocked():
    """The protect rule keeps 10,000 images per pattern (ECR's count limit): the 10,001st is
    expired by it, and the check says so."""
    service = RepositorySettings("api", "MUTABLE", True, Retention(protected_tags=("p-*",)))
    details = [detail(f"sha256:{i}", [f"p-{i}"], i) for i in range(10001)]
    verdict = judge(service, details, [], NOW)
    (blocked,) = verdict.blocked
    assert (blocked["digest"], blocked["rule"], blocked["usedBy"]) == (
        "sha256:10000",
        1,
        ["protected tag"],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service", "nope"], "retention: --service nope: not in Pulumi.test.yaml"),
        (["--images", "/nonexistent.json"], "retention: --images /nonexistent.json:"),
        (["--at", "yesterday"], "is not an ISO 8601 time"),
        (["--images", "x.json", "--aws-preview"], "--aws-preview needs ECR"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, message):
    result = retention({"PATH": "/usr/bin:/bin"}, project(tmp_path), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_stack_the_program_would_refuse_is_refused(tmp_path):
    result = retention(
        {"PATH": "/usr/bin:/bin"},
        project(tmp_path, lifecyclePolicyMaxImageCount=0),
        "--images",
        "x",
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "retention: Pulumi.test.yaml: invalid stack config (1 problem(s)): - ecr:lifecyclePolicyMaxImageCount = 0"
    )


def test_an_unreachable_endpoint_is_exit_2(aws, tmp_path):
    _, env = aws
    env = env | {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    result = retention(env, project(tmp_path))
    assert result.returncode == 2
    assert (
        result.stderr.splitlines()[-1].startswith("retention: AWS error")
        and "Traceback" not in result.stderr
    )


class PreviewStub:
    """StartLifecyclePolicyPreview / GetLifecyclePolicyPreview: moto has neither, so the preview
    comparison runs against answers we control."""

    def __init__(self, results):
        self.results, self.started = results, []

    def start_lifecycle_policy_preview(self, **kwargs):
        self.started.append(kwargs)

    def get_paginator(self, name):
        assert name == "get_lifecycle_policy_preview"
        stub = self

        class Pages:
            def paginate(self, **_):
                return [{"status": "COMPLETE", "previewResults": stub.results}]

        return Pages()


def test_aws_preview_disagreements_are_reported():
    settings = stack_settings("dev")
    verdict = judge(settings.services[0], [detail("sha256:u", [], 30)], [], NOW)
    assert [e["digest"] for e in verdict.expire] == ["sha256:u"]
    stub = PreviewStub(
        [{"imageDigest": "sha256:u", "action": {"type": "EXPIRE"}, "appliedRulePriority": 2}]
    )
    assert compare(verdict, aws_preview(stub, "fileflow", "{}")) == {
        "agrees": True,
        "onlyAws": [],
        "onlyOurs": [],
    }
    other = PreviewStub(
        [{"imageDigest": "sha256:x", "action": {"type": "EXPIRE"}, "appliedRulePriority": 1}]
    )
    found = compare(verdict, aws_preview(other, "fileflow", "{}"))
    assert found == {
        "agrees": False,
        "onlyAws": ["sha256:x expire (rule 1)"],
        "onlyOurs": ["sha256:u expire (rule 2)"],
    }
    assert stub.started == [{"repositoryName": "fileflow", "lifecyclePolicyText": "{}"}]


def test_a_signature_of_an_image_that_stays_is_blocked():
    """Signatures are untagged artifacts: an untagged-expiry rule would take them while their image
    stays (which is why a stack with signing generates no such rule)."""
    service = RepositorySettings("api", "MUTABLE", True, Retention(untagged_expiry_days=7))
    details = [
        detail("sha256:img", ["v1"], 30),
        detail("sha256:sig", [], 30)
        | {
            "subjectManifestDigest": "sha256:img",
            "artifactMediaType": "application/vnd.cncf.notary.signature",
        },
    ]
    (blocked,) = judge(service, details, [], NOW).blocked
    assert (blocked["digest"], blocked["usedBy"]) == (
        "sha256:sig",
        ["application/vnd.cncf.notary.signature of sha256:img"],
    )
    signed = RepositorySettings("api", "MUTABLE", True, Retention(expire_untagged=False))
    assert judge(signed, details, [], NOW).expire == []


# --- never an all-clear for what it did not see ------------------------------------------------------

OFFLINE = {"PATH": "/usr/bin:/bin"}  # no AWS credentials, region or endpoint


def offline(tmp_path, data, *args, directory=None):
    path = tmp_path / "snapshot.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    directory = directory or project(tmp_path, lifecyclePolicyMaxImageCount=1)
    return retention(OFFLINE, directory, "--images", str(path), "--at", NOW.isoformat(), *args)


def test_the_aws_clis_describe_images_output_is_read_by_repository_name(tmp_path):
    entries = [
        detail("sha256:old", ["v1"], 10) | {"repositoryName": "api", "registryId": ACCOUNT},
        detail("sha256:new", ["v2"], 1) | {"repositoryName": "api", "imageSizeInBytes": 7},
        detail("sha256:other", ["v1"], 10) | {"repositoryName": "web"},
    ]
    result = offline(tmp_path, {"imageDetails": entries}, "--json")
    assert result.returncode == 0, result.stderr
    (service,) = json.loads(result.stdout)["services"]
    assert (service["status"], service["images"]) == ("judged", 2)
    assert [e["digest"] for e in service["expire"]] == ["sha256:old"]
    # Several outputs concatenated (`jq -s`) are one snapshot.
    listed = offline(
        tmp_path, [{"imageDetails": entries[:1]}, {"imageDetails": entries[1:]}], "--json"
    )
    assert json.loads(listed.stdout)["services"][0]["images"] == 2


def test_a_service_the_snapshot_does_not_cover_is_not_judged_and_fails(tmp_path):
    result = offline(tmp_path, {"web": [detail("sha256:a", ["v1"], 1)]})
    assert result.returncode == 1, result.stderr
    assert "not in the snapshot" in result.stdout
    assert "Not judged (nothing is known about their images): api (" in result.stdout
    assert "snapshot.json has no entry 'api')" in result.stdout
    as_json = json.loads(offline(tmp_path, {"web": []}, "--json").stdout)
    assert as_json["ok"] is False and as_json["services"][0]["status"] == "not in the snapshot"
    assert offline(tmp_path, {"api": []}).returncode == 0  # seen, and empty


def test_in_use_references_that_match_no_image_are_listed(tmp_path):
    in_use = tmp_path / "in-use.txt"
    in_use.write_text(f"api:v9\napi@sha256:{'f' * 64}\napi:v2\nweb:v1\n")
    result = offline(
        tmp_path, {"api": [detail("sha256:new", ["v2"], 1)]}, "--in-use", str(in_use), "--json"
    )
    assert result.returncode == 0, result.stderr
    (service,) = json.loads(result.stdout)["services"]
    assert service["unmatched"] == [
        {"reference": "api:v9", "usedBy": "in-use.txt:1"},
        {"reference": f"api@sha256:{'f' * 64}", "usedBy": "in-use.txt:2"},
    ]
    table = offline(tmp_path, {"api": [detail("sha256:new", ["v2"], 1)]}, "--in-use", str(in_use))
    assert "naming no image of the repository" in table.stdout and "api:v9" in table.stdout


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"api": [{"imageDigest": "sha256:a", "imagePushedAt": 1e300}]}, "at api[0].imagePushedAt"),
        ({"api": [{"imageDigest": "sha256:a", "imagePushedAt": "0001-01-01"}]}, "at api[0].imagePushedAt"),
        ({"api": [{"imageDigest": "sha256:a", "imageTags": [5], "imagePushedAt": 0}]}, "at api[0].imageTags[0]"),
        ({"api": [{"imageTags": ["v1"], "imagePushedAt": 0}]}, "at api[0].imageDigest"),
        ({"api": {"imageDigest": "sha256:a"}}, "at api"),
        ({"imageDetails": [{"imageDigest": "sha256:a", "imagePushedAt": 0}]}, "at [0].imageDetails[0].repositoryName"),
        ({"imageDetails": [], "nextToken": "abc"}, "at [0].nextToken"),
        ({"Not A Repo": []}, "Not A Repo"),
        ([1, 2], "at [0]"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        ('{"api": [}', "not JSON"),
    ],
)  # fmt: skip
def test_a_snapshot_of_another_shape_is_refused_naming_the_path_inside_it(tmp_path, data, where):
    result = offline(tmp_path, data)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"retention: --images {tmp_path}/snapshot.json: ")
    assert where in result.stderr, result.stderr


def test_a_non_utf8_in_use_file_and_absurd_times_are_one_line_errors(tmp_path):
    in_use = tmp_path / "in-use.txt"
    in_use.write_bytes(b"api:v1\n\xff\xfe\n")
    result = offline(tmp_path, {"api": []}, "--in-use", str(in_use))
    assert (result.returncode, result.stderr) == (
        2,
        f"retention: --in-use {in_use}: not UTF-8 text (byte 7)\n",
    )
    for moment in ("0001-01-01", "99999", "nan"):
        at = retention(OFFLINE, project(tmp_path), "--images", "x", "--at", moment)
        assert at.returncode == 2 and "Traceback" not in at.stderr, at.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"- a\n- b\n", "the top level must be a mapping, not list"),
        (b"config:\n  - a\n", "config must be a mapping of key: value, not list"),
        (b"config:\n  ecr:owner: \xff\n", "is not UTF-8"),
        (b"config: [\n", "is not valid YAML"),
    ],
)
def test_a_malformed_stack_file_is_one_line(tmp_path, content, message):
    directory = project(tmp_path)
    (directory / "Pulumi.test.yaml").write_bytes(content)
    result = retention(OFFLINE, directory, "--images", "x")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_closed_pipe_ends_quietly_with_the_verdict(tmp_path):
    rows = {"api": [detail(f"sha256:{i:064x}", [f"v{i}"], i) for i in range(3000)]}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(rows))
    command = (
        f"{sys.executable} -m tools.retention --stack test --project-dir {project(tmp_path)} "
        f'--images {path} --at {NOW.isoformat()} --json | head -1; echo "${{PIPESTATUS[0]}}"'
    )
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=OFFLINE, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.splitlines() == ["{", "0"] and result.stderr == "", result.stderr


def test_an_unwritable_job_summary_is_a_warning(tmp_path):
    env = OFFLINE | {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")}
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"api": []}))
    result = retention(env, project(tmp_path), "--images", str(path))
    assert result.returncode == 0
    assert (
        result.stderr.startswith("warning: GITHUB_STEP_SUMMARY ") and "not written" in result.stderr
    )


# --- the stack's region ---------------------------------------------------------------------------


def test_the_region_comes_from_the_stack_file(releases, tmp_path):
    _, env, _ = releases
    bare = {k: v for k, v in env.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    result = retention(bare, project(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["services"][0]["images"] == 5


def test_an_environment_region_that_disagrees_with_the_stack_is_refused(releases, tmp_path):
    _, env, _ = releases
    other = env | {"AWS_REGION": "us-east-1"}
    refused = retention(other, project(tmp_path))
    assert refused.returncode == 2
    assert refused.stderr == (
        "retention: AWS_REGION=us-east-1 but Pulumi.test.yaml deploys to aws:region "
        f"{REGION}: unset it, or pass --region us-east-1 to read that region's images on purpose\n"
    )
    explicit = retention(other, project(tmp_path), "--region", "us-east-1", "--json")
    assert explicit.returncode == 0, explicit.stderr
    assert json.loads(explicit.stdout)["services"][0]["status"] == "no repository yet"
    assert f"not Pulumi.test.yaml's aws:region {REGION}" in explicit.stderr


def test_a_service_without_a_repository_and_stray_references_are_reported(aws, tmp_path):
    endpoint, env = aws
    client(endpoint, "ecs").register_task_definition(
        family="web", containerDefinitions=[{"name": "a", "image": f"{URI}:v0", "memory": 64}]
    )
    result = retention(env, project(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    (service,) = json.loads(result.stdout)["services"]
    assert service["status"] == "no repository yet" and service["images"] == 0
    assert service["unmatched"] == [{"reference": "api:v0", "usedBy": "ECS task definition web:1"}]
    table = retention(env, project(tmp_path)).stdout
    assert "no repository yet" in table


def test_a_repository_that_cannot_be_read_is_not_judged_and_the_rest_is(
    aws, tmp_path, monkeypatch, capsys
):
    """DescribeImages denied for one repository (moto enforces no IAM: injected at the client)."""
    from botocore.exceptions import ClientError

    from tools import retention as tool

    endpoint, env = aws
    repository(endpoint, "web", kms_key(endpoint))
    push(endpoint, "web", "v1", "1", scan=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    real = tool.repository_images

    def images(ecr, name):
        if name == "api":
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
            raise ClientError(error, "DescribeImages")
        return real(ecr, name)

    monkeypatch.setattr(tool, "repository_images", images)
    directory = project(tmp_path, services={"api": {}, "web": {}})
    assert tool.main(["--stack", "test", "--project-dir", str(directory), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    api, web = report["services"]
    assert (api["status"], api["problem"]) == (
        "unreadable",
        "DescribeImages failed: An error occurred (AccessDeniedException) when calling the "
        "DescribeImages operation: not allowed",
    )
    assert (web["status"], web["images"]) == ("judged", 1) and report["ok"] is False
