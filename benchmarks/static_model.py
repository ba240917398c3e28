"""A second, genuinely different model for calibration tests: a static distillation of
EmbeddingGemma on a corpus vocabulary (one vector per token, averaged), in the spirit of
model2vec, built with sentence-transformers' own StaticEmbedding (no new dependency).

Each token of the corpus (and concept list) is encoded once by the full model; tokens the
corpus never uses get a zero vector, so distilling costs seconds per thousand tokens, not
the hours that Gemma's 262k-token vocabulary would take on a CPU.

    python -m benchmarks.static_model OUT_DIR [CORPUS_FILES...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from benchmarks import ROOT, model_path


def corpus_texts(paths) -> list[str]:
    texts = []
    for path in paths:
        path = Path(path)
        files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
        texts += [f.read_text(encoding="utf-8") for f in files]
    return texts


def build_static(out: Path, texts: list[str], teacher: str | None = None) -> Path:
    """Write a sentence-transformers folder: the teacher's tokenizer and one vector per token
    the texts use (the teacher's embedding of that token alone), mean-pooled and normalised."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    from tokenizers import Tokenizer

    teacher = teacher or model_path()
    tokenizer = Tokenizer.from_file(str(Path(teacher) / "tokenizer.json"))
    ids = sorted(
        {i for enc in tokenizer.encode_batch(texts, add_special_tokens=False) for i in enc.ids}
    )
    pieces = [tokenizer.decode([i]).strip() or tokenizer.id_to_token(i) for i in ids]
    model = SentenceTransformer(teacher, device="cpu")
    vectors = model.encode(
        pieces, batch_size=128, normalize_embeddings=True, show_progress_bar=False
    )
    weights = np.zeros((tokenizer.get_vocab_size(), vectors.shape[1]), dtype=np.float32)
    weights[ids] = vectors
    static = StaticEmbedding(tokenizer, embedding_weights=weights)
    SentenceTransformer(modules=[static, Normalize()], device="cpu").save(str(out))
    print(f"{len(ids)} tokens distilled from {Path(teacher).name} into {out}", file=sys.stderr)
    return out


def main(argv: list[str]) -> None:
    out = Path(argv[0])
    sources = argv[1:] or [ROOT / "seeds", ROOT.parent / "shared" / "eval" / "dev_catalog.csv"]
    build_static(out, corpus_texts(sources))


if __name__ == "__main__":
    main(sys.argv[1:])
