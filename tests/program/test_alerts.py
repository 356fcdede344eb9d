"""Scan-finding alerts: patterns for basic scanning (ECR Image Scan) and enhanced scanning (Amazon
Inspector), checked against sample events with EventBridge's matching semantics, including events
that must not match, and kept under EventBridge's pattern size limit for 1,000 services."""

import copy
import json

import pytest

from components.alerts import (
    MAX_PATTERN,
    finding_patterns,
    inspector_finding_pattern,
    scan_finding_pattern,
    topic_policy,
)
from components.documents import to_json
from tests.support.eventbridge import matches

BASIC_EVENT = {
    "version": "0", "id": "85fc3613-e913-7fc4-a80c-a3753e4aa9ae", "detail-type": "ECR Image Scan",
    "source": "aws.ecr", "account": "123456789012", "time": "2026-11-26T12:00:00Z", "region": "ap-northeast-2",
    "resources": ["arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow"],
    "detail": {
        "scan-status": "COMPLETE", "repository-name": "fileflow",
        "finding-severity-counts": {"CRITICAL": 0, "HIGH": 2, "MEDIUM": 5},
        "image-digest": "sha256:" + "a" * 64, "image-tags": ["v1.0.0"],
    },
}  # fmt: skip
INSPECTOR_EVENT = {
    "version": "0", "id": "1", "detail-type": "Inspector2 Finding", "source": "aws.inspector2",
    "account": "123456789012", "time": "2026-11-26T12:00:00Z", "region": "ap-northeast-2",
    "resources": ["arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow/sha256:" + "a" * 64],
    "detail": {
        "awsAccountId": "123456789012", "severity": "HIGH", "status": "ACTIVE",
        "title": "CVE-2026-0001 - openssl", "type": "PACKAGE_VULNERABILITY",
        "resources": [{
            "type": "AWS_ECR_CONTAINER_IMAGE", "partition": "aws", "region": "ap-northeast-2",
            "id": "arn:aws:ecr:ap-northeast-2:123456789012:repository/fileflow/sha256:" + "a" * 64,
            "details": {"awsEcrContainerImage": {"repositoryName": "fileflow", "imageTags": ["v1.0.0"],
                                                 "imageHash": "sha256:" + "a" * 64, "registry": "123456789012"}},
        }],
    },
}  # fmt: skip


def changed(event, path, value):
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (BASIC_EVENT, True),
        (changed(BASIC_EVENT, ["detail", "finding-severity-counts"], {"CRITICAL": 1}), True),
        (
            changed(BASIC_EVENT, ["detail", "finding-severity-counts"], {"MEDIUM": 9, "HIGH": 0}),
            False,
        ),
        (changed(BASIC_EVENT, ["detail", "repository-name"], "fileflow-batch"), False),
        (changed(BASIC_EVENT, ["detail", "scan-status"], "FAILED"), False),
        (changed(BASIC_EVENT, ["source"], "aws.inspector2"), False),
    ],
)
def test_basic_pattern(event, expected):
    assert matches(scan_finding_pattern(["fileflow", "api"], "HIGH"), event) is expected


@pytest.mark.parametrize(
    ("event", "min_severity", "expected"),
    [
        (INSPECTOR_EVENT, "HIGH", True),
        (INSPECTOR_EVENT, "CRITICAL", False),
        (changed(INSPECTOR_EVENT, ["detail", "severity"], "CRITICAL"), "CRITICAL", True),
        (changed(INSPECTOR_EVENT, ["detail", "status"], "CLOSED"), "HIGH", False),
        (
            changed(
                INSPECTOR_EVENT,
                ["detail", "resources", 0, "details", "awsEcrContainerImage", "repositoryName"],
                "other",
            ),
            "HIGH",
            False,
        ),
        (
            changed(INSPECTOR_EVENT, ["detail", "resources", 0, "type"], "AWS_EC2_INSTANCE"),
            "HIGH",
            False,
        ),
        (changed(INSPECTOR_EVENT, ["detail-type"], "Inspector2 Coverage"), "HIGH", False),
    ],
)
def test_enhanced_pattern(event, min_severity, expected):
    assert matches(inspector_finding_pattern(["fileflow"], min_severity), event) is expected


def test_a_thousand_services_fit_under_eventbridges_pattern_limit():
    names = [f"team-{i // 50:02d}/service-{i:04d}" for i in range(1000)]
    found = finding_patterns(names, "HIGH")
    for kind, key in (("basic", lambda p: p["detail"]["repository-name"]),
                      ("enhanced", lambda p: p["detail"]["resources"]["details"]["awsEcrContainerImage"]["repositoryName"])):  # fmt: skip
        patterns = found[kind]
        assert all(len(to_json(p)) <= MAX_PATTERN for p in patterns)
        covered = [n for p in patterns for n in key(p)]
        assert sorted(covered) == sorted(names)  # every service in exactly one rule
        assert len(patterns) < 300 / 2  # EventBridge: 300 rules per event bus by default
    event = changed(BASIC_EVENT, ["detail", "repository-name"], names[777])
    assert sum(matches(p, event) for p in found["basic"]) == 1


def test_the_matcher_agrees_with_motos_for_events_without_arrays():
    """moto's server answers TestEventPattern with nothing, and its matcher (what routes put_events
    to targets) ignores arrays inside events: so our matcher is checked against moto's on the flat
    basic-scan events only, and stands alone for Inspector's (which carry arrays)."""
    from moto.events.models import EventPattern

    pattern = scan_finding_pattern(["fileflow"], "HIGH")
    samples = [BASIC_EVENT, changed(BASIC_EVENT, ["detail", "scan-status"], "FAILED"),
               changed(BASIC_EVENT, ["detail", "repository-name"], "x"),
               changed(BASIC_EVENT, ["detail", "finding-severity-counts"], {"HIGH": 0, "CRITICAL": 0})]  # fmt: skip
    for sample in samples:
        assert matches(pattern, sample) is EventPattern.load(json.dumps(pattern)).matches_event(
            sample
        )


def test_topic_policy_lets_only_this_accounts_events_and_alarms_publish():
    document = topic_policy("arn:aws:sns:r:123456789012:t", "123456789012")
    principals = [s["Principal"]["Service"] for s in document["Statement"]]
    assert principals == ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    for statement in document["Statement"]:
        assert statement["Action"] == "sns:Publish"
        assert statement["Resource"] == "arn:aws:sns:r:123456789012:t"
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
