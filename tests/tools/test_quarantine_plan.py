"""The quarantine's decisions on DescribeImages data (pure: tools/quarantine_plan.py): the rollback
candidate, the last-release guard, the steps in the order the real run makes them, and the outcome
as the command prints it. The AWS side is tests/tools/test_quarantine.py, against moto."""

import datetime

import pytest

from tools.quarantine_plan import (
    Outcome,
    ScanVerdict,
    Step,
    artifacts_of,
    candidates,
    label,
    last_release_problem,
    plan,
    quarantine_tag,
    rollback_candidate,
)

UTC = datetime.timezone.utc


def image(digest, tags, second=0, day=1):
    """An imageDetails entry as boto3 returns it (aware imagePushedAt; no imageTags untagged)."""
    found = {
        "imageDigest": digest,
        "imagePushedAt": datetime.datetime(2026, 1, day, 12, 0, second, tzinfo=UTC),
    }
    if tags:
        found["imageTags"] = tags
    return found


def digests(images):
    return [i["imageDigest"] for i in images]


CLEAN = ScanVerdict(True)


def clean(digest):
    return CLEAN


# --- the rollback candidate -----------------------------------------------------------------------


def test_candidates_are_final_releases_strictly_below_the_target_highest_first():
    target = image("t", ["v2.0.0"], day=9)
    images = [
        target,
        image("same-version", ["v2.0"], day=10),  # v2.0 is v2.0.0: not below it
        image("above", ["v2.1.0"], day=2),
        image("rc", ["v1.9.0-rc1"], day=8),  # a pre-release only: never a rollback
        image("rc-and-final", ["v1.8.0-rc1", "v1.8.0"], day=7),
        image("latest-only", ["latest"], day=6),  # no version
        image("untagged", [], day=5),
        image("v1.10", ["v1.10.0"], day=1),  # 1.10 > 1.9: numbers, not text
        image("v1.9", ["v1.9.0"], day=3),
        image("v0", ["v0.0.1"], day=4),
    ]
    assert digests(candidates(images, target)) == ["v1.10", "v1.9", "rc-and-final", "v0"]


def test_a_pre_release_tag_counts_its_version_for_ordering_but_a_final_tag_makes_the_release():
    """An image tagged v1.5.0-rc1 and v1.4.0 is the final release v1.4.0, ordered by its highest
    version (1.5.0); one tagged only with pre-releases is never a candidate."""
    target = image("t", ["v2.0.0"], day=9)
    images = [
        target,
        image("rc+final", ["v1.5.0-rc1", "v1.4.0"], day=2),
        image("final", ["v1.4.5"], day=3),
        image("rcs", ["v1.6.0-rc1", "v1.6.0-rc2"], day=4),
    ]
    assert digests(candidates(images, target)) == ["rc+final", "final"]


def test_the_same_version_on_two_images_goes_newest_push_first():
    """Rebuilds: v1.1 and v1.1.0 are one version on two images; the later push is preferred."""
    target = image("t", ["v2.0.0"], day=9)
    images = [
        image("older-build", ["v1.1.0"], day=2),
        target,
        image("newer-build", ["v1.1"], day=3),
        image("v1.0", ["v1.0.0"], day=8),
    ]
    assert digests(candidates(images, target)) == ["newer-build", "older-build", "v1.0"]
    assert rollback_candidate(images, target, clean) == (images[2], "")


def test_candidates_pushed_in_the_same_second_keep_the_order_they_were_listed_in():
    """ECR gives push times in whole seconds: two builds of a version pushed in one second tie,
    and the order is DescribeImages' (stable), not reversed."""
    target = image("t", ["v2.0.0"], day=9)
    images = [target, image("first", ["v1.1.0"], 5), image("second", ["v1.1"], 5)]
    assert digests(candidates(images, target)) == ["first", "second"]


def test_a_target_without_a_version_rolls_back_to_a_release_pushed_strictly_before_it():
    """`latest` has no version: the candidates are the releases pushed before it, highest
    version first; one pushed in the same second as the target is not before it."""
    target = image("t", ["latest"], 30)
    images = [
        target,
        image("same-second", ["v9.0.0"], 30),
        image("later", ["v8.0.0"], 31),
        image("before", ["v1.0.0"], 29),
        image("long-before", ["v1.2.0"], 1),
    ]
    assert digests(candidates(images, target)) == ["long-before", "before"]


def test_an_image_without_a_push_time_is_the_oldest():
    target = image("t", ["latest"], 30)
    undated = {"imageDigest": "undated", "imageTags": ["v1.0.0"]}
    assert digests(candidates([target, undated], target)) == ["undated"]
    assert digests(candidates([undated, image("x", ["v1.0.0"], 1)], undated)) == []


def test_release_patterns_decide_what_a_version_is():
    target = image("t", ["release-2.0"], day=9)
    images = [target, image("r1", ["release-1.0"], day=1), image("v1", ["v1.5.0"], day=10)]
    assert digests(candidates(images, target, ("release-*",))) == ["r1"]
    # Compared by version under the stack's patterns, not by push time.
    hotfix = image("r1.5", ["release-1.5"], day=12)
    assert digests(candidates([*images, hotfix], target, ("release-*",))) == ["r1.5", "r1"]
    assert rollback_candidate([*images, hotfix], target, clean, ("release-*",)) == (hotfix, "")
    assert digests(candidates(images, target)) == []  # v*: the target has no version; v1 is later


def test_the_first_clean_candidate_is_taken_and_no_further_scan_is_read():
    target = image("t", ["v3.0.0"], day=9)
    images = [target, image("a", ["v2.0.0"], day=1), image("b", ["v1.0.0"], day=2),
              image("c", ["v0.1.0"], day=3)]  # fmt: skip
    asked = []
    verdicts = {"a": ScanVerdict(True, {"CRITICAL": 1}), "b": CLEAN, "c": CLEAN}

    def verdict(digest):
        asked.append(digest)
        return verdicts[digest]

    assert rollback_candidate(images, target, verdict) == (images[2], "")
    assert asked == ["a", "b"]


def test_a_scan_is_clean_when_it_completed_without_blocking_findings():
    assert ScanVerdict(True).clean
    assert ScanVerdict(True, {}).clean
    assert not ScanVerdict(True, {"HIGH": 1}).clean
    assert not ScanVerdict(False).clean
    assert not ScanVerdict(False, {"HIGH": 1}).clean


def test_no_candidate_names_every_vulnerable_and_unscanned_release_up_to_five():
    target = image("t", ["v9.0.0"], day=20)
    images = [target] + [image(f"d{n}", [f"v1.{n}.0"], day=n + 1) for n in range(8)]
    verdicts = {f"d{n}": ScanVerdict(True, {"CRITICAL": 1, "HIGH": n}) for n in range(7)}
    verdicts["d7"] = ScanVerdict(False)
    found, why = rollback_candidate(images, target, verdicts.__getitem__)
    assert found is None
    assert why == (
        "no release image below v9.0.0 has a clean scan: 7 vulnerable (v1.6.0: 1 CRITICAL, 6 "
        "HIGH; v1.5.0: 1 CRITICAL, 5 HIGH; v1.4.0: 1 CRITICAL, 4 HIGH; v1.3.0: 1 CRITICAL, 3 "
        "HIGH; v1.2.0: 1 CRITICAL, 2 HIGH; and 2 more); 1 without a completed scan (v1.7.0)"
    )


def test_exactly_five_are_all_named_without_more():
    target = image("t", ["v9.0.0"], day=20)
    images = [target] + [image(f"d{n}", [f"v1.{n}.0"], day=n + 1) for n in range(5)]
    found, why = rollback_candidate(images, target, lambda digest: ScanVerdict(False))
    assert found is None
    assert why == (
        "no release image below v9.0.0 has a clean scan: 5 without a completed scan (v1.4.0; "
        "v1.3.0; v1.2.0; v1.1.0; v1.0.0)"
    )


def test_without_any_release_below_the_target_it_says_so():
    target = image("t", ["v1.0.0"], day=5)
    images = [target, image("newer", ["v2.0.0"], day=1), image("dev", ["dev"], day=2)]
    assert rollback_candidate(images, target, clean) == (None, "no release image below v1.0.0")
    untagged = image("sha256:0123456789abcdef0123", [], day=9)
    assert rollback_candidate([untagged], untagged, clean) == (
        None,
        "no release image below sha256:0123456789ab",
    )


def test_an_image_is_labelled_by_its_version_tag_else_its_first_tag_else_its_digest():
    assert label(image("d", ["latest", "v1.0.0", "stable"])) == "v1.0.0"
    assert label(image("d", ["v1.0.0", "v1.0"])) == "v1.0"  # versions sorted as text
    assert label(image("d", ["zeta", "alpha"])) == "alpha"
    assert label(image("sha256:" + "a" * 64, [])) == "sha256:aaaaaaaaaaaa"  # 19 characters


# --- the last release ------------------------------------------------------------------------------


def test_the_last_release_image_is_kept_unless_another_release_stays():
    only = image("x", ["v1.0.0", "latest"])
    other = image("y", ["v0.9.0"])
    dev = image("z", ["dev"])
    message = "it is the last release image of the repository: pass --force to do it anyway"
    assert last_release_problem([only, dev], only, [], delete=True) == message
    assert last_release_problem([only, dev], only, ["v1.0.0"], delete=False) == message
    assert last_release_problem([only, dev], only, ["latest"], delete=False) is None
    assert last_release_problem([only, other], only, [], delete=True) is None
    assert last_release_problem([only, dev], dev, [], delete=True) is None  # not a release
    assert last_release_problem([dev], dev, ["dev"], delete=False) is None


def test_the_last_release_follows_the_release_patterns():
    only = image("x", ["release-1", "v1.0.0"])
    assert last_release_problem([only], only, ["release-1"], False, ("release-*",))
    assert last_release_problem([only], only, ["release-1"], False) is None  # v1.0.0 stays
    assert last_release_problem([only], only, ["v1.0.0"], False, ("release-*",)) is None
    release_only = image("r", ["release-2"])
    assert last_release_problem([release_only], release_only, [], True, ("release-*",))
    older = image("o", ["release-0"])
    assert (
        last_release_problem([release_only, older], release_only, [], True, ("release-*",)) is None
    )


# --- the changes ----------------------------------------------------------------------------------


def test_artifacts_are_the_images_that_name_the_image_as_their_subject_sorted():
    images = [
        {"imageDigest": "sha256:img"},
        {"imageDigest": "sha256:sig-b", "subjectManifestDigest": "sha256:img"},
        {"imageDigest": "sha256:sig-a", "subjectManifestDigest": "sha256:img"},
        {"imageDigest": "sha256:other", "subjectManifestDigest": "sha256:x"},
    ]
    assert artifacts_of(images, "sha256:img") == ["sha256:sig-a", "sha256:sig-b"]
    assert artifacts_of(images, "sha256:none") == []


def test_the_quarantine_tag_names_the_time_in_utc_and_fits_a_docker_tag():
    now = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert quarantine_tag("v1.2.3", now) == "quarantined-20260102T030405Z-v1.2.3"
    long = quarantine_tag("t" * 128, now)
    assert len(long) == 128  # the OCI tag grammar allows 128 characters
    assert long.startswith("quarantined-20260102T030405Z-ttt")


@pytest.mark.parametrize(
    ("removed", "delete", "topic", "expected"),
    [
        (["v1"], False, None, [("untag", "v1")]),
        (["v1", "latest"], False, None, [("keep", "q"), ("untag", "v1"), ("untag", "latest")]),
        ([], False, None, []),  # nothing asked: no quarantine tag either
        ([], True, None, [("delete", "sha256:x")]),
        (["v1"], True, "arn:t", [("announce", "arn:t"), ("delete", "sha256:x"),
                                 ("notify", "arn:t")]),
        (["v1"], False, "arn:t", [("announce", "arn:t"), ("untag", "v1"), ("notify", "arn:t")]),
    ],
)  # fmt: skip
def test_the_steps_in_the_order_the_real_run_makes_them(removed, delete, topic, expected):
    target = image("sha256:x", ["v1", "latest"])
    steps = plan(target, removed, delete, "q", topic)
    assert [(s.kind, s.value) for s in steps] == expected


def test_each_step_says_what_it_does():
    assert [Step(kind, "x").describe("api") for kind in
            ("announce", "keep", "untag", "delete", "notify")] == [
        "announce the quarantine on x",
        "tag the image api:x so that it survives",
        "remove the tag api:x",
        "delete the image api@x with every tag",
        "publish what was done to x",
    ]  # fmt: skip


# --- the outcome -----------------------------------------------------------------------------------


def outcome(**changes):
    base = {
        "repository": "api",
        "digest": "sha256:bad",
        "tags": ["v1.1.0", "latest"],
        "steps": [Step("untag", "v1.1.0")],
        "dry_run": True,
        "still_tagged": ["latest"],
        "used_by": [],
        "rollback": {"reference": "api@sha256:good", "tags": ["v1.0.0", "stable"]},
        "no_rollback": "",
    }
    return Outcome(**(base | changes))


def test_a_dry_run_says_what_would_happen_and_what_stays_reachable():
    assert outcome().as_text() == "\n".join(
        [
            "api@sha256:bad (v1.1.0, latest)",
            "  would: remove the tag api:v1.1.0",
            "still pullable as api:latest (same image): rerun with --all-tags to remove them too",
            "references by digest still pull it: `--delete --yes` deletes the image itself",
            "roll back to: api@sha256:good (v1.0.0, stable)",
        ]
    )


def test_a_real_run_names_artifacts_workloads_status_and_no_rollback():
    text = outcome(
        tags=[],
        steps=[Step("delete", "sha256:bad")],
        dry_run=False,
        still_tagged=[],
        used_by=["ecs service prod/api", "lambda fn"],
        rollback=None,
        no_rollback="no release image below sha256:bad",
        artifacts=["sha256:sig1", "sha256:sig2"],
        tag_users={"v1.1.0": ["task definition api:7"]},
        status="ARCHIVED",
    ).as_text()
    assert text == "\n".join(
        [
            "api@sha256:bad (untagged)",
            "  done: delete the image api@sha256:bad with every tag",
            "kept with the image: 2 signature(s) or other artifact(s) (sha256:sig1, sha256:sig2)",
            "in use by: ecs service prod/api; lambda fn: redeploy them with the rollback",
            "pulls api:v1.1.0, which is removed: task definition api:7: their next deployment "
            "fails; redeploy them with the rollback",
            "the image is ARCHIVED: restoring it (UpdateImageStorageClass to STANDARD) makes it "
            "pullable again by digest and by any tag it still carries",
            "nothing safe to roll back to: no release image below sha256:bad",
        ]
    )


def test_nothing_to_do_is_said_and_a_dry_run_says_would_be_removed():
    still = outcome(still_tagged=["latest", "stable"]).as_text().splitlines()[2]
    assert still == (
        "still pullable as api:latest, api:stable (same image): rerun with --all-tags to remove "
        "them too"
    )
    text = outcome(steps=[], still_tagged=[], tag_users={"latest": ["a", "b"]}).as_text()
    assert text.splitlines()[1:4] == [
        "  would: nothing (the image has no tag to remove)",
        "references by digest still pull it: `--delete --yes` deletes the image itself",
        "pulls api:latest, which would be removed: a; b: their next deployment fails; redeploy "
        "them with the rollback",
    ]


def test_the_json_outcome_names_every_field():
    assert outcome(status="ACTIVATING", artifacts=["sha256:sig"]).as_dict() == {
        "repository": "api",
        "digest": "sha256:bad",
        "tags": ["v1.1.0", "latest"],
        "dryRun": True,
        "steps": [{"action": "untag", "value": "v1.1.0", "text": "remove the tag api:v1.1.0"}],
        "stillTagged": ["latest"],
        "usedBy": [],
        "rollback": {"reference": "api@sha256:good", "tags": ["v1.0.0", "stable"]},
        "noRollback": None,
        "artifacts": ["sha256:sig"],
        "tagUsers": {},
        "imageStatus": "ACTIVATING",
    }
    assert outcome(rollback=None, no_rollback="why").as_dict()["noRollback"] == "why"
    assert outcome().as_dict()["imageStatus"] == "ACTIVE"
