"""Whether an image is signed, as ECR keeps it: the scan gate fails on it, the audit reports it.

ECR managed signing's DescribeImageSigningStatus first (waiting up to a timeout while it is
IN_PROGRESS; FAILED with ECR's failure code and reason), then the referrers API, then the untagged
manifests' `subject` (client-side Notation signatures, where a registry offers no referrers API).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tools.cli import error_code

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import (
        ImageSigningStatusTypeDef,
        ListImageReferrersRequestTypeDef,
    )

NOTARY_SIGNATURE = "application/vnd.cncf.notary.signature"

SIGNED, SIGNING, SIGNING_FAILED, UNSIGNED = "signed", "in progress", "failed", "unsigned"


@dataclass(frozen=True)
class Signing:
    """Whether an image is signed, and how that was found out."""

    state: str
    """signed, in progress (ECR managed signing did not finish in time), failed, unsigned."""
    signatures: tuple[str, ...] = ()
    """Digests of the Notation signatures found beside the image (referrers or manifests)."""
    detail: str = ""
    """What ECR said: the profile that signed, or the failure code and reason."""

    @property
    def problem(self) -> str | None:
        """Why the image does not count as signed (None: it does)."""
        if self.state == SIGNED:
            return None
        if self.state == SIGNING:
            return f"ECR managed signing is still in progress ({self.detail})"
        if self.state == SIGNING_FAILED:
            return f"ECR managed signing FAILED: {self.detail}"
        return "no Notation signature beside the image"


def signing_status(
    client: ECRClient,
    repository: str,
    digest: str,
    timeout: float = 0.0,
    poll: float = 5.0,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Signing:
    """The image's signing state: ECR managed signing's DescribeImageSigningStatus first (waiting
    up to `timeout` seconds while it is IN_PROGRESS; FAILED with ECR's reason), then the
    referrers API, then the untagged manifests' `subject` (client-side Notation signatures)."""
    deadline = clock() + timeout
    while True:
        statuses = _managed_statuses(client, repository, digest)
        failed = [s for s in statuses if s.get("status") == "FAILED"]
        if failed:
            return Signing(SIGNING_FAILED, detail="; ".join(_failure(s) for s in failed))
        pending = [s for s in statuses if s.get("status") == "IN_PROGRESS"]
        if not pending:
            break
        remaining = deadline - clock()
        profiles = ", ".join(str(s.get("signingProfileArn", "")) for s in pending)
        if remaining <= 0:
            return Signing(SIGNING, detail=f"after {timeout:g}s, profile {profiles}")
        progress(f"waiting for ECR to sign {repository}@{digest}: {remaining:.0f}s left")
        sleep(min(poll, remaining))
    found = signatures(client, repository, digest)
    complete = [s for s in statuses if s.get("status") == "COMPLETE"]
    if complete:
        profiles = ", ".join(str(s.get("signingProfileArn", "")) for s in complete)
        return Signing(SIGNED, found, f"signed by ECR with {profiles}")
    return Signing(SIGNED, found, "Notation signature") if found else Signing(UNSIGNED)


def _failure(status: ImageSigningStatusTypeDef) -> str:
    code, reason = status.get("failureCode") or "", status.get("failureReason") or ""
    profile = status.get("signingProfileArn") or "?"
    return f"{code}: {reason} (profile {profile})".strip()


def _managed_statuses(
    client: ECRClient, repository: str, digest: str
) -> list[ImageSigningStatusTypeDef]:
    """ECR managed signing's statuses for the image; none where the registry has no managed
    signing for it, or the API is not offered (older endpoints, other registries)."""
    from botocore.exceptions import ClientError

    try:
        page = client.describe_image_signing_status(
            repositoryName=repository, imageId={"imageDigest": digest}
        )
    except ClientError as error:
        if error_code(error) in ("AccessDeniedException", "RepositoryNotFoundException"):
            raise
        return []
    except AttributeError:  # a botocore without the API
        return []
    return list(page.get("signingStatuses") or [])


def signatures(client: ECRClient, repository: str, digest: str) -> tuple[str, ...]:
    """Digests of the Notation signatures stored beside an image (OCI artifacts whose `subject`
    is the image): ECR's ListImageReferrers, or, where a registry does not offer it, the untagged
    manifests' own `subject` and `artifactType`."""
    from botocore.exceptions import ClientError

    try:
        found: list[str] = []
        token = ""
        while True:
            request: ListImageReferrersRequestTypeDef = {
                "repositoryName": repository,
                "subjectId": {"imageDigest": digest},
                "filter": {"artifactTypes": [NOTARY_SIGNATURE]},
            }
            if token:
                request["nextToken"] = token
            page = client.list_image_referrers(**request)
            found += [r["digest"] for r in page.get("referrers", [])]
            token = page.get("nextToken", "")
            if not token:
                return tuple(found)
    except ClientError as error:
        if error_code(error) in ("AccessDeniedException", "RepositoryNotFoundException"):
            raise
    return _signatures_from_manifests(client, repository, digest)


def _signatures_from_manifests(client: ECRClient, repository: str, digest: str) -> tuple[str, ...]:
    untagged = [
        image
        for page in client.get_paginator("list_images").paginate(
            repositoryName=repository, filter={"tagStatus": "UNTAGGED"}
        )
        for image in page.get("imageIds", [])
    ]
    found = []
    for start in range(0, len(untagged), 100):  # BatchGetImage takes at most 100 image ids
        images = client.batch_get_image(
            repositoryName=repository, imageIds=untagged[start : start + 100]
        )["images"]
        for image in images:
            try:  # an OCI manifest: arbitrary JSON, whatever its media type says
                manifest: dict[str, Any] = json.loads(image.get("imageManifest") or "{}")
            except ValueError:
                continue
            kind = manifest.get("artifactType") or manifest.get("config", {}).get("mediaType")
            subject = (manifest.get("subject") or {}).get("digest")
            if kind == NOTARY_SIGNATURE and subject == digest:
                found.append(image["imageId"]["imageDigest"])
    return tuple(found)


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.signing"))
