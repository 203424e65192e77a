"""`python -m itpc`: the same as the `itpc` command."""
from itpc.cli import main

main()
