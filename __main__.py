"""ECR registry: one EcrRepository per service in the stack config, plus the per-stack alerts and
registry settings.

config -> validated settings -> components -> stack outputs.
"""

import pulumi
import pulumi_aws as aws

from components.account_settings import EcrAccountSettings, account_settings
from components.alerts import EcrAlerts, EcrAlertsArgs
from components.dashboard import dashboard_body
from components.documents import to_json
from components.keys import checked_key_arn
from components.lifecycle import unbounded_archive_warning
from components.options import resource_options
from components.registry import EcrRegistry, EcrRegistryArgs
from components.replication import (
    EcrReplicationDestination,
    EcrReplicationDestinationArgs,
    destination_policy,
)
from components.repository import EcrRepository, EcrRepositoryArgs
from components.settings import (
    SettingsError,
    load_settings,
    provider_config,
    provider_region,
    provider_settings,
    stack_config,
)
from components.signing import (
    EcrSigningConfiguration,
    EcrSigningConfigurationArgs,
    signing_profile_name,
)
from components.templates import EcrCreationTemplates, EcrCreationTemplatesArgs, template_specs

# The `aws:` namespace, read once: every provider the program creates is configured from it.
provider = provider_settings(provider_config())
region = provider.region
try:
    # Without aws:region the provider deploys to the environment's region: check against that.
    settings = load_settings(stack_config(), region=provider_region(region), provider=provider)
except SettingsError as error:
    # A clean message listing every problem, instead of a traceback, before anything is created.
    raise pulumi.RunError(str(error)) from None

for service in settings.services:
    # Not an error (the archive is a choice), but a cost that only grows: the plan says so.
    if warning := unbounded_archive_warning(service.name, service.retention):
        pulumi.log.warn(warning)

# Read once per stack, however many services: one engine round trip each, not one per service.
account_id = aws.get_caller_identity_output().account_id
# The partition the provider reports (aws, aws-cn, aws-us-gov): every ARN the program builds.
partition = aws.get_partition_output().partition
region_name = pulumi.Output.from_input(region or aws.get_region_output().region)


kms_key_arn = checked_key_arn(settings.kms_key_parameter, account_id, region_name)
names = [service.name for service in settings.services]

# AWS Signer (Notation) profile that CI signs images with; its ARN goes into every push policy.
signing_profile = (
    aws.signer.SigningProfile(
        "ecr-signing",
        name=signing_profile_name(settings.signing_profile_name, settings.signing_validity_years),
        platform_id="Notation-OCI-SHA384-ECDSA",
        signature_validity_period=aws.signer.SigningProfileSignatureValidityPeriodArgs(
            value=settings.signing_validity_years, type="YEARS"
        ),
        tags=settings.shared_tags("ecr-signing"),
        opts=resource_options(aws.signer.SigningProfile, parent=None),
    )
    if settings.signing_profile_name
    else None
)
# The profile pushes may sign with: this stack's, or the one another stack owns (central signing).
signing_profile_arn = signing_profile.arn if signing_profile else settings.signing_profile_arn
if signing_profile_arn is not None:
    pulumi.export("signingProfileArn", signing_profile_arn)
if settings.registry_owner and signing_profile is not None and settings.signing_rules:
    # Managed signing: ECR signs every push to these repositories itself.
    EcrSigningConfiguration(
        "ecr-signing",
        EcrSigningConfigurationArgs(
            profile_arn=signing_profile.arn,
            rules=settings.signing_rules,
            region=region_name,
            provider=provider,
            production=settings.is_production,
        ),
    )

repositories = {
    service.name: EcrRepository(
        service.name,
        EcrRepositoryArgs(
            repository=service,
            kms_key_arn=kms_key_arn,
            account_id=account_id,
            url_parameter_name=settings.url_parameter_name(service.name),
            tags=settings.tags(service.name),
            protect=settings.is_production,
            allow_force_delete=not settings.is_production,
            signing_profile_arn=signing_profile_arn,
            partition=partition,
            region=region_name,
            dual_stack_parameter_name=settings.dual_stack_parameter_name(service.name),
        ),
    )
    for service in settings.services
}

if settings.alerts is not None:
    alerts = EcrAlerts(
        "ecr-alerts",
        EcrAlertsArgs(
            repositories=names,
            min_severity=settings.alerts.min_severity,
            emails=settings.alerts.emails,
            cloudtrail_log_group=settings.alerts.cloud_trail_log_group,
            kms_key_arn=kms_key_arn,
            account_id=account_id,
            tags=settings.shared_tags("ecr-alerts"),
        ),
    )
    pulumi.export("alertTopicArn", alerts.topic_arn)

# Repositories that ECR creates itself (pull-through cache, replication, create-on-push) get the
# stack's rules from creation templates; replicas get a key of their own region.
templates = template_specs(
    [rule.prefix for rule in settings.pull_through_cache],
    settings.create_on_push_prefixes,
    settings.replication_regions,
    names,
)
creation_templates = None
if settings.registry_owner and templates:
    mrk = settings.replication_kms_key_id
    keys: dict[str | None, pulumi.Input[str]] = {None: kms_key_arn}
    for destination in settings.replication_regions:
        keys[destination] = (
            pulumi.Output.concat(
                "arn:", partition, ":kms:", destination, ":", account_id, ":key/", mrk
            )
            if mrk
            else checked_key_arn(settings.kms_key_parameter, account_id, region_name, destination)
        )
    creation_templates = EcrCreationTemplates(
        "ecr-templates",
        EcrCreationTemplatesArgs(
            templates=templates,
            account_id=account_id,
            key_arns=keys,
            image_tag_mutability=settings.stack_mutability,
            retention=settings.stack_retention,
            tags=settings.shared_tags("ecr-created-repositories"),
            partition=partition,
            default_tags=provider.default_tags,
            cache_floating_tags=settings.cache_floating_tags,
        ),
    )

# Destinations in other accounts: their registry's policy and creation template, written through
# the destination's role, or exported for the destination's own stack when it names none.
replication_ready: list[pulumi.Resource] = []
exported_policies: dict[str, pulumi.Output[str]] = {}
for destination in settings.replication_destinations if settings.registry_owner else ():
    if destination.role_arn is None:
        exported_policies[destination.key] = destination_policy(
            account_id, destination, names, partition
        )
        continue
    replication_ready.append(
        EcrReplicationDestination(
            f"ecr-replication-{destination.account}-{destination.region}",
            EcrReplicationDestinationArgs(
                destination=destination,
                source_account=account_id,
                repositories=names,
                provider=provider,
                kms_key_parameter=settings.kms_key_parameter,
                image_tag_mutability=settings.stack_mutability,
                retention=settings.stack_retention,
                tags=settings.shared_tags("ecr-created-repositories"),
                partition=partition,
                production=settings.is_production,
            ),
        )
    )
if exported_policies:
    pulumi.export("replicationDestinationPolicies", exported_policies)

# Pull times only matter to lifecycle rules when a service archives by last pull.
pull_time_exclusions = settings.pull_time_exclusions if settings.archives else ()
# Registry-wide resources exist once per account and region: only its owner stack manages them
# (a stack with `ecr:registryOwner: false` is refused the keys that would make them).
if settings.registry_owner and (
    settings.registry_scanning
    or settings.replication_regions
    or settings.replication_destinations
    or settings.pull_through_cache
    or pull_time_exclusions
):
    EcrRegistry(
        "ecr-registry",
        EcrRegistryArgs(
            account_id=account_id,
            repositories=names,
            scanning=settings.registry_scanning,
            replication_regions=settings.replication_regions,
            replication_destinations=settings.replication_destinations,
            pull_through_cache=settings.pull_through_cache,
            pull_time_exclusions=pull_time_exclusions,
            production=settings.is_production,
            # A repository ECR creates before its template exists keeps AES256 for good.
            # Replication waits for the destinations' policies too, or the first copies fail.
            after=([creation_templates] if creation_templates else []) + replication_ready,
        ),
    )

# BLOB_MOUNTING and REGISTRY_POLICY_SCOPE: one value per account and region, so only the owner.
registry_account_settings = account_settings(settings.blob_mounting, settings.registry_policy_scope)
if settings.registry_owner and registry_account_settings:
    EcrAccountSettings(
        "ecr-account-settings", registry_account_settings, production=settings.is_production
    )

if settings.dashboard:
    access_denied = bool(settings.alerts and settings.alerts.cloud_trail_log_group)
    aws.cloudwatch.Dashboard(
        "ecr-dashboard",
        dashboard_name=f"ecr-{settings.environment}",
        dashboard_body=region_name.apply(
            lambda name: to_json(dashboard_body(name, names, access_denied))
        ),
    )

pulumi.export(
    "repositories",
    {
        name: {
            "repositoryUrl": repo.repository_url,
            "repositoryArn": repo.repository_arn,
            "repositoryName": repo.repository_name,
            "registryId": repo.registry_id,
            "urlParameterName": repo.url_parameter_name,
            "dualStackRepositoryUrl": repo.dual_stack_url,
            "pushPolicyArn": repo.push_policy_arn,
            "pullPolicyArn": repo.pull_policy_arn,
        }
        for name, repo in repositories.items()
    },
)
