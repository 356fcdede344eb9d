"""The access rules on policy documents, function by function (policy/ecr_guardrails/rules_access.py):
IAM's condition-key matching (key names case-insensitive; only positive operators narrow; ArnEquals
and ArnLike read wildcards, StringEquals does not), principals and accounts, ECR and ECR Public
resource ARNs, managed policies and role trust. The pack over gRPC is tests/policy/test_policy.py
and test_sets_and_conditions.py; these pin the rules themselves, fast."""

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from policy.ecr_guardrails import rules_access
from policy.ecr_guardrails.config import PackSettings
from policy.ecr_guardrails.rules_access import (
    Pin,
    account_of,
    broad_policy_note,
    cross_account_principals,
    ecr_writes,
    grants_ecr_write,
    iam_problems,
    is_anyone,
    managed_policy_problem,
    matches_every_repository,
    pins,
    resource_matches,
)

# The cases give the allowlist as `ecr-pack-settings` writes it ({"allowedAccounts": [...],
# "allowedOrganizations": [...]}); the rules take the Allowlist the pack builds from it (pack 3.0:
# empty means no account but the stack's own, which these cases leave unknown).


def _allowlist(config: Mapping[str, Any]) -> rules_access.Allowlist:
    return PackSettings.from_config(config).allowlist


def grant_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    return rules_access.grant_problems(document, _allowlist(config))


def trust_problems(document: Any, config: Mapping[str, Any]) -> list[str]:
    return rules_access.trust_problems(document, _allowlist(config))


def replication_problems(props: Any, config: Mapping[str, Any]) -> list[str]:
    return rules_access.replication_problems(props, _allowlist(config))


def source_pinned(statement: Any, accounts: Iterable[str], organizations: Iterable[str]) -> bool:
    allow = rules_access.Allowlist(frozenset(accounts), frozenset(organizations))
    return rules_access.source_pinned(statement, allow)


A = "123456789012"
B = "210987654321"
ORG = "o-abcdefghij"
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
ALLOW_A = {"allowedAccounts": [A]}
LIST = ": list it in ecr-pack-settings.allowedAccounts if it should be"


def allow(**fields):
    return {"Effect": "Allow", **fields}


def document(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --- condition keys, as IAM evaluates them ----------------------------------------------------------


def test_a_key_is_pinned_only_by_positive_operators_and_named_case_insensitively():
    """IAM: condition key names are not case-sensitive; negated operators, ...IfExists and
    ForAllValues: (true for an absent key or an empty set) narrow nothing, nor does an empty list."""
    statement = {
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": A},
            "StringNotEquals": {"aws:SourceAccount": B},
            "StringEqualsIfExists": {"aws:SourceAccount": B},
            "ForAllValues:StringEquals": {"aws:SourceAccount": B},
            "Null": {"aws:SourceAccount": "false"},
            "StringLike": {"aws:sourceaccount": []},
            "ForAnyValue:StringLike": {"aws:SOURCEACCOUNT": ["1*", "2?"]},
        }
    }
    assert pins(statement, "aws:SourceAccount") == [
        [Pin(A, like=False)],
        [Pin("1*", like=True), Pin("2?", like=True)],
    ]
    assert pins(statement, "aws:SourceArn") == []
    assert pins({}, "aws:SourceAccount") == []


@pytest.mark.parametrize(
    ("operator", "like"),
    [
        ("StringEquals", False),
        ("ForAnyValue:StringEquals", False),
        ("StringLike", True),
        ("ForAnyValue:StringLike", True),
        ("ArnEquals", True),  # IAM: both ARN operators take * and ? in each ARN component
        ("ArnLike", True),
        ("ForAnyValue:ArnEquals", True),
        ("ForAnyValue:ArnLike", True),
    ],
)
def test_which_positive_operators_read_wildcards(operator, like):
    value = "arn:aws:s3:::bucket*"
    assert pins({"Condition": {operator: {"aws:SourceArn": value}}}, "aws:SourceArn") == [
        [Pin(value, like)]
    ]
    assert Pin(value, like).wild is like


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike", "StringEqualsIfExists",
     "StringLikeIfExists", "ArnLikeIfExists", "ForAllValues:StringEquals", "ForAllValues:StringLike",
     "ForAnyValue:StringNotEquals", "Null", "StringEqualsIgnoreCase", "Bool"],
)  # fmt: skip
def test_negated_if_exists_and_for_all_values_operators_pin_nothing(operator):
    assert pins({"Condition": {operator: {"aws:SourceAccount": A}}}, "aws:SourceAccount") == []


def test_a_wildcard_only_counts_under_an_operator_that_reads_it():
    assert Pin("a*", like=True).wild
    assert Pin("a?", like=True).wild
    assert not Pin("a*", like=False).wild
    assert not Pin("abc", like=True).wild


@pytest.mark.parametrize(
    ("condition", "accounts", "organizations", "pinned"),
    [
        ({"StringEquals": {"aws:SourceAccount": A}}, set(), set(), False),  # pack 3.0: none allowed
        ({"StringEquals": {"aws:SourceAccount": A}}, {A}, set(), True),
        ({"StringEquals": {"aws:sourceaccount": A}}, {A}, set(), True),
        ({"StringEquals": {"aws:SourceAccount": A}}, {B}, set(), False),  # not allowlisted
        ({"StringEquals": {"aws:SourceAccount": [A, B]}}, {A}, set(), False),  # one is outside
        ({"StringEquals": {"aws:SourceAccount": [A, B]}}, set(), set(), False),
        ({"StringEquals": {"aws:SourceAccount": [A, B]}}, {A, B}, set(), True),
        ({"StringLike": {"aws:SourceAccount": "12345678901*"}}, set(), set(), False),
        ({"StringLike": {"aws:SourceAccount": "12345678901?"}}, set(), set(), False),
        ({"StringEquals": {"aws:SourceAccount": "1234"}}, set(), set(), False),  # not an account
        ({"StringNotEquals": {"aws:SourceAccount": A}}, set(), set(), False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": A}}, set(), set(), False),
        # aws:SourceArn: wildcards only after a named account, or none at all
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{A}:project/*"}}, set(), set(), False),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{A}:project/*"}}, {A}, set(), True),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:{A}:project/*"}}, {B}, set(), False),
        ({"ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:*:{A}:project/x"}}, set(), set(), False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:us-east-1:*:project/x"}}, set(), set(), False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:us-east-1:12345678901?:project/x"}}, set(), set(), False),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}, {A}, set(), False),  # no account: any
        ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}, set(), set(), False),
        ({"StringEquals": {"aws:SourceArn": "arn:aws:s3:::bucket*"}}, {A}, set(), False),  # no account
        ({"StringEquals": {"aws:SourceArn": "bucket"}}, set(), set(), False),  # not an ARN
        # aws:SourceOrgID / aws:SourceOrgPaths: inside an allowed organisation
        ({"StringEquals": {"aws:SourceOrgID": ORG}}, set(), set(), False),  # pack 3.0: none allowed
        ({"StringEquals": {"aws:SourceOrgID": ORG}}, set(), {ORG}, True),
        ({"StringEquals": {"aws:SourceOrgID": ORG}}, set(), {"o-zzzzzzzzzz"}, False),
        ({"StringLike": {"aws:SourceOrgID": "o-*"}}, set(), set(), False),
        ({"StringLike": {"aws:SourceOrgPaths": f"{ORG}/r-ab12/*"}}, set(), {ORG}, True),
        ({"StringLike": {"aws:SourceOrgPaths": f"{ORG}/r-ab12/*"}}, set(), {"o-zzzzzzzzzz"}, False),
        ({"StringLike": {"aws:SourceOrgPaths": "o-*/r-ab12/*"}}, set(), set(), False),
        ({"StringLike": {"aws:SourceOrgPaths": "o-abcdefghi?/r-ab12/*"}}, set(), set(), False),
        ({"StringEquals": {"aws:SourceOrgPaths": "o-a*/r-ab12/"}}, set(), set(), False),  # no org id
        ({"StringEquals": {"aws:SourceOrgPaths": "r-ab12/ou-1/"}}, set(), set(), False),
        ({}, set(), set(), False),
    ],
)  # fmt: skip
def test_a_service_principal_is_pinned_to_its_source(condition, accounts, organizations, pinned):
    assert source_pinned({"Condition": condition}, accounts, organizations) is pinned


# --- principals and accounts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "account"),
    [
        (A, A),
        (f"arn:aws:iam::{A}:root", A),
        (f"arn:aws:iam::{A}:role/path/deploy", A),
        (f"arn:aws-cn:iam::{A}:user/u", A),
        (f"arn:aws-us-gov:iam::{A}:root", A),
        ("arn:aws:iam::*:root", "*"),
        ("*", None),
        ("1234567890123", None),
        (f"arn:aws:sts::{A}:assumed-role/r/s", None),  # not a principal a policy names
        ("arn:aws:iam:::root", None),
        (5, None),
        (None, None),
    ],
)
def test_the_account_of_a_principal(principal, account):
    assert account_of(principal) == account


def test_anyone_is_star_or_every_account():
    assert is_anyone("*")
    assert is_anyone("arn:aws:iam::*:root")
    assert not is_anyone(A)
    assert not is_anyone(None)


def test_a_repository_policy_grants_only_named_principals_and_pinned_services():
    policy = document(
        allow(Principal="*", Action=PULL),
        allow(Sid="S", Principal={"AWS": [f"arn:aws:iam::{B}:root", A]}, Action="ecr:*"),
        allow(Principal={"Service": "codebuild.amazonaws.com"}, Action=PULL),
        allow(NotAction="ecr:BatchGetImage", NotPrincipal={"AWS": A}, Principal={"AWS": A}),
        allow(Sid="", Principal={"Service": ["codebuild.amazonaws.com"]}, Action=PULL,
              Condition={"StringEquals": {"aws:SourceAccount": A}}),
        {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"},
    )  # fmt: skip
    assert grant_problems(policy, {"allowedAccounts": [A]}) == [
        "Statement[0]: principal * is anyone: name accounts or roles",
        "S: action ecr:* together match every ECR write action: list the ECR actions needed",
        "S: principal arn:aws:iam::210987654321:root is not in ecr-pack-settings.allowedAccounts "
        f'["123456789012"]{LIST}',
        "Statement[2]: service principal codebuild.amazonaws.com without a positive "
        "aws:SourceAccount or aws:SourceArn condition naming one allowed account (or "
        "aws:SourceOrgID / aws:SourceOrgPaths in an allowed organisation) acts for any account "
        "(confused deputy): add one (StringEquals, no wildcards)",
        "Statement[3]: Allow with NotAction grants everything else; list Actions",
        "Statement[3]: Allow with NotPrincipal grants everyone else; name principals",
    ]
    # Without an allowlist no account may be granted (pack 3.0 fails closed; the stack's own
    # account is unknown here).
    assert grant_problems(document(allow(Principal={"AWS": B}, Action=PULL)), {}) == [
        f"Statement[0]: principal {B} is not in ecr-pack-settings.allowedAccounts []: the pack "
        f"cannot tell whether {B} is this stack's own account: list it in "
        "ecr-pack-settings.allowedAccounts, or pin the provider's aws:allowedAccountIds to it"
    ]


def test_anyone_confined_to_an_allowed_organisation_is_granted():
    org_only = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    config = {"allowedOrganizations": [ORG]}
    assert (
        grant_problems(document(allow(Principal="*", Action=PULL, Condition=org_only)), config)
        == []
    )
    assert (
        grant_problems(
            document(
                allow(Principal={"AWS": "arn:aws:iam::*:root"}, Action=PULL, Condition=org_only)
            ),
            config,
        )
        == []
    )
    two = {"StringEquals": {"aws:PrincipalOrgID": [ORG, "o-zzzzzzzzzz"]}}
    assert grant_problems(
        document(allow(Principal={"AWS": "*"}, Action=PULL, Condition=two)), config
    ) == [
        "Statement[0]: organisation grant to o-abcdefghij, o-zzzzzzzzzz is not in "
        'allowedOrganizations ["o-abcdefghij"] (ecr-pack-settings)'
    ]
    assert grant_problems(document(allow(Principal="*", Action=PULL, Condition=org_only)), {}) == [
        "Statement[0]: organisation grant to o-abcdefghij is not in allowedOrganizations [] "
        "(ecr-pack-settings)"
    ]
    # One OU of the organisation (aws:PrincipalOrgPaths) is inside it; a wildcard org id is not.
    paths = {
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-11111111/*"]}
    }
    assert (
        grant_problems(document(allow(Principal="*", Action=PULL, Condition=paths)), config) == []
    )
    wild = {"StringLike": {"aws:PrincipalOrgID": "o-*"}}
    assert grant_problems(document(allow(Principal="*", Action=PULL, Condition=wild)), config) == [
        "Statement[0]: principal * is anyone: name accounts or roles"
    ]
    negated = {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}
    assert grant_problems(document(allow(Principal="*", Action=PULL, Condition=negated)), config) == [
        "Statement[0]: principal * is anyone: name accounts or roles"
    ]  # fmt: skip


def test_other_accounts_and_organisations_are_listed_for_review():
    policy = document(
        allow(
            Principal={"AWS": [A, f"arn:aws:iam::{B}:role/x", "*"], "Service": "x.amazonaws.com"},
            Condition={"StringEquals": {"aws:PrincipalOrgID": ORG}},
        ),
        allow(Principal=f"arn:aws:iam::{B}:role/x"),
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
    )
    # `*` is named through the organisation that confines it (anyone is grant_problems' finding).
    assert cross_account_principals(policy, A) == [
        "arn:aws:iam::210987654321:role/x",
        "organisation o-abcdefghij",
    ]
    assert cross_account_principals(document(allow(Principal={"AWS": A})), A) == []


def test_replication_to_an_account_outside_the_allowlist_is_named():
    props = {"replicationConfiguration": {"rules": [
        {"destinations": [{"region": "eu-west-1", "registryId": B},
                          {"region": "eu-west-2", "registryId": A}, {"region": "x"}]},
    ]}}  # fmt: skip
    # A destination without an account cannot be told: never allowed (pack 3.0).
    assert replication_problems(props, {"allowedAccounts": [A]}) == [
        "Replication to account 210987654321 (region eu-west-1) copies every image outside "
        f'ecr-pack-settings.allowedAccounts ["123456789012"]{LIST}',
        "Replication to account null (region x) copies every image outside "
        f'ecr-pack-settings.allowedAccounts ["123456789012"]{LIST}',
    ]
    assert len(replication_problems(props, {})) == 3
    assert replication_problems({}, {"allowedAccounts": [A]}) == []


# --- identity policies: ECR and ECR Public resource ARNs ------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        (f"arn:aws:ecr:*:{A}:repository/*", f"arn:aws:ecr:us-east-1:{A}:repository/a/b", True),
        ("arn:aws:ecr:us-east-1:*", f"arn:aws:ecr:us-east-1:{A}:repository/a", True),  # * crosses :
        (f"arn:aws:ecr:us-east-?:{A}:repository/a", f"arn:aws:ecr:us-east-1:{A}:repository/a", True),
        (f"arn:aws:ecr:us-east-?:{A}:repository/a", f"arn:aws:ecr:us-east-12:{A}:repository/a", False),
        (f"arn:aws:ecr:us-east-1:{A}:repository/A", f"arn:aws:ecr:us-east-1:{A}:repository/a", False),
        (f"arn:aws:ecr-public::{A}:repository/*", f"arn:aws:ecr-public::{A}:repository/app", True),
        (f"arn:aws:ecr-public::{A}:repository/*", f"arn:aws:ecr:us-east-1:{A}:repository/app", False),
        ("*", f"arn:aws:ecr-public::{A}:registry/{A}", True),
    ],
)  # fmt: skip
def test_resource_patterns_match_arns_as_iam_does(pattern, arn, matches):
    assert resource_matches(pattern, arn) is matches


@pytest.mark.parametrize(
    ("pattern", "every"),
    [
        ("*", True),
        ("arn:aws:ecr:*:*:repository/*", True),
        (f"arn:aws:ecr:us-east-1:{A}:*", True),
        (f"arn:aws:ecr:us-east-1:{A}:repository/*", True),
        (f"arn:aws:ecr-public::{A}:repository/*", True),
        ("arn:aws:ecr-public::*:repository/*", True),
        ("arn:*:ecr-public::*:*", True),
        (f"arn:aws:ecr-public::{A}:repository/a*", False),
        (f"arn:aws:ecr-public::{A}:repository/app", False),
        (f"arn:aws:ecr:us-east-1:{A}:repository/team/*", False),
    ],
)
def test_which_resource_patterns_cover_every_repository(pattern, every):
    assert matches_every_repository(pattern) is every


IAM_CASES = {
    "ECR Public: every repository of the registry": (
        allow(Action="ecr-public:PutImage", Resource=f"arn:aws:ecr-public::{A}:repository/*"),
        ["Statement[0]: grants ECR write actions (ecr-public:PutImage) on "
         "arn:aws:ecr-public::123456789012:repository/*: scope writes to repository ARNs"],
    ),
    "ECR Public: every account's repositories": (
        allow(Action=["ecr-public:PutImage", "ecr-public:BatchCheckLayerAvailability"],
              Resource="arn:aws:ecr-public::*:repository/*"),
        ["Statement[0]: grants ECR write actions (ecr-public:PutImage) on "
         "arn:aws:ecr-public::*:repository/*: scope writes to repository ARNs"],
    ),
    "ECR Public: one repository": (
        allow(Action="ecr-public:PutImage", Resource=f"arn:aws:ecr-public::{A}:repository/app"),
        [],
    ),
    "every region's repositories": (
        allow(Action="ecr:PutImage", Resource=f"arn:aws:ecr:*:{A}:repository/*"),
        ["Statement[0]: grants ECR write actions (ecr:PutImage) on "
         "arn:aws:ecr:*:123456789012:repository/*: scope writes to repository ARNs"],
    ),
    "ecr:* on one repository": (
        allow(Action="ecr:*", Resource=f"arn:aws:ecr:us-east-1:{A}:repository/app"),
        ["Statement[0]: grants ecr:*, which together match every ECR write action: list the ECR "
         "actions needed"],
    ),
    "* on one repository": (
        allow(Action="*", Resource=f"arn:aws:ecr:us-east-1:{A}:repository/app"), []
    ),
    "NotAction on everything": (
        allow(NotAction="s3:*", Resource="*"),
        ["Statement[0]: NotAction leaves ECR write actions (ecr:BatchDeleteImage, "
         "ecr:BatchImportUpstreamImage, ecr:CompleteLayerUpload, ecr:CreatePullThroughCacheRule "
         "and 46 more) on *: scope writes to repository ARNs"],
    ),
    "NotResource": (
        allow(Action="ecr:PutImage", NotResource=f"arn:aws:ecr:us-east-1:{A}:repository/app"),
        ['Statement[0]: grants ECR write actions (ecr:PutImage) on every resource but '
         '"arn:aws:ecr:us-east-1:123456789012:repository/app" (NotResource): scope writes to '
         "repository ARNs"],
    ),
    "an action IAM does not know is a write": (
        allow(Action="ecr:MadeUpAction", Resource="*"),
        ["Statement[0]: grants ECR write actions (ecr:MadeUpAction (not in IAM's catalogue: "
         "counted as a write)) on *: scope writes to repository ARNs"],
    ),
    "more than four writes are counted": (
        allow(Action=["ecr:PutImage", "ecr:BatchDeleteImage", "ecr:DeleteRepository",
                      "ecr:SetRepositoryPolicy", "ecr:TagResource", "ecr:UploadLayerPart"],
              Resource="*"),
        ["Statement[0]: grants ECR write actions (ecr:BatchDeleteImage, ecr:DeleteRepository, "
         "ecr:PutImage, ecr:SetRepositoryPolicy and 2 more) on *: scope writes to repository "
         "ARNs"],
    ),
    "reads on everything": (
        allow(Action=["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], Resource="*"), []
    ),
    "a deny": ({"Effect": "Deny", "Action": "ecr:*", "Resource": "*"}, []),
    "ABAC: the resource's tag equals the principal's": (
        allow(Action="ecr:PutImage", Resource="*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}),
        [],
    ),
    "ABAC: a fixed tag value, key named in any case": (
        allow(Action="ecr:PutImage", Resource="*",
              Condition={"ForAnyValue:StringEquals": {"AWS:RESOURCETAG/team": ["a", "b"]}}),
        [],
    ),
    "ABAC with a wildcard value (StringEquals reads it literally, but a tag may hold it)": (
        allow(Action="ecr:PutImage", Resource="*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "a*"}}),
        ["Statement[0]: grants ECR write actions (ecr:PutImage) on *: scope writes to repository "
         "ARNs"],
    ),
    "ABAC under StringLike": (
        allow(Action="ecr:PutImage", Resource="*",
              Condition={"StringLike": {"aws:ResourceTag/team": "a"}}),
        ["Statement[0]: grants ECR write actions (ecr:PutImage) on *: scope writes to repository "
         "ARNs"],
    ),
    "ABAC on a request tag": (
        allow(Action="ecr:PutImage", Resource="*",
              Condition={"StringEquals": {"aws:RequestTag/team": "a"}}),
        ["Statement[0]: grants ECR write actions (ecr:PutImage) on *: scope writes to repository "
         "ARNs"],
    ),
    "ABAC by a principal that may also tag": (
        allow(Action=["ecr:PutImage", "ecr:TagResource"], Resource="*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "a"}}),
        ["Statement[0]: grants ECR write actions (ecr:PutImage, ecr:TagResource) on *: scope "
         "writes to repository ARNs"],
    ),
    "ABAC by a principal that may untag in ECR Public": (
        allow(Action=["ecr-public:PutImage", "ecr-public:UntagResource"], Resource="*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "a"}}),
        ["Statement[0]: grants ECR write actions (ecr-public:PutImage, ecr-public:UntagResource) "
         "on *: scope writes to repository ARNs"],
    ),
    "ABAC with an action IAM does not know": (
        allow(Action=["ecr:PutImage", "ecr:Nope"], Resource="*",
              Condition={"StringEquals": {"aws:ResourceTag/team": "a"}}),
        ["Statement[0]: grants ECR write actions (ecr:PutImage, ecr:Nope (not in IAM's "
         "catalogue: counted as a write)) on *: scope writes to repository ARNs"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(IAM_CASES))
def test_identity_policies_scope_ecr_writes_to_named_repositories(case):
    statement, expected = IAM_CASES[case]
    assert iam_problems(document(statement)) == expected


def test_prefixes_split_across_statements_that_together_cover_every_repository():
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    statements = [
        allow(Sid=f"s{c}", Action="ecr:PutImage", Resource=f"arn:aws:ecr:us-east-1:{A}:repository/{c}*")
        for c in letters
    ]  # fmt: skip
    problems = iam_problems(document(*statements))
    assert len(problems) == 1
    assert problems[0].startswith(
        "statements together grant ECR write actions (ecr:PutImage) on "
        f"arn:aws:ecr:us-east-1:{A}:repository/0*, "
    )
    assert problems[0].endswith(
        "which together match every repository: scope writes to named repository ARNs"
    )
    assert iam_problems(document(*statements[1:])) == []  # `a...` left out: not every repository


def test_the_writes_of_a_document_once_each():
    policy = document(
        allow(Action="ecr:Put*"),
        allow(Action=["ecr:PutImage", "ecr-public:PutImage"]),
        {"Effect": "Deny", "Action": "ecr:DeleteRepository"},
    )
    assert ecr_writes(policy) == [
        "ecr:PutAccountSetting", "ecr:PutImage", "ecr:PutImageScanningConfiguration",
        "ecr:PutImageTagMutability", "ecr:PutLifecyclePolicy", "ecr:PutRegistryPolicy",
        "ecr:PutRegistryScanningConfiguration", "ecr:PutReplicationConfiguration",
        "ecr:PutSigningConfiguration", "ecr-public:PutImage",
    ]  # fmt: skip
    assert ecr_writes(document(allow(NotAction=["ecr:*", "ecr-public:*"]))) == []


# --- AWS managed policies --------------------------------------------------------------------------

WRITES_EVERYWHERE = (
    "role r attaches the AWS managed policy {}, which grants ECR writes on every repository: "
    "attach a policy scoped to the repositories (e.g. ecr-<service>-push)"
)


@pytest.mark.parametrize(
    ("arn", "write", "broad"),
    [
        ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess",
         "AmazonEC2ContainerRegistryFullAccess", False),
        ("ARN:AWS:IAM::AWS:POLICY/amazonec2containerregistrypoweruser",
         "AmazonEC2ContainerRegistryPowerUser", False),
        ("arn:aws-cn:iam::aws:policy/service-role/AmazonEC2ContainerRegistryPowerUser",
         "AmazonEC2ContainerRegistryPowerUser", False),
        ("arn:aws:iam::aws:policy/AmazonElasticContainerRegistryPublicFullAccess",
         "AmazonElasticContainerRegistryPublicFullAccess", False),
        ("arn:aws-us-gov:iam::aws:policy/AmazonElasticContainerRegistryPublicPowerUser",
         "AmazonElasticContainerRegistryPublicPowerUser", False),
        ("arn:aws:iam::aws:policy/AdministratorAccess", None, True),
        ("arn:aws:iam::aws:policy/job-function/PowerUserAccess", None, True),
        ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", None, False),
        ("arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccessX", None, False),
        (f"arn:aws:iam::{A}:policy/AmazonEC2ContainerRegistryFullAccess", None, False),  # customer's
        (None, None, False),
    ],
)  # fmt: skip
def test_aws_managed_policies_that_grant_ecr_writes(arn, write, broad):
    assert managed_policy_problem(arn, "role r") == (
        WRITES_EVERYWHERE.format(write) if write else None
    )
    note = broad_policy_note(arn, "role r")
    assert (note is not None) is broad
    if broad:
        assert note == (
            f"role r attaches the AWS managed policy {arn.rsplit('/', 1)[1]}, which includes every "
            "ECR write (ecr:PutImage, ecr:BatchDeleteImage, ecr:SetRepositoryPolicy, "
            "ecr:DeleteRepository, ...) on every repository: make sure this identity needs it"
        )
    assert grants_ecr_write(arn) is bool(write or broad)


# --- role trust ------------------------------------------------------------------------------------

GITHUB = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
GITLAB = f"arn:aws:iam::{A}:oidc-provider/gitlab.example.com"
EKS = f"arn:aws:iam::{A}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
COGNITO = "cognito-identity.amazonaws.com"
GOOGLE = "accounts.google.com"
WEB = "sts:AssumeRoleWithWebIdentity"


def oidc_problem(principal, key, how):
    return (
        f"Statement[0]: {principal} without a specific `sub` condition lets every repository (or "
        f"workload) of that identity provider assume this role: pin {key} to {how} under "
        "StringEquals or StringLike"
    )


GITHUB_PROBLEM = oidc_problem(
    GITHUB, "token.actions.githubusercontent.com:sub", "repo:<org>/<repo>:..."
)
GITLAB_PROBLEM = oidc_problem(
    GITLAB, "gitlab.example.com:sub", "project_path:<group>/<project>:..."
)
EKS_PROBLEM = oidc_problem(
    EKS, "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub", "one subject, without wildcards"
)
COGNITO_PROBLEM = (
    f"Statement[0]: {COGNITO} without `{COGNITO}:aud` naming one identity pool (StringEquals) and "
    f'`{COGNITO}:amr` "authenticated" (ForAnyValue:StringLike) lets identities of any pool, or '
    "unauthenticated ones, assume this role: add both"
)
GOOGLE_PROBLEM = (
    f"Statement[0]: {GOOGLE} without `{GOOGLE}:sub` (StringEquals, one subject) lets every Google "
    "identity assume this role: pin sub"
)
COGNITO_POOL = {"StringEquals": {f"{COGNITO}:aud": "us-east-1:pool"}}
AUTHENTICATED = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}

SAML = f"Statement[0]: arn:aws:iam::{A}:saml-provider/okta without "
SAML_PINS = (
    ", without wildcards lets every identity that provider maps to this role assume it: pin both "
    "under StringEquals"
)
SAML_PROBLEM = (
    f"{SAML}`SAML:aud` = an AWS sign-in endpoint (https://signin.aws.amazon.com/saml) and "
    f"`SAML:sub` = one subject (the NameID){SAML_PINS}"
)

TRUST = {
    "anyone": ({"AWS": "*"}, "sts:AssumeRole", None, {}, ["Statement[0]: anyone (*) can assume this role"]),
    "anyone, by wildcard action": ("*", "sts:Assume*", None, {}, ["Statement[0]: anyone (*) can assume this role"]),
    "every account": ({"AWS": "arn:aws:iam::*:root"}, "sts:AssumeRole", None, {},
                      ["Statement[0]: anyone (arn:aws:iam::*:root) can assume this role"]),
    "not an assume action": ("*", "sts:TagSession", None, {}, []),
    "the allowed organisation": ("*", "sts:AssumeRole", {"StringEquals": {"aws:PrincipalOrgID": ORG}},
                                 {"allowedOrganizations": [ORG]}, []),
    "an organisation not allowed": (
        "*", "sts:AssumeRole", {"StringEquals": {"aws:PrincipalOrgID": ORG}}, {},
        ["Statement[0]: every account of organisation o-abcdefghij can assume this role, and it "
         "is not in allowedOrganizations [] (ecr-pack-settings)"]),
    "an account outside the allowlist": (
        {"AWS": [f"arn:aws:iam::{B}:root", A]}, "sts:AssumeRole", None, {"allowedAccounts": [A]},
        ['Statement[0]: arn:aws:iam::210987654321:root is not in ecr-pack-settings.allowedAccounts ["123456789012"] '
         "but can assume this role (list it in ecr-pack-settings.allowedAccounts if it should be)"]),
    "any account without an allowlist: refused (pack 3.0 fails closed)": (
        {"AWS": f"arn:aws:iam::{B}:root"}, "sts:AssumeRole", None, {},
        ["Statement[0]: arn:aws:iam::210987654321:root is not in ecr-pack-settings.allowedAccounts [] "
         "but can assume this role (the pack cannot tell whether 210987654321 is "
         "this stack's own account: list it in ecr-pack-settings.allowedAccounts, or pin the "
         "provider's aws:allowedAccountIds to it)"]),
    "a service": ({"Service": "ecs-tasks.amazonaws.com"}, "sts:AssumeRole", None, {"allowedAccounts": [A]}, []),
    "GitHub without sub": ({"Federated": GITHUB}, WEB,
                           {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}},
                           {}, [GITHUB_PROBLEM]),
    "GitHub, one repository": ({"Federated": GITHUB}, WEB,
                               {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}, {}, []),
    "GitHub, key in other case": ({"Federated": GITHUB}, WEB,
                                  {"StringEquals": {"TOKEN.actions.githubusercontent.com:SUB": "repo:org/app:ref:refs/heads/main"}},
                                  {}, []),
    "GitHub, every repository of the org": ({"Federated": GITHUB}, WEB,
                                            {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/*"}},
                                            {}, [GITHUB_PROBLEM]),
    "GitHub, negated": ({"Federated": GITHUB}, WEB,
                        {"StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}},
                        {}, [GITHUB_PROBLEM]),
    "GitLab, one project": ({"Federated": GITLAB}, WEB,
                            {"StringLike": {"gitlab.example.com:sub": "project_path:group/sub/proj:ref_type:branch:ref:main"}},
                            {}, []),
    "GitLab, a whole group": ({"Federated": GITLAB}, WEB,
                              {"StringLike": {"gitlab.example.com:sub": "project_path:group/*"}}, {}, [GITLAB_PROBLEM]),
    "another OIDC provider, one subject": ({"Federated": EKS}, WEB,
                                           {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ns:sa"}},
                                           {}, []),
    "another OIDC provider, a wildcard subject": ({"Federated": EKS}, WEB,
                                                  {"StringLike": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ns:*"}},
                                                  {}, [EKS_PROBLEM]),
    "another OIDC provider, a literal * under StringEquals": ({"Federated": EKS}, WEB,
                                                             {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ns:*"}},
                                                             {}, []),
    "another OIDC provider, an empty subject": ({"Federated": EKS}, WEB,
                                                {"StringEquals": {"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": ""}},
                                                {}, [EKS_PROBLEM]),
    "SAML, nothing pinned": ({"Federated": f"arn:aws:iam::{A}:saml-provider/okta"},
                             "sts:AssumeRoleWithSAML", None, {}, [SAML_PROBLEM]),
    "SAML, audience and one subject": ({"Federated": f"arn:aws:iam::{A}:saml-provider/okta"},
                                       "sts:AssumeRoleWithSAML",
                                       {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml",
                                                         "SAML:sub": "ci-bot@example.com"}}, {}, []),
    "SAML, audience only": ({"Federated": f"arn:aws:iam::{A}:saml-provider/okta"},
                            "sts:AssumeRoleWithSAML",
                            {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}, {},
                            [f"{SAML}`SAML:sub` = one subject (the NameID){SAML_PINS}"]),
    "Cognito, one pool, authenticated": ({"Federated": COGNITO}, WEB, COGNITO_POOL | AUTHENTICATED, {}, []),
    "Cognito without amr": ({"Federated": COGNITO}, WEB, COGNITO_POOL, {}, [COGNITO_PROBLEM]),
    "Cognito without aud": ({"Federated": COGNITO}, WEB, AUTHENTICATED, {}, [COGNITO_PROBLEM]),
    "Cognito, unauthenticated": ({"Federated": COGNITO}, WEB, COGNITO_POOL
                                 | {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"}},
                                 {}, [COGNITO_PROBLEM]),
    "Cognito, any pool of a region": ({"Federated": COGNITO}, WEB,
                                      {"StringLike": {f"{COGNITO}:aud": "us-east-1:*"}} | AUTHENTICATED,
                                      {}, [COGNITO_PROBLEM]),
    "Cognito, an empty pool": ({"Federated": COGNITO}, WEB,
                               {"StringEquals": {f"{COGNITO}:aud": ""}} | AUTHENTICATED, {}, [COGNITO_PROBLEM]),
    "Google, one subject": ({"Federated": GOOGLE}, WEB, {"StringEquals": {f"{GOOGLE}:sub": "1234"}}, {}, []),
    "Google, audience only": ({"Federated": GOOGLE}, WEB, {"StringEquals": {f"{GOOGLE}:aud": "1234"}}, {}, [GOOGLE_PROBLEM]),
    "Google, an empty subject": ({"Federated": GOOGLE}, WEB, {"StringEquals": {f"{GOOGLE}:sub": ""}}, {}, [GOOGLE_PROBLEM]),
    "Google, a wildcard subject": ({"Federated": GOOGLE}, WEB, {"StringLike": {f"{GOOGLE}:sub": "12*"}}, {}, [GOOGLE_PROBLEM]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TRUST))
def test_who_can_assume_a_role(case):
    principal, action, condition, config, expected = TRUST[case]
    statement = allow(Principal=principal, Action=action)
    if condition is not None:
        statement["Condition"] = condition
    assert trust_problems(document(statement), config) == expected


def test_not_action_in_a_trust_policy_counts_as_assume():
    assert trust_problems(document(allow(Principal="*", NotAction="sts:TagSession")), {}) == [
        "Statement[0]: anyone (*) can assume this role"
    ]


# --- shapes and combinations -------------------------------------------------------------------------


def test_a_principal_written_as_a_plain_arn_is_an_aws_principal():
    """`"Principal": "arn:aws:iam::...:root"` is `{"AWS": ...}` (IAM's short form)."""
    config = {"allowedAccounts": [A]}
    principal = f"arn:aws:iam::{B}:root"
    assert grant_problems(document(allow(Principal=principal, Action=PULL)), config) == [
        f"Statement[0]: principal {principal} is not in ecr-pack-settings.allowedAccounts "
        f'["123456789012"]{LIST}'
    ]
    assert trust_problems(
        document(allow(Principal=principal, Action="sts:AssumeRole")), config
    ) == [
        f'Statement[0]: {principal} is not in ecr-pack-settings.allowedAccounts ["123456789012"] '
        "but can assume this role (list it in ecr-pack-settings.allowedAccounts if it should be)"
    ]


def test_every_principal_of_a_statement_is_judged():
    config = {"allowedAccounts": [A]}
    other = f"arn:aws:iam::{B}:root"
    policy = document(
        allow(Principal={"AWS": ["*", other]}, Action=PULL),
        allow(Principal={"Service": "codebuild.amazonaws.com", "AWS": other}, Action=PULL),
    )
    assert grant_problems(policy, config) == [
        "Statement[0]: principal AWS:* is anyone: name accounts or roles",
        f"Statement[0]: principal {other} is not in ecr-pack-settings.allowedAccounts "
        f'["123456789012"]{LIST}',
        "Statement[1]: service principal codebuild.amazonaws.com without a positive "
        "aws:SourceAccount or aws:SourceArn condition naming one allowed account (or "
        "aws:SourceOrgID / aws:SourceOrgPaths in an allowed organisation) acts for any account "
        "(confused deputy): add one (StringEquals, no wildcards)",
        f"Statement[1]: principal {other} is not in ecr-pack-settings.allowedAccounts "
        f'["123456789012"]{LIST}',
    ]


def test_a_service_principal_must_be_pinned_to_an_allowed_source():
    service = {"Service": "codebuild.amazonaws.com"}
    elsewhere = {"StringEquals": {"aws:SourceAccount": B}}
    outside = {"StringEquals": {"aws:SourceOrgID": ORG}}
    assert grant_problems(
        document(allow(Principal=service, Action=PULL, Condition=elsewhere)),
        {"allowedAccounts": [A]},
    )
    assert grant_problems(
        document(allow(Principal=service, Action=PULL, Condition=outside)),
        {"allowedOrganizations": ["o-zzzzzzzzzz"]},
    )
    # An account written as a JSON number is the same account.
    number = {"StringEquals": {"aws:SourceAccount": int(A)}}
    assert (
        grant_problems(
            document(allow(Principal=service, Action=PULL, Condition=number)),
            {"allowedAccounts": [A]},
        )
        == []
    )


def test_a_statement_without_a_usable_sid_is_named_by_position():
    for sid in ("", 5, None):
        statement = allow(Principal="*", Action=PULL)
        if sid is not None:
            statement["Sid"] = sid
        assert grant_problems(document(statement), {}) == [
            "Statement[0]: principal * is anyone: name accounts or roles"
        ]


def test_principals_that_are_not_text_are_shown_as_json():
    assert trust_problems(
        document(allow(Principal={"AWS": {"x": 1}}, Action="sts:AssumeRole")),
        {"allowedAccounts": [A]},
    ) == [
        'Statement[0]: {"x": 1} is not in ecr-pack-settings.allowedAccounts ["123456789012"] but '
        "can assume this role (list it in ecr-pack-settings.allowedAccounts if it should be)"
    ]


def test_several_wildcards_organisations_and_resources_are_listed():
    both = ["ecr:*", "ecr-public:*"]
    assert grant_problems(document(allow(Principal={"AWS": A}, Action=both)), ALLOW_A) == [
        "Statement[0]: action ecr-public:*, ecr:* together match every ECR write action: list "
        "the ECR actions needed"
    ]
    assert iam_problems(document(allow(Action=both, Resource="*"))) == [
        "Statement[0]: grants ecr-public:*, ecr:*, which together match every ECR write action: "
        "list the ECR actions needed"
    ]
    two = {"StringEquals": {"aws:PrincipalOrgID": [ORG, "o-zzzzzzzzzz"]}}
    assert trust_problems(
        document(allow(Principal="*", Action="sts:AssumeRole", Condition=two)), {}
    ) == [
        "Statement[0]: every account of organisation o-abcdefghij, o-zzzzzzzzzz can assume this "
        "role, and it is not in allowedOrganizations [] (ecr-pack-settings)"
    ]
    one = f"arn:aws:ecr:us-east-1:{A}:repository/a"
    assert iam_problems(document(allow(Action="ecr:PutImage", Resource=[one, "*"]))) == [
        f"Statement[0]: grants ECR write actions (ecr:PutImage) on {one}, *: scope writes to "
        "repository ARNs"
    ]


def test_four_writes_are_listed_and_a_fifth_is_counted():
    four = ["ecr:PutImage", "ecr:BatchDeleteImage", "ecr:DeleteRepository", "ecr:TagResource"]
    assert iam_problems(document(allow(Action=four, Resource="*"))) == [
        "Statement[0]: grants ECR write actions (ecr:BatchDeleteImage, ecr:DeleteRepository, "
        "ecr:PutImage, ecr:TagResource) on *: scope writes to repository ARNs"
    ]
    assert iam_problems(document(allow(Action=[*four, "ecr:UploadLayerPart"], Resource="*"))) == [
        "Statement[0]: grants ECR write actions (ecr:BatchDeleteImage, ecr:DeleteRepository, "
        "ecr:PutImage, ecr:TagResource and 1 more) on *: scope writes to repository ARNs"
    ]


def test_every_statement_of_an_identity_policy_is_judged():
    one = f"arn:aws:ecr:us-east-1:{A}:repository/app"
    policy = document(
        allow(Sid="every", Action="ecr:*", Resource=one),
        allow(Sid="reads", Action="ecr:BatchGetImage", Resource="*"),
        allow(Sid="scoped", Action="ecr:PutImage", Resource=one),
        allow(Sid="all", Action="ecr:PutImage", Resource="*"),
    )
    assert iam_problems(policy) == [
        "every: grants ecr:*, which together match every ECR write action: list the ECR actions "
        "needed",
        "all: grants ECR write actions (ecr:PutImage) on *: scope writes to repository ARNs",
    ]


def test_star_with_a_partial_wildcard_is_judged_by_its_resources():
    """`*` matches every action of every service: it is judged by the resources it is granted
    on, and `ecr:Put*` beside it does not cover every write."""
    one = f"arn:aws:ecr:us-east-1:{A}:repository/app"
    assert iam_problems(document(allow(Action=["*", "ecr:Put*"], Resource=one))) == []


def test_tag_conditions_are_found_among_other_operators_and_keys():
    narrowed = {
        "StringLike": {"aws:ResourceTag/team": "a*"},
        "StringEquals": {"aws:RequestTag/x": "a", "aws:ResourceTag/team": "a"},
    }
    assert (
        iam_problems(document(allow(Action="ecr:PutImage", Resource="*", Condition=narrowed))) == []
    )
    single = {"StringEquals": {"aws:ResourceTag/team": "a?"}}
    assert iam_problems(document(allow(Action="ecr:PutImage", Resource="*", Condition=single))) == [
        "Statement[0]: grants ECR write actions (ecr:PutImage) on *: scope writes to repository ARNs"
    ]


def test_every_statement_of_a_trust_policy_is_judged():
    policy = document(
        allow(Principal="*", Action="sts:TagSession"),
        allow(Principal="*", Action="sts:AssumeRole"),
    )
    assert trust_problems(policy, {}) == ["Statement[1]: anyone (*) can assume this role"]


def test_only_aws_principals_of_other_accounts_are_listed_for_review():
    policy = document(
        allow(Principal={"Federated": f"arn:aws:iam::{B}:saml-provider/okta",
                         "Service": "ecs.amazonaws.com"}),
    )  # fmt: skip
    assert cross_account_principals(policy, A) == []


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (lambda v: grant_problems(document(allow(Principal=v, Action=PULL)), {}),
         [A], f'Principal must be an object, got ["{A}"]'),
        (lambda v: pins({"Condition": v}, "aws:SourceAccount"), "x",
         'Condition must be an object, got "x"'),
        (lambda v: pins({"Condition": v}, "aws:SourceAccount"), {"StringEquals": "x"},
         'Condition.StringEquals must be an object, got "x"'),
        (lambda v: iam_problems(document(allow(Action="ecr:PutImage", Resource="*", Condition=v))),
         "x", 'Condition must be an object, got "x"'),
        (lambda v: iam_problems(document(allow(Action="ecr:PutImage", Resource="*", Condition=v))),
         {"StringEquals": "x"}, 'Condition.StringEquals must be an object, got "x"'),
        (lambda v: replication_problems({"replicationConfiguration": v}, {"allowedAccounts": [A]}),
         "x", 'replicationConfiguration must be an object, got "x"'),
        (lambda v: replication_problems({"replicationConfiguration": v}, {"allowedAccounts": [A]}),
         {"rules": "x"}, 'replicationConfiguration.rules must be a list, got "x"'),
        (lambda v: replication_problems({"replicationConfiguration": v}, {"allowedAccounts": [A]}),
         {"rules": ["x"]}, 'rules[] must be an object, got "x"'),
        (lambda v: replication_problems({"replicationConfiguration": v}, {"allowedAccounts": [A]}),
         {"rules": [{"destinations": "x"}]}, 'destinations must be a list, got "x"'),
        (lambda v: replication_problems({"replicationConfiguration": v}, {"allowedAccounts": [A]}),
         {"rules": [{"destinations": ["x"]}]}, 'destinations[] must be an object, got "x"'),
    ],
)  # fmt: skip
def test_a_malformed_document_is_named_by_its_path(check, value, message):
    from policy.ecr_guardrails.props import MalformedPropertyError

    with pytest.raises(MalformedPropertyError) as raised:
        check(value)
    assert str(raised.value) == message


def test_a_pattern_that_also_matches_other_services_actions_is_not_named_as_an_ecr_wildcard():
    """`*t` matches ecr:UploadLayerPart and s3:GetObject alike: only ecr:* is named."""
    one = f"arn:aws:ecr:us-east-1:{A}:repository/app"
    assert iam_problems(document(allow(Action=["ecr:*", "*t"], Resource=one))) == [
        "Statement[0]: grants ecr:*, which together match every ECR write action: list the ECR "
        "actions needed"
    ]


def test_a_statement_narrowed_by_tags_does_not_hide_the_next_one():
    tagged = {"StringEquals": {"aws:ResourceTag/team": "a"}}
    policy = document(
        allow(Sid="abac", Action="ecr:PutImage", Resource="*", Condition=tagged),
        allow(Sid="all", Action="ecr:PutImage", Resource="*"),
    )
    assert iam_problems(policy) == [
        "all: grants ECR write actions (ecr:PutImage) on *: scope writes to repository ARNs"
    ]
