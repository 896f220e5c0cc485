"""Re-derive peer_asem.csv with peer libraries (NOT run by the test suite).

Needs: pip install pymcdm==1.4.0 scikit-criteria==0.10 (dev-only; in no project dependency
list). Run from the repository root:

    python tests/golden/mcdm/derive_reference.py

Input: the eight Physical-connectivity indicators of COINr's normalised ASEM data (min-max
0-100, tests/golden/asem/example_dset_Normalised.csv), 51 countries, with unequal weights.
Every number comes from the peer libraries' own functions; none from mfgindex. Each library's
raw output is written as is (VIKOR: Q, lower is better); the tests convert.
"""

import csv
import warnings

import numpy as np
import pandas as pd
import skcriteria as skc
from pymcdm import normalizations as pn
from pymcdm.methods import TOPSIS, VIKOR
from skcriteria.agg.topsis import TOPSIS as SkTOPSIS
from skcriteria.agg.vikor import VIKOR as SkVIKOR
from skcriteria.preprocessing.scalers import MinMaxScaler, VectorScaler

warnings.filterwarnings("ignore")
COLS = ["LPI", "Flights", "Ship", "Bord", "Elec", "Gas", "ConSpeed", "Cov4G"]
WEIGHTS = np.array([1, 2, 1, 0.5, 1, 1.5, 2, 1])
frame = pd.read_csv("tests/golden/asem/example_dset_Normalised.csv")
X = frame[COLS].to_numpy(float)
w = WEIGHTS / WEIGHTS.sum()
types = np.ones(len(COLS))


def sk(method, scaler=None):
    dm = skc.mkdm(matrix=X, objectives=[max] * len(COLS), weights=w)
    if scaler is not None:
        dm = scaler.transform(dm)
    return method.evaluate(dm).e_


columns = {
    "topsis_vector__pymcdm": TOPSIS(pn.vector_normalization)(X, w, types),
    "topsis_minmax__pymcdm": TOPSIS(pn.minmax_normalization)(X, w, types),
    "topsis_vector__skcriteria": sk(SkTOPSIS(), VectorScaler(target="matrix")).similarity,
    "topsis_minmax__skcriteria": sk(SkTOPSIS(), MinMaxScaler(target="matrix")).similarity,
    "vikor_q_v0.5__pymcdm": VIKOR(v=0.5)(X, w, types),
    "vikor_q_v0.2__pymcdm": VIKOR(v=0.2)(X, w, types),
    "vikor_q_v0.5__skcriteria": sk(SkVIKOR(v=0.5)).q_k,
    "vikor_q_v1__skcriteria": sk(SkVIKOR(v=1.0)).q_k,
}
with open("tests/golden/mcdm/peer_asem.csv", "w", newline="") as fh:
    out = csv.writer(fh)
    out.writerow(["uCode", *columns])
    for i, code in enumerate(frame["uCode"]):
        out.writerow([code, *(f"{float(columns[c][i]):.17g}" for c in columns)])
