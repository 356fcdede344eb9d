"""The live audit's checks, one module per concern, each check's metadata (`Check`: id, levels,
what it asks; controls and remediation by id) above the small function that makes its findings:

- base: `Check`, the repository as the checks see it, the run's options, ecr-live-unreadable;
- repository: the pack's repository rules and policy rule, key rotation, unmanaged, cross-account;
- lifecycle: the pack's lifecycle rule, and the live policy working and sparing images in use;
- images: images not ACTIVE, and the scan results of the newest release and the images in use;
- signing: unsigned release images, production repositories signing does not cover;
- registry: the registry's policy, scanning and replication;
- region: one repository, one region and a whole run, and `CHECKS`, the catalogue.
"""

from tools.audit.checks.base import Check, Options, Seen
from tools.audit.checks.images import NOT_ACTIVE, active_images, images_to_check
from tools.audit.checks.lifecycle import (
    LIFECYCLE_IN_USE,
    lifecycle_problems,
    lifecycle_takes_in_use,
)
from tools.audit.checks.region import CHECKS, audit, audit_region, audit_repository

__all__ = [
    "CHECKS",
    "LIFECYCLE_IN_USE",
    "NOT_ACTIVE",
    "Check",
    "Options",
    "Seen",
    "active_images",
    "audit",
    "audit_region",
    "audit_repository",
    "images_to_check",
    "lifecycle_problems",
    "lifecycle_takes_in_use",
]
