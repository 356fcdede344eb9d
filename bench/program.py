"""Benchmark (not a test): the program under mocks for 1, 10, 100 and 500 services.

Prints wall time, resources registered and invokes made per run. Resources should grow by a
constant per service and invokes stay constant per stack.

    .venv/bin/python bench/program.py [COUNT ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.preview.mock_engine import run_program


def main(counts: list[int]) -> None:
    print(f"{'services':>8} {'seconds':>8} {'resources':>9} {'per svc':>7} {'invokes':>7}")
    for count in counts:
        services = {f"svc-{i:04d}": {} for i in range(count)}
        started = time.perf_counter()
        run = run_program("dev", {"ecr:services": services})
        elapsed = time.perf_counter() - started
        resources, invokes = len(run.resources), len(run.invokes)
        print(f"{count:>8} {elapsed:>8.2f} {resources:>9} {resources / count:>7.1f} {invokes:>7}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 100, 500])
