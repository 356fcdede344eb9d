"""Repository and IAM policy documents (pure functions returning dicts)."""

from __future__ import annotations

from typing import Any

POLICY_VERSION = "2012-10-17"

PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
"""What `docker pull` needs on a repository."""

PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
"""What `docker push` needs on a repository (the seed's troubleshooting list, less the token)."""


def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def repository_policy(account_id: str) -> dict[str, Any]:
    """Pull and push for principals of the repository's own account only.

    The account root as principal delegates to that account's IAM: a role still needs an identity
    policy granting the actions, so this never opens the repository beyond the account.
    """
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "SameAccountPullPush",
                "Effect": "Allow",
                "Principal": {"AWS": [account_root(account_id)]},
                "Action": sorted(set(PULL_ACTIONS) | set(PUSH_ACTIONS)),
            }
        ],
    }
