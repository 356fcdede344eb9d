"""Incident response against a moto server: the tag goes, the image stays, the rollback candidate
is the newest older release image with a clean scan; refusals change nothing."""

import json
import subprocess
import sys
import time

import pytest

from tests.aws_fixtures import ACCOUNT, client, kms_key, push, repository, scan_result
from tests.moto_server import REGION
from tools.mock_engine import ROOT
from tools.quarantine import last_release_problem, rollback_candidate

URL = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/fileflow"


def quarantine(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tools.quarantine", "--repository", "fileflow", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def tags_by_digest(endpoint):
    images = client(endpoint, "ecr").describe_images(repositoryName="fileflow")["imageDetails"]
    return {i["imageDigest"]: sorted(i.get("imageTags", [])) for i in images}


@pytest.fixture
def releases(aws):
    """v1.0.0 (clean scan), v1.1.0 (HIGH, also `latest`), pushed a second apart."""
    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    safe = push(endpoint, "fileflow", "v1.0.0", "a", scan=False)
    scan_result(endpoint, "fileflow", safe, {})
    client(endpoint, "ecr").start_image_scan(
        repositoryName="fileflow", imageId={"imageDigest": safe}
    )
    time.sleep(1.1)  # moto stamps pushes with the current time
    bad = push(endpoint, "fileflow", "v1.1.0", "b")
    ecr = client(endpoint, "ecr")
    manifest = ecr.batch_get_image(repositoryName="fileflow", imageIds=[{"imageDigest": bad}])[
        "images"
    ][0]["imageManifest"]
    ecr.put_image(repositoryName="fileflow", imageManifest=manifest, imageTag="latest")
    return endpoint, env, safe, bad


def test_the_tag_goes_the_image_stays_and_the_rollback_is_named(releases):
    endpoint, env, safe, bad = releases
    result = quarantine(env, "--tag", "v1.1.0", "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["action"] == "removed the tag (the image stays)" and outcome["keptAs"] is None
    assert outcome["rollback"] == {"digest": safe, "tags": ["v1.0.0"], "reference": f"{URL}@{safe}"}
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"], bad: ["latest"]}


def test_an_only_tag_is_replaced_by_a_quarantine_tag_so_the_image_survives(releases):
    endpoint, env, safe, bad = releases
    client(endpoint, "ecr").batch_delete_image(
        repositoryName="fileflow", imageIds=[{"imageTag": "latest"}]
    )
    result = quarantine(env, "--tag", "v1.1.0")
    assert result.returncode == 0, result.stderr
    (kept,) = tags_by_digest(endpoint)[bad]
    assert kept.startswith("quarantined-") and kept.endswith("-v1.1.0")
    assert (
        f"kept as fileflow:{kept}" in result.stdout
        and f"roll back to: {URL}@{safe}" in result.stdout
    )


def test_delete_needs_yes_and_then_deletes_the_image(releases):
    endpoint, env, safe, bad = releases
    refused = quarantine(env, "--tag", "v1.1.0", "--delete")
    assert refused.returncode == 2 and "confirm with --yes" in refused.stderr
    assert bad in tags_by_digest(endpoint)
    done = quarantine(env, "--tag", "v1.1.0", "--delete", "--yes")
    assert done.returncode == 0, done.stderr
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"]}


def test_the_last_release_image_is_kept_without_force(aws):
    endpoint, env = aws
    repository(endpoint, "fileflow", kms_key(endpoint))
    only = push(endpoint, "fileflow", "v1.0.0", "a")
    refused = quarantine(env, "--tag", "v1.0.0", "--delete", "--yes")
    assert refused.returncode == 2
    assert (
        refused.stderr
        == "quarantine: refusing to remove fileflow:v1.0.0: it is the last release image of the repository: pass --force to do it anyway\n"
    )
    assert tags_by_digest(endpoint) == {only: ["v1.0.0"]}
    forced = quarantine(env, "--tag", "v1.0.0", "--force", "--dry-run")
    assert forced.returncode == 1  # done (dry run), but nothing safe to roll back to
    assert "nothing safe to roll back to" in forced.stdout
    assert tags_by_digest(endpoint) == {only: ["v1.0.0"]}


def test_notify_publishes_what_was_done(releases):
    endpoint, env, safe, _ = releases
    sns, sqs = client(endpoint, "sns"), client(endpoint, "sqs")
    topic = sns.create_topic(Name="ecr-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    result = quarantine(env, "--tag", "v1.1.0", "--notify", topic)
    assert result.returncode == 0, result.stderr
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "ECR quarantine: fileflow:v1.1.0"
    assert f"roll back to: {URL}@{safe}" in body["Message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "v1\nx"], "is not an image tag"),
        (["--tag", ""], "is not an image tag"),
        (["--tag", "v9.9.9"], "quarantine: image fileflow:v9.9.9 not found"),
        (["--tag", "v1", "--notify", "topic"], "is not an SNS topic ARN"),
    ],
)
def test_bad_arguments_and_missing_images_exit_2_on_one_line(releases, args, message):
    _, env, _, _ = releases
    result = quarantine(env, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_rollback_selection_on_data_we_control():
    """Push times we choose (moto stamps every push with the current time)."""

    def image(digest, tags, day):
        import datetime

        return {"imageDigest": digest, "imageTags": tags,
                "imagePushedAt": datetime.datetime(2026, 1, day, tzinfo=datetime.timezone.utc)}  # fmt: skip

    images = [image("a", ["v1"], 1), image("b", ["v2"], 2), image("c", ["sha-1"], 3),
              image("d", ["v3"], 4), image("e", ["v4"], 5)]  # fmt: skip
    clean = {"a", "b", "c"}.__contains__
    assert rollback_candidate(images, images[4], clean)["imageDigest"] == "b"  # d is not clean
    assert rollback_candidate(images, images[0], clean) is None  # nothing older
    assert last_release_problem(images[:1], images[0], "v1", delete=False)
    assert (
        last_release_problem(
            [image("x", ["v1", "v1-lts"], 1)], image("x", ["v1", "v1-lts"], 1), "v1", delete=False
        )
        is None
    )
