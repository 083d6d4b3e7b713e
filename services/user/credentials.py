"""What an account's credentials must be: a normalised email and a password worth hashing."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

from services.user.errors import InvalidParameter, WeakPassword

# argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): ~80 ms per hash
# on one core. argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3 passes, 4 lanes) costs
# ~400 ms here, which would let a burst of logins starve the service; the parameters live in
# each hash, so raising them later only affects new hashes.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_PASSWORD, MAX_PASSWORD = 8, 128  # NIST SP 800-63B: length, not composition rules
# RFC 5321 dot-atom local part and LDH domain labels; what real mailboxes use, without the
# quoted-string and IP-literal forms nobody registers with.
_EMAIL = re.compile(
    r"(?P<local>[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9])"
)


def normalise_email(email: str) -> str:
    """Lower-cased: mail providers treat addresses case-insensitively, so two spellings of one
    mailbox must not become two accounts."""
    normalised = email.strip().lower()
    match = _EMAIL.fullmatch(normalised)
    if match is None or len(normalised) > 254 or len(match["local"]) > 64:
        raise InvalidParameter("email", "an email address")
    return normalised


def check_password_policy(password: str, email: str) -> None:
    # spaces count (NIST: passphrases), but not a password of nothing else
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or password.strip().lower() in (email, ""):
        # The upper bound also caps the work an attacker can make argon2 do per request.
        raise WeakPassword(f"{MIN_PASSWORD} to {MAX_PASSWORD} characters, not the email address")
