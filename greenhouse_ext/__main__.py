"""``python -m greenhouse_ext``: the greenhouse command."""

from greenhouse_ext.cli import main

main()
