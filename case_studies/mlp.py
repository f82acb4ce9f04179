"""A small torch MLP: pre-training on computational data, fine-tuning on real data.

* Features are standardized with the statistics of the first training stage (the sim
  pre-training set, or the real training set when learning from scratch) and regression
  targets likewise; the same scalers are kept for fine-tuning so the pre-trained input
  and output layers stay meaningful.
* Fine-tuning continues training *all* layers at ``finetune_lr`` (lower than ``lr``).
* Each stage holds out ``val_fraction`` of its rows for early stopping and restores the
  best weights. Everything runs on one CPU thread with explicit seeds, so a run is
  reproducible bit-for-bit on the same machine and library versions.

Examples
--------
>>> import numpy as np
>>> from sim2real.case_studies.config import MLPConfig
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(64, 3)).astype(np.float32); y = X.sum(axis=1)
>>> cfg = MLPConfig(hidden=(16,), max_epochs=5)
>>> state = pretrain(X, y, cfg, seed=0)
>>> res = finetune(state, X[:32], y[:32], X[32:], y[32:], cfg, seed=0)
>>> res["MAE"] > 0
True
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2real.case_studies.config import MLPConfig


@dataclass(frozen=True)
class Pretrained:
    """Weights and scalers of a trained network (picklable; shipped between workers)."""

    state: dict[str, Any]
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float
    y_std: float
    n_out: int
    info: dict[str, float]


def _torch() -> Any:
    import torch

    torch.set_num_threads(1)
    return torch


def build_mlp(n_in: int, n_out: int, hidden: tuple[int, ...]) -> Any:
    """``Linear -> ReLU`` blocks then a linear head.

    Examples
    --------
    >>> build_mlp(4, 1, (8, 8))[0].in_features
    4
    """
    nn = _torch().nn
    layers: list[Any] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _split_val(n: int, frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random (train, validation) row indices; at least one row each."""
    perm = np.random.default_rng([seed, 7]).permutation(n)
    n_val = min(max(1, round(frac * n)), n - 1)
    return perm[n_val:], perm[:n_val]


def train(model: Any, X: np.ndarray, y: np.ndarray, *, lr: float, batch_size: int,
          cfg: MLPConfig, seed: int, classification: bool) -> dict[str, float]:
    """Adam with early stopping on a held-out validation split; restores best weights.

    ``X`` and (for regression) ``y`` are already standardized.
    """
    torch = _torch()
    torch.manual_seed(seed)
    tr, va = _split_val(len(X), cfg.val_fraction, seed)
    xt, xv = torch.from_numpy(X[tr]), torch.from_numpy(X[va])
    dtype = torch.long if classification else torch.float32
    yt = torch.as_tensor(y[tr], dtype=dtype)
    yv = torch.as_tensor(y[va], dtype=dtype)
    loss_fn = torch.nn.CrossEntropyLoss() if classification else torch.nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(seed)

    def out(x: Any) -> Any:
        pred = model(x)
        return pred if classification else pred.squeeze(-1)

    best, best_state, bad, steps, epoch = float("inf"), copy.deepcopy(model.state_dict()), 0, 0, 0
    for epoch in range(1, cfg.max_epochs + 1):  # noqa: B007
        model.train()
        for batch in torch.randperm(len(tr), generator=gen).split(batch_size):
            opt.zero_grad()
            loss_fn(out(xt[batch]), yt[batch]).backward()
            opt.step()
            steps += 1
            if steps >= cfg.max_steps:
                break
        model.eval()
        with torch.no_grad():
            val = float(loss_fn(out(xv), yv))
        if val < best - 1e-6:
            best, best_state, bad = val, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
        if bad >= cfg.patience or steps >= cfg.max_steps:
            break
    model.load_state_dict(best_state)
    return {"epochs": float(epoch), "steps": float(steps), "best_val_loss": best}


def _scalers(X: np.ndarray, y: np.ndarray, classification: bool
             ) -> tuple[np.ndarray, np.ndarray, float, float]:
    x_mean = X.mean(axis=0)
    x_std = X.std(axis=0)
    x_std = np.where(x_std > 1e-8, x_std, 1.0)
    if classification:
        return x_mean.astype(np.float32), x_std.astype(np.float32), 0.0, 1.0
    y_std = float(y.std()) if float(y.std()) > 1e-8 else 1.0
    return x_mean.astype(np.float32), x_std.astype(np.float32), float(y.mean()), y_std


def _fit_new(X: np.ndarray, y: np.ndarray, cfg: MLPConfig, seed: int, n_out: int,
             classification: bool, lr: float, batch_size: int) -> Pretrained:
    torch = _torch()
    torch.manual_seed(seed)
    x_mean, x_std, y_mean, y_std = _scalers(X, y, classification)
    model = build_mlp(X.shape[1], n_out, cfg.hidden)
    xs = ((X - x_mean) / x_std).astype(np.float32)
    ys = y if classification else ((y - y_mean) / y_std).astype(np.float32)
    info = train(model, xs, ys, lr=lr, batch_size=batch_size, cfg=cfg, seed=seed,
                 classification=classification)
    return Pretrained(model.state_dict(), x_mean, x_std, y_mean, y_std, n_out, info)


def pretrain(X: np.ndarray, y: np.ndarray, cfg: MLPConfig, seed: int, *, n_out: int = 1,
             classification: bool = False) -> Pretrained:
    """Train a fresh MLP on computational data (Adam at ``cfg.lr``)."""
    return _fit_new(X, y, cfg, seed, n_out, classification, cfg.lr, cfg.pretrain_batch_size)


def predict(net: Pretrained, X: np.ndarray, hidden: tuple[int, ...]) -> np.ndarray:
    """Regression predictions (original units) or class probabilities."""
    torch = _torch()
    model = build_mlp(X.shape[1], net.n_out, hidden)
    model.load_state_dict(net.state)
    model.eval()
    with torch.no_grad():
        raw = model(torch.from_numpy(((X - net.x_mean) / net.x_std).astype(np.float32)))
    if net.n_out > 1:
        return np.asarray(torch.softmax(raw, dim=1).numpy(), dtype=float)
    return np.asarray(raw.squeeze(-1).numpy(), dtype=float) * net.y_std + net.y_mean


def metrics(pred: np.ndarray, y: np.ndarray, classification: bool) -> dict[str, float]:
    """MAE and RMSE, or log-loss and error rate (``pred`` = class probabilities).

    Examples
    --------
    >>> metrics(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]), True)["error_rate"]
    0.5
    """
    if classification:
        p_true = np.clip(pred[np.arange(len(y)), y], 1e-15, 1.0)
        return {"log_loss": float(-np.log(p_true).mean()),
                "error_rate": float((pred.argmax(axis=1) != y).mean())}
    diff = pred - y
    return {"MAE": float(np.abs(diff).mean()), "RMSE": float(np.sqrt((diff ** 2).mean()))}


def finetune(base: Pretrained | None, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
             y_test: np.ndarray, cfg: MLPConfig, seed: int, *, n_out: int = 1,
             classification: bool = False) -> dict[str, float]:
    """Fine-tune ``base`` (or train from scratch if None) and return test metrics.

    From scratch uses ``cfg.lr``; fine-tuning continues all layers at ``cfg.finetune_lr``.
    """
    if base is None:
        net = _fit_new(X, y, cfg, seed, n_out, classification, cfg.lr, cfg.batch_size)
    else:
        torch = _torch()
        torch.manual_seed(seed)
        model = build_mlp(X.shape[1], base.n_out, cfg.hidden)
        model.load_state_dict(base.state)
        xs = ((X - base.x_mean) / base.x_std).astype(np.float32)
        ys = y if classification else ((y - base.y_mean) / base.y_std).astype(np.float32)
        info = train(model, xs, ys, lr=cfg.finetune_lr, batch_size=cfg.batch_size, cfg=cfg,
                     seed=seed, classification=classification)
        net = Pretrained(model.state_dict(), base.x_mean, base.x_std, base.y_mean,
                         base.y_std, base.n_out, info)
    out = metrics(predict(net, X_test, cfg.hidden), y_test, classification)
    out.update({f"finetune_{k}": v for k, v in net.info.items()})
    return out
