"""PyTorch CPU anchor of `npm run bench -- training`: the same GPT as Braise's ml/gpt.ts, timed the same way.

Why it exists: Braise's training speed only means something next to the tool a user would otherwise pick.
This is that tool, on the same model and the same work per step, so the ratio is honest.

The model (ml/gpt.ts, written out): byte vocabulary (257 = 256 bytes + EOS); learned token (wte) and
positional (wpe, `context` rows) embeddings; `layers` pre-LayerNorm blocks (eps 1e-5), each
x += Wo·attn(LN1(x)) with a fused qkv projection (q, k, v in that order, heads of d/H), causal softmax
attention scaled by 1/sqrt(d/H), and x += W2·GELU(W1·LN2(x)) with a 4d hidden layer and exact (erf) GELU;
a final LayerNorm; logits = h·wteᵀ (the head is tied to wte, no bias). Linear layers have biases.
Initialisation as Braise's: N(0, 0.02), the two residual projections N(0, 0.02/sqrt(2·layers)).

The step (ml/train-step.ts + ml/optim.ts): mean next-token cross-entropy on a fixed [B, T] batch,
backward, global-norm clipping to 1, AdamW (lr 1e-3, betas 0.9/0.95, eps 1e-8, weight decay 0.1 on the
rank-2 parameters only), and the loss read back as a number, every step.

Usage: python torch_train_bench.py '{"layers":2,"dModel":64,"heads":4,"context":64,"batch":16,
                                      "threads":1,"warmup":3,"rounds":3,"steps":20,"weights":"w.f32"}'
`warmup` steps are not timed; then `rounds` rounds of `steps` steps each, timed apart (wall and CPU seconds).
`weights` (optional): Braise's initial weights, float32 little-endian, every parameter of ml/gpt.ts's
paramSpecs in its order, loaded instead of the init above; then the first step's loss equals Braise's on
the same batch (to float32 rounding) only if the two models compute the same function.
Prints one JSON line: { params, threads, rounds: [{ wallSec, cpuSec }], firstLoss, loss, torch }.
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the anchor is PyTorch on CPU, even where a GPU is present

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

VOCAB = 257


class Block(nn.Module):
    def __init__(self, d: int, heads: int, residual_std: float):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)
        for lin, std in ((self.qkv, 0.02), (self.proj, residual_std), (self.fc1, 0.02), (self.fc2, residual_std)):
            nn.init.normal_(lin.weight, std=std)
            nn.init.zeros_(lin.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, d = x.shape
        H = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (t.view(B, T, H, d // H).transpose(1, 2) for t in (q, k, v))
        # softmax(q·kᵀ/sqrt(d/H) + causal mask)·v, as Braise computes it (PyTorch's fused kernel on CPU).
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, d))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="none"))


class Gpt(nn.Module):
    def __init__(self, layers: int, d: int, heads: int, context: int):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, d)
        self.wpe = nn.Embedding(context, d)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(d, heads, 0.02 / math.sqrt(2 * layers)) for _ in range(layers))
        self.lnf = nn.LayerNorm(d, eps=1e-5)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        x = self.wte(tokens) + self.wpe.weight[:T]
        for block in self.blocks:
            x = block(x)
        return F.linear(self.lnf(x), self.wte.weight)  # tied head


def load_braise_weights(model: Gpt, path: str) -> None:
    """Braise's paramSpecs order and shapes; its linear weights are [in, out], torch's [out, in]."""
    flat = torch.from_file(path, size=sum(p.numel() for p in model.parameters()), dtype=torch.float32)
    at = 0

    def take(shape: tuple, transpose: bool = False) -> torch.Tensor:
        nonlocal at
        n = math.prod(shape)
        t = flat[at : at + n].view(shape)
        at += n
        return t.t() if transpose else t

    d = model.wte.weight.shape[1]
    with torch.no_grad():
        model.wte.weight.copy_(take((VOCAB, d)))
        model.wpe.weight.copy_(take(tuple(model.wpe.weight.shape)))
        for b in model.blocks:
            b.ln1.weight.copy_(take((d,)))
            b.ln1.bias.copy_(take((d,)))
            b.qkv.weight.copy_(take((d, 3 * d), transpose=True))
            b.qkv.bias.copy_(take((3 * d,)))
            b.proj.weight.copy_(take((d, d), transpose=True))
            b.proj.bias.copy_(take((d,)))
            b.ln2.weight.copy_(take((d,)))
            b.ln2.bias.copy_(take((d,)))
            b.fc1.weight.copy_(take((d, 4 * d), transpose=True))
            b.fc1.bias.copy_(take((4 * d,)))
            b.fc2.weight.copy_(take((4 * d, d), transpose=True))
            b.fc2.bias.copy_(take((d,)))
        model.lnf.weight.copy_(take((d,)))
        model.lnf.bias.copy_(take((d,)))
    if at != flat.numel():
        raise ValueError(f"{path}: {flat.numel()} values, the model has {at}")


def main() -> None:
    a = json.loads(sys.argv[1])
    torch.set_num_threads(a["threads"])
    torch.manual_seed(1)
    model = Gpt(a["layers"], a["dModel"], a["heads"], a["context"])
    if a.get("weights"):
        load_braise_weights(model, a["weights"])
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.95), eps=1e-8,
    )
    B, T = a["batch"], a["context"]
    # The fixed batch Braise's ml/step-bench.ts uses: token i of the stream is (i·7919) mod 256.
    data = (torch.arange(B * (T + 1), dtype=torch.int64) * 7919) % 256
    x = data[: B * T].view(B, T)
    y = data[1 : 1 + B * T].view(B, T)

    def step() -> float:
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    first_loss = step()
    for _ in range(a["warmup"] - 1):
        step()
    rounds = []
    loss = 0.0
    for _ in range(a["rounds"]):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(a["steps"]):
            loss = step()
        rounds.append({"wallSec": time.perf_counter() - t0, "cpuSec": time.process_time() - c0})
    print(json.dumps({
        "params": sum(p.numel() for p in model.parameters()),
        "threads": torch.get_num_threads(),
        "rounds": rounds,
        "firstLoss": first_loss,
        "loss": loss,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
