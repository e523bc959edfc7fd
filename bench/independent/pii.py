"""An evaluation corpus of personal, health and financial data made without Airlock's code.

Nothing here imports `detectors`: every planted value is built by python-stdnum's check-digit
functions (`stdnum.fr.nir.calc_check_digits`, `stdnum.luhn.calc_check_digit`,
`stdnum.iso7064` ...), by phonenumbers' example numbers, or, where neither has the identifier,
from its published rule written out here a second time (Luxembourg matricule, Hungarian tax
number, Australian Medicare, ICAO passport lines, US NPI and DEA, German KVNR). Values are
placed in what people paste into an assistant (HR notes, e-mails, CSV exports, logs, shell
history, `.env` and YAML files, code), in English and French, beside hard negatives labelled as
nothing: the same identifiers with a broken check digit next to their own keyword, order and
invoice numbers, dates, prices, tracking ids, ISBNs, fictional phone numbers, private and
documentation IP addresses.

    prompts(seed) -> list[bench.corpus.Prompt]   (defined in bench.records, which imports nothing)

`Span.category` is the category a finding must have; `Span.kind` the family ("national_id:PL",
"tax_id:FR", "health_id:US", "passport", "phone", "email", "ip", "iban", "card", "marking").
"""

from __future__ import annotations

import ipaddress
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import phonenumbers
from stdnum import ean, iban, luhn, verhoeff
from stdnum.ar import cuit
from stdnum.at import vnr
from stdnum.au import tfn
from stdnum.be import nn as be_nn
from stdnum.bg import egn
from stdnum.br import cpf
from stdnum.ca import bc_phn, sin
from stdnum.ch import ssn as ch_ssn
from stdnum.cl import rut
from stdnum.cy import vat as cy_vat
from stdnum.cz import rc as cz_rc
from stdnum.de import idnr
from stdnum.ee import ik
from stdnum.es import dni, nie
from stdnum.fi import hetu
from stdnum.fr import nif as fr_nif
from stdnum.fr import nir, siren
from stdnum.gb import nhs, utr
from stdnum.gr import amka
from stdnum.ie import pps
from stdnum.ie import vat as ie_vat
from stdnum.in_ import aadhaar
from stdnum.iso7064 import mod_11_10
from stdnum.it import codicefiscale
from stdnum.jp import in_ as my_number
from stdnum.kr import rrn
from stdnum.lt import asmens
from stdnum.lv import pvn
from stdnum.mx import curp, rfc
from stdnum.nl import bsn
from stdnum.no import fodselsnummer
from stdnum.nz import ird
from stdnum.pl import nip, pesel
from stdnum.pt import nif as pt_nif
from stdnum.ro import cnp
from stdnum.se import personnummer
from stdnum.si import emso
from stdnum.sk import rc as sk_rc
from stdnum.tr import tckimlik
from stdnum.us import ssn as us_ssn
from stdnum.za import idnr as za_idnr

from bench.records import Prompt, Span

DIGITS = string.digits
UPPER = string.ascii_uppercase
Rng = random.Random


def _d(rng: Rng, n: int) -> str:
    return "".join(rng.choices(DIGITS, k=n))


def _birth(rng: Rng, first: int = 1940, last: int = 2004) -> date:
    return date(first, 1, 1) + timedelta(
        days=rng.randrange((date(last, 12, 31) - date(first, 1, 1)).days)
    )


def _until(rng: Rng, make: Callable[[Rng], str | None]) -> str:
    """Draw until the maker returns a value (makers return None when a draw has no check digit,
    such as mod-11 schemes whose remainder 10 is never issued)."""
    for _ in range(1000):
        value = make(rng)
        if value is not None:
            return value
    raise RuntimeError("no value in 1000 draws")


# --------------------------------------------------------------------------------------------
# Identifiers, one maker per family: body drawn at random, check digits computed.


def _at_svnr(rng: Rng) -> str | None:
    born = _birth(rng)
    number = rng.choice("123456789") + _d(rng, 2) + "0" + born.strftime("%d%m%y")
    check = vnr.calc_check_digit(number)
    if check == "10":
        return None
    return f"{number[:3]}{check} {number[4:]}"


def _be_nn(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    body = born.strftime("%y%m%d") + f"{rng.randint(1, 997):03d}"
    key = 97 - int(body) % 97
    return rng.choice(
        [f"{body[:2]}.{body[2:4]}.{body[4:6]}-{body[6:]}.{key:02d}", f"{body}{key:02d}"]
    )


def _bg_egn(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    month = born.month + (40 if born.year >= 2000 else 0)
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}" + _d(rng, 3)
    return body + egn.calc_check_digit(body)


def _hr_oib(rng: Rng) -> str:
    body = rng.choice("123456789") + _d(rng, 9)
    return body + mod_11_10.calc_check_digit(body)


def _cy_tic(rng: Rng) -> str:
    body = rng.choice("013459") + _d(rng, 7)
    if body.startswith("12"):
        body = "0" + body[1:]
    return body + cy_vat.calc_check_digit(body)


def _rodne_cislo(rng: Rng) -> str | None:
    born = _birth(rng, 1954, 2003)
    month = born.month + (50 if rng.random() < 0.5 else 0)
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}" + _d(rng, 3)
    check = int(body) % 11
    if check == 10:
        return None
    return f"{body[:6]}/{body[6:]}{check}"


def _dk_cpr(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    return born.strftime("%d%m%y") + "-" + rng.choice("0123") + _d(rng, 3)


def _ee_ik(rng: Rng, module: Any = ik) -> str:
    born = _birth(rng, 1940, 2004)
    century = (3 if born.year < 2000 else 5) + rng.randint(0, 1)
    body = f"{century}{born.strftime('%y%m%d')}{_d(rng, 3)}"
    return body + str(module.calc_check_digit(body + "0"))


def _lt_asmens(rng: Rng) -> str:
    return _ee_ik(rng, asmens)


def _fi_hetu(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    sign = "-" if born.year < 2000 else "A"
    serial = f"{rng.randint(2, 899):03d}"
    check = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(born.strftime("%d%m%y") + serial) % 31]
    return f"{born.strftime('%d%m%y')}{sign}{serial}{check}"


def _fr_nir(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    department = rng.choice(["75", "69", "13", "33", "59", "2A", "2B", f"{rng.randint(1, 95):02d}"])
    if department == "20":
        department = "21"
    body = rng.choice("12") + born.strftime("%y%m") + department + _d(rng, 3) + _d(rng, 3)
    key = nir.calc_check_digits(body)
    if rng.random() < 0.6:
        return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}"
    return body + key


def _fr_nif(rng: Rng) -> str:
    body = rng.choice("0123") + _d(rng, 9)
    number = body + fr_nif.calc_check_digits(body)
    return (
        f"{number[:2]} {number[2:4]} {number[4:7]} {number[7:10]} {number[10:]}"
        if rng.random() < 0.5
        else number
    )


def _fr_siren(rng: Rng) -> str:
    body = rng.choice("3456789") + _d(rng, 7)
    number = body + luhn.calc_check_digit(body)
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def _de_idnr(rng: Rng) -> str:
    while True:
        body = rng.sample("123456789", 1) + rng.sample(DIGITS, 8)
        if len(set(body)) != 9:
            continue
        twin = rng.choice(body)
        position = rng.randrange(1, 10)
        digits_ = [*body[:position], twin, *body[position:]]
        text = "".join(digits_)
        if any(text[i] == text[i + 1] for i in range(9)):
            continue
        number = text + mod_11_10.calc_check_digit(text)
        if idnr.is_valid(number):
            return (
                f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:]}"
                if rng.random() < 0.4
                else number
            )


def _gr_amka(rng: Rng) -> str:
    body = _birth(rng, 1940, 1999).strftime("%d%m%y") + _d(rng, 4)
    return body + luhn.calc_check_digit(body)


def _hu_adoazonosito(rng: Rng) -> str | None:
    born = _birth(rng, 1940, 2004)
    body = "8" + f"{(born - date(1867, 1, 1)).days:05d}" + _d(rng, 3)
    check = sum(int(d) * w for w, d in enumerate(body, 1)) % 11
    return None if check == 10 else body + str(check)


def _ie_pps(rng: Rng) -> str:
    body = _d(rng, 7)
    return body + ie_vat.calc_check_digit(body)


def _it_cf(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    day = born.day + (40 if rng.random() < 0.5 else 0)
    body = (
        "".join(rng.choices("BCDFGHLMNPRSTVZ", k=3))
        + "".join(rng.choices("BCDFGHLMNPRSTVZAEIOU", k=3))
        + born.strftime("%y")
        + "ABCDEHLMPRST"[born.month - 1]
        + f"{day:02d}"
        + rng.choice("ABCDEFGHLMZ")
        + _d(rng, 3)
    )
    return body + codicefiscale.calc_check_digit(body)


def _lv_personas_kods(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    body = born.strftime("%d%m%y") + "1" + _d(rng, 3)
    check = pvn.calc_check_digit_pers(body)
    return f"{body[:6]}-{body[6:]}{check}"


def _lu_matricule(rng: Rng) -> str:
    body = _birth(rng, 1940, 2004).strftime("%Y%m%d") + _d(rng, 3)
    return body + luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body)


def _mt_id_card(rng: Rng) -> str:
    return f"{rng.randint(1, 999999):07d}{rng.choice('MGAPLH')}"


def _nl_bsn(rng: Rng) -> str | None:
    body = rng.choice("123456789") + _d(rng, 7)
    total = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True))
    check = total % 11
    return None if check == 10 else body + str(check)


def _pl_pesel(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    month = born.month + (20 if born.year >= 2000 else 0)
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}" + _d(rng, 4)
    return body + pesel.calc_check_digit(body)


def _pl_nip(rng: Rng) -> str | None:
    body = rng.choice("123456789") + _d(rng, 8)
    check = sum(int(d) * w for d, w in zip(body, (6, 5, 7, 2, 3, 4, 5, 6, 7), strict=True)) % 11
    if check == 10:
        return None
    number = body + str(check)
    return (
        f"{number[:3]}-{number[3:6]}-{number[6:8]}-{number[8:]}" if rng.random() < 0.5 else number
    )


def _pt_nif(rng: Rng) -> str:
    body = rng.choice("123") + _d(rng, 7)
    return body + pt_nif.calc_check_digit(body)


def _ro_cnp(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    sex = rng.choice("12") if born.year < 2000 else rng.choice("56")
    body = sex + born.strftime("%y%m%d") + f"{rng.randint(1, 46):02d}" + _d(rng, 3)
    return body + cnp.calc_check_digit(body)


def _si_emso(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    body = born.strftime("%d%m") + f"{born.year % 1000:03d}" + "50" + _d(rng, 3)
    return body + emso.calc_check_digit(body)


def _se_personnummer(rng: Rng) -> str:
    born = _birth(rng, 1940, 2004)
    body = born.strftime("%y%m%d") + _d(rng, 3)
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


def _es_dni(rng: Rng) -> str:
    body = _d(rng, 8)
    return body + dni.calc_check_digit(body)


def _es_nie(rng: Rng) -> str:
    body = rng.choice("XYZ") + _d(rng, 7)
    return body + nie.calc_check_digit(body)


def _ch_ahv(rng: Rng) -> str:
    body = "756" + _d(rng, 9)
    number = body + ean.calc_check_digit(body)
    return f"{number[:3]}.{number[3:7]}.{number[7:11]}.{number[11:]}"


def _no_fodselsnummer(rng: Rng) -> str | None:
    born = _birth(rng, 1940, 1999)
    body = born.strftime("%d%m%y") + f"{rng.randint(0, 499):03d}"
    first = fodselsnummer.calc_check_digit1(body)
    if first == "10":
        return None
    second = fodselsnummer.calc_check_digit2(body + first)
    return None if second == "10" else body + first + second


def _gb_nino(rng: Rng) -> str:
    # HMRC's allocation facts: D F I Q U V never used, O never second, some prefixes never.
    while True:
        prefix = rng.choice("ABCEGHJKLMNOPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    number = _d(rng, 6)
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{prefix} {number[:2]} {number[2:4]} {number[4:]} {suffix}"
    return prefix + number + suffix


def _gb_utr(rng: Rng) -> str:
    body = _d(rng, 9)
    return utr.calc_check_digit(body) + body


def _gb_nhs(rng: Rng) -> str | None:
    body = rng.choice("456789") + _d(rng, 8)
    check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    if check == 10:
        return None
    number = body + str(check % 11)
    return f"{number[:3]} {number[3:6]} {number[6:]}" if rng.random() < 0.7 else number


def _gb_driving_licence(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    surname = "".join(rng.choices(UPPER, k=rng.randint(3, 5))).ljust(5, "9")
    month = born.month + (50 if rng.random() < 0.5 else 0)
    initials = rng.choice(UPPER) + rng.choice([rng.choice(UPPER), "9"])
    return (
        f"{surname}{str(born.year)[2]}{month:02d}{born.day:02d}{str(born.year)[3]}"
        f"{initials}9{rng.choice(UPPER)}{rng.choice(UPPER)}"
    )


def _us_ssn(rng: Rng) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    value = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
    return value if us_ssn.is_valid(value) else _us_ssn(rng)


def _us_ein(rng: Rng) -> str:
    return f"{rng.choice(['12', '20', '27', '45', '46', '52', '84', '94', '95'])}-{_d(rng, 7)}"


def _ca_sin(rng: Rng) -> str:
    body = rng.choice("1234567") + _d(rng, 7)
    number = body + luhn.calc_check_digit(body)
    return f"{number[:3]} {number[3:6]} {number[6:]}" if rng.random() < 0.5 else number


def _br_cpf(rng: Rng) -> str:
    body = _d(rng, 9)
    for length in (9, 10):
        total = sum(int(d) * w for d, w in zip(body, range(length + 1, 1, -1), strict=True))
        body += str(total * 10 % 11 % 10)
    return f"{body[:3]}.{body[3:6]}.{body[6:9]}-{body[9:]}" if rng.random() < 0.6 else body


def _in_aadhaar(rng: Rng) -> str:
    body = rng.choice("23456789") + _d(rng, 10)
    number = body + verhoeff.calc_check_digit(body)
    return f"{number[:4]} {number[4:8]} {number[8:]}"


def _in_pan(rng: Rng) -> str:
    return (
        "".join(rng.choices(UPPER, k=3))
        + "P"
        + rng.choice(UPPER)
        + f"{rng.randint(1, 9999):04d}"
        + rng.choice(UPPER)
    )


def _au_tfn(rng: Rng) -> str | None:
    body = _d(rng, 8)
    for last in DIGITS:
        if tfn.is_valid(body + last):
            number = body + last
            return f"{number[:3]} {number[3:6]} {number[6:]}"
    return None


def _jp_my_number(rng: Rng) -> str:
    body = _d(rng, 11)
    number = body + my_number.calc_check_digit(body)
    return f"{number[:4]} {number[4:8]} {number[8:]}"


def _kr_rrn(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    body = born.strftime("%y%m%d") + rng.choice("12") + f"{rng.randint(0, 95):02d}" + _d(rng, 3)
    return f"{body[:6]}-{body[6:]}{rrn.calc_check_digit(body)}"


def _nz_ird(rng: Rng) -> str | None:
    body = str(rng.randint(10_000_000, 14_999_999))
    check = ird.calc_check_digit(body)
    number = body + check
    if not ird.is_valid(number):
        return None
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def _za_id(rng: Rng) -> str:
    body = _birth(rng, 1940, 2004).strftime("%y%m%d") + _d(rng, 4) + "08"
    return body + luhn.calc_check_digit(body)


def _tr_tckimlik(rng: Rng) -> str:
    body = rng.choice("123456789") + _d(rng, 8)
    return body + tckimlik.calc_check_digits(body)


def _mx_curp(rng: Rng) -> str:
    born = _birth(rng, 1940, 1999)
    body = (
        rng.choice("BCDFGLMPRS")
        + rng.choice("AEIOU")
        + rng.choice("BCDFGLMPRS")
        + rng.choice("ABCDEFG")
        + born.strftime("%y%m%d")
        + rng.choice("HM")
        + rng.choice(["DF", "JC", "NL", "PL", "VZ", "GT"])
        + "".join(rng.choices("BCDFGHJKLMNPRSTVXZ", k=3))
        + "0"
    )
    return body + curp.calc_check_digit(body + "0")


def _mx_rfc(rng: Rng) -> str | None:
    born = _birth(rng, 1940, 1999)
    body = (
        rng.choice("BCDFGLMPRS")
        + rng.choice("AEIOU")
        + rng.choice("BCDFGLMPRS")
        + rng.choice("ABCDEFG")
        + born.strftime("%y%m%d")
        + rng.choice("123456789ABCDEFGHJKLMNPRSTUV")
        + rng.choice("123456789ABCDEFGHJKLMNPRSTUVWXYZ")
    )
    value = body + rfc.calc_check_digit(body)
    # stdnum refuses the initials that the SAT replaces (a list of offensive words)
    return value if rfc.is_valid(value, validate_check_digits=True) else None


def _ar_cuil(rng: Rng) -> str | None:
    body = rng.choice(["20", "27"]) + f"{rng.randint(10_000_000, 45_000_000)}"
    check = cuit.calc_check_digit(body)
    number = body + check
    if not cuit.is_valid(number):
        return None
    return f"{number[:2]}-{number[2:10]}-{number[10]}"


def _cl_rut(rng: Rng) -> str:
    body = str(rng.randint(5_000_000, 25_000_000))
    check = rut.calc_check_digit(body)
    return f"{body[:-6]}.{body[-6:-3]}.{body[-3:]}-{check}"


def _us_npi(rng: Rng) -> str:
    body = rng.choice("12") + _d(rng, 8)
    return body + luhn.calc_check_digit("80840" + body)


def _us_dea(rng: Rng) -> str:
    # DEA's published rule: (d1 + d3 + d5) + 2 * (d2 + d4 + d6), last digit.
    body = _d(rng, 6)
    d = [int(c) for c in body]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return rng.choice("ABFGM") + rng.choice(UPPER) + body + str(check)


def _us_mbi(rng: Rng) -> str:
    # CMS's published MBI format: no S, L, O, I, B, Z.
    letters = "ACDEFGHJKMNPQRTUVWXY"
    alnum = letters + DIGITS
    value = (
        rng.choice("123456789")
        + rng.choice(letters)
        + rng.choice(alnum)
        + rng.choice(DIGITS)
        + rng.choice(letters)
        + rng.choice(alnum)
        + rng.choice(DIGITS)
        + rng.choice(letters)
        + rng.choice(letters)
        + rng.choice(DIGITS)
        + rng.choice(DIGITS)
    )
    return f"{value[:4]}-{value[4:7]}-{value[7:]}" if rng.random() < 0.4 else value


def _de_kvnr(rng: Rng) -> str:
    # GKV-Spitzenverband's rule: letter as 01-26, weights 1, 2, 1, 2 ..., digit sums, mod 10.
    letter = rng.choice(UPPER)
    body = _d(rng, 8)
    expanded = f"{ord(letter) - 64:02d}" + body
    total = 0
    for position, ch in enumerate(expanded):
        product = int(ch) * (2 if position % 2 else 1)
        total += product // 10 + product % 10
    return letter + body + str(total % 10)


def _au_medicare(rng: Rng) -> str:
    body = rng.choice("23456") + _d(rng, 7)
    check = sum(int(d) * w for d, w in zip(body, (1, 3, 7, 9, 1, 3, 7, 9), strict=True)) % 10
    number = body + str(check) + rng.choice("123456789")
    return f"{number[:4]} {number[4:9]} {number[9]}"


def _ca_bc_phn(rng: Rng) -> str | None:
    body = _d(rng, 8)
    check = bc_phn.calc_check_digit(body)
    if len(check) != 1:
        return None
    number = "9" + body + check
    return f"{number[:4]} {number[4:7]} {number[7:]}"


_MRZ_VALUE = {ch: i for i, ch in enumerate(DIGITS + UPPER)} | {"<": 0}


def _mrz_digit(field: str) -> str:
    return str(sum(_MRZ_VALUE[ch] * (7, 3, 1)[i % 3] for i, ch in enumerate(field)) % 10)


def _passport_mrz(rng: Rng) -> str:
    """Line 2 of a TD3 passport MRZ (ICAO Doc 9303 part 4), check digits computed."""
    number = "".join(rng.choices(UPPER + DIGITS, k=9))
    born = _birth(rng, 1940, 2004).strftime("%y%m%d")
    expiry = f"{rng.randint(26, 35)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    optional = "<" * 14
    line = (
        number
        + _mrz_digit(number)
        + rng.choice(["FRA", "DEU", "GBR", "ITA", "ESP", "NLD", "USA"])
        + born
        + _mrz_digit(born)
        + rng.choice("MF")
        + expiry
        + _mrz_digit(expiry)
        + optional
        + "0"
    )
    return line + _mrz_digit(line[0:10] + line[13:20] + line[21:43])


def _passport_number(rng: Rng) -> str:
    """A passport number in one of the published national formats."""
    return rng.choice(
        [
            _d(rng, 2) + "".join(rng.choices(UPPER, k=2)) + _d(rng, 5),  # France
            rng.choice("CFGHJK")
            + "".join(rng.choices("CFGHJKLMNPRTVWXYZ0123456789", k=8)),  # Germany
            _d(rng, 9),  # United Kingdom, United States
            rng.choice(UPPER) + _d(rng, 7),  # India
            "".join(rng.choices(UPPER, k=2)) + _d(rng, 7),  # Italy
        ]
    )


# --------------------------------------------------------------------------------------------
# Families: how people name each identifier, in the country's language and in English/French.


@dataclass(frozen=True, slots=True)
class Family:
    kind: str
    category: str
    make: Callable[[Rng], str | None]
    # how a person labels the value, e.g. "PESEL", "numer PESEL" (any of them, at random)
    names: tuple[str, ...]
    check: Callable[[str], bool] | None = None  # None: no check digit, no broken decoy


def _stdnum_check(module) -> Callable[[str], bool]:
    return lambda value: bool(module.is_valid(value))


def _own_check(
    make_from_body: Callable[[str], str], body_length: int, strip: str = " .-/"
) -> Callable[[str], bool]:
    """A check for a hand-rule family: recompute the value from its body."""

    def check(value: str) -> bool:
        compact = "".join(ch for ch in value if ch not in strip)
        return make_from_body(compact[:body_length]) == compact

    return check


def _lu_from_body(body: str) -> str:
    return (
        body + luhn.calc_check_digit(body) + verhoeff.calc_check_digit(body)
        if body.isdigit()
        else ""
    )


def _hu_from_body(body: str) -> str:
    if not body.isdigit():
        return ""
    return body + str(sum(int(d) * w for w, d in enumerate(body, 1)) % 11)


def _medicare_check(value: str) -> bool:
    number = value.replace(" ", "")
    return sum(
        int(d) * w for d, w in zip(number[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True)
    ) % 10 == int(number[8])


def _kvnr_check(value: str) -> bool:
    expanded = f"{ord(value[0]) - 64:02d}" + value[1:9]
    total = sum(
        int(ch) * (2 if i % 2 else 1) // 10 + int(ch) * (2 if i % 2 else 1) % 10
        for i, ch in enumerate(expanded)
    )
    return total % 10 == int(value[9])


def _npi_check(value: str) -> bool:
    return luhn.is_valid("80840" + value)


def _dea_check(value: str) -> bool:
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


FAMILIES: tuple[Family, ...] = (
    Family(
        "national_id:AT",
        "pii",
        _at_svnr,
        ("Sozialversicherungsnummer", "SV-Nummer", "SVNR"),
        _stdnum_check(vnr),
    ),
    Family(
        "national_id:BE",
        "pii",
        _be_nn,
        ("numéro national", "rijksregisternummer", "NISS"),
        _stdnum_check(be_nn),
    ),
    Family("national_id:BG", "pii", _bg_egn, ("EGN", "ЕГН"), _stdnum_check(egn)),
    Family("national_id:HR", "pii", _hr_oib, ("OIB",), _stdnum_check(mod_11_10)),
    Family("tax_id:CY", "pii", _cy_tic, ("TIC", "tax identification code"), _stdnum_check(cy_vat)),
    Family(
        "national_id:CZ", "pii", _rodne_cislo, ("rodné číslo", "rodne cislo"), _stdnum_check(cz_rc)
    ),
    Family("national_id:SK", "pii", _rodne_cislo, ("rodné číslo",), _stdnum_check(sk_rc)),
    Family("national_id:DK", "pii", _dk_cpr, ("CPR-nummer", "CPR nr.", "CPR"), None),
    Family("national_id:EE", "pii", _ee_ik, ("isikukood",), _stdnum_check(ik)),
    Family("national_id:FI", "pii", _fi_hetu, ("henkilötunnus", "HETU"), _stdnum_check(hetu)),
    Family(
        "national_id:FR",
        "pii",
        _fr_nir,
        ("numéro de sécurité sociale", "NIR", "n° de sécu"),
        _stdnum_check(nir),
    ),
    Family(
        "tax_id:FR",
        "pii",
        _fr_nif,
        ("numéro fiscal", "numéro d'identification fiscale", "SPI"),
        _stdnum_check(fr_nif),
    ),
    Family("company_id:FR", "pii", _fr_siren, ("SIREN",), _stdnum_check(siren)),
    Family(
        "tax_id:DE",
        "pii",
        _de_idnr,
        ("Steuer-ID", "steuerliche Identifikationsnummer", "IdNr"),
        _stdnum_check(idnr),
    ),
    Family("national_id:GR", "pii", _gr_amka, ("AMKA", "ΑΜΚΑ"), _stdnum_check(amka)),  # noqa: RUF001 (Greek)
    Family(
        "tax_id:HU",
        "pii",
        _hu_adoazonosito,
        ("adóazonosító jel", "adóazonosító"),
        _own_check(_hu_from_body, 9),
    ),
    Family("national_id:IE", "pii", _ie_pps, ("PPS number", "PPSN"), _stdnum_check(pps)),
    Family("tax_id:IT", "pii", _it_cf, ("codice fiscale", "C.F."), _stdnum_check(codicefiscale)),
    Family("national_id:LV", "pii", _lv_personas_kods, ("personas kods",), _stdnum_check(pvn)),
    Family("national_id:LT", "pii", _lt_asmens, ("asmens kodas",), _stdnum_check(asmens)),
    Family(
        "national_id:LU",
        "pii",
        _lu_matricule,
        ("matricule", "numéro d'identification national"),
        _own_check(_lu_from_body, 11),
    ),
    Family("national_id:MT", "pii", _mt_id_card, ("ID card no.", "identity card number"), None),
    Family("national_id:NL", "pii", _nl_bsn, ("BSN", "burgerservicenummer"), _stdnum_check(bsn)),
    Family("national_id:PL", "pii", _pl_pesel, ("PESEL", "numer PESEL"), _stdnum_check(pesel)),
    Family("tax_id:PL", "pii", _pl_nip, ("NIP",), _stdnum_check(nip)),
    Family("tax_id:PT", "pii", _pt_nif, ("NIF", "número de contribuinte"), _stdnum_check(pt_nif)),
    Family("national_id:RO", "pii", _ro_cnp, ("CNP", "cod numeric personal"), _stdnum_check(cnp)),
    Family("national_id:SI", "pii", _si_emso, ("EMŠO", "EMSO"), _stdnum_check(emso)),
    Family("national_id:ES", "pii", _es_dni, ("DNI",), _stdnum_check(dni)),
    Family("national_id:ES-NIE", "pii", _es_nie, ("NIE",), _stdnum_check(nie)),
    Family(
        "national_id:SE", "pii", _se_personnummer, ("personnummer",), _stdnum_check(personnummer)
    ),
    Family(
        "national_id:GB", "pii", _gb_nino, ("National Insurance number", "NI number", "NINO"), None
    ),
    Family("tax_id:GB", "pii", _gb_utr, ("UTR", "Unique Taxpayer Reference"), _stdnum_check(utr)),
    Family(
        "driving_licence:GB",
        "pii",
        _gb_driving_licence,
        ("driving licence number", "driving licence no."),
        None,
    ),
    Family("national_id:US", "pii", _us_ssn, ("SSN", "social security number"), None),
    Family("tax_id:US", "pii", _us_ein, ("EIN", "employer identification number"), None),
    Family(
        "national_id:CA",
        "pii",
        _ca_sin,
        ("SIN", "social insurance number", "NAS"),
        _stdnum_check(sin),
    ),
    Family("national_id:BR", "pii", _br_cpf, ("CPF",), _stdnum_check(cpf)),
    Family(
        "national_id:IN", "pii", _in_aadhaar, ("Aadhaar", "Aadhaar number"), _stdnum_check(aadhaar)
    ),
    Family("tax_id:IN", "pii", _in_pan, ("PAN", "PAN card"), None),
    Family("tax_id:AU", "pii", _au_tfn, ("TFN", "tax file number"), _stdnum_check(tfn)),
    Family(
        "national_id:JP",
        "pii",
        _jp_my_number,
        ("My Number", "マイナンバー", "個人番号"),
        _stdnum_check(my_number),
    ),
    Family(
        "national_id:CH", "pii", _ch_ahv, ("AHV-Nummer", "numéro AVS", "AHV"), _stdnum_check(ch_ssn)
    ),
    Family(
        "national_id:NO",
        "pii",
        _no_fodselsnummer,
        ("fødselsnummer", "personnummer"),
        _stdnum_check(fodselsnummer),
    ),
    Family("national_id:MX", "pii", _mx_curp, ("CURP",), _stdnum_check(curp)),
    Family("tax_id:MX", "pii", _mx_rfc, ("RFC",), None),
    Family("tax_id:AR", "pii", _ar_cuil, ("CUIL", "CUIT"), _stdnum_check(cuit)),
    Family("national_id:CL", "pii", _cl_rut, ("RUT", "RUN"), _stdnum_check(rut)),
    Family(
        "national_id:ZA", "pii", _za_id, ("ID number", "identity number"), _stdnum_check(za_idnr)
    ),
    Family(
        "national_id:KR",
        "pii",
        _kr_rrn,
        ("resident registration number", "주민등록번호", "RRN"),
        _stdnum_check(rrn),
    ),
    Family(
        "national_id:TR",
        "pii",
        _tr_tckimlik,
        ("TC Kimlik No", "T.C. Kimlik No."),
        _stdnum_check(tckimlik),
    ),
    Family("tax_id:NZ", "pii", _nz_ird, ("IRD number",), _stdnum_check(ird)),
    Family(
        "passport",
        "pii",
        _passport_number,
        ("passport number", "passport no.", "numéro de passeport", "Reisepassnummer"),
        None,
    ),
    Family("passport_mrz", "pii", _passport_mrz, ("MRZ",), None),
    Family("health_id:US-NPI", "health", _us_npi, ("NPI",), _npi_check),
    Family("health_id:US-DEA", "health", _us_dea, ("DEA number", "DEA #"), _dea_check),
    Family("health_id:US-MBI", "health", _us_mbi, ("MBI", "Medicare Beneficiary Identifier"), None),
    Family(
        "health_id:DE-KVNR", "health", _de_kvnr, ("Krankenversichertennummer", "KVNR"), _kvnr_check
    ),
    Family("health_id:GB-NHS", "health", _gb_nhs, ("NHS number", "NHS No"), _stdnum_check(nhs)),
    Family(
        "health_id:AU-Medicare",
        "health",
        _au_medicare,
        ("Medicare card number", "Medicare number"),
        _medicare_check,
    ),
    Family(
        "health_id:CA-BC-PHN",
        "health",
        _ca_bc_phn,
        ("PHN", "personal health number"),
        _stdnum_check(bc_phn),
    ),
)


def _value(rng: Rng, family: Family) -> str:
    value = _until(rng, family.make)
    return value


def _broken(rng: Rng, family: Family, value: str) -> str | None:
    """The value with one digit changed so that its own check fails (None: no check)."""
    if family.check is None:
        return None
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    rng.shuffle(positions)
    for i in positions:
        for digit in rng.sample(DIGITS, 10):
            candidate = value[:i] + digit + value[i + 1 :]
            if candidate != value and not family.check(candidate):
                return candidate
    return None


# --------------------------------------------------------------------------------------------
# Other personal and financial values


_PHONE_REGIONS = ("FR", "GB", "DE", "ES", "IT", "BE", "NL", "PL", "SE", "CH", "BR", "IN", "JP",
                  "AU", "CA", "PT", "IE", "AT", "MX", "ZA")  # fmt: skip
_PHONE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)


def _phone(rng: Rng, national: bool = False) -> str:
    """libphonenumber's example number of a region, its last digits varied while the number
    stays valid for phonenumbers itself; written with +country code (or nationally)."""
    region = rng.choice(("FR", "GB", "DE", "ES", "IT") if national else _PHONE_REGIONS)
    example = phonenumbers.example_number_for_type(region, rng.choice(_PHONE_TYPES))
    assert example is not None and example.national_number is not None
    for _ in range(50):
        text = str(example.national_number)
        text = text[:-3] + _d(rng, 3)
        number = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int(text)
        )
        if phonenumbers.is_valid_number(number):
            break
    else:
        number = example
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def _fiction_phone(rng: Rng) -> str:
    """NANPA's 555-0100..0199 range, set aside for fiction (phonenumbers' own US example)."""
    return f"+1 {rng.choice(['201', '212', '415', '617'])}-555-01{_d(rng, 2)}"


_FIRST = (
    "Marie", "Lucas", "Emma", "Hugo", "Anna", "Jonas", "Sofia", "Liam", "Chloé", "Noah",
    "Olivia", "Mateo", "Aisha", "Kenji", "Priya", "Lars", "Ines", "Tomasz", "Elena", "Omar",
)  # fmt: skip
_LAST = (
    "Dupont", "Martin", "Schmidt", "Rossi", "García", "Nowak", "Jensen", "Silva", "Smith",
    "Kowalski", "Novak", "Papadopoulos", "Horvat", "Tanaka", "Müller", "Bernard", "Ivanova",
)  # fmt: skip
_DOMAINS = ("gmail.com", "orange.fr", "free.fr", "outlook.com", "acme-corp.com", "kestrel.io",
            "laposte.net", "web.de", "yahoo.co.uk", "protonmail.com")  # fmt: skip


def _person(rng: Rng) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _email(rng: Rng) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    fold = str.maketrans("éüí", "eui")
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"])
    return f"{local.lower().translate(fold)}@{rng.choice(_DOMAINS)}"


def _public_ip(rng: Rng) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24))
        text = str(address)
        if (
            address.is_global
            and not address.is_multicast
            and not text.endswith(".0")
            and text not in {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9"}
        ):
            return text


def _public_ipv6(rng: Rng) -> str:
    prefix = rng.choice(["2a01:e0a", "2a01:cb08", "2001:41d0", "2600:1f18", "2a02:8108"])
    groups = [f"{rng.randrange(1, 0xFFFF):x}" for _ in range(4)]
    return f"{prefix}:{groups[0]}:{groups[1]}::{groups[2]}:{groups[3]}"


# Private, loopback, link-local, shared and documentation addresses: not personal data.
_NON_PUBLIC = (
    "10.{a}.{b}.{c}", "192.168.{a}.{c}", "172.{s}.{b}.{c}", "127.0.0.1", "169.254.{a}.{c}",
    "192.0.2.{c}", "198.51.100.{c}", "203.0.113.{c}", "100.64.{a}.{c}",
)  # fmt: skip


def _private_ip(rng: Rng) -> str:
    return rng.choice(_NON_PUBLIC).format(
        a=rng.randint(0, 255), b=rng.randint(0, 255), c=rng.randint(1, 254), s=rng.randint(16, 31)
    )


_IBAN_BBAN = {"FR": 23, "DE": 18, "ES": 20, "IT": None, "NL": None, "BE": 12, "PT": 21, "AT": 16}


def _iban(rng: Rng) -> str:
    country = rng.choice(list(_IBAN_BBAN))
    if country == "IT":
        bban = rng.choice(UPPER) + _d(rng, 10) + _d(rng, 12)
    elif country == "NL":
        bban = rng.choice(["ABNA", "INGB", "RABO"]) + _d(rng, 10)
    else:
        bban = _d(rng, _IBAN_BBAN[country] or 0)
    check = iban.calc_check_digits(country + "00" + bban)
    number = country + check + bban
    if rng.random() < 0.7:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def _broken_iban(rng: Rng) -> str:
    value = _iban(rng)
    compact = value.replace(" ", "")
    for _ in range(100):
        i = rng.randrange(4, len(compact))
        if not compact[i].isdigit():
            continue
        candidate = compact[:i] + str((int(compact[i]) + rng.randint(1, 9)) % 10) + compact[i + 1 :]
        if not iban.is_valid(candidate):
            return " ".join(candidate[j : j + 4] for j in range(0, len(candidate), 4))
    raise RuntimeError("cannot break an IBAN")


def _card(rng: Rng, valid: bool = True) -> str:
    prefix = rng.choice(["4", "51", "52", "55", "2221", "6011"])
    body = prefix + _d(rng, 15 - len(prefix))
    check = luhn.calc_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    number = body + check
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _isbn(rng: Rng) -> str:
    body = "978" + rng.choice(["2", "3", "0", "1"]) + _d(rng, 8)
    number = body + ean.calc_check_digit(body)
    return f"{number[:3]}-{number[3]}-{number[4:8]}-{number[8:12]}-{number[12]}"


def _date(rng: Rng) -> str:
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
    return rng.choice([day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d.%m.%Y")])


def _price(rng: Rng, french: bool) -> str:
    amount = rng.randint(100, 999_999) / 100
    if french:
        return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")
    return f"${amount:,.2f}"


def _order(rng: Rng) -> str:
    return rng.choice(
        [_d(rng, rng.randint(8, 12)), f"{rng.choice(['CMD', 'ORD', 'PO'])}-{_d(rng, 6)}"]
    )


def _tracking(rng: Rng) -> str:
    return rng.choice(
        ["1Z" + "".join(rng.choices(UPPER + DIGITS, k=16)), "JD" + _d(rng, 18), _d(rng, 22)]
    )


# Confidentiality markings of the four languages the catalogue covers (EN, FR, DE, ES).
_MARKINGS = {
    "en": ("STRICTLY CONFIDENTIAL", "Internal use only", "Confidential - do not distribute",
           "PRIVATE & CONFIDENTIAL", "Not for external distribution"),
    "fr": ("STRICTEMENT CONFIDENTIEL", "Diffusion restreinte", "Usage interne uniquement",
           "Confidentiel – ne pas diffuser"),  # noqa: RUF001 (en dash, as typed)
    "de": ("STRENG VERTRAULICH", "Nur für den internen Gebrauch",
           "Vertraulich – nicht weitergeben"),  # noqa: RUF001 (en dash, as typed)
    "es": ("ESTRICTAMENTE CONFIDENCIAL", "Solo para uso interno", "Confidencial - no distribuir"),
}  # fmt: skip
_MARKING_BODY = {
    "en": "Q3 revenue came in at 4.2M, below plan; the Falcon launch slips to spring.",
    "fr": "Le chiffre d'affaires du T3 est de 4,2 M€, sous le budget ; le lancement glisse.",
    "de": "Der Umsatz im dritten Quartal lag bei 4,2 Mio. EUR, unter Plan.",
    "es": "Los ingresos del tercer trimestre fueron de 4,2 M EUR, por debajo del plan.",
}
_MARKING_ASK = {
    "en": "Summarise this for the board deck:",
    "fr": "Résume ce document pour le comité :",
    "de": "Fasse das für den Vorstand zusammen:",
    "es": "Resume esto para el comité:",
}
# Talk about confidentiality, not a marking.
_MARKING_DECOYS = (
    "How does confidential computing protect data in use?",
    "Is this information confidential or can I post it on our blog?",
    "Qu'est-ce que l'informatique confidentielle ?",
    "Was bedeutet vertraulich im Datenschutz?",
)


# --------------------------------------------------------------------------------------------
# Prompt assembly


class _Writer:
    """Text with the spans of what was planted in it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.labels: list[Span] = []
        self.decoys: list[Span] = []

    def text(self, part: str) -> None:
        self.parts.append(part)
        self.length += len(part)

    def plant(self, value: str, category: str, kind: str) -> None:
        span = Span(self.length, self.length + len(value), category, kind)
        (self.labels if category else self.decoys).append(span)
        self.text(value)

    def prompt(self, prompt_id: str) -> Prompt:
        return Prompt(prompt_id, "".join(self.parts), self.labels, self.decoys)


def _id_line(w: _Writer, rng: Rng, family: Family, value: str, french: bool, category: str) -> None:
    """One identifier written the ways people write them, its name before or after it."""
    name = rng.choice(family.names)
    kind = family.kind
    frames = (
        [("{n} : ", ""), ("mon {n} est le ", "."), ("", " ({n})"), ("Voici mon {n} : ", ", merci.")]
        if french
        else [("{n}: ", ""), ("my {n} is ", "."), ("", " ({n})"), ("{n} ", " on file")]
    )
    before, after = rng.choice(frames)
    w.text(before.format(n=name))
    w.plant(value, category, kind)
    w.text(after.format(n=name))


def _decoy_lines(w: _Writer, rng: Rng, french: bool) -> None:
    choices: list[Callable[[], tuple[str, str, str]]] = [
        lambda: (("Commande n° " if french else "Order #"), _order(rng), "order_number"),
        lambda: (("Date de livraison : " if french else "Delivery date: "), _date(rng), "date"),
        lambda: (("Montant : " if french else "Amount: "), _price(rng, french), "price"),
        lambda: (("Suivi colis : " if french else "Tracking: "), _tracking(rng), "tracking_id"),
        lambda: ("ISBN ", _isbn(rng), "isbn"),
        lambda: (
            ("Facture n° " if french else "Invoice no. "),
            rng.choice("04") + _d(rng, 9),
            "invoice_number",
        ),
        lambda: (("Serveur interne " if french else "internal host "), _private_ip(rng), "ip"),
    ]
    for make in rng.sample(choices, rng.randint(1, 3)):
        label, value, kind = make()
        w.text(label)
        w.plant(value, "", kind)
        w.text("\n")


_INTRO_EN = ("Can you summarise this HR note for the onboarding checklist?",
             "Please rewrite this e-mail so it sounds more professional:",
             "Fill in the form below from these details:",
             "Translate this record into French:")  # fmt: skip
_INTRO_FR = ("Peux-tu résumer cette note RH pour la checklist d'arrivée ?",
             "Reformule ce courriel de façon plus professionnelle :",
             "Remplis le formulaire à partir de ces informations :",
             "Traduis cette fiche en anglais :")  # fmt: skip


def _order_like(rng: Rng, family: Family, length: int) -> str:
    """Random digits of an identifier's length that its own check refuses."""
    while True:
        number = rng.choice("123456789") + _d(rng, length - 1)
        if family.check is None or not family.check(number):
            return number


def _identifier_prompt(rng: Rng, family: Family, french: bool) -> _Writer:
    w = _Writer()
    w.text(rng.choice(_INTRO_FR if french else _INTRO_EN) + "\n\n")
    w.text(("Nom : " if french else "Name: ") + _person(rng) + "\n")
    value = _value(rng, family)
    style = rng.random()
    if style < 0.15:  # a JSON or YAML record
        key = rng.choice(family.names)
        if rng.random() < 0.5:
            w.text(f'{{"name": "{_person(rng)}", "{key}": "')
            w.plant(value, family.category, family.kind)
            w.text('"}\n')
        else:
            w.text(f"employee:\n  {key}: ")
            w.plant(value, family.category, family.kind)
            w.text("\n")
    elif style < 0.3:  # a table export: only the header names the column
        _id_table(w, rng, family, value)
    else:
        _id_line(w, rng, family, value, french, family.category)
        w.text("\n")
    if rng.random() < 0.5:
        w.text("Courriel : " if french else "Email: ")
        w.plant(_email(rng), "pii", "email")
        w.text("\n")
    if rng.random() < 0.4:
        w.text("Tél. : " if french else "Phone: ")
        w.plant(_phone(rng), "pii", "phone")
        w.text("\n")
    broken = _broken(rng, family, _value(rng, family)) if rng.random() < 0.6 else None
    if broken is not None:
        name = rng.choice(family.names)
        w.text(f"Ancien {name} : " if french else f"Old {name}: ")
        w.plant(broken, "", family.kind)
        w.text(" (refusé, clé invalide)\n" if french else " (rejected, bad check digit)\n")
    elif value.replace(" ", "").isdigit() and rng.random() < 0.5:
        # an order number of the identifier's length that fails its check: a hard negative
        w.text("Commande n° " if french else "Order #")
        w.plant(_order_like(rng, family, len(value.replace(" ", ""))), "", family.kind)
        w.text(" expédiée.\n" if french else " shipped.\n")
    _decoy_lines(w, rng, french)
    return w


def _id_table(w: _Writer, rng: Rng, family: Family, value: str) -> None:
    """A CSV, TSV or semicolon export whose header names the identifier's column, as people
    name columns (`pps_number`, `PESEL`), beside an order-number column of the same length."""
    delimiter = rng.choice([",", ";", "\t"])
    name = rng.choice(family.names)
    if rng.random() < 0.5:
        name = name.replace(" ", "_").lower()
    digits = value.replace(" ", "").isdigit()
    w.text(delimiter.join(["customer", name, "order_id" if digits else "city"]) + "\n")
    for row in range(rng.randint(3, 6)):
        w.text(_person(rng) + delimiter)
        w.plant(value if row == 0 else _value(rng, family), family.category, family.kind)
        w.text(delimiter)
        if digits:
            w.plant(_order_like(rng, family, len(value.replace(" ", ""))), "", family.kind)
        else:
            w.text(rng.choice(["Lyon", "Porto", "Gdansk", "Leeds"]))
        w.text("\n")


def _contact_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    w.text("Réponds à ce client :\n\n" if french else "Draft a reply to this customer:\n\n")
    w.text("Bonjour, je n'arrive pas à payer. " if french else "Hi, my payment keeps failing. ")
    w.text("Ma carte " if french else "My card ")
    w.plant(_card(rng), "financial", "card")
    w.text(" a été débitée deux fois. Mon IBAN : " if french else " was charged twice. My IBAN is ")
    w.plant(_iban(rng), "financial", "iban")
    w.text(". Rappelez-moi au " if french else ". Call me back on ")
    w.plant(_phone(rng, national=rng.random() < 0.4), "pii", "phone")
    w.text(" ou écrivez à " if french else " or write to ")
    w.plant(_email(rng), "pii", "email")
    w.text(".\n")
    if rng.random() < 0.5:
        w.text("L'ancienne carte " if french else "The old card ")
        w.plant(_card(rng, valid=False), "", "card")
        w.text(" et l'IBAN " if french else " and the IBAN ")
        w.plant(_broken_iban(rng), "", "iban")
        w.text(" ne marchent plus.\n" if french else " no longer work.\n")
    if rng.random() < 0.4:
        w.text("(Dans le film, on appelle le " if french else "(In the film they call ")
        w.plant(_fiction_phone(rng), "", "phone")
        w.text(".)\n")
    _decoy_lines(w, rng, french)
    return w


def _log_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    w.text("Pourquoi ces connexions échouent ?\n\n" if french else "Why do these logins fail?\n\n")
    for _ in range(rng.randint(2, 4)):
        clock = f"0{rng.randint(0, 9)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}"
        stamp = f"May {rng.randint(10, 28)} {clock}"
        public = rng.random() < 0.6
        w.text(f"{stamp} web01 sshd[{rng.randint(1000, 9999)}]: Failed password for root from ")
        if public:
            w.plant(_public_ip(rng), "pii", "ip")
        else:
            w.plant(_private_ip(rng), "", "ip")
        w.text(f" port {rng.randint(1024, 65000)} ssh2\n")
    w.plant(_public_ip(rng), "pii", "ip")
    w.text(f' - - [14/May/2024:03:12:55 +0000] "GET /login HTTP/1.1" 401 {rng.randint(200, 900)}\n')
    if rng.random() < 0.5:
        w.text("nginx: connect() failed, client: ")
        w.plant(_public_ipv6(rng), "pii", "ip")
        w.text(", server: shop\n")
    w.text("upgraded to 5.0.9.5 yesterday\n")
    return w


def _shell_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    w.text("Explique cet historique shell :\n\n" if french else "Explain this shell history:\n\n")
    w.text("  501  ssh deploy@")
    w.plant(_public_ip(rng), "pii", "ip")
    w.text("\n  502  ping -c 3 ")
    w.plant(_private_ip(rng), "", "ip")
    w.text("\n  503  git log --author=")
    w.plant(_email(rng), "pii", "email")
    w.text(f"\n  504  curl -s https://api.example.com/orders/{_d(rng, 8)}\n  505  history | tail\n")
    return w


def _env_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    w.text("Corrige ce fichier .env :\n\n" if french else "Fix this .env file:\n\n")
    w.text("ADMIN_EMAIL=")
    w.plant(_email(rng), "pii", "email")
    w.text("\nALLOWED_IP=")
    w.plant(_public_ip(rng), "pii", "ip")
    w.text("\nDB_HOST=")
    w.plant(_private_ip(rng), "", "ip")
    w.text("\nPAYOUT_IBAN=")
    w.plant(_iban(rng), "financial", "iban")
    w.text("\nSUPPORT_PHONE=")
    w.plant(_phone(rng), "pii", "phone")
    w.text(f"\nAPP_VERSION=5.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(1, 9)}\n")
    w.text(f"INVOICE_START={_d(rng, 10)}\n")
    return w


def _csv_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    w.text("Dédoublonne cet export CSV :\n\n" if french else "Deduplicate this CSV export:\n\n")
    w.text("name,email,phone,order_id,amount\n")
    for _ in range(rng.randint(3, 6)):
        w.text(_person(rng) + ",")
        w.plant(_email(rng), "pii", "email")
        w.text(",")
        w.plant(_phone(rng), "pii", "phone")
        w.text(",")
        w.plant(_d(rng, 9), "", "order_number")
        w.text(f",{rng.randint(10, 999)}.{_d(rng, 2)}\n")
    return w


def _marking_prompt(rng: Rng, french: bool) -> _Writer:
    w = _Writer()
    language = rng.choice(["fr", "de", "es"] if french else ["en", "de", "es"])
    w.text(_MARKING_ASK[language] + "\n\n")
    w.plant(rng.choice(_MARKINGS[language]), "confidential", "marking")
    w.text("\n" + _MARKING_BODY[language] + "\n")
    if rng.random() < 0.5:
        w.text("\n" + rng.choice(_MARKING_DECOYS) + "\n")
    return w


def _health_prompt(rng: Rng, family: Family, french: bool) -> _Writer:
    w = _Writer()
    w.text("Résume ce courrier médical :\n\n" if french else "Summarise this referral letter:\n\n")
    w.text(("Patient : " if french else "Patient: ") + _person(rng) + "\n")
    _id_line(w, rng, family, _value(rng, family), french, family.category)
    w.text("\n")
    broken = _broken(rng, family, _value(rng, family))
    if broken is not None and rng.random() < 0.6:
        name = rng.choice(family.names)
        w.text(f"{name} précédent (erroné) : " if french else f"Previous {name} (typo): ")
        w.plant(broken, "", family.kind)
        w.text("\n")
    w.text("Allergies : aucune.\n" if french else "Allergies: none.\n")
    _decoy_lines(w, rng, french)
    return w


PER_FAMILY = 40
OTHER_PROMPTS = 400


def prompts(seed: int) -> list[Prompt]:
    """The corpus for one seed: PER_FAMILY prompts per identifier family, then contact,
    log, shell, .env, CSV and marking prompts; half of each in French."""
    rng = random.Random(seed)
    writers: list[_Writer] = []
    for family in FAMILIES:
        for i in range(PER_FAMILY):
            french = i % 2 == 1
            if family.category == "health":
                writers.append(_health_prompt(rng, family, french))
            else:
                writers.append(_identifier_prompt(rng, family, french))
    others: Sequence[Callable[[Rng, bool], _Writer]] = (
        _contact_prompt, _log_prompt, _shell_prompt, _env_prompt, _csv_prompt, _marking_prompt,
    )  # fmt: skip
    for i in range(OTHER_PROMPTS):
        writers.append(others[i % len(others)](rng, i % 2 == 1))
    return [w.prompt(f"independent-pii-{seed}-{i}") for i, w in enumerate(writers)]
