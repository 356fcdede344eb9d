"""Which published controls each pack policy and live-audit check covers, and how to fix a finding.

Security teams track ECR in AWS Security Hub (controls ECR.1-ECR.5, each backed by an AWS Config
managed rule), in Control Tower's proactive controls and in CIS benchmarks. Every finding of the
live audit, in its `--json` and in Security Hub (`Compliance.RelatedRequirements`), names the
controls its check covers, so a finding here and a Security Hub control failure on the same
repository are recognisably the same problem. Sources (AWS docs): Security Hub "Security Hub
controls for Amazon ECR" and "for AWS KMS" (KMS.4), AWS Config "List of managed rules", Control
Tower "Amazon Elastic Container Registry controls" (CT.ECR.PR.1-3), the CIS Amazon EKS Benchmark
(section 5.1, image registry) and the CIS AWS Foundations Benchmark v3.0.0 (3.6, KMS rotation).

Every control id is one AWS defines, recorded below (`AWS_CONTROLS`) with its title and the page it
is defined on; each check's `note` says where it is stricter or looser than the controls it names
(a finding here is not always a failure there, and the reverse).

Each check also carries its remediation (prowler's per-check metadata is the model): for a
repository this program manages (its `Component` tag) the `ecr:` stack key to change, since a
console fix would be reverted by the next `pulumi up`; otherwise the AWS call.

Pure data: the pack and the tools import it; nothing here calls AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

CIS_EKS = "CIS Amazon EKS Benchmark"
_SECURITY_HUB = "https://docs.aws.amazon.com/securityhub/latest/userguide/"
_CONTROL_TOWER = "https://docs.aws.amazon.com/controltower/latest/controlreference/"
_CONFIG = "https://docs.aws.amazon.com/config/latest/developerguide/"


@dataclass(frozen=True)
class AwsControl:
    """A control as AWS's page defines it."""

    title: str
    source: str
    """The page that defines it."""


# The controls this table may name, as their pages title them (Security Hub "Security Hub CSPM
# controls for Amazon ECR" and "for AWS KMS", Control Tower "Amazon Elastic Container Registry
# controls" and "AWS KMS controls", AWS Config's managed rule pages).
AWS_CONTROLS: dict[str, AwsControl] = {
    "ECR.1": AwsControl(
        "ECR private repositories should have image scanning configured",
        f"{_SECURITY_HUB}ecr-controls.html#ecr-1",
    ),
    "ECR.2": AwsControl(
        "ECR private repositories should have tag immutability configured",
        f"{_SECURITY_HUB}ecr-controls.html#ecr-2",
    ),
    "ECR.3": AwsControl(
        "ECR repositories should have at least one lifecycle policy configured",
        f"{_SECURITY_HUB}ecr-controls.html#ecr-3",
    ),
    "ECR.4": AwsControl(
        "ECR public repositories should be tagged", f"{_SECURITY_HUB}ecr-controls.html#ecr-4"
    ),
    "ECR.5": AwsControl(
        "ECR repositories should be encrypted with customer managed AWS KMS keys",
        f"{_SECURITY_HUB}ecr-controls.html#ecr-5",
    ),
    "KMS.4": AwsControl(
        "AWS KMS key rotation should be enabled", f"{_SECURITY_HUB}kms-controls.html#kms-4"
    ),
    "CT.ECR.PR.1": AwsControl(
        "Require Amazon ECR repositories to have a lifecycle policy configured",
        f"{_CONTROL_TOWER}ecr-rules.html#ct-ecr-pr-1-description",
    ),
    "CT.ECR.PR.2": AwsControl(
        "Require Amazon ECR private repositories to have image scanning enabled",
        f"{_CONTROL_TOWER}ecr-rules.html#ct-ecr-pr-2-description",
    ),
    "CT.ECR.PR.3": AwsControl(
        "Require Amazon ECR private repositories to have tag immutability enabled",
        f"{_CONTROL_TOWER}ecr-rules.html#ct-ecr-pr-3-description",
    ),
    "CT.KMS.PR.1": AwsControl(
        "Require any AWS KMS key to have rotation configured",
        f"{_CONTROL_TOWER}kms-rules.html#ct-kms-pr-1-description",
    ),
    "ecr-private-image-scanning-enabled": AwsControl(
        "Checks if a private ECR repository has image scanning enabled",
        f"{_CONFIG}ecr-private-image-scanning-enabled.html",
    ),
    "ecr-private-tag-immutability-enabled": AwsControl(
        "Checks if a private ECR repository has tag immutability enabled",
        f"{_CONFIG}ecr-private-tag-immutability-enabled.html",
    ),
    "ecr-private-lifecycle-policy-configured": AwsControl(
        "Checks if a private ECR repository has at least one lifecycle policy configured",
        f"{_CONFIG}ecr-private-lifecycle-policy-configured.html",
    ),
    "ecr-repository-cmk-encryption-enabled": AwsControl(
        "Checks if ECR is encrypted with a customer managed KMS key",
        f"{_CONFIG}ecr-repository-cmk-encryption-enabled.html",
    ),
    "tagged-ecr-publicrepository": AwsControl(
        "Checks if ECR public repositories have tags",
        f"{_CONFIG}tagged-ecr-publicrepository.html",
    ),
    "cmk-backing-key-rotation-enabled": AwsControl(
        "Checks if automatic key rotation is enabled for every customer managed KMS key",
        f"{_CONFIG}cmk-backing-key-rotation-enabled.html",
    ),
}
CIS_AWS = "CIS AWS Foundations Benchmark v3.0.0"


@dataclass(frozen=True)
class Controls:
    """What one check covers and how its findings are fixed."""

    security_hub: tuple[str, ...] = ()
    """Security Hub control ids (ECR.1-ECR.5, KMS.4)."""
    config_rules: tuple[str, ...] = ()
    """AWS Config managed rules that judge the same property."""
    control_tower: tuple[str, ...] = ()
    """Control Tower proactive controls that prevent it at deployment."""
    cis: tuple[str, ...] = ()
    """CIS benchmark recommendations, where one applies."""
    stack_fix: str = ""
    """The fix for a repository the program manages: the `ecr:` key to change."""
    aws_fix: str = ""
    """The fix for any other repository: the AWS call."""
    note: str = ""
    """Where the check is stricter or looser than the controls it names (or why it names none
    that looks related)."""

    def sources(self) -> list[str]:
        """The pages that define the AWS controls this check names."""
        ids = (*self.security_hub, *self.config_rules, *self.control_tower)
        return [AWS_CONTROLS[i].source for i in ids]

    def requirements(self) -> list[str]:
        """Every control as one list (Security Hub's `Compliance.RelatedRequirements`)."""
        return [
            *(f"AWS Security Hub {c}" for c in self.security_hub),
            *(f"AWS Config {r}" for r in self.config_rules),
            *(f"AWS Control Tower {c}" for c in self.control_tower),
            *self.cis,
        ]


_SCANNING = ("ecr-private-image-scanning-enabled",)

CONTROLS: dict[str, Controls] = {
    # --- the pack's policies (judged at preview, and live by the audit) ---
    "ecr-repository-require-kms-cmk": Controls(
        ("ECR.5",),
        ("ecr-repository-cmk-encryption-enabled",),
        stack_fix="`ecr:kmsKeyParameter` names a customer-managed key (a new key replaces the "
        "repository: ECR cannot re-encrypt one)",
        aws_fix="ECR cannot change a repository's encryption: CreateRepository a new one with "
        "encryptionConfiguration {encryptionType: KMS, kmsKey: <customer-managed key ARN>} and "
        "copy the images",
    ),
    "ecr-repository-require-scan-on-push": Controls(
        ("ECR.1",),
        _SCANNING,
        ("CT.ECR.PR.2",),
        (f"{CIS_EKS} 5.1.1",),
        stack_fix="`ecr:scanOnPush: true` (or `ecr:services.<service>.scanOnPush`), or "
        "`ecr:registryScanning` with a rule for every repository",
        aws_fix="PutImageScanningConfiguration imageScanningConfiguration {scanOnPush: true}, or "
        "PutRegistryScanningConfiguration with a rule for every repository",
        note="As ECR.1: scan on push or a registry scanning rule covering the repository passes.",
    ),
    "ecr-repository-immutable-tags-in-production": Controls(
        ("ECR.2",),
        ("ecr-private-tag-immutability-enabled",),
        ("CT.ECR.PR.3",),
        stack_fix="`ecr:imageTagMutability: IMMUTABLE`; tags that must move go in "
        "`ecr:services.<service>.imageTagMutabilityExclusions`",
        aws_fix="PutImageTagMutability imageTagMutability IMMUTABLE (or "
        "IMMUTABLE_WITH_EXCLUSION with imageTagMutabilityExclusionFilters)",
        note="Looser than ECR.2: ECR.2 passes only IMMUTABLE, while this rule also passes "
        "IMMUTABLE_WITH_EXCLUSION (and its advice recommends exclusions for tags that must "
        "move), so a repository with exclusions passes here and fails ECR.2; and it judges "
        "production stacks only, where ECR.2 judges every private repository.",
    ),
    "ecr-repository-required-tags": Controls(
        stack_fix="`ecr:owner`, `ecr:costCenter`, `ecr:dataClass`, `ecr:environment`",
        aws_fix="TagResource with the governance tags (Owner, CostCenter, Environment, "
        "Lifecycle, DataClass)",
        note="No AWS control judges a private repository's tags: ECR.4 (tagged-ecr-"
        "publicrepository) judges public repositories only.",
    ),
    "ecr-repository-policy-least-privilege": Controls(
        cis=(f"{CIS_EKS} 5.1.2",),
        stack_fix="`ecr:services.<service>.pullAccounts` / `pullOrganizationId` (the program "
        "writes the repository policy)",
        aws_fix="SetRepositoryPolicy (or PutRegistryPolicy) with named principals and read "
        "actions only; DeleteRepositoryPolicy when nobody outside the account pulls",
    ),
    "ecr-repository-no-force-delete-in-production": Controls(
        stack_fix="remove `forceDelete` from the production stack's config",
    ),
    "ecr-stack-repositories-have-lifecycle-policy": Controls(
        ("ECR.3",),
        ("ecr-private-lifecycle-policy-configured",),
        ("CT.ECR.PR.1",),
        stack_fix="`ecr:lifecyclePolicyMaxImageCount` and `ecr:untaggedImageExpiryDays` (every "
        "repository of the stack gets the policy)",
        aws_fix="PutLifecyclePolicy (keep the newest release images, expire untagged ones)",
    ),
    "ecr-creation-template-has-lifecycle-policy": Controls(
        ("ECR.3",),
        ("ecr-private-lifecycle-policy-configured",),
        ("CT.ECR.PR.1",),
        stack_fix="`ecr:createOnPushPrefixes` templates get the stack's lifecycle policy",
        aws_fix="UpdateRepositoryCreationTemplate lifecyclePolicy",
    ),
    "ecr-lifecycle-keeps-releases-in-production": Controls(
        stack_fix="keep at least `minReleaseImagesKept` release images (the program's prod "
        "stack keeps its last 30 `v*` images) or act only after `minReleaseAgeDays`",
        aws_fix="PutLifecyclePolicy with an early rule for the release tags that keeps "
        "imageCountMoreThan N (or acts after D days)",
        note="No AWS control judges what a lifecycle policy expires: ECR.3 passes any lifecycle "
        "policy, one that expires every release after a day included.",
    ),
    "ecr-stack-created-repositories-covered-by-templates": Controls(
        ("ECR.3", "ECR.5"),
        stack_fix="`ecr:createOnPushPrefixes` covering every pull-through cache prefix and "
        "replication destination",
        aws_fix="CreateRepositoryCreationTemplate for the prefix (appliedFor PULL_THROUGH_CACHE, "
        "REPLICATION)",
        note="Prevents ECR.3 and ECR.5 failures before they happen: the repositories ECR creates "
        "get a lifecycle policy and the customer-managed key from a template.",
    ),
    "ecr-repository-protected-in-production": Controls(
        stack_fix="production stacks protect their repositories (the program's default in prod)",
    ),
    "ecr-iam-least-privilege": Controls(
        cis=(f"{CIS_EKS} 5.1.2",),
        stack_fix="grant writes on named repositories only",
        aws_fix="narrow the IAM policy to named repositories and read actions",
    ),
    "ecr-public-repository": Controls(
        stack_fix="remove the ECR Public repository, or review it in the policy config",
        aws_fix="ecr-public DeleteRepository, or review it",
        note="Stricter than any AWS control: ECR.4 asks only that a public repository be "
        "tagged; this rule flags the public repository itself.",
    ),
    "ecr-stack-production-signing-profile": Controls(
        stack_fix="`ecr:signing` in the production stack (or `signing.profileArn` when signed "
        "centrally)",
    ),
    "ecr-stack-signing-configuration": Controls(
        stack_fix="`ecr:signing` (the program writes filters and rules within ECR's limits)",
        aws_fix="PutSigningConfiguration with at most 10 rules of up to 100 WILDCARD_MATCH "
        "filters, each naming a Notation-platform Signer profile",
    ),
    "ecr-stack-signing-push-permission": Controls(
        stack_fix="the program's push policies carry `signer:SignPayload`; grant it in the others",
        aws_fix="add signer:SignPayload on the signing profile to every policy that pushes",
    ),
    "ecr-pack-settings": Controls(
        stack_fix="fix the `ecr-pack-settings` entry of the policy config the pack is enabled with",
    ),
    "ecr-stack-role-trust": Controls(
        cis=(f"{CIS_EKS} 5.1.2",),
        stack_fix="trust only named accounts and OIDC subjects in roles given ECR writes",
        aws_fix="UpdateAssumeRolePolicy with named principals and a `sub` condition",
    ),
    "ecr-stack-registry-owner": Controls(
        stack_fix="`ecr:registryOwner: false` in every stack but the one owner of the account and "
        "region (or name this stack in `ecr-stack-registry-owner.owners`)",
        aws_fix="manage the registry-wide settings (PutRegistryScanningConfiguration, "
        "PutReplicationConfiguration, PutRegistryPolicy, creation templates, pull-through cache "
        "rules) from one stack only",
    ),
    "ecr-iam-broad-managed-policy": Controls(
        cis=(f"{CIS_EKS} 5.1.2",),
        stack_fix="attach a policy with writes on named repositories instead",
        aws_fix="DetachRolePolicy of AdministratorAccess/PowerUserAccess; attach a narrow policy",
    ),
    "ecr-embedded-templates-judged": Controls(
        stack_fix="give CloudFormation templates inline (templateBody), so the pack can read them",
    ),
    # --- the live audit's own checks ---
    "ecr-live-image-findings": Controls(
        cis=(f"{CIS_EKS} 5.1.1",),
        stack_fix="rebuild on a patched base image and release a new `v*` tag; take the "
        "vulnerable tag out of circulation with `python -m tools.quarantine`",
        aws_fix="rebuild and push a patched image; BatchDeleteImage the vulnerable tag",
        note="No AWS control judges findings: ECR.1 checks that scanning is configured, and a "
        "repository with vulnerable images passes it.",
    ),
    "ecr-live-image-not-scanned": Controls(
        ("ECR.1",),
        _SCANNING,
        cis=(f"{CIS_EKS} 5.1.1",),
        stack_fix="`ecr:scanOnPush: true`; scan the image now with StartImageScan",
        aws_fix="StartImageScan, and turn scan on push on",
        note="Stricter than ECR.1: ECR.1 judges the repository's scanning configuration; this "
        "check finds each image without a scan result.",
    ),
    "ecr-live-key-rotation": Controls(
        ("KMS.4",),
        ("cmk-backing-key-rotation-enabled",),
        ("CT.KMS.PR.1",),
        cis=(f"{CIS_AWS} 3.6",),
        stack_fix="EnableKeyRotation on the key `ecr:kmsKeyParameter` names (the key is not "
        "this program's)",
        aws_fix="EnableKeyRotation on the key",
        note="Narrower than KMS.4 and CT.KMS.PR.1: only the key that encrypts the stack's "
        "images is judged, live (CT.KMS.PR.1 judges keys a template creates).",
    ),
    "ecr-live-lifecycle-working": Controls(
        ("ECR.3",),
        ("ecr-private-lifecycle-policy-configured",),
        stack_fix="check `ecr:lifecyclePolicyMaxImageCount` against "
        "`python -m tools.retention --aws-preview`",
        aws_fix="GetLifecyclePolicyPreview, then PutLifecyclePolicy with working rules",
        note="Stricter than ECR.3: ECR.3 passes any lifecycle policy; this check also asks "
        "that its rules select images.",
    ),
    "ecr-live-lifecycle-in-use": Controls(
        ("ECR.3",),
        ("ecr-private-lifecycle-policy-configured",),
        stack_fix="protect the tag (`retention.protectedTags`) or keep more images; check with "
        "`python -m tools.retention`",
        aws_fix="PutLifecyclePolicy with rules that keep the images in use",
    ),
    "ecr-live-image-not-active": Controls(
        aws_fix="UpdateImageStorageClass to STANDARD for an archived image still in use, or "
        "point the workload at an active image",
    ),
    "ecr-live-cross-account": Controls(
        cis=(f"{CIS_EKS} 5.1.2",),
        stack_fix="review `ecr:services.<service>.pullAccounts` / `pullOrganizationId`",
        aws_fix="review the principals; SetRepositoryPolicy (or PutRegistryPolicy) without "
        "the ones no longer needed",
    ),
    "ecr-live-unmanaged": Controls(
        aws_fix="adopt it into a stack (`ecr:services.<name>.adopt: true`, see the README's "
        "migration), or delete it when nothing pulls it",
    ),
    "ecr-live-unsigned": Controls(
        stack_fix="`ecr:signing` (managed: give the pushing role signer:SignPayload; notation: "
        "`notation sign` before deploying)",
        aws_fix="PutSigningConfiguration covering the repository, or sign with AWS Signer "
        "(Notation) before deploying",
    ),
    "ecr-live-signing-uncovered": Controls(
        stack_fix="`ecr:signing` in the stack that owns the registry's signing configuration "
        "(`signing.repositoryFilters` for repositories of other stacks)",
        aws_fix="PutSigningConfiguration with a filter matching the repository",
    ),
    "ecr-live-unreadable": Controls(
        aws_fix="give the audit role the read actions the README lists; the error names the call",
    ),
    "ecr-live-account-not-entered": Controls(
        aws_fix="create the audit role in the account, trusting the audit account (README: "
        "member-account role), or remove the account from the targets",
    ),
    "ecr-live-region-not-enabled": Controls(
        aws_fix="enable the region (account EnableRegion) or leave it out of --regions",
    ),
}


def controls_of(check: str) -> Controls:
    """The controls of a check (none for one this table does not know)."""
    return CONTROLS.get(check, Controls())


def remediation(check: str, managed: bool) -> str:
    """How to fix a finding of `check`: the stack key for a repository the program manages
    (when the check has one), else the AWS call."""
    found = controls_of(check)
    if managed and found.stack_fix:
        return f"stack: {found.stack_fix}"
    return f"AWS: {found.aws_fix}" if found.aws_fix else ""


def markdown_table() -> str:
    """The README's control table, generated from CONTROLS."""

    def cell(values: tuple[str, ...]) -> str:
        return ", ".join(values) or "-"

    lines = [
        "| check | Security Hub | AWS Config rule | Control Tower | CIS | against the controls |",
        "|---|---|---|---|---|---|",
    ]
    for check, c in CONTROLS.items():
        cis = tuple(r.replace(CIS_EKS, "EKS").replace(CIS_AWS, "AWS v3.0.0") for r in c.cis)
        lines.append(
            f"| `{check}` | {cell(c.security_hub)} | {cell(c.config_rules)} | "
            f"{cell(c.control_tower)} | {cell(cis)} | {c.note or '-'} |"
        )
    return "\n".join(lines)
