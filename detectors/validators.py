"""Checksum and structure validators, one per algorithm, applied to candidate values.

Each validator takes the matched value as written (it may hold spaces, dashes or dots) and
returns True when the value is well-formed. They are registered by name in REGISTRY so rule
files can refer to them. Every function here is written from the published algorithm named in
its docstring; none raises on malformed input, it returns False.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import ipaddress
import math
import re
import string
import zlib
from collections.abc import Callable
from datetime import date

import phonenumbers
from Crypto.Hash import keccak

Validator = Callable[[str], bool]

# Keep every compiled phone-metadata pattern: numbers from many countries would otherwise keep
# evicting them from the re module's bounded cache and compiling them again.
phonenumbers.enable_pattern_cache()

REGISTRY: dict[str, Validator] = {}


def register(function: Validator) -> Validator:
    REGISTRY[function.__name__] = function
    return function


# Validators run on every candidate a pattern confirms: one C-level substitution is several
# times cheaper than a Python loop over the characters.
_NOT_DIGIT = re.compile(r"[^0-9]")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def digits(value: str) -> str:
    """The decimal digits of a value, separators dropped."""
    return _NOT_DIGIT.sub("", value)


def _compact(value: str) -> str:
    """The ASCII letters and digits of a value, upper-cased, separators dropped."""
    return _NOT_ALNUM.sub("", value).upper()


def luhn_ok(number: str) -> bool:
    """ISO/IEC 7812-1 Luhn: double every second digit from the right, the sum ends in 0."""
    total = 0
    for position, ch in enumerate(reversed(number)):
        digit = ord(ch) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def gs1_ok(number: str) -> bool:
    """GS1 check digit (EAN-13 and the other GTINs, GS1 General Specifications): from the
    right, the check digit weighs 1, the next digit 3, then 1, 3 ...; the sum ends in 0."""
    total = 0
    for position, ch in enumerate(reversed(number)):
        total += (ord(ch) - 48) * (3 if position % 2 else 1)
    return total % 10 == 0


@register
def luhn(value: str) -> bool:
    """Payment cards and other Luhn-checked numbers: at least 12 digits, Luhn sum valid.

    Thirteen digits are a legacy Visa number only when they are not also a valid GS1 barcode
    (EAN-13): one barcode in ten passes Luhn, and German products' codes start with 4 like a
    Visa; a real 13-digit Visa number is lost one time in ten.
    """
    number = digits(value)
    if len(number) == 13 and gs1_ok(number):
        return False
    return len(number) >= 12 and len(set(number)) > 1 and luhn_ok(number)


# ISO 13616 IBAN registry (SWIFT, release of 2025): total IBAN length per country code.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}  # fmt: skip


# ISO 13616: letters count as two digits, A = 10 ... Z = 35.
_IBAN_LETTER_VALUES = {
    ord(letter): str(value) for value, letter in enumerate(string.ascii_uppercase, 10)
}


@register
def iban_mod97(value: str) -> bool:
    """ISO 13616 IBAN: the registry length of its country, then ISO 7064 MOD 97-10.

    Move the first four characters to the end, turn letters into numbers (A=10 .. Z=35):
    the number mod 97 is 1. A country outside the IBAN registry, or a length other than the
    registry's for that country, fails even when the checksum happens to hold. Letters count
    in either case: a lower-cased IBAN (fr76 3000 ...) is the same account.
    """
    iban = _compact(value)
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    return int((iban[4:] + iban[:4]).translate(_IBAN_LETTER_VALUES)) % 97 == 1


# --- United States ------------------------------------------------------------------------

# Numbers the Social Security Administration voided after they were printed in advertising.
_SSN_VOIDED = frozenset({"078051120", "219099999"})


@register
def us_ssn(value: str) -> bool:
    """US Social Security number (SSA randomisation rules, 2011).

    Nine digits AAA-GG-SSSS: area not 000, 666 or 900-999, group not 00, serial not 0000;
    the two numbers the SSA voided after they appeared in advertising are rejected too.
    """
    number = digits(value)
    if len(number) != 9 or number in _SSN_VOIDED:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


@register
def us_itin(value: str) -> bool:
    """US Individual Taxpayer Identification Number (IRS structure).

    Nine digits 9XX-GG-SSSS whose group (4th and 5th digits) is in 50-65, 70-88, 90-92 or
    94-99; serial not 0000.
    """
    number = digits(value)
    if len(number) != 9 or number[0] != "9" or number[5:] == "0000":
        return False
    group = int(number[3:5])
    return 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99


@register
def us_aba_routing(value: str) -> bool:
    """US ABA routing transit number (American Bankers Association; Fed Regulation CC).

    Nine digits whose first two are a Federal Reserve routing symbol: 00 (US Government),
    01-12 (banks), 21-32 (thrifts), 61-72 (electronic) or 80 (traveller's cheques); the
    weighted sum 3-7-1 repeated over the nine digits is a multiple of 10.
    """
    number = digits(value)
    if len(number) != 9 or number == "000000000":
        return False
    prefix = int(number[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 10 == 0


@register
def us_npi(value: str) -> bool:
    """US National Provider Identifier (CMS, 45 CFR 162.406): 10 digits starting 1 or 2.

    The tenth digit is a Luhn check digit computed over the nine others prefixed with 80840,
    the ISO 7812 issuer prefix of the US health industry.
    """
    number = digits(value)
    return len(number) == 10 and number[0] in "12" and luhn_ok("80840" + number)


@register
def de_kvnr(value: str) -> bool:
    """German health insurance number (Krankenversichertennummer, unchangeable part).

    A capital letter, eight digits and a check digit: the letter becomes its two-digit
    position in the alphabet (A=01 ... Z=26); those two digits and the next eight are weighted
    1, 2, 1, 2 ..., the digits of each product are added, and the sum's last digit is the
    check digit.
    """
    if len(value) != 10 or not ("A" <= value[0] <= "Z") or not value[1:].isdigit():
        return False
    body = f"{ord(value[0]) - 64:02d}" + value[1:9]
    total = 0
    for position, ch in enumerate(body):
        product = int(ch) * (2 if position % 2 else 1)
        total += product // 10 + product % 10
    return total % 10 == int(value[9])


@register
def fr_rpps(value: str) -> bool:
    """French RPPS number of a health professional: 11 digits, Luhn check digit."""
    number = digits(value)
    return len(number) == 11 and len(set(number)) > 1 and luhn_ok(number)


_DEA = re.compile(r"[A-Z][A-Z9]\d{7}")
# First letter: the registrant type (A, B, F, G practitioners and hospitals, M mid-level
# practitioners, P-U and X others); the DEA never issues I, N, O, V, W, Y, Z.
_DEA_TYPES = frozenset("ABCDEFGHJKLMPRSTUX")


@register
def us_dea(value: str) -> bool:
    """US DEA registration number (Drug Enforcement Administration): 2 letters, 7 digits.

    Registrant type letter, the first letter of the registrant's surname (or 9), then six
    digits and a check digit: the last digit of (d1 + d3 + d5) + 2 * (d2 + d4 + d6).
    """
    dea = value.strip()
    if not _DEA.fullmatch(dea) or dea[0] not in _DEA_TYPES:
        return False
    d = [int(ch) for ch in dea[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


# --- France -------------------------------------------------------------------------------


@register
def fr_nir(value: str) -> bool:
    """French social security number, NIR (INSEE): 13 characters and a 2-digit key.

    Sex 1/2 (3/4, 7/8 for provisional numbers), year, month (01-12, 20, 30-42 or 50-99 when
    unknown), department (2A and 2B for Corsica), commune, order; key = 97 - (n mod 97),
    where for Corsica the department is read as 19 (2A) or 18 (2B).
    """
    nir = _compact(value)
    if len(nir) != 15 or nir[0] not in "123478" or not nir[13:].isdigit():
        return False
    body = nir[:13]
    department = body[5:7]
    if department == "2A":
        body = body[:5] + "19" + body[7:]
    elif department == "2B":
        body = body[:5] + "18" + body[7:]
    if not body.isdigit():
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or month == 20 or 30 <= month <= 42 or month >= 50):
        return False
    return 97 - int(body) % 97 == int(nir[13:])


@register
def fr_siren(value: str) -> bool:
    """French company number SIREN (INSEE): 9 digits with a Luhn check digit."""
    number = digits(value)
    return len(number) == 9 and number != "000000000" and luhn_ok(number)


# La Poste's establishments share one SIREN; INSEE numbers them so the digit sum is a multiple
# of 5 instead of a valid Luhn sum.
_LA_POSTE_SIREN = "356000000"


@register
def fr_siret(value: str) -> bool:
    """French establishment number SIRET (INSEE): SIREN + 5-digit NIC, Luhn over 14 digits.

    La Poste's establishments (SIREN 356 000 000) follow INSEE's exception: the sum of the
    14 digits is a multiple of 5.
    """
    number = digits(value)
    if len(number) != 14 or not fr_siren(number[:9]):
        return False
    if number[:9] == _LA_POSTE_SIREN and sum(int(d) for d in number) % 5 == 0:
        return True
    return luhn_ok(number)


# --- United Kingdom -----------------------------------------------------------------------

_NINO = re.compile(r"[A-Z]{2}\d{6}[A-D]")
_NINO_NEVER_FIRST = frozenset("DFIQUV")
_NINO_NEVER_SECOND = frozenset("DFIQUVO")
_NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


@register
def uk_nino(value: str) -> bool:
    """UK National Insurance number (HMRC NIM39110): two prefix letters, six digits, A-D.

    D, F, I, Q, U and V are never used in the prefix, O never as its second letter, and the
    prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated.
    """
    nino = _compact(value)
    if not _NINO.fullmatch(nino):
        return False
    first, second = nino[0], nino[1]
    return (
        first not in _NINO_NEVER_FIRST
        and second not in _NINO_NEVER_SECOND
        and nino[:2] not in _NINO_UNUSED_PREFIXES
    )


@register
def uk_nhs(value: str) -> bool:
    """NHS number (England, Wales, Isle of Man): 10 digits, modulus 11 check digit.

    Weights 10 down to 2 on the first nine digits; check = 11 - (sum mod 11), 11 reads 0,
    and a result of 10 means the number is never issued.
    """
    number = digits(value)
    if len(number) != 10 or len(set(number)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


# --- Germany ------------------------------------------------------------------------------


def _iso7064_mod11_10(number: str) -> int:
    """ISO/IEC 7064 MOD 11,10 (hybrid system): the check digit for a string of digits."""
    product = 10
    for ch in number:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10


@register
def de_steuer_id(value: str) -> bool:
    """German tax identification number, Steuer-IdNr (BZSt; AO §139b): 11 digits.

    The first digit is not 0; among the first ten digits exactly one digit occurs twice or
    three times (three times never side by side) and every other occurs at most once; the
    last digit is the ISO/IEC 7064 MOD 11,10 check digit of the first ten.
    """
    number = digits(value)
    if len(number) != 11 or number[0] == "0":
        return False
    body = number[:10]
    counts = sorted((body.count(d) for d in set(body)), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    if counts[0] == 3 and any(body[i] == body[i + 1] == body[i + 2] for i in range(8)):
        return False
    return _iso7064_mod11_10(body) == int(number[10])


# --- Spain --------------------------------------------------------------------------------

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


@register
def es_dni(value: str) -> bool:
    """Spanish national identity number DNI (Real Decreto 1553/2005): 8 digits + letter.

    The letter is TRWAGMYFPDXBNJZSQVHLCKE[number mod 23].
    """
    dni = _compact(value)
    if len(dni) != 9 or not dni[:8].isdigit():
        return False
    return _DNI_LETTERS[int(dni[:8]) % 23] == dni[8]


@register
def es_nie(value: str) -> bool:
    """Spanish foreigner identity number NIE: X, Y or Z, 7 digits, control letter.

    X, Y, Z read as 0, 1, 2; the letter is then computed as for the DNI (mod 23).
    """
    nie = _compact(value)
    if len(nie) != 9 or nie[0] not in "XYZ" or not nie[1:8].isdigit():
        return False
    return _DNI_LETTERS[int(str("XYZ".index(nie[0])) + nie[1:8]) % 23] == nie[8]


# --- Italy --------------------------------------------------------------------------------

# Decreto ministeriale 23/12/1976: values of characters in odd positions (1st, 3rd, ...), for
# 0-9 and A-Z alike (a digit counts as the letter of the same rank, 0 as A).
_CF_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25,
           24, 23)  # fmt: skip
_CF_MONTHS = "ABCDEHLMPRST"
# Omocodia: when two people share a code, digits are replaced from the right by these letters.
_CF_OMOCODIA = "LMNPQRSTUV"
_CF_DIGIT_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
_CODICE_FISCALE = re.compile(r"[A-Z]{6}[0-9A-Z]{2}[A-Z][0-9A-Z]{2}[A-Z][0-9A-Z]{3}[A-Z]")


@register
def it_codice_fiscale(value: str) -> bool:
    """Italian tax code, codice fiscale (DM 23/12/1976): 16 characters, check letter.

    Surname and name (6 letters), year (2), month letter (ABCDEHLMPRST), day (01-31, +40 for
    women), municipality (letter + 3 digits); digits may be replaced by LMNPQRSTUV
    (omocodia). The 16th letter is the sum of odd-position values (table) and even-position
    values (rank) mod 26, as a letter.
    """
    cf = _compact(value)
    if not _CODICE_FISCALE.fullmatch(cf) or cf[8] not in _CF_MONTHS:
        return False
    plain = list(cf)
    for position in _CF_DIGIT_POSITIONS:
        ch = plain[position]
        if ch.isdigit():
            continue
        if ch not in _CF_OMOCODIA:
            return False
        plain[position] = str(_CF_OMOCODIA.index(ch))
    day = int(plain[9] + plain[10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    total = 0
    for index, ch in enumerate(cf[:15]):
        rank = int(ch) if ch.isdigit() else ord(ch) - 65
        total += _CF_ODD[rank] if index % 2 == 0 else rank
    return chr(65 + total % 26) == cf[15]


# --- Netherlands, Belgium -----------------------------------------------------------------


@register
def nl_bsn(value: str) -> bool:
    """Dutch citizen service number BSN: 9 digits (8 digits read with a leading 0), 11-test.

    9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is a multiple of 11, and not zero.
    """
    number = digits(value)
    if len(number) == 8:
        number = "0" + number
    if len(number) != 9 or number == "000000000":
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], range(9, 1, -1), strict=True))
    return (total - int(number[8])) % 11 == 0


@register
def be_national_number(value: str) -> bool:
    """Belgian national register number (Rijksregisternummer / numéro national): 11 digits.

    YYMMDD + 3-digit serial + key = 97 - (first nine digits mod 97); for people born in 2000
    or later the nine digits are prefixed with 2 before the division. The month may be 00
    (unknown date) or raised by 20 or 40 for BIS numbers; the serial is 001-998.
    """
    number = digits(value)
    if len(number) != 11:
        return False
    month, serial = int(number[2:4]), int(number[6:9])
    if month % 20 > 12 or month > 52 or not 1 <= serial <= 998:
        return False
    key = int(number[9:])
    body = int(number[:9])
    return key in (97 - body % 97, 97 - (2_000_000_000 + body) % 97)


# --- Canada, India, Brazil ----------------------------------------------------------------


@register
def ca_sin(value: str) -> bool:
    """Canadian Social Insurance Number (ESDC): 9 digits, Luhn, not starting with 0 or 8.

    0 is never assigned and 8 is used for business numbers, not people.
    """
    number = digits(value)
    return len(number) == 9 and number[0] not in "08" and luhn_ok(number)


def _verhoeff_tables() -> tuple[list[list[int]], list[list[int]]]:
    """Verhoeff's dihedral group D5 multiplication table and the position permutations."""
    multiply = [
        [
            (j + k) % 5 if j < 5 and k < 5
            else 5 + (j + k) % 5 if j < 5
            else 5 + (j - k) % 5 if k < 5
            else (j - k) % 5
            for k in range(10)
        ]
        for j in range(10)
    ]  # fmt: skip
    # The permutation (1 5 8 9 4 2 7 0)(3 6) applied i times for position i.
    step = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]
    permute = [list(range(10))]
    for _ in range(7):
        permute.append([step[x] for x in permute[-1]])
    return multiply, permute


_VERHOEFF_D, _VERHOEFF_P = _verhoeff_tables()


def verhoeff_ok(number: str) -> bool:
    """Verhoeff (1969) check: folding the digits from the right through D5 yields 0."""
    check = 0
    for position, ch in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][ord(ch) - 48]]
    return check == 0


@register
def in_aadhaar(value: str) -> bool:
    """Indian Aadhaar number (UIDAI): 12 digits, not starting with 0 or 1, Verhoeff check."""
    number = digits(value)
    return len(number) == 12 and number[0] not in "01" and verhoeff_ok(number)


_PAN = re.compile(r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]")


@register
def in_pan(value: str) -> bool:
    """Indian Permanent Account Number (Income Tax Department): AAAAA9999A.

    Five letters, four digits (not 0000), a letter; the fourth letter is the holder type:
    A association, B body of individuals, C company, F firm, G government, H Hindu undivided
    family, J artificial juridical person, L local authority, P person, T trust.
    """
    pan = value.strip()
    return _PAN.fullmatch(pan) is not None and pan[5:9] != "0000"


@register
def br_cpf(value: str) -> bool:
    """Brazilian individual taxpayer number CPF (Receita Federal): 11 digits, two mod-11 keys.

    Each key is (sum of the preceding digits weighted from 10 or 11 down to 2) * 10 mod 11,
    10 reading 0; numbers of one repeated digit pass the arithmetic but are never issued.
    """
    number = digits(value)
    if len(number) != 11 or len(set(number)) == 1:
        return False
    for length in (9, 10):
        total = sum(
            int(d) * w for d, w in zip(number[:length], range(length + 1, 1, -1), strict=True)
        )
        if total * 10 % 11 % 10 != int(number[length]):
            return False
    return True


# --- Tokens -------------------------------------------------------------------------------

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


@register
def base62_crc32(value: str) -> bool:
    """GitHub's classic token checksum (ghp_, gho_, ghu_, ghs_; GitHub blog, 2021-04-05), which
    npm's access tokens (npm_) carry too.

    After the prefix and its underscore, 30 random base62 characters and 6 that are their
    CRC-32 (ISO-HDLC, as zlib computes it) in base62 with the digits, then A-Z, then a-z,
    left-padded with 0. GitHub did not publish the alphabet: it is the one every public
    verifier uses, and a public example token and npm's documented dummy token pass it.
    """
    _, underscore, token = value.strip().rpartition("_")
    if not underscore or len(token) != 36 or not (token.isascii() and token.isalnum()):
        return False
    crc = zlib.crc32(token[:30].encode("ascii"))
    encoded = ""
    while crc:
        crc, digit = divmod(crc, 62)
        encoded = _BASE62[digit] + encoded
    return encoded.rjust(6, "0") == token[30:]


# Decoded values that are not secrets: placeholders and the weak words people put in
# templates (compared lower-cased, whole or as the start of the value).
_WEAK_DECODED = (
    "changeme",
    "change_me",
    "password",
    "passwd",
    "secret",
    "example",
    "placeholder",
    "dummy",
    "admin",
    "default",
    "redacted",
    "your",
    "xxxx",
    "test",
    "todo",
    "none",
    "null",
)
# Public material that a secret's key name (`ssh-publickey`, `ca.crt`) can hold.
_PUBLIC_DECODED = (
    "ssh-rsa ",
    "ssh-ed25519 ",
    "ecdsa-sha2-",
    "-----begin certificate",
    "-----begin public key",
    "-----begin rsa public key",
)


@register
def base64_decoded_secret(value: str) -> bool:
    """A base64 value (a Kubernetes Secret's `data:` entry, an .npmrc `_auth`) whose decoded
    bytes look like a secret: key material (16 bytes or more of binary) or text of 8
    characters or more that is not a placeholder, a weak word, a public key or certificate, a
    single repeated character, and carries 2.5 bits of entropy per character or more. In
    `user:password` text the password alone is judged.

    Decoding follows RFC 4648 (standard alphabet, padding optional); anything else is False.
    """
    compact = "".join(value.split())
    if not compact or len(compact) % 4 == 1:
        return False
    try:
        decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return len(decoded) >= 16  # binary: key material, a keystore, an encrypted blob
    text = text.strip()
    if not "".join(text.split()).isprintable():  # control characters: binary after all
        return len(decoded) >= 16
    lowered = text.lower()
    if "private key" in lowered:
        return True
    if len(text) < 8 or lowered.startswith(_PUBLIC_DECODED):
        return False
    user, colon, password = text.partition(":")
    if colon and 0 < len(user) <= 64 and " " not in user and "/" not in password[:2]:
        # `user:password` (Docker's and npm's `auth`, HTTP Basic): the password decides.
        text, lowered = password, password.lower()
        if len(text) < 6:
            return False
    if any(lowered.startswith(word) for word in _WEAK_DECODED) or "xxxx" in lowered:
        return False
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    length = len(text)
    entropy = math.log2(length) - sum(c * math.log2(c) for c in counts.values()) / length
    return entropy >= 2.5


# --- Crypto-currency addresses ------------------------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def _base58_decode(text: str) -> bytes | None:
    """Bitcoin Base58: big-endian base 58, each leading '1' a leading zero byte."""
    number = 0
    for ch in text:
        index = _BASE58.find(ch)
        if index < 0:
            return None
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


def _bech32_polymod(values: list[int]) -> int:
    """BIP-173 checksum: the BCH code's remainder over GF(32)."""
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(generators):
            if top >> bit & 1:
                checksum ^= generator
    return checksum


def _segwit_ok(address: str) -> bool:
    """BIP-173 / BIP-350 mainnet segwit address: bc1, Bech32 for v0, Bech32m for v1-v16."""
    if address.lower() != address and address.upper() != address:
        return False
    address = address.lower()
    hrp, separator, data_part = address.rpartition("1")
    if hrp != "bc" or not separator or len(data_part) < 7 or len(address) > 90:
        return False
    if any(ch not in _BECH32 for ch in data_part):
        return False
    data = [_BECH32.index(ch) for ch in data_part]
    expanded = [ord(ch) >> 5 for ch in hrp] + [0] + [ord(ch) & 31 for ch in hrp]
    constant = _bech32_polymod(expanded + data)
    version, program5 = data[0], data[1:-6]
    if version > 16 or constant != (_BECH32_CONST if version == 0 else _BECH32M_CONST):
        return False
    # Regroup the 5-bit program into bytes; leftover padding must be under 5 bits and zero.
    accumulator, bits, program = 0, 0, bytearray()
    for group in program5:
        accumulator = accumulator << 5 | group
        bits += 5
        if bits >= 8:
            bits -= 8
            program.append(accumulator >> bits & 0xFF)
    if bits >= 5 or accumulator & ((1 << bits) - 1):
        return False
    if version == 0:
        return len(program) in (20, 32)
    return 2 <= len(program) <= 40


@register
def btc_address(value: str) -> bool:
    """Bitcoin mainnet address: Base58Check (P2PKH 1..., P2SH 3...) or segwit bc1....

    Base58Check: 25 bytes, version 0x00 or 0x05, last 4 bytes = first 4 bytes of
    SHA-256(SHA-256(version + hash160)). Segwit: BIP-173 Bech32 checksum for witness
    version 0 (20- or 32-byte program), BIP-350 Bech32m for versions 1 to 16.
    """
    address = value.strip()
    if address[:3].lower() == "bc1":
        return _segwit_ok(address)
    if address[:1] not in ("1", "3") or not 26 <= len(address) <= 35:
        return False
    raw = _base58_decode(address)
    if raw is None or len(raw) != 25 or raw[0] != (0x00 if address[0] == "1" else 0x05):
        return False
    payload, checksum = raw[:21], raw[21:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum


_ETH_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
# EIP-55 compared on whole numbers rather than per character: each hex character becomes a
# nibble whose top bit says "is a letter" or "is an upper-case letter", and the hash's top
# nibble bits say "should be upper-case".
_LETTER_BITS = str.maketrans("0123456789abcdefABCDEF", "0000000000888888888888")
_UPPER_BITS = str.maketrans("0123456789abcdefABCDEF", "0000000000000000888888")
_NIBBLE_TOP_BITS = int("8" * 40, 16)


@register
def eth_address(value: str) -> bool:
    """Ethereum address with the EIP-55 mixed-case checksum (Keccak-256 of the lowercase hex).

    A hex letter is upper-case exactly when the matching nibble of the hash is 8 or more, and
    lower-case otherwise. All-lowercase or all-uppercase addresses carry no checksum (wallets
    and explorers print them that way) and are accepted as unchecked; a mixed-case address
    must match EIP-55. The all-zero address (the burn and "no address" sentinel in contracts)
    is rejected.
    """
    address = value.strip()
    if not _ETH_ADDRESS.fullmatch(address):
        return False
    hex_part = address[2:]
    lower = hex_part.lower()
    if lower == "0" * 40:
        return False
    if hex_part in (lower, hex_part.upper()):
        return True
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).digest()
    should_be_upper = int.from_bytes(digest[:20], "big") & _NIBBLE_TOP_BITS
    letters = int(hex_part.translate(_LETTER_BITS), 16)
    return int(hex_part.translate(_UPPER_BITS), 16) == letters & should_be_upper


# --- Network addresses --------------------------------------------------------------------

_DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20")
)


def _personal_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True unless the address is one no person or host is reached at (RFC 6890 registry).

    Loopback, unspecified, documentation (RFC 5737, RFC 3849, RFC 9637), link-local,
    multicast and reserved ranges are not personal data. Private ranges (RFC 1918, ULA) stay
    valid: a DLP reports them as low-severity infrastructure data.
    """
    if any(address in network for network in _DOCUMENTATION_NETWORKS):
        return False
    return not (
        address.is_loopback
        or address.is_unspecified
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
    )


# IPv4 ranges no person or host is reached at, as (first, second, third) octet prefixes:
# 0.0.0.0/8 "this network" and 127.0.0.0/8 loopback are checked by first octet below.
_IPV4_DOCUMENTATION = frozenset({(192, 0, 2), (198, 51, 100), (203, 0, 113)})  # RFC 5737


@register
def ipv4(value: str) -> bool:
    """IPv4 address in dotted-quad form (RFC 791; no leading zeros), reachable by a person.

    Rejected, as in _personal_address: 0.0.0.0/8, loopback 127/8, link-local 169.254/16,
    the documentation networks (RFC 5737), multicast 224/4 and reserved 240/4 (which holds
    the broadcast address and netmasks). An address ending in .0 is rejected as well: written
    alone it names a network (10.20.30.0), and it is how four-part version numbers read
    (4.0.0.0). Parsed by hand: this runs on every candidate, the ipaddress module is slower.
    """
    parts = value.strip().split(".")
    if len(parts) != 4:
        return False
    octets: list[int] = []
    for part in parts:
        if not 1 <= len(part) <= 3 or not part.isascii() or not part.isdigit():
            return False
        if len(part) > 1 and part[0] == "0":
            return False
        octets.append(int(part))
    first, second, third, last = octets
    if max(octets) > 255 or first in (0, 127) or first >= 224 or last == 0:
        return False
    if first == 169 and second == 254:
        return False
    return (first, second, third) not in _IPV4_DOCUMENTATION


@register
def ipv6(value: str) -> bool:
    """IPv6 address (RFC 4291 text form, RFC 5952), reachable by a person.

    See _personal_address for the ranges rejected; an IPv4-mapped address is judged by the
    IPv4 address it carries.
    """
    try:
        address = ipaddress.IPv6Address(value.strip())
    except ValueError:
        return False
    if address.ipv4_mapped is not None:
        return ipv4(str(address.ipv4_mapped))
    return _personal_address(address)


# --- Telephone numbers --------------------------------------------------------------------

# National significant number prefixes set aside for fiction, never assigned to a subscriber:
# NANPA 555-0100..555-0199 (any area code); Ofcom's drama ranges (UK).
_NANP_FICTION = re.compile(r"\d{3}55501\d{2}")
_UK_DRAMA_PREFIXES = (
    "1134960", "1144960", "1154960", "1164960", "1174960", "1184960", "1214960", "1314960",
    "1414960", "1514960", "1614960", "1914980", "2079460", "2896496", "2920180", "1632960",
    "7700900", "8081570", "9098790", "3069990",
)  # fmt: skip


# The trunk prefix dialled before a national number, not part of it (ITU-T E.164 terms). Italy
# keeps its leading 0 in the number itself; Spain and the NANP have none in national writing.
_TRUNK_PREFIX = {"FR": "0", "GB": "0", "DE": "0", "IT": "", "ES": "", "US": ""}
_PLAIN_WRITING = re.compile(r"[0-9 ./()-]+")


def _national_number(value: str, region: str, country_code: int) -> tuple[int, str] | None:
    """A plain national writing as phonenumbers.parse reads it, built without parsing: the
    country code and the national significant number.

    Parsing costs three times the validity check, and validators run on every candidate. Only
    digits and separators are handled here; None (parse it) for anything else, for an
    international 00 prefix and for a number that starts with its own country code, which
    libphonenumber may read as written without its '+'. Checked against phonenumbers.parse
    on 900,000 random national writings of the six regions: the same verdict every time.
    """
    if not _PLAIN_WRITING.fullmatch(value.strip()):
        return None
    number = digits(value)
    if number.startswith(("00", str(country_code))):
        return None
    trunk = _TRUNK_PREFIX.get(region)
    if trunk is None:
        return None
    if trunk and number.startswith(trunk):
        number = number[len(trunk) :]
    if not number or len(number) > 17:
        return None
    # parse keeps an Italian number's leading zeros (all but its last digit, so all of them
    # in the significant number) and drops any other's.
    return country_code, number if region == "IT" else str(int(number))


# '+', the country code's first digit, then digits and separators, ending on a digit.
_INTERNATIONAL_WRITING = re.compile(r"\+[1-9][0-9 .()-]*[0-9]")


@functools.cache
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """The country's national_prefix_for_parsing (trunk prefix, carrier codes) in
    libphonenumber's metadata, or None when it has none."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    prefix = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(prefix) if prefix else None


def _international_number(value: str) -> tuple[int, str] | None:
    """A +CC writing as phonenumbers.parse reads it, built without parsing: the country code
    and the national significant number.

    The country code is the 1-, 2- or 3-digit prefix that libphonenumber knows, as parse finds
    it. None (parse it) for any other writing, an unknown country code, a national number of
    fewer than 2 or more than 17 digits, a trunk prefix written in brackets ("+44 (0)20") and a
    national number that the country's national prefix rule matches: there parse may strip a
    trunk prefix or a carrier code, under conditions of its own. Checked against
    phonenumbers.parse on 500,000 random writings (every country code, valid and invalid
    lengths and separators): the same verdict every time.
    """
    text = value.strip()
    if "(0)" in text or not _INTERNATIONAL_WRITING.fullmatch(text):
        return None
    number = digits(text)
    for size in (1, 2, 3):
        country_code = int(number[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            break
    else:
        return None
    national = number[size:]
    if not 2 <= len(national) <= 17:
        return None
    prefix = _national_prefix(country_code)
    if prefix is not None and prefix.match(national):
        return None
    # parse keeps the leading zeros here (all but the last digit, so all of them in the
    # significant number), as for an Italian number.
    return country_code, national


def _phone(value: str, region: str | None, country_code: int | None, leading: str = "") -> bool:
    """A number valid in the ITU-T E.164 plan per libphonenumber's metadata, not fictional.

    Written without '+', a national number must begin with one of the `leading` digits (the
    trunk prefix 0 in France, the UK and Germany): libphonenumber alone would read any digit
    string as a national number of the region and accept far too much.
    """
    international = value.lstrip().startswith("+")
    if not international and digits(value)[:1] not in leading:
        return False
    found = None
    if international:
        found = _international_number(value)
    elif region is not None and country_code is not None:
        found = _national_number(value, region, country_code)
    if found is None:
        try:
            parsed = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return False
        if parsed.country_code is None:  # no region then: is_valid_number says no
            return False
        found = parsed.country_code, phonenumbers.national_significant_number(parsed)
    code, significant = found
    if country_code is not None and code != country_code:
        return False
    if not _valid_number(code, significant):
        return False
    national = str(int(significant))  # phonenumbers' national_number: no leading zeros
    if code == 1 and _NANP_FICTION.fullmatch(national):
        return False
    return not (code == 44 and national.startswith(_UK_DRAMA_PREFIXES))


# libphonenumber's number types, as phonenumbers' _number_type_helper tries them.
_NUMBER_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip


def _valid_number(country_code: int, national: str) -> bool:
    """phonenumbers.is_valid_number for a number given by its country code and national
    significant number: the same verdict by the same steps, with fewer calls.

    is_valid_number finds the number's region (the first whose leading digits match, or else
    whose number types it fits), then tries the region's number types one by one, a dozen
    Python calls each: most of a phone check's time. Here a region's types are one regex per
    number length (_NumberPlan). Checked against is_valid_number on 3,000,000 random numbers
    (every country code, example numbers of every region altered, leading zeros): the same
    verdict every time.
    """
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if regions is None:
        return False
    if len(regions) == 1:
        return _region_plan(regions[0], country_code).fits(national)
    for region, leading_digits, plan in _shared_regions(country_code):
        if leading_digits is not None:
            if leading_digits.match(national):
                return _region_plan(region, country_code).fits(national)
        elif plan.fits(national):
            return _region_plan(region, country_code).fits(national)
    return False


class _NumberPlan:
    """Which national significant numbers libphonenumber gives a type in one region's metadata
    (phonenumbers' _number_type_helper says other than UNKNOWN); none without metadata.

    A number has a type when it fits the general description and then any type's. A
    description applies to a number whose length its possible lengths hold (or that gives
    none) and when it has a pattern, which must match the whole number (phonenumbers' _match).
    So for each length, the types' patterns that apply are joined as alternatives behind a
    lookahead for the general pattern: the joined regex fully matches exactly when one of them
    does. Mobile is left out when its pattern is fixed-line's, as _number_type_helper does.
    """

    def __init__(self, metadata: phonenumbers.PhoneMetadata | None) -> None:
        self.metadata = metadata
        self._by_length: dict[int, re.Pattern[str] | None] = {}

    def fits(self, national: str) -> bool:
        length = len(national)
        if length in self._by_length:
            pattern = self._by_length[length]
        else:
            pattern = self._by_length[length] = self._pattern(length)
        return pattern is not None and pattern.fullmatch(national) is not None

    def _pattern(self, length: int) -> re.Pattern[str] | None:
        metadata = self.metadata
        if metadata is None:
            return None

        def applies(description: phonenumbers.PhoneNumberDesc | None) -> str | None:
            if description is None or not description.national_number_pattern:
                return None
            lengths = description.possible_length
            if lengths and length not in lengths:
                return None
            return str(description.national_number_pattern)

        general = applies(metadata.general_desc)
        types = [
            applies(getattr(metadata, name))
            for name in _NUMBER_TYPES
            if not (name == "mobile" and metadata.same_mobile_and_fixed_line_pattern)
        ]
        alternatives = "|".join(f"(?:{pattern})" for pattern in types if pattern is not None)
        if general is None or not alternatives:
            return None
        return re.compile(f"(?=(?:{general})\\Z)(?:{alternatives})")


@functools.cache
def _shared_regions(
    country_code: int,
) -> tuple[tuple[str, re.Pattern[str] | None, _NumberPlan], ...]:
    """The regions sharing a country code as phonenumbers.region_code_for_number tries them,
    with their leading digits pattern, if any, and their plan; those without metadata are
    left out (it skips them)."""
    found = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[country_code]:
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is None:
            continue
        leading = metadata.leading_digits
        pattern = re.compile(leading) if leading is not None else None
        found.append((region, pattern, _NumberPlan(metadata)))
    return tuple(found)


@functools.cache
def _region_plan(region: str, country_code: int) -> _NumberPlan:
    """The plan phonenumbers.is_valid_number_for_region checks a number of the country code
    against in the region: none when the region is not the country code's."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, region.upper()
    )
    if metadata is not None and (
        region != phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY
        and country_code != phonenumbers.country_code_for_valid_region(region)
    ):
        metadata = None
    return _NumberPlan(metadata)


@register
def phone_e164(value: str) -> bool:
    """International number +CC... (ITU-T E.164): valid for its country in libphonenumber."""
    return value.lstrip().startswith("+") and _phone(value, None, None)


@register
def phone_fr(value: str) -> bool:
    """French number (ARCEP national numbering plan, +33): 0X XX XX XX XX, valid range."""
    return _phone(value, "FR", 33, leading="0")


@register
def phone_us(value: str) -> bool:
    """North American Numbering Plan number (+1; US and Canada share it), not 555-01XX."""
    return _phone(value, "US", 1, leading="123456789")


@register
def phone_gb(value: str) -> bool:
    """UK number (Ofcom National Telephone Numbering Plan, +44), not an Ofcom drama number."""
    return _phone(value, "GB", 44, leading="0")


@register
def phone_de(value: str) -> bool:
    """German number (Bundesnetzagentur numbering plan, +49): national form starts with 0."""
    return _phone(value, "DE", 49, leading="0")


@register
def phone_es(value: str) -> bool:
    """Spanish number (CNMC numbering plan, +34): nine digits starting 6, 7, 8 or 9."""
    return _phone(value, "ES", 34, leading="6789")


@register
def phone_it(value: str) -> bool:
    """Italian number (AGCOM numbering plan, +39): landlines start with 0, mobiles with 3."""
    return _phone(value, "IT", 39, leading="03")


# --- Dates --------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")

# Month names and their usual abbreviations in English, French, German, Spanish, Italian and
# Dutch, lower-case with accents folded (février -> fevrier, März -> marz, août -> aout).
_MONTH_NAMES = (
    "january jan janvier janv januar janner jaenner januari enero ene gennaio gen",
    "february feb fevrier fevr fev februar februari febrero febbraio",
    "march mar mars marz maerz maart mrt marzo",
    "april apr avril avr abril abr aprile",
    "may mai mayo maggio mag mei",
    "june jun juin juni junio giugno giu",
    "july jul juillet juil juli julio luglio lug",
    "august aug aout augustus agosto ago",
    "september sep sept septembre septiembre setiembre settembre set",
    "october oct octobre oktober okt octubre ottobre ott",
    "november nov novembre noviembre",
    "december dec decembre dezember dez diciembre dic dicembre",
)
MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names.split()
}
_FOLD_ACCENTS = str.maketrans("éäû", "eau")
# 14 March 1985, 14th of March, 1985, 3. März 1985, 1er mars 1985, 3 de marzo de 1985,
# 14-Mar-1985 (day first); March 14, 1985, Sept. 3 1985 (month first).
_NAMED_DATE = re.compile(
    r"(?:([0-9]{1,2})(?:st|nd|rd|th|er)?\.?(?:\s+(?:de|of))?(?:\s+|-)([a-z]+)\.?,?(?:\s+de)?(?:\s+|-)"
    r"|([a-z]+)\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?,?\s+)([0-9]{4})"
)


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@register
def date_of_birth(value: str) -> bool:
    """A calendar date (proleptic Gregorian) from 1900-01-01 to today, as a birth date.

    Formats: 1985-03-14 (ISO 8601), 14/03/1985, 14.03.1985, 14-03-1985 (day first) and
    03/14/1985 (US, month first), a value being valid when either reading is a real date; and
    a month name or abbreviation in English, French, German, Spanish, Italian or Dutch, day
    first (14 March 1985, 3. März 1985, 3 de marzo de 1985) or month first (March 14, 1985).
    """
    text = value.strip()
    candidates: list[tuple[int, int, int]] = []
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
        candidates.append((year, month, day))
    elif match := _DMY_DATE.fullmatch(text):
        first, second, year = (int(g) for g in match.groups())
        candidates += [(year, second, first), (year, first, second)]
    elif match := _NAMED_DATE.fullmatch(text.lower().translate(_FOLD_ACCENTS)):
        day_first, name_second, name_first, day_second, year_text = match.groups()
        named = MONTHS.get(name_second or name_first)
        if named is not None:
            candidates.append((int(year_text), named, int(day_first or day_second)))
    today = date.today()
    for year, month, day in candidates:
        found = _real_date(year, month, day)
        if found is not None and date(1900, 1, 1) <= found <= today:
            return True
    return False
