"""Benchmark (not a test): the policy pack's start-up time and Analyze throughput.

Starts the pack as the CLI does (`python __main__.py` in policy/), then sends Analyze for N
repositories (default 1,000) and one AnalyzeStack with all of them, and prints the figures.

    .venv/bin/python bench/policy_pack.py [N]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.fakes import compliant_repository
from tools.preview.pack_runner import RunningPack


def main(count: int) -> None:
    started = time.perf_counter()
    pack = RunningPack()
    pack.info()
    startup = time.perf_counter() - started
    try:
        resources = [compliant_repository(f"svc-{i:05d}") for i in range(count)]
        started = time.perf_counter()
        diagnostics = sum(len(pack.analyze(r)) for r in resources)
        analyze = time.perf_counter() - started
        started = time.perf_counter()
        stack = pack.analyze_stack(resources)
        analyze_stack = time.perf_counter() - started
    finally:
        pack.close()
    print(f"pack start-up (process + first GetAnalyzerInfo): {startup * 1000:8.1f} ms")
    print(f"Analyze x {count}: {analyze:8.2f} s  ({count / analyze:8.0f} resources/s)")
    print(f"AnalyzeStack with {count} resources: {analyze_stack * 1000:8.1f} ms")
    print(
        f"diagnostics: {diagnostics} per-resource, {len(stack)} stack "
        f"({Counter(d.policy for d in stack)})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
