"""Benchmark (not a test): the live audit of 50 and 500 repositories on a local moto server.

Prints wall time and the AWS API calls made, in total and per repository by operation: apart from
pagination and the images checked, the calls per repository stay constant (one ListTagsForResource,
GetLifecyclePolicy, GetRepositoryPolicy, DescribeImages and one scan lookup per checked image),
while KMS and ECS calls are per key and per task definition, not per repository.

    .venv/bin/python bench/audit.py [COUNT ...]
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

from tests.support.aws_fixtures import kms_key, push, repository  # noqa: E402
from tests.support.moto_server import aws_environment, moto_server, reset  # noqa: E402
from tools.audit import checks, pack  # noqa: E402
from tools.aws import Calls  # noqa: E402


def main(counts: list[int]) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with moto_server() as endpoint:
        os.environ.update(aws_environment(endpoint))
        header = f"{'repos':>6} {'seconds':>8} {'calls':>6} {'per repo':>8}"
        print(f"{header}  per-repository calls by operation")
        for count in counts:
            reset(endpoint)
            key = kms_key(endpoint)
            for i in range(count):
                name = f"svc-{i:04d}"
                repository(endpoint, name, key)
                push(endpoint, name, "v1.0.0", f"{i:x}")
            options = checks.Options(
                "HIGH", pack.PackConfig.load(None), datetime.datetime.now(datetime.timezone.utc)
            )
            calls = Calls()
            started = time.perf_counter()
            report = checks.audit([os.environ["AWS_REGION"]], options, calls)
            elapsed = time.perf_counter() - started
            per_repo = {op: n / count for op, n in sorted(calls.counts.items()) if n >= count}
            shown = ", ".join(f"{op.split(':')[1]} {n:g}" for op, n in per_repo.items())
            print(
                f"{count:>6} {elapsed:>8.2f} {calls.total:>6} {calls.total / count:>8.2f}  {shown}"
            )
            assert report.repositories == count


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [50, 500])
