"""Nearest articles by meaning: the parts both stores share.

An article's meaning vector travels inside its features blob (float16, see
:func:`storyline.text.features.pack`). A store answers ``nearest(vector, k)`` either through pgvector
(PostgreSQL with the ``vector`` extension: an HNSW index over a table of ``halfvec`` rows that
:func:`halfvec_copy` fills) or by :func:`scan_nearest`, an exact scan over the stored blobs in chunks,
so memory stays bounded by the chunk and ``k``, not by the archive.

Both paths compare the same numbers: the stored float16 values and the query rounded to float16 (as
pgvector's ``::halfvec`` cast rounds it), so their similarities agree to float32 precision.

>>> import numpy as np
>>> from storyline.text.features import Features, pack
>>> rows = [(seq, f"a{seq}", 10 + seq, pack(Features({}, {}, {}, [], meaning=np.eye(3, dtype=np.float32)[seq])))
...         for seq in range(3)]
>>> [(n.article_id, n.story_id, round(n.similarity, 3)) for n in scan_nearest([rows], [1.0, 1.0, 0.0], k=2)]
[('a0', 10, 0.707), ('a1', 11, 0.707)]
"""

from __future__ import annotations

import heapq
import marshal
import struct
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # numpy loads only when vectors are read: sparse-mode commands start faster
    import numpy as np

#: Size of the vectors the pgvector table holds: the default model's (multilingual USE). Vectors of
#: another size (a model of your own) are found by the exact scan instead.
PGVECTOR_DIM = 512

#: Rows read per chunk by the exact scan (about 2 MB of float16 vectors at 512 dimensions).
SCAN_CHUNK = 2000


class Neighbour(NamedTuple):
    """One article near a query: its id, its (live) story and the cosine similarity."""

    article_id: str
    story_id: int
    similarity: float


def meaning_of(features: bytes) -> np.ndarray | None:
    """The float16 meaning vector inside a features blob; ``None`` if it has none (sparse mode) or
    it is all zeros (an article without text: no direction to compare).

    >>> import numpy as np
    >>> from storyline.text.features import Features, pack
    >>> meaning_of(pack(Features({}, {}, {}, [], meaning=np.ones(4, dtype=np.float32)))).tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> meaning_of(pack(Features({"quake": 1.0}, {}, {}, []))) is None
    True
    """
    import numpy as np

    # Only the tuple is read, not the whole Features: writes call this for every article.
    fields = marshal.loads(features)
    if len(fields) < 7 or not fields[6]:
        return None
    vec = np.frombuffer(fields[6], dtype=np.float16)
    return vec if vec.any() else None


def as_query(vector: Any) -> np.ndarray:
    """A query vector as both paths compare it: float16 values, computed with in float32.

    >>> as_query([0.1, 2.0]).dtype.name
    'float32'
    """
    import numpy as np

    vec = np.asarray(vector, dtype=np.float32).ravel().astype(np.float16).astype(np.float32)
    if not np.isfinite(vec).all():
        raise ValueError("the query vector has values that are not finite")
    return vec


def halfvec_text(vector: np.ndarray) -> str:
    """A vector as pgvector's text input (``'[0.5,1]'``), for a query parameter.

    >>> import numpy as np
    >>> halfvec_text(np.array([0.5, 1.0], dtype=np.float32))
    '[0.5,1.0]'
    """
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_END = struct.pack(">h", -1)


def halfvec_copy(rows: Iterable[tuple[int, np.ndarray]]) -> bytes:
    """``(seq, float16 vector)`` rows as one binary COPY stream for ``(seq BIGINT, embedding halfvec)``.

    Binary, because formatting 512 numbers per article as text costs more than the whole insert;
    pgvector's binary ``halfvec`` is a 16-bit dimension count, 16 unused bits, then big-endian halves.

    >>> import numpy as np
    >>> len(halfvec_copy([(1, np.zeros(512, dtype=np.float16))]))
    1067
    """
    out = [_COPY_HEADER]
    for seq, vec in rows:
        body = struct.pack(">hh", len(vec), 0) + vec.astype(">f2").tobytes()
        out.append(struct.pack(">hiqi", 2, 8, seq, len(body)) + body)
    out.append(_COPY_END)
    return b"".join(out)


def scan_nearest(chunks: Iterable[Sequence[tuple[int, str, int, bytes]]], vector: Any, k: int) -> list[Neighbour]:
    """The ``k`` articles most similar to ``vector``, exactly, from chunks of ``(seq, id, story,
    features)`` rows: most similar first, ties in arrival (``seq``) order.

    Only ``k`` candidates are kept between chunks, so memory is one chunk plus ``k``. Vectors of
    another size than the query's are skipped (another model's vectors cannot be compared).
    """
    import numpy as np

    if k <= 0:
        return []
    query = as_query(vector)
    qnorm = float(np.linalg.norm(query))
    if qnorm == 0.0:
        return []
    best: list[tuple[float, int, str, int]] = []  # a min-heap of (similarity, -seq, id, story)
    for chunk in chunks:
        keep: list[tuple[int, str, int]] = []
        vecs: list[np.ndarray] = []
        for seq, article_id, story, features in chunk:
            vec = meaning_of(bytes(features))
            if vec is not None and len(vec) == len(query):
                keep.append((seq, article_id, story))
                vecs.append(vec)
        if not vecs:
            continue
        matrix = np.vstack(vecs).astype(np.float32)
        sims = (matrix @ query) / (np.linalg.norm(matrix, axis=1) * qnorm)
        # Only rows that could enter the top k are pushed through the heap.
        top = np.argsort(-sims, kind="stable")[:k]
        for i in top:
            item = (float(sims[i]), -keep[i][0], keep[i][1], int(keep[i][2]))
            if len(best) < k:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
    return [Neighbour(aid, story, sim) for sim, _, aid, story in sorted(best, reverse=True)]
