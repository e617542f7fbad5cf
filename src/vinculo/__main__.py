"""`python -m vinculo` is the `vinculo` command."""

from vinculo.cli import main

main()
