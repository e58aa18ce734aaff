"""Times datatrove 0.10.1's filters on a JSONL file, one document at a time in this process (as Braise runs them).

Usage: python datatrove_bench.py docs.jsonl  → prints one JSON object: { rule: { seconds, docs, bytes, kept } }
"""
import json
import sys
import time

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

docs = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        d = json.loads(line)
        docs.append((d["id"], d["text"]))
total_bytes = sum(len(t.encode("utf-8")) for _, t in docs)

rules = {
    "gopher-quality": GopherQualityFilter,
    "gopher-repetition": GopherRepetitionFilter,
    "c4": C4QualityFilter,
    "fineweb": FineWebQualityFilter,
}
out = {}
for name, cls in rules.items():
    flt = cls()
    # Warm up (tokenizer/model loading) outside the timed loop, as Braise's side does.
    flt.filter(Document(text=docs[0][1], id=docs[0][0]))
    kept = 0
    t0 = time.perf_counter()
    for doc_id, text in docs:
        r = flt.filter(Document(text=text, id=doc_id))
        if r is True or (isinstance(r, tuple) and r[0]):
            kept += 1
    out[name] = {"seconds": time.perf_counter() - t0, "docs": len(docs), "bytes": total_bytes, "kept": kept}
print(json.dumps(out))
