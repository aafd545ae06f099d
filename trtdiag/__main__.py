"""``python -m trtdiag`` runs the CLI."""

from trtdiag.cli import main

if __name__ == "__main__":
    main()
