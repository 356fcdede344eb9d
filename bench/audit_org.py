"""Benchmark (not a test): the organisation-wide audit and its Security Hub export on moto.

An organisation of ACCOUNTS member accounts (made through Organizations), each with REPOSITORIES
hand-made repositories in each of REGIONS regions, is audited with 1, 4 and 16 workers; each run
then exports to every account's Security Hub (the first run imports, later ones query and update).
A warm-up run comes first, unmeasured.
Printed per run: wall time, API calls in total, AssumeRole calls (one per account), the calls per
repository by operation (constant: they do not grow with the number of accounts or workers) and
the Security Hub calls.

moto answers in about a millisecond, where AWS takes tens: `--latency MS` (default 20) delays each
call on the client side, as the network would, so the table shows what concurrency buys. moto runs
in its own process so the audit and the emulator do not share one interpreter lock.

    .venv/bin/python bench/audit_org.py [--accounts 50 --regions 2 --repositories 40] [--latency MS]
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.moto_server import aws_environment, free_port  # noqa: E402
from tests.support.org_fixtures import member_repository, organization  # noqa: E402
from tools.audit import checks, pack, targets  # noqa: E402
from tools.audit import org as audit_org  # noqa: E402
from tools.aws import Calls  # noqa: E402

REGIONS = ["ap-northeast-2", "us-east-1", "eu-west-1", "us-west-2"]
PER_REPOSITORY = (
    "ListTagsForResource",
    "GetLifecyclePolicy",
    "GetRepositoryPolicy",
    "DescribeImages",
)


def moto_process() -> tuple[subprocess.Popen[bytes], str]:
    """moto's server in a child process on a free loopback port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
        except OSError:
            time.sleep(0.05)
    urllib.request.urlopen(f"{endpoint}/moto-api/").read()
    return server, endpoint


def with_latency(milliseconds: float) -> None:
    """Every API call waits as long as a network round trip to AWS would."""
    from botocore.endpoint import Endpoint

    send = Endpoint._send

    def delayed(self, request):  # type: ignore[no-untyped-def]
        time.sleep(milliseconds / 1000)
        return send(self, request)

    Endpoint._send = delayed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10, help="member accounts (10)")
    parser.add_argument("--regions", type=int, default=2, choices=range(1, 5), help="regions (2)")
    parser.add_argument("--repositories", type=int, default=10, help="per account-region (10)")
    parser.add_argument("--latency", type=float, default=20, help="ms added to each call (20)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    regions = REGIONS[: args.regions]
    server, endpoint = moto_process()
    try:
        os.environ.update(aws_environment(endpoint))
        started = time.perf_counter()
        names = [f"team-{i:03d}" for i in range(args.accounts)]
        accounts = organization(endpoint, names)
        del accounts["management"]  # audit the members only: N accounts, N AssumeRoles

        def fill(account: str) -> None:
            for region in regions:
                for i in range(args.repositories):
                    member_repository(endpoint, account, region, f"svc-{i:03d}", i % 2 == 0)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fill, accounts.values()))
        repositories = len(accounts) * len(regions) * args.repositories
        print(
            f"{len(accounts)} accounts x {len(regions)} regions x {args.repositories} repositories"
            f" = {repositories} (set up in {time.perf_counter() - started:.0f} s); "
            f"{args.latency:g} ms latency per call"
        )
        with_latency(args.latency)
        options = checks.Options(
            "HIGH", pack.PackConfig.load(None), datetime.datetime.now(datetime.timezone.utc)
        )
        # Warm-up, not measured: moto creates each account's backends on first use and botocore
        # parses its service models once per process.
        warm = targets.Plan([targets.Account(id=a) for a in accounts.values()], "EcrAudit",
                            regions, regions[0], max_workers=16)  # fmt: skip
        audit_org.audit_plan(warm, options)
        print(
            f"{'workers':>7} {'audit s':>8} {'export s':>8} {'calls':>6} {'AssumeRole':>10} "
            f"{'per repo':>8} {'SecurityHub':>11}  per-repository calls by operation"
        )
        for workers in args.workers:
            plan = targets.Plan(
                [targets.Account(id=a) for a in accounts.values()],
                "EcrAudit",
                regions,
                regions[0],
                max_workers=workers,
            )
            hub = audit_org.Hub(None, regions[0], "EcrAudit", None, None, workers)
            calls = Calls()
            began = time.perf_counter()
            report, outcome = audit_org.audit_plan(plan, options, calls)
            audited = time.perf_counter()
            audit_org.export(hub, report, outcome)
            exported = time.perf_counter()
            assert report.repositories == repositories and not outcome.failures
            counts = {op.split(":")[1]: n for op, n in calls.counts.items()}
            per_repo = {op: counts.get(op, 0) / repositories for op in PER_REPOSITORY}
            hub_calls = sum(n for op, n in calls.counts.items() if op.startswith("securityhub:"))
            audit_calls = calls.total - hub_calls
            shown = ", ".join(f"{op} {n:g}" for op, n in per_repo.items())
            print(
                f"{workers:>7} {audited - began:>8.1f} {exported - audited:>8.1f} "
                f"{audit_calls:>6} {counts.get('AssumeRole', 0):>10} "
                f"{audit_calls / repositories:>8.2f} {hub_calls:>11}  {shown}"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
