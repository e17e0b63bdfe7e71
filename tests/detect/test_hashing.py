"""The numpy n-gram hasher: texts hashed together give what each gives alone."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np

from kuzet.detect.hashing import CharNgramHasher


def _python_ngrams(text: str, lo: int, hi: int) -> Counter[str]:
    """scikit-learn's ``char_wb`` analyser, written out: n-grams of each space-padded word."""
    out: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for n in range(lo, hi + 1):
            for i in range(len(padded) - n + 1):
                gram = padded[i : i + n]
                if n == 1 and gram == " ":
                    continue
                out[gram] += 1
    return out


def test_a_batch_hashes_each_text_as_alone_and_counts_char_wb_ngrams() -> None:
    rng = random.Random(5)
    texts = ["", " ", "a", "ab", "  a  b ", "казино  бонус", "\n\t", "x" * 7]
    texts += ["".join(rng.choice("ab c\tд\n ") for _ in range(rng.randint(0, 15))) for _ in range(200)]
    for lo, hi in ((1, 4), (2, 5), (3, 3), (1, 1)):
        hasher = CharNgramHasher(lo, hi, 2**20)
        buckets, owners = hasher.batch_hashes(texts)
        for i, text in enumerate(texts):
            alone = np.sort(hasher.batch_hashes([text])[0])
            assert np.array_equal(np.sort(buckets[owners == i]), alone), (lo, hi, text)
            # As many hashes as char_wb n-grams (distinct n-grams may share a bucket, rarely).
            assert len(alone) == sum(_python_ngrams(text, lo, hi).values()), (lo, hi, text)
