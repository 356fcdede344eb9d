"""What every command shares: the exit-code contract, one top-level handler, output and arguments.

- Errors: a usage or AWS problem is a ToolError; `run` is every tool's one top-level handler: any
  failure becomes one line on stderr and exit 2 (never a traceback), a closed stdout (`| head -1`)
  ends quietly, and an unwritable job summary is a warning.
- Output: the result on stdout (`emit`), progress on stderr, Markdown to the GitHub job summary;
  tables for people (plain text and Markdown).
- Arguments: the severity threshold (`--fail-on`) and positive durations, as every tool takes them.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

EXIT_OK, EXIT_FOUND, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130
"""SIGINT or SIGTERM: the shell's 128 + SIGINT."""
STOP = threading.Event()
"""Set by SIGINT/SIGTERM: every AWS client refuses further calls (tools/aws.py), so pending work
in thread pools ends at its next call instead of running on."""
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
"""The scan severities a threshold can name, worst first."""


class ToolError(Exception):
    """A usage or AWS problem: exit 2 (or `exit`) with this one-line message."""

    def __init__(self, message: str, exit: int | None = None) -> None:
        super().__init__(message)
        self.exit = exit


def error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def one_line(text: object) -> str:
    return " ".join(str(text).split())


def positive_seconds(text: str) -> float:
    """argparse type: a finite number > 0 (rejects nan, inf, 0, negatives)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of seconds > 0")
    return value


def add_fail_on(parser: argparse.ArgumentParser, default: str, meaning: str) -> None:
    """`--fail-on`: a severity threshold, case-insensitive, its default shown in --help."""
    parser.add_argument(
        "--fail-on",
        type=str.upper,
        choices=SEVERITIES,
        default=default,
        metavar="SEVERITY",
        help=f"{meaning}: one of {', '.join(SEVERITIES)}, any case (default {default})",
    )


def at_or_above(threshold: str) -> tuple[str, ...]:
    """The severities that count at `threshold`: it and everything worse."""
    return SEVERITIES[: SEVERITIES.index(threshold) + 1]


def progress(message: str) -> None:
    # Progress is a courtesy: a closed stderr must not stop the work.
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)


def emit(text: str) -> None:
    """Prints the tool's result on stdout; a reader that went away (`| head -1`) is not an error:
    the rest of the output is dropped and the tool still ends with its verdict's exit code."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    # Python's advice for SIGPIPE: point stdout at devnull so the flush at exit cannot fail again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def write_step_summary(markdown: str) -> None:
    """Appends to the GitHub job summary when running in Actions; a summary that cannot be written
    is a warning, never a reason to lose the verdict."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown.rstrip("\n") + "\n")
    except OSError as error:
        progress(f"warning: GITHUB_STEP_SUMMARY {path}: {error.strerror or error}: not written")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table for people."""
    cells = [[one_line(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return one_line(value).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """Raised in place of an AWS call once the run was interrupted."""


_signalled: list[int] = []


GRACE_SECONDS = 1.5
"""After a signal, how long the run may take to unwind (say what it changed) before it ends."""


def _interrupt(signum: int, _: object) -> None:
    STOP.set()
    if not _signalled:
        # A thread pool joins its running workers on the way out; one blocked in a network read
        # would hold the exit for its timeout. The watchdog ends the process after the grace.
        watchdog = threading.Timer(GRACE_SECONDS, _hard_exit)
        watchdog.daemon = True
        watchdog.start()
    _signalled.append(signum)
    raise KeyboardInterrupt


def _hard_exit() -> None:
    with contextlib.suppress(OSError, ValueError):
        print("interrupted: stopped; no further AWS calls were made", file=sys.stderr, flush=True)
    os._exit(EXIT_INTERRUPTED)


def _install_interrupts() -> None:
    """SIGINT and SIGTERM stop the run (only the main thread may install handlers)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)


def _end_interrupted(tool: str, message: str) -> int:
    """Exit 130 now: worker threads blocked in a network read would otherwise hold the
    interpreter's exit for their timeout (the thread pools join them at exit)."""
    with contextlib.suppress(OSError, ValueError):
        print(f"{tool}: {one_line(message)}", file=sys.stderr, flush=True)
        sys.stdout.flush()
    if _signalled:  # a real signal, to this process: leave at once
        os._exit(EXIT_INTERRUPTED)
    return EXIT_INTERRUPTED


def run(tool: str, body: Callable[[], int]) -> int:
    """Every tool's top-level handler: runs its body and maps every failure to one line on stderr
    and exit 2 (a ToolError may name another documented code: quarantine's "changed, then
    failed"). A closed stdout ends quietly."""
    from botocore.exceptions import BotoCoreError, ClientError

    code = EXIT_ERROR
    _install_interrupts()
    try:
        return body()
    except ToolError as error:
        message, code = str(error), EXIT_ERROR if error.exit is None else error.exit
        if code == EXIT_INTERRUPTED:
            return _end_interrupted(tool, message)
    except ClientError as error:
        message = f"AWS error {error_code(error)}: {error}"
    except BotoCoreError as error:
        message = f"AWS error: {error}"
    except BrokenPipeError:
        _drop_stdout()
        return code
    except KeyboardInterrupt:
        STOP.set()
        return _end_interrupted(
            tool, "interrupted: stopped; no further AWS calls were made (what completed is above)"
        )
    except RecursionError:
        message = "input nested too deeply"
    except Exception as error:  # the promise is one line, never a traceback
        message = f"unexpected error ({type(error).__name__}): {error}"
    with contextlib.suppress(OSError, ValueError):
        print(f"{tool}: {one_line(message)}", file=sys.stderr, flush=True)
    return code
