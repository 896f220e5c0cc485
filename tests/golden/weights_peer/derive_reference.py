"""Re-derive reference_weights.csv with peer libraries (NOT run by the test suite).

Needs: pip install pymcdm==1.4.0 scikit-criteria==0.10 scikit-learn (dev-only; in no project
dependency list). Run from the repository root:

    python tests/golden/weights_peer/derive_reference.py

Input: the five ConEcFin indicators of COINr's treated ASEM data (tests/golden/asem/
example_dset_Treated.csv). Every number comes from the peer libraries' own functions; none
from mfgindex.
"""

import csv
import warnings

import numpy as np
import pandas as pd
import pymcdm.weights as pw
from skcriteria.preprocessing import weighters as sw
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
COLS = ["Goods", "Services", "FDI", "PRemit", "ForPort"]
X = pd.read_csv("tests/golden/asem/example_dset_Treated.csv")[COLS].to_numpy(float)
ones = np.ones(len(COLS))
minmax = (X - X.min(axis=0)) / (X.max(axis=0) - X.min(axis=0))
pc1 = PCA().fit(StandardScaler().fit_transform(X)).components_[0]

rows = [
    ("entropy(basis=raw)", "pymcdm 1.4.0", "pymcdm.weights.entropy_weights(X)", pw.entropy_weights(X)),
    (
        "entropy(basis=raw)",
        "scikit-criteria 0.10",
        "skcriteria...weighters.entropy_weights(X)",
        sw.entropy_weights(X),
    ),
    (
        "entropy",
        "scikit-criteria 0.10",
        "skcriteria...weighters.entropy_weights((X - min) / (max - min))",
        sw.entropy_weights(minmax),
    ),
    ("critic", "pymcdm 1.4.0", "pymcdm.weights.critic_weights(X)", pw.critic_weights(X)),
    (
        "critic(correlation=spearman)",
        "scikit-criteria 0.10",
        "skcriteria...weighters.critic_weights(X, [1]*5, correlation='spearman')",
        sw.critic_weights(X, ones, correlation="spearman"),
    ),
    (
        "critic(correlation=kendall)",
        "scikit-criteria 0.10",
        "skcriteria...weighters.critic_weights(X, [1]*5, correlation='kendall')",
        sw.critic_weights(X, ones, correlation="kendall"),
    ),
    ("std", "pymcdm 1.4.0", "pymcdm.weights.standard_deviation_weights(X)", pw.standard_deviation_weights(X)),
    (
        "pca",
        "scikit-learn 1.9.1",
        "c = PCA().fit(StandardScaler().fit_transform(X)).components_[0]; c**2 / sum(c**2)",
        pc1**2 / np.sum(pc1**2),
    ),
]
with open("tests/golden/weights_peer/reference_weights.csv", "w", newline="") as fh:
    out = csv.writer(fh)
    out.writerow(["method", "library", "call", *COLS])
    for method, lib, call, w in rows:
        out.writerow([method, lib, call, *(f"{v:.17g}" for v in w)])
