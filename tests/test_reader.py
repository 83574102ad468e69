"""The reader: the embedding model with tuned top layers, tuned by evals.tune, loaded only for its own base."""

from __future__ import annotations

import numpy as np
import torch
from safetensors.torch import save_file

from assistant.embedding import Embedder
from assistant.reader import READER_FILE, Reader
from assistant.settings import load_settings
from evals import tune

MODEL = load_settings().model
QUESTION = "How many children were waiting for an independent visitor?"
SENTENCES = ["Twelve children were waiting for an independent visitor in March.",
             "Independent visitors are volunteers who befriend children in care.",
             "The independent visitor service was recommissioned last year."]


def _encoder():
    return Embedder(MODEL).model


def test_with_its_layers_untouched_the_reader_gives_the_embedding_model_s_own_similarities():
    encoder = _encoder()
    same = Reader(encoder, {k: v for k, v in encoder.weights.items() if k.startswith("encoder.layer.5.")})
    vectors = Embedder(MODEL).encode([QUESTION, *SENTENCES])
    assert np.allclose(same.similarities(QUESTION, SENTENCES), vectors[1:] @ vectors[0], atol=1e-5)
    assert same.similarities(QUESTION, []).shape == (0,)


def test_tuning_pulls_the_question_towards_the_sentence_that_answers_and_the_file_round_trips(tmp_path):
    encoder = _encoder()
    before = Reader(encoder, {}).similarities(QUESTION, SENTENCES)
    examples = [tune.Example(QUESTION, SENTENCES, [True, False, False], 1.0)] * 4
    tuned = tune.tune(encoder, examples, epochs=3)
    after = Reader(encoder, tuned).similarities(QUESTION, SENTENCES)
    assert after[0] - max(after[1:]) > before[0] - max(before[1:])
    assert set(tuned) == {k for k in encoder.weights if k.startswith(("encoder.layer.4.", "encoder.layer.5."))}
    path = tmp_path / "reader.safetensors"
    tune.save(encoder, tuned, path)
    loaded = Reader.load(MODEL, path)
    assert loaded is not None and np.allclose(loaded.similarities(QUESTION, SENTENCES), after, atol=2e-3)
    assert not list(tmp_path.glob("*.tmp"))


def test_no_file_or_layers_tuned_from_another_model_means_no_reader(tmp_path):
    assert Reader.load(MODEL, tmp_path / "missing.safetensors") is None
    other = tmp_path / "other.safetensors"
    encoder = _encoder()
    save_file({k: v.clone() for k, v in encoder.weights.items() if k.startswith("encoder.layer.5.")}, str(other),
              metadata={"base": "0" * 64})
    assert Reader.load(MODEL, other) is None


def test_the_packaged_reader_fits_the_default_model_and_is_tuned():
    reader = Reader.load(MODEL, READER_FILE)
    assert reader is not None
    encoder = _encoder()
    assert any(not torch.equal(reader.weights[k], encoder.weights[k]) for k in reader.weights)
