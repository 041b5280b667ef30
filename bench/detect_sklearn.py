"""scikit-learn's IsolationForest on a matrix exported by bench/detect.ts (benchmark peer only).

usage: python3 detect_sklearn.py TRAIN.csv TEST.csv SEED -> prints one anomaly score per test row
(-score_samples: 2^(-E(h)/c(psi)), the same scale as contxray's), then fit/score seconds on stderr.
"""
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest

train = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
test = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
t0 = time.perf_counter()
forest = IsolationForest(n_estimators=100, max_samples=min(256, len(train)), random_state=int(sys.argv[3])).fit(train)
t1 = time.perf_counter()
scores = -forest.score_samples(test)
t2 = time.perf_counter()
sys.stdout.write("\n".join(repr(float(s)) for s in scores) + "\n")
sys.stderr.write(f"{t1 - t0} {t2 - t1}\n")
