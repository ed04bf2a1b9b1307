"""``python -m servicecore``: the same command line as the ``servicecore`` script."""

from __future__ import annotations

import sys

from servicecore.cli import main

if __name__ == "__main__":
    sys.exit(main())
