"""Self-describing netCDF files for every posterior kind (curves, forms, surfaces).

A file holds the posterior draws, the sample statistics, the validated input table (as
``constant_data``) and, on the posterior group, ``sim2real_kind`` plus the JSON spec and
sampler settings, so it reloads without the CSV. Writes are atomic (temp file + rename).

Examples
--------
>>> from models.posterior import CurvePosterior       # doctest: +SKIP
>>> CurvePosterior.from_netcdf("posterior.nc")        # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.contract import REQUIRED_COLUMNS, CurveData, validate_table
from models.errors import InputDataError


def save_posterior(idata: Any, data: CurveData, attrs: dict[str, Any],
                   path: str | Path) -> Path:
    """Write posterior + sample stats + the input table atomically (temp file + rename).

    ``attrs`` (``sim2real_kind``, the JSON spec and sampler settings, ...) are stored on the
    posterior group, so the file is self-describing: :func:`load_posterior` rebuilds the
    validated input table and returns them.
    """
    import arviz as az

    path = Path(path)
    cols = [*REQUIRED_COLUMNS] + (["n_test"] if "n_test" in data.table else [])
    table = data.table[cols].copy()
    if "n_test" in table:
        table["n_test"] = table["n_test"].astype("float64")
    table_ds = table.rename_axis("row").to_xarray()
    for col in ("task", "sim_source", "metric"):
        table_ds[col] = table_ds[col].astype(str)
    out: Any = az.InferenceData(posterior=idata.posterior, sample_stats=idata.sample_stats,
                           constant_data=table_ds)
    out.posterior.attrs.update({k: v if isinstance(v, str) else json.dumps(v)
                                for k, v in attrs.items()})
    out.posterior.attrs["sim2real_origin"] = data.origin
    out.posterior.attrs["sim2real_created"] = datetime.now(UTC).isoformat(timespec="seconds")
    with atomic_path(path) as tmp:
        out.to_netcdf(tmp)
    return path


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` that becomes ``path`` only if the block succeeds.

    The temp file is renamed over ``path`` on success and removed on any error, so readers
    never see a partial file; it gets the usual mode of a new file (``0666`` minus the
    umask; ``mkstemp`` creates it private).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_posterior(path: str | Path, kind: str) -> tuple[Any, CurveData, dict[str, Any]]:
    """Read a file written by :func:`save_posterior`; check its ``sim2real_kind``."""
    import arviz as az

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: posterior file not found. Fix: check the path.")
    try:
        idata = az.from_netcdf(path)
        attrs = dict(idata.posterior.attrs)
        table = idata.constant_data.to_dataframe().reset_index(drop=True)
    except (KeyError, AttributeError, OSError, ValueError) as exc:
        raise InputDataError(f"{path}: not a sim2real posterior file ({exc}).") from exc
    if attrs.get("sim2real_kind", "curve") != kind:
        raise InputDataError(f"{path}: holds a '{attrs.get('sim2real_kind', 'curve')}' "
                             f"posterior, not '{kind}'. Fix: load it with the matching class.")
    if "n_test" in table:
        table["n_test"] = table["n_test"].astype("Int64")
    data = validate_table(table, str(attrs.get("sim2real_origin", path)))
    return idata, data, attrs


def posterior_kind(path: str | Path) -> str:
    """``sim2real_kind`` of a posterior file without loading its draws.

    Files written before kinds were recorded are single-axis curve posteriors (``"curve"``).
    """
    import xarray as xr

    try:
        with xr.open_dataset(path, group="posterior") as ds:
            return str(ds.attrs.get("sim2real_kind", "curve"))
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: not a sim2real posterior file ({exc}).") from exc


def load_any_posterior(path: str | Path) -> Any:
    """Load a curve, curve-form or surface posterior, whichever the file holds.

    Examples
    --------
    >>> post = load_any_posterior("surface.nc")   # doctest: +SKIP
    >>> type(post).__name__                        # doctest: +SKIP
    'SurfacePosterior'
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: posterior file not found. Fix: check the path.")
    kind = posterior_kind(path)
    if kind == "sim2real_surface":
        from models.surface_posterior import SurfacePosterior

        return SurfacePosterior.from_netcdf(path)
    if kind == "sim2real_curve_form":
        from models.form_posterior import FormPosterior

        return FormPosterior.from_netcdf(path)
    from models.posterior import CurvePosterior

    return CurvePosterior.from_netcdf(path)
