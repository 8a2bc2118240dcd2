"""`python -m glurpc_cli`: the same entry point as the `glurpc` console script."""

from .cli import main

main()
