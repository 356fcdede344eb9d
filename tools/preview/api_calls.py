"""How each resource type the program registers becomes the API request that creates it: the
operation, each property's member (renamed, or the first of the provider's one-element lists), tags
in the service's tag shape, and what the provider uses itself and never sends. The conformance
check (tools/preview/conformance.py) builds every request from this table; a type or property the
table lacks is a problem of its own, so a new resource is mapped before it ships."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class To:
    """A property sent as the API member `member` (a dotted path into the request).

    `first`: the provider's one-element list is the API's single structure. `rename`: nested
    property names -> member names (the provider's names differ from the API's there)."""

    member: str
    first: bool = False
    rename: Mapping[str, str] = field(default_factory=dict)
    normalised: bool = False
    """A JSON document the provider re-encodes without whitespace before sending it."""


@dataclass(frozen=True)
class Tags:
    """A tag map, sent in the service's tag shape (a list of Key/Value or a map)."""

    member: str


@dataclass(frozen=True)
class Attribute:
    """A value sent as one entry of an attribute map (SNS)."""

    member: str
    key: str


@dataclass(frozen=True)
class NotSent:
    """A property the provider uses itself, not sent to this call (why is in `reason`)."""

    reason: str


Mapping_ = To | Tags | Attribute | NotSent


@dataclass(frozen=True)
class Call:
    """The API call that creates a resource type, and how its properties map to members."""

    service: str
    operation: str
    properties: Mapping[str, Mapping_]
    autonamed: str | None = None
    """The member the provider fills with `<name>-<7 random characters>` when not set."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Members the provider always sends (so required members are not reported missing)."""


@dataclass(frozen=True)
class Component:
    """A component resource: no API call of its own, no inputs."""


@dataclass(frozen=True)
class Provider:
    """An explicit provider: no API call of its own; it must name a region (the stack's)."""


CALLS: dict[str, Call | Component | Provider] = {
    "ecr:index:EcrRepository": Component(),
    "ecr:index:EcrAlerts": Component(),
    "ecr:index:EcrRegistry": Component(),
    "ecr:index:EcrCreationTemplates": Component(),
    "ecr:index:EcrSigningConfiguration": Component(),
    "ecr:index:EcrReplicationDestination": Component(),
    "ecr:index:EcrAccountSettings": Component(),
    "pulumi:providers:aws-native": Provider(),
    # A replication destination's account (components/replication.py).
    "pulumi:providers:aws": Provider(),
    "aws:ecr/registryPolicy:RegistryPolicy": Call(
        "ecr", "PutRegistryPolicy", {"policy": To("policyText", normalised=True)}
    ),
    "aws-native:ecr:SigningConfiguration": Call(
        "ecr",
        "PutSigningConfiguration",
        {"rules": To("signingConfiguration.rules")},
    ),
    "aws:ecr/repository:Repository": Call(
        "ecr",
        "CreateRepository",
        {
            "name": To("repositoryName"),
            "encryptionConfigurations": To("encryptionConfiguration", first=True),
            "imageScanningConfiguration": To("imageScanningConfiguration"),
            "imageTagMutability": To("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": To("imageTagMutabilityExclusionFilters"),
            "forceDelete": NotSent("the provider's DeleteRepository flag"),
            "tags": Tags("tags"),
        },
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": Call(
        "ecr",
        "PutLifecyclePolicy",
        {"repository": To("repositoryName"), "policy": To("lifecyclePolicyText")},
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": Call(
        "ecr",
        "SetRepositoryPolicy",
        {"repository": To("repositoryName"), "policy": To("policyText", normalised=True)},
    ),
    "aws:ecr/accountSetting:AccountSetting": Call(
        "ecr", "PutAccountSetting", {"name": To("name"), "value": To("value")}
    ),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": Call(
        "ecr",
        "PutRegistryScanningConfiguration",
        {"scanType": To("scanType"), "rules": To("rules")},
    ),
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": Call(
        "ecr",
        "PutReplicationConfiguration",
        {"replicationConfiguration": To("replicationConfiguration")},
    ),
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": Call(
        "ecr",
        "CreatePullThroughCacheRule",
        {
            "ecrRepositoryPrefix": To("ecrRepositoryPrefix"),
            "upstreamRegistryUrl": To("upstreamRegistryUrl"),
            "credentialArn": To("credentialArn"),
            "customRoleArn": To("customRoleArn"),
            "upstreamRepositoryPrefix": To("upstreamRepositoryPrefix"),
        },
    ),
    "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion": Call(
        "ecr", "RegisterPullTimeUpdateExclusion", {"principalArn": To("principalArn")}
    ),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": Call(
        "ecr",
        "CreateRepositoryCreationTemplate",
        {
            "prefix": To("prefix"),
            "description": To("description"),
            "appliedFors": To("appliedFor"),
            "encryptionConfigurations": To("encryptionConfiguration", first=True),
            "imageTagMutability": To("imageTagMutability"),
            "imageTagMutabilityExclusionFilters": To("imageTagMutabilityExclusionFilters"),
            "lifecyclePolicy": To("lifecyclePolicy"),
            "repositoryPolicy": To("repositoryPolicy"),
            "resourceTags": Tags("resourceTags"),
            "customRoleArn": To("customRoleArn"),
            "region": NotSent("the provider's endpoint region (checked across templates)"),
        },
    ),
    "aws:ssm/parameter:Parameter": Call(
        "ssm",
        "PutParameter",
        {
            "name": To("Name"),
            "type": To("Type"),
            "value": To("Value"),
            "description": To("Description"),
            "tags": Tags("Tags"),
        },
    ),
    "aws:iam/policy:Policy": Call(
        "iam",
        "CreatePolicy",
        {
            "name": To("PolicyName"),
            "description": To("Description"),
            "policy": To("PolicyDocument"),
            "tags": Tags("Tags"),
        },
        autonamed="PolicyName",
    ),
    "aws:iam/role:Role": Call(
        "iam",
        "CreateRole",
        {
            "name": To("RoleName"),
            "description": To("Description"),
            "assumeRolePolicy": To("AssumeRolePolicyDocument"),
            "tags": Tags("Tags"),
        },
        autonamed="RoleName",
    ),
    "aws:iam/rolePolicy:RolePolicy": Call(
        "iam",
        "PutRolePolicy",
        {"role": To("RoleName"), "name": To("PolicyName"), "policy": To("PolicyDocument")},
        autonamed="PolicyName",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Call(
        "iam", "AttachRolePolicy", {"role": To("RoleName"), "policyArn": To("PolicyArn")}
    ),
    "aws:signer/signingProfile:SigningProfile": Call(
        "signer",
        "PutSigningProfile",
        {
            "name": To("profileName"),
            "platformId": To("platformId"),
            "signatureValidityPeriod": To("signatureValidityPeriod"),
            "tags": Tags("tags"),
        },
    ),
    "aws:sns/topic:Topic": Call(
        "sns",
        "CreateTopic",
        {
            "name": To("Name"),
            "kmsMasterKeyId": Attribute("Attributes", "KmsMasterKeyId"),
            "tags": Tags("Tags"),
        },
        autonamed="Name",
    ),
    "aws:sns/topicPolicy:TopicPolicy": Call(
        "sns",
        "SetTopicAttributes",
        {"arn": To("TopicArn"), "policy": To("AttributeValue")},
        fixed={"AttributeName": "Policy"},
    ),
    "aws:sns/topicSubscription:TopicSubscription": Call(
        "sns",
        "Subscribe",
        {"topic": To("TopicArn"), "protocol": To("Protocol"), "endpoint": To("Endpoint")},
    ),
    "aws:cloudwatch/eventRule:EventRule": Call(
        "events",
        "PutRule",
        {
            "name": To("Name"),
            "description": To("Description"),
            "eventPattern": To("EventPattern"),
            "tags": Tags("Tags"),
        },
        autonamed="Name",
    ),
    "aws:cloudwatch/eventTarget:EventTarget": Call(
        "events",
        "PutTargets",
        {"rule": To("Rule"), "arn": To("Targets.Arn"), "targetId": To("Targets.Id")},
        fixed={"Targets": {"Id": "terraform-20260101000000000000000001"}},
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": Call(
        "logs",
        "PutMetricFilter",
        {
            "name": To("filterName"),
            "logGroupName": To("logGroupName"),
            "pattern": To("filterPattern"),
            "metricTransformation": To(
                "metricTransformations",
                rename={
                    "name": "metricName",
                    "namespace": "metricNamespace",
                    "value": "metricValue",
                },
            ),
        },
        autonamed="filterName",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Call(
        "cloudwatch",
        "PutMetricAlarm",
        {
            "name": To("AlarmName"),
            "alarmDescription": To("AlarmDescription"),
            "comparisonOperator": To("ComparisonOperator"),
            "evaluationPeriods": To("EvaluationPeriods"),
            "metricName": To("MetricName"),
            "namespace": To("Namespace"),
            "period": To("Period"),
            "statistic": To("Statistic"),
            "threshold": To("Threshold"),
            "treatMissingData": To("TreatMissingData"),
            "alarmActions": To("AlarmActions"),
            "tags": Tags("Tags"),
        },
        autonamed="AlarmName",
    ),
    "aws:cloudwatch/dashboard:Dashboard": Call(
        "cloudwatch",
        "PutDashboard",
        {"dashboardName": To("DashboardName"), "dashboardBody": To("DashboardBody")},
    ),
}
"""Every resource type the program registers -> the API call that creates it."""
