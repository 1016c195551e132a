#!/usr/bin/python3
"""Writes the reference scores the LiRA / RMIA / difficulty-calibration tests compare against,
under test/fixtures/lira.

Run with Debian's numpy/scipy: /usr/bin/python3 scripts/make-lira-fixtures.py
The output is committed so the tests never need python. This is an independent
implementation written from the papers' formulas (numpy medians/std, scipy.stats.norm),
not a port of the TypeScript. Files:
  <case>.json          `privacy-lint score` input (target, shadow, keep, membership) plus
                       `expected`: scores of lira-online, lira-offline, lira-online-fixed,
                       lira-offline-fixed and difficulty-calibration
  rmia.json            cases of RMIA input plus expected scores for several modes / a / gamma
  log-normal-cdf.json  scipy.stats.norm.logcdf on z from -1e5 to 40
"""
import json
import os

import numpy as np
import scipy
from scipy.stats import norm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'lira')
VERSIONS = {'scipy': scipy.__version__, 'numpy': np.__version__}

# Carlini et al.'s reference code adds this to every standard deviation (std + 1e-30).
SIGMA_EPSILON = 1e-30
# RMIA: probabilities are floored here before division, like the engine's signals.
MIN_PROBABILITY = 1e-30


def floats(values):
    # Python's float repr is the shortest round-tripping form, so JSON.parse gets the same doubles.
    return np.asarray(values, dtype=np.float64).tolist()


def lira_scores(target, shadow, keep, online, fixed):
    """target: records x queries; shadow: records x shadows x queries; keep: records x shadows.

    Per record and per query: mu = median, sigma = std (ddof 0) of the IN / OUT shadow
    statistics; fixed variance pools all IN (OUT) statistics of every record, shadow and
    query. Online: log N(phi; in) - log N(phi; out); offline: log Phi((phi - mu_out) / sigma_out).
    The per-query scores are averaged.
    """
    pooled_in = np.std(shadow[keep]) if fixed else None
    pooled_out = np.std(shadow[~keep]) if fixed else None
    scores = []
    for r in range(target.shape[0]):
        stats_in = shadow[r, keep[r], :]     # n_in x queries
        stats_out = shadow[r, ~keep[r], :]   # n_out x queries
        mu_out = np.median(stats_out, axis=0)
        sd_out = pooled_out if fixed else np.std(stats_out, axis=0)
        if online:
            mu_in = np.median(stats_in, axis=0)
            sd_in = pooled_in if fixed else np.std(stats_in, axis=0)
            per_query = (norm.logpdf(target[r], mu_in, sd_in + SIGMA_EPSILON)
                         - norm.logpdf(target[r], mu_out, sd_out + SIGMA_EPSILON))
        else:
            per_query = norm.logcdf((target[r] - mu_out) / (sd_out + SIGMA_EPSILON))
        scores.append(np.mean(per_query))
    return np.array(scores)


def calibrated_scores(target, shadow, keep):
    """Watson et al.: target signal minus its mean over the OUT reference models (and queries)."""
    return np.array([target[r].mean() - shadow[r, ~keep[r], :].mean() for r in range(target.shape[0])])


def planted_case(name, seed, records, shadows, queries, degenerate=False):
    """phi of a record = its difficulty + a membership shift + noise, on the target and on shadows."""
    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0.0, 2.0, records)
    shift = np.abs(rng.normal(1.5, 1.0, records))
    spread = rng.uniform(0.4, 1.5, records)
    query_offset = rng.normal(0.0, 0.3, (records, queries))
    keep = rng.random((records, shadows)) < 0.5
    for r in range(records):
        while keep[r].all() or not keep[r].any():
            keep[r] = rng.random(shadows) < 0.5
    membership = rng.random(records) < 0.5
    membership[0], membership[1] = True, False  # both classes, whatever the seed
    shadow = (difficulty[:, None, None] + shift[:, None, None] * keep[:, :, None] + query_offset[:, None, :]
              + spread[:, None, None] * rng.normal(size=(records, shadows, queries)))
    target = (difficulty[:, None] + shift[:, None] * membership[:, None] + query_offset
              + spread[:, None] * rng.normal(size=(records, queries)))
    if degenerate:
        # Records 2 and 3: identical OUT statistics (sigma_out = 0, exact in binary), so
        # SIGMA_EPSILON decides the scale; record 2's target sits on the OUT median exactly.
        for r, phi in ((2, 1.5), (3, 2.0)):
            shadow[r, ~keep[r], :] = 1.5
            target[r, :] = phi
    expected = {}
    for variant, online, fixed in (('lira-online', True, False), ('lira-offline', False, False),
                                   ('lira-online-fixed', True, True), ('lira-offline-fixed', False, True)):
        expected[variant] = floats(lira_scores(target, shadow, keep, online, fixed))
    expected['difficulty-calibration'] = floats(calibrated_scores(target, shadow, keep))
    plain = queries == 1
    return {
        'name': name,
        'generator': VERSIONS,
        # Without queries the input takes the plain shapes: target per record, shadow records x shadows.
        'target': floats(target[:, 0]) if plain else floats(target),
        'shadow': floats(shadow[:, :, 0]) if plain else floats(shadow),
        'keep': keep.tolist(),
        'membership': membership.tolist(),
        'expected': expected,
    }


def rmia_scores(target, ref, pop_target, pop_ref, keep, mode, a, gamma):
    """Zarifzadeh et al.: fraction of population z with [P(x|t)/P(x)] / [P(z|t)/P(z)] > gamma."""
    ref = np.maximum(ref, MIN_PROBABILITY)
    pop_ref = np.maximum(pop_ref, MIN_PROBABILITY)
    if mode == 'online':
        p_x = ref.mean(axis=1)
        p_z = pop_ref.mean(axis=1)
    else:
        out = np.ones_like(ref, dtype=bool) if keep is None else ~keep
        p_out_x = (ref * out).sum(axis=1) / out.sum(axis=1)
        p_x = 0.5 * ((1 + a) * p_out_x + (1 - a))
        p_z = 0.5 * ((1 + a) * pop_ref.mean(axis=1) + (1 - a))
    ratio_x = np.maximum(target, MIN_PROBABILITY) / p_x
    ratio_z = np.maximum(pop_target, MIN_PROBABILITY) / p_z
    return np.mean(ratio_x[:, None] / ratio_z[None, :] > gamma, axis=1)


def rmia_case(name, seed, records, population, references):
    rng = np.random.default_rng(seed)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    difficulty = rng.normal(0.5, 2.0, records)
    keep = rng.random((records, references)) < 0.5
    for r in range(records):
        while keep[r].all():
            keep[r] = rng.random(references) < 0.5
    membership = rng.random(records) < 0.5
    membership[0], membership[1] = True, False
    ref = sigmoid(difficulty[:, None] + 1.5 * keep + rng.normal(0, 0.7, (records, references)))
    target = sigmoid(difficulty + 1.5 * membership + rng.normal(0, 0.7, records))
    pop_difficulty = rng.normal(0.5, 2.0, population)
    pop_ref = sigmoid(pop_difficulty[:, None] + rng.normal(0, 0.7, (population, references)))
    pop_target = sigmoid(pop_difficulty + rng.normal(0, 0.7, population))
    # A float32 softmax can give exactly 0: the floor must apply to target and references.
    target[2] = 0.0
    ref[3, :] = 0.0
    expected = []
    for mode, a, gamma, use_keep in (('offline', 0.3, 1.0, True), ('offline', 0.3, 1.0, False),
                                     ('offline', 0.6, 2.0, True), ('offline', 1.0, 1.0, True),
                                     ('online', 0.3, 1.0, True), ('online', 0.3, 0.5, True)):
        scores = rmia_scores(target, ref, pop_target, pop_ref, keep if use_keep else None, mode, a, gamma)
        expected.append({'mode': mode, 'offlineA': a, 'gamma': gamma, 'useKeep': use_keep, 'scores': floats(scores)})
    return {
        'name': name,
        'targetProb': floats(target),
        'referenceProb': floats(ref),
        'populationTargetProb': floats(pop_target),
        'populationReferenceProb': floats(pop_ref),
        'keep': keep.tolist(),
        'membership': membership.tolist(),
        'expected': expected,
    }


def log_normal_cdf_table():
    z = np.concatenate([
        -np.logspace(5, -3, 60), [0.0], np.logspace(-3, np.log10(40), 50),
        [-38.5, -37.5, -8.3, -1.7320508, -1.7320509, 1.7320508, 1.7320509, 8.3, 37.5],
    ])
    return {'generator': VERSIONS, 'z': floats(z), 'logcdf': floats(norm.logcdf(z))}


def write(name, payload):
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(payload, f, allow_nan=False, separators=(',', ':'))
        f.write('\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    write('small.json', planted_case('small', 11, 12, 6, 1, degenerate=True))
    write('small-queries.json', planted_case('small-queries', 12, 10, 8, 3))
    write('large.json', planted_case('large', 13, 200, 16, 1))
    write('large-queries.json', planted_case('large-queries', 14, 200, 16, 4))
    write('rmia.json', {'generator': VERSIONS, 'cases': [rmia_case('rmia-small', 21, 30, 25, 4),
                                                          rmia_case('rmia-large', 22, 200, 300, 8)]})
    write('log-normal-cdf.json', log_normal_cdf_table())


if __name__ == '__main__':
    main()
