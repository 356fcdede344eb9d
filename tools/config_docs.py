"""`python -m tools.config_docs`, as documented: the command lives in tools/dev/config_docs.py."""

from tools.dev.config_docs import main

if __name__ == "__main__":
    raise SystemExit(main())
