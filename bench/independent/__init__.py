"""Evaluation corpora that the rules did not make: values come from published formats, example
numbers and checksums computed by generator code of their own (python-stdnum and phonenumbers
for personal data), never from the catalogue's patterns or validators."""
