"""Checksum and structure validators, one per identifier, applied to candidate values.

Each validator takes the matched value as written (it may hold spaces, dashes or dots) and
returns True when the value is well-formed. They are registered by name in REGISTRY so rule
files can refer to them. None raises on malformed input: it returns False.

National identifiers, tax and health numbers are checked by python-stdnum, which implements
their published check-digit algorithms and embedded-date rules; a validator here only adds what
stdnum does not check (an unissued range, a restriction that makes a bare pattern hit less
likely) and says so. Where stdnum has no module for an identifier (UK National Insurance, German
KVNR, US DEA, Hungarian tax id, Luxembourg matricule, ICAO passport lines...), the function is
written from the published rule named in its docstring, with stdnum's generic algorithms (Luhn,
Verhoeff, ISO 7064) where the rule uses them. Each stdnum module is imported once, here.
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
from stdnum import ean, iban, verhoeff
from stdnum import luhn as stdnum_luhn
from stdnum.ar import cuit as _ar_cuit
from stdnum.at import vnr as _at_vnr
from stdnum.au import tfn as _au_tfn
from stdnum.be import bis as _be_bis
from stdnum.be import nn as _be_nn
from stdnum.bg import egn as _bg_egn
from stdnum.br import cpf as _br_cpf
from stdnum.ca import bc_phn as _ca_bc_phn
from stdnum.ca import sin as _ca_sin
from stdnum.ch import ssn as _ch_ssn
from stdnum.cl import rut as _cl_rut
from stdnum.cy import vat as _cy_vat
from stdnum.cz import rc as _cz_rc
from stdnum.de import idnr as _de_idnr
from stdnum.dk import cpr as _dk_cpr
from stdnum.ee import ik as _ee_ik
from stdnum.es import dni as _es_dni
from stdnum.es import nie as _es_nie
from stdnum.fi import hetu as _fi_hetu
from stdnum.fr import nif as _fr_nif
from stdnum.fr import nir as _fr_nir
from stdnum.fr import siren as _fr_siren
from stdnum.fr import siret as _fr_siret
from stdnum.gb import nhs as _gb_nhs
from stdnum.gb import utr as _gb_utr
from stdnum.gr import amka as _gr_amka
from stdnum.hr import oib as _hr_oib
from stdnum.ie import pps as _ie_pps
from stdnum.in_ import aadhaar as _in_aadhaar
from stdnum.in_ import pan as _in_pan
from stdnum.it import codicefiscale as _it_codicefiscale
from stdnum.jp import in_ as _jp_in
from stdnum.kr import rrn as _kr_rrn
from stdnum.lt import asmens as _lt_asmens
from stdnum.lv import pvn as _lv_pvn
from stdnum.mx import curp as _mx_curp
from stdnum.mx import rfc as _mx_rfc
from stdnum.nl import bsn as _nl_bsn
from stdnum.no import fodselsnummer as _no_fodselsnummer
from stdnum.nz import ird as _nz_ird
from stdnum.pl import nip as _pl_nip
from stdnum.pl import pesel as _pl_pesel
from stdnum.pt import nif as _pt_nif
from stdnum.ro import cnp as _ro_cnp
from stdnum.se import personnummer as _se_personnummer
from stdnum.si import emso as _si_emso
from stdnum.tr import tckimlik as _tr_tckimlik
from stdnum.us import ein as _us_ein
from stdnum.us import rtn as _us_rtn
from stdnum.us import ssn as _us_ssn
from stdnum.za import idnr as _za_idnr

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


def _repeated(number: str) -> bool:
    """One digit repeated: passes several checksums (all zeros, 11111111111), never issued."""
    return len(set(number)) < 2


@register
def luhn(value: str) -> bool:
    """Payment cards and other Luhn-checked numbers: at least 12 digits, Luhn sum valid.

    Thirteen digits are a legacy Visa number only when they are not also a valid GS1 barcode
    (EAN-13): one barcode in ten passes Luhn, and German products' codes start with 4 like a
    Visa; a real 13-digit Visa number is lost one time in ten.
    """
    number = digits(value)
    if len(number) < 12 or _repeated(number):
        return False
    if len(number) == 13 and ean.is_valid(number):
        return False
    return stdnum_luhn.is_valid(number)


@register
def iban_mod97(value: str) -> bool:
    """ISO 13616 IBAN: stdnum checks the ISO 7064 MOD 97-10 check digits and the country's
    BBAN structure and length from the IBAN registry (national checks inside the BBAN, such as
    the French RIB key, are not required: a pasted IBAN is personal data either way).

    Letters count in either case: a lower-cased IBAN (fr76 3000 ...) is the same account.
    """
    return iban.is_valid(_compact(value), check_country=False)


# --- United States ------------------------------------------------------------------------


@register
def us_ssn(value: str) -> bool:
    """US Social Security number (SSA randomisation rules, 2011), by stdnum.us.ssn: area not
    000, 666 or 9xx, group not 00, serial not 0000, and the numbers the SSA voided after they
    appeared in advertising (078-05-1120 ...)."""
    number = digits(value)
    return len(number) == 9 and _us_ssn.is_valid(number)


@register
def us_itin(value: str) -> bool:
    """US Individual Taxpayer Identification Number (IRS structure).

    Nine digits 9XX-GG-SSSS whose group (4th and 5th digits) is in 50-65, 70-88, 90-92 or
    94-99; serial not 0000. Written here: stdnum.us.itin's group list predates the IRS's
    50-65 range (2011) and would miss those numbers.
    """
    number = digits(value)
    if len(number) != 9 or number[0] != "9" or number[5:] == "0000":
        return False
    group = int(number[3:5])
    return 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99


@register
def us_ein(value: str) -> bool:
    """US Employer Identification Number (IRS): 9 digits XX-XXXXXXX whose prefix is one the
    IRS assigns to a campus (stdnum.us.ein); no check digit exists."""
    number = digits(value)
    return len(number) == 9 and _us_ein.is_valid(f"{number[:2]}-{number[2:]}")


@register
def us_aba_routing(value: str) -> bool:
    """US ABA routing transit number (American Bankers Association; Fed Regulation CC).

    The 3-7-1 check digit by stdnum.us.rtn; the first two digits must also be a Federal
    Reserve routing symbol, which stdnum does not check: 00 (US Government), 01-12 (banks),
    21-32 (thrifts), 61-72 (electronic) or 80 (traveller's cheques).
    """
    number = digits(value)
    if len(number) != 9 or _repeated(number):
        return False
    prefix = int(number[:2])
    if not (prefix <= 12 or 21 <= prefix <= 32 or 61 <= prefix <= 72 or prefix == 80):
        return False
    return _us_rtn.is_valid(number)


@register
def us_npi(value: str) -> bool:
    """US National Provider Identifier (CMS, 45 CFR 162.406): 10 digits starting 1 or 2.

    The tenth digit is a Luhn check digit computed over the nine others prefixed with 80840,
    the ISO 7812 issuer prefix of the US health industry. stdnum has no NPI module; its Luhn
    does the arithmetic.
    """
    number = digits(value)
    return len(number) == 10 and number[0] in "12" and stdnum_luhn.is_valid("80840" + number)


@register
def de_kvnr(value: str) -> bool:
    """German health insurance number (Krankenversichertennummer, unchangeable part).

    A capital letter, eight digits and a check digit: the letter becomes its two-digit
    position in the alphabet (A=01 ... Z=26); those two digits and the next eight are weighted
    1, 2, 1, 2 ..., the digits of each product are added, and the sum's last digit is the
    check digit. Written here: stdnum has no KVNR module, and the weighting (from the left,
    the sum itself as check digit) is not Luhn's.
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
    """French RPPS number of a health professional: 11 digits, Luhn check digit (stdnum's
    Luhn; stdnum has no RPPS module)."""
    number = digits(value)
    return len(number) == 11 and not _repeated(number) and stdnum_luhn.is_valid(number)


_DEA = re.compile(r"[A-Z][A-Z9]\d{7}")
# First letter: the registrant type (A, B, F, G practitioners and hospitals, M mid-level
# practitioners, P-U and X others); the DEA never issues I, N, O, V, W, Y, Z.
_DEA_TYPES = frozenset("ABCDEFGHJKLMPRSTUX")


@register
def us_dea(value: str) -> bool:
    """US DEA registration number (Drug Enforcement Administration): 2 letters, 7 digits.

    Registrant type letter, the first letter of the registrant's surname (or 9), then six
    digits and a check digit: the last digit of (d1 + d3 + d5) + 2 * (d2 + d4 + d6). Written
    here: stdnum has no DEA module.
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

    stdnum.fr.nir checks the key (97 - n mod 97, Corsica's 2A/2B read as 19/18). Added here,
    INSEE's structure that stdnum leaves out: sex 1/2 (3/4, 7/8 for provisional numbers) and
    month 01-12, 20, 30-42 or 50-99 (unknown).
    """
    nir = _compact(value)
    if len(nir) != 15 or nir[0] not in "123478" or not nir[3:5].isdigit():
        return False
    month = int(nir[3:5])
    if not (1 <= month <= 12 or month == 20 or 30 <= month <= 42 or month >= 50):
        return False
    return _fr_nir.is_valid(nir)


@register
def fr_nif(value: str) -> bool:
    """French tax number of a person (numéro fiscal, SPI): 13 digits starting 0-3, the last
    three a check on the first ten (stdnum.fr.nif)."""
    number = digits(value)
    return len(number) == 13 and _fr_nif.is_valid(number)


@register
def fr_siren(value: str) -> bool:
    """French company number SIREN (INSEE): 9 digits with a Luhn check digit (stdnum)."""
    number = digits(value)
    return len(number) == 9 and not _repeated(number) and _fr_siren.is_valid(number)


@register
def fr_siret(value: str) -> bool:
    """French establishment number SIRET (INSEE): SIREN + 5-digit NIC, Luhn over the 14
    digits, or for La Poste's establishments (SIREN 356 000 000) a digit sum that is a
    multiple of 5 (stdnum.fr.siret)."""
    number = digits(value)
    return len(number) == 14 and _fr_siret.is_valid(number)


# --- United Kingdom -----------------------------------------------------------------------

_NINO = re.compile(r"[A-Z]{2}\d{6}[A-D]")
_NINO_NEVER_FIRST = frozenset("DFIQUV")
_NINO_NEVER_SECOND = frozenset("DFIQUVO")
_NINO_UNUSED_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


@register
def uk_nino(value: str) -> bool:
    """UK National Insurance number (HMRC NIM39110): two prefix letters, six digits, A-D.

    D, F, I, Q, U and V are never used in the prefix, O never as its second letter, and the
    prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated. Written here: stdnum has no
    NINO module, and the number has no check digit, only these allocation rules.
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
    """NHS number (England, Wales, Isle of Man): 10 digits, modulus 11 check digit
    (stdnum.gb.nhs); a number of one repeated digit passes the arithmetic but is not issued."""
    number = digits(value)
    return len(number) == 10 and not _repeated(number) and _gb_nhs.is_valid(number)


@register
def uk_utr(value: str) -> bool:
    """UK Unique Taxpayer Reference (HMRC): 10 digits, the first a mod-11 check on the other
    nine (stdnum.gb.utr)."""
    number = digits(value)
    return len(number) == 10 and not _repeated(number) and _gb_utr.is_valid(number)


_DVLA = re.compile(r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z0-9]{2}")


@register
def uk_driving_licence(value: str) -> bool:
    """UK (DVLA, Great Britain) driving licence number: 16 characters.

    Surname (5, padded with 9), the decade digit of the birth year, the birth month (01-12,
    51-62 for women), the day, the year's last digit, two initials (padded with 9), a digit
    and two check characters. The birth date must exist. Written here: stdnum has no module
    and the DVLA does not publish the check characters' algorithm.
    """
    licence = _compact(value)
    if not _DVLA.fullmatch(licence) or licence[0] == "9":
        return False
    month = int(licence[6:8]) % 50
    day = int(licence[8:10])
    year = 1900 + int(licence[5] + licence[10])
    return _real_date(year, month, day) is not None


# --- Germany ------------------------------------------------------------------------------


@register
def de_steuer_id(value: str) -> bool:
    """German tax identification number, Steuer-IdNr (BZSt; AO §139b): 11 digits.

    stdnum.de.idnr checks the leading digit, the repetition rule (exactly one digit occurs
    twice or three times among the first ten) and the ISO/IEC 7064 MOD 11,10 check digit.
    Added here, the BZSt rule that a digit occurring three times never does so side by side.
    """
    number = digits(value)
    if len(number) != 11 or not _de_idnr.is_valid(number):
        return False
    return not any(number[i] == number[i + 1] == number[i + 2] for i in range(8))


# --- Spain, Italy, Portugal ----------------------------------------------------------------


@register
def es_dni(value: str) -> bool:
    """Spanish national identity number DNI (Real Decreto 1553/2005): 8 digits and the
    letter TRWAGMYFPDXBNJZSQVHLCKE[number mod 23] (stdnum.es.dni)."""
    dni = _compact(value)
    return len(dni) == 9 and dni[:8].isdigit() and _es_dni.is_valid(dni)


@register
def es_nie(value: str) -> bool:
    """Spanish foreigner identity number NIE: X, Y or Z (read 0, 1, 2), 7 digits, the DNI's
    control letter (stdnum.es.nie)."""
    nie = _compact(value)
    return len(nie) == 9 and _es_nie.is_valid(nie)


@register
def it_codice_fiscale(value: str) -> bool:
    """Italian tax code of a person, codice fiscale (DM 23/12/1976): 16 characters.

    stdnum.it.codicefiscale checks the shape (omocodia letters LMNPQRSTUV in place of
    digits included), the birth date and the check letter. Only the 16-character personal
    code: stdnum also accepts a company's 11-digit partita IVA under this name.
    """
    code = _compact(value)
    return len(code) == 16 and _it_codicefiscale.is_valid(code)


@register
def pt_nif(value: str) -> bool:
    """Portuguese tax number NIF (número de contribuinte): 9 digits, mod-11 check digit
    (stdnum.pt.nif)."""
    number = digits(value)
    return len(number) == 9 and _pt_nif.is_valid(number)


# --- Benelux ------------------------------------------------------------------------------


@register
def nl_bsn(value: str) -> bool:
    """Dutch citizen service number BSN: 9 digits (8 digits read with a leading 0), the
    11-test (stdnum.nl.bsn)."""
    number = digits(value)
    if len(number) == 8:
        number = "0" + number
    return len(number) == 9 and not _repeated(number) and _nl_bsn.is_valid(number)


@register
def be_national_number(value: str) -> bool:
    """Belgian national register number (Rijksregisternummer / numéro national): 11 digits.

    YYMMDD, a serial and a mod-97 key over the first nine digits (prefixed with 2 for people
    born in 2000 or later): stdnum.be.nn, or stdnum.be.bis for the BIS numbers of people not
    in the register (month raised by 20 or 40).
    """
    number = digits(value)
    if len(number) != 11:
        return False
    return _be_nn.is_valid(number) or _be_bis.is_valid(number)


_LU_MATRICULE = re.compile(r"(\d{4})(\d{2})(\d{2})\d{5}")


@register
def lu_matricule(value: str) -> bool:
    """Luxembourg national identification number (matricule, CCSS): 13 digits.

    Birth date YYYYMMDD, a 3-digit serial, then a Luhn check digit and a Verhoeff check
    digit, each over the first eleven digits (Règlement grand-ducal du 21 décembre 2013).
    stdnum has no module for it; its Luhn and Verhoeff compute the two check digits.
    """
    number = digits(value)
    match = _LU_MATRICULE.fullmatch(number)
    if match is None:
        return False
    year, month, day = (int(g) for g in match.groups())
    born = _real_date(year, month, day)
    if born is None or not date(1900, 1, 1) <= born <= date.today():
        return False
    body = number[:11]
    return (
        stdnum_luhn.calc_check_digit(body) == number[11]
        and verhoeff.calc_check_digit(body) == number[12]
    )


# --- Nordic countries ---------------------------------------------------------------------


@register
def dk_cpr(value: str) -> bool:
    """Danish CPR number (personnummer): DDMMYY-SSSS, a real birth date not in the future
    (stdnum.dk.cpr). The modulus-11 test was dropped in 2007, so the date is the only check:
    the rule needs a keyword."""
    number = digits(value)
    return len(number) == 10 and _dk_cpr.is_valid(number)


@register
def fi_hetu(value: str) -> bool:
    """Finnish personal identity code (henkilötunnus): DDMMYY, the century sign (+, -, A-F,
    U-Y), a 3-digit serial and a mod-31 check character (stdnum.fi.hetu)."""
    return _fi_hetu.is_valid(value.strip().upper())


@register
def no_fodselsnummer(value: str) -> bool:
    """Norwegian national identity number (fødselsnummer, D-number): 11 digits, a birth date
    and two mod-11 check digits (stdnum.no.fodselsnummer)."""
    number = digits(value)
    return len(number) == 11 and _no_fodselsnummer.is_valid(number)


@register
def se_personnummer(value: str) -> bool:
    """Swedish personal identity number: YYMMDD-NNNC (or YYYYMMDD-NNNC; + past 100 years), a
    birth date (day + 60 for a coordination number) and a Luhn check digit
    (stdnum.se.personnummer). The separator is required: ten bare digits are any number."""
    return _se_personnummer.is_valid(value.strip())


# --- Central and Eastern Europe -----------------------------------------------------------


@register
def at_svnr(value: str) -> bool:
    """Austrian social insurance number (Sozialversicherungsnummer): a 3-digit serial, a
    check digit and the birth date DDMMYY (stdnum.at.vnr)."""
    number = digits(value)
    return len(number) == 10 and _at_vnr.is_valid(number)


@register
def bg_egn(value: str) -> bool:
    """Bulgarian personal number EGN (ЕГН): birth date YYMMDD (month + 20 or + 40 for other
    centuries), serial, mod-11 check digit (stdnum.bg.egn)."""
    number = digits(value)
    return len(number) == 10 and _bg_egn.is_valid(number)


@register
def cz_rodne_cislo(value: str) -> bool:
    """Czech and Slovak birth number (rodné číslo): YYMMDD/SSSC, the month + 50 for women, the
    10-digit number divisible by 11 (stdnum.cz.rc; Slovakia kept the Czechoslovak scheme and
    stdnum.sk.rc is the same check). Only the 10-digit numbers issued since 1954: the older 9
    digits carry no check."""
    number = digits(value)
    return len(number) == 10 and _cz_rc.is_valid(number)


@register
def ee_isikukood(value: str) -> bool:
    """Estonian personal identification code (isikukood): sex and century digit, YYMMDD,
    serial and a two-pass mod-11 check digit (stdnum.ee.ik). Lithuania's asmens kodas uses
    the same scheme."""
    number = digits(value)
    return len(number) == 11 and _ee_ik.is_valid(number)


@register
def lt_asmens_kodas(value: str) -> bool:
    """Lithuanian personal code (asmens kodas): the Estonian scheme (stdnum.lt.asmens)."""
    number = digits(value)
    return len(number) == 11 and _lt_asmens.is_valid(number)


@register
def lv_personas_kods(value: str) -> bool:
    """Latvian personal code (personas kods): DDMMYY-CNNNC with a real birth date, or since
    2017 32NNNN-NNNNN; a weighted mod-11 check digit (stdnum.lv.pvn, personal codes only: a
    first digit above 3 is a company's VAT number)."""
    number = digits(value)
    return len(number) == 11 and number[0] <= "3" and _lv_pvn.is_valid(number)


@register
def hr_oib(value: str) -> bool:
    """Croatian personal identification number (OIB): 11 digits, ISO 7064 MOD 11,10 check
    digit (stdnum.hr.oib)."""
    number = digits(value)
    return len(number) == 11 and not _repeated(number) and _hr_oib.is_valid(number)


_HU_EPOCH = date(1867, 1, 1)


@register
def hu_adoazonosito(value: str) -> bool:
    """Hungarian tax identification number of a person (adóazonosító jel, NAV): 10 digits.

    8, then the birth date as days since 1867-01-01 (5 digits), a 3-digit serial, and a check
    digit: the sum of the first nine digits weighted 1 to 9, mod 11 (never 10). Written here:
    stdnum has the company VAT number (hu.anum) but no module for a person's tax number.
    """
    number = digits(value)
    if len(number) != 10 or number[0] != "8":
        return False
    born = _HU_EPOCH.toordinal() + int(number[1:6])
    if born > date.today().toordinal():
        return False
    check = sum(int(d) * w for w, d in enumerate(number[:9], 1)) % 11
    return check != 10 and check == int(number[9])


@register
def pl_pesel(value: str) -> bool:
    """Polish national identification number (PESEL): YYMMDD (month + 20, 40, 60, 80 by
    century), serial, a weighted mod-10 check digit (stdnum.pl.pesel)."""
    number = digits(value)
    return len(number) == 11 and _pl_pesel.is_valid(number)


@register
def pl_nip(value: str) -> bool:
    """Polish tax number (NIP): 10 digits, often 3-3-2-2, a weighted mod-11 check digit
    (stdnum.pl.nip)."""
    number = digits(value)
    return len(number) == 10 and not _repeated(number) and _pl_nip.is_valid(number)


@register
def ro_cnp(value: str) -> bool:
    """Romanian personal numerical code (CNP): sex and century, YYMMDD, county, serial and a
    weighted mod-11 check digit (stdnum.ro.cnp)."""
    number = digits(value)
    return len(number) == 13 and _ro_cnp.is_valid(number)


@register
def si_emso(value: str) -> bool:
    """Slovenian unique master citizen number (EMŠO): DDMMYYY, register, serial and a
    mod-11 check digit (stdnum.si.emso)."""
    number = digits(value)
    return len(number) == 13 and _si_emso.is_valid(number)


# --- Southern Europe, Ireland, Switzerland -------------------------------------------------


@register
def gr_amka(value: str) -> bool:
    """Greek social security number (AMKA): birth date DDMMYY, serial and a Luhn check digit
    (stdnum.gr.amka)."""
    number = digits(value)
    return len(number) == 11 and _gr_amka.is_valid(number)


@register
def cy_tic(value: str) -> bool:
    """Cypriot tax identification code (TIC / ΑΦΤ): 8 digits and a check letter, the scheme of
    the Cypriot VAT number (stdnum.cy.vat)."""
    code = _compact(value)
    return len(code) == 9 and _cy_vat.is_valid(code)


_MT_ID_CARD = re.compile(r"0*[1-9]\d{0,6}[MGAPLHBZ]")


@register
def mt_id_card(value: str) -> bool:
    """Maltese identity card number (Identity Malta; also the person's tax number): up to
    seven digits and a letter saying where or when the holder was registered (M, G, A, P, L,
    H, B, Z). No check digit exists and stdnum has no module: the rule needs a keyword."""
    return _MT_ID_CARD.fullmatch(_compact(value)) is not None


@register
def ie_pps(value: str) -> bool:
    """Irish Personal Public Service number (PPSN): 7 digits, a mod-23 check letter and, since
    2013, a second letter (A, B, H, W) (stdnum.ie.pps)."""
    return _ie_pps.is_valid(_compact(value))


@register
def ch_ahv(value: str) -> bool:
    """Swiss social security number (AHV / AVS): 756, nine digits and an EAN-13 check digit,
    written 756.1234.5678.97 (stdnum.ch.ssn)."""
    number = digits(value)
    return len(number) == 13 and _ch_ssn.is_valid(number)


# --- Americas -----------------------------------------------------------------------------


@register
def ca_sin(value: str) -> bool:
    """Canadian Social Insurance Number (ESDC): 9 digits, Luhn, not starting with 0 (never
    assigned) or 8 (business numbers) (stdnum.ca.sin)."""
    number = digits(value)
    return len(number) == 9 and _ca_sin.is_valid(number)


@register
def ca_bc_phn(value: str) -> bool:
    """British Columbia Personal Health Number: 10 digits starting with 9, a mod-11 check
    digit (stdnum.ca.bc_phn)."""
    number = digits(value)
    return len(number) == 10 and _ca_bc_phn.is_valid(number)


@register
def br_cpf(value: str) -> bool:
    """Brazilian individual taxpayer number CPF (Receita Federal): 11 digits, two mod-11
    check digits (stdnum.br.cpf); one repeated digit passes the arithmetic, never issued."""
    number = digits(value)
    return len(number) == 11 and not _repeated(number) and _br_cpf.is_valid(number)


@register
def mx_curp(value: str) -> bool:
    """Mexican population registry key (CURP): 18 characters with the holder's initials,
    birth date, sex, state and a check digit (stdnum.mx.curp)."""
    return _mx_curp.is_valid(_compact(value))


@register
def mx_rfc(value: str) -> bool:
    """Mexican tax number of a person (RFC): 4 letters, birth date YYMMDD and a 3-character
    homoclave (stdnum.mx.rfc with its check digit): 13 characters."""
    code = _compact(value)
    return len(code) == 13 and _mx_rfc.is_valid(code, validate_check_digits=True)


@register
def ar_cuit(value: str) -> bool:
    """Argentinian tax number CUIT / CUIL: a type (20, 23, 24, 27 people; 30, 33, 34
    companies), the DNI and a mod-11 check digit (stdnum.ar.cuit)."""
    number = digits(value)
    return len(number) == 11 and _ar_cuit.is_valid(number)


@register
def cl_rut(value: str) -> bool:
    """Chilean national number RUT / RUN: 7-8 digits and a mod-11 check character 0-9 or K
    (stdnum.cl.rut)."""
    code = _compact(value)
    return code[:-1].isdigit() and _cl_rut.is_valid(code)


# --- Asia, Oceania, Africa, Turkey ----------------------------------------------------------


@register
def in_aadhaar(value: str) -> bool:
    """Indian Aadhaar number (UIDAI): 12 digits, not starting with 0 or 1, not a palindrome,
    Verhoeff check digit (stdnum.in_.aadhaar)."""
    number = digits(value)
    return len(number) == 12 and _in_aadhaar.is_valid(number)


@register
def in_pan(value: str) -> bool:
    """Indian Permanent Account Number (Income Tax Department): AAAAA9999A, the fourth letter
    the holder type, digits not 0000 (stdnum.in_.pan). Upper case as written: stdnum would
    upper-case a lower-case word of the same shape."""
    pan = value.strip()
    return pan.isupper() and _in_pan.is_valid(pan)


@register
def jp_my_number(value: str) -> bool:
    """Japanese Individual Number (個人番号, My Number): 12 digits, a weighted mod-11 check
    digit (stdnum.jp.in_)."""
    number = digits(value)
    return len(number) == 12 and not _repeated(number) and _jp_in.is_valid(number)


@register
def kr_rrn(value: str) -> bool:
    """South Korean resident registration number: YYMMDD-SBBBBNC, a birth date not in the
    future, a place code and a weighted mod-11 check digit (stdnum.kr.rrn)."""
    number = digits(value)
    return len(number) == 13 and _kr_rrn.is_valid(number, allow_future=False)


@register
def au_tfn(value: str) -> bool:
    """Australian Tax File Number (ATO): 9 digits (8 for old numbers), weighted mod-11
    (stdnum.au.tfn)."""
    number = digits(value)
    return len(number) in (8, 9) and not _repeated(number) and _au_tfn.is_valid(number)


_AU_MEDICARE_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9)


@register
def au_medicare(value: str) -> bool:
    """Australian Medicare card number (Services Australia): 10 digits (an 11th, the
    individual reference, may follow). The first digit is 2 to 6; the ninth is the sum of
    the first eight weighted 1, 3, 7, 9, 1, 3, 7, 9, mod 10; the tenth, the card's issue
    number, is not 0. Written here: stdnum has no Medicare module.
    """
    number = digits(value)
    if len(number) not in (10, 11) or number[0] not in "23456" or number[9] == "0":
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], _AU_MEDICARE_WEIGHTS, strict=True))
    return total % 10 == int(number[8])


@register
def nz_ird(value: str) -> bool:
    """New Zealand IRD number (Inland Revenue): 8 or 9 digits in the issued range, weighted
    mod-11 check digit (stdnum.nz.ird)."""
    number = digits(value)
    return len(number) in (8, 9) and _nz_ird.is_valid(number)


@register
def za_id_number(value: str) -> bool:
    """South African identity number: YYMMDD, a gender serial, citizenship (0 or 1), a digit
    and a Luhn check digit (stdnum.za.idnr)."""
    number = digits(value)
    return len(number) == 13 and _za_idnr.is_valid(number)


@register
def tr_tckimlik(value: str) -> bool:
    """Turkish identity number (T.C. Kimlik No.): 11 digits not starting with 0, two check
    digits (stdnum.tr.tckimlik)."""
    number = digits(value)
    return len(number) == 11 and _tr_tckimlik.is_valid(number)


# --- Travel documents ---------------------------------------------------------------------

_MRZ_VALUES = {ch: value for value, ch in enumerate(string.digits + string.ascii_uppercase)}
_MRZ_VALUES["<"] = 0
_MRZ_WEIGHTS = (7, 3, 1)
_MRZ_TD3 = re.compile(r"[A-Z0-9<]{9}\d[A-Z<]{3}\d{6}\d[MFX<]\d{6}\d[A-Z0-9<]{14}[0-9<]\d")


def _mrz_check(field: str) -> str:
    """ICAO 9303 check digit: character values (0-9, A-Z = 10-35, < = 0) weighted 7, 3, 1
    repeated, mod 10."""
    total = sum(_MRZ_VALUES[ch] * _MRZ_WEIGHTS[i % 3] for i, ch in enumerate(field))
    return str(total % 10)


@register
def icao_mrz_td3(value: str) -> bool:
    """Second line of a passport's machine-readable zone (ICAO Doc 9303 part 4, TD3): 44
    characters with the document number, birth date, expiry date and optional data each
    followed by a check digit, and a composite check digit over them all. Written here:
    stdnum has no MRZ module.
    """
    line = value.strip()
    if not _MRZ_TD3.fullmatch(line):
        return False
    personal_check = line[42]
    if personal_check == "<":
        personal_check = "0"  # an empty optional field may carry < as its check digit
    return (
        _mrz_check(line[0:9]) == line[9]
        and _mrz_check(line[13:19]) == line[19]
        and _mrz_check(line[21:27]) == line[27]
        and _mrz_check(line[28:42]) == personal_check
        and _mrz_check(line[0:10] + line[13:20] + line[21:43]) == line[43]
    )


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
    version 0 (20- or 32-byte program), BIP-350 Bech32m for versions 1 to 16. Written here:
    stdnum.bitcoin checks every segwit address with the Bech32 constant, so it would reject
    taproot (bc1p...) addresses, whose checksum is Bech32m.
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

# RFC 9637's documentation prefix is newer than the special-purpose table of Python 3.11's
# ipaddress module; the older documentation networks are in it (is_global says no).
_DOCUMENTATION_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("2001:db8::/32", "3fff::/20"))


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the address is a public one, reachable on the internet: personal data (it
    locates a subscriber) at low confidence.

    Excluded on purpose, per the IANA special-purpose address registries as the ipaddress
    module knows them (is_global): private networks (RFC 1918, IPv6 unique local), shared
    carrier-grade NAT space (RFC 6598), loopback, link-local, unspecified, documentation
    (RFC 5737, RFC 3849, RFC 9637), benchmarking and reserved ranges; multicast as well. Those
    name hosts inside a network or no host at all, not a person on the internet.
    """
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    return not any(address in network for network in _DOCUMENTATION_NETWORKS)


@register
def ipv4(value: str) -> bool:
    """Public IPv4 address in dotted-quad form (RFC 791; no leading zeros): see _public for the
    ranges excluded. An address ending in .0 is rejected as well: written alone it names a
    network, and it is how four-part version numbers read (4.0.0.0). The dotted quad is
    parsed by hand before the ipaddress module decides the range: most candidates fail the
    shape, and the module is slower at that.
    """
    parts = value.strip().split(".")
    if len(parts) != 4:
        return False
    number = 0
    for part in parts:
        if not 1 <= len(part) <= 3 or not part.isascii() or not part.isdigit():
            return False
        if len(part) > 1 and part[0] == "0":
            return False
        octet = int(part)
        if octet > 255:
            return False
        number = number << 8 | octet
    if number & 0xFF == 0:
        return False
    return _public(ipaddress.IPv4Address(number))


@register
def ipv6(value: str) -> bool:
    """Public IPv6 address (RFC 4291 text form, RFC 5952): see _public for the ranges
    excluded; an IPv4-mapped address is judged by the IPv4 address it carries."""
    try:
        address = ipaddress.IPv6Address(value.strip())
    except ValueError:
        return False
    if address.ipv4_mapped is not None:
        return ipv4(str(address.ipv4_mapped))
    return _public(address)


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
