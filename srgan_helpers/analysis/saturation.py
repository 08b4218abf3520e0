"""Is the discriminator saturated? Reasoned from what the logged values imply, not from how flat they look.

Two kinds of evidence:
- D(real) and D(fake), when the log has them (ours does): pinned near 0 or 1 for a whole window.
- The loss levels a saturated discriminator forces. Keras 2's binary cross-entropy clips probabilities
  to [eps, 1 - eps] (eps = 1e-7), so a discriminator whose output sits at a bound gives losses fixed by
  the clip and by the labels alone: with L = -ln(eps) = 16.12, a soft label y costs y x L when the output
  is pinned at 0 and (1 - y) x L when it is pinned at 1. With the original's noisy labels (real 0.9,
  fake 0.1, generator 0.9, std 0.05) a D that calls every image real gives d_loss = L/2 x (0.1 + 0.9) =
  8.06 (the mean of real and fake) and an adversarial term of 0.1 x L = 1.61, which moves only by label
  noise (several % from one batch to the next). Four such states exist (everything real, everything
  fake, perfect, inverted); each has its own pair of levels. A window whose median d_loss and adversarial
  loss both sit at one state's levels is reported as saturated in that state.

Our own CSV logs use a logit-based loss with no clip (saturation shows there as D(real)/D(fake) at 0 or
1, which the log records); an original-format log has no D(real)/D(fake), and nothing is said of them.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .losslog import LossLog

KERAS2_EPSILON = 1e-7
STATES = {  # name: (D output on real images, D output on generated images) at the clip bounds
    "calls every image real": (1.0, 1.0),
    "calls every image fake": (0.0, 0.0),
    "separates real and generated perfectly": (1.0, 0.0),
    "calls real images fake and generated ones real": (0.0, 1.0),
}


@dataclasses.dataclass(frozen=True)
class LossModel:
    """How the logged losses were computed: the labels' means and noise, the batch, the BCE clip."""

    real_label_mean: float = 0.9
    fake_label_mean: float = 0.1
    gen_label_mean: float = 0.9
    label_std: float = 0.05
    batch_size: int = 16  # the original logged the losses of one batch per epoch
    epsilon: float | None = KERAS2_EPSILON  # probability clip of the BCE (None: logits, no clip)
    d_loss_is_mean: bool = True  # the original averaged real and fake; ours adds them

    @classmethod
    def from_config(cls, cfg) -> LossModel:
        """Our own runs: logit BCE (no clip level), d_loss = real + fake."""
        return cls(cfg.real_label_mean, cfg.fake_label_mean, cfg.gen_label_mean, cfg.label_std, cfg.batch_size,
                   epsilon=None, d_loss_is_mean=False)

    @property
    def clip_loss(self) -> float:
        return -math.log(self.epsilon)

    def label_moments(self, mean: float) -> tuple[float, float]:
        """Mean and std of N(mean, label_std) clipped to [0, 1] (the original's np.clip of noisy labels)."""
        if self.label_std == 0:
            return mean, 0.0
        from scipy import stats

        x = np.linspace(-8, 8, 4001) * self.label_std + mean
        w = stats.norm.pdf(x, mean, self.label_std)
        y = np.clip(x, 0.0, 1.0)
        m = float(np.sum(w * y) / np.sum(w))
        return m, float(np.sqrt(np.sum(w * (y - m) ** 2) / np.sum(w)))

    def levels(self, real_out: float, fake_out: float) -> dict[str, tuple[float, float]]:
        """{"d_loss": (level, per-epoch std), "adv_loss": (level, std)} for D pinned at these outputs."""
        cost = self.clip_loss
        terms = []
        for mean, out in ((self.real_label_mean, real_out), (self.fake_label_mean, fake_out)):
            m, s = self.label_moments(mean)
            terms.append(((1 - m) if out == 1.0 else m, s))  # the label's weight on the clipped side
        half = 0.5 if self.d_loss_is_mean else 1.0
        d = half * cost * (terms[0][0] + terms[1][0])
        d_std = half * cost * math.hypot(terms[0][1], terms[1][1]) / math.sqrt(self.batch_size)
        g_mean, g_std = self.label_moments(self.gen_label_mean)
        adv = cost * ((1 - g_mean) if fake_out == 1.0 else g_mean)
        return {"d_loss": (d, d_std), "adv_loss": (adv, cost * g_std / math.sqrt(self.batch_size))}


def detect_saturation(log: LossLog, window: int = 50, model: LossModel | None = None,
                      pinned: float = 0.02, rel_tol: float = 0.05) -> list[dict]:
    """Saturated spans: [{"start", "end", "kind", "evidence"}] (epochs inclusive), empty when none.

    Args:
        log: a LossLog (ours or the original's format).
        window: epochs a state must last to count (medians are taken over this many epochs).
        model: how the losses were computed (default: the original's for an original-format log, ours
            otherwise; `analysis.loss_model_for` also reads a run's own labels from its config.json).
        pinned: D(real)/D(fake) within this of 0 or 1 count as pinned (logs that have them).
        rel_tol: a window's median loss matches a clip level within this fraction (or 4 noise sigmas).
    """
    if model is None:  # the original's clipped BCE for its logs; ours has no clip level
        model = LossModel() if log.format == "original" else LossModel(epsilon=None, d_loss_is_mean=False)
    gan = np.array([p != "pretrain" for p in log["phase"]])
    spans = _pinned_spans(log, gan, window, pinned) if log.has("d_real") else []
    if model.epsilon is not None and log.has("d_loss") and log.has("adv_loss"):
        spans += _clip_level_spans(log, gan, window, model, rel_tol)
    return sorted(spans, key=lambda s: s["start"])


def _pinned_spans(log: LossLog, gan: np.ndarray, window: int, pinned: float) -> list[dict]:
    d_real, d_fake = np.asarray(log["d_real"], float), np.asarray(log["d_fake"], float)
    spans = []
    for state, (want_real, want_fake) in STATES.items():
        hit = gan & (np.abs(d_real - want_real) < pinned) & (np.abs(d_fake - want_fake) < pinned)
        for span in _runs(hit, log["epoch"], window):
            sel = _between(log, span)
            evidence = (f"D(real) {np.nanmean(d_real[sel]):.3f}, D(fake) {np.nanmean(d_fake[sel]):.3f} over epochs "
                        f"{span['start']}-{span['end']}: the discriminator {state}")
            spans.append({**span, "kind": state, "evidence": evidence})
    return spans


def _clip_level_spans(log: LossLog, gan: np.ndarray, window: int, model: LossModel, rel_tol: float) -> list[dict]:
    d, adv = np.asarray(log["d_loss"], float), np.asarray(log["adv_loss"], float)
    d_med, adv_med = _rolling_median(d, window), _rolling_median(adv, window)
    spans = []
    for state, outputs in STATES.items():
        lv = model.levels(*outputs)
        hit = gan & _near(d_med, lv["d_loss"], window, rel_tol) & _near(adv_med, lv["adv_loss"], window, rel_tol)
        for span in _runs(hit, log["epoch"], window):
            sel = _between(log, span)
            spans.append({**span, "kind": state, "evidence": _level_evidence(d[sel], adv[sel], lv, model, span, state)})
    return spans


def _level_evidence(d, adv, levels, model: LossModel, span: dict, state: str) -> str:
    return (f"d_loss {np.nanmean(d):.2f} ~ clip level {levels['d_loss'][0]:.2f} over epochs {span['start']}-"
            f"{span['end']}: discriminator output saturated (it {state}); the adversarial loss "
            f"{np.nanmean(adv):.2f} ~ {levels['adv_loss'][0]:.2f} = label x -ln({model.epsilon:g}) moves only by "
            f"label noise, so the generator gets no adversarial gradient")


def _near(values: np.ndarray, level: tuple[float, float], window: int, rel_tol: float) -> np.ndarray:
    value, std = level
    tolerance = max(rel_tol * abs(value), 4 * 1.25 * std / math.sqrt(window))
    with np.errstate(invalid="ignore"):
        return np.abs(values - value) <= tolerance


def _rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred median over `window` epochs (NaN where the window holds no number)."""
    half = window // 2
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        chunk = values[max(0, i - half): i + half + 1]
        if np.isfinite(chunk).any():
            out[i] = np.nanmedian(chunk)
    return out


def _between(log: LossLog, span: dict) -> np.ndarray:
    epochs = np.asarray(log["epoch"], float)
    return (epochs >= span["start"]) & (epochs <= span["end"])


def _runs(mask: np.ndarray, epochs, min_len: int) -> list[dict]:
    runs, start = [], None
    for i, flag in enumerate(list(mask) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= min_len:
                runs.append({"start": int(epochs[start]), "end": int(epochs[i - 1])})
            start = None
    return runs


def saturation_report(spans: list[dict], log: LossLog | None = None) -> str:
    """Plain words: each saturated span with its evidence, or what was checked and found healthy."""
    if spans:
        lines = [f"- {s['evidence']}" for s in spans]
        return "Saturated discriminator (the generator gets no useful adversarial gradient there):\n" + "\n".join(lines)
    if log is not None and not log.has("d_real"):
        return ("No saturated discriminator found: d_loss and the adversarial loss stay away from every clip level "
                "a pinned discriminator would force (this log has no D(real)/D(fake) columns).")
    return "No saturated discriminator found: D(real) and D(fake) never stay pinned at 0 or 1."
