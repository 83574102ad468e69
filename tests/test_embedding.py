"""The embedding model as assistant.encoder runs it: sentence-transformers' vectors, without its imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding import EmbeddingModelError, Embedder
from assistant.encoder import BertEncoder, Unsupported
from assistant.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def texts():
    paragraphs = [p for f in sorted((ROOT / "corpus").glob("*.txt")) for p in f.read_text().split("\n\n") if p.strip()]
    # empty, padded, not English, and past the model's 256 word pieces (truncated)
    return paragraphs[:60] + ["", "  spaces around  ", "é ü 中文 🙂", "\tTabs\nand lines", " ".join(paragraphs[:20])]


def test_vectors_and_word_pieces_are_sentence_transformers(texts):
    from sentence_transformers import SentenceTransformer

    model = load_settings().model
    reference = SentenceTransformer(model, device="cpu")
    embedder = Embedder(model, batch_size=64)
    assert isinstance(embedder.model, BertEncoder)
    assert (embedder.dimension, embedder.max_tokens) == (384, 256)
    for batch_size in (64, 7):
        embedder.batch_size = batch_size
        expected = reference.encode(texts, batch_size=batch_size, normalize_embeddings=True)
        got = embedder.encode(texts)
        assert got.dtype == np.float32 and got.shape == expected.shape
        assert np.abs(got - expected).max() < 1e-6
    assert embedder.tokenizer(texts)["input_ids"] == reference.tokenizer(texts)["input_ids"]
    assert embedder.tokenizer(texts[-1])["input_ids"] == reference.tokenizer(texts[-1])["input_ids"]


def test_encoding_shows_its_progress_when_asked(capsys):
    Embedder(load_settings().model, batch_size=1).encode(["one", "two"], progress=True)
    assert "Batches" in capsys.readouterr().err


def test_loading_and_encoding_import_no_sentence_transformers():
    script = ("import sys; from assistant.embedding import Embedder; from assistant.settings import load_settings; "
              "Embedder(load_settings().model).encode(['a question']); "
              "print(sorted(m for m in ('sentence_transformers', 'transformers', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_any_other_model_is_left_to_sentence_transformers(tmp_path):
    with pytest.raises(Unsupported):
        BertEncoder(tmp_path)
    with pytest.raises(EmbeddingModelError, match="cannot load embedding model"):
        Embedder(str(tmp_path / "missing")).dimension


def test_damaged_weights_are_one_error(tmp_path):
    model = Path(load_settings().model)
    shutil.copytree(model, tmp_path / "model", ignore=shutil.ignore_patterns("model.safetensors"))
    (tmp_path / "model" / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(EmbeddingModelError, match="cannot load embedding model"):
        Embedder(str(tmp_path / "model")).dimension
