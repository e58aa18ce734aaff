#!/usr/bin/env python3
"""
Golden post-training losses from open-instruct's formulas, for test/unit/ml/posttrain-golden.test.ts.

open-instruct is not on PyPI, and importing its modules pulls in transformers, deepspeed, vllm and ray, so
this script re-writes, line by line, the few PyTorch functions Braise must match, each citing its file and
function in allenai/open-instruct at the commit below (read from the repository, not vendored). They run in
float64 on small fixed float32-representable inputs; the script writes
test/fixtures/goldens/open-instruct/losses.json with the inputs, the outputs and the gradients.

Usage: npm run goldens:open-instruct (runs this script in the shared PyTorch venv of infra/python-venv.ts),
or any python with torch and numpy: python3 scripts/goldens/open_instruct_losses.py
"""
import json
import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

OPEN_INSTRUCT_COMMIT = "e6c3044aa6201c8bfa4573c1b03142af599e730d"
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "goldens" / "open-instruct" / "losses.json"
torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(20261202)
INVALID_LOGPROB = 1.0  # open_instruct/utils.py


def f32(shape, scale=1.0, shift=0.0):
    """float32 values (the TypeScript side holds them exactly), computed on in float64."""
    return (torch.randn(shape, generator=gen, dtype=torch.float32) * scale + shift).double()


def nested(t):
    return t.detach().tolist()


# --- open_instruct/padding_free_collator.py: calculate_per_token_logps
def calculate_per_token_logps(logits, labels):
    shifted_labels = torch.full_like(labels, -100)
    shifted_labels[:, :-1] = labels[:, 1:]
    logits = logits.to(torch.float64)  # float32 there; float64 here for the golden
    safe = shifted_labels.clamp(min=0)
    return torch.gather(logits.log_softmax(-1), 2, safe.unsqueeze(2)).squeeze(2)


# --- open_instruct/dpo_utils.py: _get_batch_logps
def _get_batch_logps(per_token_logps, labels, average_log_prob=False):
    per_token_logps = per_token_logps[:, :-1]
    loss_mask = labels[:, 1:] != -100
    if average_log_prob:
        return (per_token_logps * loss_mask).sum(-1) / loss_mask.sum(-1).clamp(min=1)
    else:
        return (per_token_logps * loss_mask).sum(-1)


# --- open_instruct/dpo_utils.py: dpo_loss
def dpo_loss(policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps, beta, reference_free=False, label_smoothing=0.0):
    pi_logratios = policy_chosen_logps - policy_rejected_logps
    ref_logratios = reference_chosen_logps - reference_rejected_logps
    if reference_free:
        ref_logratios = 0
    logits = pi_logratios - ref_logratios
    losses = -F.logsigmoid(beta * logits) * (1 - label_smoothing) - F.logsigmoid(-beta * logits) * label_smoothing
    chosen_rewards = (beta * (policy_chosen_logps - reference_chosen_logps)).detach()
    rejected_rewards = (beta * (policy_rejected_logps - reference_rejected_logps)).detach()
    return losses, chosen_rewards, rejected_rewards


# --- open_instruct/dpo_utils.py: simpo_loss
def simpo_loss(policy_chosen_logps, policy_rejected_logps, beta, gamma_beta_ratio, label_smoothing=0.0):
    pi_logratios = policy_chosen_logps - policy_rejected_logps
    logits = pi_logratios - gamma_beta_ratio
    losses = -F.logsigmoid(beta * logits) * (1 - label_smoothing) - F.logsigmoid(-beta * logits) * label_smoothing
    chosen_rewards = (beta * policy_chosen_logps).detach()
    rejected_rewards = (beta * policy_rejected_logps).detach()
    return losses, chosen_rewards, rejected_rewards


# --- open_instruct/model_utils.py: estimate_kl (index 0 = k1, 1 = k2, 2 = k3, 3 = ratio-weighted)
def estimate_kl(ref_logprobs_diff, ratio):
    return torch.stack(
        [ref_logprobs_diff, (ref_logprobs_diff) ** 2 / 2, torch.expm1(-ref_logprobs_diff) + ref_logprobs_diff, ratio * ref_logprobs_diff]
    )


# --- open_instruct/grpo_utils.py: compute_grpo_loss, loss_fn dapo (the default), rho_weights = 1
def compute_grpo_loss(new_logprobs, ratio, advantages, ref_logprobs, clip_lower, clip_higher, kl_estimator, rho_weights):
    pg_losses = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - clip_lower, 1.0 + clip_higher)
    clipfrac = (pg_losses2 > pg_losses).float()
    pg_loss = torch.max(pg_losses, pg_losses2)
    pg_loss *= rho_weights
    clipfrac *= (rho_weights != 0).float()
    if ref_logprobs is not None:
        ref_logprobs_diff = (new_logprobs - ref_logprobs).clamp(-40.0, 40.0)
        kl_all = estimate_kl(ref_logprobs_diff, ratio)
        kl = kl_all[kl_estimator]
    else:
        kl = torch.zeros_like(pg_loss)
    return pg_loss, clipfrac, kl


# --- open_instruct/rl_utils.py: masked_mean
def masked_mean(values, mask, axis=None, denominator=None):
    extra_dims = values.ndim - mask.ndim
    if axis is None:
        sum_dims = tuple(range(extra_dims, values.ndim))
    elif axis >= 0:
        sum_dims = axis + extra_dims
    else:
        sum_dims = axis
    numerator = (values * mask).sum(dim=sum_dims)
    denom = mask.sum(dim=axis) if denominator is None else denominator
    if isinstance(denom, torch.Tensor):
        result = torch.where(denom > 0, numerator / denom, torch.zeros_like(numerator))
    else:
        result = numerator / denom if denom > 0 else torch.zeros_like(numerator)
    return result.flatten(extra_dims).mean(-1) if result.ndim > extra_dims else result


# --- open_instruct/data_loader.py: the advantage block of the streaming loader, and the per-prompt
# zero-std filter (`filter_zero_std_samples and np.std(result.reward_scores) == 0`)
def advantages_of(scores, num_samples_per_prompt_rollout, advantage_normalization_type):
    scores = np.array(scores)
    scores_per_prompt = scores.reshape(-1, num_samples_per_prompt_rollout)
    mean_grouped_rewards = scores_per_prompt.mean(axis=-1)
    mean_grouped_rewards = np.repeat(mean_grouped_rewards, num_samples_per_prompt_rollout, axis=0)
    std_grouped_rewards = scores_per_prompt.std(axis=-1)
    std_grouped_rewards = np.repeat(std_grouped_rewards, num_samples_per_prompt_rollout, axis=0)
    if advantage_normalization_type == "standard":
        advantages = (scores - mean_grouped_rewards) / (std_grouped_rewards + 1e-8)
    elif advantage_normalization_type == "centered":
        advantages = scores - mean_grouped_rewards
    kept = [g for g in range(scores_per_prompt.shape[0]) if np.std(scores_per_prompt[g]) != 0]
    return advantages, kept


# --- open_instruct/ground_truth_utils.py: GSM8KVerifier.__call__, times verification_reward (10.0)
def gsm8k_score(prediction, label):
    response = re.sub(r"(\d),(\d)", r"\1\2", prediction)
    numbers = re.findall(r"[-+]?(?:\d*\.\d+|\d+)", response)
    extracted = numbers[-1] if numbers else response
    return 10.0 * float(str(extracted).lower() == str(label).lower())


def logprob_cases():
    """Sequence log-probs from logits, in Braise's shifted layout: logits[:, t] predicts targets[:, t]."""
    B, T, V = 3, 5, 7
    logits = f32((B, T, V), 2.0)
    targets = torch.randint(0, V, (B, T), generator=gen)
    mask = torch.tensor([[0, 0, 1, 1, 1], [0, 1, 1, 1, 1], [0, 0, 0, 0, 1]], dtype=torch.float64)
    weights = torch.tensor([0.5, -1.25, 2.0])
    out = {"logits": nested(logits), "targets": nested(targets), "mask": nested(mask), "weights": nested(weights)}
    for average in (False, True):
        x = logits.clone().requires_grad_(True)
        # open-instruct's layout: one more position; labels[:, t + 1] is predicted at position t.
        oi_logits = torch.cat([x, torch.zeros(B, 1, V)], dim=1)
        labels = torch.full((B, T + 1), -100, dtype=torch.long)
        labels[:, 1:] = torch.where(mask > 0, targets, torch.full_like(targets, -100))
        per_token = calculate_per_token_logps(oi_logits, labels)
        seq = _get_batch_logps(per_token, labels, average_log_prob=average)
        (seq * weights).sum().backward()
        key = "mean" if average else "sum"
        out[key] = nested(seq)
        out[f"{key}GradLogits"] = nested(x.grad)
    return out


def dpo_cases():
    B = 6
    base_c, base_r = f32(B, 3.0, -12.0), f32(B, 3.0, -12.0)
    ref_c, ref_r = base_c + f32(B, 0.5), base_r + f32(B, 0.5)
    cases = []
    for loss_type, beta, ls, gbr in [
        ("dpo", 0.1, 0.0, 0.3), ("dpo", 0.1, 0.1, 0.3), ("dpo", 2.0, 0.0, 0.3),
        ("dpo_norm", 5.0, 0.0, 0.3), ("dpo_norm", 5.0, 0.2, 0.3),
        ("simpo", 2.0, 0.0, 0.3), ("simpo", 2.5, 0.1, 0.5),
    ]:
        scale = 1.0 if loss_type == "dpo" else 0.1  # averaged log-probs are per-token sized
        pc = (base_c * scale).clone().requires_grad_(True)
        pr = (base_r * scale).clone().requires_grad_(True)
        rc, rr = ref_c * scale, ref_r * scale
        if loss_type == "simpo":
            losses, cr, rj = simpo_loss(pc, pr, beta=beta, gamma_beta_ratio=gbr, label_smoothing=ls)
        else:
            losses, cr, rj = dpo_loss(pc, pr, rc, rr, beta=beta, label_smoothing=ls)
        loss = losses.mean()  # dpo_tune_cache.py
        loss.backward()
        cases.append({
            "name": f"{loss_type} beta={beta} eps={ls} gamma/beta={gbr}",
            "lossType": loss_type, "beta": beta, "labelSmoothing": ls, "gammaBetaRatio": gbr,
            "policyChosen": nested(pc), "policyRejected": nested(pr), "referenceChosen": nested(rc), "referenceRejected": nested(rr),
            "losses": nested(losses), "chosenRewards": nested(cr), "rejectedRewards": nested(rj), "loss": loss.item(),
            # dpo_tune_cache.py: accuracy = (chosen_rewards > rejected_rewards).float().mean(); margin = (chosen - rejected).mean()
            "accuracy": (cr > rj).double().mean().item(), "rewardMargin": (cr - rj).mean().item(),
            "gradPolicyChosen": nested(pc.grad), "gradPolicyRejected": nested(pr.grad),
        })
    return cases


def advantage_cases():
    scores = [10.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 0.0, 3.0, 1.0, 4.0, 1.5]
    out = []
    for norm in ("centered", "standard"):
        adv, kept = advantages_of(scores, 4, norm)
        out.append({"normalization": norm, "groupSize": 4, "scores": scores, "advantages": adv.tolist(), "keptGroups": kept})
    return out


def grpo_cases():
    B, T = 4, 6
    old = -f32((B, T), 1.0).abs() - 0.05
    # log-ratios mostly small, a few well outside [log 0.8, log 1.272] on both sides
    new = old + f32((B, T), 0.05)
    new[0, 1] = old[0, 1] + 0.5
    new[1, 2] = old[1, 2] - 0.6
    new[2, 3] = old[2, 3] + 0.4
    new[3, 4] = old[3, 4] - 0.35
    new = new.float().double()
    ref = (old + f32((B, T), 0.3)).float().double()
    mask = torch.tensor([[0, 1, 1, 1, 1, 0], [0, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]], dtype=torch.float64)
    adv_seq = torch.tensor([1.5, -2.0, 0.75, -0.5])
    cases = []
    for name, estimator, beta, use_ref in [("k3 beta=0.05", 2, 0.05, True), ("k1 beta=0.05", 0, 0.05, True), ("k2 beta=0.5", 1, 0.5, True), ("no reference", 2, 0.05, False)]:
        x = new.clone().requires_grad_(True)
        advantages = adv_seq[:, None].expand(B, T)  # per token, as packed in data_loader.py
        ratio = torch.exp(x - old)
        pg_loss, clipfrac, kl = compute_grpo_loss(x, ratio, advantages, ref if use_ref else None, 0.2, 0.272, estimator, torch.ones(B, T))
        per_token_loss = pg_loss + beta * kl
        loss_denominator = mask.sum().item()  # calculate_token_counts with one accumulation group
        loss = masked_mean(per_token_loss, mask, None, loss_denominator)
        loss.backward()
        cases.append({
            "name": name, "klEstimator": ["k1", "k2", "k3"][estimator], "beta": beta, "useReference": use_ref,
            "logprobs": nested(new), "oldLogprobs": nested(old), "refLogprobs": nested(ref), "advantages": nested(adv_seq), "mask": nested(mask),
            "pgLoss": nested(pg_loss), "kl": nested(kl), "clipped": nested(clipfrac), "loss": loss.item(),
            "klMean": masked_mean(kl, mask, None, loss_denominator).item(), "gradLogprobs": nested(x.grad),
        })
    return cases


def verifier_cases():
    rows = [("The answer is 1,234.", "1234"), ("so 3 + 4 = 7", "7"), ("so 3 + 4 = 7", "4"), ("-12 then +5", "+5"),
            ("value .5", ".5"), ("no digits here", "no digits here"), ("1,2,3", "12,3"), ("x = 2.50", "2.5"), ("ABC", "abc")]
    return [{"prediction": p, "label": l, "score": gsm8k_score(p, l)} for p, l in rows]


def main() -> None:
    doc = {
        "source": f"allenai/open-instruct@{OPEN_INSTRUCT_COMMIT} (formulas re-written in scripts/goldens/open_instruct_losses.py)",
        "torch": torch.__version__,
        "logprobs": logprob_cases(),
        "dpo": dpo_cases(),
        "advantages": advantage_cases(),
        "grpo": grpo_cases(),
        "verifier": verifier_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
