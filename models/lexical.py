"""Sparse lexical features of texts: word and character n-gram TF-IDF.

Sentence embeddings blur the exact words that often decide a frame ("NRA", "shooter was mentally
ill", "stocks"); a TF-IDF block of word 1–2-grams and one of character 2–5-grams (within word
boundaries, which also catches inflections and misspellings) put them back beside the embedding in
one linear model. Each block is scaled to unit length per text, like the embeddings, so that the
three blocks weigh alike under one regularisation strength.

A fitted :class:`Lexicon` is its vocabularies and inverse document frequencies, nothing else, so it
is stored as plain arrays (see :meth:`Lexicon.arrays`) and rebuilt without pickling any object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from pipeline.errors import ModelError

# Caps keep a classifier trained on long texts (whole articles) to a few MB on disk.
# Words of one letter or digit count too, so that any text with a word has a word feature.
WORD_OPTIONS: dict[str, Any] = {
    "analyzer": "word",
    "ngram_range": (1, 2),
    "max_features": 20000,
    "token_pattern": r"(?u)\b\w+\b",
}
CHAR_OPTIONS: dict[str, Any] = {"analyzer": "char_wb", "ngram_range": (2, 5), "max_features": 50000}
BLOCKS = {"word": WORD_OPTIONS, "char": CHAR_OPTIONS}


@dataclass(frozen=True)
class Lexicon:
    """Fitted vocabularies and inverse document frequencies of the lexical blocks.

    Attributes:
        terms: Per block (``word``, ``char``): its n-grams in column order.
        idf: Per block: the inverse document frequency of each n-gram.
    """

    terms: dict[str, list[str]]
    idf: dict[str, np.ndarray]

    @property
    def dimension(self) -> int:
        """Number of lexical columns (all blocks)."""
        return sum(len(terms) for terms in self.terms.values())

    def features(self, texts: Sequence[str]) -> Any:
        """Sparse matrix (texts × :attr:`dimension`): the blocks side by side, each row unit length."""
        import scipy.sparse as sp

        blocks = [vectorizer.transform(list(texts)) for vectorizer in self._vectorizers]
        return sp.hstack(blocks, format="csr")

    @cached_property
    def _vectorizers(self) -> list[Any]:
        return [_vectorizer(name, self.terms[name], self.idf[name]) for name in BLOCKS]

    def arrays(self) -> dict[str, np.ndarray]:
        """The lexicon as plain arrays (``word_terms``, ``word_idf``, …) for an ``.npz`` file."""
        out: dict[str, np.ndarray] = {}
        for name in BLOCKS:
            out[f"{name}_terms"] = np.array(self.terms[name], dtype=str)
            out[f"{name}_idf"] = np.asarray(self.idf[name], dtype=np.float64)
        return out


def fit_lexicon(texts: Sequence[str]) -> Lexicon:
    """Learn the n-gram vocabularies and their idf from training texts.

    Raises:
        ModelError: When the texts hold no word at all.
    """
    terms, idf = {}, {}
    for name, options in BLOCKS.items():
        vectorizer = _make_vectorizer(options)
        try:
            vectorizer.fit(list(texts))
        except ValueError as exc:  # an empty vocabulary
            raise ModelError(
                f"the training texts give no {name} n-grams ({exc}); label texts with words in them"
            ) from exc
        terms[name] = [str(term) for term in vectorizer.get_feature_names_out()]
        idf[name] = np.asarray(vectorizer.idf_, dtype=np.float64)
    return Lexicon(terms, idf)


def lexicon_from_arrays(arrays: Mapping[str, np.ndarray]) -> Lexicon:
    """Rebuild a lexicon from :meth:`Lexicon.arrays` output.

    Raises:
        KeyError: When an array is missing.
        ValueError: When a block's terms and idf differ in length.
    """
    terms = {name: [str(t) for t in arrays[f"{name}_terms"].tolist()] for name in BLOCKS}
    idf = {name: np.asarray(arrays[f"{name}_idf"], dtype=np.float64) for name in BLOCKS}
    for name in BLOCKS:
        if len(terms[name]) != len(idf[name]):
            raise ValueError(f"{name} block: {len(terms[name])} terms but {len(idf[name])} idf")
    return Lexicon(terms, idf)


def _make_vectorizer(options: dict[str, Any], vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, dtype=np.float64, vocabulary=vocabulary, **options)


def _vectorizer(name: str, terms: list[str], idf: np.ndarray) -> Any:
    """A fitted TF-IDF vectorizer made from a stored vocabulary and idf."""
    vectorizer = _make_vectorizer(BLOCKS[name], {term: i for i, term in enumerate(terms)})
    vectorizer.idf_ = idf
    return vectorizer
