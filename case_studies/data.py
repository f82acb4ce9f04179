"""Study data: data-dir resolution, loading, de-duplication, featurizing, leakage-safe splits.

Leakage policy (applies to every study):

* every row gets a canonical *group id* (reduced composition for formulas, RDKit-canonical
  ``polymer_solvent`` SMILES for pairs), so polymorphs and re-written formulas share it;
* duplicate rows (same group id and same extra features, e.g. temperature) are averaged
  (majority label for classification), within each table separately;
* class labels are canonicalized before they are compared (:func:`canonical_label`:
  numbers as numbers, so ``1``, ``1.0`` and ``"1.0"`` are one class), and a warning is
  given when the tables do not use the same set of labels;
* for each seed the real groups are split into test / train; the real test groups are
  removed from every computational pool and never appear in fine-tuning.

Examples
--------
>>> ids = np.array(["a", "a", "b", "c", "d"])
>>> train, test = real_split(ids, seed=0, test_fraction=0.5)
>>> set(ids[train]).isdisjoint(ids[test])
True
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import os
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.case_studies.config import SweepConfig
from sim2real.case_studies.featurize import (
    canonical_pair,
    composition_key,
    load_element_table,
    magpie_features,
    pair_features,
)
from sim2real.models.errors import DataWarning, InputDataError, Sim2RealError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class MissingExtraError(Sim2RealError, ImportError):
    """An optional dependency (a ``sim2real-planner[...]`` extra) is not installed."""


def require_module(module: str, extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtraError` naming the extra to install if ``module`` is absent.

    Examples
    --------
    >>> require_module("json", "sweep", "testing")
    >>> try:
    ...     require_module("no_such_module_xyz", "sweep", "sweeps")
    ... except MissingExtraError as exc:
    ...     print(str(exc).split("Fix: ")[1])
    pip install 'sim2real-planner[sweep]'
    """
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(f"{purpose} needs the Python package '{module}', which is not "
                                f"installed. Fix: pip install 'sim2real-planner[{extra}]'")


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """Data directory: the argument, else ``$SIM2REAL_DATA``, else ``../shared/data``.

    The relative default is taken from the project root (the folder holding
    ``case_studies/``), not the working directory.

    Raises
    ------
    InputDataError
        If the chosen folder does not exist.

    Examples
    --------
    >>> resolve_data_dir(".").is_dir()
    True
    """
    if data_dir is not None:
        chosen, how = Path(data_dir), "--data-dir"
    elif os.environ.get("SIM2REAL_DATA"):
        chosen, how = Path(os.environ["SIM2REAL_DATA"]), "$SIM2REAL_DATA"
    else:
        chosen, how = (PROJECT_ROOT / ".." / "shared" / "data").resolve(), "default"
    if not chosen.is_dir():
        raise InputDataError(f"data directory {chosen} ({how}) does not exist. Fix: pass "
                             "--data-dir DIR or set SIM2REAL_DATA to the folder holding the "
                             "Sim2Real tables (see ../shared/data/README.md).")
    return chosen


def read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """Read a CSV or Parquet table and check that ``columns`` are present."""
    if not path.is_file():
        raise InputDataError(f"{path}: file not found. Fix: check the path in the config "
                             "([data]) and the data directory.")
    if path.suffix in (".parquet", ".pq"):
        require_module("pyarrow", "parquet", f"reading {path}")
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputDataError(f"{path}: missing column(s) {missing}; found "
                             f"{list(table.columns)}. Fix: set [sweep].id_column / "
                             "target_column / extra_feature_columns to existing columns.")
    bad = table[columns].isna().any(axis=1)
    return table.loc[~bad, columns].reset_index(drop=True)


@dataclass(frozen=True)
class Dataset:
    """A de-duplicated, featurized table: group ids, features, targets.

    Examples
    --------
    >>> d = Dataset(np.array(["a"]), np.zeros((1, 2), np.float32), np.ones(1), n_raw=2)
    >>> len(d)
    1
    """

    ids: np.ndarray
    X: np.ndarray
    y: np.ndarray
    n_raw: int

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Study:
    """The real dataset, one dataset per computational source, and class labels."""

    real: Dataset
    sims: dict[str, Dataset]
    classes: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)


def group_ids(values: pd.Series, featurizer: str) -> np.ndarray:
    """Canonical group id per row (composition key or canonical SMILES pair).

    Examples
    --------
    >>> group_ids(pd.Series(["Fe2O3", "Fe4O6"]), "composition").tolist()
    ['Fe0.4O0.6', 'Fe0.4O0.6']
    """
    func = composition_key if featurizer == "composition" else canonical_pair
    uniq = pd.unique(values.astype(str))
    mapping = {v: func(v) for v in uniq}
    return values.astype(str).map(mapping).to_numpy(dtype=object)


def canonical_label(value: object) -> str:
    """The class a label stands for, as text: numbers compare as numbers.

    Integral numbers become integers (``1.0``, ``1`` and ``"1.0"`` are all ``"1"``), other
    finite numbers their shortest float text; any other label is its stripped text.

    Examples
    --------
    >>> [canonical_label(v) for v in (1.0, 1, "1.0", " 01 ", 0.5, "-0.0", "metal", True)]
    ['1', '1', '1', '1', '0.5', '0', 'metal', 'True']
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Real):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            return text
    if not math.isfinite(number):
        return str(value).strip()
    if number.is_integer():
        return str(int(number))
    return repr(number)


def canonical_labels(values: pd.Series) -> pd.Series:
    """:func:`canonical_label` of every value (computed once per distinct value)."""
    mapping = {v: canonical_label(v) for v in pd.unique(values)}
    return values.map(mapping).astype(object)


def sort_labels(labels: set[str]) -> tuple[str, ...]:
    """Class order: numeric labels by value first, then the others alphabetically.

    Examples
    --------
    >>> sort_labels({"10", "2", "b", "a"})
    ('2', '10', 'a', 'b')
    """
    def key(label: str) -> tuple[int, float, str]:
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return tuple(sorted(labels, key=key))


def study_classes(cfg: SweepConfig, root: Path) -> tuple[str, ...]:
    """Canonical class labels over the real and computational tables of a study.

    Warns (:class:`~models.errors.DataWarning`) when a computational table's labels differ
    from the real table's: the classes are then the union, and a label present in one
    table only may be a spelling of another table's class.
    """
    tables = {"real": cfg.real, **{f"sim '{n}'": rel for n, rel in cfg.sims.items()}}
    found = {name: set(canonical_labels(read_table(root / rel, [cfg.target_column])
                                        [cfg.target_column]))
             for name, rel in tables.items()}
    real = found["real"]
    for name, labels in found.items():
        if labels != real:
            warnings.warn(
                f"{root / tables[name]}: the {name} table's labels in column "
                f"'{cfg.target_column}' are {list(sort_labels(labels))} but the real "
                f"table's ({root / cfg.real}) are {list(sort_labels(real))}; the classes "
                "are their union. Fix: label the same classes the same way in every table "
                "(or check that a class missing from one table is expected).",
                DataWarning, stacklevel=3)
    return sort_labels(set().union(*found.values()))


def deduplicate(table: pd.DataFrame, ids: np.ndarray, target: str, extra: list[str],
                classification: bool) -> pd.DataFrame:
    """One row per (group id, extra features): mean target (majority label if classifying).

    Examples
    --------
    >>> t = pd.DataFrame({"y": [1.0, 3.0, 5.0]})
    >>> deduplicate(t, np.array(["a", "a", "b"]), "y", [], False)["y"].tolist()
    [2.0, 5.0]
    """
    frame = table[[target, *extra]].copy()
    frame.insert(0, "_id", ids)
    agg = (lambda s: canonical_labels(s).mode().iloc[0]) if classification else "mean"
    return frame.groupby(["_id", *extra], sort=True, as_index=False).agg({target: agg})


def featurize(cfg: SweepConfig, frame: pd.DataFrame, data_dir: Path) -> np.ndarray:
    """Features of de-duplicated rows (featurized from their canonical ids)."""
    ids = frame["_id"].tolist()
    if cfg.featurizer == "composition":
        assert cfg.element_table is not None
        return magpie_features(ids, load_element_table(data_dir / cfg.element_table))
    extra = frame[list(cfg.extra_feature_columns)].to_numpy(dtype=float)
    return pair_features(ids, extra if extra.size else None)


def load_dataset(cfg: SweepConfig, rel_path: str, data_dir: Path, *, real: bool,
                 classes: tuple[str, ...] = ()) -> Dataset:
    """Load, clean, de-duplicate and featurize one table of a study."""
    extra = list(cfg.extra_feature_columns)
    table = read_table(data_dir / rel_path, [cfg.id_column, cfg.target_column, *extra])
    classification = cfg.task_type == "classification"
    if real and cfg.drop_zero_real_targets and not classification:
        table = table[table[cfg.target_column] != 0].reset_index(drop=True)
    n_raw = len(table)
    frame = deduplicate(table, group_ids(table[cfg.id_column], cfg.featurizer),
                        cfg.target_column, extra, classification)
    if classification:
        lookup = {c: i for i, c in enumerate(classes)}
        labels = canonical_labels(frame[cfg.target_column])
        unknown = sorted(set(labels) - set(lookup))
        if unknown:
            raise InputDataError(f"{data_dir / rel_path}: labels {unknown} in column "
                                 f"'{cfg.target_column}' are not among the study's classes "
                                 f"{list(classes)}.")
        y = labels.map(lookup).to_numpy(dtype=np.int64)
    else:
        y = frame[cfg.target_column].to_numpy(dtype=float)
    return Dataset(frame["_id"].to_numpy(dtype=object), featurize(cfg, frame, data_dir), y,
                   n_raw)


def load_study(cfg: SweepConfig, data_dir: str | Path | None = None) -> Study:
    """Load the real table and every computational table of a sweep config."""
    root = resolve_data_dir(data_dir)
    if cfg.featurizer == "smiles_pair":
        require_module("rdkit", "sweep", "the smiles_pair featurizer")
    classes = study_classes(cfg, root) if cfg.task_type == "classification" else ()
    real = load_dataset(cfg, cfg.real, root, real=True, classes=classes)
    sims = {name: load_dataset(cfg, rel, root, real=False, classes=classes)
            for name, rel in cfg.sims.items()}
    notes = {"real": f"{real.n_raw} rows -> {len(real)} unique (id, extra) rows, "
                     f"{len(set(real.ids))} groups"}
    notes.update({n: f"{d.n_raw} rows -> {len(d)} unique rows" for n, d in sims.items()})
    return Study(real, sims, classes, notes)


def _rng(seed: int, salt: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(salt.encode())])


def real_split(ids: np.ndarray, seed: int, test_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Split real rows by group: (shuffled train-pool row order, sorted test rows).

    Fine-tuning on ``n_real`` samples uses the first ``n_real`` rows of the train order,
    so training sets are nested across ``n_real`` for a seed.
    """
    groups = np.array(sorted(set(ids)), dtype=object)
    rng = _rng(seed, "real-split")
    n_test = max(1, round(test_fraction * len(groups)))
    test_groups = set(rng.permutation(groups)[:n_test])
    in_test = np.array([g in test_groups for g in ids], dtype=bool)
    return rng.permutation(np.flatnonzero(~in_test)), np.flatnonzero(in_test)


def sim_pool(sim_ids: np.ndarray, test_ids: set[str] | np.ndarray, seed: int,
             source: str) -> np.ndarray:
    """Shuffled rows of a computational table whose group is not in the real test set.

    Examples
    --------
    >>> sim_pool(np.array(["a", "b", "c"]), {"b"}, seed=0, source="dft").size
    2
    """
    banned = set(test_ids)
    keep = np.flatnonzero(np.array([g not in banned for g in sim_ids], dtype=bool))
    return _rng(seed, f"sim-pool-{source}").permutation(keep)
