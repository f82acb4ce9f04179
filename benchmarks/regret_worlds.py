"""Versioned world generator of the regret benchmark (issue 13, item 1) and its oracle.

A *world* is a set of true learning curves, prices, run-to-run noise and targets. Every
quantity is drawn from the generator's own random stream, seeded by the world's seed
(``numpy.random.default_rng([GENERATOR_VERSION, seed])``), so world ``k`` is the same
whatever else is run. Strategies never see a world: they see only measurements
(:func:`measure`), prices and targets. The oracle (:func:`oracle_allocation`) uses the
truth and is for scoring only.

Generator ``"honest"`` (version ``GENERATOR_VERSION``), per world:

- tasks ``T ~ U{1..4}``, databases ``D ~ U{1..4}``; each task pre-trains on each database
  with probability 0.7 (at least one); databases no task uses are dropped;
- price of one experiment of each task (a simulation costs 1): log-uniform on
  [1, 10,000];
- early data: scratch ("none") at ``n_real`` = 10, 20, 30, 50, every transfer curve at
  ``n_sim`` = 100, 200, 500, 1000 (``n_real = 50``), 3 seeds per size; the reference size
  ``x0`` of a curve is its largest early size;
- per task a scratch level ``L0 ~ logU(0.05, 1)`` (error at ``x0``); a transfer curve's
  level is ``L0 * U(0.4, 1.2)``;
- every curve: ``E(x) = c + (L - c) s(x)`` (+ a bump), floor ``c = phi L`` with
  ``phi = 0`` (no floor) with probability 0.25, else ``phi ~ U(0, 0.9)``; exponents
  log-uniform on [0.02, 0.8]; the shape ``s`` (``s(x0) = 1``) is drawn as
  ``power``: ``(x/x0)^-a``;
  ``broken`` (broken power law): ``(x/x0)^-a1 ((1 + x/xb) / (1 + x0/xb))^-(a2 - a1)``,
  exponents ``a1, a2`` independent, break ``xb = x0 logU(0.3, 30)``;
  ``saturating`` (exponential saturation): ``exp(-(x - x0) / tau)``, ``tau = x0
  logU(0.5, 50)``;
  ``bump`` (negative transfer, transfer curves only): the power shape plus ``h L b(x)``
  with ``b(x) = (x/xb) exp(1 - x/xb)`` (peak 1 at ``xb = x0 logU(0.2, 3)``),
  ``h ~ U(0.3, 1.5)``: worse than flat at small ``n_sim``, then falling;
  probabilities: scratch power/broken/saturating 0.5/0.25/0.25, transfer
  power/broken/saturating/bump 0.4/0.2/0.2/0.2; errors are clipped below at ``1e-4 L``
  (a numerical floor, for saturating curves without a floor);
- run-to-run noise, per curve: a seed effect ``u ~ N(0, tau_seed^2)`` on log error common
  to every size of that seed, ``tau_seed ~ logU(0.01, 0.08)``, plus independent noise
  ``N(0, sigma(x)^2)``, ``sigma(x) = sigma0 (x/x0)^-beta``, ``sigma0 ~ logU(0.02, 0.15)``,
  ``beta ~ U(0, 0.5)`` (noise falls with size);
- target of each task: a reference route drawn uniformly among its routes, a growth
  ``g ~ logU(1.5, 30)`` of that route's size; target = its true error at ``g x0``. The world
  is redrawn (same stream) when a target is not at least 3% below the task's current true
  error (min over routes at ``x0``). So every target is reachable (on the reference route
  at most), floors range from none to just below the target, and other routes' floors may
  be above it.

Generator ``"legacy"`` (the worlds of the issue-4 figures): ``make_world`` of
``planner_regret.py`` before issue 13, drawn as one sequence from
``default_rng(sequence_seed)``; power laws only, exponents U(0.3, 0.6) / U(0.2, 0.7),
independent log noise 0.05, one price per world in [10, 1000].
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

GENERATOR_VERSION = 1
GENERATORS = ("honest", "legacy")
M0, N0, SEEDS = 50.0, 1000.0, 3
EARLY_M = (10.0, 20.0, 30.0, 50.0)
EARLY_N = (100.0, 200.0, 500.0, 1000.0)
EXPONENT_RANGE = (0.02, 0.8)
PRICE_RANGE = (1.0, 10_000.0)
SIZE_HORIZON = 1e7  # sizes searched by the oracle: up to this many times x0


@dataclass(frozen=True)
class Curve:
    """One true curve ``E(x) = c + (L - c) s(x) [+ h L b(x)]`` and its run noise."""

    form: str
    level: float
    floor: float
    x0: float
    params: dict[str, float]
    sigma0: float
    beta: float
    tau_seed: float

    def error(self, x: np.ndarray | float) -> np.ndarray:
        """True (expected) error at sizes ``x``."""
        x = np.asarray(x, dtype=float)
        p, r = self.params, x / self.x0
        if self.form in ("power", "bump"):
            s = r ** -p["a"]
        elif self.form == "broken":
            s = r ** -p["a1"] * ((1 + x / p["xb"]) / (1 + self.x0 / p["xb"])) ** -(
                p["a2"] - p["a1"])
        elif self.form == "saturating":
            s = np.exp(-(x - self.x0) / p["tau"])
        else:
            raise ValueError(f"unknown form {self.form}")
        e = self.floor + (self.level - self.floor) * s
        if self.form == "bump":
            b = x / p["xb"]
            e = e + p["h"] * self.level * b * np.exp(1 - b)
        return np.maximum(e, 1e-4 * self.level)

    def sigma(self, x: np.ndarray | float) -> np.ndarray:
        """Sd of the independent log noise at sizes ``x``."""
        return self.sigma0 * (np.asarray(x, dtype=float) / self.x0) ** -self.beta


@dataclass
class World:
    """True curves per (task, route), prices per source and targets per task."""

    curves: dict[tuple[str, str], Curve]
    tasks: list[str]
    dbs: list[str]
    prices: dict[str, float]
    targets: dict[str, float] = field(default_factory=dict)
    generator: str = "honest"
    seed: int = 0

    def error(self, task: str, route: str, x: float) -> float:
        return float(self.curves[(task, route)].error(x))

    def routes(self, task: str) -> list[str]:
        return ["none"] + [s for s in self.dbs if (task, s) in self.curves]

    def current_error(self, task: str) -> float:
        """True error of the task's best route at the early data's largest sizes."""
        return min(self.error(task, r, M0 if r == "none" else N0) for r in self.routes(task))

    def early_spend(self) -> float:
        """Money of the early curves (largest sizes; sub-sampled sizes are free)."""
        return sum(M0 * self.prices["real:" + t] for t in self.tasks) + N0 * len(self.dbs)


def _logu(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _curve(rng: np.random.Generator, level: float, x0: float, transfer: bool) -> Curve:
    forms, probs = (("power", "broken", "saturating", "bump"), (0.4, 0.2, 0.2, 0.2)) \
        if transfer else (("power", "broken", "saturating"), (0.5, 0.25, 0.25))
    form = str(rng.choice(forms, p=probs))
    phi = 0.0 if rng.random() < 0.25 else rng.uniform(0.0, 0.9)
    lo, hi = EXPONENT_RANGE
    params: dict[str, float] = {"a": _logu(rng, lo, hi)}
    if form == "broken":
        params = {"a1": params["a"], "a2": _logu(rng, lo, hi), "xb": x0 * _logu(rng, 0.3, 30)}
    elif form == "saturating":
        params = {"tau": x0 * _logu(rng, 0.5, 50)}
    elif form == "bump":
        params.update(xb=x0 * _logu(rng, 0.2, 3), h=rng.uniform(0.3, 1.5))
    return Curve(form, level, phi * level, x0, params, sigma0=_logu(rng, 0.02, 0.15),
                 beta=rng.uniform(0.0, 0.5), tau_seed=_logu(rng, 0.01, 0.08))


def honest_world(seed: int) -> World:
    """World ``seed`` of the ``"honest"`` generator (see the module docstring)."""
    rng = np.random.default_rng([GENERATOR_VERSION, seed])
    while True:
        dbs = [f"db{j}" for j in range(rng.integers(1, 5))]
        tasks = [f"task{i}" for i in range(rng.integers(1, 5))]
        curves: dict[tuple[str, str], Curve] = {}
        for t in tasks:
            level = _logu(rng, 0.05, 1.0)
            curves[(t, "none")] = _curve(rng, level, M0, transfer=False)
            used = [s for s in dbs if rng.random() < 0.7] or [str(rng.choice(dbs))]
            for s in used:
                curves[(t, s)] = _curve(rng, level * rng.uniform(0.4, 1.2), N0, transfer=True)
        dbs = [s for s in dbs if any((t, s) in curves for t in tasks)]
        prices = {"real:" + t: _logu(rng, *PRICE_RANGE) for t in tasks}
        prices.update(dict.fromkeys(dbs, 1.0))
        w = World(curves, tasks, dbs, prices, seed=seed)
        for t in tasks:
            ref = str(rng.choice(w.routes(t)))
            cur = curves[(t, ref)]
            w.targets[t] = float(cur.error(cur.x0 * _logu(rng, 1.5, 30)))
        if all(w.targets[t] <= 0.97 * w.current_error(t) for t in tasks):
            return w


def legacy_world(rng: np.random.Generator) -> World:
    """Next world of the issue-4 sequence (``make_world`` before issue 13)."""
    while True:
        dbs = [f"db{j}" for j in range(rng.integers(1, 4))]
        tasks = [f"task{i}" for i in range(rng.integers(1, 6))]
        truth = {}
        for t in tasks:
            a = rng.uniform(0.3, 0.6)
            c = rng.uniform(0.03, 0.1)
            truth[(t, "none")] = (c, (rng.uniform(0.5, 1.0) - c) * M0 ** a, a)
            used = [s for s in dbs if rng.random() < 0.7] or [str(rng.choice(dbs))]
            for s in used:
                a2, c2 = rng.uniform(0.2, 0.7), rng.uniform(0.03, 0.35)
                truth[(t, s)] = (c2, max(rng.uniform(0.3, 0.7) - c2, 0.05) * N0 ** a2, a2)
        dbs = [s for s in dbs if any((t, s) in truth for t in tasks)]
        ratio = float(np.exp(rng.uniform(np.log(10), np.log(1000))))
        curves = {}
        for (t, r), (c, d, a) in truth.items():
            x0 = M0 if r == "none" else N0
            curves[(t, r)] = Curve("power", c + d * x0 ** -a, c, x0, {"a": a}, 0.05, 0.0, 0.0)
        prices = {"real:" + t: ratio for t in tasks}
        prices.update(dict.fromkeys(dbs, 1.0))
        w = World(curves, tasks, dbs, prices, generator="legacy")
        for t in tasks:
            now = w.current_error(t)
            w.targets[t] = max(now * rng.uniform(0.45, 0.8), 1.25 * truth[(t, "none")][0])
        if all(w.targets[t] < w.current_error(t) for t in tasks):
            return w


def make_worlds(seeds: list[int], generator: str = "honest",
                sequence_seed: int = 0) -> list[World]:
    """Worlds of the given seeds (``legacy``: positions in the one legacy sequence)."""
    if generator == "honest":
        return [honest_world(s) for s in seeds]
    if generator != "legacy":
        raise ValueError(f"generator must be one of {GENERATORS}, got {generator}")
    rng = np.random.default_rng(sequence_seed)
    seq = [legacy_world(rng) for _ in range(max(seeds) + 1)]
    for k, w in enumerate(seq):
        w.seed = k
    return [seq[s] for s in seeds]


def required_size(error_fn, x0: float, target: float) -> float:  # type: ignore[no-untyped-def]
    """Smallest integer size ``>= x0`` where ``error_fn`` is at most ``target`` (``inf``
    when none up to ``SIZE_HORIZON x0``); a log grid, then bisection of the first step."""
    if float(error_fn(x0)) <= target:
        return float(x0)
    grid = x0 * np.logspace(0, np.log10(SIZE_HORIZON), 600)
    ok = np.nonzero(np.asarray(error_fn(grid)) <= target)[0]
    if not len(ok):
        return float("inf")
    lo, hi = grid[ok[0] - 1], grid[ok[0]]
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if float(error_fn(mid)) <= target else (mid, hi)
    return float(np.ceil(hi))


def cheapest_allocation(need: dict[str, dict[str, float]], prices: dict[str, float]
                        ) -> tuple[float, dict[str, float]]:
    """Cheapest choice of one route per task given each route's new samples needed.

    ``need[task][route]`` = new samples of that route's source (``inf`` or absent: the
    route cannot reach the target); a database's samples serve every task using it.
    Returns the cost and the batch (source name -> new samples; ``real:<task>``).
    """
    best, best_alloc = np.inf, {}
    options = [[(r, v) for r, v in need[t].items() if np.isfinite(v)] for t in need]
    for choice in itertools.product(*options):
        alloc: dict[str, float] = {}
        for t, (r, extra) in zip(need, choice, strict=True):
            key = "real:" + t if r == "none" else r
            alloc[key] = max(alloc.get(key, 0.0), extra)
        cost = sum(v * prices[k] for k, v in alloc.items())
        if cost < best:
            best, best_alloc = cost, alloc
    return float(best), best_alloc


def oracle_allocation(w: World) -> tuple[float, dict[str, float]]:
    """Exact minimum cost for the true (expected) errors to meet every target, and its
    batch. Scoring only: no strategy may call this."""
    need: dict[str, dict[str, float]] = {}
    for t in w.tasks:
        need[t] = {}
        for r in w.routes(t):
            cur = w.curves[(t, r)]
            need[t][r] = max(required_size(cur.error, cur.x0, w.targets[t]) - cur.x0, 0.0)
    return cheapest_allocation(need, w.prices)


def seed_offsets(w: World, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Per curve, the log-error offsets of seeds ``0..SEEDS-1`` (shared along the curve)."""
    return {k: c.tau_seed * rng.standard_normal(SEEDS) for k, c in w.curves.items()}


def measure(w: World, offsets: dict[tuple[str, str], np.ndarray], rng: np.random.Generator,
            task: str, route: str, x: float) -> list[tuple]:
    """Noisy rows (one per seed) of one curve at size ``x`` (table columns of the model)."""
    cur = w.curves[(task, route)]
    e = float(cur.error(x))
    sd = float(cur.sigma(x))
    rows = []
    for s in range(SEEDS):
        err = e * float(np.exp(offsets[(task, route)][s] + sd * rng.standard_normal()))
        rows.append((task, route, 0.0 if route == "none" else x, x if route == "none" else M0,
                     s, err, "MAE"))
    return rows


def fresh_run_error(w: World, task: str, route: str, x: float, z: tuple[float, float]
                    ) -> float:
    """Error of one training run with a fresh seed: true error x exp(seed effect + noise),
    from the standard normal pair ``z``."""
    cur = w.curves[(task, route)]
    return float(cur.error(x)) * float(np.exp(cur.tau_seed * z[0] + float(cur.sigma(x)) * z[1]))
