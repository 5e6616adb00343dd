"""Join codes and teacher keys.

A code is six characters from an alphabet without look-alikes (no 0/O, 1/I/L): 31⁶ ≈ 8.9e8
codes, typed case-insensitively. With guessing limited per client address (limits.py) an
address that tries every minute's allowance all day finds one of a hundred open classes
with a chance of about one in two hundred.

The teacher's key is 32 random bytes (URL-safe base64); the store keeps only its SHA-256,
compared in constant time.

>>> normalize(" ab3x9k ")
'AB3X9K'
>>> key = new_key()
>>> keys_match(key, key_digest(key)), keys_match(key + "x", key_digest(key))
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6
# The path parameter's pattern: the alphabet in either case.
PATTERN = "^[2-9A-HJKMNP-Za-hjkmnp-z]{6}$"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(code: str) -> str:
    return code.strip().upper()


def new_key() -> str:
    return secrets.token_urlsafe(32)


def new_student() -> str:
    return secrets.token_urlsafe(16)


def new_id() -> str:
    """A question's or an experiment's id."""
    return secrets.token_hex(4)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keys_match(given: str | None, digest: str) -> bool:
    """Whether ``given`` is the key whose digest is ``digest``, in constant time."""
    if not given:
        return False
    return hmac.compare_digest(key_digest(given), digest)


def student_tag(student: str) -> str:
    """An anonymous tag for a student's runs on the teacher's page (not the token itself)."""
    return hashlib.sha256(student.encode()).hexdigest()[:8]
