"""The netCDF format of posterior files, for every family (low level; use
:func:`models.posterior.storage.load_posterior` or ``Posterior.to_netcdf``).

A file holds the posterior draws, the sample statistics, the validated input table (as
``constant_data``) and, on the posterior group, ``sim2real_kind`` plus the JSON spec and
sampler settings, so it reloads without the CSV. Writes are atomic (temp file + rename).

Examples
--------
>>> idata, data, spec, sampler, diagnostics = read_file("posterior.nc")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.data.contract import REQUIRED_COLUMNS, CurveData, validate_table
from models.data.io import atomic_path
from models.errors import InputDataError
from models.inference.diagnostics import compute_diagnostics
from models.inference.spec import ModelSpec, SamplerConfig

#: ``sim2real_kind`` written by this release; release 0.1 wrote one kind per posterior class.
KIND = "sim2real_posterior"
LEGACY_KINDS = ("curve", "sim2real_curve_form", "sim2real_surface")


def write_file(post: Any, path: str | Path) -> Path:
    """Write a Posterior's draws + sample stats + input table atomically (temp file + rename).

    The spec (family, likelihood, priors) and sampler settings are stored as JSON on the
    posterior group, so the file is self-describing: :func:`load_posterior` rebuilds the
    validated input table and the spec (:func:`read_file`).
    """
    import arviz as az

    path = Path(path)
    data = post.data
    cols = [*REQUIRED_COLUMNS] + (["n_test"] if "n_test" in data.table else [])
    table = data.table[cols].copy()
    if "n_test" in table:
        table["n_test"] = table["n_test"].astype("float64")
    table_ds = table.rename_axis("row").to_xarray()
    for col in ("task", "sim_source", "metric"):
        table_ds[col] = table_ds[col].astype(str)
    out: Any = az.InferenceData(posterior=post.idata.posterior,
                                sample_stats=post.idata.sample_stats, constant_data=table_ds)
    out.posterior.attrs.update({
        "sim2real_kind": KIND, "sim2real_family": post.spec.family,
        "sim2real_spec": json.dumps(post.spec.to_dict()),
        "sim2real_sampler": json.dumps(post.sampler.to_dict()),
        "sim2real_origin": data.origin,
        "sim2real_created": datetime.now(UTC).isoformat(timespec="seconds")})
    with atomic_path(path) as tmp:
        out.to_netcdf(tmp)
    return path


def read_file(path: str | Path) -> tuple[Any, CurveData, ModelSpec, SamplerConfig, Any]:
    """``(idata, data, spec, sampler, diagnostics)`` of a posterior file of any family
    (also the three kinds release 0.1 wrote); :class:`InputDataError` if it is not one."""
    import arviz as az

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: posterior file not found. Fix: check the path.")
    try:
        idata = az.from_netcdf(path)
        attrs = dict(idata.posterior.attrs)
        table = idata.constant_data.to_dataframe().reset_index(drop=True)
        kind = str(attrs.get("sim2real_kind", "curve"))
        if kind != KIND and kind not in LEGACY_KINDS:
            raise ValueError(f"unknown sim2real_kind '{kind}'")
        spec = ModelSpec.from_dict(json.loads(attrs["sim2real_spec"]))
        sampler = SamplerConfig(**json.loads(attrs["sim2real_sampler"]))
        spec.validate()
    except (KeyError, AttributeError, OSError, ValueError, TypeError) as exc:
        raise InputDataError(f"{path}: not a sim2real posterior file ({exc}). Fix: pass a "
                             "file written by `sim2real fit`.") from exc
    if "n_test" in table:
        table["n_test"] = table["n_test"].astype("Int64")
    data = validate_table(table, str(attrs.get("sim2real_origin", path)))
    diagnostics = compute_diagnostics(
        idata, var_names=spec.model_family.diagnostic_vars(idata.posterior))
    return idata, data, spec, sampler, diagnostics
