"""What the real engine does on update and delete, decided per resource type in one table.

The mock runtime never updates, replaces or deletes anything, so what a change of config does to
a stack in AWS is decided here, from the provider's source, and nowhere else:

- `force_new`: the inputs (camelCase, as the engine sees them) whose change replaces the resource
  (terraform-provider-aws `ForceNew: true` / `RequiresReplace()`, which pulumi-aws keeps);
- `key`: the inputs AWS keys the resource by. A replacement whose key is unchanged creates a
  second resource under the same key before deleting the first, which AWS refuses (or, for a
  registration, the delete then undoes the create) unless `delete_before_replace`;
- `registry_wide`: one per account and region. Deleting it resets the registry's setting (not
  just what this stack wrote), so it is `retainOnDelete`: handing it to another stack, or
  destroying this one, leaves the setting as it is;
- `protect_in_production`: `protect` in the production stack;
- `delete_before_replace`: set where the key is unique and a ForceNew input can change under it.

`resource_options` builds a resource's `ResourceOptions` from its row; the offline plan
(`tools.plan --against`) reads the same rows to tell updates from replacements.

Every row names the file it was checked against, terraform-provider-aws files at the commit read
(some of those commits predate the v6 line pulumi-aws 7 bridges: a ForceNew field added since
would be missing from its row). `region` is ForceNew on every Region-aware resource (v6's
top-level `region`: website/docs/guides/enhanced-region-support.html.markdown, "Changing the
value of `region` will force resource replacement"). pulumi-aws's own overrides are in its
provider/resources.go (`DeleteBeforeReplace: true` on aws_ecr_lifecycle_policy).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

TF = "terraform-provider-aws internal/service/"
REGION = "region"
"""ForceNew on every Region-aware resource (IAM is global and has none)."""


@dataclass(frozen=True)
class TypeOptions:
    """How the engine treats one resource type on update and delete."""

    source: str
    """Where the provider decides it (file in terraform-provider-aws, or the aws-native schema)."""
    force_new: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    """Inputs AWS keys the resource by (empty: a generated name or id, never a collision)."""
    registry_wide: bool = False
    protect_in_production: bool = False
    delete_before_replace: bool = False
    reason: str = ""
    """Why the options are what they are, as the provider's source says."""


OPTIONS: dict[str, TypeOptions] = {
    # Registry-wide settings: one per account and region.
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": TypeOptions(
        f"{TF}ecr/replication_configuration.go@00a35305",
        force_new=(REGION,),
        registry_wide=True,
        protect_in_production=True,
        reason="Delete writes an empty rule list: it removes every replication rule of the "
        "registry, including those this stack never wrote.",
    ),
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration": TypeOptions(
        f"{TF}ecr/registry_scanning_configuration.go@004b82ba",
        force_new=(REGION,),
        registry_wide=True,
        protect_in_production=True,
        reason="Delete resets the registry to BASIC scanning with no rules.",
    ),
    "aws:ecr/registryPolicy:RegistryPolicy": TypeOptions(
        f"{TF}ecr/registry_policy.go@083b5c7a",
        force_new=(REGION,),
        registry_wide=True,
        protect_in_production=True,
        reason="Delete removes the registry's one policy (DeleteRegistryPolicy).",
    ),
    "aws:ecr/accountSetting:AccountSetting": TypeOptions(
        f"{TF}ecr/account_setting.go@21bd70c4",
        force_new=("name", REGION),
        key=("name",),
        registry_wide=True,
        protect_in_production=True,
        reason="One value per setting name and registry (BASIC_SCAN_TYPE_VERSION, BLOB_MOUNTING, "
        "REGISTRY_POLICY_SCOPE), shared by every stack of the account and region. The provider's "
        "delete is a no-op (framework.WithNoOpDelete): the setting stays as last written, so a "
        "destroy never resets it, and a new name is a replacement (RequiresReplace on name).",
    ),
    "aws-native:ecr:SigningConfiguration": TypeOptions(
        "pulumi-aws-native 1.84.0 pulumi_aws_native/ecr/signing_configuration.py (no "
        "replace_on_changes: AWS::ECR::SigningConfiguration has no create-only property)",
        registry_wide=True,
        protect_in_production=True,
        reason="Delete ends managed signing for every repository of the registry.",
    ),
    # Keyed by a name or prefix the stack chooses.
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": TypeOptions(
        f"{TF}ecr/pull_through_cache_rule.go@0509e60e",
        force_new=(
            "ecrRepositoryPrefix",
            "upstreamRegistryUrl",
            "upstreamRepositoryPrefix",
            REGION,
        ),
        key=("ecrRepositoryPrefix",),
        delete_before_replace=True,
        reason="A new upstream for the same prefix is a replacement; ECR refuses a second rule "
        "for a prefix, so the old rule goes first (credentialArn and customRoleArn update in "
        "place).",
    ),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": TypeOptions(
        f"{TF}ecr/repository_creation_template.go@083b5c7a",
        force_new=("prefix", REGION),
        key=("prefix", REGION),
        delete_before_replace=True,
        reason="The prefix is ForceNew and ECR holds one template per prefix.",
    ),
    "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion": TypeOptions(
        f"{TF}ecr/pull_time_update_exclusion.go@20e0a28a",
        force_new=("principalArn", REGION),
        key=("principalArn",),
        reason="Keyed by the principal: a replacement changes the key, and the resource name is "
        "the principal's digest, so no other principal's registration moves.",
    ),
    "aws:ecr/repository:Repository": TypeOptions(
        f"{TF}ecr/repository.go@0072eea2",
        force_new=("name", "encryptionConfigurations", REGION),
        key=("name",),
        protect_in_production=True,
        reason="Never delete-before-replace: deleting the repository deletes its images. A "
        "replacement under the same name fails with RepositoryAlreadyExistsException instead.",
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": TypeOptions(
        f"{TF}ecr/lifecycle_policy.go@cde80b25 (no Update: policy is ForceNew too); "
        "pulumi-aws provider/resources.go (DeleteBeforeReplace: true)",
        force_new=("policy", "repository", REGION),
        key=("repository",),
        delete_before_replace=True,
        reason="Every policy change is a replacement under the same repository: created first, "
        "the old one's delete would remove the new policy (DeleteLifecyclePolicy is by "
        "repository). pulumi-aws deletes first by default; the option says so where the plan "
        "can read it.",
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": TypeOptions(
        f"{TF}ecr/repository_policy.go@552c0468",
        force_new=("repository", REGION),
        key=("repository",),
    ),
    "aws:ssm/parameter:Parameter": TypeOptions(
        f"{TF}ssm/parameter.go@0073593e",
        force_new=("name", "dataType", REGION),
        key=("name",),
        protect_in_production=True,
        reason="Other stacks read the repository URL from it.",
    ),
    "aws:signer/signingProfile:SigningProfile": TypeOptions(
        f"{TF}signer/signing_profile.go@01606926",
        force_new=(
            "name",
            "namePrefix",
            "platformId",
            "signatureValidityPeriod",
            "signingMaterial",
            REGION,
        ),
        key=("name",),
        reason="Delete cancels the profile by name, and a cancelled name can never be used "
        "again: the name follows the ForceNew inputs (components/signing.py), so a replacement "
        "creates a new name, moves its users, then cancels the old one.",
    ),
    "aws:iam/policy:Policy": TypeOptions(
        f"{TF}iam/policy.go@01ccd9a2",
        force_new=("name", "namePrefix", "path", "description"),
        key=("name",),
        reason="Named after the repository: a new description under the same name would be a "
        "second policy of that name, which IAM refuses. The descriptions are fixed text plus "
        "the repository name (components/repository.py), and the upgrade test holds them.",
    ),
    "aws:iam/role:Role": TypeOptions(
        f"{TF}iam/role.go@0040ea69", force_new=("name", "namePrefix", "path")
    ),
    "aws:iam/rolePolicy:RolePolicy": TypeOptions(
        f"{TF}iam/role_policy.go@02f97af8", force_new=("name", "namePrefix", "role")
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeOptions(
        f"{TF}iam/role_policy_attachment.go@04c79849", force_new=("role", "policyArn")
    ),
    "aws:sns/topic:Topic": TypeOptions(
        f"{TF}sns/topic.go@00a35305", force_new=("name", "namePrefix", "fifoTopic", REGION)
    ),
    "aws:sns/topicPolicy:TopicPolicy": TypeOptions(
        f"{TF}sns/topic_policy.go@00a35305", force_new=("arn", REGION)
    ),
    "aws:sns/topicSubscription:TopicSubscription": TypeOptions(
        f"{TF}sns/topic_subscription.go@04a2e6e5 (topic_arn is pulumi-aws's `topic`)",
        force_new=("topic", "protocol", "endpoint", REGION),
        key=("topic", "protocol", "endpoint"),
        reason="SNS keeps one subscription per topic, protocol and endpoint: the resource name "
        "is the endpoint's digest, so removing one address never unsubscribes another.",
    ),
    "aws:cloudwatch/eventRule:EventRule": TypeOptions(
        f"{TF}events/rule.go@0cdab4ae",
        force_new=("name", "namePrefix", "eventBusName", REGION),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": TypeOptions(
        f"{TF}events/target.go@0762c41e",
        force_new=("rule", "targetId", "eventBusName", REGION),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": TypeOptions(
        f"{TF}logs/metric_filter.go@0f14e6f6", force_new=("name", "logGroupName", REGION)
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeOptions(
        f"{TF}cloudwatch/metric_alarm.go@055611a6 (alarm_name is pulumi-aws's `name`)",
        force_new=("name", REGION),
    ),
    "aws:cloudwatch/dashboard:Dashboard": TypeOptions(
        f"{TF}cloudwatch/dashboard.go@0620f2a6",
        force_new=("dashboardName", REGION),
        key=("dashboardName",),
    ),
    "pulumi:providers:aws-native": TypeOptions(
        "pulumi-aws-native provider: a provider's region change replaces what it manages "
        "(not read in the provider's source: DiffConfig)",
        force_new=("region",),
    ),
}


def item_digest(item: str) -> str:
    """A stable short name for a list item (a principal, an address): removing or reordering
    items never renames another. The item itself cannot be the name: an ARN holds `::`, which
    separates a URN's parts."""
    return hashlib.sha256(item.encode()).hexdigest()[:12]


def type_of(resource: type[pulumi.Resource]) -> str:
    """The type token pulumi-aws declares on a resource class (`@pulumi.type_token`)."""
    return str(resource.pulumi_type)  # type: ignore[attr-defined]


def resource_options(
    resource: type[pulumi.Resource] | str,
    *,
    parent: pulumi.Resource | None,
    production: bool = False,
    depends_on: Sequence[pulumi.Resource] = (),
    aliases: Sequence[str] = (),
    provider: pulumi.ProviderResource | None = None,
    protect: bool = False,
    import_: str | None = None,
) -> pulumi.ResourceOptions:
    """The options of a resource of that type: its row of `OPTIONS`, plus the resource's own
    dependencies, former names (aliases), provider, and protection beyond production."""
    row = OPTIONS[resource if isinstance(resource, str) else type_of(resource)]
    return pulumi.ResourceOptions(
        parent=parent,
        protect=protect or (production and row.protect_in_production) or None,
        retain_on_delete=row.registry_wide or None,
        delete_before_replace=row.delete_before_replace or None,
        depends_on=list(depends_on) or None,
        aliases=[pulumi.Alias(name=name) for name in aliases] or None,
        provider=provider,
        import_=import_,
    )
