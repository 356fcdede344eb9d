"""Benchmark (not a test): the offline plan (python -m tools.plan) of a stack with 1, 10 and 100
services, end to end: the program under mocks, the pack started and asked, the text rendered.

Prints wall time, resources planned and diagnostics per run.

    .venv/bin/python bench/plan.py [COUNT ...]
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from tools.preview import plan

ROOT = Path(__file__).resolve().parent.parent


def main(counts: list[int]) -> None:
    print(f"{'services':>8} {'seconds':>8} {'to create':>9} {'diagnostics':>11}")
    with tempfile.TemporaryDirectory() as directory:
        shutil.copy(ROOT / "Pulumi.yaml", Path(directory) / "Pulumi.yaml")
        for count in counts:
            config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
            config["config"]["ecr:services"] = {f"svc-{i:04d}": {} for i in range(count)}
            (Path(directory) / "Pulumi.bench.yaml").write_text(yaml.safe_dump(config))
            out, err = io.StringIO(), io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = plan.main(["--stack", "bench", "--project-dir", directory, "--json"])
            elapsed = time.perf_counter() - started
            if code == 2:
                sys.exit(f"plan failed: {err.getvalue().strip()}")
            report = json.loads(out.getvalue())
            created, found = report["summary"]["create"], len(report["diagnostics"])
            print(f"{count:>8} {elapsed:>8.2f} {created:>9} {found:>11}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 100])
