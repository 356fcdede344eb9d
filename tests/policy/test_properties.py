"""Issue 24, property tests: split wildcards, conditions and CloudFormation intrinsics are
generated, and the pack's verdict is compared with what IAM (or CloudFormation) would make of
them. Through the validators directly (tests/policy_harness.py), as the SDK's own tests do."""

import json
import re
import string

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from policy.ecr_guardrails.actions import catalogue
from policy.ecr_guardrails.config import Allowlist
from policy.ecr_guardrails.patterns import NAME_PATTERN, covers_every_repository
from policy.ecr_guardrails.rules_access import grant_problems, iam_problems
from tests.support.policy_harness import resource_args, violations

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
REPO_ARN = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/"
FIRST = string.ascii_lowercase + string.digits
WRITES = sorted(a.name for a in catalogue().values() if a.service == "ecr" and a.writes)
PUSH = ["ecr:PutImage"]
FEW = hypothesis_settings(max_examples=60, deadline=None)


def document(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --- split wildcards ------------------------------------------------------------------------------


@FEW
@given(st.data())
def test_action_prefixes_covering_every_write_are_every_write(data):
    # Each write action is covered by some prefix of its own name followed by `*`, in any case.
    patterns = {
        "ecr:" + name[: data.draw(st.integers(0, len(name)), label=name)] + "*" for name in WRITES
    }
    patterns = {p.upper() if data.draw(st.booleans()) else p for p in patterns}
    grant = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": sorted(patterns)}
    assert any("every ECR write action" in p for p in grant_problems(document(grant), Allowlist()))
    statement = {"Effect": "Allow", "Action": sorted(patterns), "Resource": REPO_ARN + "app"}
    assert iam_problems(document(statement)), patterns


@FEW
@given(st.lists(st.sampled_from(FIRST), min_size=1, unique=True), st.integers(1, 4))
def test_prefix_unions_are_every_repository_exactly_when_no_first_character_is_left(chars, split):
    # The prefixes, spread over `split` statements: every repository iff every first character
    # ECR allows is there (a missing one leaves infinitely many names).
    statements = [
        {
            "Effect": "Allow",
            "Action": PUSH,
            "Resource": [f"{REPO_ARN}{c}*" for c in chars[i::split]],
        }
        for i in range(split)
    ]
    statements = [s for s in statements if s["Resource"]]
    found = iam_problems(document(*statements))
    assert bool(found) == (set(chars) == set(FIRST)), (chars, found)


@FEW
@given(st.integers(0, 6), st.from_regex(re.compile(NAME_PATTERN), fullmatch=True))
def test_question_marks_then_a_star_match_every_repository(count, name):
    pattern = REPO_ARN + "?" * count + "*"
    assert covers_every_repository((pattern,))
    # ...and a literal name of the grammar never does.
    assert not covers_every_repository((REPO_ARN + name,))


# --- conditions -----------------------------------------------------------------------------------

OPERATORS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringNotLike",
    "StringEqualsIfExists",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringEquals",
    "Null",
]
POSITIVE = {"StringEquals", "StringLike", "ForAnyValue:StringEquals"}
VALUES = [ACCOUNT, "999999999999", "*", "1234*", "12345678901?", "false", ""]


@FEW
@given(
    st.lists(st.tuples(st.sampled_from(OPERATORS), st.sampled_from(VALUES)), max_size=3),
    st.sampled_from(["aws:SourceAccount", "AWS:SOURCEACCOUNT"]),
)
def test_a_service_principal_is_pinned_only_by_a_positive_exact_allowed_account(conditions, key):
    condition: dict[str, dict[str, str]] = {}
    for operator, value in conditions:
        condition.setdefault(operator, {})[key] = value
    grant = {
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": ["ecr:BatchGetImage"],
        "Condition": condition,
    }
    pinned = any(op in POSITIVE and block[key] == ACCOUNT for op, block in condition.items())
    problems = grant_problems(document(grant), Allowlist(frozenset({ACCOUNT})))
    assert (not problems) == pinned, (condition, problems)


# --- intrinsics -----------------------------------------------------------------------------------


def _values(tree):
    """What CloudFormation could make of a generated expression (the oracle)."""
    if isinstance(tree, str):
        return {tree}
    (key, arg), = tree.items()  # fmt: skip
    if key == "Fn::If":
        return _values(arg[1]) | _values(arg[2])
    if key == "Fn::Select":
        return _values(arg[1][arg[0]])
    if key == "Fn::Join":
        return {arg[0].join(parts) for parts in [[v] for v in _values(arg[1][0])]}
    if key == "Ref":
        return {"*"}  # a parameter without AllowedValues: anything
    raise AssertionError(key)


LEAF = st.sampled_from([ROOT, "*", f"arn:aws:iam::{ACCOUNT}:role/ci"])
EXPRESSIONS = st.recursive(
    LEAF | st.just({"Ref": "Who"}),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda ab: {"Fn::If": ["C", ab[0], ab[1]]}),
        st.tuples(st.integers(0, 1), inner, inner).map(
            lambda t: {"Fn::Select": [t[0], [t[1], t[2]]]}
        ),
        inner.map(lambda x: {"Fn::Join": ["", [x]]}),
    ),
    max_leaves=6,
)


@FEW
@given(
    EXPRESSIONS,
    st.sampled_from(["aws:cloudformation/stack:Stack", "aws-native:cloudformation:Stack"]),
)
def test_intrinsics_around_a_principal_are_judged_by_every_value_they_could_take(tree, kind):
    grant = {"Effect": "Allow", "Principal": {"AWS": tree}, "Action": ["ecr:BatchGetImage"]}
    template = {
        "Parameters": {"Who": {"Type": "String", "Default": ROOT}},
        "Resources": {
            "P": {"Type": "AWS::ECR::RegistryPolicy", "Properties": {"PolicyText": document(grant)}}
        },
    }
    args = resource_args(kind, {"name": "s", "templateBody": json.dumps(template)})
    found = violations("ecr-repository-policy-least-privilege", args)
    anyone = "*" in _values(tree)
    assert any("is anyone" in m for m in found) == anyone, (tree, found)
