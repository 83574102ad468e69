"""The embedding model run with torch and tokenizers alone: a BERT encoder and mean pooling.

all-MiniLM-L6-v2 is a sentence-transformers folder holding a BERT model, mean pooling and
normalisation. Importing sentence-transformers to run it imports transformers, scikit-learn, SciPy,
torch.distributed and torch._dynamo: 3.4 s of the 5.5 s a fresh process took to load a collection
(`python -X importtime`); this reads the same files in a few hundredths of a second and gives the
same vectors (within 1e-6: tests/test_embedding.py). A folder of any other kind (another
architecture or pooling, a hub id) raises Unsupported, and embedding.py hands it to
sentence-transformers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from torch.nn import functional as F


class Unsupported(ValueError):
    pass


def _json(path: Path) -> dict | list:
    return json.loads(path.read_text(encoding="utf-8"))


class WordPieces:
    """The model's tokenizer called as transformers' is where the chunker counts word pieces:
    `tokenizer(text or texts)["input_ids"]`, never truncated."""

    def __init__(self, tokenizer: Tokenizer):
        self._tokenizer = tokenizer

    def __call__(self, text: str | list[str], add_special_tokens: bool = True) -> dict:
        if isinstance(text, str):
            return {"input_ids": self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids}
        return {"input_ids": [e.ids for e in self._tokenizer.encode_batch(text, add_special_tokens=add_special_tokens)]}


class BertEncoder:
    """A sentence-transformers folder of a BERT model with mean pooling, encoded as its `encode` does:
    texts sorted by length (longest first) into batches, each padded to its longest text and truncated
    to max_seq_length word pieces, token vectors averaged over the text's tokens (then normalised when
    asked). What embedding.Embedder uses of a SentenceTransformer, with the same names."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        try:
            modules = [m["type"].rsplit(".", 1)[-1] for m in _json(folder / "modules.json")]
            config = _json(folder / "config.json")
            pooling = _json(folder / "1_Pooling" / "config.json")
            sbert = _json(folder / "sentence_bert_config.json")
        except (OSError, ValueError) as e:
            raise Unsupported(f"not a local sentence-transformers folder: {e}") from None
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if (modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}
                or config.get("model_type") != "bert" or config.get("hidden_act") != "gelu"
                or config.get("position_embedding_type", "absolute") != "absolute"
                or modes != {"pooling_mode_mean_tokens"} or sbert.get("do_lower_case")
                or not (folder / "tokenizer.json").is_file() or not (folder / "model.safetensors").is_file()):
            raise Unsupported(f"{folder} is not a BERT model with mean pooling")
        self.normalised = "Normalize" in modules  # the folder's own last step
        self.max_seq_length = min(int(sbert.get("max_seq_length") or 512), int(config["max_position_embeddings"]))
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.weights = {k.removeprefix("bert."): v.float() for k, v in load_file(folder / "model.safetensors").items()}
        counting = Tokenizer.from_file(str(folder / "tokenizer.json"))
        counting.no_truncation()  # the file's own settings (128, padded) are not the model's
        counting.no_padding()
        self.tokenizer = WordPieces(counting)
        self._batch = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._batch.enable_truncation(self.max_seq_length)
        self._batch.enable_padding(pad_id=int(config.get("pad_token_id", 0)))

    def get_embedding_dimension(self) -> int:
        return self.hidden

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = False,
               show_progress_bar: bool = False, weights: dict[str, torch.Tensor] | None = None) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts])
        batches = range(0, len(texts), batch_size)
        if show_progress_bar:
            from tqdm import tqdm

            batches = tqdm(batches, desc="Batches")
        out = []
        with torch.inference_mode():
            for start in batches:
                ids, types, mask = self.tokenize([texts[i] for i in order[start: start + batch_size]])
                vectors = self.pool(self._forward(ids, types, mask, weights), mask)
                out.append(F.normalize(vectors, p=2, dim=1) if self.normalised or normalize_embeddings else vectors)
        vectors = torch.cat(out).numpy() if out else np.zeros((0, self.hidden), dtype=np.float32)
        return vectors[np.argsort(order)]

    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Word-piece ids, segment ids and attention mask of a batch, padded to its longest text."""
        encoded = self._batch.encode_batch(texts)
        return (torch.tensor([e.ids for e in encoded]), torch.tensor([e.type_ids for e in encoded]),
                torch.tensor([e.attention_mask for e in encoded]))

    def _forward(self, ids: torch.Tensor, types: torch.Tensor, mask: torch.Tensor,
                 weights: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        return self.layers_from(self.embed(ids, types), mask, 0, weights)

    def embed(self, ids: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        """The input to the first layer: word, segment and position embeddings, normalised."""
        w = self.weights
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.token_type_embeddings.weight"][types]
             + w["embeddings.position_embeddings.weight"][: ids.shape[1]])
        return F.layer_norm(x, (self.hidden,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)

    def layers_from(self, x: torch.Tensor, mask: torch.Tensor, start: int, weights: dict[str, torch.Tensor] | None = None,
                    stop: int | None = None) -> torch.Tensor:
        """Token vectors `x` through layers start..stop (the last by default), with `weights` in place
        of the model's own where given (assistant.reader's tuned layers)."""
        w, h, eps = weights or self.weights, self.hidden, self.eps
        batch, length = x.shape[:2]
        padding = mask[:, None, None, :].bool()  # a token attends to the text's tokens, not the padding
        for i in range(start, self.layers if stop is None else stop):
            p = f"encoder.layer.{i}."

            def dense(name, inputs):
                return F.linear(inputs, w[p + name + ".weight"], w[p + name + ".bias"])

            def heads(name):
                return dense(name, x).view(batch, length, self.heads, h // self.heads).transpose(1, 2)

            attended = F.scaled_dot_product_attention(heads("attention.self.query"), heads("attention.self.key"),
                                                      heads("attention.self.value"), attn_mask=padding)
            attended = attended.transpose(1, 2).reshape(batch, length, h)
            x = F.layer_norm(dense("attention.output.dense", attended) + x, (h,),
                             w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            inner = F.gelu(dense("intermediate.dense", x))
            x = F.layer_norm(dense("output.dense", inner) + x, (h,),
                             w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
        return x

    @staticmethod
    def pool(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = mask.unsqueeze(-1).to(tokens.dtype)
        return (tokens * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
