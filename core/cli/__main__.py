"""`python -m core.cli`, the same as the `trellis` console script."""

from core.cli import main

main()
