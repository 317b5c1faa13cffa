"""How sure resolution is, 0..1, for each kind of evidence: one table, imported by every phase."""

CONFIDENCE_CARD_ID = 0.80
"""The card names a Hub license id the knowledge base knows."""
CONFIDENCE_CARD_ALIAS = 0.70
"""The card's `license` is not a Hub id but an SPDX id or a known alias (`Apache 2.0`)."""
CONFIDENCE_TAG = 0.70
"""Only the Hub's `license:` tags say it (the card field was absent or unreadable)."""
CONFIDENCE_NAME = 0.60
"""`license: other` with a `license_name` the knowledge base knows."""
CONFIDENCE_PATTERN = 0.50
"""A name recognised only by a knowledge-base pattern, not an exact alias."""
CONFIDENCE_TEXT_MARKERS = 0.75
"""A license file recognised by two or more marker phrases."""
CONFIDENCE_TEXT_ONE_MARKER = 0.65
CONFIDENCE_TEXT_SIMILARITY = 0.80
"""Cap for a file recognised by similarity alone (scaled by the score)."""
CONFIDENCE_LINK = 0.45
"""Only `license_link` points at a known license (the link itself is never fetched)."""
CONFIDENCE_PDF_NAME = 0.45
"""Only the file name of an unread PDF license names it (`Community License for Baichuan 2 Model.pdf`)."""
BOOST_TEXT = 0.30
"""A license file that says the same as the metadata: the primary text confirms the declaration, which is
what `high` means (any declaration plus the text reaches CONFIDENCE_HIGH)."""
BOOST_LINK = 0.04
BOOST_NAME = 0.04
"""Fields of the same card repeating it: together (0.80 + 0.08) still below `high` without the text."""
CONFIDENCE_MAX = 0.98
CONFIDENCE_CONFLICT = 0.30
"""Evidence disagrees: we know the candidates, not which one governs."""
MULTIPLE_FACTOR = 0.90
"""Several licenses declared: a person has to confirm how they combine."""

# What the numbers mean to a reader (`licenses/explain.py: confidence_text` says it in words).
CONFIDENCE_HIGH = 0.90
"""High: a declaration confirmed by the license text. A card id (0.80), alias or tag (0.70) or known
`license_name` (0.60) plus BOOST_TEXT reaches it; metadata alone (0.80 + link + name = 0.88) never does."""
CONFIDENCE_MEDIUM = 0.60
"""Medium: one declaration (card id, alias, tag, known `license_name`) or a recognised license text alone."""
