"""The netCDF format of posterior files, for every family (low level; use
:func:`models.posterior.storage.load_posterior` or ``Posterior.to_netcdf``).

A file holds the posterior draws, the sample statistics, the validated input table (as
``constant_data``) and, on the posterior group, ``sim2real_kind`` plus the JSON spec and
sampler settings, so it reloads without the CSV, and the priors the draws were fitted with
(``sim2real_priors``: the spec keeps only the user's overrides, and the defaults may change
between releases; read by :func:`models.evaluation.sensitivity.fitted_priors`). Writes are
atomic (temp file + rename).

Examples
--------
>>> idata, data, spec, sampler, diagnostics = read_file("posterior.nc")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim2real.models.data.contract import REQUIRED_COLUMNS, CurveData, validate_table
from sim2real.models.data.io import atomic_path
from sim2real.models.errors import InputDataError
from sim2real.models.inference.diagnostics import compute_diagnostics
from sim2real.models.inference.spec import ModelSpec, SamplerConfig

logger = logging.getLogger(__name__)

#: ``sim2real_kind`` written by this release; release 0.1 wrote one kind per posterior class.
KIND = "sim2real_posterior"
#: Posterior-group attribute: JSON of every prior the draws were fitted with.
PRIORS_ATTR = "sim2real_priors"
LEGACY_KINDS = ("curve", "sim2real_curve_form", "sim2real_surface")


def arviz_groups(post: Any, predictive: bool = False, seed: int = 0) -> dict[str, Any]:
    """``observed_data``, ``log_likelihood`` (and ``posterior_predictive``) datasets of the
    raw errors, one entry per table row (dim ``row``), so ``az.loo``, ``az.compare`` and
    ``az.plot_ppc(var_names="error")`` work on a saved posterior."""
    import xarray as xr

    n_rows = len(post.data.table)
    obs = post.data.table["error"].to_numpy(float)
    out = {"observed_data": xr.Dataset({"error": (("row",), obs)},
                                       coords={"row": np.arange(n_rows)}),
           "log_likelihood": xr.Dataset(
               {"error": (("chain", "draw", "row"), post.pointwise_log_likelihood())},
               coords={"row": np.arange(n_rows)})}
    if predictive:
        rep = np.asarray(post.posterior_predictive(seed=seed)).reshape(post.n_chains, -1,
                                                                       n_rows)
        out["posterior_predictive"] = xr.Dataset({"error": (("chain", "draw", "row"), rep)},
                                                 coords={"row": np.arange(n_rows)})
    return out


def write_file(post: Any, path: str | Path, predictive: bool = False) -> Path:
    """Write a Posterior's draws + sample stats + input table atomically (temp file + rename).

    The spec (family, likelihood, priors) and sampler settings are stored as JSON on the
    posterior group, so the file is self-describing: :func:`read_file` rebuilds the
    validated input table and the spec. The file also holds the ArviZ groups of
    :func:`arviz_groups` (the posterior predictive only when ``predictive``).
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
    out: Any = az.InferenceData(posterior=public_draws(post.idata.posterior),
                                sample_stats=post.idata.sample_stats, constant_data=table_ds,
                                **arviz_groups(post, predictive))
    out.posterior.attrs.update({
        "sim2real_kind": KIND, "sim2real_family": post.spec.family,
        "sim2real_spec": json.dumps(post.spec.to_dict()),
        "sim2real_sampler": json.dumps(post.sampler.to_dict()),
        "sim2real_origin": data.origin,
        "sim2real_created": datetime.now(UTC).isoformat(timespec="seconds"),
        PRIORS_ATTR: post.idata.posterior.attrs.get(PRIORS_ATTR) or json.dumps(
            {k: v.to_dict() for k, v in post.spec.resolved_priors().items()})})
    with atomic_path(path) as tmp:
        out.to_netcdf(tmp)
    return path


def public_draws(posterior: Any) -> Any:
    """The posterior group without the sampler's unconstrained copies (``*_log__`` ...)."""
    return posterior.drop_vars([v for v in posterior.data_vars if str(v).endswith("__")])


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
    logger.debug("%s: a '%s' posterior (%d chains x %d draws)", path, spec.family,
                 idata.posterior.sizes.get("chain", 0), idata.posterior.sizes.get("draw", 0))
    data = validate_table(table, str(attrs.get("sim2real_origin", path)))
    diagnostics = compute_diagnostics(
        idata, var_names=spec.model_family.diagnostic_vars(idata.posterior))
    return idata, data, spec, sampler, diagnostics
