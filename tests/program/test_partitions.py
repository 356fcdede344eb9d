"""Issue 26: stacks in the China and GovCloud partitions get their partition's ARNs, replicate
within it, and conform."""

import json

import pytest

from components.settings import SettingsError, load_settings
from tests.support.fakes import ACCOUNT_ID
from tools.preview.conformance import problems
from tools.preview.mock_engine import run_program

PARTITIONS = [
    ("aws-cn", "cn-north-1", "cn-northwest-1"),
    ("aws-us-gov", "us-gov-west-1", "us-gov-east-1"),
    ("aws", "ap-northeast-2", "eu-west-1"),
]
PULL = "210987654321"


def _arns(text: str) -> set[str]:
    return {part.split('"')[0] for part in text.split('"arn:')[1:]}


@pytest.fixture(scope="module", params=PARTITIONS, ids=[p[0] for p in PARTITIONS])
def partition_run(request):
    partition, region, other = request.param
    overrides = {
        "aws:region": region,
        "ecr:replicationRegions": [other],
        "ecr:createOnPushPrefixes": ["team-a/"],
        "ecr:services": {"fileflow": {"pullAccounts": [PULL]}},
    }
    return partition, region, other, run_program("dev", overrides)


def test_every_arn_the_program_builds_is_in_the_stacks_partition(partition_run):
    partition, _, other, run = partition_run
    policy = run.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "fileflow-policy")
    principals = json.loads(policy.inputs["policy"])["Statement"]
    assert [s["Principal"]["AWS"] for s in principals] == [
        [f"arn:{partition}:iam::123456789012:root"],
        [f"arn:{partition}:iam::{PULL}:root"],
    ]
    texts = [
        r.inputs.get("policy", "") for r in run.resources if isinstance(r.inputs.get("policy"), str)
    ]
    texts += [
        json.dumps(r.inputs)
        for r in run.of_type("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate")
    ]
    arns = set().union(*(_arns(t) for t in texts))
    assert arns and all(a.startswith(f"{partition}:") for a in arns), sorted(arns)
    (replication,) = run.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    rule = replication.inputs["replicationConfiguration"]["rules"][0]
    assert [d["region"] for d in rule["destinations"]] == [other]


def test_partitioned_stacks_conform(partition_run):
    _, _, _, run = partition_run
    assert [str(p) for p in problems(run.resources)] == []


@pytest.mark.parametrize(
    ("region", "replicas", "partition"),
    [
        ("cn-north-1", ["eu-west-1"], "aws-cn"),
        ("us-gov-west-1", ["cn-north-1"], "aws-us-gov"),
        ("eu-west-1", ["us-gov-east-1"], "aws"),
    ],
)
def test_replication_leaves_no_partition(region, replicas, partition):
    with pytest.raises(SettingsError) as raised:
        load_settings(
            {"environment": "dev", "services": '{"fileflow": {}}',
             "replicationRegions": json.dumps(replicas)},
            region=region,
        )  # fmt: skip
    (problem,) = raised.value.problems
    assert problem.startswith(f"ecr:replicationRegions = {json.dumps(replicas)}:")
    assert f"not in the stack's partition {partition} (region {region})" in problem


@pytest.mark.parametrize(
    ("partition", "region", "other"), PARTITIONS[:2], ids=["aws-cn", "aws-us-gov"]
)
def test_the_pack_passes_partitioned_stacks(running, partition, region, other):
    # The production signing profile and the registry-owner note are judged elsewhere.
    quiet = {
        "ecr-stack-production-signing-profile": {"enforcementLevel": "disabled"},
        "ecr-stack-registry-owner": {"owners": [{"account": "*", "region": "*", "stacks": ["*"]}]},
        # Pack 3.0: every account a grant names is allowlisted (the mocks' own and the pull one).
        "ecr-pack-settings": {"allowedAccounts": [ACCOUNT_ID, PULL]},
    }
    from tools.preview.pack_runner import Resource

    running.configure(quiet)
    overrides = {
        "aws:region": region,
        "ecr:replicationRegions": [other],
        "ecr:registryOwner": True,
        "ecr:signing": {},
        "ecr:services": {"fileflow": {"pullAccounts": [PULL]}},
    }
    resources = [
        Resource(r.type, r.name, r.inputs, r.urn, r.protect, r.parent, r.property_dependencies)
        for r in run_program("prod", overrides).resources
    ]
    assert running.preview(resources) == []
