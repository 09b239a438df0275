"""Allow ``python -m newsdiff_tui``."""

from newsdiff_tui.cli import main

raise SystemExit(main())
