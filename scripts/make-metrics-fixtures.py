#!/usr/bin/python3
"""Writes the reference values the metrics tests compare against, under test/fixtures/metrics.

Run with Debian's scikit-learn/scipy/numpy: /usr/bin/python3 scripts/make-metrics-fixtures.py
The output is committed so the tests never need python. Files:
  roc-cases.json        sklearn roc_curve(drop_intermediate=False) and roc_auc_score
  clopper-pearson.json  exact binomial intervals from scipy.stats.beta.ppf
  incomplete-beta.json  scipy.stats.beta cdf/sf/ppf (Boost) for non-integer and large shapes
  js-distance.json      numpy.histogram on shared bins + scipy jensenshannon (base 2)
"""
import json
import math
import os

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import jensenshannon
from scipy.stats import beta
from sklearn.metrics import roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'metrics')
VERSIONS = {'sklearn': sklearn.__version__, 'scipy': scipy.__version__, 'numpy': np.__version__}


def floats(values):
    # Python's float repr is the shortest round-tripping form, so JSON.parse gets the same doubles.
    return [float(v) for v in values]


def roc_case(name, scores, members):
    scores = np.asarray(scores, dtype=np.float64)
    members = np.asarray(members, dtype=bool)
    fpr, tpr, thresholds = roc_curve(members, scores, drop_intermediate=False)
    return {
        'name': name,
        'scores': floats(scores),
        'membership': [bool(m) for m in members],
        'fpr': floats(fpr),
        'tpr': floats(tpr),
        # thresholds[0] is max+1 in older sklearn and +inf in newer ones: not compared.
        'thresholdsAfterFirst': floats(thresholds[1:]),
        'auc': float(roc_auc_score(members, scores)),
    }


def roc_cases():
    rng = np.random.RandomState(20240611)
    cases = [
        roc_case('sklearn-doc-example', [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]),
        roc_case('ties-across-classes', [0.5, 0.5, 0.5, 0.2, 0.2, 0.9, 0.9, 0.1, 0.5, 0.2],
                 [1, 0, 1, 1, 0, 1, 0, 0, 0, 1]),
        roc_case('constant-scores', [0.7] * 12, [1, 0] * 6),
        roc_case('perfectly-inverted', [0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9], [1, 1, 1, 0, 0, 0, 0]),
        roc_case('all-members-above', [3.0, 2.5, 9.0, -1.0, 0.0, 1.0, 2.0], [1, 1, 1, 0, 0, 0, 0]),
    ]
    integer_scores = rng.randint(0, 6, size=60)
    cases.append(roc_case('integer-scores', integer_scores, rng.rand(60) < 0.5))
    cases.append(roc_case('wide-magnitudes', [-1e6, -3.5, 0.0, 1e-9, 2e-9, 1e6, 1e300, -1e-300],
                          [0, 1, 0, 1, 0, 1, 1, 0]))
    single = rng.rand(50)
    cases.append(roc_case('single-member', single, np.arange(50) == 17))
    imbalanced_members = np.concatenate([np.ones(5, bool), np.zeros(200, bool)])
    cases.append(roc_case('imbalanced-5-vs-200', rng.randn(205) + imbalanced_members * 1.0, imbalanced_members))
    n = 3000
    large_members = rng.rand(n) < 0.5
    # Rounded to 3 decimals: ties at scale as well as many distinct thresholds.
    large_scores = np.round(rng.randn(n) + 0.4 * large_members, 3)
    cases.append(roc_case('random-3000-rounded', large_scores, large_members))
    return cases


def clopper_pearson(k, n, confidence):
    alpha = 1 - confidence
    lower = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def clopper_pearson_cases():
    sizes = [1, 2, 3, 4, 5, 7, 10, 13, 20, 50, 100, 250, 1000, 3333, 10000, 100000, 1000000]
    cases = []
    for n in sizes:
        ks = sorted({k for k in [0, 1, 2, 3, n // 7, n // 3, n // 2, n - 3, n - 2, n - 1, n] if 0 <= k <= n})
        for k in ks:
            for confidence in [0.95, 0.99, 0.9, 0.999]:
                lower, upper = clopper_pearson(k, n, confidence)
                cases.append({'k': k, 'n': n, 'confidence': confidence, 'lower': lower, 'upper': upper})
    return cases


def incomplete_beta_value(x, a, b):
    # beta.cdf/sf are Boost's ibeta/ibetac; scipy.special.betainc (Cephes in scipy 1.10) is
    # off by up to ~1e-9 relative for shapes around 1e5, too coarse to be a reference here.
    return {'x': x, 'a': a, 'b': b, 'value': float(beta.cdf(x, a, b)), 'complement': float(beta.sf(x, a, b))}


def incomplete_beta_cases():
    shapes = [(0.5, 0.5), (0.5, 3.0), (2.5, 1.0), (1.0, 1.0), (7.3, 11.9), (30.0, 0.7), (150.5, 49.5),
              (1e4, 3.0), (2.0, 1e5), (5e5, 5e5 + 1), (1.0, 1e6)]
    probabilities = [1e-10, 0.005, 0.025, 0.3, 0.5, 0.8, 0.975, 0.995]
    values = []
    quantiles = []
    for a, b in shapes:
        for p in probabilities:
            x = float(beta.ppf(p, a, b))
            # Boost's root finder gives up on a few extreme tails (e.g. p=1e-10, a=0.5, b=3) and
            # returns a wrong x with only a warning: keep a quantile only when it round-trips to
            # within what a few ulps of x can explain (large shapes make I_x steep).
            if abs(beta.cdf(x, a, b) - p) > 1e-12 * p + 64 * beta.pdf(x, a, b) * np.spacing(x):
                print(f'skipped quantile p={p} a={a} b={b}: scipy returned x={x!r} that does not round-trip')
                continue
            quantiles.append({'p': p, 'a': a, 'b': b, 'x': x})
            if 0 < x < 1:
                values.append(incomplete_beta_value(x, a, b))
        for x in [0.001, 0.1, 0.5, 0.9, 0.999]:
            values.append(incomplete_beta_value(x, a, b))
    return {'values': values, 'quantiles': quantiles}


def js_case(name, a, b, bins):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    both = np.concatenate([a, b])
    lo, hi = float(both.min()), float(both.max())
    members, edges = np.histogram(a, bins=bins, range=(lo, hi))
    non_members, _ = np.histogram(b, bins=bins, range=(lo, hi))
    return {
        'name': name, 'a': floats(a), 'b': floats(b), 'bins': bins,
        'edges': floats(edges), 'countsA': [int(c) for c in members], 'countsB': [int(c) for c in non_members],
        'distance': float(jensenshannon(members, non_members, base=2)),
    }


def js_cases():
    rng = np.random.RandomState(7)
    return [
        js_case('overlapping-normals', rng.randn(400), rng.randn(300) + 0.5, 30),
        js_case('shifted-exponentials', rng.exponential(1.0, 500), rng.exponential(2.0, 500) + 0.1, 17),
        # Values on the computed bin edges exercise numpy's edge correction.
        js_case('values-on-edges', np.arange(0, 11) / 10.0, np.arange(0, 31) / 30.0, 10),
        js_case('integer-losses', rng.randint(0, 9, 120).astype(float), rng.randint(2, 12, 80).astype(float), 5),
        rounded_edges_case(),
    ]


def rounded_edges_case():
    # On [0.508, 7.619] with 11 bins, (edge[7] - lo) * norm rounds below 7 and the double just
    # under edge[9] rounds up to 9: numpy's index corrections must move both (found by search).
    lo, hi, bins = 0.508, 7.619, 11
    edges = np.linspace(lo, hi, bins + 1)
    norm = bins / (hi - lo)
    on_edge, below_edge = edges[7], np.nextafter(edges[9], -np.inf)
    assert int((on_edge - lo) * norm) == 6 and int((below_edge - lo) * norm) == 9
    return js_case('rounded-edge-corrections', [lo, on_edge, below_edge, 3.0], [hi, on_edge, below_edge, 2.0], bins)


def write(name, payload):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump({'generatedBy': 'scripts/make-metrics-fixtures.py', 'versions': VERSIONS, **payload}, f,
                  allow_nan=False, separators=(',', ':'))
        f.write('\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    write('roc-cases.json', {'cases': roc_cases()})
    write('clopper-pearson.json', {'cases': clopper_pearson_cases()})
    write('incomplete-beta.json', incomplete_beta_cases())
    write('js-distance.json', {'cases': js_cases()})


if __name__ == '__main__':
    main()
