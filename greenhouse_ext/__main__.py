"""``python -m greenhouse_ext``: the greenhouse command."""

from .cli import main

# Guarded: sweep worker processes are spawned and import the main module again.
if __name__ == "__main__":
    main()
