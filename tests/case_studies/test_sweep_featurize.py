"""Featurizers: formula parsing, composition keys, Magpie statistics, RDKit pair features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim2real.case_studies.featurize import (
    canonical_pair,
    composition_key,
    magpie_feature_names,
    magpie_features,
    pair_features,
    parse_formula,
    split_pair,
)
from sim2real.models.errors import InputDataError


@pytest.mark.parametrize(("formula", "expected"), [
    ("Fe2O3", {"Fe": 2.0, "O": 3.0}),
    ("NaCl", {"Na": 1.0, "Cl": 1.0}),
    ("Ag(W3Br7)2", {"Ag": 1.0, "W": 6.0, "Br": 14.0}),
    ("Ag(AuS)2", {"Ag": 1.0, "Au": 2.0, "S": 2.0}),
    ("Al0.15Ga0.85As1", {"Al": 0.15, "Ga": 0.85, "As": 1.0}),
    ("Ca(Fe(CN)2)2", {"Ca": 1.0, "Fe": 2.0, "C": 4.0, "N": 4.0}),
    ("H2Mg0.125Ti0.875", {"H": 2.0, "Mg": 0.125, "Ti": 0.875}),
])
def test_parse_formula(formula: str, expected: dict[str, float]) -> None:
    assert parse_formula(formula) == pytest.approx(expected)


@pytest.mark.parametrize("bad", ["", "Fe2O3)", "(Fe2O3", "fe2o3", "Fe-O", "12"])
def test_parse_formula_rejects_garbage(bad: str) -> None:
    with pytest.raises(InputDataError, match="formula"):
        parse_formula(bad)


def test_composition_key_merges_polymorph_spellings() -> None:
    keys = {composition_key(f) for f in ["Fe2O3", "Fe4O6", "O3Fe2", "Fe1O1.5"]}
    assert keys == {"Fe0.4O0.6"}
    assert composition_key("Fe3O4") != composition_key("Fe2O3")


def test_magpie_features_closed_form() -> None:
    table = pd.DataFrame({"Z": [11.0, 17.0, 26.0, 8.0]}, index=["Na", "Cl", "Fe", "O"])
    feats = magpie_features(["NaCl", "Fe2O3"], table)
    names = magpie_feature_names(["Z"])
    assert feats.shape == (2, len(names)) == (2, 12)
    row = dict(zip(names, feats[1], strict=True))
    assert row["Z_mean"] == pytest.approx(0.4 * 26 + 0.6 * 8)
    assert row["Z_avg_dev"] == pytest.approx(0.4 * abs(26 - 15.2) + 0.6 * abs(8 - 15.2))
    assert (row["Z_min"], row["Z_max"], row["Z_range"]) == (8.0, 26.0, 18.0)
    assert row["Z_mode"] == 8.0  # O is the most abundant element
    assert row["norm_0"] == 2.0
    assert row["norm_2"] == pytest.approx(np.sqrt(0.4**2 + 0.6**2), rel=1e-6)


def test_magpie_features_are_spelling_invariant() -> None:
    table = pd.DataFrame({"Z": [26.0, 8.0], "X": [1.83, 3.44]}, index=["Fe", "O"])
    feats = magpie_features(["Fe2O3", "O6Fe4"], table)
    np.testing.assert_allclose(feats[0], feats[1], rtol=1e-6)


def test_unknown_element_names_formula_and_fix() -> None:
    table = pd.DataFrame({"Z": [26.0]}, index=["Fe"])
    with pytest.raises(InputDataError, match=r"FeXx.*not in the element table.*Fix"):
        magpie_features(["FeXx"], table)


def test_smiles_pair_features_and_canonical_keys() -> None:
    feats = pair_features(["*CC*_ClC(Cl)Cl", "*CC*_OCC"], np.array([[300.0], [310.0]]))
    assert feats.shape == (2, 277) and feats.dtype == np.float32
    assert np.isfinite(feats).all()
    np.testing.assert_array_equal(feats[0, :138], feats[1, :138])  # same polymer block
    assert not np.array_equal(feats[0, 138:276], feats[1, 138:276])
    assert feats[1, -1] == 310.0
    assert canonical_pair("C(Cl)(Cl)Cl_OCC") == canonical_pair("ClC(Cl)Cl_CCO")
    assert split_pair("C1CC1_CC") == ("C1CC1", "CC")


def test_bad_smiles_is_reported() -> None:
    with pytest.raises(InputDataError, match="SMILES"):
        pair_features(["C1CC_CC"])
    with pytest.raises(InputDataError, match="separator"):
        split_pair("CCO")
