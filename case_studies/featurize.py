"""Featurizers: chemical formulas -> Magpie-style statistics; SMILES pairs -> RDKit features.

Both featurizers are pure functions of their inputs (no fitted state), so the same
composition or pair always maps to the same vector and featurizing never leaks targets.

Examples
--------
>>> parse_formula("Fe2O3")
{'Fe': 2.0, 'O': 3.0}
>>> composition_key("Fe4O6") == composition_key("O3Fe2")
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2real.models.errors import InputDataError

_TOKEN = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)|(\()|(\))(\d*\.?\d*)")
MAGPIE_STATS: tuple[str, ...] = ("mean", "avg_dev", "min", "max", "range", "mode")
NORM_ORDERS: tuple[int, ...] = (0, 2, 3, 5, 7, 10)
_DESCRIPTORS: tuple[str, ...] = ("MolWt", "MolLogP", "TPSA", "NumHDonors", "NumHAcceptors",
                                 "NumRotatableBonds", "RingCount", "FractionCSP3",
                                 "HeavyAtomCount", "NumAromaticRings")


def parse_formula(formula: str) -> dict[str, float]:
    """Parse a chemical formula into element amounts (nested parentheses allowed).

    Parameters
    ----------
    formula : str
        E.g. ``"Fe2O3"``, ``"Ag(W3Br7)2"``, ``"Al0.15Ga0.85As1"``.

    Returns
    -------
    dict
        Element symbol -> amount (not normalized), in order of first appearance.

    Raises
    ------
    InputDataError
        If the string is not a formula (unknown characters, unbalanced parentheses).

    Examples
    --------
    >>> parse_formula("Ag(AuS)2")
    {'Ag': 1.0, 'Au': 2.0, 'S': 2.0}
    """
    text = str(formula).strip()
    stack: list[dict[str, float]] = [{}]
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InputDataError(f"cannot parse formula {formula!r} at character {pos + 1}. "
                                 "Fix: use element symbols, numbers and parentheses only.")
        element, amount, opening, closing, mult = match.groups()
        if element:
            stack[-1][element] = stack[-1].get(element, 0.0) + float(amount or 1.0)
        elif opening:
            stack.append({})
        elif closing:
            if len(stack) == 1:
                raise InputDataError(f"unbalanced ')' in formula {formula!r}.")
            inner = stack.pop()
            factor = float(mult or 1.0)
            for el, amt in inner.items():
                stack[-1][el] = stack[-1].get(el, 0.0) + amt * factor
        pos = match.end()
    if len(stack) != 1 or not stack[0]:
        raise InputDataError(f"formula {formula!r} is empty or has an unclosed '('.")
    return stack[0]


def composition_key(formula: str, digits: int = 4) -> str:
    """Canonical key of a composition: sorted elements with atomic fractions.

    Polymorphs and differently written formulas of one composition (``Fe2O3``,
    ``Fe4O6``, ``O3Fe2``) share a key; used for de-duplication and leakage-safe splits.

    Examples
    --------
    >>> composition_key("NaCl")
    'Cl0.5Na0.5'
    """
    amounts = parse_formula(formula)
    total = sum(amounts.values())
    if total <= 0:
        raise InputDataError(f"formula {formula!r} has no positive amounts.")
    return "".join(f"{el}{round(amt / total, digits):g}" for el, amt in sorted(amounts.items())
                   if amt > 0)


def magpie_feature_names(properties: Sequence[str]) -> list[str]:
    """Names of the columns returned by :func:`magpie_features`.

    Examples
    --------
    >>> magpie_feature_names(["Number"])[:2]
    ['Number_mean', 'Number_avg_dev']
    """
    names = [f"{p}_{s}" for p in properties for s in MAGPIE_STATS]
    return names + [f"norm_{p}" for p in NORM_ORDERS]


def load_element_table(path: Path) -> pd.DataFrame:
    """Read the Magpie element-property table (``element`` + numeric columns)."""
    table = pd.read_csv(path)
    if "element" not in table.columns:
        raise InputDataError(f"{path}: no 'element' column. Fix: use the Magpie table with an "
                             "'element' column and one column per property.")
    table = table.set_index("element")
    if table.isna().any().any():
        table = table.fillna(table.mean())
    return table.astype(float)


def magpie_features(formulas: Sequence[str], elements: pd.DataFrame) -> np.ndarray:
    """Magpie-style composition statistics, vectorized over formulas.

    For each element property: fraction-weighted mean, mean absolute deviation, min,
    max, range and the value of the most abundant element; plus stoichiometric
    L^p norms (p = 0, 2, 3, 5, 7, 10) of the atomic fractions.

    Parameters
    ----------
    formulas : sequence of str
        Chemical formulas.
    elements : DataFrame
        Element table indexed by symbol (see :func:`load_element_table`).

    Returns
    -------
    ndarray of shape (n, 6 * n_properties + 6), float32

    Examples
    --------
    >>> tab = pd.DataFrame({"Z": [11.0, 17.0]}, index=["Na", "Cl"])
    >>> magpie_features(["NaCl"], tab)[0, :5].tolist()
    [14.0, 3.0, 11.0, 17.0, 6.0]
    """
    parsed = [parse_formula(f) for f in formulas]
    width = max((len(p) for p in parsed), default=1)
    index = {el: i for i, el in enumerate(elements.index)}
    idx = np.zeros((len(parsed), width), dtype=np.int64)
    frac = np.zeros((len(parsed), width))
    for row, (formula, amounts) in enumerate(zip(formulas, parsed, strict=True)):
        unknown = [el for el in amounts if el not in index]
        if unknown:
            raise InputDataError(f"formula {formula!r}: element(s) {unknown} not in the element "
                                 "table. Fix: drop these rows or extend the table.")
        total = sum(amounts.values())
        for col, (el, amt) in enumerate(amounts.items()):
            idx[row, col] = index[el]
            frac[row, col] = amt / total
    return _composition_stats(idx, frac, elements.to_numpy(dtype=float)).astype(np.float32)


def _composition_stats(idx: np.ndarray, frac: np.ndarray, props: np.ndarray) -> np.ndarray:
    """Statistics of element properties given padded element indices and fractions."""
    present = frac > 0
    values = props[idx]                                   # (n, width, n_props)
    weights = frac[:, :, None]
    mean = (weights * values).sum(axis=1)
    avg_dev = (weights * np.abs(values - mean[:, None, :])).sum(axis=1)
    vmin = np.where(present[:, :, None], values, np.inf).min(axis=1)
    vmax = np.where(present[:, :, None], values, -np.inf).max(axis=1)
    mode = values[np.arange(len(idx)), frac.argmax(axis=1)]
    stats = np.stack([mean, avg_dev, vmin, vmax, vmax - vmin, mode], axis=2)
    norms = [present.sum(axis=1).astype(float)]
    norms += [(frac ** p).sum(axis=1) ** (1.0 / p) for p in NORM_ORDERS[1:]]
    return np.concatenate([stats.reshape(len(idx), -1), np.stack(norms, axis=1)], axis=1)


def split_pair(pair: str, sep: str = "_") -> tuple[str, str]:
    """Split a ``polymer_solvent`` SMILES pair on its last separator.

    Examples
    --------
    >>> split_pair("*CC*_ClC(Cl)Cl")
    ('*CC*', 'ClC(Cl)Cl')
    """
    poly, found, solv = str(pair).rpartition(sep)
    if not found or not poly or not solv:
        raise InputDataError(f"SMILES pair {pair!r} has no '{sep}' separator. Fix: write pairs "
                             f"as POLYMER{sep}SOLVENT.")
    return poly, solv


def canonical_pair(pair: str) -> str:
    """RDKit-canonical ``polymer_solvent`` key (for de-duplication and leakage checks).

    Examples
    --------
    >>> canonical_pair("C(Cl)(Cl)Cl_OCC") == canonical_pair("ClC(Cl)Cl_CCO")
    True
    """
    return "_".join(_canonical(s) for s in split_pair(pair))


def _canonical(smiles: str) -> str:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InputDataError(f"RDKit cannot parse SMILES {smiles!r}. Fix: correct or drop "
                             "this row.")
    return str(Chem.MolToSmiles(mol))


def smiles_features(smiles: str, n_bits: int = 128, radius: int = 2) -> np.ndarray:
    """Folded Morgan count fingerprint plus a few RDKit descriptors of one molecule.

    Examples
    --------
    >>> smiles_features("CCO").shape
    (138,)
    """
    from rdkit import Chem
    from rdkit.Chem import Descriptors, rdFingerprintGenerator

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise InputDataError(f"RDKit cannot parse SMILES {smiles!r}. Fix: correct or drop "
                             "this row.")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    counts = np.log1p(gen.GetCountFingerprintAsNumPy(mol).astype(float))
    desc = np.array([float(getattr(Descriptors, name)(mol)) for name in _DESCRIPTORS])
    return np.concatenate([counts, desc])


def pair_features(pairs: Sequence[str], extra: np.ndarray | None = None,
                  n_bits: int = 128) -> np.ndarray:
    """Features of ``polymer_solvent`` pairs: polymer block, solvent block, extra columns.

    Parameters
    ----------
    pairs : sequence of str
        SMILES pairs ``POLYMER_SOLVENT``.
    extra : ndarray of shape (n, k), optional
        Additional numeric columns appended as-is (e.g. temperature).
    n_bits : int
        Fingerprint length per molecule.

    Examples
    --------
    >>> pair_features(["CC_O"], np.array([[300.0]])).shape
    (1, 277)
    """
    cache: dict[str, np.ndarray] = {}

    def feats(smi: str) -> np.ndarray:
        if smi not in cache:
            cache[smi] = smiles_features(smi, n_bits=n_bits)
        return cache[smi]

    rows = [np.concatenate([feats(p), feats(s)]) for p, s in map(split_pair, pairs)]
    out = np.vstack(rows) if rows else np.zeros((0, 2 * (n_bits + len(_DESCRIPTORS))))
    if extra is not None:
        out = np.hstack([out, np.asarray(extra, dtype=float).reshape(len(out), -1)])
    return out.astype(np.float32)
