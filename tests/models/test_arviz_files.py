"""Saved posteriors are complete ArviZ InferenceData: the standard workflow runs on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim2real.models.posterior.storage import load_posterior

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize("kind", ["curve", "sim2real_surface"])
def test_saved_file_works_with_az_loo_summary_and_ppc(kind: str, tmp_path: Path) -> None:
    import arviz as az

    post = load_posterior(GOLDEN / f"legacy_{kind}.nc")
    path = post.to_netcdf(tmp_path / "p.nc", predictive=True)
    idata = az.from_netcdf(path)
    assert {"observed_data", "log_likelihood", "posterior_predictive"} <= set(idata.groups())
    n = len(post.data.table)
    assert idata.log_likelihood["error"].shape[-1] == n
    np.testing.assert_allclose(idata.log_likelihood["error"].values,
                               post.pointwise_log_likelihood())
    loo = az.loo(idata)
    assert np.isfinite(loo.elpd_loo)
    names = az.summary(idata, kind="stats").index
    assert not any("__" in str(v) for v in names)
    assert idata.posterior_predictive["error"].shape[-1] == n
    again = load_posterior(path)
    np.testing.assert_allclose(again.error_draws("bandgap_synth", "none", 0, 100.0),
                               post.error_draws("bandgap_synth", "none", 0, 100.0))


def test_posterior_predictive_is_optional(tmp_path: Path) -> None:
    import arviz as az

    post = load_posterior(GOLDEN / "legacy_curve.nc")
    idata = az.from_netcdf(post.to_netcdf(tmp_path / "p.nc"))
    assert "posterior_predictive" not in idata.groups()
    assert "log_likelihood" in idata.groups()
