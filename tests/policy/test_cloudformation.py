"""Issue 24, CloudFormation class, over gRPC as the CLI runs the pack, through both providers'
stack resources: values are evaluated to every value they could take (both branches of Fn::If,
parameters' AllowedValues or the worst case, Fn::Select / Join / Sub / ToJsonString /
FindInMap), and content the pack cannot read (transforms, macros, Fn::ForEach, AWS::Include,
SAM, modules, Service Catalog) is a mandatory violation naming it."""

import json

import pytest

from tests.support.pack_routes import EMBEDDED, KMS, LEAST, QUIET, mandatory, res

ROOT = "arn:aws:iam::123456789012:root"
STACKS = ["aws:cloudformation/stack:Stack", "aws-native:cloudformation:Stack"]


@pytest.fixture
def pack(running):
    running.configure(QUIET)
    return running


def stack(stack_type, template):
    return res(stack_type, {"name": "s", "templateBody": json.dumps(template)})


def registry_policy(principal, parameters=None, mappings=None, policy_text=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": ["ecr:BatchGetImage"]}
    text = policy_text or {"Version": "2012-10-17", "Statement": [statement]}
    template = {"Resources": {"P": {"Type": "AWS::ECR::RegistryPolicy", "Properties": {"PolicyText": text}}}}  # fmt: skip
    if parameters:
        template["Parameters"] = parameters
    if mappings:
        template["Mappings"] = mappings
    return template


OPEN_PRINCIPALS = {
    "Fn::If around a principal": ({"Fn::If": ["Open", "*", {"AWS": ROOT}]}, None, None),
    "Ref to a parameter whose default is *": (
        {"AWS": {"Ref": "Who"}},
        {"Who": {"Type": "String", "Default": "*"}},
        None,
    ),
    "Ref to a parameter allowing *": (
        {"AWS": {"Ref": "Who"}},
        {"Who": {"Type": "String", "AllowedValues": [ROOT, "*"], "Default": ROOT}},
        None,
    ),
    "Fn::Select": ({"AWS": {"Fn::Select": [0, ["*", ROOT]]}}, None, None),
    "Fn::Select with a parameter index": (
        {"AWS": {"Fn::Select": [{"Ref": "I"}, [ROOT, "*"]]}},
        {"I": {"Type": "Number"}},
        None,
    ),
    "Fn::Join": ({"AWS": {"Fn::Join": ["", ["arn:aws:iam::", "*", ":root"]]}}, None, None),
    "Fn::Sub over a parameter": (
        {"AWS": {"Fn::Sub": "arn:aws:iam::${Account}:root"}},
        {"Account": {"Type": "String", "Default": "123456789012"}},
        None,
    ),
    "Fn::FindInMap": (
        {"AWS": {"Fn::FindInMap": ["Who", {"Ref": "AWS::Region"}, "Principal"]}},
        None,
        {"Who": {"us-east-1": {"Principal": ROOT}, "eu-west-1": {"Principal": "*"}}},
    ),
    "Fn::ImportValue": ({"AWS": {"Fn::ImportValue": "shared-principal"}}, None, None),
}


@pytest.mark.parametrize("stack_type", STACKS)
@pytest.mark.parametrize("case", sorted(OPEN_PRINCIPALS))
def test_principals_are_evaluated_to_their_worst_value(pack, stack_type, case):
    principal, parameters, mappings = OPEN_PRINCIPALS[case]
    found = pack.analyze(stack(stack_type, registry_policy(principal, parameters, mappings)))
    assert any("is anyone" in m for m in mandatory(found, LEAST)), (case, found)


@pytest.mark.parametrize("stack_type", STACKS)
def test_a_parameter_with_safe_allowed_values_passes(pack, stack_type):
    parameters = {"Who": {"Type": "String", "AllowedValues": [ROOT], "Default": ROOT}}
    template = registry_policy({"AWS": {"Ref": "Who"}}, parameters)
    assert mandatory(pack.analyze(stack(stack_type, template)), LEAST) == []


@pytest.mark.parametrize("stack_type", STACKS)
def test_fn_if_around_the_whole_policy_judges_both_branches(pack, stack_type):
    closed = {"Version": "2012-10-17", "Statement": []}
    anyone = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
    template = registry_policy(None, policy_text={"Fn::If": ["Open", anyone, closed]})
    assert mandatory(pack.analyze(stack(stack_type, template)), LEAST)


@pytest.mark.parametrize("stack_type", STACKS)
def test_fn_to_json_string_is_read(pack, stack_type):
    anyone = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
    template = registry_policy(None, policy_text={"Fn::ToJsonString": anyone})
    assert mandatory(pack.analyze(stack(stack_type, template)), LEAST)


def repository_template(key, parameters=None):
    properties = {"EncryptionConfiguration": {"EncryptionType": "KMS", "KmsKey": key}}
    template = {"Resources": {"R": {"Type": "AWS::ECR::Repository", "Properties": properties}}}
    if parameters:
        template["Parameters"] = parameters
    return template


@pytest.mark.parametrize("stack_type", STACKS)
def test_a_kms_key_from_a_parameter_allowing_the_aws_managed_key_fails(pack, stack_type):
    parameters = {"Key": {"Type": "String", "AllowedValues": ["alias/aws/ecr"]}}
    found = pack.analyze(stack(stack_type, repository_template({"Ref": "Key"}, parameters)))
    assert any("alias/aws/ecr is the AWS-managed key" in m for m in mandatory(found, KMS))


@pytest.mark.parametrize("stack_type", STACKS)
def test_a_kms_key_the_pack_cannot_evaluate_fails(pack, stack_type):
    parameters = {"Key": {"Type": "String", "Default": "alias/aws/ecr"}}
    found = pack.analyze(stack(stack_type, repository_template({"Ref": "Key"}, parameters)))
    (message,) = mandatory(found, EMBEDDED)
    assert "the KMS key ${Key} cannot be evaluated" in message


# --- content the pack cannot read -----------------------------------------------------------------

REPOSITORY = {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "app"}}
UNREADABLE = {
    "a transform": ({"Transform": "MyMacro", "Resources": {"R": REPOSITORY}}, "Transform"),
    "SAM": (
        {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                "F": {
                    "Type": "AWS::Serverless::Function",
                    "Properties": {"Policies": ["AmazonEC2ContainerRegistryFullAccess"]},
                }
            },
        },
        "AWS::Serverless",
    ),
    "a SAM application by URL": (
        {
            "Resources": {
                "A": {
                    "Type": "AWS::Serverless::Application",
                    "Properties": {"Location": "https://example.com/app.yaml"},
                }
            }
        },
        "AWS::Serverless",
    ),
    "Fn::ForEach": (
        {
            "Transform": "AWS::LanguageExtensions",
            "Resources": {
                "Fn::ForEach::Repos": ["N", ["a", "b"], {"Repo${N}": REPOSITORY}],
            },
        },
        "Fn::ForEach",
    ),
    "AWS::Include": (
        {
            "Resources": {
                "R": {
                    "Type": "AWS::ECR::RegistryPolicy",
                    "Properties": {
                        "Fn::Transform": {
                            "Name": "AWS::Include",
                            "Parameters": {"Location": "s3://b/policy.yaml"},
                        }
                    },
                }
            }
        },
        "Fn::Transform",
    ),
    "a module": ({"Resources": {"M": {"Type": "Org::Ecr::Open::MODULE"}}}, "::MODULE"),
    "a Service Catalog product": (
        {
            "Resources": {
                "P": {
                    "Type": "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
                    "Properties": {"ProductName": "ecr", "ProvisioningArtifactName": "v1"},
                }
            }
        },
        "Service Catalog",
    ),
}


@pytest.mark.parametrize("stack_type", STACKS)
@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_content_the_pack_cannot_read_is_refused(pack, stack_type, case):
    template, named = UNREADABLE[case]
    messages = mandatory(pack.analyze(stack(stack_type, template)), EMBEDDED)
    assert any(named in m and "cannot" in m for m in messages), (case, messages)


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:servicecatalog/provisionedProduct:ProvisionedProduct",
        "aws-native:servicecatalog:CloudFormationProvisionedProduct",
        "aws:serverlessrepository/cloudFormationStack:CloudFormationStack",
    ],
)
def test_provisioned_products_and_applications_are_refused(pack, resource_type):
    found = pack.analyze(res(resource_type, {"name": "ecr", "productName": "ecr"}))
    (message,) = mandatory(found, EMBEDDED)
    assert "template the pack cannot see" in message
