"""Incident response against a moto server: the tag goes, the image stays, the rollback candidate
is the newest older release image with a clean scan; refusals change nothing."""

import datetime
import json
import subprocess
import sys
import time

import pytest

from tests.support.aws_fixtures import (
    ACCOUNT,
    client,
    kms_key,
    push,
    repository,
    scan_result,
    task_definition,
)
from tests.support.moto_server import REGION
from tools.cli import ToolError
from tools.preview.mock_engine import ROOT
from tools.quarantine import EXIT_PARTIAL, execute
from tools.quarantine_plan import (
    ScanVerdict,
    Step,
    candidates,
    last_release_problem,
    plan,
    rollback_candidate,
)

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


def steps(outcome):
    return [(s["action"], s["value"]) for s in outcome["steps"]]


def test_the_tag_goes_the_image_stays_and_other_tags_are_named(releases):
    endpoint, env, safe, bad = releases
    result = quarantine(env, "--tag", "v1.1.0", "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert steps(outcome) == [("untag", "v1.1.0")] and outcome["dryRun"] is False
    assert outcome["stillTagged"] == ["latest"]
    assert outcome["rollback"] == {"digest": safe, "tags": ["v1.0.0"], "reference": f"{URL}@{safe}"}
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"], bad: ["latest"]}


def test_the_table_says_the_image_is_still_reachable(releases):
    _, env, _, _ = releases
    result = quarantine(env, "--tag", "v1.1.0", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "would: remove the tag fileflow:v1.1.0" in result.stdout
    assert (
        "still pullable as fileflow:latest (same image): rerun with --all-tags to remove them too"
        in result.stdout
    )
    assert "references by digest still pull it" in result.stdout


def test_all_tags_removes_every_tag_and_keeps_the_image_as_evidence(releases):
    endpoint, env, _, bad = releases
    dry = json.loads(quarantine(env, "--tag", "v1.1.0", "--all-tags", "--dry-run", "--json").stdout)
    result = quarantine(env, "--tag", "v1.1.0", "--all-tags", "--json")
    assert result.returncode == 0, result.stderr
    done = json.loads(result.stdout)
    (kept,) = tags_by_digest(endpoint)[bad]
    assert kept.startswith("quarantined-") and kept.endswith("-v1.1.0")
    assert steps(done) == [("keep", kept), ("untag", "v1.1.0"), ("untag", "latest")]
    # The dry run listed exactly these steps (the quarantine tag's time is that of the run).
    assert [a for a, _ in steps(dry)] == ["keep", "untag", "untag"]
    assert steps(dry)[1:] == steps(done)[1:] and dry["stillTagged"] == done["stillTagged"] == []


def test_a_digest_names_the_image_and_removes_all_its_tags(releases):
    endpoint, env, _, bad = releases
    result = quarantine(env, "--digest", bad, "--json")
    assert result.returncode == 0, result.stderr
    assert [a for a, _ in steps(json.loads(result.stdout))] == ["keep", "untag", "untag"]
    (kept,) = tags_by_digest(endpoint)[bad]
    assert kept.startswith("quarantined-") and kept.endswith("-v1.1.0")


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
        f"done: tag the image fileflow:{kept} so that it survives" in result.stdout
        and f"roll back to: {URL}@{safe}" in result.stdout
    )


def test_delete_needs_yes_and_then_deletes_the_image(releases):
    endpoint, env, safe, bad = releases
    refused = quarantine(env, "--tag", "v1.1.0", "--delete")
    assert refused.returncode == 2 and "confirm with --yes" in refused.stderr
    assert bad in tags_by_digest(endpoint)
    done = quarantine(env, "--tag", "v1.1.0", "--delete", "--yes")
    assert done.returncode == 0, done.stderr
    assert f"done: delete the image fileflow@{bad} with every tag" in done.stdout
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"]}


def test_deleting_an_image_in_use_needs_force(releases, tmp_path):
    endpoint, env, safe, bad = releases
    task_definition(endpoint, f"{URL}@{bad}")
    refused = quarantine(env, "--tag", "v1.1.0", "--delete", "--yes")
    assert refused.returncode == 2
    assert refused.stderr == (
        "quarantine: refusing to delete fileflow:v1.1.0: in use by ECS task definition svc:1: "
        "redeploy them first, or pass --force\n"
    )
    in_use = tmp_path / "eks.txt"
    in_use.write_text("fileflow:v1.0.0\n")
    other = quarantine(env, "--tag", "v1.0.0", "--delete", "--yes", "--in-use", str(in_use))
    assert other.returncode == 2 and "in use by eks.txt:1" in other.stderr
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"], bad: ["latest", "v1.1.0"]}
    forced = quarantine(env, "--tag", "v1.1.0", "--delete", "--yes", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "in use by: ECS task definition svc:1: redeploy them with the rollback" in forced.stdout
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
    assert "nothing safe to roll back to: no release image below v1.0.0" in forced.stdout
    assert tags_by_digest(endpoint) == {only: ["v1.0.0"]}


def subscribed_queue(endpoint):
    sns, sqs = client(endpoint, "sns"), client(endpoint, "sqs")
    topic = sns.create_topic(Name="ecr-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def test_notify_announces_then_publishes_what_was_done(releases):
    endpoint, env, safe, _ = releases
    topic, queue = subscribed_queue(endpoint)
    result = quarantine(env, "--tag", "v1.1.0", "--notify", topic)
    assert result.returncode == 0, result.stderr
    messages = client(endpoint, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages["Messages"]]
    assert [b["Subject"] for b in bodies] == [
        "ECR quarantine starting: fileflow:v1.1.0",
        "ECR quarantine: fileflow:v1.1.0",
    ]
    assert "would: remove the tag fileflow:v1.1.0" in bodies[0]["Message"]
    assert f"would: announce the quarantine on {topic}" in bodies[0]["Message"]
    assert "done: remove the tag fileflow:v1.1.0" in bodies[1]["Message"]
    assert f"roll back to: {URL}@{safe}" in bodies[1]["Message"]


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_topic_that_does_not_exist_changes_nothing(releases, dry_run):
    # The dry run checks the topic as the real run does: a rehearsal must not pass a bad topic.
    endpoint, env, safe, bad = releases
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT}:nope"
    result = quarantine(env, "--tag", "v1.1.0", "--notify", missing, *dry_run)
    assert result.returncode == 2
    assert result.stderr.startswith(f"quarantine: --notify {missing}: ")
    assert result.stderr.endswith("; nothing changed\n") and result.stderr.count("\n") == 1
    assert "NotFound" in result.stderr
    assert tags_by_digest(endpoint) == {safe: ["v1.0.0"], bad: ["latest", "v1.1.0"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "v1\nx"], "is not an image tag"),
        (["--tag", ""], "argument --tag: '' is empty"),
        (["--tag", "v9.9.9"], "quarantine: image fileflow:v9.9.9 not found"),
        (["--digest", "sha256:" + "0" * 64], "quarantine: image fileflow@sha256:000"),
        (["--digest", "abc"], "is not sha256:<64 hex digits>"),
        (["--tag", "v1", "--digest", "sha256:" + "0" * 64], "not allowed with argument"),
        (["--tag", "v1", "--notify", "topic"], "is not an SNS topic ARN"),
        (["--tag", "v1", "--fail-on", "severe"], "invalid choice: 'SEVERE'"),
    ],
)
def test_bad_arguments_and_missing_images_exit_2_on_one_line(releases, args, message):
    _, env, _, _ = releases
    result = quarantine(env, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_missing_repository_is_one_line(aws):
    _, env = aws
    result = quarantine(env, "--tag", "v1")
    assert (result.returncode, result.stderr) == (2, "quarantine: repository fileflow not found\n")


# --- on data we control ----------------------------------------------------------------------------


def image(digest, tags, day):
    return {"imageDigest": digest, "imageTags": tags,
            "imagePushedAt": datetime.datetime(2026, 1, day, tzinfo=datetime.timezone.utc)}  # fmt: skip


def test_the_rollback_is_the_highest_lower_version_not_the_newest_push():
    """Hotfix v1.1.1 is pushed after v1.2.0: its rollback is v1.1.0, not v1.2.0."""
    images = [image("a", ["v1.0.0"], 1), image("b", ["v1.1.0"], 2), image("c", ["v1.2.0"], 3),
              image("d", ["v1.1.1"], 4), image("e", ["v1.1.1-rc1"], 4), image("f", ["sha-1"], 5)]  # fmt: skip
    clean = lambda digest: ScanVerdict(True)  # noqa: E731
    assert rollback_candidate(images, images[3], clean)[0]["imageDigest"] == "b"
    assert rollback_candidate(images, images[2], clean)[0]["imageDigest"] == "d"
    assert [i["imageDigest"] for i in candidates(images, images[2])] == ["d", "b", "a"]
    # A target without a version falls back to what was pushed before it.
    assert rollback_candidate(images, images[5], clean)[0]["imageDigest"] == "c"


def test_no_rollback_says_which_were_vulnerable_and_which_unscanned():
    images = [
        image("a", ["v1.0.0"], 1),
        image("b", ["v1.1.0", "latest"], 2),
        image("c", ["v2.0.0"], 3),
    ]
    verdicts = {"a": ScanVerdict(False), "b": ScanVerdict(True, {"HIGH": 2})}
    found, why = rollback_candidate(images, images[2], verdicts.__getitem__)
    assert found is None
    assert why == (
        "no release image below v2.0.0 has a clean scan: 1 vulnerable (v1.1.0: 2 HIGH); "
        "1 without a completed scan (v1.0.0)"
    )
    assert rollback_candidate(images, images[0], verdicts.__getitem__) == (
        None,
        "no release image below v1.0.0",
    )


def test_last_release_and_plan_order():
    only = image("x", ["v1", "v1-lts"], 1)
    assert last_release_problem([only], only, ["v1"], delete=False) is None  # v1-lts stays
    assert last_release_problem([only], only, ["v1", "v1-lts"], delete=False)
    assert last_release_problem([only], only, [], delete=True)
    assert plan(only, ["v1", "v1-lts"], False, "q", "arn") == [
        Step("announce", "arn"), Step("keep", "q"), Step("untag", "v1"), Step("untag", "v1-lts"),
        Step("notify", "arn"),
    ]  # fmt: skip
    assert plan(only, ["v1"], False, "q", None) == [Step("untag", "v1")]
    assert plan(only, ["v1"], True, "q", None) == [Step("delete", "x")]


class Failing:
    """ECR that refuses the second tag removal: what changed before it must be reported."""

    repository = "fileflow"

    def __init__(self, fail_on):
        self.fail_on, self.calls = fail_on, []

    def keep(self, digest, tag):
        self.calls.append(("keep", tag))

    def remove(self, image_id):
        if image_id.get("imageTag") == self.fail_on:
            raise ToolError("ECR refused: ImageNotFound")
        self.calls.append(("remove", image_id))


def test_a_failure_after_a_change_says_what_changed_and_exits_3():
    planned = [Step("keep", "q"), Step("untag", "v1"), Step("untag", "latest")]
    with pytest.raises(ToolError) as raised:
        execute(Failing("latest"), planned, "sha256:x", lambda step: ("s", "m"))
    assert raised.value.exit == EXIT_PARTIAL == 3
    assert str(raised.value) == (
        "could not remove the tag fileflow:latest: ECR refused: ImageNotFound; already done: tag "
        "the image fileflow:q so that it survives; remove the tag fileflow:v1"
    )
    with pytest.raises(ToolError) as first:
        execute(Failing("v1"), planned[1:], "sha256:x", lambda step: ("s", "m"))
    assert first.value.exit is None and str(first.value).endswith("; nothing changed")


def test_an_images_signatures_stay_with_it(releases):
    from tests.support.aws_fixtures import push_signature

    endpoint, env, _, bad = releases
    signature = push_signature(client(endpoint, "ecr"), bad)
    result = quarantine(env, "--tag", "v1.1.0", "--all-tags", "--json")
    assert result.returncode == 0, result.stderr
    assert signature in tags_by_digest(endpoint)  # untouched: it stays with the image
    # moto's DescribeImages leaves out subjectManifestDigest, so it names no artifact here; the
    # naming is tested on DescribeImages data below.
    assert json.loads(result.stdout)["artifacts"] == []


def test_artifacts_are_the_images_whose_subject_is_the_image():
    from tools.quarantine import Outcome, artifacts_of

    images = [
        {"imageDigest": "sha256:img"},
        {"imageDigest": "sha256:sig", "subjectManifestDigest": "sha256:img"},
        {"imageDigest": "sha256:other", "subjectManifestDigest": "sha256:x"},
    ]
    assert artifacts_of(images, "sha256:img") == ["sha256:sig"]
    outcome = Outcome("r", "sha256:img", ["v1"], [], False, [], [], None, "none", ["sha256:sig"])
    assert "kept with the image: 1 signature(s) or other artifact(s) (sha256:sig)" in (
        outcome.as_text()
    )


def test_the_workloads_that_pull_the_removed_tag_are_named_in_the_dry_and_real_run(
    releases, tmp_path
):
    """Issue 25: without --delete, ECS and --in-use references to the tag were not named, though
    their next deployment fails. The task definition uses the dual-stack registry name."""
    endpoint, env, _, bad = releases
    task_definition(endpoint, f"{ACCOUNT}.dkr-ecr.{REGION}.on.aws/fileflow:v1.1.0")
    in_use = tmp_path / "in-use.txt"
    in_use.write_text(f"fileflow:v1.1.0\nfileflow:v1.1.0@{bad}\n")  # the second pulls the digest
    for dry_run in (["--dry-run"], []):
        result = quarantine(env, "--tag", "v1.1.0", "--in-use", str(in_use), *dry_run, "--json")
        assert result.returncode == 0, result.stderr
        outcome = json.loads(result.stdout)
        assert outcome["tagUsers"] == {"v1.1.0": ["in-use.txt:1", "ECS task definition svc:1"]}
    text = quarantine(env, "--tag", "latest", "--dry-run").stdout
    assert "pulls fileflow:latest" not in text  # nothing pulls `latest`
