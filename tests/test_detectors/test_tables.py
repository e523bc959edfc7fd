"""A pasted table names its values by its column headers: identifiers that need a label are
found in every row below a header that is their label, at the cell's own span."""

from __future__ import annotations

import random

import pytest
from stdnum.de import idnr
from stdnum.nl import bsn

from detectors.engine import Engine
from detectors.rules import Keywords
from detectors.tables import MAX_LABELLED_CELLS, labelled_columns


def _steuer_ids(count: int, seed: int = 5) -> list[str]:
    """German tax ids, valid by python-stdnum (not by Airlock's own validator), without a digit
    three times in a row (the BZSt's rule, which stdnum does not check)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        value = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(10))
        if idnr.is_valid(value) and not any(
            value[i] == value[i + 1] == value[i + 2] for i in range(9)
        ):
            out.append(value)
    return out


def _bsns(count: int, seed: int = 6) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        value = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        if bsn.is_valid(value):
            out.append(value)
    return out


def _found(engine: Engine, text: str, detector: str) -> list[str]:
    return [text[f.start : f.end] for f in engine.scan(text) if f.detector == detector]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_every_row_of_a_named_column_is_found_at_its_cell(engine: Engine, delimiter: str) -> None:
    tax_ids, bsns = _steuer_ids(40), _bsns(40)
    header = delimiter.join(["customer_id", "full_name", "steuer_id", "BSN", "city"])
    rows = [
        delimiter.join([str(1000 + i), f"Name {i}", tax_ids[i], bsns[i], "Utrecht"])
        for i in range(40)
    ]
    text = "Here is the export you asked for:\n" + "\n".join([header, *rows]) + "\nThanks!"
    assert _found(engine, text, "de-steuer-id") == tax_ids
    assert _found(engine, text, "nl-bsn") == bsns


def test_quoted_headers_and_cells_are_read(engine: Engine) -> None:
    tax_ids = _steuer_ids(5)
    text = '"name","Steuer-ID"\n' + "\n".join(f'"Person {i}","{v}"' for i, v in enumerate(tax_ids))
    assert _found(engine, text, "de-steuer-id") == tax_ids


def test_a_column_its_header_does_not_name_is_not_labelled(engine: Engine) -> None:
    # The same valid numbers under headers that name something else are order numbers.
    tax_ids = _steuer_ids(10)
    text = "order_id,amount\n" + "\n".join(f"{v},12.50" for v in tax_ids)
    assert _found(engine, text, "de-steuer-id") == []


def test_a_broken_check_digit_under_a_naming_header_is_no_finding(engine: Engine) -> None:
    good = _steuer_ids(1)[0]
    broken = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not idnr.is_valid(broken)
    text = f"name,steuer_id\nAnn,{broken}\nBob,{broken}"
    assert _found(engine, text, "de-steuer-id") == []


def test_a_row_with_another_number_of_cells_ends_the_table(engine: Engine) -> None:
    tax_ids = _steuer_ids(3)
    text = f"name,steuer_id\nAnn,{tax_ids[0]}\n\nlater, in prose: {tax_ids[1]} and {tax_ids[2]}"
    assert _found(engine, text, "de-steuer-id") == tax_ids[:1]


def test_the_rewriting_is_bounded_in_cells() -> None:
    names = Keywords(["bsn"])
    text = "bsn,x\n" + "123456782,1\n" * (MAX_LABELLED_CELLS + 5000)
    labelled = labelled_columns(text, names, [3])
    assert labelled is not None
    assert len(labelled.starts) == MAX_LABELLED_CELLS


def test_a_finding_maps_back_into_its_cell_only() -> None:
    labelled = labelled_columns("a,bsn\nx,123\ny,456", Keywords(["bsn"]), [5])
    assert labelled is not None
    assert labelled.text == "bsn: 123\nbsn: 456"
    # A span over the label and the value maps to the value's cell alone.
    assert labelled.span(0, 8) == (8, 11)
    assert labelled.span(14, 17) == (14, 17)


def test_a_line_of_json_is_no_header(engine: Engine) -> None:
    # The second line has as many commas as the first, but `"password": "..."` names nothing.
    text = '{"user": "svc", "password": "x"}\ndata:image/png;base64,p3VJ1LuSFqjgdgMjKpV3z+PwhsL4+uN'
    assert [f for f in engine.scan(text) if f.detector == "generic-password"] == []


def test_the_header_decides_between_two_shapes(engine: Engine) -> None:
    # 13 digits that pass both the South African id's check and Luhn: under a header naming
    # the id, an id, not a card number.
    za_id = "4912215024185"
    text = "customer,SA ID,city\n" + "\n".join(f"Person {i},{za_id},Durban" for i in range(3))
    found = {(f.detector, text[f.start : f.end]) for f in engine.scan(text)}
    assert found == {("za-id-number", za_id)}
