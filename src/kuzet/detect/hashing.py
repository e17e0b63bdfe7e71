"""Hashed character n-grams within word boundaries, computed with numpy.

The same features as scikit-learn's ``char_wb`` analyzer (each whitespace-separated word padded
with one space on each side, n-grams that do not cross a word), hashed into a fixed space. The
n-grams are never built as strings: a polynomial rolling hash over the code points gives all
n-grams of one length in a few array operations, which is about ten times faster than the
Python loop in scikit-learn and keeps detection above a thousand 1 KB documents a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_PRIME = np.uint64(1099511628211)  # FNV-1 64-bit prime
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)  # murmur3 finaliser constants
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SPACE = 32


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX2
    return h ^ (h >> np.uint64(33))


class CharNgramHasher:
    """``transform(texts)`` -> CSR matrix of n-gram counts, shape (len(texts), n_features)."""

    def __init__(self, min_n: int = 2, max_n: int = 5, n_features: int = 2**18) -> None:
        if not 1 <= min_n <= max_n:
            raise ValueError("need 1 <= min_n <= max_n")
        self.min_n, self.max_n, self.n_features = min_n, max_n, n_features

    def hashes(self, text: str) -> np.ndarray:
        """Bucket index of every n-gram of ``text`` (with repeats)."""
        return self.batch_hashes([text])[0]

    def batch_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Bucket index of every n-gram of every text, and the index of the text each came from.

        All texts are hashed in one array pass (per-call numpy overhead dominates on 1 KB
        texts); an n-gram that would straddle two texts is dropped.
        """
        padded = ["" if not (words := t.split()) else " " + " ".join(words) + " " for t in texts]
        joined = "".join(padded)
        if not joined:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
        doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        length = len(codes)
        is_space = codes == _SPACE
        spaces = np.concatenate(([0], np.cumsum(is_space)))
        parts: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        with np.errstate(over="ignore"):
            # rolling[i] is the polynomial hash of the n characters from i: one multiply-add
            # per length from the previous length's array, not n of them.
            rolling = np.zeros(length, dtype=np.uint64)
            for n in range(1, self.max_n + 1):
                m = length - n + 1
                if m <= 0:
                    break
                rolling = rolling[:m] * _PRIME + codes[n - 1 : n - 1 + m]
                if n < self.min_n:
                    continue
                h = rolling * _PRIME + np.uint64(n)
                # Every padded text begins and ends with a space and holds no two spaces in a
                # row, so an n-gram straddling two texts holds a space strictly inside it
                # (n >= 3, dropped with the n-grams crossing words) or is two spaces (n == 2).
                if n == 1:
                    keep = ~is_space
                elif n == 2:
                    keep = ~(is_space[:m] & is_space[1 : 1 + m])
                else:
                    # An n-gram belongs to one word when no space sits strictly inside it.
                    keep = spaces[n - 1 : n - 1 + m] == spaces[1 : 1 + m]
                parts.append(h[keep])
                owners.append(doc_of[:m][keep])
            if not parts:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            mixed = _mix(np.concatenate(parts))
        if self.n_features & (self.n_features - 1) == 0:
            buckets = mixed & np.uint64(self.n_features - 1)  # the same as % for a power of two
        else:
            buckets = mixed % np.uint64(self.n_features)
        return buckets.astype(np.int64), np.concatenate(owners)

    def counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Distinct bucket indices of ``text`` and how often each occurs."""
        return np.unique(self.hashes(text), return_counts=True)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        # scipy is needed for training only; detection works on ``counts`` (start-up time).
        import scipy.sparse as sp

        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        for text in texts:
            cols, counts = np.unique(self.hashes(text), return_counts=True)
            indices.append(cols)
            data.append(counts.astype(np.float32))
            indptr.append(indptr[-1] + len(cols))
        return sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr),
            ),
            shape=(len(texts), self.n_features),
        )
