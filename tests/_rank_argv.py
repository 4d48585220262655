"""Launched by torchrun in test_cli_distributed.py: ``logitlab`` with the arguments
after ``--`` on every rank, except that rank R's arguments after ``--rank-R`` replace
them (a real failure on one rank: e.g. its own --data that does not exist)."""

import os
import sys

from logitlab.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    split = args.index("--")
    own, common = args[:split], args[split + 1 :]
    mine = f"--rank-{os.environ.get('RANK', '0')}"
    if mine in own:
        start = own.index(mine) + 1
        end = next((i for i in range(start, len(own)) if own[i].startswith("--rank-")), len(own))
        common = [*common, *own[start:end]]
    main(common)
