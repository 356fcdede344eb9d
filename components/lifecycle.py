"""The ECR lifecycle policy document (pure)."""

from __future__ import annotations

from typing import Any

RELEASE_TAG_PREFIX = "v"


def lifecycle_policy(max_image_count: int, untagged_expiry_days: int) -> dict[str, Any]:
    """Keep the newest `max_image_count` release images (tags starting with `v`) and expire untagged
    images `untagged_expiry_days` after they were pushed — the seed's two rules, in its order.

    The two rules select disjoint images (tagged `v*` vs untagged), so their priorities only need to
    be unique; images tagged otherwise (e.g. `latest`, a commit SHA) are never expired by either.
    """
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Keep the last {max_image_count} {RELEASE_TAG_PREFIX}* images",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [RELEASE_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": max_image_count,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Expire untagged images {untagged_expiry_days} days after push",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expiry_days,
                },
                "action": {"type": "expire"},
            },
        ]
    }
