"""The pack over gRPC, as the CLI drives it: exemptions end to end, and no input makes Analyze or
AnalyzeStack fail with an RPC error or print a Python repr."""

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.fakes import compliant_repository
from tools.pack_runner import Resource, RunningPack

TYPES = [
    "aws:ecr/repository:Repository",
    "aws-native:ecr:Repository",
    "aws:ecrpublic/repository:Repository",
    "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws:ecr/registryPolicy:RegistryPolicy",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws-native:iam:Role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
]
PROPS = [
    "name", "repositoryName", "repository", "policy", "tags", "encryptionConfigurations",
    "encryptionConfiguration", "imageScanningConfiguration", "imageTagMutability",
    "imageTagMutabilityExclusionFilters", "forceDelete", "emptyOnDelete", "repositoryPolicyText",
    "lifecyclePolicy", "rules", "inlinePolicies", "policies", "managedPolicyArns", "policyArn",
]  # fmt: skip


@pytest.fixture(scope="module")
def pack():
    running = RunningPack()
    yield running
    running.close()


def test_an_exemption_is_applied_by_the_running_pack(pack):
    legacy = compliant_repository("legacy-api")
    props = dict(legacy.props) | {"encryptionConfigurations": [{"encryptionType": "AES256"}]}
    resource = Resource(legacy.type, legacy.name, props, legacy.urn, protect=True)
    exemption = {"repository": "legacy-*", "reason": "TICKET-1", "expires": "2099-01-01"}
    pack.configure({"ecr-repository-require-kms-cmk": {"exemptions": [exemption]}})
    (note,) = pack.analyze(resource)
    assert (note.policy, note.level) == ("ecr-exemption-notes", "advisory")
    assert "ecr-repository-require-kms-cmk waived by the exemption for legacy-*" in note.message
    pack.configure(
        {"ecr-repository-require-kms-cmk": {"exemptions": [exemption | {"expires": "2020-01-01"}]}}
    )
    (violation,) = pack.analyze(resource)
    assert (violation.policy, violation.level) == ("ecr-repository-require-kms-cmk", "mandatory")
    assert "has expired" in violation.message
    pack.configure({})


def test_objects_where_names_belong_do_not_break_analyze_stack(pack):
    pack.configure({"ecr-stack-production-signing-profile": {"enforcementLevel": "disabled"}})
    repository = compliant_repository("x")
    odd = Resource(
        repository.type,
        "odd",
        dict(repository.props) | {"name": {"a": 1}},
        repository.urn + "2",
        protect=True,
    )
    lifecycle = Resource(
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "l",
        {"repository": {"b": [1]}, "policy": "{}"},
        "urn:pulumi:prod::p::aws:ecr/lifecyclePolicy:LifecyclePolicy::l",
    )
    found = pack.analyze_stack([repository, odd, lifecycle])
    assert {d.policy for d in found} == {"ecr-stack-repositories-have-lifecycle-policy"}
    assert all("object at 0x" not in d.message and "Proxy" not in d.message for d in found)


def test_deeply_nested_and_huge_documents_are_violations(pack):
    pack.configure({})
    for document in ("[" * 50_000 + "]" * 50_000, '{"Version": ' + "9" * 4301 + "}"):
        for type_ in ("aws:iam/policy:Policy", "aws:ecr/repositoryPolicy:RepositoryPolicy"):
            (diagnostic,) = pack.analyze(
                Resource(type_, "p", {"policy": document}, f"urn:pulumi:dev::p::{type_}::p")
            )
            assert (
                "not a usable JSON policy document" in diagnostic.message
                or "over" in diagnostic.message
            )


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=8),
                  st.sampled_from(["*", "KMS", "AES256", "prod", "IMMUTABLE_WITH_EXCLUSION", "Allow",
                                   '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}']))  # fmt: skip
_value = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*PROPS, "key", "value", "filter", "Statement"]), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@hypothesis_settings(
    max_examples=150, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(st.sampled_from(TYPES), st.dictionaries(st.sampled_from(PROPS), _value, max_size=6))
def test_random_property_shapes_never_break_the_pack(pack, resource_type, props):
    resource = Resource(resource_type, "r", props, f"urn:pulumi:prod::p::{resource_type}::r")
    for diagnostic in pack.analyze(resource) + pack.analyze_stack([resource]):
        assert "object at 0x" not in diagnostic.message and "Proxy" not in diagnostic.message
        assert "could not judge" not in diagnostic.message, (resource_type, json.dumps(props))
