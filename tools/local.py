"""`python -m tools.local`, as documented: the command lives in tools/dev/local.py."""

from tools.dev.local import main

if __name__ == "__main__":
    raise SystemExit(main())
