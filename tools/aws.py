"""The AWS calls of every tool in one place: boto3 clients behind a small object tests aim at moto.

- Region: `--region`, else AWS_REGION, else AWS_DEFAULT_REGION (boto3 itself reads only the last;
  GitHub's AWS action sets both, other runners often only AWS_REGION).
- Endpoints: AWS_ENDPOINT_URL (and per service) are checked before the first call.
- Every client counts its API calls by operation (`Calls`), so benchmarks and tests can check that
  the calls per repository stay constant apart from pagination.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlsplit

from tools.cli import STOP, Interrupted, ToolError

if TYPE_CHECKING:  # the stubs are a dev dependency: types only, never imported at run time
    from botocore.client import BaseClient
    from botocore.model import OperationModel
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_ecr.type_defs import DescribeImagesFilterTypeDef, ImageDetailTypeDef
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sts import STSClient

REGION_NAME = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]")


class Calls:
    """API calls made, by `service:Operation` (thread-safe)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def record(self, model: OperationModel, **_: object) -> None:
        with self._lock:
            self.counts[f"{model.service_model.service_name}:{model.name}"] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def check_endpoints(environ: Mapping[str, str] = os.environ) -> None:
    """AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) must be http(s) URLs with a valid port:
    botocore would otherwise fail deep inside the first call."""
    for name, value in sorted(environ.items()):
        if name != "AWS_ENDPOINT_URL" and not name.startswith("AWS_ENDPOINT_URL_"):
            continue
        problem = ""
        try:
            url = urlsplit(value)
            url.port  # noqa: B018 - raises ValueError for a port outside 0-65535
        except ValueError as error:
            problem = str(error)
        else:
            if url.scheme not in ("http", "https") or not url.hostname:
                problem = "expected http(s)://host[:port]"
        if problem:
            raise ToolError(f"{name}={value!r} is not a usable endpoint URL: {problem}")


def _refuse_when_stopped(**_: object) -> None:
    """No AWS call after an interrupt: a thread pool's pending work ends at its next call."""
    if STOP.is_set():
        raise Interrupted("interrupted")


class Aws:
    """boto3 clients for one region, made once and shared by threads (clients are thread-safe).
    `session`: a boto3 session of that region with other credentials (an assumed role); `adaptive`:
    client-side rate limiting on throttling, for runs that call many accounts at once."""

    def __init__(
        self,
        region: str,
        calls: Calls | None = None,
        session: Any = None,  # a boto3 Session: boto3 itself is untyped (no boto3-stubs)
        adaptive: bool = False,
    ) -> None:
        import boto3
        from botocore.config import Config

        check_endpoints()
        self.region = region
        self.calls = calls or Calls()
        self._session = session or boto3.session.Session(region_name=region)
        # Standard retries back off on throttling, which a 1,000-repository audit will meet;
        # AWS_MAX_ATTEMPTS still wins, as it does for the AWS CLI.
        text = os.environ.get("AWS_MAX_ATTEMPTS", "8") or "8"
        if not text.isdigit() or not 1 <= int(text) <= 100:
            raise ToolError(f"AWS_MAX_ATTEMPTS={text!r}: expected a whole number from 1 to 100")
        attempts = int(text)
        self._config = Config(
            retries={"max_attempts": attempts, "mode": "adaptive" if adaptive else "standard"},
            max_pool_connections=32,
        )
        self._clients: dict[str, BaseClient] = {}
        self._lock = threading.Lock()

    # One overload per service the tools call, so every client is typed by its mypy-boto3 stubs
    # (tests/project/test_dependencies.py holds this list to the stubs the dev group declares).
    @overload
    def client(self, service: Literal["ec2"]) -> EC2Client: ...
    @overload
    def client(self, service: Literal["ecr"]) -> ECRClient: ...
    @overload
    def client(self, service: Literal["ecs"]) -> ECSClient: ...
    @overload
    def client(self, service: Literal["kms"]) -> KMSClient: ...
    @overload
    def client(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["organizations"]) -> OrganizationsClient: ...
    @overload
    def client(self, service: Literal["securityhub"]) -> SecurityHubClient: ...
    @overload
    def client(self, service: Literal["sns"]) -> SNSClient: ...
    @overload
    def client(self, service: Literal["sts"]) -> STSClient: ...
    def client(self, service: str) -> BaseClient:
        with self._lock:
            if service not in self._clients:
                try:
                    client = self._session.client(service, config=self._config)
                except ValueError as error:  # botocore's "Invalid endpoint: ..."
                    raise ToolError(f"cannot create the {service} client: {error}") from None
                client.meta.events.register("before-call", _refuse_when_stopped)
                client.meta.events.register("before-call", self.calls.record)
                self._clients[service] = client
            return self._clients[service]


def regions(given: Sequence[str] | None) -> list[str]:
    """The regions to work in: `--region` values, else the environment's; ToolError if none."""
    found = (
        list(given or [])
        or [r for r in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) if r][
            :1
        ]
    )
    if not found:
        raise ToolError("no region: pass --region or set AWS_REGION")
    for region in found:
        if not REGION_NAME.fullmatch(region):
            raise ToolError(f"--region {region!r} is not an AWS region name such as ap-northeast-2")
    return list(dict.fromkeys(found))


IMAGE_STATUS_ANY: DescribeImagesFilterTypeDef = {"imageStatus": "ANY"}
"""DescribeImages' filter for every image ECR stores: without it, only ACTIVE images are returned
(botocore's DescribeImagesFilter), and an ARCHIVED or ACTIVATING image would be invisible."""


def all_images(ecr: ECRClient, repository: str) -> list[ImageDetailTypeDef]:
    """Every image of a repository, ACTIVE, ARCHIVED and ACTIVATING (DescribeImages, paginated)."""
    pages = ecr.get_paginator("describe_images").paginate(
        repositoryName=repository, filter=IMAGE_STATUS_ANY
    )
    return [image for page in pages for image in page.get("imageDetails", [])]


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.aws"))
