"""One small elementwise-ops layer, so every formula is written once for three libraries.

A family's ``log_error`` takes an :class:`Ops` namespace: :data:`NUMPY_OPS` for prediction
and decisions, :func:`torch_ops` for the BoTorch optimizer (gradients with respect to the
sizes), :func:`pytensor_ops` for the PyMC model. :func:`ops_for` picks the one of an input.

Examples
--------
>>> import numpy as np
>>> float(NUMPY_OPS.softplus(np.array(0.0))) == float(np.log(2.0))
True
>>> ops_for(np.ones(2)) is NUMPY_OPS
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Ops:
    """Elementwise functions of one array library."""

    exp: Any
    log: Any
    log1p: Any
    logaddexp: Any
    where: Any
    expm1: Any
    softplus: Any


def _np_softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


NUMPY_OPS = Ops(exp=np.exp, log=np.log, log1p=np.log1p, logaddexp=np.logaddexp,
                where=np.where, expm1=np.expm1, softplus=_np_softplus)


def torch_ops() -> Ops:
    """Ops of torch (imported lazily: torch is optional for prediction)."""
    import torch

    return Ops(exp=torch.exp, log=torch.log, log1p=torch.log1p, logaddexp=torch.logaddexp,
               where=torch.where, expm1=torch.expm1, softplus=torch.nn.functional.softplus)


def pytensor_ops() -> Ops:
    """Ops of PyTensor (imported lazily; used to build the PyMC model)."""
    import pytensor.tensor as pt

    return Ops(exp=pt.exp, log=pt.log, log1p=pt.log1p, logaddexp=pt.logaddexp,
               where=pt.switch, expm1=pt.expm1, softplus=pt.softplus)


def is_torch(x: Any) -> bool:
    """Whether ``x`` is a torch tensor (torch is never imported to find out)."""
    return type(x).__module__.split(".")[0] == "torch"


def ops_for(*xs: Any) -> Ops:
    """:func:`torch_ops` if any input is a torch tensor, else :data:`NUMPY_OPS`."""
    return torch_ops() if any(is_torch(x) for x in xs) else NUMPY_OPS


def as_numpy(x: Any) -> Any:
    """A NumPy view of a torch tensor (detached); anything else unchanged."""
    return x.detach().cpu().numpy() if hasattr(x, "detach") else x


def broadcast_sizes(n_sim: Any, n_real: Any) -> tuple[Any, Any, bool]:
    """Broadcast two size arrays to 1-D float64 (torch if either is torch).

    Returns ``(n_sim, n_real, torch?)``.

    Examples
    --------
    >>> ns, nr, t = broadcast_sizes(0, [10.0, 20.0])
    >>> ns.tolist(), nr.tolist(), t
    ([0.0, 0.0], [10.0, 20.0], False)
    """
    if is_torch(n_sim) or is_torch(n_real):
        import torch

        ns, nr = torch.broadcast_tensors(
            torch.atleast_1d(torch.as_tensor(n_sim, dtype=torch.float64)),
            torch.atleast_1d(torch.as_tensor(n_real, dtype=torch.float64)))
        return ns, nr, True
    ns, nr = np.broadcast_arrays(np.atleast_1d(np.asarray(n_sim, dtype=float)),
                                 np.atleast_1d(np.asarray(n_real, dtype=float)))
    return ns, nr, False


def as_array(values: Any, like_torch: bool) -> Any:
    """``values`` as a float64 torch tensor when ``like_torch``, else as NumPy."""
    if like_torch:
        import torch

        return torch.as_tensor(np.asarray(values, dtype=float), dtype=torch.float64)
    return np.asarray(values, dtype=float)
