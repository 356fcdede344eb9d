"""Benchmark (not a test): the lifecycle evaluation behind the retention check, for 50 repositories
of 2,000 images each (with every retention rule on), and the AWS API calls of a live run on moto.

    .venv/bin/python bench/retention.py [REPOSITORIES] [IMAGES]
"""

from __future__ import annotations

import datetime
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.lifecycle import Retention  # noqa: E402
from components.settings import RepositorySettings  # noqa: E402
from tests.support.aws_fixtures import kms_key, push, repository  # noqa: E402
from tests.support.moto_server import aws_environment, moto_server  # noqa: E402
from tools.aws import Aws  # noqa: E402
from tools.retention import judge, repository_images  # noqa: E402
from tools.usage import Use, from_account  # noqa: E402

NOW = datetime.datetime(2026, 11, 26, tzinfo=datetime.timezone.utc)
RETENTION = Retention(30, 7, ("prod-*", "stable"), 14, ("sha-*", "pr-*"), 90)


def images(count: int) -> list[dict[str, object]]:
    kinds = (["v1.{}"], ["sha-{}"], ["pr-{}"], [], ["prod-{}", "v2.{}"], ["main-{}"])
    return [
        {
            "imageDigest": f"sha256:{i:064x}",
            "imageTags": [t.format(i) for t in kinds[i % len(kinds)]],
            "imagePushedAt": (NOW - datetime.timedelta(hours=i)).isoformat(),
            "lastRecordedPullTime": (NOW - datetime.timedelta(hours=2 * i)).isoformat(),
        }
        for i in range(count)
    ]


def evaluation(repositories: int, count: int) -> None:
    uses = [
        Use(f"svc-{r}", None, f"sha256:{i:064x}", None, None, "bench")
        for r in range(repositories)
        for i in range(0, count, 50)
    ]
    snapshot = images(count)
    started = time.perf_counter()
    for r in range(repositories):
        service = RepositorySettings(f"svc-{r}", "MUTABLE", True, RETENTION)
        judge(service, snapshot, uses, NOW)
    elapsed = time.perf_counter() - started
    print(
        f"evaluation: {repositories} repositories x {count} images in {elapsed:.2f} s "
        f"({elapsed / repositories * 1000:.0f} ms per repository)"
    )


def live(repositories: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with moto_server() as endpoint:
        os.environ.update(aws_environment(endpoint))
        key = kms_key(endpoint)
        for r in range(repositories):
            repository(endpoint, f"svc-{r}", key)
            push(endpoint, f"svc-{r}", "v1", f"{r:x}", scan=False)
        aws = Aws(os.environ["AWS_REGION"])
        uses = from_account(aws)
        account_calls = aws.calls.total
        ecr = aws.client("ecr")
        for r in range(repositories):  # what the retention check reads per service
            repository_images(ecr, f"svc-{r}")
        per_repository = (aws.calls.total - account_calls) / repositories
        print(
            f"live on moto: {account_calls} account-wide calls (ECS, Lambda), "
            f"{per_repository:g} DescribeImages call(s) per repository; {len(uses)} images in use"
        )


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:]]
    evaluation(*(arguments or [50, 2000]))
    live(20)
