import sys
from pathlib import Path

# The program imports `components` as the Pulumi CLI runs it: from the project directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


import hypothesis  # noqa: F401
import pytest

# hypothesis's pytest plugin imports hypothesis at the end of a run if no test did. Python 3.11's
# compiler is not thread-safe (gh-106905: "AST constructor recursion depth mismatch"), and the
# Pulumi mock runtime's threads may still be importing then: import it up front instead.


@pytest.fixture(scope="session")
def moto_endpoint():
    from tests.support.moto_server import moto_server

    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws(moto_endpoint):
    """A fresh emulated AWS for one test: (endpoint, environment for subprocesses)."""
    from tests.support.moto_server import aws_environment, reset

    reset(moto_endpoint)
    return moto_endpoint, aws_environment(moto_endpoint)


@pytest.fixture(scope="module")
def running():
    """The policy pack, started as the Pulumi CLI starts it (one process per test module; each
    test configures it as it needs)."""
    from tools.preview.pack_runner import RunningPack

    with RunningPack() as pack:
        yield pack


@pytest.fixture
def env(aws, monkeypatch):
    """The emulated AWS as the process environment (any other AWS_* variable removed), for tools
    called in-process with main(argv); the moto endpoint."""
    import os

    endpoint, environment = aws
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    return endpoint
