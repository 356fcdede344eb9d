"""Repository and IAM policy documents (pure functions returning dicts)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from components.limits import IAM_INLINE_ROLE_POLICY, IAM_MANAGED_POLICY

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

LOGIN_ACTION = "ecr:GetAuthorizationToken"
"""`docker login` to ECR; AWS defines it on no resource, so it can only be granted on `*`."""


def account_root(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


LAMBDA_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
"""What Lambda needs on a repository to create or update a function from a container image
(Lambda Developer Guide, "Amazon ECR permissions")."""
LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
REPOSITORY_POLICY_SIDS = (
    "SameAccountPullPush",
    "CrossAccountPull",
    "OrganizationPull",
    "LambdaAccountsPull",
    "LambdaPull",
)
"""The Sids of the statements the program writes (the team's own statements take others)."""


def repository_policy(
    account_id: str,
    pull_accounts: Sequence[str] = (),
    organization_id: str | None = None,
    partition: str = "aws",
    lambda_functions: Sequence[str] = (),
    extra_statements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Pull and push for the repository's own account; pull only for the listed accounts and for
    principals of the organisation (accounts of the stack's `partition`: aws, aws-cn, aws-us-gov);
    Lambda's pull for the listed functions; then the team's own statements, as given.

    An account root as principal delegates to that account's IAM: its roles still need an identity
    policy granting the actions (the `ecr-<service>-pull` policy), so nothing is opened beyond it.
    """
    statements = [
        {
            "Sid": "SameAccountPullPush",
            "Effect": "Allow",
            "Principal": {"AWS": [account_root(account_id, partition)]},
            "Action": sorted(set(PULL_ACTIONS) | set(PUSH_ACTIONS)),
        }
    ]
    if pull_accounts:
        statements.append(
            {
                "Sid": "CrossAccountPull",
                "Effect": "Allow",
                "Principal": {"AWS": [account_root(a, partition) for a in sorted(pull_accounts)]},
                "Action": list(PULL_ACTIONS),
            }
        )
    if organization_id:
        # The only way to name "every principal of an organisation": `*`, narrowed by the
        # aws:PrincipalOrgID condition. The policy pack accepts it for allowlisted organisations.
        statements.append(
            {
                "Sid": "OrganizationPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(PULL_ACTIONS),
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        )
    statements += lambda_statements(account_id, lambda_functions, partition)
    statements += [dict(statement) for statement in extra_statements]
    return _document(*statements)


def lambda_statements(
    account_id: str, functions: Sequence[str], partition: str = "aws"
) -> list[dict[str, Any]]:
    """Lambda's pull, as the Lambda Developer Guide writes it for container images: the service
    principal, limited by `aws:sourceArn` to the functions (patterns allowed: StringLike); for
    functions in other accounts, also those accounts' roots, since the principal that creates
    or updates the function must be able to read the image too ("Amazon ECR cross-account
    permissions"). Empty when no function is named."""
    if not functions:
        return []
    statements = []
    others = sorted({arn.split(":")[4] for arn in functions} - {account_id})
    if others:
        statements.append(
            {
                "Sid": "LambdaAccountsPull",
                "Effect": "Allow",
                "Principal": {"AWS": [account_root(a, partition) for a in others]},
                "Action": list(LAMBDA_PULL_ACTIONS),
            }
        )
    statements.append(
        {
            "Sid": "LambdaPull",
            "Effect": "Allow",
            "Principal": {"Service": LAMBDA_PRINCIPAL},
            "Action": list(LAMBDA_PULL_ACTIONS),
            "Condition": {"StringLike": {"aws:sourceArn": sorted(functions)}},
        }
    )
    return statements


SIGN_ACTIONS = ("signer:SignPayload",)
"""What `notation sign` with the AWS Signer plugin calls, on the signing profile."""


def push_policy(repository_arn: str, signing_profile_arn: str | None = None) -> dict[str, Any]:
    """For CI: log in, and push to this repository only (the seed's "CI/CD Pipeline" example);
    with signing, also sign with the stack's profile (the signature is pushed like an image)."""
    statements = [
        {"Sid": "Login", "Effect": "Allow", "Action": [LOGIN_ACTION], "Resource": "*"},
        {
            "Sid": "PushThisRepository",
            "Effect": "Allow",
            "Action": sorted(set(PUSH_ACTIONS) | set(PULL_ACTIONS)),
            "Resource": repository_arn,
        },
    ]
    if signing_profile_arn:
        statements.append(
            {
                "Sid": "SignWithTheProfile",
                "Effect": "Allow",
                "Action": list(SIGN_ACTIONS),
                "Resource": signing_profile_arn,
            }
        )
    return _document(*statements)


def pull_policy(repository_arn: str, kms_key_arn: str) -> dict[str, Any]:
    """For ECS task execution roles: log in, pull from this repository, decrypt with its key only
    (the seed's "ECS Task Role" example, scoped to one repository and one key)."""
    return _document(
        {"Sid": "Login", "Effect": "Allow", "Action": [LOGIN_ACTION], "Resource": "*"},
        {
            "Sid": "PullThisRepository",
            "Effect": "Allow",
            "Action": list(PULL_ACTIONS),
            "Resource": repository_arn,
        },
        {
            "Sid": "DecryptImages",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": kms_key_arn,
        },
    )


# What ECR needs to create repositories from a template that sets tags or a KMS key (ECR User
# Guide, "Create a custom policy for repository creation templates"), scoped here to the
# repositories the templates create and the keys they use.
TEMPLATE_ROLE_ECR_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage", "ecr:TagResource")
TEMPLATE_ROLE_KMS_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")


def template_trust_policy() -> dict[str, Any]:
    """Lets ECR assume the repository creation role."""
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecr.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )


def template_role_policy(
    account_id: str, prefixes: Sequence[str], key_arns: Sequence[str], partition: str = "aws"
) -> dict[str, Any]:
    """Create, replicate into and tag repositories under `prefixes` only (any region of this
    account), and grant the keys to ECR: the creation role's one inline policy."""
    return _document(_create_statement(account_id, prefixes, partition), _keys_statement(key_arns))


def template_key_policy(key_arns: Sequence[str]) -> dict[str, Any]:
    """The inline policy when the repositories go to managed policies: the keys only."""
    return _document(_keys_statement(key_arns))


def template_scope_policy(
    account_id: str, prefixes: Sequence[str], partition: str = "aws"
) -> dict[str, Any]:
    """A managed policy holding part of the creation role's repository scope."""
    return _document(_create_statement(account_id, prefixes, partition))


def template_scopes(prefixes: Sequence[str], key_count: int) -> list[tuple[str, ...]]:
    """How the creation role's repository scope is laid out: one group when the role's inline
    policy (repositories and keys) fits IAM's 10,240 characters, else groups that each fit a
    managed policy's 6,144 characters (attached to the role; IAM sizes exclude whitespace).

    A prefix inside another (`team-a` under `team`) is left out: the wider ARN already covers it.
    Sizes are measured with placeholders as long as the real account id and key ARNs."""
    scope = _widest(prefixes)
    keys = [_KEY_PLACEHOLDER] * key_count
    if _size(template_role_policy(_ACCOUNT_PLACEHOLDER, scope, keys)) <= (
        IAM_INLINE_ROLE_POLICY.max or 0
    ):
        return [tuple(scope)]
    groups: list[tuple[str, ...]] = []
    group: list[str] = []
    for prefix in scope:
        wider = template_scope_policy(_ACCOUNT_PLACEHOLDER, [*group, prefix])
        if group and _size(wider) > (IAM_MANAGED_POLICY.max or 0):
            groups.append(tuple(group))
            group = []
        group.append(prefix)
    return [*groups, tuple(group)]


_ACCOUNT_PLACEHOLDER = "000000000000"
_KEY_PLACEHOLDER = (
    "arn:aws:kms:ap-southeast-7:000000000000:key/00000000-0000-0000-0000-000000000000"
)


def _size(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it: without whitespace."""
    return len(json.dumps(document, separators=(",", ":")))


def _widest(prefixes: Sequence[str]) -> list[str]:
    """The prefixes no other prefix contains, sorted."""
    names = sorted({p.rstrip("/") for p in prefixes})
    return [n for n in names if not any(n != o and n.startswith(o) for o in names)]


def _create_statement(account_id: str, prefixes: Sequence[str], partition: str) -> dict[str, Any]:
    repositories = sorted(
        {f"arn:{partition}:ecr:*:{account_id}:repository/{p.rstrip('/')}*" for p in prefixes}
    )
    return {
        "Sid": "CreateFromTemplates",
        "Effect": "Allow",
        "Action": list(TEMPLATE_ROLE_ECR_ACTIONS),
        "Resource": repositories,
    }


def _keys_statement(key_arns: Sequence[str]) -> dict[str, Any]:
    return {
        "Sid": "UseTheKeys",
        "Effect": "Allow",
        "Action": list(TEMPLATE_ROLE_KMS_ACTIONS),
        "Resource": sorted(set(key_arns)),
    }


# What a registry must grant another account for that account to replicate into it (ECR User
# Guide, "Granting registry permissions for cross account replication"): ReplicateImage, and
# CreateRepository so ECR creates the replicas' repositories. Scoped to the repositories the
# source's replication rule copies (its PREFIX_MATCH filters: the services' names) in that region.
REPLICATION_GRANT_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage")


def replication_registry_policy(
    source_account: str,
    destination_account: str,
    region: str,
    repositories: Sequence[str],
    partition: str = "aws",
) -> dict[str, Any]:
    """The destination registry's policy: the source account may replicate this stack's
    repositories into it. A registry has one policy per region, which PutRegistryPolicy
    replaces whole."""
    return _document(
        {
            "Sid": f"ReplicationFrom{source_account}",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(source_account, partition)},
            "Action": list(REPLICATION_GRANT_ACTIONS),
            "Resource": [
                f"arn:{partition}:ecr:{region}:{destination_account}:repository/{name}*"
                for name in sorted(repositories)
            ],
        }
    )


DUAL_STACK_HOSTS = {"aws": "on.aws"}
"""Partition -> the domain of its dual-stack registry hostname, where AWS documents one (ECR User
Guide, "Making requests to Amazon ECR registries": `<registry-id>.dkr-ecr.<aws-region>.on.aws`).
aws-cn and aws-us-gov are left out: no AWS page this project read names theirs."""


def dual_stack_url(
    registry_id: str, region: str | None, partition: str, repository: str
) -> str | None:
    """The repository's dual-stack (IPv4 and IPv6) URL, or None where there is none to give."""
    domain = DUAL_STACK_HOSTS.get(partition)
    if domain is None or not region:
        return None
    return f"{registry_id}.dkr-ecr.{region}.{domain}/{repository}"
