#!/usr/bin/env python3
"""
Golden SFT losses from PyTorch itself, for test/unit/ml/sft-loss.test.ts: open-instruct's finetune.py takes
the loss of a Hugging Face causal LM, which shifts the labels by one and calls
F.cross_entropy(logits.view(-1, V), labels.view(-1), ignore_index=-100) (reduction "mean": over the labels
that are not -100, across the whole batch). This runs that on small fixed float32 logits and labels (prompt
positions -100, as open-instruct's collator masks them) and writes test/fixtures/goldens/sft/masked-ce.json
with the inputs, the loss and its gradient with respect to the logits.

Usage: python3 scripts/goldens/sft_masked_ce.py
Without torch importable it makes the venv .braise/tools/torch-venv (torch from PyPI, a few GB once) with tools_venv.py.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tools_venv import ROOT, ensure_venv  # noqa: E402

ensure_venv("torch-venv", modules=["torch"], installs=[["torch"]])

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT = ROOT / "test" / "fixtures" / "goldens" / "sft" / "masked-ce.json"
gen = torch.Generator().manual_seed(20261202)
cases = []


def case(name, batch, length, vocab, labels):
    logits = (torch.randn((batch, length, vocab), generator=gen, dtype=torch.float32) * 2).double().requires_grad_(True)
    labels_t = torch.tensor(labels, dtype=torch.long)
    shift_logits = logits[:, :-1, :].reshape(-1, vocab)
    shift_labels = labels_t[:, 1:].reshape(-1)
    loss = F.cross_entropy(shift_logits, shift_labels, ignore_index=-100)
    loss.backward()
    cases.append({
        "name": name,
        "shape": [batch, length, vocab],
        "logits": [float(x) for x in logits.detach().reshape(-1).tolist()],
        "labels": labels,
        "loss": float(loss.detach()),
        "grad": [float(x) for x in logits.grad.reshape(-1).tolist()],
    })


# Prompt positions -100, the response (and its EOS, id vocab-1) kept; rows of different lengths, padding -100.
case("two rows, prompts masked, padding", 2, 6, 7, [[-100, -100, -100, 3, 5, 6], [-100, -100, 2, 6, -100, -100]])
case("nothing masked", 1, 5, 4, [[0, 1, 2, 3, 1]])
case("one row all prompt but the last label", 3, 4, 5, [[-100, -100, -100, 4], [-100, 1, 2, 4], [-100, -100, 0, 4]])

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)} (torch {torch.__version__})")
