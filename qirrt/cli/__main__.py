"""`python -m qirrt.cli`: the `qirrt` command."""

from qirrt.cli.app import main

if __name__ == "__main__":
    main()
