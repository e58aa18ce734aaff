#!/usr/bin/env python3
"""
Golden merges from mergekit itself, for test/unit/ml/merge-golden.test.ts.

Runs mergekit's own merge functions (merge_methods.api.merge_tensors: linear, slerp, task_arithmetic,
ties, dare_linear, dare_ties) in PyTorch on small fixed float32-representable tensors, in float64, and
writes test/fixtures/goldens/mergekit/merges.json with the inputs, the parameters and the outputs.

DARE's random pruning uses torch.bernoulli, whose random stream Braise cannot reproduce: here it is
replaced by masks drawn from a seeded generator and written to the fixture, so the test compares what
is deterministic given the masks (the L1 rescale, the sign election, the normalization and the sum).

Usage: python3 scripts/goldens/mergekit_merges.py
Without mergekit importable, it makes a venv under $BRAISE_HOME/.braise/tools/mergekit-venv (default
./.braise/tools), installs the pinned mergekit there (without its model-loading dependencies:
transformers, datasets, peft, ... are not needed by merge_methods) plus torch and pydantic, and runs
itself again inside it (torch from PyPI is the CUDA build, a few GB once). mergekit's code is never copied into this repository.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

MERGEKIT_VERSION = "0.1.5"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "goldens" / "mergekit" / "merges.json"


def ensure_mergekit() -> None:
    try:
        import mergekit  # noqa: F401
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    home = Path(os.environ.get("BRAISE_HOME", ROOT))
    venv = home / ".braise" / "tools" / "mergekit-venv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    subprocess.check_call([str(py), "-m", "pip", "install", "-q", "--no-deps", f"mergekit=={MERGEKIT_VERSION}"])
    subprocess.check_call([str(py), "-m", "pip", "install", "-q", "torch", "numpy", "pydantic", "immutables", "typing-extensions"])
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


ensure_mergekit()

import torch  # noqa: E402
from importlib.metadata import version  # noqa: E402
from mergekit.merge_methods.api import merge_tensors  # noqa: E402

gen = torch.Generator().manual_seed(1234)


# Parameters are dyadic (exact in float32): mergekit carries some of them as float32 tensors, which would
# otherwise add its own rounding (~1e-9) to the comparison.
def f32(shape, scale=1.0):
    """float32 values (so the TypeScript side holds them exactly), computed on in float64."""
    return (torch.randn(shape, generator=gen, dtype=torch.float32) * scale).double()


def exact(t: torch.Tensor) -> torch.Tensor:
    """Rounded to float32 and back: every input must be a float32 value (Braise's weights are float32)."""
    return t.float().double()


def as_list(t: torch.Tensor):
    return [float(x) for x in t.reshape(-1).tolist()]


cases = []


def case(name, method, models, params, base=None, masks=None):
    """One golden: `models` merged by mergekit's `method`; `base` first when given (mergekit's base_index 0)."""
    tensors = ([base] if base is not None else []) + list(models)
    out = merge_tensors(tensors, method, parameters=params, base_index=0 if base is not None or method == "slerp" else None, dtype=torch.float64)
    cases.append(
        {
            "name": name,
            "method": method,
            "shape": list(models[0].shape),
            "params": params,
            "base": as_list(base) if base is not None else None,
            "models": [as_list(m) for m in models],
            "masks": masks,
            "expected": as_list(out),
        }
    )


class FixedBernoulli:
    """Stands in for torch.bernoulli inside mergekit's sparsify: returns seeded masks, recording them."""

    def __init__(self):
        self.masks = []

    def __call__(self, probs, *args, **kwargs):
        mask = (torch.rand(probs.shape, generator=gen, dtype=torch.float64) < probs.double()).to(probs.dtype)
        self.masks.append([int(x) for x in mask.reshape(-1).tolist()])
        return mask


def dare_case(name, method, models, params, base):
    real = torch.bernoulli
    fixed = FixedBernoulli()
    torch.bernoulli = fixed
    try:
        tensors = [base] + list(models)
        out = merge_tensors(tensors, method, parameters=params, base_index=0, dtype=torch.float64)
    finally:
        torch.bernoulli = real
    assert len(fixed.masks) == len(models), (name, len(fixed.masks))
    cases.append(
        {
            "name": name,
            "method": method,
            "shape": list(models[0].shape),
            "params": params,
            "base": as_list(base),
            "models": [as_list(m) for m in models],
            "masks": fixed.masks,
            "expected": as_list(out),
        }
    )


shape = (5, 7)
base = f32(shape)
# Fine-tunes of the base: small task vectors whose signs disagree across models.
m1, m2, m3 = (exact(base + f32(shape, 0.1)) for _ in range(3))
a, b = f32(shape), f32(shape)

case("linear: normalized weights", "linear", [m1, m2, m3], {"weight": [1.0, 0.5, 2.0]})
case("linear: unnormalized", "linear", [a, b], {"weight": [0.375, 0.875], "normalize": False})
case("slerp: t=0.3125", "slerp", [a, b], {"t": 0.3125})
case("slerp: t=0.75, 1-D", "slerp", [f32((12,)), f32((12,))], {"t": 0.75})
case("slerp: nearly collinear (lerp)", "slerp", [a, exact(a * 1.001 + f32(shape, 1e-6))], {"t": 0.4375})
case("task_arithmetic: weights, lambda", "task_arithmetic", [m1, m2, m3], {"weight": [1.0, 0.5, 0.625], "lambda": 0.875}, base=base)
case("task_arithmetic: normalized", "task_arithmetic", [m1, m2], {"weight": [0.625, 1.375], "normalize": True}, base=base)
case("ties: density 0.5", "ties", [m1, m2, m3], {"weight": [1.0, 1.0, 1.0], "density": 0.5}, base=base)
case("ties: density 0.3, weights, lambda", "ties", [m1, m2, m3], {"weight": [1.0, 0.5, 2.0], "density": 0.3, "lambda": 1.25}, base=base)
case("ties: unnormalized, density 0.7", "ties", [m1, m2], {"weight": [0.75, 1.125], "density": 0.7, "normalize": False}, base=base)
case("ties: density 1", "ties", [m1, m2, m3], {"weight": [1.0, 0.5, 2.0], "density": 1.0}, base=base)
dare_case("dare_linear: density 0.5, rescale", "dare_linear", [m1, m2, m3], {"weight": [1.0, 0.5, 0.625], "density": 0.5}, base)
dare_case("dare_linear: density 0.4, no rescale", "dare_linear", [m1, m2], {"weight": [1.0, 1.0], "density": 0.4, "rescale": False}, base)
dare_case("dare_ties: density 0.6", "dare_ties", [m1, m2, m3], {"weight": [1.0, 0.75, 1.25], "density": 0.6}, base)
dare_case("dare_ties: normalized, lambda", "dare_ties", [m1, m2, m3], {"weight": [1.0, 0.5, 2.0], "density": 0.5, "normalize": True, "lambda": 1.125}, base)

OUT.parent.mkdir(parents=True, exist_ok=True)
doc = {
    "generator": "scripts/goldens/mergekit_merges.py",
    "mergekit": version("mergekit"),
    "torch": torch.__version__.split("+")[0],
    "dtype": "float64",
    "cases": cases,
}
# One case a line: small diffs when a case changes, and no line per number.
head = {k: v for k, v in doc.items() if k != "cases"}
lines = ",\n".join("  " + json.dumps(c, separators=(",", ":")) for c in cases)
OUT.write_text(json.dumps(head)[:-1] + ', "cases": [\n' + lines + "\n]}\n")
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)} (mergekit {doc['mergekit']}, torch {doc['torch']})")
