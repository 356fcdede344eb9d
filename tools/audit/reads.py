"""What the live audit reads from AWS (one region's registry, with bounded, counted calls) and how
it becomes the properties the pack's rules judge (the pulumi-aws shape)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from tools.aws import Aws, all_images
from tools.cli import error_code

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import (
        ImageDetailTypeDef,
        RegistryScanningConfigurationTypeDef,
        RepositoryTypeDef,
    )

T = TypeVar("T")


class Registry:
    """The read-only calls the audit makes in one region."""

    scans_everything = False
    """Whether the registry scanning configuration scans every repository (read with the
    registry's findings, before the repositories are judged)."""

    def __init__(self, aws: Aws) -> None:
        self.aws = aws
        self.ecr = aws.client("ecr")
        self._keys: dict[str, tuple[str, bool | None]] = {}
        self.signing_filters: list[str] | None = None
        """The registry's managed-signing filters (None: no signing configuration, or not read)."""

    def repositories(self) -> list[RepositoryTypeDef]:
        pages = self.ecr.get_paginator("describe_repositories").paginate()
        return [repository for page in pages for repository in page.get("repositories", [])]

    def _optional(self, call: Callable[[], T], missing: str) -> T | None:
        try:
            return call()
        except Exception as error:
            if error_code(error) == missing:
                return None
            raise

    def lifecycle_policy(self, name: str) -> str | None:
        found = self._optional(
            lambda: self.ecr.get_lifecycle_policy(repositoryName=name),
            "LifecyclePolicyNotFoundException",
        )
        return found["lifecyclePolicyText"] if found else None

    def repository_policy(self, name: str) -> str | None:
        found = self._optional(
            lambda: self.ecr.get_repository_policy(repositoryName=name),
            "RepositoryPolicyNotFoundException",
        )
        return found["policyText"] if found else None

    def registry_policy(self) -> str | None:
        found = self._optional(
            lambda: self.ecr.get_registry_policy(), "RegistryPolicyNotFoundException"
        )
        return found["policyText"] if found else None

    def read_signing_filters(self) -> list[str] | None:
        """Every repository filter of the registry's signing configuration (None: it has none)."""
        found = self._optional(
            lambda: self.ecr.get_signing_configuration(), "SigningConfigurationNotFoundException"
        )
        if found is None:
            return None
        rules = (found.get("signingConfiguration") or {}).get("rules") or []
        return [f["filter"] for rule in rules for f in rule.get("repositoryFilters") or []]

    def scanning_configuration(self) -> RegistryScanningConfigurationTypeDef:
        return self.ecr.get_registry_scanning_configuration()["scanningConfiguration"]

    def replication_configuration(self) -> tuple[str, dict[str, Any]]:
        """(registry id, replication configuration) from DescribeRegistry, as the properties the
        pack's replication rule judges."""
        found = self.ecr.describe_registry()
        return found.get("registryId", ""), dict(found.get("replicationConfiguration") or {})

    def tags(self, arn: str) -> dict[str, str]:
        tags = self.ecr.list_tags_for_resource(resourceArn=arn).get("tags", [])
        return {t["Key"]: t["Value"] for t in tags}

    def images(self, name: str) -> list[ImageDetailTypeDef]:
        """Every image ECR stores, ACTIVE, ARCHIVED and ACTIVATING."""
        return all_images(self.ecr, name)

    def scan(self, name: str, digest: str) -> dict[str, int] | None:
        """The finding counts of the image's completed scan; None when it has none."""
        found = self._optional(
            lambda: self.ecr.describe_image_scan_findings(
                repositoryName=name, imageId={"imageDigest": digest}
            ),
            "ScanNotFoundException",
        )
        if found is None:
            return None
        if found.get("imageScanStatus", {}).get("status") not in ("COMPLETE", "ACTIVE"):
            return None
        counts = found.get("imageScanFindings", {}).get("findingSeverityCounts", {})
        return {str(severity): n for severity, n in counts.items()}

    def key(self, arn: str) -> tuple[str, bool | None]:
        """(KeyManager, rotation on) for a KMS key, read once per key."""
        if arn not in self._keys:
            kms = self.aws.client("kms")
            manager = kms.describe_key(KeyId=arn)["KeyMetadata"].get("KeyManager", "CUSTOMER")
            rotation = None
            if manager == "CUSTOMER":
                rotation = bool(kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"])
            self._keys[arn] = (manager, rotation)
        return self._keys[arn]


# --- converting to the pack's shape ---------------------------------------------------------------


def repository_props(
    repository: RepositoryTypeDef, tags: Mapping[str, str], managed: bool
) -> dict[str, Any]:
    """A repository from DescribeRepositories as the pulumi-aws properties the pack judges.
    `managed` says the key is AWS managed (DescribeRepositories shows its ARN, not the alias)."""
    encryption = dict(repository.get("encryptionConfiguration") or {})
    if managed:
        encryption["kmsKey"] = "alias/aws/ecr"
    return {
        "name": repository["repositoryName"],
        "encryptionConfigurations": [encryption] if encryption else [],
        "imageScanningConfiguration": dict(repository.get("imageScanningConfiguration") or {}),
        "imageTagMutability": repository.get("imageTagMutability"),
        "imageTagMutabilityExclusionFilters": [
            dict(f) for f in repository.get("imageTagMutabilityExclusionFilters") or []
        ],
        "tags": dict(tags),
    }


def scanning_props(configuration: RegistryScanningConfigurationTypeDef) -> dict[str, Any]:
    return {
        "scanType": configuration.get("scanType"),
        "rules": [
            {
                "scanFrequency": r.get("scanFrequency"),
                "repositoryFilters": r.get("repositoryFilters", []),
            }
            for r in configuration.get("rules", [])
        ],
    }
