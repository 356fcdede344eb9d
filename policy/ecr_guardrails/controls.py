"""Which published controls each pack policy and live-audit check covers, and how to fix a finding.

Security teams track ECR in AWS Security Hub (controls ECR.1-ECR.5, each backed by an AWS Config
managed rule), in Control Tower's proactive controls and in CIS benchmarks. Every finding of the
live audit, in its `--json` and in Security Hub (`Compliance.RelatedRequirements`), names the
controls its check covers, so a finding here and a Security Hub control failure on the same
repository are recognisably the same problem. Sources (AWS docs): Security Hub "Security Hub
controls for Amazon ECR" and "for AWS KMS" (KMS.4), AWS Config "List of managed rules", Control
Tower "Amazon Elastic Container Registry controls" (CT.ECR.PR.1-3), the CIS Amazon EKS Benchmark
(section 5.1, image registry) and the CIS AWS Foundations Benchmark v3.0.0 (3.6, KMS rotation).

Each check also carries its remediation (prowler's per-check metadata is the model): for a
repository this program manages (its `Component` tag) the `ecr:` stack key to change, since a
console fix would be reverted by the next `pulumi up`; otherwise the AWS call.

Pure data: the pack and the tools import it; nothing here calls AWS.
"""

from __future__ import annotations

from dataclasses import dataclass

CIS_EKS = "CIS Amazon EKS Benchmark"
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
    ),
    "ecr-repository-immutable-tags-in-production": Controls(
        ("ECR.2",),
        ("ecr-private-tag-immutability-enabled",),
        ("CT.ECR.PR.3",),
        stack_fix="`ecr:imageTagMutability: IMMUTABLE`; tags that must move go in "
        "`ecr:services.<service>.imageTagMutabilityExclusions`",
        aws_fix="PutImageTagMutability imageTagMutability IMMUTABLE (or "
        "IMMUTABLE_WITH_EXCLUSION with imageTagMutabilityExclusionFilters)",
    ),
    "ecr-repository-required-tags": Controls(
        ("ECR.4",),
        ("tagged-ecr-publicrepository",),
        stack_fix="`ecr:owner`, `ecr:costCenter`, `ecr:dataClass`, `ecr:environment`",
        aws_fix="TagResource with the governance tags (Owner, CostCenter, Environment, "
        "Lifecycle, DataClass)",
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
    "ecr-stack-created-repositories-covered-by-templates": Controls(
        ("ECR.3", "ECR.5"),
        stack_fix="`ecr:createOnPushPrefixes` covering every pull-through cache prefix and "
        "replication destination",
        aws_fix="CreateRepositoryCreationTemplate for the prefix (appliedFor PULL_THROUGH_CACHE, "
        "REPLICATION)",
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
        ("ECR.4",),
        ("tagged-ecr-publicrepository",),
        stack_fix="remove the ECR Public repository, or review it in the policy config",
        aws_fix="ecr-public DeleteRepository, or review it",
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
        ("ECR.1",),
        cis=(f"{CIS_EKS} 5.1.1",),
        stack_fix="rebuild on a patched base image and release a new `v*` tag; take the "
        "vulnerable tag out of circulation with `python -m tools.quarantine`",
        aws_fix="rebuild and push a patched image; BatchDeleteImage the vulnerable tag",
    ),
    "ecr-live-image-not-scanned": Controls(
        ("ECR.1",),
        _SCANNING,
        cis=(f"{CIS_EKS} 5.1.1",),
        stack_fix="`ecr:scanOnPush: true`; scan the image now with StartImageScan",
        aws_fix="StartImageScan, and turn scan on push on",
    ),
    "ecr-live-key-rotation": Controls(
        ("KMS.4",),
        ("cmk-backing-key-rotation-enabled",),
        cis=(f"{CIS_AWS} 3.6",),
        stack_fix="EnableKeyRotation on the key `ecr:kmsKeyParameter` names (the key is not "
        "this program's)",
        aws_fix="EnableKeyRotation on the key",
    ),
    "ecr-live-lifecycle-working": Controls(
        ("ECR.3",),
        ("ecr-private-lifecycle-policy-configured",),
        stack_fix="check `ecr:lifecyclePolicyMaxImageCount` against "
        "`python -m tools.retention --aws-preview`",
        aws_fix="GetLifecyclePolicyPreview, then PutLifecyclePolicy with working rules",
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
        "| check | Security Hub | AWS Config rule | Control Tower | CIS |",
        "|---|---|---|---|---|",
    ]
    for check, c in CONTROLS.items():
        cis = tuple(r.replace(CIS_EKS, "EKS").replace(CIS_AWS, "AWS v3.0.0") for r in c.cis)
        lines.append(
            f"| `{check}` | {cell(c.security_hub)} | {cell(c.config_rules)} | "
            f"{cell(c.control_tower)} | {cell(cis)} |"
        )
    return "\n".join(lines)
