"""``python -m trtdiag`` runs the CLI (see trtdiag/entry.py)."""

from trtdiag.entry import run

if __name__ == "__main__":
    run()
