"""The plain data passed between the pipeline's steps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class DocumentInfo:
    """What a citation says about its source document."""

    doc: str  # path relative to the collection's root, with forward slashes
    title: str
    publisher: str = ""
    kind: str = ""  # news / report / letter / ...
    date: str = ""  # ISO date or prefix of one ("2024-12-04", "2018-11"): what it is about, else when published
    derived_from: str = ""  # doc this one rewrites (a news story of a letter)
    published: str = ""  # when it was published: a report comes out weeks after the inspection it is about


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a document, as a person would find it."""

    id: str  # stable: "<doc>#<ordinal>"
    doc: str
    ordinal: int  # 1-based position among the document's paragraphs
    ref: str  # human reference: "¶41", "§4.12", "p. 3 ¶2"
    text: str
    heading: str = ""  # the heading it sits under, as context
    page: int | None = None


@dataclass
class Document:
    info: DocumentInfo
    paragraphs: list[Paragraph]
    sha256: str = ""  # of the source file's bytes


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded, searched and cited."""

    id: str  # "<doc>#<first ordinal>[.<part>]"
    doc: str
    ref: str
    text: str  # what is cited and shown
    heading: str = ""
    page: int | None = None
    paragraph_ids: tuple[str, ...] = ()

    def embedding_text(self, title: str = "") -> str:
        """Heading and title give the model the context a reader has."""
        parts = [p for p in (title, self.heading) if p]
        return (" — ".join(parts) + "\n" + self.text) if parts else self.text

    def to_dict(self) -> dict:
        d = asdict(self)
        d["paragraph_ids"] = list(self.paragraph_ids)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Chunk":
        return cls(**{**d, "paragraph_ids": tuple(d.get("paragraph_ids", ()))})


@dataclass
class Hit:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float  # fused score used for ranking
    dense: float = 0.0  # cosine similarity to the query
    lexical: float = 0.0  # BM25 score
    rank_dense: int | None = None
    rank_lexical: int | None = None


@dataclass
class Citation:
    n: int
    doc: str
    title: str
    ref: str
    page: int | None
    text: str
    score: float
    date: str = ""
    publisher: str = ""
    chunk_id: str = ""
    heading: str = ""  # the heading the passage sits under

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    query: str = ""  # what was actually searched, after resolving follow-ups
    collection: str = ""
    mode: str = "extractive"  # or "generative"
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    confidence: float = 0.0  # support for the best sentence; below the threshold it abstains
    hits: list[Hit] = field(default_factory=list, repr=False)  # what retrieval handed the composer (not serialised)
    turn: dict = field(default_factory=dict)  # this exchange as a conversation turn (conversation.Turn.to_dict())

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "query": self.query,
            "collection": self.collection,
            "mode": self.mode,
            "timings": dict(self.timings),
            "confidence": round(self.confidence, 4),
            "turn": dict(self.turn),
        }
