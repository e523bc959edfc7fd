"""Each validator accepts values whose check digits were computed by hand or published in a
standard, and rejects the same values with one character changed, a wrong length or a wrong
letter. Valid values were built in the other direction (body first, check digit computed),
so a validator that merely echoes its own arithmetic back cannot pass by construction.
"""

from __future__ import annotations

import ipaddress
import random

import phonenumbers
import pytest

from detectors import validators
from detectors.engine import Engine
from detectors.validators import REGISTRY

# validator name -> (valid values, invalid values)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "luhn": (
        [
            "4954255503491068",
            "5395 6309 4546 3384",
            "3780-580335-58604",
            "6270301592595387684",
            "4266812127150",  # legacy 13-digit Visa, not a valid EAN-13
        ],
        [
            "4954255503491069",  # last digit changed
            "4954255503491168",  # one middle digit changed
            "49542555034",  # too short for a card
            "0000000000000000",  # one repeated digit
            "4266812127151",  # 13 digits, last digit changed
            "4069630448794",  # passes Luhn, but a valid EAN-13: a product barcode
        ],
    ),
    "iban_mod97": (
        [
            "FR8729105241850756136644427",
            "DE67 8779 5589 4091 1020 86",
            "GB07NWBK04692844120170",
            "NO9723186459836",  # shortest country (15)
            "LC47HEMM346320268749651007906880",  # 32
            "RU7386050660070730539025037406095",  # longest (33)
            "GB82 WEST 1234 5698 7654 32",  # ECBS published specimen
            "fr76 3000 6000 0112 3456 7890 189",  # lower-cased as pasted
            "Gb07 Nwbk 0469 2844 1201 70",  # mixed case
        ],
        [
            "fr76 3000 6000 0112 3456 7890 188",  # lower case, last digit changed
            "FR8729105241850756136644428",  # last digit changed
            "DE68877955894091102086",  # check digits changed
            "DE288779558940911020861",  # mod 97 holds, but 23 characters for DE (22)
            "NO572318645983",  # mod 97 holds, but 14 characters for NO (15)
            "US42123456789012345678",  # mod 97 holds, US is not an IBAN country
            "GB07NWBK0469284412017",  # one character short
        ],
    ),
    "us_ssn": (
        ["333-55-1482", "838-14-3175", "744 55 1963", "776870793"],
        [
            "000-55-1482",  # area 000
            "666-55-1482",  # area 666
            "938-14-3175",  # area 9xx (ITIN space)
            "333-00-1482",  # group 00
            "333-55-0000",  # serial 0000
            "078-05-1120",  # voided by the SSA (Woolworth wallet card)
            "333-55-148",  # eight digits
        ],
    ),
    "us_itin": (
        ["968-70-6793", "993-88-7625", "962-94-0474", "946-52-4895"],
        [
            "968-69-6793",  # group 69 outside the ranges
            "962-93-0474",  # group 93 outside the ranges
            "968-89-6793",  # group 89 outside the ranges
            "868-70-6793",  # does not start with 9
            "968-70-0000",  # serial 0000
            "968-70-679",  # eight digits
        ],
    ),
    "us_aba_routing": (
        ["064173520", "118392642", "2557-0418-0", "314906272", "672283912"],
        [
            "064173521",  # check digit changed
            "064137520",  # two digits swapped
            "131490625",  # 3-7-1 sum holds, but 13 is no Federal Reserve routing symbol
            "000000000",  # all zeros
            "06417352",  # eight digits
        ],
    ),
    "us_npi": (
        ["1234567893", "1452378106", "2994032763"],  # 1234567893: CMS's worked example
        [
            "1234567894",  # check digit changed
            "1452387106",  # two digits swapped
            "3994032761",  # Luhn with 80840 holds, but an NPI starts with 1 or 2
            "123456789",  # nine digits
            "1234567897",  # Luhn valid without the 80840 prefix, not with it
        ],
    ),
    "de_kvnr": (
        ["N755946782", "X528179245"],
        [
            "N755946783",  # check digit changed
            "N575946782",  # two digits swapped
            "n755946782",  # lower-case letter
            "N75594678",  # too short
        ],
    ),
    "fr_rpps": (
        ["10980616725", "10184984432"],
        [
            "10980616726",  # check digit changed
            "10890616725",  # two digits swapped
            "1098061672",  # ten digits
            "11111111111",  # one repeated digit
        ],
    ),
    "us_dea": (
        ["AB1234563", "FM7310422", "BJ9044176", "G92506838"],
        [
            "AB1234564",  # check digit changed
            "FM7301422",  # two digits swapped
            "ZB1234563",  # Z is no registrant type
            "AB123456",  # six digits and no check digit
            "ab1234563",  # lower case
        ],
    ),
    "fr_nir": (
        [
            "185037511623881",
            "2 92 11 69 381 047 76",
            "1 78 06 2A 004 012 41",  # Corse-du-Sud
            "201022B09630196",  # Haute-Corse
        ],
        [
            "185037511623882",  # key changed
            "185037511633881",  # one digit changed
            "178062B00401241",  # 2A's key with 2B
            "585037511623881",  # sex digit 5 is not used
            "185137511623881",  # month 13
            "18503751162388",  # fourteen characters
        ],
    ),
    "fr_siren": (
        ["712149996", "547 937 458", "285425906", "356000000"],
        ["712149997", "547937468", "71214999", "000000000"],
    ),
    "fr_siret": (
        [
            "71214999608210",
            "547 937 458 17945",
            "28542590622717",
            "35600000000006",  # La Poste, Luhn-valid
            "35600000000001",  # La Poste exception: digit sum 15
        ],
        [
            "71214999608211",  # last digit changed
            "54793745817955",  # NIC digit changed
            "35600000000019",  # La Poste, digit sum 24 and Luhn fails
            "7121499960821",  # thirteen digits
        ],
    ),
    "uk_nino": (
        ["NA343290B", "WM 50 64 75 C", "XG093946A", "AB123456D"],
        [
            "QQ123456C",  # HMRC's documentation prefix: Q is never used
            "DA343290B",  # D never first
            "AO343290B",  # O never second
            "GB343290B",  # unallocated prefix
            "NA343290E",  # suffix only A-D
            "NA34329B",  # five digits
        ],
    ),
    "uk_nhs": (
        ["6987692270", "568 071 8901", "5459978173", "943 476 5919"],  # last: NHS Digital specimen
        ["6987692271", "5680718911", "545997817", "1111111111"],
    ),
    "de_steuer_id": (
        [
            "41326789033",
            "32 017 542 987",
            "27035869445",
            "17273745608",  # one digit three times, never side by side
        ],
        [
            "41326789034",  # check digit changed
            "41326789133",  # one digit changed (also breaks the repetition rule)
            "17772345607",  # three identical digits side by side
            "12345678903",  # no digit repeated
            "01326789033",  # leading zero
            "4132678903",  # ten digits
        ],
    ),
    "es_dni": (
        ["70324102S", "81956515-V", "13098249W"],
        ["70324102T", "70324112S", "7032410S", "81956515"],
    ),
    "es_nie": (
        ["X6183292H", "Y-6766836-C", "Z3120624N"],
        ["X6183292J", "Y6766836H", "W6183292H", "X618329H"],
    ),
    "it_codice_fiscale": (
        [
            "BNCLRA90E52H501T",
            "VRDGPP83C14F205O",
            "FRRMRC71A01L219N",
            "BNCLRA90E52H50ML",  # omocodia: last digit of the municipality replaced by M
            "RSSMRA85T10A562S",  # Agenzia delle Entrate specimen
        ],
        [
            "BNCLRA90E52H501U",  # check letter changed
            "BNCLRA90E52H502T",  # one digit changed
            "BNCLRA90F52H501T",  # F is not a month letter
            "BNCLRA90E52H50AT",  # A is not an omocodia letter
            "BNCLRA90E52H501",  # fifteen characters
        ],
    ),
    "nl_bsn": (
        ["347507566", "4749.22.649", "177499527", "12345672"],  # last: 8 digits, read 012345672
        ["347507567", "347517566", "3475075", "000000000"],
    ),
    "be_national_number": (
        ["85031412302", "92.07.30-058.53", "05021132773"],  # last: born in 2005
        [
            "85031412303",  # key changed
            "85031412402",  # serial changed
            "85131412302",  # month 13
            "8503141230",  # ten digits
        ],
    ),
    "ca_sin": (
        ["737267146", "679-899-534", "778 642 124"],
        [
            "737267147",  # last digit changed
            "046454286",  # Luhn-valid but starts with 0 (the CRA's sample number)
            "878642124",  # starts with 8: business numbers
            "73726714",  # eight digits
        ],
    ),
    "in_aadhaar": (
        ["736985956324", "8835 9922 9348", "371225691853"],
        [
            "736985956325",  # check digit changed
            "736985965324",  # two adjacent digits swapped (Verhoeff catches it)
            "136985956324",  # starts with 1
            "73698595632",  # eleven digits
        ],
    ),
    "in_pan": (
        ["KIJPY3828V", "DDZCI9150B", "PSSTE0829C"],
        ["KIJDY3828V", "KIJPY0000V", "KIJPY38281", "kijpy3828v", "KIJPY3828"],
    ),
    "br_cpf": (
        ["12324284502", "422.608.973-12", "61950238415"],
        [
            "12324284503",  # second key changed
            "12324284512",  # first key changed
            "11111111111",  # one repeated digit
            "1232428450",  # ten digits
        ],
    ),
    "btc_address": (
        [
            "1Z1sjbQLBk2DDJq5rDJn5WCWGfZoh8ZQ4",
            "32zL5Wi2LNp99x7DwQYwkK6ufWk64DtRi9",
            "bc1qqhlt29zxd7qcp04f2tvesp3tlzht90jlppawx8",
            "bc1qxcgjefufu7wtluhvuamsknmn78zw78r2gkrqq900prc2ztznuxmsc7rqam",
            "bc1p3tcdyw3jgvj4w80zgh9th4v7s9dxu93f9rmw0jp494nm9cmzw9zqy6jmuc",
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",  # BIP-173 test vector
        ],
        [
            "1Z1sjbQLBk2DDJq5rDJn5WCWGfZoh8ZQ5",  # last character changed
            "32zL5Wi2LNp99x7DwQYwkK6ufWk64DtRj9",  # one character changed
            "bc1qqhlt29zxd7qcp04f2tvesp3tlzht90jlppawx9",  # checksum broken
            "bc1p3tcdyw3jgvj4w80zgh9th4v7s9dxu93f9rmw0jp494nm9cmzw9zqy6jmua",  # broken
            "bc1qqhlt29zxd7qcp04f2tvesp3tlzht90jlppaWx8",  # mixed case
            "tb1qqhlt29zxd7qcp04f2tvesp3tlzht90jlppawx8",  # testnet prefix
            "1Z1sjbQLBk2DDJq5rDJn5WCWGfZoh8ZQ0",  # 0 is not a Base58 character
        ],
    ),
    "base64_decoded_secret": (
        [
            "cTdMbSMydlI5eFR6IWtXNA==",  # a random password
            "Y2ktcm9ib3Q6WnI4I2tRMnZMeDdtV3A0bg==",  # Docker's user:password, a strong password
            "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=",  # 32 bytes of key material (binary)
            "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFb3c=",  # a private key
            "cTdMbSMydlI5eFR6IWtXNA",  # padding left out
        ],
        [
            "YWRtaW4=",  # too short
            "Y2hhbmdlbWUxMjM=",  # a placeholder
            "cGFzc3dvcmQyMDI0",  # a weak word
            "dXNlcjpwYXNzd29yZA==",  # user:password with a weak password
            "YWFhYWFhYWFhYWFhYWFhYQ==",  # one character repeated
            # a public key, a certificate
            "c3NoLXJzYSBBQUFBQjNOemFDMXljMkVBQUFBREFRQUJBQUFCQVFDNyBvcHNAYmFzdGlvbg==",
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURkekNDQWwrZ0F3SUJBZ0lF",
            "not base64 at all!",
            "c2hvc",  # a length base64 never has
        ],
    ),
    "base62_crc32": (
        [
            "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",
            "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",
            "ghs_RCLNETmged4dZo0F8IGG7KP49z5G4y4GguKp",
            "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",  # npm uses the same checksum
        ],
        [
            "ghp_SVVBNdQAKxVyQvUL46cQdCajfkKNLG0c3EY4",  # checksum's last character changed
            "ghp_SVVBNdQAKxVyQvUL46cQdCajfkKNLG1c3EY3",  # a random character changed
            "ghp_svvbndqakxvyqvul46cqdcajfknklg0c3ey3",  # lower-cased: base62 is case-sensitive
            "ghp_abcdefghijklmnopqrstuvwxyzABCD012345",  # made up for documentation
            "ghp_SVVBNdQAKxVyQvUL46cQdCajfkKNLG0c3EY",  # one character short
            "SVVBNdQAKxVyQvUL46cQdCajfkKNLG0c3EY3",  # no prefix
        ],
    ),
    "eth_address": (
        [
            "0x355Ed68915410B236c68406CE6E5c4b2cD759912",
            "0xc74C7e0e988C8DD5CDe97Bb38d9eA3dcE04ae85A",
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # EIP-55 test vector
            "0x355ed68915410b236c68406ce6e5c4b2cd759912",  # lowercase: no checksum to check
        ],
        [
            "0x355Ed68915410B236c68406CE6E5c4b2cD759913",  # hex digit changed, case kept
            "0x355ed68915410B236c68406CE6E5c4b2cD759912",  # one letter's case flipped
            "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",  # upper-case where EIP-55 wants lower
            "0x355Ed68915410B236c68406CE6E5c4b2cD75991",  # 39 hex digits
            "0x0000000000000000000000000000000000000000",  # the zero address
            "355Ed68915410B236c68406CE6E5c4b2cD759912",  # no 0x
        ],
    ),
    "ipv4": (
        ["81.56.102.17", "51.15.42.118", "185.22.174.9", "2.3.4.5"],
        [
            "10.20.30.40",  # private (RFC 1918)
            "172.16.5.4",  # private (RFC 1918)
            "192.168.178.23",  # private (RFC 1918)
            "100.64.1.2",  # carrier-grade NAT (RFC 6598)
            "127.0.0.1",  # loopback
            "0.0.0.0",  # unspecified
            "192.0.2.44",  # TEST-NET-1
            "198.51.100.7",  # TEST-NET-2
            "203.0.113.9",  # TEST-NET-3
            "169.254.169.254",  # link-local (cloud metadata)
            "255.255.255.0",  # a netmask: reserved range
            "224.0.0.251",  # multicast
            "10.20.30.0",  # a network, not a host
            "4.0.0.0",  # reads like a version number, and is a network
            "256.1.2.3",  # octet out of range
            "01.2.3.4",  # leading zero
        ],
    ),
    "ipv6": (
        [
            "2a01:e0a:1f3:4c50::1",
            "2606:4700:4700::1111",
            "::ffff:81.56.102.17",  # IPv4-mapped
        ],
        [
            "fd12:3456:789a::1",  # unique local: private
            "::ffff:10.1.2.3",  # mapped private IPv4
            "3fff:abc::1",  # documentation (RFC 9637)
            "add::feed",  # reserved, and reads like C++ scope
            "::1",  # loopback
            "::",  # unspecified
            "2001:db8::8a2e:370:7334",  # documentation
            "fe80::1ff:fe23:4567:890a",  # link-local
            "ff02::1",  # multicast
            "::ffff:127.0.0.1",  # mapped loopback
            "2a01:e0a::1f3::1",  # two '::'
            "12:30:45",  # a time of day
        ],
    ),
    "phone_e164": (
        ["+33 6 12 34 56 78", "+1 415 555 2671", "+44 20 7123 4567", "+4915123456789"],
        [
            "+33 6 12 34 56 7",  # one digit short
            "+1 201 555 0123",  # NANP fiction range 555-01XX
            "+44 20 7946 0958",  # Ofcom drama number
            "06 12 34 56 78",  # no +country code
        ],
    ),
    "phone_fr": (
        ["06 12 34 56 78", "01.42.68.53.00", "0478912345", "+33 6 12 34 56 78"],
        ["06 12 34 56 7", "00 12 34 56 78", "+44 20 7123 4567", "06 39 98 12 34"],
    ),
    "phone_us": (
        ["(415) 555-2671", "212-736-5000", "1-617-253-1000", "+1 415 555 2671"],
        ["(201) 555-0123", "(415) 555-267", "(123) 456-7890", "+33 6 12 34 56 78"],
    ),
    "phone_gb": (
        ["020 7123 4567", "07911 123456", "0161 555 0123", "+44 20 7123 4567"],
        ["020 7946 0958", "07700 900123", "01632 960123", "020 7123 456"],
    ),
    "phone_de": (
        ["030 12345678", "0151 23456789", "089 1234567", "+49 30 12345678"],
        ["030 1", "0001 23456789", "+33 6 12 34 56 78", "12345"],
    ),
    "phone_es": (
        ["612 34 56 78", "91 123 45 67", "612345678", "+34 612 34 56 78"],
        ["412 34 56 78", "612 34 56 7", "+33 6 12 34 56 78", "112"],
    ),
    "phone_it": (
        ["06 1234 5678", "347 123 4567", "02 8765 4321", "+39 347 123 4567"],
        ["47 123 4567", "347 12", "+33 6 12 34 56 78", "112"],
    ),
    "at_svnr": (
        ["3724 150462", "9655 140574", "8172 221295"],
        [
            "3724 150460",  # one digit changed: the check fails
            "9655 14057",  # one character short
        ],
    ),
    "bg_egn": (
        ["7603293524", "5112157236", "0145237066"],
        [
            "7603293520",  # one digit changed: the check fails
            "511215723",  # one character short
        ],
    ),
    "hr_oib": (
        ["73521075708", "81757788245", "38395744207"],
        [
            "73521075700",  # one digit changed: the check fails
            "8175778824",  # one character short
        ],
    ),
    "cy_tic": (
        ["43521075X", "95944629C", "38824150H"],
        [
            "43521070X",  # one digit changed: the check fails
            "95944629",  # one character short
        ],
    ),
    "cz_rodne_cislo": (
        ["905330/5217", "616008/3655", "976123/7574"],
        [
            "905330/5210",  # one digit changed: the check fails
            "616008/365",  # one character short
        ],
    ),
    "dk_cpr": (
        ["290376-3212", "081047-2757", "220148-3175"],
        [
            "290076-3212",  # one digit changed: the check fails
            "081047-275",  # one character short
        ],
    ),
    "ee_isikukood": (
        ["47603292120", "44710087573", "44801221750"],
        [
            "47603292121",  # one digit changed: the check fails
            "4471008757",  # one character short
        ],
    ),
    "fi_hetu": (
        ["290376-391B", "131257-615L", "150156-237K"],
        [
            "290376-390B",  # one digit changed: the check fails
            "131257-615",  # one character short
        ],
    ),
    "fr_nif": (
        ["3352107570203", "1462933616403", "2076030543041"],
        [
            "3352107570200",  # one digit changed: the check fails
            "146293361640",  # one character short
        ],
    ),
    "gr_amka": (
        ["29037635215", "08104723658", "22129544627"],
        [
            "29037635210",  # one digit changed: the check fails
            "0810472365",  # one character short
        ],
    ),
    "hu_adoazonosito": (
        ["8398993529", "8310287232", "8490857067"],
        [
            "8398993520",  # one digit changed: the check fails
            "831028723",  # one character short
        ],
    ),
    "ie_pps": (
        ["4212723J", "6594462K", "9336168R"],
        [
            "4212720J",  # one digit changed: the check fails
            "6594462",  # one character short
        ],
    ),
    "lv_personas_kods": (
        ["290376-13521", "151251-17230", "270488-10610"],
        [
            "290376-13520",  # one digit changed: the check fails
            "151251-1723",  # one character short
        ],
    ),
    "lt_asmens_kodas": (
        ["47603292120", "44710087573", "44801221750"],
        [
            "47603292121",  # one digit changed: the check fails
            "4471008757",  # one character short
        ],
    ),
    "lu_matricule": (
        ["1976032935276", "1951121572336", "2001052370658"],
        [
            "1976032935270",  # one digit changed: the check fails
            "195112157233",  # one character short
        ],
    ),
    "mt_id_card": (
        ["0423602P", "0209795L", "0187488G"],
        [
            "0209795",  # one character short
        ],
    ),
    "pl_pesel": (
        ["76032935218", "47100823652", "95122244627"],
        [
            "76032935210",  # one digit changed: the check fails
            "4710082365",  # one character short
        ],
    ),
    "pl_nip": (
        ["735-210-75-74", "1329175996", "111-649-61-62"],
        [
            "735-210-75-70",  # one digit changed: the check fails
            "132917599",  # one character short
        ],
    ),
    "pt_nif": (
        ["235210757", "359446299", "288241509"],
        [
            "235210750",  # one digit changed: the check fails
            "35944629",  # one character short
        ],
    ),
    "ro_cnp": (
        ["2760329135210", "2471008255709", "2951222134625"],
        [
            "2760329135211",  # one digit changed: the check fails
            "247100825570",  # one character short
        ],
    ),
    "si_emso": (
        ["2903976503527", "1512951507231", "2704988500610"],
        [
            "2903976503520",  # one digit changed: the check fails
            "151295150723",  # one character short
        ],
    ),
    "se_personnummer": (
        ["760329-3528", "511215-7234", "010523-7069"],
        [
            "760329-3520",  # one digit changed: the check fails
            "511215-723",  # one character short
        ],
    ),
    "uk_utr": (
        ["3421272365", "9944629336", "6168395744"],
        [
            "3421272360",  # one digit changed: the check fails
            "994462933",  # one character short
        ],
    ),
    "uk_driving_licence": (
        ["FEGT9753296MQ9TP", "SPUU9511237VG9OV", "IYNUM551226IR9NG"],
        [
            "FEGT9753396MQ9TP",  # one digit changed: the check fails
            "SPUU9511237VG9O",  # one character short
        ],
    ),
    "us_ein": (
        ["84-3521075", "95-0617577", "84-8241507"],
        [
            "89-3521075",  # one digit changed: the check fails
            "95-061757",  # one character short
        ],
    ),
    "ca_bc_phn": (
        ["9421 272 364", "9594 462 935", "9361 683 950"],
        [
            "9421 272 360",  # one digit changed: the check fails
            "9594 462 93",  # one character short
        ],
    ),
    "au_tfn": (
        ["421 272 369", "361 683 954", "496 932 916"],
        [
            "421 272 360",  # one digit changed: the check fails
            "361 683 95",  # one character short
        ],
    ),
    "au_medicare": (
        ["5352 10752 9", "2944 62935 7", "3168 39578 8"],
        [
            "5352 10752 0",  # one digit changed: the check fails
            "2944 62935 ",  # one character short
        ],
    ),
    "jp_my_number": (
        ["4212 7236 5941", "4629 3361 6839", "9574 4202 9540"],
        [
            "4212 7236 5940",  # one digit changed: the check fails
            "4629 3361 683",  # one character short
        ],
    ),
    "ch_ahv": (
        ["756.4212.7236.50", "756.9446.2933.68", "756.1683.9574.47"],
        [
            "756.4212.7236.51",  # one digit changed: the check fails
            "756.9446.2933.6",  # one character short
        ],
    ),
    "no_fodselsnummer": (
        ["29037619432", "13125730668", "15015611798"],
        [
            "29037619430",  # one digit changed: the check fails
            "1312573066",  # one character short
        ],
    ),
    "mx_curp": (
        ["MESB760329HJCDCS06", "RASD870815HPLSNT00", "MEDD730720HVZJZM08"],
        [
            "MESB760329HJCDCS00",  # one digit changed: the check fails
            "RASD870815HPLSNT0",  # one character short
        ],
    ),
    "mx_rfc": (
        ["MESB7603298G8", "CIME511215N63", "PEMF951222LE8"],
        [
            "MESB7603298G0",  # one digit changed: the check fails
            "CIME511215N6",  # one character short
        ],
    ),
    "ar_cuit": (
        ["27-35551876-6", "20-21999220-4", "20-26671943-5"],
        [
            "27-35551876-0",  # one digit changed: the check fails
            "20-21999220-",  # one character short
        ],
    ),
    "cl_rut": (
        ["18.555.254-3", "17.775.938-4", "11.713.417-2"],
        [
            "18.555.254-0",  # one digit changed: the check fails
            "17.775.938-",  # one character short
        ],
    ),
    "za_id_number": (
        ["7603293521088", "4710082365081", "9512224462080"],
        [
            "7603293521080",  # one digit changed: the check fails
            "471008236508",  # one character short
        ],
    ),
    "kr_rrn": (
        ["760329-2255214", "471008-2933653", "951222-2254622"],
        [
            "760329-2255210",  # one digit changed: the check fails
            "471008-293365",  # one character short
        ],
    ),
    "tr_tckimlik": (
        ["73521075796", "29446293302", "41683957496"],
        [
            "73521075790",  # one digit changed: the check fails
            "2944629330",  # one character short
        ],
    ),
    "nz_ird": (
        ["133-888-136", "131-939-841", "116-783-541"],
        [
            "133-888-130",  # one digit changed: the check fails
            "131-939-84",  # one character short
        ],
    ),
    "icao_mrz_td3": (
        [
            "OHGI1JNYT5NLD9512221M3304145<<<<<<<<<<<<<<06",
            "2235HQGUC9FRA0404181F3411252<<<<<<<<<<<<<<04",
            "LBUPN7CSH6DEU8107053M2606059<<<<<<<<<<<<<<02",
        ],
        [
            "OHGI1JNYT5NLD9512221M3304145<<<<<<<<<<<<<<00",  # one digit changed: the check fails
            "2235HQGUC9FRA0404181F3411252<<<<<<<<<<<<<<0",  # one character short
        ],
    ),
    "date_of_birth": (
        [
            "1985-03-14",
            "14/03/1985",
            "03/14/1985",
            "14.03.1985",
            "29.02.2000",
            "1900-01-01",
            "14 March 1985",
            "March 14, 1985",
            "14th of March, 1985",
            "3. März 1985",
            "3 de marzo de 1985",
            "1er févr. 1985",
            "3 AOÛT 1985",
            "14-Mar-1985",
            "Sept. 3 1985",
            "29 febbraio 2000",
        ],
        [
            "1985-02-30",  # no such day
            "29/02/1985",  # not a leap year
            "14/13/1985",  # month 13 either way
            "1899-12-31",  # before 1900
            "01/01/2999",  # in the future
            "1985-3",  # not a date
            "31 February 1985",  # no such day
            "29 février 1985",  # not a leap year
            "3 March 2999",  # in the future
            "32 March 1985",  # no such day
            "14 Brumaire 1985",  # not a month name the validator knows
        ],
    ),
}


def _cases(which: int) -> list[tuple[str, str]]:
    return [(name, value) for name, pair in CASES.items() for value in pair[which]]


@pytest.mark.parametrize(("name", "value"), _cases(0))
def test_accepts_valid_value(name: str, value: str) -> None:
    assert REGISTRY[name](value), f"{name} rejects valid {value!r}"


@pytest.mark.parametrize(("name", "value"), _cases(1))
def test_rejects_invalid_value(name: str, value: str) -> None:
    assert not REGISTRY[name](value), f"{name} accepts invalid {value!r}"


def test_every_registered_validator_is_tested() -> None:
    assert set(REGISTRY) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_validators_never_raise_on_garbage(name: str) -> None:
    for junk in ("", " ", "-", "0", "é", "0x", "bc1", "+", "\x00", "A" * 200, "9" * 200):
        assert REGISTRY[name](junk) in (True, False)


# One address of every range the IP rules leave out on purpose, each checked to be in the range
# it stands for, so the list cannot drift from what it claims.
EXCLUDED_RANGES = {
    "private 10/8": ("10.200.3.4", "10.0.0.0/8"),
    "private 172.16/12": ("172.31.255.7", "172.16.0.0/12"),
    "private 192.168/16": ("192.168.1.20", "192.168.0.0/16"),
    "carrier-grade NAT": ("100.100.1.1", "100.64.0.0/10"),
    "loopback": ("127.0.0.2", "127.0.0.0/8"),
    "link-local": ("169.254.10.20", "169.254.0.0/16"),
    "documentation TEST-NET-1": ("192.0.2.10", "192.0.2.0/24"),
    "documentation TEST-NET-2": ("198.51.100.10", "198.51.100.0/24"),
    "documentation TEST-NET-3": ("203.0.113.10", "203.0.113.0/24"),
    "benchmarking": ("198.18.0.5", "198.18.0.0/15"),
    "multicast": ("239.1.2.3", "224.0.0.0/4"),
    "reserved": ("250.1.2.3", "240.0.0.0/4"),
    "IPv6 unique local": ("fd00:1234::5", "fc00::/7"),
    "IPv6 link-local": ("fe80::1234", "fe80::/10"),
    "IPv6 loopback": ("::1", "::1/128"),
    "IPv6 documentation": ("2001:db8:85a3::7334", "2001:db8::/32"),
    "IPv6 documentation (RFC 9637)": ("3fff:0:1::1", "3fff::/20"),
}


@pytest.mark.parametrize("name", sorted(EXCLUDED_RANGES))
def test_ip_validators_exclude_non_public_ranges(name: str) -> None:
    address, network = EXCLUDED_RANGES[name]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(network)
    check = REGISTRY["ipv6"] if ":" in address else REGISTRY["ipv4"]
    assert not check(address), f"{name}: {address} reported"


@pytest.mark.parametrize(
    "text",
    [
        "Failed password for root from 10.200.3.4 port 52144 ssh2",
        "ssh admin@192.168.1.20 -p 22",
        "client IP 100.100.1.1 behind the CGNAT",
        "upstream: http://172.31.255.7:8080/api",
        "server 169.254.10.20 answered",
        "host 198.51.100.10 port 22",
        "client: fd00:1234::5, server: shop",
    ],
)
def test_ip_rules_do_not_report_non_public_addresses(engine: Engine, text: str) -> None:
    found = [f.detector for f in engine.scan(text)]
    assert "ipv4-address" not in found and "ipv6-address" not in found, text


def test_ip_rule_reports_a_public_address_in_the_same_sentence(engine: Engine) -> None:
    # The exclusions are by range, not by context: the same log line with a public address.
    found = [
        f.detector for f in engine.scan("Failed password for root from 81.56.102.17 port 52144")
    ]
    assert "ipv4-address" in found


def _parsed_verdict(value: str, region: str, country_code: int, leading: str) -> bool:
    """The national phone check done the slow way: always through phonenumbers.parse."""
    if validators.digits(value)[:1] not in leading:
        return False
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return False
    if number.country_code != country_code or not phonenumbers.is_valid_number(number):
        return False
    national = str(number.national_number)
    if country_code == 1 and validators._NANP_FICTION.fullmatch(national):
        return False
    return not (country_code == 44 and national.startswith(validators._UK_DRAMA_PREFIXES))


@pytest.mark.parametrize(
    ("region", "country_code", "leading"),
    [("FR", 33, "0"), ("GB", 44, "0"), ("DE", 49, "0"), ("IT", 39, "03"), ("ES", 34, "6789"),
     ("US", 1, "123456789")],
)  # fmt: skip
def test_national_phone_fast_path_agrees_with_the_parser(
    region: str, country_code: int, leading: str
) -> None:
    # Random digit strings in random national groupings, including the traps of the fast path:
    # an international 00 prefix, the country code written without '+', Italian leading zeros.
    rng = random.Random(region)
    for _ in range(1500):
        number = rng.choice(leading) + "".join(rng.choices("0123456789", k=rng.randint(4, 13)))
        if rng.random() < 0.1:
            number = rng.choice(["00", str(country_code)]) + number
        written, i = "", 0
        while i < len(number):
            size = rng.randint(1, 4)
            written += number[i : i + size] + rng.choice([" ", "", ".", "-", "/"])
            i += size
        written = written.rstrip(" .-/")
        if rng.random() < 0.1:
            written = f"({written[:3]}) {written[3:]}"
        expected = _parsed_verdict(written, region, country_code, leading)
        assert validators._phone(written, region, country_code, leading) == expected, written


# Every month name and abbreviation as written, accents included: the date-of-birth rule must
# find each one and the validator must read it, so the rule's pattern and the validator's
# month table cannot drift apart.
WRITTEN_MONTHS = {
    1: "january jan janvier janv januar jänner jaenner januari enero ene gennaio gen",
    2: "february feb février fevrier févr fevr fév fev februar februari febrero febbraio",
    3: "march mar mars märz maerz marz mär maart mrt marzo",
    4: "april apr avril avr abril abr aprile",
    5: "may mai mayo maggio mag mei",
    6: "june jun juin juni junio giugno giu",
    7: "july jul juillet juil juli julio luglio lug",
    8: "august aug août aout augustus agosto ago",
    9: "september sep sept septembre septiembre setiembre settembre set",
    10: "october oct octobre oktober okt octubre ottobre ott",
    11: "november nov novembre noviembre",
    12: "december dec décembre decembre déc dezember dez diciembre dic dicembre",
}


def test_month_table_is_the_written_names_with_accents_folded() -> None:
    folded = {
        name.translate(str.maketrans("éäû", "eau")): number
        for number, names in WRITTEN_MONTHS.items()
        for name in names.split()
    }
    assert folded == validators.MONTHS


@pytest.mark.parametrize("number", sorted(WRITTEN_MONTHS))
def test_every_month_name_is_found_as_a_date_of_birth(engine: Engine, number: int) -> None:
    for name in WRITTEN_MONTHS[number].split():
        for written in (name, name.capitalize(), name.upper()):
            day_first = f"born on 3 {written} 1985"
            month_first = f"born {written} 3, 1985"
            for text in (day_first, month_first):
                found = [f.detector for f in engine.scan(text)]
                assert "date-of-birth" in found, text
            assert validators.date_of_birth(f"3 {written} 1985")
            assert validators.date_of_birth(f"{written} 3, 1985")


def _parsed_international_verdict(value: str) -> bool:
    """phone_e164 done the slow way: always through phonenumbers.parse."""
    if not value.lstrip().startswith("+"):
        return False
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(number):
        return False
    national = str(number.national_number)
    if number.country_code == 1 and validators._NANP_FICTION.fullmatch(national):
        return False
    return not (number.country_code == 44 and national.startswith(validators._UK_DRAMA_PREFIXES))


def _international_writing(rng: random.Random, seeds: list[tuple[int, str]]) -> str:
    """A +CC number, written the ways people do and some ways they should not."""
    if rng.random() < 0.6:
        code, nsn = rng.choice(seeds)
        digits_ = list(nsn)
        for _ in range(rng.choice([0, 0, 1, 2])):
            digits_[rng.randrange(len(digits_))] = rng.choice("0123456789")
        if rng.random() < 0.1:
            digits_ = ["0", *digits_]  # a trunk 0 where it does not belong
        national = "".join(digits_)
    else:
        code = rng.choice([*phonenumbers.COUNTRY_CODE_TO_REGION_CODE, rng.randint(0, 999)])
        national = "".join(rng.choices("0123456789", k=rng.randint(0, 18)))
    written = f"+{code}" + rng.choice([" ", " ", "", "", "-", ".", " (0)", "(0) "])
    i = 0
    while i < len(national):
        size = rng.randint(1, 4)
        part = national[i : i + size]
        written += f"({part}) " if i == 0 and rng.random() < 0.15 else part
        odd = rng.random() < 0.05
        written += rng.choice(["/", ")", "#", " - "] if odd else [" ", "", ".", "-"])
        i += size
    return written.rstrip(" .-/") if rng.random() < 0.9 else written


def _example_numbers() -> list[tuple[int, str]]:
    """libphonenumber's fixed-line and mobile example of every region: (country code, NSN)."""
    seeds: list[tuple[int, str]] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and example.country_code is not None:
                nsn = phonenumbers.national_significant_number(example)
                seeds.append((example.country_code, nsn))
    return seeds


def test_international_phone_fast_path_agrees_with_the_parser() -> None:
    # libphonenumber's example numbers of every region (digits changed, trunk zeros added) and
    # random digits after known and unknown country codes, with separators valid and not.
    seeds = _example_numbers()
    rng = random.Random(164)
    fast = 0
    for _ in range(4000):
        written = _international_writing(rng, seeds)
        fast += validators._international_number(written) is not None
        assert validators.phone_e164(written) == _parsed_international_verdict(written), written
    assert fast > 1500  # the comparison covers the fast path, not only the fallback


def test_number_validity_agrees_with_phonenumbers() -> None:
    # Every country code (and a few unassigned ones), example numbers of every region with
    # digits changed, added or dropped, and random digit strings, Italian leading zeros too.
    seeds = _example_numbers()
    codes = [*phonenumbers.COUNTRY_CODE_TO_REGION_CODE, 0, 2, 5, 888, 999]
    rng = random.Random(2104)
    valid = 0
    for _ in range(20000):
        if rng.random() < 0.5:
            code, national = rng.choice(seeds)
            digits_ = list(national)
            for _ in range(rng.choice([0, 1, 1, 2])):
                digits_[rng.randrange(len(digits_))] = rng.choice("0123456789")
            if rng.random() < 0.1:
                digits_.insert(rng.randrange(len(digits_) + 1), rng.choice("0123456789"))
            national = "".join(digits_)
        else:
            code = rng.choice(codes)
            national = "".join(rng.choices("0123456789", k=rng.randint(1, 17)))
        number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        if len(national) > 1 and national[0] == "0":
            number.italian_leading_zero = True
            zeros = len(national) - len(national.lstrip("0"))
            number.number_of_leading_zeros = min(zeros, len(national) - 1)
        significant = phonenumbers.national_significant_number(number)
        expected = phonenumbers.is_valid_number(number)
        valid += expected
        assert validators._valid_number(code, significant) == expected, (code, significant)
    assert valid > 3000  # the comparison covers valid numbers, not only invalid ones
