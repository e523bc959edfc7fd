"""Evaluation corpora that the rules did not make: values come from each provider's published
format (prefix, length, alphabet, checksum) computed by generator code of their own, never from
the catalogue's patterns or validators."""
