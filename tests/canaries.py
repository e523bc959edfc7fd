"""Unique sensitive values for tests that prove nothing leaves in clear: random each time, of
formats the catalogue detects."""

from __future__ import annotations

import random
import string

from stdnum import luhn

BASE32 = string.ascii_uppercase + "234567"


def aws_key(rng: random.Random) -> str:
    """An AWS access key id shape: AKIA and 16 base-32 characters."""
    return "AKIA" + "".join(rng.choice(BASE32) for _ in range(16))


def luhn_card(rng: random.Random) -> str:
    """A 16-digit Visa-shaped number whose last digit makes the Luhn sum valid."""
    body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
    return body + luhn.calc_check_digit(body)


def random_email(rng: random.Random, prefix: str = "", domain: str = "fabrikam-mail.com") -> str:
    local = "".join(rng.choice(string.ascii_lowercase) for _ in range(14))
    return f"{prefix}{local}@{domain}"
