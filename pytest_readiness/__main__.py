"""``python -m pytest_readiness init``: write a services.yaml for an existing compose project."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """The ``pytest-readiness`` command: ``init`` today; the scorecard itself runs as ``pytest --readiness``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(
            "usage: pytest-readiness init [-f FILE]... [--target L1|L2|L3] [--output PATH] [--force] [--profile NAME]"
        )
        print("       then: pytest --readiness")
        return 0 if args else 2
    if args[0] != "init":
        print(
            f"pytest-readiness: unknown command {args[0]!r}; the one command is `init` (the run is pytest --readiness)",
            file=sys.stderr,
        )
        return 2
    from .init import run

    return run(args[1:])


if __name__ == "__main__":
    sys.exit(main())
