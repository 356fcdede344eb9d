"""The retention check's verdict on one repository: what the proposed lifecycle policy, as ECR
evaluates it (policy/ecr_guardrails/lifecycle_eval.py), would expire or archive, and which of
those images are in use, carry a protected tag or are artifacts of an image that stays; and AWS's
own lifecycle policy preview to hold the evaluation against. The command is tools/retention.py."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from components.lifecycle import lifecycle_policy
from components.settings import RepositorySettings
from policy.ecr_guardrails.lifecycle_eval import Action, Image, evaluate, pattern_matches
from tools.cli import ToolError
from tools.images import status_counts
from tools.usage import Use, unmatched, users_by_digest

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

JUDGED, NO_REPOSITORY, NOT_IN_SNAPSHOT = "judged", "no repository yet", "not in the snapshot"
UNREADABLE = "unreadable"
NOT_JUDGED = (NOT_IN_SNAPSHOT, UNREADABLE)


class ImageEntry(TypedDict):
    """One image a rule takes, as the JSON output shows it."""

    digest: str
    tags: list[str]
    storageClass: str
    pushedAt: str
    rule: int
    usedBy: list[str]


class AwsComparison(TypedDict):
    """`awsPreview`: whether ECR's own preview agrees with the evaluator, and where not."""

    agrees: bool
    onlyAws: list[str]
    onlyOurs: list[str]


@dataclass
class ServiceVerdict:
    service: str
    repository: str
    images: int
    expire: list[ImageEntry] = field(default_factory=list)
    archive: list[ImageEntry] = field(default_factory=list)
    blocked: list[ImageEntry] = field(default_factory=list)
    aws_preview: AwsComparison | None = None
    status: str = JUDGED
    """`judged`; `no repository yet` (ECR has none: nothing to lose); `not in the snapshot` or
    `unreadable` (not judged: the check fails rather than call it empty)."""
    problem: str | None = None
    """Why it was not judged."""
    unmatched: list[dict[str, str]] = field(default_factory=list)
    """In-use references to this repository that name no image in it."""
    statuses: dict[str, int] = field(default_factory=dict)
    """Images by status: ACTIVE, ARCHIVED, ACTIVATING (ECR's rules act on the archive too)."""

    @property
    def failed(self) -> bool:
        return bool(self.blocked) or self.status in NOT_JUDGED

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "service": self.service,
            "repository": self.repository,
            "status": self.status,
            "problem": self.problem,
            "images": self.images,
            "imageStatus": self.statuses,
            "expire": self.expire,
            "archive": self.archive,
            "blocked": self.blocked,
            "unmatched": self.unmatched,
        }
        if self.aws_preview is not None:
            found["awsPreview"] = self.aws_preview
        return found


def _image_json(action: Action, users: Sequence[str]) -> ImageEntry:
    return {
        "digest": action.image.digest,
        "tags": list(action.image.tags),
        "storageClass": action.image.storage_class,
        "pushedAt": action.image.pushed_at.isoformat(),
        "rule": action.rule,
        "usedBy": list(users),
    }


def judge(
    service: RepositorySettings,
    details: Sequence[ImageDetailTypeDef],
    uses: Iterable[Use],
    now: datetime.datetime,
    registry: str | None = None,
    region: str | None = None,
) -> ServiceVerdict:
    """The proposed policy's actions on one repository's images, and which of them hurt: an
    image in use, carrying a protected tag, or an artifact (a signature, an SBOM) of an image that
    stays, that a rule would take. ECR's rules cannot tell artifacts from untagged images."""
    images = [Image.from_details(d) for d in details]
    users = users_by_digest(uses, service.name, details, registry)
    artifacts = [d for d in details if d.get("subjectManifestDigest")]
    protected = service.retention.protected_tags
    verdict = ServiceVerdict(service.name, service.name, len(images))
    try:
        verdict.statuses = status_counts(details)
    except ValueError as error:
        raise ToolError(f"{service.name}: {error}") from None
    verdict.unmatched = [
        {"reference": _reference(use), "usedBy": use.user}
        for use in unmatched(uses, service.name, details, registry, region)
    ]
    actions = evaluate(lifecycle_policy(service.retention), images, now).actions
    taken = {a.image.digest for a in actions}
    for artifact in artifacts:
        subject = artifact["subjectManifestDigest"]
        if subject not in taken:
            kind = artifact.get("artifactMediaType") or "artifact"
            users.setdefault(artifact["imageDigest"], []).append(f"{kind} of {subject}")
    for action in actions:
        entry = _image_json(action, users.get(action.image.digest, []))
        (verdict.expire if action.type == "expire" else verdict.archive).append(entry)
        is_protected = any(pattern_matches(p, t) for p in protected for t in action.image.tags)
        if entry["usedBy"] or is_protected:
            if is_protected:
                entry["usedBy"] = [*entry["usedBy"], "protected tag"]
            verdict.blocked.append(entry)
    return verdict


def _reference(use: Use) -> str:
    return (
        use.repository
        + (f":{use.tag}" if use.tag else "")
        + (f"@{use.digest}" if use.digest else "")
    )


def not_judged(service: RepositorySettings, status: str, problem: str) -> ServiceVerdict:
    return ServiceVerdict(service.name, service.name, 0, status=status, problem=problem)


# --- AWS's own preview ----------------------------------------------------------------------------


def aws_preview(
    ecr: ECRClient,
    repository: str,
    policy_text: str,
    timeout: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[tuple[str, str], int]:
    """(digest, action) -> rule priority, from StartLifecyclePolicyPreview with `policy_text`."""
    ecr.start_lifecycle_policy_preview(repositoryName=repository, lifecyclePolicyText=policy_text)
    deadline = time.monotonic() + timeout
    while True:
        pages = list(
            ecr.get_paginator("get_lifecycle_policy_preview").paginate(repositoryName=repository)
        )
        status = pages[0].get("status") if pages else "FAILED"
        if status == "COMPLETE":
            return {
                (r["imageDigest"], str(r["action"]["type"]).lower()): int(r["appliedRulePriority"])
                for page in pages
                for r in page.get("previewResults", [])
            }
        if status in ("FAILED", "EXPIRED") or time.monotonic() > deadline:
            raise ToolError(f"AWS lifecycle preview of {repository} ended {status}")
        sleep(2)


def compare(verdict: ServiceVerdict, aws: Mapping[tuple[str, str], int]) -> AwsComparison:
    ours = {(e["digest"], "expire"): e["rule"] for e in verdict.expire}
    ours |= {(e["digest"], "transition"): e["rule"] for e in verdict.archive}
    only_aws = sorted(f"{d} {a} (rule {r})" for (d, a), r in aws.items() if (d, a) not in ours)
    only_ours = sorted(f"{d} {a} (rule {r})" for (d, a), r in ours.items() if (d, a) not in aws)
    return {"agrees": not only_aws and not only_ours, "onlyAws": only_aws, "onlyOurs": only_ours}


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.retention_verdict"))
