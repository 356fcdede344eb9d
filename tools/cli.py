"""What every command shares: the exit-code contract, one top-level handler, output and arguments.

- Errors: a usage or AWS problem is a ToolError; `run` is every tool's one top-level handler: any
  failure becomes one line on stderr and exit 2 (never a traceback), a closed stdout (`| head -1`)
  ends quietly, and an unwritable job summary is a warning.
- Interrupts: SIGINT or SIGTERM stops every AWS call (`STOP`), and the run ends with exit 130 after
  telling what it completed (`COMPLETED`: partial results on stdout, one summary line on stderr);
  a change under way (`uninterrupted`) gets its answer first, so the summary can say what changed.
- Output: the result on stdout (`emit`), progress on stderr, Markdown to the GitHub job summary;
  tables for people (plain text and Markdown).
- Arguments: the severity threshold (`--fail-on`) and positive durations, as every tool takes them;
  `parse` refuses an empty or blank value for any flag, in one line naming it.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

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
    the rest of the output is dropped and the tool still ends with its verdict's exit code. A
    signal during it waits for the whole result to be out (never half of a JSON document); then
    there is nothing partial left to show."""
    _deferred.depth = getattr(_deferred, "depth", 0) + 1
    try:
        _write(text)
        COMPLETED.results = None
    finally:
        _deferred.depth -= 1
    if STOP.is_set() and threading.current_thread() is threading.main_thread():
        raise KeyboardInterrupt


def _write(text: str) -> None:
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


class Completed:
    """What the run has completed, told when it is interrupted: a one-line summary on stderr (the
    units of work done of how many, what was sent, what was changed) and the partial results the
    tool has on stdout. Tools record as they go; `run` and the watchdog tell it once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """A new run: nothing completed yet."""
        self.kind, self.total = "", 0
        self.units: list[str] = []
        self._followed: tuple[list[Any], Callable[[Any], str]] | None = None
        self.tallies: dict[str, int] = {}
        self.changes: list[str] | None = None
        """None: the tool changes nothing; else what it changed, in order."""
        self.in_progress: str | None = None
        """A change under way (its call sent, its answer not yet read)."""
        self.results: Callable[[], str] | None = None
        self._told = threading.Event()
        self._telling = threading.Lock()

    def expect(self, total: int, kind: str) -> None:
        """The run has `total` units of `kind` (regions, services, account-regions) to do."""
        with self._lock:
            self.total, self.kind = total, kind

    def follow(self, items: list[Any], total: int, kind: str, label: Callable[[Any], str]) -> None:
        """The units completed are `items` as the tool appends to it (each named by `label`)."""
        with self._lock:
            self.total, self.kind = total, kind
            self._followed = (items, label)

    def unit(self, label: str) -> None:
        """One unit of work is complete (its results are in the partial results)."""
        with self._lock:
            self.units.append(label)

    def tally(self, what: str, count: int) -> None:
        """`count` more of `what` were sent (e.g. findings imported into Security Hub)."""
        with self._lock:
            self.tallies[what] = self.tallies.get(what, 0) + count

    def may_change(self) -> None:
        """This run changes things: the summary says what it changed, or that it changed
        nothing."""
        with self._lock:
            if self.changes is None:
                self.changes = []

    def change(self, what: str) -> None:
        with self._lock:
            self.changes = [*(self.changes or []), what]

    def show(self, results: Callable[[], str]) -> None:
        """How to render the partial results (only what is complete)."""
        self.results = results

    def summary(self) -> str:
        with self._lock:
            parts = []
            if self._followed is not None:
                items, label = self._followed
                self.units = [label(item) for item in list(items)]
            shown = ", ".join(self.units[:5]) + (" ..." if len(self.units) > 5 else "")
            if self.kind:
                done = f"completed {len(self.units)} of {self.total} {self.kind}"
                parts.append(done + (f" ({shown})" if shown else ""))
            elif shown:
                parts.append(f"completed: {shown}")
            parts += [f"{count} {what}" for what, count in self.tallies.items()]
            if self.changes is not None:
                parts.append("changed: " + ("; ".join(self.changes) or "nothing"))
            if self.in_progress is not None:
                parts.append(f"under way when stopped (outcome unknown): {self.in_progress}")
            return "; ".join(parts) or "nothing completed"

    def tell(self, tool: str, head: str) -> None:
        """Prints the partial results, then the one-line summary, once (the main thread and the
        watchdog may both try; the second waits for the first)."""
        if not self._telling.acquire(blocking=False):
            self._told.wait(GRACE_SECONDS)
            return
        try:
            text = ""
            if self.results is not None:
                with contextlib.suppress(Exception):  # partial state may be mid-update
                    text = self.results()
            with contextlib.suppress(OSError, ValueError):
                if text:
                    _write(text)
                print(f"{tool}: {one_line(head)}; {self.summary()}", file=sys.stderr, flush=True)
                sys.stdout.flush()
        finally:
            self._told.set()


def partial(text: str) -> str:
    """A tool's output of what an interrupted run completed, marked as such."""
    return "INTERRUPTED: partial results (completed work only)\n" + text


COMPLETED = Completed()
"""This process's record of what its run completed (one run per process; tests that call main()
in-process get a fresh one from `run`)."""

_signalled: list[int] = []
_deferred = threading.local()
_tool = ["tool"]


GRACE_SECONDS = 1.5
"""After a signal, how long the run may take to unwind (say what it changed) before it ends."""
STOPPED = "interrupted: stopped; no further AWS calls were made"


def _interrupt(signum: int, _: object) -> None:
    STOP.set()
    first = not _signalled
    _signalled.append(signum)
    if not first:
        return  # the first signal is unwinding; the watchdog bounds it
    # A thread pool joins its running workers on the way out; one blocked in a network read
    # would hold the exit for its timeout. The watchdog ends the process after the grace.
    watchdog = threading.Timer(GRACE_SECONDS, _hard_exit)
    watchdog.daemon = True
    watchdog.start()
    if getattr(_deferred, "depth", 0):
        return  # a change is under way: `uninterrupted` raises once it has its answer
    raise KeyboardInterrupt


def _hard_exit() -> None:
    COMPLETED.tell(_tool[0], STOPPED)
    os._exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def uninterrupted(change: str) -> Iterator[None]:
    """A change whose outcome must be known: a signal during it stops the run only once the call
    has its answer (so the summary can say whether it was made); the watchdog still bounds it."""
    _deferred.depth = getattr(_deferred, "depth", 0) + 1
    COMPLETED.in_progress = change
    try:
        yield
    finally:
        _deferred.depth -= 1
        COMPLETED.in_progress = None
    if STOP.is_set() and threading.current_thread() is threading.main_thread():
        raise KeyboardInterrupt


def _install_interrupts() -> None:
    """SIGINT and SIGTERM stop the run (only the main thread may install handlers)."""
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)


def _end_interrupted(tool: str, message: str) -> int:
    """Exit 130 now, having told what completed: worker threads blocked in a network read would
    otherwise hold the interpreter's exit for their timeout (the thread pools join them at exit)."""
    COMPLETED.tell(tool, message)
    if _signalled:  # a real signal, to this process: leave at once
        os._exit(EXIT_INTERRUPTED)
    return EXIT_INTERRUPTED


# --- arguments that name targets --------------------------------------------------------------


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args`, then one rule for every command: a flag given an empty or blank value
    (`--service ""`: an unset CI variable) is refused in one line naming the flag, never read as
    "no filter" or "the default"."""
    args = parser.parse_args(argv)
    for action in parser._actions:
        value = getattr(args, action.dest, None)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and not item.strip():
                flag = max(action.option_strings, key=len, default=action.dest)
                parser.exit(
                    EXIT_ERROR,
                    f"{parser.prog}: error: argument {flag}: {item!r} is empty: give a value, "
                    "or leave the flag out\n",
                )
    return args


def run(tool: str, body: Callable[[], int]) -> int:
    """Every tool's top-level handler: runs its body and maps every failure to one line on stderr
    and exit 2 (a ToolError may name another documented code: quarantine's "changed, then
    failed"). A closed stdout ends quietly. SIGINT or SIGTERM: exit 130 after telling what
    completed (`COMPLETED`: the partial results on stdout, one summary line on stderr)."""
    from botocore.exceptions import BotoCoreError, ClientError

    code = EXIT_ERROR
    COMPLETED.reset()
    STOP.clear()
    _tool[0] = tool
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
        return _end_interrupted(tool, STOPPED)
    except RecursionError:
        message = "input nested too deeply"
    except Exception as error:  # the promise is one line, never a traceback
        message = f"unexpected error ({type(error).__name__}): {error}"
    with contextlib.suppress(OSError, ValueError):
        print(f"{tool}: {one_line(message)}", file=sys.stderr, flush=True)
    return code


COMMANDS = ("plan", "retention", "scan_gate", "replication", "audit", "quarantine")
"""The documented `python -m tools.<name>` commands."""


def not_a_command(module: str, argv: Sequence[str] | None = None) -> int:
    """`python -m tools.<library module>`: what to run instead. `--help` explains (exit 0);
    anything else is a usage error in one line (exit 2), never a silent success."""
    commands = ", ".join(f"python -m tools.{name}" for name in COMMANDS)
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--help"], ["-h"]):
        print(f"{module} is a library the tools share, not a command. The commands: {commands}.")
        return EXIT_OK
    print(f"{module}: not a command (a library the tools share): run {commands}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(not_a_command("tools.cli"))
