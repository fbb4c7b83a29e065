"""`python -m paperwire` runs the CLI."""

from paperwire.cli import main

main()
