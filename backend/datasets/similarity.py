"""Near-duplicate search for the upload's warnings: MinHash over word 3-gram shingles, LSH banding, then a check.

Two texts are near duplicates when the Jaccard similarity of their sets of 3-word shingles (after the warnings'
normalisation: lower case, no punctuation, collapsed spacing) is at least 0.8. Two 5,000-character answers that
differ by one digit share ~99% of their shingles; "What is 2 plus 2" and "What is 3 plus 3" share none.

A row has several texts (instruction, input, output); they are compared field by field, and the row's similarity is
the product of its fields' (that is what matching positions of the combined signatures estimate): a long shared
instruction with a different short input is then not a near duplicate, as it would be over the row's text as one.

Cost: each word is hashed once (map(crc32, ...) runs in C); shingles and their minima are numpy
operations on a batch of rows at a time. The signature is one permutation hashing (Li, Owen & Zhang, 2012) rather
than NUM_PERM hash functions: each shingle is hashed once, the hash's top 6 bits choose one of 64 bins and each
bin keeps its smallest hash; empty bins are filled from a neighbour (_densify). On 10,000 Alpaca-like rows that
took 0.3 s where 64 multiply-shift hash functions took 1.6 s. What is kept per row is its two 16-bit signatures
(prompt, and the whole row): 2 x 64 x 2 bytes = 256 bytes, 13 MB for 52,000 rows. Candidates come from LSH
banding (rows equal on all 8 values of one of 8 bands: found by sorting, never by comparing all pairs) and each
is checked on its whole signature, so the reported similarity is an estimate from 64 values
(± 0.05 around 0.8). The word hash is crc32, the same in every process, so an upload always gets the same warnings.
"""

from array import array
from collections.abc import Sequence
from math import ceil
from zlib import crc32

import numpy as np
import numpy.typing as npt

THRESHOLD = 0.8
SHINGLE_WORDS = 3
NUM_PERM = 64
BANDS = 8  # 8 bands of 8 values: a pair at similarity 0.8 shares a band with probability 1 - (1 - 0.8**8)**8 = 0.68,
ROWS_PER_BAND = NUM_PERM // BANDS  # at 0.9 0.99, at 0.5 0.03; the check then keeps those at 0.8 or above.
FIELDS = 3  # per row: two prompt texts and the answer (see warnings.similarity_fields)
MIN_MATCHES = ceil(THRESHOLD * NUM_PERM)
BATCH_WORDS = 1 << 16  # words per numpy batch: a few MB of arrays

Signatures = npt.NDArray[np.uint16]
_U64 = np.uint64
_rng = np.random.default_rng(0x5EED)
_BIN_BITS = 6  # 2**6 = NUM_PERM bins
_EMPTY = (1 << (64 - _BIN_BITS)) - 1  # above any value a bin keeps: the bin is empty
_OFFSET = _U64(0x9E3779B97F4A7C15)
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
            # crc32 rather than hash(): Python salts hash() per process, and the same upload must get the same
            # warnings and split in every process (a salted hash made a borderline pair match in one run only).
            self._words.extend(map(crc32, text.encode().split()))
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
        self._prompt_parts = []  # not held twice
        rows = np.concatenate(self._row_parts) if self._row_parts else empty
        self._row_parts = []
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
            shingles = _finalise(shingles)
            # One permutation hashing: the hash's top bits pick the bin, the rest is what the bin keeps the minimum of.
            bins = (shingles >> _U64(64 - _BIN_BITS)).astype(np.int64)
            field_of = np.repeat(np.arange(len(lengths)), counts)
            minima = np.full(len(lengths) * NUM_PERM, _EMPTY, dtype=np.uint64)
            np.minimum.at(minima, field_of * NUM_PERM + bins, shingles & _U64(_EMPTY >> 1))
            minima = _densify(minima.reshape(len(lengths), NUM_PERM))
            per_row = minima.reshape(-1, FIELDS, NUM_PERM)
            prompt = _mix(per_row[:, 0], per_row[:, 1])
            row = _mix(prompt, per_row[:, 2])
        self._prompt_parts.append((prompt >> _U64(48)).astype(np.uint16))
        self._row_parts.append((row >> _U64(48)).astype(np.uint16))


def _finalise(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Every input bit spread over every output bit (SplitMix64's finaliser), so the top bits pick bins evenly."""
    values = values ^ (values >> _U64(30))
    values *= _U64(0xBF58476D1CE4E5B9)
    values ^= values >> _U64(27)
    values *= _U64(0x94D049BB133111EB)
    values ^= values >> _U64(31)
    return values


def _densify(minima: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """An empty bin takes the minimum of the next filled bin to its right (wrapping round), plus an offset per bin
    it moved: "rotation" densification (Shrivastava & Li, 2014). Two texts then agree on a bin with probability
    about their Jaccard similarity, as with NUM_PERM separate MinHash functions. Every field has a shingle, so
    every row has a filled bin."""
    empty = minima == _EMPTY
    sparse = np.flatnonzero(empty.any(axis=1))  # long texts fill every bin: nothing to do
    if not len(sparse):
        return minima
    # Bin indices over two laps (int16: small arrays), the empty ones out of reach; a running minimum from the
    # right then gives each bin the nearest filled one at or after it.
    position = np.arange(2 * NUM_PERM, dtype=np.int16)
    index = np.where(np.tile(empty[sparse], 2), np.int16(4 * NUM_PERM), position)
    nearest = np.minimum.accumulate(index[:, ::-1], axis=1)[:, : NUM_PERM - 1 : -1]
    taken = np.take_along_axis(minima[sparse], nearest & np.int16(NUM_PERM - 1), axis=1)
    moved = (nearest - position[:NUM_PERM]).astype(np.uint64)
    minima[sparse] = taken + moved * _OFFSET
    return minima


def _mix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """One value from two fields' values at the same position: equal (almost surely) only when both are."""
    mixed = (a * _MIX) ^ b
    mixed ^= mixed >> _U64(33)
    mixed *= _MIX
    mixed ^= mixed >> _U64(29)
    return mixed


def band_key(signatures: Signatures, band: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per row for a band of ROWS_PER_BAND values (a band at a time: 8 bytes per row and value)."""
    values = signatures[:, band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND].astype(np.uint64)
    with np.errstate(over="ignore"):
        keys: npt.NDArray[np.uint64] = (values * _BAND_WEIGHTS).sum(axis=1, dtype=np.uint64)
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
    eligible_signatures = signatures if len(rows) == len(signatures) else signatures[rows]
    for band in range(BANDS):
        keys = band_key(eligible_signatures, band)
        _unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
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
    pool_signatures, query_signatures = signatures[pool], signatures[queries]
    for band in range(BANDS):
        pool_keys, query_keys = band_key(pool_signatures, band), band_key(query_signatures, band)
        order = np.argsort(pool_keys, kind="stable")
        sorted_keys = pool_keys[order]
        at = np.minimum(np.searchsorted(sorted_keys, query_keys), len(order) - 1)
        candidates = (sorted_keys[at] == query_keys) & (found < 0)
        partner = pool[order[at[candidates]]]
        hits = similar(signatures[queries[candidates]], signatures[partner])
        found[np.flatnonzero(candidates)[hits]] = partner[hits]
    return found
