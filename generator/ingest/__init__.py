"""Listings → records: resolve years, titles, slugs, duplicates and links, then merge into
content/papers/ without losing anything the user wrote.

One module a job: ``pipeline`` (the steps of an ingest), ``listing_files`` and
``record_files`` (reading and writing the files), ``papers`` (the listings' papers),
``identity`` (what a paper is recognised by), ``merge`` (papers into records), ``state`` (what
the next ingest reuses), ``result`` and ``report`` (what an ingest did, and its notes).

Tests: tests/test_ingest.py
"""

from __future__ import annotations

from .listing_files import listing_paths
from .pipeline import ingest
from .record_files import load_records
from .result import IngestResult

# Settled is named here too: a cache pickled before ingest was a package names it so.
from .state import IngestCache, Settled

__all__ = ["IngestCache", "IngestResult", "Settled", "ingest", "listing_paths", "load_records"]
