"""Load and save posteriors of any family (self-describing netCDF files).

A file holds the draws, the sample statistics, the validated input table and the JSON spec
(family, likelihood, priors) and sampler settings (:mod:`models.posterior.files`), so it
reloads without its CSV. Files written by release 0.1 (kinds ``curve``,
``sim2real_curve_form``, ``sim2real_surface``) load too.

Examples
--------
>>> post = load_posterior("surface.nc")   # doctest: +SKIP
>>> post.family.name                       # doctest: +SKIP
'edt'
"""

from __future__ import annotations

from pathlib import Path

from sim2real.models.posterior.base import Posterior


def load_posterior(path: str | Path) -> Posterior:
    """The :class:`Posterior` saved at ``path`` (any family, any release)."""
    return Posterior.from_netcdf(path)


def save_posterior(post: Posterior, path: str | Path) -> Path:
    """Save atomically (temp file + rename); same as ``post.to_netcdf(path)``."""
    return post.to_netcdf(path)
