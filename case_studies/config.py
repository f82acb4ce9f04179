"""Sweep configuration: a frozen, validated spec read from a TOML file.

A sweep pairs one real (experimental) table with one or more computational tables of
the same property and measures the test error on held-out real data over a grid of
``n_sim`` (pre-training size) x ``n_real`` (fine-tuning size) x seeds.

Examples
--------
>>> import tempfile, pathlib
>>> text = '''
... [sweep]
... task = "toy"
... featurizer = "composition"
... id_column = "formula"
... target_column = "target"
... [data]
... real = "real.csv"
... element_table = "elements.csv"
... [data.sim]
... dft = "dft.csv"
... [grid]
... n_sim = [0, 10, 20]
... n_real = [5, 10, 20]
... seeds = [0]
... '''
>>> path = pathlib.Path(tempfile.mkdtemp()) / "sweep.toml"
>>> _ = path.write_text(text)
>>> load_config(path).grid.n_real
(5, 10, 20)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sim2real.models.errors import SpecError

TASK_TYPES = {"regression": ("MAE", "RMSE"), "classification": ("log_loss", "error_rate")}
FEATURIZERS = ("composition", "smiles_pair")


@dataclass(frozen=True)
class MLPConfig:
    """Hyper-parameters of the MLP and of its two training stages.

    Pre-training: Adam at ``lr`` on standardized sim features/targets. Fine-tuning:
    all layers continue training at ``finetune_lr`` on the real samples. Both stages hold
    out ``val_fraction`` of their training rows for early stopping (``patience`` epochs
    without improvement, best weights restored), capped by ``max_epochs`` and
    ``max_steps`` gradient steps.

    Examples
    --------
    >>> MLPConfig().hidden
    (256, 128)
    """

    hidden: tuple[int, ...] = (256, 128)
    lr: float = 1e-3
    finetune_lr: float = 3e-4
    weight_decay: float = 1e-5
    batch_size: int = 128
    pretrain_batch_size: int = 256
    max_epochs: int = 300
    max_steps: int = 8000
    patience: int = 20
    val_fraction: float = 0.2

    def validate(self, origin: str) -> None:
        """Raise :class:`SpecError` naming ``origin`` and the ``[mlp]`` key on bad values."""
        checks = {
            "hidden": bool(self.hidden) and all(int(h) > 0 for h in self.hidden),
            "lr": self.lr > 0, "finetune_lr": self.finetune_lr > 0,
            "weight_decay": self.weight_decay >= 0, "batch_size": self.batch_size > 0,
            "pretrain_batch_size": self.pretrain_batch_size > 0,
            "max_epochs": self.max_epochs > 0, "max_steps": self.max_steps > 0,
            "patience": self.patience > 0, "val_fraction": 0 < self.val_fraction < 0.5,
        }
        for key, ok in checks.items():
            if not ok:
                raise SpecError(f"{origin}: [mlp].{key} = {getattr(self, key)!r} is invalid. "
                                "Fix: positive sizes/rates; 0 < val_fraction < 0.5.")


@dataclass(frozen=True)
class GridConfig:
    """Sizes and seeds of the sweep (n_sim = 0 means training from scratch)."""

    n_sim: tuple[int, ...]
    n_real: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SweepConfig:
    """Everything a sweep needs; paths in ``real``/``sims``/``element_table`` are relative
    to the data directory, ``output`` to the config file's folder.

    Examples
    --------
    >>> cfg = SweepConfig(task="t", featurizer="composition", id_column="formula",
    ...                   target_column="target", real="r.csv", sims={"dft": "d.csv"},
    ...                   grid=GridConfig((0, 10, 20), (5, 10, 20), (0,)))
    >>> cfg.sources
    ('dft',)
    """

    task: str
    featurizer: str
    id_column: str
    target_column: str
    real: str
    sims: dict[str, str]
    grid: GridConfig
    task_type: str = "regression"
    metric: str = "MAE"
    extra_feature_columns: tuple[str, ...] = ()
    element_table: str | None = None
    drop_zero_real_targets: bool = False
    test_fraction: float = 0.25
    output: str = "curves.csv"
    mlp: MLPConfig = field(default_factory=MLPConfig)
    origin: str = "<config>"

    @property
    def sources(self) -> tuple[str, ...]:
        """Names of the computational sources, in config order."""
        return tuple(self.sims)

    def validate(self) -> SweepConfig:
        """Check every field; raise :class:`SpecError` naming file, key and fix."""
        o = self.origin
        if self.task_type not in TASK_TYPES:
            raise SpecError(f"{o}: [sweep].task_type = {self.task_type!r}. Fix: one of "
                            f"{sorted(TASK_TYPES)}.")
        if self.metric not in TASK_TYPES[self.task_type]:
            raise SpecError(f"{o}: [sweep].metric = {self.metric!r} is not available for "
                            f"{self.task_type}. Fix: one of {TASK_TYPES[self.task_type]}.")
        if self.featurizer not in FEATURIZERS:
            raise SpecError(f"{o}: [sweep].featurizer = {self.featurizer!r}. Fix: one of "
                            f"{FEATURIZERS}.")
        if self.featurizer == "composition" and not self.element_table:
            raise SpecError(f"{o}: [data].element_table is missing. Fix: the composition "
                            "featurizer needs the Magpie element table, e.g. "
                            "'band_gap/magpie_element_properties.csv'.")
        if not self.sims or "none" in self.sims:
            raise SpecError(f"{o}: [data.sim] must name at least one computational table, "
                            "and 'none' is reserved for from-scratch runs. Fix: add e.g. "
                            "`dft = \"dft.csv\"`.")
        if not 0 < self.test_fraction < 1:
            raise SpecError(f"{o}: [sweep].test_fraction = {self.test_fraction}. Fix: a "
                            "number in (0, 1).")
        self._validate_grid()
        self.mlp.validate(o)
        return self

    def _validate_grid(self) -> None:
        o, g = self.origin, self.grid
        for key in ("n_sim", "n_real", "seeds"):
            values = getattr(g, key)
            if not values or len(set(values)) != len(values):
                raise SpecError(f"{o}: [grid].{key} = {list(values)}. Fix: a non-empty "
                                "list of distinct integers.")
        if min(g.n_sim) < 0:
            raise SpecError(f"{o}: [grid].n_sim has negative sizes. Fix: integers >= 0 "
                            "(0 = from scratch).")
        if min(g.n_real) < 4:
            raise SpecError(f"{o}: [grid].n_real = {list(g.n_real)}. Fix: at least 4 real "
                            "samples per run (some are held out for early stopping).")
        if len(g.n_real) < 3 and len({n for n in g.n_sim if n > 0}) < 3:
            raise SpecError(f"{o}: [grid] gives curves with fewer than 3 sizes. Fix: list "
                            "at least 3 n_real or 3 positive n_sim values.")


_SECTIONS = {"sweep": {"task", "task_type", "metric", "featurizer", "id_column",
                       "target_column", "extra_feature_columns", "drop_zero_real_targets",
                       "test_fraction", "output"},
             "data": {"real", "element_table", "sim"}, "grid": {"n_sim", "n_real", "seeds"},
             "mlp": {f.name for f in fields(MLPConfig)}}


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep TOML file.

    Raises
    ------
    SpecError
        Naming the file and the ``[section].key`` at fault, with the fix.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: config file not found. Fix: pass the path of a sweep TOML "
                        "(see case_studies/band_gap/config.toml).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax at that "
                        "line and column.") from exc
    return config_from_dict(raw, origin=str(path))


def config_from_dict(raw: dict[str, Any], origin: str = "<config>") -> SweepConfig:
    """Build a validated :class:`SweepConfig` from a parsed TOML mapping."""
    for section, value in raw.items():
        if section not in _SECTIONS:
            raise SpecError(f"{origin}: unknown section [{section}]. Fix: use "
                            f"{sorted(_SECTIONS)}.")
        unknown = set(value) - _SECTIONS[section]
        if unknown:
            raise SpecError(f"{origin}: unknown key(s) {sorted(unknown)} in [{section}]. "
                            f"Fix: allowed keys are {sorted(_SECTIONS[section])}.")
    sweep, data = raw.get("sweep", {}), raw.get("data", {})
    grid_raw = raw.get("grid", {})
    for section, key in [("sweep", "task"), ("sweep", "featurizer"), ("sweep", "id_column"),
                         ("sweep", "target_column"), ("data", "real"), ("data", "sim"),
                         ("grid", "n_sim"), ("grid", "n_real"), ("grid", "seeds")]:
        if key not in raw.get(section, {}):
            raise SpecError(f"{origin}: missing required key [{section}].{key}. Fix: add it "
                            "(see docs/case_studies.md for a full example).")
    try:
        grid = GridConfig(*(tuple(int(v) for v in grid_raw[k])
                            for k in ("n_sim", "n_real", "seeds")))
        mlp_raw = dict(raw.get("mlp", {}))
        if "hidden" in mlp_raw:
            mlp_raw["hidden"] = tuple(int(h) for h in mlp_raw["hidden"])
        mlp = MLPConfig(**mlp_raw)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{origin}: [grid]/[mlp] values must be numbers or lists of "
                        f"integers ({exc}). Fix: write e.g. n_sim = [0, 1000, 10000] "
                        "(numbers, not quoted text).") from exc
    if not isinstance(data["sim"], dict):
        raise SpecError(f"{origin}: [data.sim] must be a table of name = \"path\" entries.")
    options = {k: v for k, v in sweep.items()}
    options["extra_feature_columns"] = tuple(options.get("extra_feature_columns", ()))
    return SweepConfig(real=data["real"], sims=dict(data["sim"]), grid=grid, mlp=mlp,
                       element_table=data.get("element_table"), origin=origin,
                       **options).validate()
