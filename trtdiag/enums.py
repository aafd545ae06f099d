"""``StrEnum`` on every supported Python (the standard one exists from 3.11; trtdiag supports 3.10).

Why string enums: layer kinds, formats and alignments are compared with and written as their plain
string values in the JSON documents, so a member must behave as its value in ``==``, ``str()`` and
f-strings.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:

    class StrEnum(str, Enum):
        """The Python 3.11 ``enum.StrEnum`` behaviour: ``str(member)`` and formatting give the value."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


__all__ = ["StrEnum"]
