"""Scale-free numeric inputs of the models, and how a query finds its parameters (NumPy).

Errors are divided by their task's median error and taken on a log scale; sizes are divided
by reference sizes (geometric means of the measured sizes), so default priors mean the same
thing for any metric and size range. Two layouts index the same table:

* ``curve`` -- one learning curve per measured curve (see :mod:`models.data.contract`):
  level ``curve``; input ``lx = log(x / x_ref)`` on the curve's varying axis;
* ``surface`` -- one surface per task: levels ``task`` and ``pair`` (task, database);
  inputs ``lm = log(n_real / m_ref)`` and ``u = n_sim / n_ref``; noise per (task, source).

Examples
--------
>>> import pandas as pd
>>> from sim2real.models.data.contract import load_curves
>>> df = pd.DataFrame({"task": "t", "sim_source": "none", "n_sim": 0,
...                    "n_real": [10, 100, 1000], "seed": 0, "error": [2.0, 1.0, 0.5],
...                    "metric": "MAE"})
>>> d = make_design(load_curves(df), "curve")
>>> round(float(d.refs["curve"]["x_ref"][0]), 6), float(d.refs["curve"]["scale"][0])
(100.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim2real.models.data.contract import NO_SOURCE, CurveData
from sim2real.models.errors import InputDataError, UnknownCurveError

LEVELS = {"curve": ("curve",), "surface": ("task", "pair")}
NOISE_LEVEL = {"curve": "curve", "surface": "noise_group"}


@dataclass(frozen=True)
class Design:
    """Arrays the models consume (one entry per table row unless noted).

    Attributes
    ----------
    layout : str
        ``"curve"`` or ``"surface"``.
    coords : dict of str -> list of str
        Labels of each level (``curve``; ``task``, ``pair``) and of the noise groups.
    index : dict of str -> ndarray of int
        Row -> entry of each level, and ``"noise"`` -> noise group.
    inputs : dict of str -> ndarray
        Scale-free sizes of every row (``lx``; ``lm`` and ``u``).
    y : ndarray
        ``log(error / scale)``.
    row_scale : ndarray
        Error scale of each row's task.
    refs : dict of str -> dict of str -> ndarray
        Per level entry: reference sizes and error scale.
    pools : dict of str -> (list of str, ndarray of int)
        Per level, the route populations its entries can be pooled within (curves:
        ``scratch`` and ``transfer:<source>``) and each entry's population.
    """

    layout: str
    coords: dict[str, list[str]]
    index: dict[str, np.ndarray]
    inputs: dict[str, np.ndarray]
    y: np.ndarray
    row_scale: np.ndarray
    refs: dict[str, dict[str, np.ndarray]]
    lookup: dict[tuple[str, str], tuple[np.ndarray, ...]] = field(default_factory=dict)
    pools: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)

    @property
    def noise_level(self) -> str:
        """The coordinate the noise scale ``sigma`` has one value per."""
        return NOISE_LEVEL[self.layout]

    @property
    def n_groups(self) -> int:
        """Number of noise groups (curves, or (task, source) pairs)."""
        return len(self.coords[self.noise_level])

    def level_refs(self, level: str, i: int) -> dict[str, float]:
        """Reference sizes and scale of entry ``i`` of ``level`` (pairs see their task's)."""
        out = {k: float(v[i]) for k, v in self.refs[level].items()}
        if level == "pair":
            task = self.coords["pair"][i].split("|")[0]
            t = self.coords["task"].index(task)
            out.update({k: float(v[t]) for k, v in self.refs["task"].items()})
        return out


def make_design(data: CurveData, layout: str) -> Design:
    """Build the :class:`Design` of a validated table for ``layout``."""
    if layout == "curve":
        return _curve_design(data)
    if layout == "surface":
        return _surface_design(data)
    raise InputDataError(f"unknown layout '{layout}'.")


def pooled_populations(design: Design, pooling: str) -> dict[str, list[str]]:
    """Which entries share a population distribution: label -> members.

    ``pooling="route"`` on curves: scratch curves together and each source's transfer
    curves together; otherwise one population over every entry of the pooled level
    (curves, or the surface's tasks).

    Examples
    --------
    >>> d = Design("curve", {"curve": ["a|none|n_sim=0", "a|db|n_real=9"]}, {}, {},
    ...            np.zeros(0), np.zeros(0), {},
    ...            pools={"curve": (["scratch", "transfer:db"], np.array([0, 1]))})
    >>> pooled_populations(d, "route")
    {'scratch': ['a|none|n_sim=0'], 'transfer:db': ['a|db|n_real=9']}
    >>> pooled_populations(d, "all")
    {'all curves': ['a|none|n_sim=0', 'a|db|n_real=9']}
    """
    level = "curve" if "curve" in design.coords else "task"
    members = design.coords[level]
    if pooling == "route" and level in design.pools:
        labels, which = design.pools[level]
        return {lab: [m for m, w in zip(members, which, strict=True) if w == j]
                for j, lab in enumerate(labels)}
    return {f"all {level}s": list(members)}


def split_groups(table: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Labels ``task|seed`` of the split groups (runs scored on one seed's test split) and
    each row's group.

    Examples
    --------
    >>> labels, index = split_groups(pd.DataFrame({"task": ["a", "a", "b"], "seed": [1, 0, 0]}))
    >>> labels, index.tolist()
    (['a|0', 'a|1', 'b|0'], [1, 0, 2])
    """
    keys = table["task"].astype(str) + "|" + table["seed"].astype(str)
    labels = sorted(keys.unique())
    lookup = {k: i for i, k in enumerate(labels)}
    return labels, keys.map(lookup).to_numpy(np.int64)


def geo_mean(values: Any) -> float:
    """Geometric mean of the distinct positive values."""
    sizes = np.unique(np.asarray(values, dtype=float))
    sizes = sizes[sizes > 0]
    return float(np.exp(np.mean(np.log(sizes))))


# ---------------------------------------------------------------------------- curve layout
def _curve_design(data: CurveData) -> Design:
    table, curves = data.table, data.curves
    curve = table["curve"].to_numpy(dtype=np.int64)
    x_ref = np.array([geo_mean(table.loc[table["curve"] == k, axis])
                      for k, axis in enumerate(curves["axis"])])
    medians = table.groupby("task")["error"].median()
    scale = curves["task"].map(medians).to_numpy(dtype=float)
    axis = curves["axis"].to_numpy()[curve]
    size = np.where(axis == "n_sim", table["n_sim"].to_numpy(float),
                    table["n_real"].to_numpy(float))
    lookup: dict[tuple[str, str], tuple[np.ndarray, ...]] = {}
    for (task, src), block in curves.groupby(["task", "sim_source"], sort=False):
        lookup[(str(task), str(src))] = (
            block.index.to_numpy(np.int64), (block["axis"] == "n_sim").to_numpy(),
            block["fixed_n_sim"].to_numpy(float), block["fixed_n_real"].to_numpy(float))
    splits, split = split_groups(table)
    route = np.where(curves["sim_source"] == NO_SOURCE, "scratch",
                     "transfer:" + curves["sim_source"].astype(str))
    pool_labels = sorted(set(route.tolist()))
    pools = {"curve": (pool_labels, np.array([pool_labels.index(r) for r in route],
                                             dtype=np.int64))}
    return Design(layout="curve", coords={"curve": curves["curve_id"].tolist(),
                                          "split": splits},
                  index={"curve": curve, "noise": curve, "split": split},
                  inputs={"lx": np.log(size / x_ref[curve])},
                  y=np.log(table["error"].to_numpy(float) / scale[curve]),
                  row_scale=scale[curve],
                  refs={"curve": {"x_ref": x_ref, "scale": scale,
                                  "on_sim": (curves["axis"] == "n_sim").to_numpy(float),
                                  "log_fixed": _log_fixed(curves)}},
                  lookup=lookup, pools=pools)


def _log_fixed(curves: pd.DataFrame) -> np.ndarray:
    """Log of each transfer curve's fixed ``n_real`` (NaN for curves varying ``n_real``)."""
    on_sim = (curves["axis"] == "n_sim").to_numpy()
    fixed = curves["fixed_n_real"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(on_sim & (fixed > 0), np.log(np.where(fixed > 0, fixed, 1.0)),
                        np.nan)


def find_curves(data: CurveData, task: str, sim_source: str, n_sim: np.ndarray,
                n_real: np.ndarray) -> np.ndarray:
    """Index of the measured curve through each operating point (contract rules).

    Raises
    ------
    UnknownCurveError
        Naming the operating points the curves do cover.
    """
    curves = data.curves
    block = curves[(curves["task"] == task) & (curves["sim_source"] == sim_source)]
    if block.empty:
        known = sorted({f"{t}/{s}" for t, s in zip(curves["task"], curves["sim_source"],
                                                    strict=True)})
        raise UnknownCurveError(f"no curve for task '{task}' with sim_source "
                                f"'{sim_source}'. Known task/source pairs: {known}.")
    out = np.full(len(n_sim), -1, dtype=np.int64)
    for k, row in block.iterrows():
        if row["axis"] == "n_real":
            hit = np.full(len(n_sim), sim_source == NO_SOURCE) | (n_sim == row["fixed_n_sim"])
        else:
            hit = n_real == row["fixed_n_real"]
        out[(out < 0) & hit] = int(k)
    if (out < 0).any():
        j = int(np.flatnonzero(out < 0)[0])
        options = ", ".join(
            f"{'n_real' if r['axis'] == 'n_sim' else 'n_sim'}="
            f"{r['fixed_n_real'] if r['axis'] == 'n_sim' else r['fixed_n_sim']} "
            f"(varying {r['axis']})" for _, r in block.iterrows())
        raise UnknownCurveError(
            f"task '{task}', sim_source '{sim_source}': no curve at n_sim={n_sim[j]}, "
            f"n_real={n_real[j]}. A single-axis model only predicts along measured curves: "
            f"{options}. Fit a two-axis surface (--family edt) to move along both axes.")
    return out


def _lookup_curves(design: Design, task: str, sim_source: str, n_sim: np.ndarray,
                   n_real: np.ndarray) -> np.ndarray | None:
    """Fast path of :func:`find_curves` on the design's per-(task, source) arrays;
    ``None`` when a point is not on a measured curve (the slow path explains why)."""
    entry = design.lookup.get((task, sim_source))
    if entry is None:
        return None
    ks, on_sim, fixed_sim, fixed_real = entry
    out = np.full(len(n_sim), -1, dtype=np.int64)
    for k, sim_axis, fs, fr in zip(ks, on_sim, fixed_sim, fixed_real, strict=True):
        if sim_axis:
            hit = n_real == fr
        elif sim_source == NO_SOURCE:
            hit = np.ones(len(n_sim), dtype=bool)
        else:
            hit = n_sim == fs
        out[(out < 0) & hit] = k
    return None if (out < 0).any() else out


def _curve_query(design: Design, data: CurveData, task: str, sim_source: str,
                 raw: tuple[np.ndarray, np.ndarray]) -> tuple[dict[str, np.ndarray],
                                                          dict[str, Any]]:
    ks = _lookup_curves(design, task, sim_source, *raw)
    if ks is None:
        ks = find_curves(data, task, sim_source, *raw)   # raises with the known curves
    on_sim = design.refs["curve"]["on_sim"][ks] > 0
    if (np.where(on_sim, raw[0], raw[1]) <= 0).any():
        raise InputDataError(f"task '{task}', sim_source '{sim_source}': sizes on the "
                             "varying axis must be > 0 (the curves diverge at 0).")
    return ({"curve": ks, "noise": ks},
            {"on_sim": on_sim, "x_ref": design.refs["curve"]["x_ref"][ks]})


# -------------------------------------------------------------------------- surface layout
def _surface_design(data: CurveData) -> Design:
    t = data.table
    tasks = sorted(t["task"].unique().tolist())
    pairs = sorted({(str(a), str(b)) for a, b in zip(t["task"], t["sim_source"], strict=True)
                    if b != NO_SOURCE})
    groups = sorted({(str(a), str(b)) for a, b in zip(t["task"], t["sim_source"],
                                                       strict=True)})
    check_surface_support(data, tasks, pairs)
    m_ref = np.array([geo_mean(t.loc[t["task"] == k, "n_real"]) for k in tasks])
    n_ref = np.array([geo_mean(t.loc[(t["task"] == a) & (t["sim_source"] == b), "n_sim"])
                      for a, b in pairs])
    scale = t.groupby("task")["error"].median().reindex(tasks).to_numpy(float)
    ti = t["task"].map({k: i for i, k in enumerate(tasks)}).to_numpy(np.int64)
    first = {a: i for i, (a, _) in reversed(list(enumerate(pairs)))}
    pidx = {p: i for i, p in enumerate(pairs)}
    keys = list(zip(t["task"], t["sim_source"], strict=True))
    pi = np.array([pidx.get(k, first[k[0]]) for k in keys], dtype=np.int64)
    gidx = {g: i for i, g in enumerate(groups)}
    gi = np.array([gidx[k] for k in keys], dtype=np.int64)
    splits, split = split_groups(t)
    return Design(
        layout="surface",
        coords={"task": tasks, "pair": [f"{a}|{b}" for a, b in pairs],
                "noise_group": [f"{a}|{b}" for a, b in groups], "split": splits},
        index={"task": ti, "pair": pi, "noise": gi, "split": split},
        inputs={"lm": np.log(t["n_real"].to_numpy(float) / m_ref[ti]),
                "u": t["n_sim"].to_numpy(float) / n_ref[pi]},
        y=np.log(t["error"].to_numpy(float) / scale[ti]), row_scale=scale[ti],
        refs={"task": {"m_ref": m_ref, "scale": scale}, "pair": {"n_ref": n_ref}})


def check_surface_support(data: CurveData, tasks: list[str],
                          pairs: list[tuple[str, str]]) -> None:
    """Raise :class:`InputDataError` unless every task spans both axes."""
    t = data.table
    for task in tasks:
        rows = t[t["task"] == task]
        if (rows["n_real"] <= 0).any():
            raise InputDataError(f"{data.origin}, task '{task}', column 'n_real': a surface "
                                 "needs n_real > 0 on every row. Fix: drop zero-shot rows.")
        if rows["n_real"].nunique() < 3:
            raise InputDataError(f"{data.origin}, task '{task}', column 'n_real': a surface "
                                 "needs at least 3 distinct n_real values. Fix: measure more "
                                 "real sizes.")
        if not any(a == task for a, _ in pairs):
            raise InputDataError(f"{data.origin}, task '{task}', column 'sim_source': no "
                                 "pre-training rows, so there is no simulation axis. Fix: "
                                 "add transfer runs or fit single-axis curves instead.")
    for task, src in pairs:
        rows = t[(t["task"] == task) & (t["sim_source"] == src)]
        if rows["n_sim"].nunique() < 2:
            raise InputDataError(f"{data.origin}, task '{task}', sim_source '{src}', column "
                                 "'n_sim': a surface needs at least 2 distinct n_sim values "
                                 "per database. Fix: measure more simulation sizes.")


def _surface_query(design: Design, data: CurveData, task: str, sim_source: str,
                   raw: tuple[np.ndarray, np.ndarray]) -> tuple[dict[str, np.ndarray],
                                                            dict[str, Any]]:
    tasks, pairs = design.coords["task"], design.coords["pair"]
    if task not in tasks:
        raise UnknownCurveError(f"no task '{task}' in the surface. Tasks: {tasks}.")
    if (raw[1] <= 0).any() or (raw[0] < 0).any():
        raise InputDataError(f"task '{task}': the surface needs n_real > 0 and n_sim >= 0.")
    key = f"{task}|{sim_source}"
    if sim_source == NO_SOURCE:
        if (raw[0] != 0).any():
            raise UnknownCurveError(f"task '{task}': sim_source 'none' means n_sim = 0.")
        p, n_ref = next(i for i, k in enumerate(pairs) if k.split("|")[0] == task), 1.0
    elif key in pairs:
        p = pairs.index(key)
        n_ref = float(design.refs["pair"]["n_ref"][p])
    else:
        known = [k.split("|")[1] for k in pairs if k.split("|")[0] == task]
        raise UnknownCurveError(f"task '{task}': no database '{sim_source}' in the "
                                f"surface. Known: {['none', *known]}.")
    t = tasks.index(task)
    q = len(raw[0])
    g = design.coords["noise_group"].index(key)
    return ({"task": np.full(q, t), "pair": np.full(q, p), "noise": np.full(q, g)},
            {"m_ref": float(design.refs["task"]["m_ref"][t]), "n_ref": n_ref})


# ------------------------------------------------------------------------------ queries
def locate(design: Design, data: CurveData, task: str, sim_source: str,
           raw: tuple[np.ndarray, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Level indices ``(Q,)`` of each query and what :func:`query_inputs` needs.

    ``raw`` holds the query sizes ``(n_sim, n_real)`` as NumPy arrays of length Q.
    """
    if design.layout == "curve":
        return _curve_query(design, data, task, sim_source, raw)
    return _surface_query(design, data, task, sim_source, raw)


def query_inputs(design: Design, ops: Any, where: dict[str, Any], n_sim: Any,
                 n_real: Any, convert: Any) -> dict[str, Any]:
    """Scale-free inputs of the queries (NumPy or torch, like ``n_sim``/``n_real``).

    ``convert`` turns NumPy constants into the sizes' array type.
    """
    if design.layout == "curve":
        size = ops.where(convert(where["on_sim"]) > 0, n_sim, n_real)
        return {"lx": ops.log(size / convert(where["x_ref"]))}
    return {"lm": ops.log(n_real / where["m_ref"]), "u": n_sim / where["n_ref"]}


@dataclass(frozen=True)
class Cells:
    """Sufficient statistics of replicates: rows with the same noise group and inputs.

    With a Normal likelihood on log error, replicates enter only through their count ``n``,
    mean ``y_bar`` and within-cell sum of squares ``ss`` (same posterior, cheaper gradient).
    ``row`` is the first table row of each cell (its level indices and inputs).
    """

    row: np.ndarray
    n: np.ndarray
    y_bar: np.ndarray
    ss: np.ndarray


def replicate_cells(design: Design, by: tuple[str, ...] = ("noise",)) -> Cells:
    """Group the rows of ``design`` into replicate cells, in a fixed (sorted) order.

    Rows are replicates when they have the same inputs and the same entries of the
    ``by`` indices (the noise group; also the split group when splits have effects).

    Examples
    --------
    >>> d = Design("curve", {"curve": ["a"]}, {"curve": np.zeros(3, int),
    ...            "noise": np.zeros(3, int)}, {"lx": np.array([0.0, 0.0, 1.0])},
    ...            np.array([1.0, 3.0, 0.5]), np.ones(3), {"curve": {}})
    >>> c = replicate_cells(d)
    >>> c.n.tolist(), c.y_bar.tolist(), c.ss.tolist()
    ([2, 1], [2.0, 0.5], [2.0, 0.0])
    """
    cols = {**{k: design.index[k] for k in by},
            **{k: np.round(v, 12) for k, v in sorted(design.inputs.items())}}
    frame = pd.DataFrame({**cols, "y": design.y, "row": np.arange(len(design.y))})
    g = frame.groupby(list(cols), sort=True)
    stats = g.agg(row=("row", "first"), n=("y", "size"), y_bar=("y", "mean")).reset_index()
    ss = g["y"].apply(lambda v: float(((v - v.mean()) ** 2).sum())).to_numpy()
    return Cells(row=stats["row"].to_numpy(np.int64), n=stats["n"].to_numpy(np.int64),
                 y_bar=stats["y_bar"].to_numpy(float), ss=np.asarray(ss, dtype=float))
