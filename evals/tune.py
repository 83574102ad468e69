"""Tuning the reader (assistant/reader.py): the embedding model's top layers, on labelled questions.

Each example is a question, the sentences the answer model ranks highest for it, and which of them
answer. The loss is the softmax over the question's sentences of their cosine with it (temperature
TAU), the gold ones the targets: the question is pulled towards what answers it and away from the near
misses on its topic, the distinction the untuned model does not make. Only the top LAYERS layers
change; the layers below are run once per text and kept. Each collection weighs the same, each
question the same within it.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np

LAYERS = 2  # the top layers tuned: a few MB to ship, and most of what tuning more gave (evals note)
EPOCHS = 4
LEARNING_RATE = 4e-5
TAU = 0.05
QUESTIONS_PER_STEP = 4


@dataclass
class Example:
    question: str
    sentences: list[str]
    gold: list[bool]
    weight: float


def _tuned_names(encoder) -> list[str]:
    first = encoder.layers - LAYERS
    return [k for k in encoder.weights if any(k.startswith(f"encoder.layer.{i}.") for i in range(first, encoder.layers))]


def _lower(encoder, texts: list[str]):
    """Each text's token vectors after the untuned layers, unpadded."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            ids, types, mask = encoder.tokenize(texts[start: start + 64])
            x = encoder.layers_from(encoder.embed(ids, types), mask, 0, stop=encoder.layers - LAYERS)
            out += [x[j, : int(mask[j].sum())].clone() for j in range(len(x))]
    return out


def _pooled(encoder, weights, states):
    """Normalised mean-pooled vectors of texts given their lower-layer token vectors."""
    import torch
    from torch.nn import functional as F

    length = max(len(s) for s in states)
    x = torch.zeros(len(states), length, encoder.hidden)
    mask = torch.zeros(len(states), length, dtype=torch.long)
    for j, s in enumerate(states):
        x[j, : len(s)], mask[j, : len(s)] = s, 1
    tokens = encoder.layers_from(x, mask, encoder.layers - LAYERS, weights)
    return F.normalize(encoder.pool(tokens, mask), dim=-1)


def tune(encoder, examples: list[Example], epochs: int = EPOCHS, seed: int = 0) -> dict:
    """The tuned layers' weights (name -> tensor), trained on `examples` with a gold sentence."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    used = [e for e in examples if any(e.gold) and len(e.sentences) > 1]
    threads = torch.get_num_threads()  # a process that answers keeps one; tuning takes every core
    torch.set_num_threads(os.cpu_count() or 1)
    try:
        states = [_lower(encoder, [e.question, *e.sentences]) for e in used]
        params = {k: torch.nn.Parameter(encoder.weights[k].clone()) for k in _tuned_names(encoder)}
        weights = {**encoder.weights, **params}
        optimiser = torch.optim.AdamW(params.values(), lr=LEARNING_RATE, weight_decay=0.01)
        mean_weight = float(np.mean([e.weight for e in used]))
        order = list(range(len(used)))
        for _ in range(epochs):
            rng.shuffle(order)
            for start in range(0, len(order), QUESTIONS_PER_STEP):
                step = order[start: start + QUESTIONS_PER_STEP]
                vectors = _pooled(encoder, weights, [s for i in step for s in states[i]])
                loss, at = 0.0, 0
                for i in step:
                    e = used[i]
                    q, s = vectors[at], vectors[at + 1: at + 1 + len(e.sentences)]
                    at += 1 + len(e.sentences)
                    gold = torch.tensor(e.gold, dtype=torch.float32)
                    log_p = torch.log_softmax(s @ q / TAU, 0)
                    loss = loss - (log_p * gold).sum() / gold.sum() * e.weight / mean_weight
                optimiser.zero_grad()
                (loss / len(step)).backward()
                optimiser.step()
    finally:
        torch.set_num_threads(threads)
    return {k: p.detach().clone() for k, p in params.items()}


def save(encoder, tuned: dict, path) -> None:
    """The tuned layers as half-precision safetensors with the base's fingerprint, written whole or not at all."""
    import torch
    from safetensors.torch import save_file

    from assistant.reader import fingerprint

    tmp = path.with_name(path.name + ".tmp")
    save_file({k: v.to(torch.float16).contiguous() for k, v in tuned.items()}, str(tmp),
              metadata={"base": fingerprint(encoder.weights, tuned), "layers": str(LAYERS)})
    os.replace(tmp, path)
