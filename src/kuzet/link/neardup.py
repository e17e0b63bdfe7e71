"""Near-duplicate text: MinHash sketches of normalised word shingles, LSH bands in the database.

A mirror on a new domain with a new wallet still shows the same page: its shingles overlap the
original's almost entirely. Every stored sketch carries its scheme (MinHash permutation scheme,
``num_perm``, seed, shingle definition); sketches of different schemes are never compared, because
their hash values mean different things. Candidates come from the band table by SQL, so any
process sees the sketches every other process stored; the estimated Jaccard similarity of each
candidate is then checked against the threshold.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.detect.normalize import normalize
from kuzet.errors import KuzetError
from kuzet.store.models import TextBandRow, TextSketchRow

# Texts longer than this are cut: a mirror shows the same start, and hostile pages can be huge.
MAX_SKETCH_CHARS = 100_000
_WORD = re.compile(r"\w+", re.UNICODE)


class SchemeMismatch(KuzetError):
    """Two sketches of different schemes were about to be compared."""


@dataclass(frozen=True, slots=True)
class SketchScheme:
    num_perm: int = 128
    seed: int = 1
    shingle_words: int = 5
    bands: int = 32  # rows per band = num_perm / bands; threshold of the S-curve ~ (1/b)^(1/r)
    permutation: str = "affine32"

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def shingle(self) -> str:
        return f"normalize-words-{self.shingle_words}"

    @property
    def name(self) -> str:
        return f"minhash-{self.permutation}-p{self.num_perm}-s{self.seed}-{self.shingle}-b{self.bands}"

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError("num_perm must be a multiple of bands")


DEFAULT_SCHEME = SketchScheme()


@dataclass(frozen=True, slots=True)
class Sketch:
    scheme: str
    hashvalues: tuple[int, ...]
    shingles: int

    def jaccard(self, other: Sketch) -> float:
        if other.scheme != self.scheme:
            raise SchemeMismatch(f"cannot compare sketches of schemes {self.scheme} and {other.scheme}")
        a, b = np.asarray(self.hashvalues), np.asarray(other.hashvalues)
        return float(np.count_nonzero(a == b)) / float(len(a))


def shingles(text: str, words: int = DEFAULT_SCHEME.shingle_words) -> set[str]:
    """Word n-grams of the normalised text (homoglyphs, leet and case folded the detector's way)."""
    tokens = _WORD.findall(normalize(text[:MAX_SKETCH_CHARS]).text)
    if len(tokens) < words:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + words]) for i in range(len(tokens) - words + 1)}


def sketch(text: str, scheme: SketchScheme = DEFAULT_SCHEME) -> Sketch:
    grams = shingles(text, scheme.shingle_words)
    from datasketch import MinHash  # here, not at import: it pulls in scipy, and every CLI command imports this

    m = MinHash(num_perm=scheme.num_perm, seed=scheme.seed, scheme=scheme.permutation)  # type: ignore[arg-type]
    if grams:
        m.update_batch([g.encode("utf-8") for g in sorted(grams)])
    return Sketch(scheme.name, tuple(int(v) for v in m.hashvalues), len(grams))


def band_hashes(sk: Sketch, scheme: SketchScheme = DEFAULT_SCHEME) -> list[str]:
    """One digest per band of ``rows`` hash values."""
    if sk.scheme != scheme.name:
        raise SchemeMismatch(f"sketch of scheme {sk.scheme} banded with {scheme.name}")
    out = []
    for b in range(scheme.bands):
        part = sk.hashvalues[b * scheme.rows : (b + 1) * scheme.rows]
        out.append(hashlib.blake2b(",".join(map(str, part)).encode(), digest_size=12).hexdigest())
    return out


def store_sketch(
    s: Session, document_id: int, resource_id: int | None, text: str, scheme: SketchScheme = DEFAULT_SCHEME
) -> TextSketchRow:
    """The document's sketch row and bands (re-used when present: the link job may run twice)."""
    row = s.execute(select(TextSketchRow).where(TextSketchRow.document_id == document_id)).scalar_one_or_none()
    if row is not None:
        return row
    sk = sketch(text, scheme)
    row = TextSketchRow(
        document_id=document_id,
        resource_id=resource_id,
        scheme=sk.scheme,
        num_perm=scheme.num_perm,
        seed=scheme.seed,
        shingle=scheme.shingle,
        shingles=sk.shingles,
        hashvalues=list(sk.hashvalues),
    )
    s.add(row)
    s.flush()
    for band, digest in enumerate(band_hashes(sk, scheme)):
        s.add(TextBandRow(sketch_id=row.id, band=band, scheme=sk.scheme, hash=digest))
    s.flush()
    return row


def row_sketch(row: TextSketchRow) -> Sketch:
    return Sketch(row.scheme, tuple(int(v) for v in row.hashvalues or []), row.shingles)


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    document_id: int
    resource_id: int | None
    other_document_id: int
    other_resource_id: int | None
    similarity: float


def near_duplicates(
    s: Session, row: TextSketchRow, threshold: float, *, min_shingles: int, max_candidates: int = 500
) -> list[NearDuplicate]:
    """Stored sketches of other resources whose estimated Jaccard similarity is >= ``threshold``.

    Texts with fewer than ``min_shingles`` shingles say too little to call two resources mirrors
    (a short post matches any other short post with the same greeting)."""
    if row.shingles < min_shingles:
        return []
    mine = select(TextBandRow.band, TextBandRow.hash).where(TextBandRow.sketch_id == row.id).subquery()
    cand_ids = (
        select(TextBandRow.sketch_id)
        .join(mine, (TextBandRow.band == mine.c.band) & (TextBandRow.hash == mine.c.hash))
        .where(TextBandRow.scheme == row.scheme, TextBandRow.sketch_id != row.id)
        .distinct()
        .limit(max_candidates)
    )
    own = row_sketch(row)
    out: list[NearDuplicate] = []
    for other in s.execute(select(TextSketchRow).where(TextSketchRow.id.in_(cand_ids))).scalars():
        if other.resource_id == row.resource_id or other.shingles < min_shingles:
            continue
        sim = own.jaccard(row_sketch(other))
        if sim >= threshold:
            out.append(NearDuplicate(row.document_id, row.resource_id, other.document_id, other.resource_id, sim))
    return sorted(out, key=lambda d: (-d.similarity, d.other_document_id))
