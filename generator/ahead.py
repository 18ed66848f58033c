"""Work a build starts on the records as read, before the ingest merges the listings into
them: each piece in another process, while this one merges and saves the ingest cache.

On a cold build of 100,000 papers the merge and the save kept one processor busy for
7 s with the other idle, and the model then classified every paper (10 s) and the related
papers were computed beside it. Started here, both are done or nearly when the model is
made. The merge seldom changes what they are computed from; when it does (a listing
brought new papers), the related papers are computed again from the merged records and
the classifications missing are made by the model, as without this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

from .classify import Classification
from .config import Config
from .forked import Forked
from .models import Record
from .paper_fields import classes_of, paper_texts
from .related_cache import Pending, RelatedMemo, Texts
from .site import ModelMemo

# records without a remembered classification from which they are classified ahead
CLASSIFY_FROM = 2000
RELATED_NICENESS = 10


class Ahead:
    """`start` is given the records as read (ingest's `records_read`). `related` is the
    folder of the related-papers cache, for a build that wants them computed in another
    process (a cold build; a session computes them its own way)."""

    def __init__(
        self, config: Config, memo: ModelMemo, related: Path | None, related_memo: RelatedMemo
    ) -> None:
        self.config, self.memo = config, memo
        self.cache, self.related_memo = related, related_memo
        self.classes: Forked[dict[bytes, Classification]] | None = None
        self.pending: Pending | None = None

    def start(self, records: Mapping[str, Record]) -> None:
        if len(records) - len(self.memo.classes) >= CLASSIFY_FROM:
            job = partial(classes_of, self.config, list(records.values()), self.memo.classes)
            self.classes = Forked(job)
        if self.cache is not None:
            self._start_related(paper_texts(records.values(), self.config.drafts))

    def related(self, records: Iterable[Record], merged: bool) -> Pending:
        """The related papers of the merged `records`: those started, unless the merge
        changed a record (`merged`) and so what they are computed from."""
        assert self.cache is not None
        if self.pending is not None and not merged:
            return self.pending
        texts = paper_texts(records, self.config.drafts)
        if self.pending is not None and self.pending.texts == texts:
            return self.pending
        self.cancel_related()
        return self._start_related(texts)

    def _start_related(self, texts: Texts) -> Pending:
        assert self.cache is not None
        self.pending = Pending(
            self.cache, texts, self.config.related, self.related_memo, niceness=RELATED_NICENESS
        )
        return self.pending

    def classified(self) -> None:
        """Put the classifications made ahead into the model's memo (waiting for them)."""
        if self.classes is not None:
            found = self.classes.result()
            self.classes = None
            self.memo.classes.update(found)
            self.memo.classes_added += len(found)

    def cancel(self) -> None:
        """Stop what was started: the build failed before using it."""
        if self.classes is not None:
            self.classes.cancel()
            self.classes = None
        self.cancel_related()

    def cancel_related(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            self.pending = None
