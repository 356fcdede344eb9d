"""The signing checks (with --require-signature): the newest release image is signed, and the
registry's signing configuration covers every production repository."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from policy.ecr_guardrails.config import PACK_SETTINGS
from policy.ecr_guardrails.rules_repository import is_production
from policy.ecr_guardrails.rules_signing import covers
from tools.audit.checks.base import Check, Options, Seen
from tools.audit.reads import Registry
from tools.audit.report import Finding
from tools.images import newest_release
from tools.signing import SIGNING, signing_status

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

UNSIGNED = Check(
    "ecr-live-unsigned",
    ("mandatory", "advisory"),
    "the newest release image is signed (managed signing still in progress: advisory)",
)


def unsigned(
    seen: Seen, registry: Registry, images: Sequence[ImageDetailTypeDef], options: Options
) -> list[Finding]:
    """With --require-signature: the newest release image is signed (managed signing still in
    progress is advisory: the audit does not wait)."""
    newest = newest_release(images, options.release_patterns)
    if not options.require_signature or newest is None:
        return []
    signing = signing_status(registry.ecr, seen.name, newest["imageDigest"])
    if not signing.problem:
        return []
    shown = ", ".join(newest.get("imageTags") or [])
    message = f"{seen.name}@{newest['imageDigest']} ({shown}, newest release image): " + (
        signing.problem
    )
    level = "advisory" if signing.state == SIGNING else "mandatory"
    return [seen.finding(UNSIGNED, message, level)]


SIGNING_UNCOVERED = Check(
    "ecr-live-signing-uncovered",
    ("mandatory",),
    "the registry's signing configuration covers every production repository",
)


def signing_uncovered(seen: Seen, filters: list[str] | None, options: Options) -> list[Finding]:
    """With --require-signature: a production repository the registry's signing configuration
    (when it has one) does not cover."""
    if not (options.require_signature and filters):
        return []
    production = is_production(seen.tags, None, options.config.of(PACK_SETTINGS))
    if not production or covers(filters, seen.name):
        return []
    message = (
        "production repository not covered by the registry's signing configuration "
        f"(filters {', '.join(filters)}): its pushes are not signed"
    )
    return [seen.finding(SIGNING_UNCOVERED, message)]
