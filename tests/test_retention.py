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
from tests.aws_fixtures import ACCOUNT, client, kms_key, push, repository
from tests.moto_server import REGION
from tools.mock_engine import ROOT
from tools.retention import aws_preview, compare, judge
from tools.stack_file import stack_settings

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
    assert result.stdout.splitlines()[2].split() == ["api", "5", "0", "0", "5", "0"]


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
