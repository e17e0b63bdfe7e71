"""Entry point of the ``kuzet`` command.

``kuzet classify`` streams text through the detector and needs neither settings nor a database,
so it starts without importing the rest of the command line (see ``kuzet.detect.cli``); every
other command, ``--help`` included, goes to the full CLI in ``kuzet.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["classify"]:
        from kuzet.detect.cli import run

        run(argv[1:])
        return
    from kuzet.cli import main as full_main

    full_main()


if __name__ == "__main__":
    main()
