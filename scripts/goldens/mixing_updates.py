#!/usr/bin/env python3
"""
Golden domain-weight updates of the online mixing methods, for test/unit/ml-mixing/mixing-golden.test.ts.

The three reference trainers are whole training programs (a HuggingFace Trainer subclass, CUDA loops over
their own data loaders), so this script re-writes, line by line, only the weight-update code Braise must
match, each citing its file and function at the commits below (read from the repositories, not vendored),
and runs it on small fixed inputs:

- DoReMi (sangmichaelxie/doremi `doremi/trainer.py` DoReMiTrainer.update_domain_weights and write_weights,
  the buffers `doremi/train.py` registers), in PyTorch: per-token excess losses of a proxy over a reference,
  several steps, one with a domain absent.
- Skill-It (HazyResearch/skill-it `trainer/mw_trainer.py` MWTrainer.train: the graph read, the first mixture
  and the windowed update), in NumPy as there.
- Aioli (HazyResearch/aioli `trainer/aioli_trainer.py` AioliTrainer.learn_params_subroutine and train: the
  loss-drop matrix, the solve for oneHotFactor < 1 and its diagonal variant, the normalization, the EMA and
  the exponentiated step), in NumPy as there.

Writes test/fixtures/goldens/mixing/updates.json with the inputs and the outputs.

Usage: npm run goldens:mixing (runs this script in the shared PyTorch venv of infra/python-venv.ts), or any
python with torch and numpy: python3 scripts/goldens/mixing_updates.py
"""
import json
from pathlib import Path

import numpy as np
import torch

DOREMI_COMMIT = "7cde52d1848737aa967ecbdb9e643cf334de160d"
SKILLIT_COMMIT = "807b3bf7b11970f3a6fb6201cb37dcc1a3335f00"
AIOLI_COMMIT = "a2361123335cb91d68f5ad86a6c85de7a79e6d5e"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "goldens" / "mixing" / "updates.json"
rng = np.random.default_rng(20261202)


def f32(a):
    """Values a float32 holds exactly (the TypeScript side reads them as numbers)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# --- DoReMi ------------------------------------------------------------------------------------------
class DoremiModelBuffers:
    """doremi/train.py: the buffers registered on the proxy model (train_domain_weights from the config,
    normalized; avg_domain_weights a copy; perdomain_scores ln |vocab|; update_counter 1)."""

    def __init__(self, weights, vocab_size):
        self.train_domain_weights = torch.tensor(weights, dtype=torch.float64) / sum(weights)
        self.avg_domain_weights = self.train_domain_weights.clone()
        self.perdomain_scores = torch.ones(len(weights), dtype=torch.float64) * np.log(vocab_size)
        self.update_counter = torch.tensor(1)


class DoremiArgs:
    def __init__(self, eta, eps):
        self.reweight_eta = eta
        self.reweight_eps = eps
        self.doremi_optimizer = "doremiv1"


class DoremiUpdater:
    """doremi/trainer.py DoReMiTrainer: write_weights, read_weights, update_domain_weights (wandb logging left out)."""

    def __init__(self, model, args):
        self.model = model
        self.args = args

    def write_weights(self, weights):
        self.model.update_counter += 1
        self.model.train_domain_weights[:] = weights.double()  # .float() there: float64 here for the golden
        self.model.avg_domain_weights[:] = (self.model.avg_domain_weights * (self.model.update_counter - 1) + weights) / self.model.update_counter

    def read_weights(self):
        return self.model.train_domain_weights.clone()

    def update_domain_weights(self, scores, scores_mask, domain_ids):
        train_domain_weights = self.read_weights()
        scores = scores.detach()
        domain_ids = domain_ids.detach()
        if self.args.doremi_optimizer == "doremiv1":
            perdomain_scores = []
            for domain_id in range(len(train_domain_weights)):
                domain_mask = domain_ids == domain_id
                perdomain_scores_mask = scores_mask[domain_mask]
                if domain_mask.sum() > 0:
                    curr_domain_scores = torch.clip(scores[domain_mask][perdomain_scores_mask], min=0).mean()
                else:
                    curr_domain_scores = self.model.perdomain_scores[domain_id]
                perdomain_scores.append(curr_domain_scores)
            self.model.perdomain_scores[:] = torch.tensor(perdomain_scores).double()
            log_new_train_domain_weights = torch.log(train_domain_weights) + self.args.reweight_eta * self.model.perdomain_scores
            log_new_train_domain_weights = log_new_train_domain_weights - torch.logsumexp(log_new_train_domain_weights, dim=0)
            train_domain_weights = (1 - self.args.reweight_eps) * torch.exp(log_new_train_domain_weights) + self.args.reweight_eps / len(log_new_train_domain_weights)
            self.write_weights(train_domain_weights)
        else:
            raise ValueError(f"DoReMi optimizer {self.args.doremi_optimizer} not supported")


def doremi_case(eta, eps, k=3, steps=5, rows=6, T=8, vocab_size=257):
    buffers = DoremiModelBuffers([1.0] * k, vocab_size)
    updater = DoremiUpdater(buffers, DoremiArgs(eta, eps))
    out_steps = []
    for s in range(steps):
        # Steps 0 and 2 sample no row of the last domain: it scores ln V before it is first seen, then keeps its previous score.
        domain_ids = np.array([r % (k - 1 if s in (0, 2) else k) for r in range(rows)])
        proxy = f32(rng.uniform(1.0, 6.0, size=(rows, T)))
        reference = f32(proxy + rng.normal(-0.3, 0.8, size=(rows, T)))
        # training_step: excess_loss = pertoken_loss - reference_pertoken_loss; token_mask all 1 (no padding here).
        excess = torch.tensor(proxy) - torch.tensor(reference)
        mask = torch.ones(rows, T, dtype=torch.bool)
        updater.update_domain_weights(excess, mask, torch.tensor(domain_ids))
        out_steps.append(
            {
                "domainIds": domain_ids.tolist(),
                "proxyLoss": proxy.tolist(),
                "referenceLoss": reference.tolist(),
                "weights": buffers.train_domain_weights.tolist(),
                "average": buffers.avg_domain_weights.tolist(),
                "scores": buffers.perdomain_scores.tolist(),
            }
        )
    return {"eta": eta, "smoothing": eps, "vocabSize": vocab_size, "domains": k, "steps": out_steps}


# --- Skill-It ----------------------------------------------------------------------------------------
def skillit_graph(flat):
    """trainer/mw_trainer.py: args.graph read as a square matrix; off-diagonal 1s become 0.5."""
    side_length = int(np.sqrt(len(flat)))
    graph = np.array(flat).reshape((side_length, side_length)).astype(float)
    for i in range(side_length):
        for j in range(side_length):
            if i != j and graph[i, j] == 1:
                graph[i, j] = 0.5
    return graph


def skillit_case(eta, window, flat_graph, losses):
    graph = skillit_graph(flat_graph) if flat_graph is not None else np.eye(len(losses[0]))
    weights_init = np.ones(graph.shape[0])
    loss_init = weights_init
    weights = np.multiply(weights_init, np.exp(eta * graph.dot(loss_init)))
    out = [(weights / sum(weights)).tolist()]
    all_losses = []
    for loss in losses:
        all_losses.append(np.array(loss))
        # the update of the skills mixture (args.mw_window >= 0, no eta schedule, no loss normalization)
        idx = len(all_losses)
        loss_arr = np.array(all_losses[max(0, idx - window) : idx]).sum(axis=0)
        weights = np.multiply(weights_init, np.exp(eta * graph.dot(loss_arr)))
        out.append((weights / sum(weights)).tolist())
    return {"eta": eta, "window": window, "graph": flat_graph, "losses": [list(map(float, l)) for l in losses], "weights": out}


# --- Aioli -------------------------------------------------------------------------------------------
def aioli_learn_params(k, lp_rounds, one_hot_factor, diagonal, mixture_order, losses):
    """trainer/aioli_trainer.py learn_params_subroutine, with the training and evaluation replaced by the
    given loss vectors: losses[0] is loss_0, losses[m + 1] the loss after interval m."""
    previous_loss = np.array(losses[0])
    new_graph = np.zeros((k, k))
    for m, onehot_idx in enumerate(mixture_order):
        new_loss = np.array(losses[m + 1])
        new_graph[:, onehot_idx] += previous_loss - new_loss
        previous_loss = new_loss
    new_graph /= lp_rounds
    if one_hot_factor != 1 and not diagonal:
        weight_matrix = np.zeros((k, k))
        for i in range(k):
            weight_row = np.ones(k) * (1 - one_hot_factor) / (k - 1)
            weight_row[i] = one_hot_factor
            weight_matrix[i] = weight_row
        A = np.zeros((k, k))
        for i, row in enumerate(new_graph):
            A[i] = np.linalg.solve(weight_matrix, row)
        new_graph = A
    elif one_hot_factor != 1 and diagonal:
        A = np.zeros((k, k))
        for i in range(k):
            A[i, i] = new_graph[i, i] / one_hot_factor
        new_graph = A
    return new_graph


def aioli_case(k, rounds, lp_rounds, one_hot_factor, diagonal, normalize_A, ema, eta):
    weights_init = np.ones(k)
    weights = weights_init
    out_rounds = []
    ema_graph = None
    for i in range(rounds):
        mixture_order = np.concatenate([rng.permutation(k) for _ in range(lp_rounds)])
        losses = [f32(rng.uniform(3.0, 5.0, size=k))]
        for _ in mixture_order:
            losses.append(f32(losses[-1] - rng.uniform(-0.05, 0.3, size=k)))
        graph = aioli_learn_params(k, lp_rounds, one_hot_factor, diagonal, mixture_order, losses)
        raw = graph.copy()
        # train(): normalization, EMA, the update
        if normalize_A:
            min_entry = graph.min()
            if min_entry < 0:
                graph -= min_entry
            graph /= graph.sum()
        if ema is not None:
            if i == 0:
                ema_graph = graph
            else:
                ema_graph = (1 - ema) * graph + ema * ema_graph
            weights = np.multiply(weights_init, np.exp(eta * ema_graph.sum(axis=0)))
        else:
            if i == 0:
                weights = np.multiply(weights_init, np.exp(eta * graph.sum(axis=0)))
            else:
                weights = np.multiply(weights, np.exp(eta * graph.sum(axis=0)))
        out_rounds.append(
            {
                "order": mixture_order.tolist(),
                "losses": [l.tolist() for l in losses],
                "A": raw.tolist(),
                "weights": (weights / sum(weights)).tolist(),
            }
        )
    return {
        "domains": k,
        "lpRounds": lp_rounds,
        "oneHotFactor": one_hot_factor,
        "diagonal": diagonal,
        "normalizeA": normalize_A,
        "ema": ema,
        "eta": eta,
        "rounds": out_rounds,
    }


def main():
    torch.set_default_dtype(torch.float64)
    out = {
        "source": {
            "doremi": f"sangmichaelxie/doremi@{DOREMI_COMMIT}",
            "skill-it": f"HazyResearch/skill-it@{SKILLIT_COMMIT}",
            "aioli": f"HazyResearch/aioli@{AIOLI_COMMIT}",
            "note": "update functions re-written in scripts/goldens/mixing_updates.py",
        },
        "torch": torch.__version__,
        "numpy": np.__version__,
        "doremi": [doremi_case(1.0, 1e-3), doremi_case(0.5, 1e-4)],
        "skillit": [
            skillit_case(0.5, 3, None, [list(f32(rng.uniform(1, 4, size=3))) for _ in range(6)]),
            skillit_case(0.1, 3, [1, 1, 0, 0, 1, 0, 0, 1, 1], [list(f32(rng.uniform(1, 4, size=3))) for _ in range(5)]),
            skillit_case(1.0, 2, [1, 0, 2, 0, 1, 0, 0, 0, 1], [list(f32(rng.uniform(0, 2, size=3))) for _ in range(4)]),
        ],
        "aioli": [
            aioli_case(3, 3, 1, 1.0, False, True, None, 1.0),
            aioli_case(3, 3, 2, 0.5, False, True, 0.5, 0.1),
            aioli_case(3, 2, 1, 0.625, True, False, None, 2.0),
            aioli_case(2, 3, 4, 1.0, False, False, 0.1, 0.5),
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
