"""``python -m carecase``: the same command line as ``carecase``."""

from carecase.cli import main

main()
