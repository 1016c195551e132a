#!/usr/bin/python3
"""Writes the fixtures of the input plausibility tests in test/fixtures/plausibility/.

Run with Debian's Python (python3-torch, python3-sklearn, numpy):
    /usr/bin/python3 scripts/make-plausibility-fixtures.py

- cnn-chw.onnx: a small torch CNN taking channels-first [N, 3, 8, 8] images, trained on
  pixels scaled by 1/255 and then normalised per channel the way torchvision's Normalize
  is written down ((x - mean) / std with CHANNEL_MEAN / CHANNEL_STD below). Its records
  are stored channels-last (height, width, channel), as uint8 0-255, as most image
  pipelines keep them: images-hwc-{members,nonmembers}.npy ([N, 8, 8, 3]) and the same
  records flattened to [N, 192] (images-flat-*.npy), labels in image-*-labels.npy.
- mlp-standardised.onnx: a torch MLP trained on tabular records standardised with
  scikit-learn's StandardScaler; the raw records are tabular-{members,nonmembers}.csv,
  the scaler's mean_ and scale_ are scaler-mean.npy and scaler-scale.npy.
- standard-scaler.json: a few raw rows and StandardScaler.transform's output for them,
  the reference the engine's preprocessing is checked against.
- per-channel.json: two small HWC images and torchvision-style (x / 255 - mean) / std in CHW
  order computed with numpy; and scipy's binomial CDF at a few points.
- reference.json: torch's own member/non-member accuracy of both models on correctly
  preprocessed records, which the audit of the correct manifests must reproduce.
"""
import json
import os

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'plausibility')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261208)
torch.manual_seed(5)

# --- Colour images: the class is which channel carries a bright 4x4 square (anywhere) ---
CHANNEL_MEAN = [0.35, 0.3, 0.25]
CHANNEL_STD = [0.25, 0.2, 0.3]


def images(n):
    y = rng.integers(0, 3, n)
    x = rng.integers(0, 90, (n, 8, 8, 3)).astype(np.float64)
    for i in range(n):
        r, c = rng.integers(0, 5, 2)
        x[i, r:r + 4, c:c + 4, y[i]] += 140 + rng.integers(0, 25)
    # Some label noise so the model has something to memorise: members fit better than non-members.
    flip = rng.random(n) < 0.15
    y = np.where(flip, rng.integers(0, 3, n), y)
    return np.clip(x, 0, 255).astype(np.uint8), y.astype(np.int64)


def to_model(x_hwc):
    """uint8 HWC -> the CNN's float CHW input: x / 255, then per-channel (x - mean) / std."""
    x = x_hwc.astype(np.float32) / 255.0
    x = (x - np.array(CHANNEL_MEAN, np.float32)) / np.array(CHANNEL_STD, np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


xm, ym = images(400)
xn, yn = images(400)
cnn = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
    torch.nn.Linear(16 * 4 * 4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3),
)
opt = torch.optim.Adam(cnn.parameters(), lr=0.003)
tx, ty = torch.from_numpy(to_model(xm)), torch.from_numpy(ym)
for epoch in range(120):
    perm = torch.randperm(len(tx))
    for s in range(0, len(tx), 32):
        idx = perm[s:s + 32]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(cnn(tx[idx]), ty[idx]).backward()
        opt.step()
cnn.eval()


def accuracy(model, x, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


cnn_acc = {'members': accuracy(cnn, to_model(xm), ym), 'nonMembers': accuracy(cnn, to_model(xn), yn)}
torch.onnx.export(cnn, torch.zeros(1, 3, 8, 8), os.path.join(OUT, 'cnn-chw.onnx'), input_names=['images'],
                  output_names=['logits'], dynamic_axes={'images': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
for name, x, y in (('members', xm, ym), ('nonmembers', xn, yn)):
    np.save(os.path.join(OUT, f'images-hwc-{name}.npy'), x)
    np.save(os.path.join(OUT, f'images-flat-{name}.npy'), x.reshape(len(x), -1))
    np.save(os.path.join(OUT, f'image-{name}-labels.npy'), y)

# --- Tabular: features on very different scales, a model trained on standardised ones ---
FEATURES = ['age', 'income', 'visits', 'balance', 'score']
LOCS = np.array([45.0, 52000.0, 6.0, 1500.0, 620.0])
SCALES = np.array([12.0, 16000.0, 3.0, 900.0, 70.0])


def tabular(n):
    z = rng.normal(size=(n, len(FEATURES)))
    logit = 1.6 * z[:, 0] - 1.2 * z[:, 1] + 0.9 * z[:, 3] * z[:, 4] + 0.7 * z[:, 2] + 0.3
    y = (logit + rng.logistic(size=n) * 0.6 > 0).astype(np.int64)
    return np.round(LOCS + z * SCALES, 2), y


tm, tym = tabular(500)
tn, tyn = tabular(500)
scaler = StandardScaler().fit(tm)
mlp = torch.nn.Sequential(torch.nn.Linear(5, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
opt = torch.optim.Adam(mlp.parameters(), lr=0.005)
sx = torch.from_numpy(scaler.transform(tm).astype(np.float32))
sy = torch.from_numpy(tym)
for epoch in range(200):
    perm = torch.randperm(len(sx))
    for s in range(0, len(sx), 32):
        idx = perm[s:s + 32]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(mlp(sx[idx]), sy[idx]).backward()
        opt.step()
mlp.eval()
mlp_acc = {
    'members': accuracy(mlp, scaler.transform(tm).astype(np.float32), tym),
    'nonMembers': accuracy(mlp, scaler.transform(tn).astype(np.float32), tyn),
    'rawMembers': accuracy(mlp, tm.astype(np.float32), tym),
    'majorityRate': float(max(np.mean(tym), 1 - np.mean(tym))),
}
torch.onnx.export(mlp, torch.zeros(1, 5), os.path.join(OUT, 'mlp-standardised.onnx'), input_names=['features'],
                  output_names=['logits'], dynamic_axes={'features': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13)
for name, x, y in (('members', tm, tym), ('nonmembers', tn, tyn)):
    with open(os.path.join(OUT, f'tabular-{name}.csv'), 'w') as f:
        f.write(','.join(FEATURES + ['label']) + '\n')
        for row, label in zip(x, y):
            f.write(','.join(f'{v:.2f}' for v in row) + f',{label}\n')
np.save(os.path.join(OUT, 'scaler-mean.npy'), scaler.mean_)
np.save(os.path.join(OUT, 'scaler-scale.npy'), scaler.scale_)

# StandardScaler.transform on the first rows as the CSV holds them (2 decimals), in float64.
rows = np.array([[float(f'{v:.2f}') for v in r] for r in tm[:6]])
with open(os.path.join(OUT, 'standard-scaler.json'), 'w') as f:
    json.dump({'rows': rows.tolist(), 'mean': scaler.mean_.tolist(), 'scale': scaler.scale_.tolist(),
               'transformed': scaler.transform(rows).tolist()}, f, indent=1)
# Per-channel normalisation as torchvision writes it, on two 2x3 RGB images stored HWC:
# ToTensor's x / 255 then Normalize(mean, std), channel-first output.
img = np.arange(2 * 2 * 3 * 3, dtype=np.float64).reshape(2, 2, 3, 3) * 7 % 256
normalised = ((img / 255.0 - np.array(CHANNEL_MEAN)) / np.array(CHANNEL_STD)).transpose(0, 3, 1, 2)
# Binomial lower tails and the Mann-Whitney AUC z the plausibility checks rely on.
from scipy import stats
binomial = [[k, n, p, float(stats.binom.cdf(k, n, p))] for k, n, p in
            [(25, 50, 0.6), (100, 300, 0.433), (199, 400, 0.602), (3, 10, 0.5), (4900, 10000, 0.5), (0, 20, 0.1)]]
with open(os.path.join(OUT, 'per-channel.json'), 'w') as f:
    json.dump({'hwc': img.tolist(), 'mean': CHANNEL_MEAN, 'std': CHANNEL_STD, 'chw': normalised.tolist(), 'binomialCdf': binomial}, f)
with open(os.path.join(OUT, 'reference.json'), 'w') as f:
    json.dump({'cnn': {**cnn_acc, 'channelMean': CHANNEL_MEAN, 'channelStd': CHANNEL_STD}, 'mlp': mlp_acc}, f, indent=1)
print(json.dumps({'cnn': cnn_acc, 'mlp': mlp_acc}))
