#!/usr/bin/python3
"""Workspace for bench/onnx-shadows.ts: a small Fashion-MNIST CNN trained in PyTorch and
exported to ONNX, its records, the equivalent Keras model as a TF.js Layers model.json, and
a manifest with two audits of the same ONNX target that differ only in their shadows:
  - "converted": no shadow.architecture, so shadows copy the ONNX graph converted to TF.js;
  - "keras": shadow.architecture names the hand-written Keras equivalent (channels-last;
    with one channel its input [28, 28, 1] holds the same values in the same order as the
    ONNX model's [1, 28, 28]).
CNN: Conv 8 3x3 same - ReLU - MaxPool 2 - Conv 16 3x3 same - ReLU - MaxPool 2 - Flatten -
Dense 64 ReLU - Dense 10 (logits). Members, non-members and population are disjoint random
draws from the Fashion-MNIST training set (Debian's dataset-fashion-mnist); the target
trains on the members only, Adam 1e-3, batch 64, until it has memorised them.
Run: /usr/bin/python3 bench/onnx-shadows.py OUT_DIR [--members 1000] [--population 2000]
     [--epochs 30] [--shadows 8] [--shadow-epochs 8]
"""
import argparse
import gzip
import json
import os

import numpy as np
import torch
from torch import nn

DATA = '/usr/share/datasets/fashion-mnist'


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def keras_topology():
    """The same network as a Keras Sequential config (what a Keras user would have written)."""
    def layer(cls, name, **config):
        return {'class_name': cls, 'config': {'name': name, 'trainable': True, 'dtype': 'float32', **config}}
    init = {'kernel_initializer': {'class_name': 'GlorotUniform', 'config': {'seed': None}},
            'bias_initializer': {'class_name': 'Zeros', 'config': {}},
            'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
            'kernel_constraint': None, 'bias_constraint': None}
    conv = dict(kernel_size=[3, 3], strides=[1, 1], padding='same', data_format='channels_last', dilation_rate=[1, 1],
                activation='relu', use_bias=True, **init)
    pool = dict(pool_size=[2, 2], strides=[2, 2], padding='valid', data_format='channels_last')
    layers = [
        layer('Conv2D', 'conv2d', filters=8, batch_input_shape=[None, 28, 28, 1], **conv),
        layer('MaxPooling2D', 'max_pooling2d', **pool),
        layer('Conv2D', 'conv2d_1', filters=16, **conv),
        layer('MaxPooling2D', 'max_pooling2d_1', **pool),
        layer('Flatten', 'flatten', data_format='channels_last'),
        layer('Dense', 'dense', units=64, activation='relu', use_bias=True, **init),
        layer('Dense', 'dense_1', units=10, activation='linear', use_bias=True, **init),
    ]
    return {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}, 'keras_version': '2.15.0', 'backend': 'tensorflow'}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('--members', type=int, default=1000)
    p.add_argument('--population', type=int, default=2000)
    p.add_argument('--epochs', type=int, default=30)
    p.add_argument('--shadows', type=int, default=8)
    p.add_argument('--shadow-epochs', type=int, default=8)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    x, y = idx('train-images-idx3-ubyte.gz'), idx('train-labels-idx1-ubyte.gz')
    order = rng.permutation(len(x))
    n = a.members
    parts = {'members': order[:n], 'nonmembers': order[n:2 * n], 'population': order[2 * n:2 * n + a.population]}
    for name, ids in parts.items():
        np.savez(os.path.join(a.out, f'{name}.npz'), x=x[ids], y=y[ids])

    model = Cnn()
    xm = torch.tensor(x[parts['members']], dtype=torch.float32).unsqueeze(1) / 255
    ym = torch.tensor(y[parts['members']], dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(a.epochs):
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xm[b]), ym[b]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        xn = torch.tensor(x[parts['nonmembers']], dtype=torch.float32).unsqueeze(1) / 255
        acc = lambda xs, ys: float((model(xs).argmax(1) == torch.as_tensor(ys)).float().mean())
        print(json.dumps({'memberAccuracy': acc(xm, ym), 'nonMemberAccuracy': acc(xn, y[parts['nonmembers']].astype(np.int64))}))
    torch.onnx.export(model, xm[:1], os.path.join(a.out, 'cnn.onnx'), input_names=['input'], output_names=['logits'],
                      opset_version=13, dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    os.makedirs(os.path.join(a.out, 'keras'), exist_ok=True)
    with open(os.path.join(a.out, 'keras', 'model.json'), 'w') as f:
        json.dump({'format': 'layers-model', 'generatedBy': 'bench/onnx-shadows.py', 'modelTopology': keras_topology(), 'weightsManifest': []}, f)

    shadow = {'count': a.shadows, 'epochs': a.shadow_epochs, 'batchSize': 64, 'learningRate': 1e-3, 'optimizer': 'adam', 'seed': 1}
    audit = lambda name, extra: {
        'name': name, 'model': 'cnn.onnx', 'members': 'members.npz', 'nonMembers': 'nonmembers.npz', 'population': 'population.npz',
        'preprocess': {'scale': 1 / 255}, 'attacks': ['rmia', 'lira-offline', 'lira-offline-fixed'],
        'shadow': {**shadow, **extra},
    }
    manifest = {'version': 1, 'audits': [audit('converted', {}), audit('keras', {'architecture': 'keras/model.json'})]}
    with open(os.path.join(a.out, 'privacy-audit.json'), 'w') as f:
        json.dump(manifest, f, indent=2)


if __name__ == '__main__':
    main()
