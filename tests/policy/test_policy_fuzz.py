"""The pack over gRPC, as the CLI drives it: exemptions end to end, and no input makes Analyze or
AnalyzeStack fail with an RPC error or print a Python repr."""

import datetime
import json

import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.fakes import OTHER_PROJECT_KEY_ARN as KEY_ARN
from tests.support.fakes import compliant_repository
from tools.preview.pack_runner import Resource, RunningPack

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
    "aws-native:ecr:RepositoryCreationTemplate",
    "aws-native:ecr:RegistryPolicy",
    "aws-native:ecr:PublicRepository",
    "aws-native:sso:PermissionSet",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:cloudformation/stack:Stack",
    "aws:cloudcontrol/resource:Resource",
]
PROPS = [
    "name", "repositoryName", "repository", "policy", "tags", "encryptionConfigurations",
    "encryptionConfiguration", "imageScanningConfiguration", "imageTagMutability",
    "imageTagMutabilityExclusionFilters", "forceDelete", "emptyOnDelete", "repositoryPolicyText",
    "lifecyclePolicy", "rules", "inlinePolicies", "policies", "managedPolicyArns", "policyArn",
    "templateBody", "desiredState", "typeName", "policyText", "repositoryPolicy", "appliedFor",
    "resourceTags", "assumeRolePolicyDocument", "policyArns", "inlinePolicy", "managedPolicies",
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
    soon = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    exemption = {"repository": "legacy-*", "stacks": ["prod"], "reason": "T-1", "expires": soon}
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
        # A validator that raised says "could not judge this resource (<error>)"; advisory notes
        # (e.g. which registry-wide settings the stack manages) are fine.
        assert "could not judge this resource" not in diagnostic.message, (
            resource_type,
            json.dumps(props),
        )


# --- embedded templates ------------------------------------------------------------------------

NATIVE_KEYS = [
    "repositoryName", "encryptionConfiguration", "imageScanningConfiguration", "imageTagMutability",
    "imageTagMutabilityExclusionFilters", "emptyOnDelete", "tags", "repositoryPolicyText",
    "lifecyclePolicy",
]  # fmt: skip
_native_leaf = st.one_of(
    st.none(), st.booleans(), st.text(max_size=6),
    st.sampled_from(["KMS", "AES256", "IMMUTABLE", "MUTABLE", "prod", KEY_ARN, "a@b.io",
                     '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}']),
)  # fmt: skip
_native_value = st.recursive(
    _native_leaf,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(
        st.sampled_from(["encryptionType", "kmsKey", "scanOnPush", "key", "value",
                         "lifecyclePolicyText", "imageTagMutabilityExclusionFilterValue"]),
        inner, max_size=3,
    ),
    max_leaves=8,
)  # fmt: skip
_OPAQUE = {"repositoryPolicyText", "lifecyclePolicyText"}


def _pascal(value):
    if isinstance(value, dict):
        return {
            k[:1].upper() + k[1:]: (v if k in _OPAQUE else _pascal(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


def _mandatory(diagnostics):
    # Protection is the resource option of a resource the pack sees; inside a template it is the
    # stack's own, so it is the one policy that cannot apply the same way.
    return {
        d.policy
        for d in diagnostics
        if d.level == "mandatory" and d.policy != "ecr-repository-protected-in-production"
    }


@hypothesis_settings(
    max_examples=120, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(
    st.dictionaries(st.sampled_from(NATIVE_KEYS), _native_value, max_size=7),
    st.sampled_from(["json", "yaml", "stackset", "cloudcontrol"]),
)
def test_a_repository_inside_a_template_is_judged_as_if_declared_directly(pack, props, route):
    pack.configure({"ecr-stack-production-signing-profile": {"enforcementLevel": "disabled"}})
    direct = Resource("aws-native:ecr:Repository", "r", props,
                      "urn:pulumi:prod::p::aws-native:ecr:Repository::r")  # fmt: skip
    template = {
        "Resources": {"Repo": {"Type": "AWS::ECR::Repository", "Properties": _pascal(props)}}
    }
    if route == "cloudcontrol":
        type_ = "aws:cloudcontrol/resource:Resource"
        embedded_props = {"typeName": "AWS::ECR::Repository",
                          "desiredState": json.dumps(_pascal(props))}  # fmt: skip
    else:
        type_ = (
            "aws:cloudformation/stackSet:StackSet"
            if route == "stackset"
            else ("aws:cloudformation/stack:Stack")
        )
        body = yaml.safe_dump(template) if route == "yaml" else json.dumps(template)
        embedded_props = {"name": "s", "templateBody": body}
    embedded = Resource(type_, "s", embedded_props, f"urn:pulumi:prod::p::{type_}::s")
    expected = _mandatory(pack.preview([direct]))
    found = pack.preview([embedded])
    assert _mandatory(found) == expected, (route, json.dumps(props), found)
    for diagnostic in found:
        assert (
            "object at 0x" not in diagnostic.message and "could not judge" not in diagnostic.message
        )


CFN_TYPES = [
    "AWS::ECR::Repository", "AWS::ECR::RepositoryCreationTemplate", "AWS::ECR::RegistryPolicy",
    "AWS::ECR::PublicRepository", "AWS::ECR::ReplicationConfiguration",
    "AWS::ECR::PullThroughCacheRule", "AWS::ECR::RegistryScanningConfiguration", "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy", "AWS::SSO::PermissionSet", "AWS::CloudFormation::Stack", "AWS::X::Y",
]  # fmt: skip
CFN_KEYS = [k[:1].upper() + k[1:] for k in (*PROPS, *NATIVE_KEYS)] + ["TemplateBody", "Ref"]
_cfn_resource = st.fixed_dictionaries(
    {"Type": st.sampled_from(CFN_TYPES)},
    optional={"Properties": st.dictionaries(st.sampled_from(CFN_KEYS), _value, max_size=5)},
)


@hypothesis_settings(
    max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(
    st.dictionaries(st.text(min_size=1, max_size=4), _cfn_resource | _value, max_size=3),
    st.sampled_from(["json", "yaml", "cloudcontrol"]),
)
def test_random_embedded_templates_never_break_the_pack(pack, resources, route):
    pack.configure({})
    if route == "cloudcontrol":
        first = next(iter(resources.values()), {})
        entry = first if isinstance(first, dict) else {}
        type_ = "aws:cloudcontrol/resource:Resource"
        props = {"typeName": entry.get("Type", "AWS::ECR::Repository"),
                 "desiredState": json.dumps(entry.get("Properties", entry))}  # fmt: skip
    else:
        template = {"Resources": resources}
        type_ = "aws:cloudformation/stack:Stack"
        body = yaml.safe_dump(template) if route == "yaml" else json.dumps(template)
        props = {"name": "s", "templateBody": body}
    resource = Resource(type_, "s", props, f"urn:pulumi:prod::p::{type_}::s")
    for diagnostic in pack.preview([resource]):
        assert "object at 0x" not in diagnostic.message and "Proxy" not in diagnostic.message
        assert "could not judge this resource" not in diagnostic.message, (route, resources)
