"""`python -m tools.plan`, as documented: the command lives in tools/preview/plan.py."""

from tools.preview.plan import main

if __name__ == "__main__":
    raise SystemExit(main())
