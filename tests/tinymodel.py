"""A tiny sentence-transformers model built offline from the seeds, for fast embedding tests.

It knows nothing about meaning; it only has to load, tokenise every seed text and give stable
vectors. Tests get its folder from the session fixture `tiny_model` (tests/conftest.py).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PROMPTS = {"query": "query: ", "document": "passage: "}


def seed_vocab(seeds: Path = SEEDS, words: int = 300) -> list[str]:
    """WordPiece vocabulary: every character of the seeds (alone and as ##suffix) plus the
    most frequent words, so that every seed text tokenises without [UNK]."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt")))
    chars = sorted({ch for ch in text if not ch.isspace()})
    common = [w for w, _ in Counter(re.findall(r"\w+", text.casefold())).most_common(words)]
    vocab = list(SPECIAL)
    for piece in chars + [f"##{ch}" for ch in chars] + common:
        if piece not in vocab:
            vocab.append(piece)
    return vocab


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    """Write a one-layer BERT with mean pooling and a Normalize layer as a
    sentence-transformers folder (with its own task prompts) and return it."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 5.2 moved the building blocks
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    bert_dir = folder.parent / f"{folder.name}-bert"
    bert_dir.mkdir(parents=True, exist_ok=True)
    vocab = seed_vocab()
    # transformers 5 takes the vocabulary itself (`vocab`), older ones a file (`vocab_file`).
    vocab_file = bert_dir / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    try:
        tokenizer = BertTokenizerFast(
            vocab={piece: i for i, piece in enumerate(vocab)},
            do_lower_case=True,
            strip_accents=False,
        )
    except TypeError:
        tokenizer = BertTokenizerFast(
            vocab_file=str(vocab_file), do_lower_case=True, strip_accents=False
        )
    tokenizer.save_pretrained(bert_dir)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(bert_dir)
    transformer = models.Transformer(str(bert_dir), max_seq_length=96)
    dimension = getattr(transformer, "get_embedding_dimension", None) or (
        transformer.get_word_embedding_dimension
    )
    pooling = models.Pooling(dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, models.Normalize()], device="cpu", prompts=PROMPTS
    )
    model.save(str(folder))
    return folder


def tiny_model_folder(tmp_path_factory) -> str:
    """Build the tiny model in a fresh temporary folder, offline; the `tiny_model` fixture
    in conftest.py calls this once per test session."""
    folder = tmp_path_factory.mktemp("tiny-model") / "tiny-bert"
    # Nothing in building or loading it may reach the network.
    previous = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    try:
        return str(build_tiny_model(folder))
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
