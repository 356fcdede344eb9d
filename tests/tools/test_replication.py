"""The replication health tool (tools/replication.py).

The registry, its replication rules, repositories and images are moto's (on loopback). moto has no
DescribeImageReplicationStatus, StartReplicationBackfill, DescribeReplicationBackfillResults or
ListReplicationBackfills (moto/ecr/responses.py, as locked): those calls go to a botocore client
whose answers these tests give through botocore's Stubber, which checks every request and answer
against the ECR model, so the tool's calls are the ones AWS takes.
"""

from __future__ import annotations

import datetime
import json
import threading
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.support.aws_fixtures import ACCOUNT, client, push
from tests.support.moto_server import REGION
from tools import replication
from tools.replication import Destination, backfill, check

OTHER = "210987654321"
WEST = {"region": "us-west-2", "registryId": ACCOUNT}
PROD = {"region": REGION, "registryId": OTHER}
BACKFILL_ID = "0a1b2c3d-0000-4000-8000-00000000000a"
STUBBED = (
    "describe_image_replication_status",
    "start_replication_backfill",
    "describe_replication_backfill_results",
    "list_replication_backfills",
    "get_paginator",
)


class Split:
    """moto for everything it has; the stubbed client for the replication-status and backfill
    calls moto lacks (and their paginators)."""

    def __init__(self, moto: Any, stubbed: Any, paginated: tuple[str, ...] = ()) -> None:
        self.moto, self.stubbed, self.paginated = moto, stubbed, paginated

    def get_paginator(self, operation: str) -> Any:
        target = self.stubbed if operation in self.paginated else self.moto
        return target.get_paginator(operation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stubbed if name in STUBBED else self.moto, name)


def _stubbed() -> tuple[Any, Stubber]:
    ecr = boto3.client(
        "ecr",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers
    )
    return ecr, Stubber(ecr)


@pytest.fixture
def registry(aws):
    """fileflow (2 images) and billing (1) replicated to us-west-2 in this account and to the
    prod account in this region; other/x is not matched by the rule."""
    endpoint, _ = aws
    ecr = client(endpoint, "ecr")
    for name in ("fileflow", "billing", "other/x"):
        ecr.create_repository(repositoryName=name)
    digests = {
        "fileflow": [push(endpoint, "fileflow", "v1", "a", False), push(endpoint, "fileflow", None, "b", False)],
        "billing": [push(endpoint, "billing", "v2", "c", False)],
    }  # fmt: skip
    push(endpoint, "other/x", "v1", "d", False)
    ecr.put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {
                    "destinations": [WEST, PROD],
                    "repositoryFilters": [
                        {"filter": "fileflow", "filterType": "PREFIX_MATCH"},
                        {"filter": "billing", "filterType": "PREFIX_MATCH"},
                    ],
                }
            ]
        }
    )
    return ecr, digests


def _status(stub: Stubber, repository: str, digest: str, statuses: list[dict[str, Any]]) -> None:
    stub.add_response(
        "describe_image_replication_status",
        {"repositoryName": repository, "imageId": {"imageDigest": digest},
         "replicationStatuses": statuses},
        {"repositoryName": repository, "imageId": {"imageDigest": digest}},
    )  # fmt: skip


def test_lists_per_destination_the_images_not_replicated(registry):
    moto, digests = registry
    stubbed, stub = _stubbed()
    # Images in repository order (billing, fileflow), each asked once.
    (billing,) = digests["billing"]
    _status(
        stub, "billing", billing, [{**WEST, "status": "COMPLETE"}, {**PROD, "status": "COMPLETE"}]
    )
    fileflow = _fileflow_order(moto, digests)
    _status(
        stub,
        "fileflow",
        fileflow[0],
        [{**WEST, "status": "COMPLETE"}, {**PROD, "status": "FAILED", "failureCode": "KMS_ERROR"}],
    )
    _status(stub, "fileflow", fileflow[1], [{**WEST, "status": "IN_PROGRESS"}])  # fmt: skip
    with stub:
        report = check(Split(moto, stubbed), REGION, concurrency=1)
        stub.assert_no_pending_responses()
    west, prod = report.destinations
    assert (west.destination, west.repositories, west.images) == (Destination(**_d(WEST)), 2, 3)
    assert [(p.digest, p.status) for p in west.pending] == [(fileflow[1], "IN_PROGRESS")]
    assert [(p.repository, p.digest, p.status, p.failure_code) for p in prod.pending] == [
        ("fileflow", fileflow[0], "FAILED", "KMS_ERROR"),
        ("fileflow", fileflow[1], "NONE", None),
    ]
    assert report.failed
    shape = json.loads(report.as_json())
    assert shape["destinations"][1]["notReplicated"][1] == {
        "repository": "fileflow", "imageDigest": fileflow[1], "imageTags": [],
        "imageStatus": "ACTIVE", "status": "NONE", "failureCode": None,
    }  # fmt: skip
    assert shape["destinations"][0]["replicated"] == 2
    assert "not replicated to ap-northeast-2:210987654321:" in report.as_table()


def _d(api: dict[str, str]) -> dict[str, str]:
    return {"region": api["region"], "registry_id": api["registryId"]}


def _fileflow_order(moto: Any, digests: dict[str, list[str]]) -> list[str]:
    """fileflow's digests in the order DescribeImages lists them (the order the tool asks)."""
    listed = [
        i["imageDigest"] for i in moto.describe_images(repositoryName="fileflow")["imageDetails"]
    ]
    assert sorted(listed) == sorted(digests["fileflow"])
    return listed


def test_everything_replicated_passes_and_an_unreadable_image_is_a_finding(registry):
    moto, digests = registry
    stubbed, stub = _stubbed()
    complete = [{**WEST, "status": "COMPLETE"}, {**PROD, "status": "COMPLETE"}]
    _status(stub, "billing", digests["billing"][0], complete)
    fileflow = _fileflow_order(moto, digests)
    _status(stub, "fileflow", fileflow[0], complete)
    stub.add_client_error(
        "describe_image_replication_status",
        "ImageNotFoundException",
        "image deleted",
        expected_params={"repositoryName": "fileflow", "imageId": {"imageDigest": fileflow[1]}},
    )
    with stub:
        report = check(Split(moto, stubbed), REGION, concurrency=1)
    assert all(not h.pending for h in report.destinations)
    assert report.unreadable == [
        {"repository": "fileflow", "imageDigest": fileflow[1],
         "error": report.unreadable[0]["error"]}
    ]  # fmt: skip
    assert "ImageNotFoundException" in report.unreadable[0]["error"]
    # Not counted as replicated either: 3 images, 2 known to be there.
    assert [(h.images, h.replicated) for h in report.destinations] == [(3, 2), (3, 2)]
    assert report.failed  # an image not looked at is no proof


def test_only_the_destination_and_repository_asked_and_unknown_ones_are_usage_errors(registry):
    moto, digests = registry
    stubbed, stub = _stubbed()
    _status(stub, "billing", digests["billing"][0], [{**PROD, "status": "COMPLETE"}])
    with stub:
        report = check(Split(moto, stubbed), REGION, ["billing"], [Destination(REGION, OTHER)], 1)
    assert [(h.destination.registry_id, h.images, h.pending) for h in report.destinations] == [
        (OTHER, 1, [])
    ]
    assert not report.failed
    with pytest.raises(replication.ToolError, match="not a destination of the registry's"):
        check(moto, REGION, destinations=[Destination("eu-west-1", OTHER)])
    with pytest.raises(replication.ToolError, match="--repository nope: not found"):
        check(moto, REGION, ["nope"])


def test_no_replication_configured_is_exit_2_with_one_line(env, capsys):
    client(env, "ecr").create_repository(repositoryName="fileflow")
    assert replication.main([]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"replication: registry {ACCOUNT} ({REGION}) has no replication destinations"]


def test_statuses_are_read_at_most_concurrency_at_once(registry):
    moto, _ = registry
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    class Counting:
        def describe_image_replication_status(self, **kwargs: Any) -> dict[str, Any]:
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            threading.Event().wait(0.05)
            with lock:
                state["now"] -= 1
            return {"replicationStatuses": []}

    report = check(Split(moto, Counting()), REGION, concurrency=2)
    assert state["most"] == 2
    assert sum(len(h.pending) for h in report.destinations) == 6  # 3 images x 2 destinations


def _progress(total: int, done: int, failed: int = 0) -> dict[str, Any]:
    return {"totalReplicationCount": total, "completedReplicationCount": done,
            "failedReplicationCount": failed, "failureCodes": ["KMS_ERROR"] if failed else []}  # fmt: skip


STARTED = datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC)


def test_backfill_starts_follows_until_done_and_names_what_failed():
    stubbed, stub = _stubbed()
    destination = Destination(REGION, OTHER)
    stub.add_response(
        "start_replication_backfill",
        {"replicationBackfillId": BACKFILL_ID, "status": "PREPARING", "startedAt": STARTED},
        {"destination": PROD},
    )
    ask = {"replicationBackfillId": BACKFILL_ID}
    stub.add_response("describe_replication_backfill_results", {"status": "PREPARING"}, ask)
    stub.add_response(
        "describe_replication_backfill_results",
        {"status": "IN_PROGRESS", "progress": _progress(3, 1)},
        ask,
    )
    stub.add_response(
        "describe_replication_backfill_results",
        {"status": "COMPLETE", "progress": _progress(3, 2, 1)},
        ask,
    )
    stub.add_response(
        "describe_replication_backfill_results",
        {"status": "COMPLETE", "results": [
            {"repositoryName": "fileflow", "imageId": {"imageDigest": "sha256:" + "a" * 64},
             "status": "FAILED", "failureCode": "KMS_ERROR"}]},
        ask | {"resultStatusFilter": "FAILED"},
    )  # fmt: skip
    said: list[str] = []
    with stub:
        result = backfill(
            Split(None, stubbed, ("describe_replication_backfill_results",)),
            destination, 60, 1, said.append, sleep=lambda _: None,
        )  # fmt: skip
        stub.assert_no_pending_responses()
    assert (result.id, result.status, result.started) == (BACKFILL_ID, "COMPLETE", True)
    assert result.failed[0]["failureCode"] == "KMS_ERROR" and not result.ok
    assert any("IN_PROGRESS, 1 copied" in line for line in said)


def test_a_backfill_already_running_is_followed_and_a_timeout_leaves_it_running():
    stubbed, stub = _stubbed()
    stub.add_client_error(
        "start_replication_backfill",
        "ReplicationBackfillInProgressException",
        expected_params={"destination": PROD},
    )
    stub.add_response(
        "list_replication_backfills",
        {"backfills": [
            {"replicationBackfillId": "0a1b2c3d-0000-4000-8000-00000000000b",
             "destination": WEST, "status": "IN_PROGRESS", "startedAt": STARTED},
            {"replicationBackfillId": BACKFILL_ID, "destination": PROD,
             "status": "IN_PROGRESS", "startedAt": STARTED}]},
        {},
    )  # fmt: skip
    stub.add_response(
        "describe_replication_backfill_results",
        {"status": "IN_PROGRESS", "progress": _progress(9, 4)},
        {"replicationBackfillId": BACKFILL_ID},
    )
    clock = iter([0.0, 100.0])
    with stub:
        result = backfill(
            Split(None, stubbed, ("list_replication_backfills",)),
            Destination(REGION, OTHER), 60, 5, clock=lambda: next(clock),
            sleep=lambda _: None,
        )  # fmt: skip
    assert (result.id, result.status, result.started, result.ok) == (
        BACKFILL_ID, "IN_PROGRESS", False, False
    )  # fmt: skip


def test_main_backfills_only_destinations_missing_images_and_exits_0_when_copied(
    env, monkeypatch, capsys, tmp_path
):
    ecr = client(env, "ecr")
    ecr.create_repository(repositoryName="fileflow")
    digest = push(env, "fileflow", "v1", "a", False)
    ecr.put_replication_configuration(
        replicationConfiguration={"rules": [{"destinations": [WEST, PROD]}]}
    )
    stubbed, stub = _stubbed()
    _status(stub, "fileflow", digest, [{**WEST, "status": "COMPLETE"}])
    stub.add_response(
        "start_replication_backfill", {"replicationBackfillId": BACKFILL_ID}, {"destination": PROD}
    )
    ask = {"replicationBackfillId": BACKFILL_ID}
    stub.add_response(
        "describe_replication_backfill_results", {"status": "COMPLETE", "progress": _progress(1, 1)}, ask
    )  # fmt: skip
    stub.add_response(
        "describe_replication_backfill_results", {"results": []}, ask | {"resultStatusFilter": "FAILED"}
    )  # fmt: skip

    class Clients:
        def __init__(self, region: str) -> None:
            assert region == REGION

        def client(self, service: str) -> Any:
            return Split(ecr, stubbed, ("describe_replication_backfill_results",))

    monkeypatch.setattr(replication, "Aws", Clients)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    with stub:
        code = replication.main(["--backfill", "--json", "--concurrency", "1"])
        stub.assert_no_pending_responses()
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    west, prod = out["destinations"]
    assert west["backfill"] is None and prod["backfill"]["status"] == "COMPLETE"
    assert prod["notReplicated"][0]["imageDigest"] == digest
    assert "## ECR replication" in summary.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--destination", "us-west-2"], "is not REGION:ACCOUNT"),
        (["--concurrency", "0"], "is not a whole number from 1 to 32"),
        (["--repository", "Bad Name"], "is not an ECR repository name"),
        (["--timeout", "nan"], "must be a finite number"),
    ],
)
def test_usage_errors_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        replication.main(args)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        replication.main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 every image is replicated" in out, out
    assert "2 usage or AWS error" in out and "130 interrupted" in out
