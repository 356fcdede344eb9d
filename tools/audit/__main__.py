"""`python -m tools.audit`: see tools/audit/command.py."""

from tools.audit.command import main

raise SystemExit(main())
