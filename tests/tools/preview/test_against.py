"""Issue 30: `tools.plan --against` tells creates, updates, replacements and deletes apart."""

import json
import shutil
import subprocess
from pathlib import Path

from tools.preview import plan as plan_tool
from tools.preview.against import compare

ROOT = Path(__file__).resolve().parents[3]
CACHE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
REPOSITORY = "aws:ecr/repository:Repository"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
PROFILE = "aws:signer/signingProfile:SigningProfile"


def _r(type_, name, inputs, **options):
    return {"urn": f"urn:pulumi:dev::ecr::{type_}::{name}", "type": type_, "name": name,
            "custom": True, "inputs": inputs, "options": options}  # fmt: skip


def test_a_new_upstream_for_the_same_prefix_is_a_replacement_that_deletes_first():
    before = [_r(CACHE, "c", {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "a.io"})]
    after = [
        _r(
            CACHE,
            "c",
            {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "b.io"},
            deleteBeforeReplace=True,
        )
    ]
    (change,) = compare("main", before, after).changes
    assert (change.action, change.inputs, change.unsafe) == (
        "replace",
        ("upstreamRegistryUrl",),
        False,
    )
    # The same change without deleteBeforeReplace (as before issue 30) collides on the prefix.
    after[0]["options"] = {}
    (change,) = compare("main", before, after).changes
    assert change.unsafe and "ecrRepositoryPrefix" in change.note


def test_a_protected_replacement_is_unsafe_and_an_update_is_not():
    key = {"encryptionConfigurations": [{"kmsKey": "arn:1"}], "name": "fileflow", "tags": {}}
    before = [_r(REPOSITORY, "fileflow", key, protect=True)]
    new_key = dict(key, encryptionConfigurations=[{"kmsKey": "arn:2"}])
    (change,) = compare("main", before, [_r(REPOSITORY, "fileflow", new_key, protect=True)]).changes
    assert change.action == "replace" and change.unsafe and "protected" in change.note
    retagged = dict(key, tags={"team": "a"})
    (change,) = compare(
        "main", before, [_r(REPOSITORY, "fileflow", retagged, protect=True)]
    ).changes
    assert (change.action, change.inputs, change.unsafe) == ("update", ("tags",), False)


LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
POLICY = "aws:iam/policy:Policy"


def test_a_new_lifecycle_policy_is_a_replacement_that_deletes_first():
    """terraform-provider-aws lifecycle_policy.go has no Update: `policy` is ForceNew, and the
    delete is by repository. The row said `repository` only, so a retention change showed as an
    update; the real engine replaces it (pulumi-aws deletes it first)."""
    before = [_r(LIFECYCLE, "l", {"repository": "fileflow", "policy": '{"rules": [1]}'})]
    after = [
        _r(
            LIFECYCLE,
            "l",
            {"repository": "fileflow", "policy": '{"rules": [2]}'},
            deleteBeforeReplace=True,
        )
    ]
    (change,) = compare("main", before, after).changes
    assert (change.action, change.inputs, change.unsafe) == ("replace", ("policy",), False)
    assert "deleted first" in change.note
    # Created first, the old policy's delete (by repository) would remove the new one.
    after[0]["options"] = {}
    (change,) = compare("main", before, after).changes
    assert change.unsafe and "same repository" in change.note


def test_a_reworded_iam_policy_description_is_an_unsafe_replacement():
    """iam/policy.go: description is ForceNew; under the same name IAM refuses the second
    policy, so a description change alone must fail the plan."""
    named = {"name": "ecr-fileflow-push", "description": "Push to fileflow", "policy": "{}"}
    reworded = dict(named, description="Log in to ECR and push to fileflow")
    (change,) = compare("main", [_r(POLICY, "p", named)], [_r(POLICY, "p", reworded)]).changes
    assert (change.action, change.inputs, change.unsafe) == ("replace", ("description",), True)


def test_aliases_match_the_old_urn_and_registry_wide_deletions_are_marked():
    old = _r(TEMPLATE, "t-0", {"prefix": "a"})
    new = _r(TEMPLATE, "t-abc", {"prefix": "a"}, aliases=[old["urn"]])
    replication = _r(REPLICATION, "r", {"replicationConfiguration": {}}, retainOnDelete=True)
    changes = compare("main", [old, replication], [new]).changes
    assert [(c.action, c.type) for c in changes] == [("delete", REPLICATION)]
    assert "retained" in changes[0].note


def _repo_at(tmp_path: Path) -> Path:
    """A git repository holding this checkout's tracked files, committed."""
    repo = tmp_path / "repo"
    files = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    return repo


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


STACK = """config:
  aws:region: ap-northeast-2
  ecr:environment: dev
  ecr:services:
    fileflow: {{}}
  ecr:pullThroughCache:
    ecr-public: {{upstream: {upstream}}}
  ecr:signing: {{validityYears: {years}}}
  ecr:registryOwner: true
"""


def test_against_a_commit_shows_the_replacements_its_change_makes(tmp_path, capsys):
    repo = _repo_at(tmp_path)
    (repo / "Pulumi.dev.yaml").write_text(STACK.format(upstream="public.ecr.aws", years=5))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    # The change under review: another upstream for the prefix, another signing validity.
    (repo / "Pulumi.dev.yaml").write_text(STACK.format(upstream="registry.k8s.io", years=3))
    status = plan_tool.main(
        ["--stack", "dev", "--project-dir", str(repo), "--against", "HEAD", "--json"]
    )
    captured = capsys.readouterr()
    assert captured.out, captured.err
    document = json.loads(captured.out)
    replaced = {c["type"]: c for c in document["changes"] if c["action"] == "replace"}
    assert set(replaced) == {CACHE, PROFILE}
    assert replaced[CACHE]["inputs"] == ["upstreamRegistryUrl"]
    assert replaced[PROFILE]["inputs"] == ["name", "signatureValidityPeriod"]
    assert not any(c["unsafe"] for c in document["changes"])
    # Moving to the new profile updates the push policy and the signing configuration.
    updated = {c["type"] for c in document["changes"] if c["action"] == "update"}
    assert {"aws:iam/policy:Policy", "aws-native:ecr:SigningConfiguration"} <= updated
    assert status == 0


def test_against_a_saved_plan_an_unsafe_replacement_exits_1(tmp_path, capsys):
    """A saved plan whose repository had another key: today's plan replaces the repository
    under the same name, which ECR refuses (and would take the images with it)."""
    assert plan_tool.main(["--stack", "dev", "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    (repository,) = [r for r in saved["resources"] if r["type"] == REPOSITORY]
    repository["inputs"]["encryptionConfigurations"][0]["kmsKey"] = "arn:aws:kms:x:1:key/old"
    path = tmp_path / "main.json"
    path.write_text(json.dumps(saved))
    status = plan_tool.main(["--stack", "dev", "--against", str(path)])
    text = capsys.readouterr().out
    assert status == 1
    (line,) = [line for line in text.splitlines() if line.lstrip().startswith("+-")]
    assert "replace" in line and "encryptionConfigurations" in line and "[unsafe]" in line
    assert "same name: AWS refuses a second one" in text
    assert "1 to replace" in text


def test_against_a_saved_plan_a_retention_change_replaces_the_lifecycle_policy_first(
    tmp_path, capsys
):
    """The program registers its lifecycle policies with deleteBeforeReplace (their row), so a
    retention change is a safe replacement, not an update and not a collision."""
    assert plan_tool.main(["--stack", "dev", "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    (lifecycle,) = [r for r in saved["resources"] if r["type"] == LIFECYCLE]
    lifecycle["inputs"]["policy"] = '{"rules": []}'  # what the base branch had
    path = tmp_path / "main.json"
    path.write_text(json.dumps(saved))
    assert plan_tool.main(["--stack", "dev", "--against", str(path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    (change,) = document["changes"]
    assert (change["action"], change["type"], change["inputs"], change["unsafe"]) == (
        "replace",
        LIFECYCLE,
        ["policy"],
        False,
    )
    assert "deleted first" in change["note"]
