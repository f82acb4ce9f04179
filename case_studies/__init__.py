"""Real Sim2Real learning curves measured by pre-training / fine-tuning sweeps.

Modules: ``config`` (validated sweep spec from TOML), ``featurize`` (Magpie composition
and RDKit SMILES-pair features), ``data`` (data-dir resolution, de-duplication,
leakage-safe splits), ``mlp`` (torch pre-train / fine-tune), ``store`` (resumable per-run
records), ``runner`` (grid, Dask execution, curves). Studies: ``band_gap/`` and
``chi_parameter/`` (config, measured ``curves.csv``, README). See docs/case_studies.md.
"""
