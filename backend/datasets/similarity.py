"""Near-duplicate search for the upload's warnings: MinHash over word 3-gram shingles, LSH banding, then a check.

Two texts are near duplicates when the Jaccard similarity of their sets of 3-word shingles (after the warnings'
normalisation: lower case, no punctuation, collapsed spacing) is at least 0.8. Two 5,000-character answers that
differ by one digit share ~99% of their shingles; "What is 2 plus 2" and "What is 3 plus 3" share none.

A row has several texts (instruction, input, output); they are compared field by field, and the row's similarity is
the product of its fields' (that is what matching positions of the combined signatures estimate): a long shared
instruction with a different short input is then not a near duplicate, as it would be over the row's text as one.

Cost: each word is hashed once in Python (map(hash, ...) runs in C); shingles, the NUM_PERM hash functions and
the per-field minima are numpy operations on a batch of rows at a time. What is kept per row is its two 16-bit
signatures (prompt, and the whole row): 2 x 64 x 2 bytes = 256 bytes, 13 MB for 52,000 rows. Candidates come
from LSH banding (rows equal on all 8 values of one of 8 bands: found by sorting, never by comparing all pairs)
and each is checked on its whole signature, so the reported similarity is an estimate from 64 values
(± 0.05 around 0.8). Python's hash() is salted per process: signatures are only ever compared within one upload.
"""

from array import array
from collections.abc import Sequence
from math import ceil

import numpy as np
import numpy.typing as npt

THRESHOLD = 0.8
SHINGLE_WORDS = 3
NUM_PERM = 64
BANDS = 8  # 8 bands of 8 values: a pair at similarity 0.8 shares a band with probability 1 - (1 - 0.8**8)**8 = 0.68,
ROWS_PER_BAND = NUM_PERM // BANDS  # at 0.9 0.99, at 0.5 0.03; the check then keeps those at 0.8 or above.
FIELDS = 3  # per row: two prompt texts and the answer (see WarningCollector.add)
MIN_MATCHES = ceil(THRESHOLD * NUM_PERM)
BATCH_WORDS = 1 << 16  # words per numpy batch; shingles are hashed 32K at a time: 32K x 64 x 8 bytes = 16 MB

Signatures = npt.NDArray[np.uint16]
_U64 = np.uint64
_rng = np.random.default_rng(0x5EED)
# Multiply-shift hashing: odd 64-bit multipliers, the high 32 bits kept.
_MULTIPLIERS = _rng.integers(1, 2**63, NUM_PERM, dtype=np.uint64) * _U64(2) + _U64(1)
_SHINGLE = (_U64(0x9E3779B97F4A7C15), _U64(0xC2B2AE3D27D4EB4F), _U64(0x165667B19E3779F9))
_PAD = 0x2545F4914F6CDD1D  # stands for the missing words of a text shorter than a shingle (an empty one too)
_MIX = _U64(0xFF51AFD7ED558CCD)
_BAND_WEIGHTS = _rng.integers(1, 2**63, ROWS_PER_BAND, dtype=np.uint64) * _U64(2) + _U64(1)


class SignatureBuilder:
    """Fed one row at a time (three normalised texts); signatures are computed a batch of rows at a time."""

    def __init__(self) -> None:
        self._words = array("q")
        self._lengths: list[int] = []  # words per field, padded to at least SHINGLE_WORDS
        self._prompt_parts: list[Signatures] = []
        self._row_parts: list[Signatures] = []

    def add(self, fields: Sequence[str]) -> None:
        for text in fields:
            before = len(self._words)
            self._words.extend(map(hash, text.split()))
            missing = SHINGLE_WORDS - (len(self._words) - before)
            if missing > 0:
                self._words.extend([_PAD] * missing)
            self._lengths.append(len(self._words) - before)
        if len(self._words) >= BATCH_WORDS:
            self._flush()

    def finish(self) -> tuple[Signatures, Signatures]:
        """(prompt signatures, whole-row signatures): one row of NUM_PERM values per row added, in order."""
        self._flush()
        empty = np.empty((0, NUM_PERM), dtype=np.uint16)
        prompts = np.concatenate(self._prompt_parts) if self._prompt_parts else empty
        rows = np.concatenate(self._row_parts) if self._row_parts else empty
        return prompts, rows

    def _flush(self) -> None:
        if not self._lengths:
            return
        words = np.frombuffer(self._words, dtype=np.int64).view(np.uint64)
        lengths = np.asarray(self._lengths, dtype=np.int64)
        self._words = array("q")
        self._lengths = []
        # Shingle i of a field starts at its word i; the last two words of a field start none.
        counts = lengths - (SHINGLE_WORDS - 1)
        starts = np.cumsum(lengths) - lengths
        first_shingle = np.cumsum(counts) - counts
        positions = np.arange(counts.sum()) - np.repeat(first_shingle - starts, counts)
        with np.errstate(over="ignore"):
            shingles = words[positions] * _SHINGLE[0] + words[positions + 1] * _SHINGLE[1]
            shingles += words[positions + 2] * _SHINGLE[2]
            shingles ^= shingles >> _U64(29)
            minima = np.empty((len(lengths), NUM_PERM), dtype=np.uint64)
            step = max(1, BATCH_WORDS // 2)
            field_of = np.repeat(np.arange(len(lengths)), counts)
            for begin in range(0, len(shingles), step):
                chunk = slice(begin, begin + step)
                hashed = np.multiply.outer(shingles[chunk], _MULTIPLIERS)
                hashed >>= _U64(32)
                fields = field_of[chunk]
                run_starts = np.flatnonzero(np.r_[True, fields[1:] != fields[:-1]])
                mins = np.minimum.reduceat(hashed, run_starts, axis=0)
                ids = fields[run_starts]
                fresh = ids >= (field_of[begin - 1] + 1 if begin else 0)  # a field's first chunk
                minima[ids[fresh]] = mins[fresh]
                minima[ids[~fresh]] = np.minimum(minima[ids[~fresh]], mins[~fresh])
            per_row = minima.reshape(-1, FIELDS, NUM_PERM)
            prompt = _mix(per_row[:, 0], per_row[:, 1])
            row = _mix(prompt, per_row[:, 2])
        self._prompt_parts.append((prompt >> _U64(48)).astype(np.uint16))
        self._row_parts.append((row >> _U64(48)).astype(np.uint16))


def _mix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One value from two fields' values at the same position: equal (almost surely) only when both are."""
    mixed = (a * _MIX) ^ b
    mixed ^= mixed >> _U64(33)
    mixed *= _MIX
    mixed ^= mixed >> _U64(29)
    return mixed


def band_keys(signatures: Signatures) -> npt.NDArray[np.uint64]:
    """(rows, BANDS): one 64-bit key per band of ROWS_PER_BAND values."""
    bands = signatures.astype(np.uint64).reshape(len(signatures), BANDS, ROWS_PER_BAND)
    with np.errstate(over="ignore"):
        keys: npt.NDArray[np.uint64] = (bands * _BAND_WEIGHTS).sum(axis=2, dtype=np.uint64)
    return keys


def similar(a: Signatures, b: Signatures) -> npt.NDArray[np.bool_]:
    """Row by row: is the estimated similarity at least THRESHOLD?"""
    matches: npt.NDArray[np.bool_] = (a == b).sum(axis=1) >= MIN_MATCHES
    return matches


def earlier_match(signatures: Signatures, eligible: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """For each eligible row, the index of an earlier eligible row it nearly duplicates, else -1.

    Per band, every row is compared with the first eligible row of its bucket (not with every member: a bucket
    of 10,000 identical rows costs 10,000 checks, not 50 million)."""
    found = np.full(len(signatures), -1, dtype=np.int64)
    rows = np.flatnonzero(eligible)
    if len(rows) < 2:
        return found
    keys = band_keys(signatures[rows])
    for band in range(BANDS):
        _unique, first, inverse = np.unique(keys[:, band], return_index=True, return_inverse=True)
        representative = rows[first[inverse.reshape(-1)]]
        candidates = (representative < rows) & (found[rows] < 0)
        checked = rows[candidates]
        hits = similar(signatures[checked], signatures[representative[candidates]])
        found[checked[hits]] = representative[candidates][hits]
    return found


def match_in(
    signatures: Signatures, queries: npt.NDArray[np.int64], pool: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each query row, the index of a pool row it nearly duplicates, else -1."""
    found = np.full(len(queries), -1, dtype=np.int64)
    if not len(queries) or not len(pool):
        return found
    pool_keys = band_keys(signatures[pool])
    query_keys = band_keys(signatures[queries])
    for band in range(BANDS):
        order = np.argsort(pool_keys[:, band], kind="stable")
        sorted_keys = pool_keys[order, band]
        at = np.minimum(np.searchsorted(sorted_keys, query_keys[:, band]), len(order) - 1)
        candidates = (sorted_keys[at] == query_keys[:, band]) & (found < 0)
        partner = pool[order[at[candidates]]]
        hits = similar(signatures[queries[candidates]], signatures[partner])
        found[np.flatnonzero(candidates)[hits]] = partner[hits]
    return found
