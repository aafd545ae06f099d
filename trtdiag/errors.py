"""Errors that trtdiag reports to the user as one line, never as a traceback."""

from __future__ import annotations


class TrtdiagError(Exception):
    """Base class: the message is a complete, one-line explanation for the user."""


class InputError(TrtdiagError):
    """The user's input cannot be read as what it claims to be (missing, binary, empty, not ONNX)."""


class TruncatedInputError(InputError):
    """The input ends early. Carries the partial result so that nothing already read is lost."""

    def __init__(self, message: str, partial: object | None = None) -> None:
        super().__init__(message)
        self.partial = partial
