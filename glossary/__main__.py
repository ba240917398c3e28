"""`python -m glossary`: the same as the `glossary` command."""

from glossary.cli import main

main()
