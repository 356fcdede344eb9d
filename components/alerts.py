"""Scan-finding and access-denied alerts: documents (pure) and the EcrAlerts component."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.documents import to_json
from components.limits import EVENT_PATTERN
from components.options import item_digest, resource_options

TYPE_TOKEN = "ecr:index:EcrAlerts"
SEVERITY_ORDER = ("CRITICAL", "HIGH")

# The seed's CloudWatch alarm: more than 5 ECR AccessDenied errors in 5 minutes.
ACCESS_DENIED_PATTERN = "{ ($.eventSource = ecr.amazonaws.com) && ($.errorCode = AccessDenied) }"
ACCESS_DENIED_METRIC = "ECRUnauthorizedAttempts"
ACCESS_DENIED_NAMESPACE = "ECR/Security"
ACCESS_DENIED_THRESHOLD = 5
ACCESS_DENIED_PERIOD_SECONDS = 300


# EventBridge: an event pattern is at most 2,048 characters by default (adjustable to 4,096).
MAX_PATTERN = EVENT_PATTERN.max or 0


def _severities(min_severity: str) -> list[str]:
    return list(SEVERITY_ORDER[: SEVERITY_ORDER.index(min_severity) + 1])


def scan_finding_pattern(repositories: Sequence[str], min_severity: str) -> dict[str, Any]:
    """Basic scanning: a completed `ECR Image Scan` of one of `repositories` with at least one
    finding at `min_severity` or above."""
    at_least_one = [{"numeric": [">", 0]}]
    return {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Scan"],
        "detail": {
            "scan-status": ["COMPLETE"],
            "repository-name": sorted(repositories),
            "$or": [
                {"finding-severity-counts": {s: at_least_one}} for s in _severities(min_severity)
            ],
        },
    }


def inspector_finding_pattern(repositories: Sequence[str], min_severity: str) -> dict[str, Any]:
    """Enhanced scanning: an active Amazon Inspector finding at `min_severity` or above on an
    image of one of `repositories` (findings come from aws.inspector2, not ECR)."""
    return {
        "source": ["aws.inspector2"],
        "detail-type": ["Inspector2 Finding"],
        "detail": {
            "severity": _severities(min_severity),
            "status": ["ACTIVE"],
            "resources": {
                "type": ["AWS_ECR_CONTAINER_IMAGE"],
                "details": {"awsEcrContainerImage": {"repositoryName": sorted(repositories)}},
            },
        },
    }


def finding_patterns(
    repositories: Sequence[str], min_severity: str
) -> dict[str, list[dict[str, Any]]]:
    """Patterns for both scanning types, each under EventBridge's size limit: the repositories are
    split into as many patterns (rules) as it takes, every name in exactly one of each kind."""
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, build in (("basic", scan_finding_pattern), ("enhanced", inspector_finding_pattern)):
        patterns: list[dict[str, Any]] = []
        chunk: list[str] = []
        for name in sorted(repositories):
            if chunk and len(to_json(build([*chunk, name], min_severity))) > MAX_PATTERN:
                patterns.append(build(chunk, min_severity))
                chunk = []
            chunk.append(name)
        if chunk:
            patterns.append(build(chunk, min_severity))
        found[kind] = patterns
    return found


def topic_policy(topic_arn: str, account_id: str) -> dict[str, Any]:
    """Lets EventBridge and CloudWatch alarms of this account publish to the topic."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Allow{name}Publish",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
            for name, service in (
                ("EventBridge", "events.amazonaws.com"),
                ("CloudWatch", "cloudwatch.amazonaws.com"),
            )
        ],
    }


@dataclass(frozen=True)
class EcrAlertsArgs:
    """Inputs of the per-stack alerts."""

    repositories: Sequence[str]
    """Names of the repositories whose scans alert."""
    min_severity: str
    """CRITICAL or HIGH."""
    emails: Sequence[str]
    cloudtrail_log_group: str | None
    kms_key_arn: pulumi.Input[str]
    """Encrypts the topic; its key policy must let events and cloudwatch use it."""
    account_id: pulumi.Input[str]
    tags: Mapping[str, str]


class EcrAlerts(pulumi.ComponentResource):
    """One KMS-encrypted SNS topic, the scan-finding rule targeting it, e-mail subscriptions and,
    with a CloudTrail log group, the access-denied alarm."""

    topic_arn: pulumi.Output[str]

    # long because: children declared flat, in registration order; register_outputs comes last
    def __init__(
        self, name: str, args: EcrAlertsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)

        topic = aws.sns.Topic(
            f"{name}-topic", kms_master_key_id=args.kms_key_arn, tags=tags, opts=child
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.account_id).apply(
                lambda values: to_json(topic_policy(values[0], values[1]))
            ),
            opts=child,
        )
        # Named by the address: removing one unsubscribes that one only. The alias carries a
        # stack that still names them by position over (its config unchanged: see README).
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{item_digest(email)}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=resource_options(
                    aws.sns.TopicSubscription, parent=self, aliases=[f"{name}-email-{index}"]
                ),
            )

        # Both scanning types, whoever manages the registry's scanning: a rule whose findings
        # never come costs nothing. The first basic rule keeps its original name.
        patterns = finding_patterns(args.repositories, args.min_severity)
        for kind, label in (("basic", "scan-findings"), ("enhanced", "inspector-findings")):
            for index, pattern in enumerate(patterns[kind]):
                rule_name = f"{name}-{label}" + (f"-{index}" if index else "")
                rule = aws.cloudwatch.EventRule(
                    rule_name,
                    description=f"{'ECR basic scan' if kind == 'basic' else 'Amazon Inspector'} "
                    f"found {args.min_severity} or worse vulnerabilities",
                    event_pattern=to_json(pattern),
                    tags=tags,
                    opts=child,
                )
                aws.cloudwatch.EventTarget(
                    f"{rule_name}-target", rule=rule.name, arn=topic.arn, opts=child
                )

        if args.cloudtrail_log_group:
            aws.cloudwatch.LogMetricFilter(
                f"{name}-access-denied",
                log_group_name=args.cloudtrail_log_group,
                pattern=ACCESS_DENIED_PATTERN,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=ACCESS_DENIED_METRIC, namespace=ACCESS_DENIED_NAMESPACE, value="1"
                ),
                opts=child,
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-access-denied-alarm",
                alarm_description=(
                    f"ECR unauthorized access attempts > {ACCESS_DENIED_THRESHOLD} in "
                    f"{ACCESS_DENIED_PERIOD_SECONDS // 60} minutes"
                ),
                comparison_operator="GreaterThanThreshold",
                evaluation_periods=1,
                metric_name=ACCESS_DENIED_METRIC,
                namespace=ACCESS_DENIED_NAMESPACE,
                period=ACCESS_DENIED_PERIOD_SECONDS,
                statistic="Sum",
                threshold=ACCESS_DENIED_THRESHOLD,
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                tags=tags,
                opts=child,
            )

        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})
