"""Scan-finding and access-denied alerts: documents (pure) and the EcrAlerts component."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.documents import to_json

TYPE_TOKEN = "ecr:index:EcrAlerts"
SEVERITY_ORDER = ("CRITICAL", "HIGH")

# The seed's CloudWatch alarm: more than 5 ECR AccessDenied errors in 5 minutes.
ACCESS_DENIED_PATTERN = "{ ($.eventSource = ecr.amazonaws.com) && ($.errorCode = AccessDenied) }"
ACCESS_DENIED_METRIC = "ECRUnauthorizedAttempts"
ACCESS_DENIED_NAMESPACE = "ECR/Security"
ACCESS_DENIED_THRESHOLD = 5
ACCESS_DENIED_PERIOD_SECONDS = 300


def scan_finding_pattern(repositories: Sequence[str], min_severity: str) -> dict[str, Any]:
    """EventBridge pattern: a completed basic scan of one of `repositories` with at least one
    finding at `min_severity` or above."""
    severities = SEVERITY_ORDER[: SEVERITY_ORDER.index(min_severity) + 1]
    at_least_one = [{"numeric": [">", 0]}]
    return {
        "source": ["aws.ecr"],
        "detail-type": ["ECR Image Scan"],
        "detail": {
            "scan-status": ["COMPLETE"],
            "repository-name": sorted(repositories),
            "$or": [{"finding-severity-counts": {s: at_least_one}} for s in severities],
        },
    }


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

    repositories: Sequence[pulumi.Input[str]]
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
        for index, email in enumerate(args.emails):
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )

        rule = aws.cloudwatch.EventRule(
            f"{name}-scan-findings",
            description=f"ECR scan found {args.min_severity} or worse vulnerabilities",
            event_pattern=pulumi.Output.all(*args.repositories).apply(
                lambda names: to_json(scan_finding_pattern(names, args.min_severity))
            ),
            tags=tags,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-scan-findings-target", rule=rule.name, arn=topic.arn, opts=child
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
