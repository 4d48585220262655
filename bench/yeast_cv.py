"""The cross-validation that chose yeast's multi-label settings (issue 12): training rows only.

Each setting is scored by 5-fold cross-validation (iterative stratification, the same
folds for all) on the 1500 rows of ``yeast-train.csv``; the test split is never read.
It prints the Hamming loss of the out-of-fold probabilities at 0.5 and, for settings with
``threshold="cv"``, of the out-of-fold predictions with the thresholds each fold's model
chose on its own training part (nested cross-validation). Standardised as the command
does (each fold's training statistics).

    python bench/yeast_cv.py                 # every setting (about an hour on 2 busy cores)
    python bench/yeast_cv.py br_lr nn_cv     # some

Settings: br_lr, br_lr_cv (MultiLabelClassifier, thresholds by CV), ecc_lr, ecc_lr_cv
(ClassifierChainEnsemble of LogisticRegression, 10 chains), ecc_nn6, ecc_nn20, ecc_nn60
(10 chains of NeuralNetClassifier((64,)) with alpha 6, 20, 60, Adam, 100 epochs), nn,
nn_cv (the README's yeast network, thresholds by CV), nn5 (its mean over seeds 0-4).
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from logitlab import ClassifierChainEnsemble, MultiLabelClassifier, NeuralNetClassifier
from logitlab.data.stratify import stratified_folds

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "yeast" / "yeast-train.csv"


def network(**kw):
    """The README's yeast network (--hidden 256 --solver adam --lr 0.001 --batch-size 64
    --epochs 200 --tol 0 --alpha 80 --no-early-stopping)."""
    params = dict(
        hidden_layer_sizes=(256,), solver="adam", learning_rate=1e-3, batch_size=64,
        max_iter=200, tol=0, alpha=80, early_stopping=False, random_state=0, engine="numpy",
    )  # fmt: skip
    return NeuralNetClassifier(**{**params, **kw})


def label_network(alpha):
    return NeuralNetClassifier(
        (64,), solver="adam", batch_size=64, max_iter=100, tol=0, alpha=alpha,
        early_stopping=False, engine="numpy",
    )  # fmt: skip


class MeanOfSeeds:
    """The mean probability of the network over seeds 0-4."""

    def fit(self, X, Y):
        self.models = [network(random_state=s).fit(X, Y) for s in range(5)]
        return self

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    def predict(self, X):
        return (self.predict_proba(X) > 0.5).astype(int)


SETTINGS = {
    "br_lr": lambda: MultiLabelClassifier(),
    "br_lr_cv": lambda: MultiLabelClassifier(threshold="cv", random_state=0),
    "ecc_lr": lambda: ClassifierChainEnsemble(random_state=0),
    "ecc_lr_cv": lambda: ClassifierChainEnsemble(threshold="cv", random_state=0),
    "ecc_nn6": lambda: ClassifierChainEnsemble(label_network(6), random_state=0, n_jobs=2),
    "ecc_nn20": lambda: ClassifierChainEnsemble(label_network(20), random_state=0, n_jobs=2),
    "ecc_nn60": lambda: ClassifierChainEnsemble(label_network(60), random_state=0, n_jobs=2),
    "nn": lambda: network(),
    "nn_cv": lambda: network(threshold="cv"),
    "nn5": MeanOfSeeds,
}


def main(names):
    if not DATA.is_file():
        sys.exit(f"yeast not found at {DATA} (../shared/data is absent)")
    table = pd.read_csv(DATA)
    X, Y = table.iloc[:, :103].to_numpy(float), table.iloc[:, 103:].to_numpy(int)
    folds = stratified_folds(Y, 5, random_state=0)
    for name in names or SETTINGS:
        start, P, pred = time.perf_counter(), np.zeros(Y.shape), np.zeros(Y.shape)
        for fit_rows, held in folds:
            scaler = StandardScaler().fit(X[fit_rows])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence notes of the fold models
                model = SETTINGS[name]().fit(scaler.transform(X[fit_rows]), Y[fit_rows])
            P[held] = model.predict_proba(scaler.transform(X[held]))
            pred[held] = model.predict(scaler.transform(X[held]))
        print(
            f"{name:10s} CV Hamming loss at 0.5: {np.mean((P > 0.5) != Y):.4f}; as predicted: "
            f"{np.mean(pred != Y):.4f} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
