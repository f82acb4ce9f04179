"""MCMC diagnostics: R-hat, bulk/tail ESS, divergences and E-BFMI, with actionable advice.

Examples
--------
>>> d = Diagnostics(max_rhat=1.002, min_ess_bulk=900.0, min_ess_tail=800.0, divergences=0,
...                 min_bfmi=0.8, chains=4, draws=1000)
>>> d.ok, d.problems()
(True, [])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from sim2real.models.errors import ConvergenceWarning, warn_at_caller

RHAT_MAX = 1.01
ESS_PER_CHAIN_MIN = 100
BFMI_MIN = 0.3


@dataclass(frozen=True)
class Diagnostics:
    """Worst-case convergence diagnostics over the model's parameters."""

    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    min_bfmi: float
    chains: int
    draws: int

    def problems(self) -> list[str]:
        """Failed checks, each with advice; empty when all pass (NaN = not computable)."""
        out = []
        ess_min = ESS_PER_CHAIN_MIN * self.chains
        if self.chains > 1 and self.max_rhat > RHAT_MAX:
            out.append(f"R-hat {self.max_rhat:.3f} > {RHAT_MAX}: chains disagree; run more "
                       "tuning/draws (--tune, --draws) or check for multimodal curves.")
        if self.min_ess_bulk < ess_min:
            out.append(f"bulk ESS {self.min_ess_bulk:.0f} < {ess_min}: increase --draws.")
        if self.min_ess_tail < ess_min:
            out.append(f"tail ESS {self.min_ess_tail:.0f} < {ess_min}: intervals are noisy; "
                       "increase --draws.")
        if self.divergences > 0:
            out.append(f"{self.divergences} divergent transitions: raise --target-accept "
                       "(e.g. 0.99), or tighten the priors; results may be biased.")
        if self.min_bfmi < BFMI_MIN:
            out.append(f"E-BFMI {self.min_bfmi:.2f} < {BFMI_MIN}: poor exploration of the "
                       "energy distribution; consider stronger priors on the scales.")
        return out

    @property
    def ok(self) -> bool:
        """True when every check passes."""
        return not self.problems()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with ``ok`` and ``problems``."""
        return {**asdict(self), "ok": self.ok, "problems": self.problems()}


def compute_diagnostics(idata: Any, var_names: list[str] | None = None) -> Diagnostics:
    """Compute :class:`Diagnostics` from an ArviZ ``InferenceData``."""
    import arviz as az

    post = idata.posterior if var_names is None else idata.posterior[var_names]
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])

    def worst(ds: Any, fn: Any) -> float:
        values = np.concatenate([np.ravel(ds[v].values) for v in ds.data_vars])
        values = values[np.isfinite(values)]
        return float(fn(values)) if values.size else float("nan")

    rhat = worst(az.rhat(post), np.max) if chains > 1 else float("nan")
    ess_bulk = worst(az.ess(post, method="bulk"), np.min)
    ess_tail = worst(az.ess(post, method="tail"), np.min)
    stats = getattr(idata, "sample_stats", None)
    divergences = int(stats["diverging"].values.sum()) if stats is not None and \
        "diverging" in stats else 0
    try:
        bfmi = float(np.min(az.bfmi(idata)))
    except (AttributeError, KeyError, TypeError, ValueError):
        bfmi = float("nan")
    return Diagnostics(max_rhat=rhat, min_ess_bulk=ess_bulk, min_ess_tail=ess_tail,
                       divergences=divergences, min_bfmi=bfmi, chains=chains, draws=draws)


def warn_if_failed(diagnostics: Diagnostics) -> None:
    """Emit one :class:`ConvergenceWarning` listing every failed check with advice."""
    problems = diagnostics.problems()
    if problems:
        warn_at_caller("MCMC diagnostics failed; do not trust the numbers until fixed:\n  - "
                       + "\n  - ".join(problems), ConvergenceWarning)
