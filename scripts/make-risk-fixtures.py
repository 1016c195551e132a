#!/usr/bin/python3
"""Writes the reference values the risk-predictor tests compare against, under test/fixtures/risk.

Run with Debian's numpy/scipy: /usr/bin/python3 scripts/make-risk-fixtures.py
The output is committed so the tests never need python.

risk-predictors.json: per case, float32 softmax outputs and labels of members and
non-members, and the Jensen-Shannon distances between the member and non-member
distributions of
  - prediction entropy  H(p) = -sum_c p_c ln p_c
  - cross-entropy loss  -ln p_y
each histogrammed with numpy.histogram on 30 shared equal-width bins over the range of
both groups, then scipy.spatial.distance.jensenshannon(members, nonMembers, base=2):
the square root of the JS divergence in bits, in [0, 1]. The natural-log distance
(scipy's default base) is sqrt(ln 2) = 0.8326 times it; the file records both so the
choice of base is checked, not assumed.

The per-record values follow the engine's documented float32 handling (attacks/signals.ts):
probabilities are clamped to [1e-30, 1], and when the stored p_y > 0.5 it is taken as
1 - (sum of the other classes), since float32 softmax rounds confident p_y to 1.
"""
import json
import math
import os

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'risk')
BINS = 30
MIN_P = 1e-30


def softmax_rows(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def clamp(p):
    return min(1.0, max(MIN_P, p))


def entropy_and_loss(probs, labels):
    entropy, loss = [], []
    for row, y in zip(probs.astype(np.float64), labels):
        others = sum(clamp(float(row[c])) for c in range(len(row)) if c != y)
        stored = clamp(float(row[y]))
        if stored > 0.5:
            py = max(MIN_P, 1 - others)
            log_py = math.log1p(-min(others, 1 - MIN_P))
        else:
            py = stored
            log_py = math.log(py)
        h = -py * math.log(py)
        for c in range(len(row)):
            if c != y:
                p = clamp(float(row[c]))
                h -= p * math.log(p)
        entropy.append(h)
        loss.append(-log_py)
    return np.array(entropy), np.array(loss)


def js(a, b):
    lo = min(a.min(), b.min())
    hi = max(a.max(), b.max())
    members, edges = np.histogram(a, bins=BINS, range=(lo, hi))
    non_members, _ = np.histogram(b, bins=BINS, range=(lo, hi))
    return float(jensenshannon(members, non_members, base=2)), float(jensenshannon(members, non_members))


def case(name, rng, n_members, n_non_members, classes, member_margin, non_member_margin):
    def group(n, margin):
        labels = rng.randint(0, classes, n)
        logits = rng.randn(n, classes)
        logits[np.arange(n), labels] += margin + rng.randn(n)
        return softmax_rows(logits), labels

    mp, ml = group(n_members, member_margin)
    np_, nl = group(n_non_members, non_member_margin)
    me, mloss = entropy_and_loss(mp, ml)
    ne, nloss = entropy_and_loss(np_, nl)
    entropy_bits, entropy_nats = js(me, ne)
    loss_bits, loss_nats = js(mloss, nloss)
    return {
        'name': name,
        'numClasses': classes,
        # float(np.float32) prints the shortest double equal to the float32 value: exact in a Float32Array.
        'members': {'probabilities': [float(v) for v in mp.ravel()], 'labels': [int(v) for v in ml]},
        'nonMembers': {'probabilities': [float(v) for v in np_.ravel()], 'labels': [int(v) for v in nl]},
        'entropyJsDistance': entropy_bits,
        'crossEntropyJsDistance': loss_bits,
        'entropyJsDistanceNats': entropy_nats,
        'crossEntropyJsDistanceNats': loss_nats,
    }


def main():
    rng = np.random.RandomState(20261205)
    cases = [
        # An overfit model: members memorised (large margin), non-members not.
        case('overfit', rng, 200, 150, 4, 8.0, 2.0),
        # A model that generalises: both groups from the same distribution.
        case('same-distribution', rng, 150, 150, 10, 3.0, 3.0),
        # Saturated float32 outputs: p_y rounds to 1 for many members.
        case('saturated', rng, 120, 100, 3, 20.0, 4.0),
    ]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'risk-predictors.json'), 'w') as f:
        json.dump({'generator': 'scripts/make-risk-fixtures.py', 'bins': BINS,
                   'versions': {'numpy': np.__version__, 'scipy': scipy.__version__}, 'cases': cases}, f)
        f.write('\n')


if __name__ == '__main__':
    main()
