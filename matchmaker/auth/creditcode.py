"""统一社会信用代码 (unified social credit code) per GB 32100-2015.

An 18-character code: registration department (1), organisation type (1), administrative
division (6), organisation code (9, itself ending in a GB 11714 check character) and a
final check character computed over the first 17 characters modulo 31.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a code may use (no I, O, S, V, Z), in value order 0..30."""

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
"""Weights of positions 1..17 (3**i mod 31)."""

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 weights of the eight body characters of the organisation code."""

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ORG_CODE_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_digit(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError(f"need 17 characters from {ALPHABET!r}, got {first17!r}")
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """Tell whether ``code`` is an 18-character code whose check character is right."""
    if not isinstance(code, str) or len(code) != 18:
        return False
    if any(ch not in _VALUE for ch in code):
        return False
    return check_digit(code[:17]) == code[17]


def org_code_check(body8: str) -> str:
    """Return the GB 11714 check character (0-9 or X) for an 8-character organisation code."""
    if len(body8) != 8 or any(ch not in _ORG_CODE_CHARS for ch in body8):
        raise ValueError(f"need 8 digits or capital letters, got {body8!r}")
    total = sum(int(ch, 36) * w for ch, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    rest = 11 - total % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


def make(registration_dept: str, org_type: str, admin_code: str, org_code_body: str) -> str:
    """Build a full valid code from its parts.

    ``org_code_body`` is the 8-character body of the organisation code (its GB 11714 check
    character is appended here) or the full 9-character organisation code.
    """
    if len(org_code_body) == 8:
        org_code_body += org_code_check(org_code_body)
    first17 = f"{registration_dept}{org_type}{admin_code}{org_code_body}"
    return first17 + check_digit(first17)
