#!/usr/bin/python3
"""Writes the small model fixtures in test/fixtures/models/ and their reference outputs.

Run with Debian's Python (python3-h5py, python3-torch, numpy):
    /usr/bin/python3 scripts/make-model-fixtures.py

Keras itself is not installed here, so the Keras files are written with h5py in exactly
the layout Keras writes them:
- Keras 2 `.h5` (model.save('m.h5')): root attributes `model_config` (the model's JSON
  config), `keras_version`, `backend`; group `model_weights` with attribute `layer_names`;
  one group per layer with attribute `weight_names`; datasets at
  `model_weights/<layer>/<layer>/<var>:0`.
- Keras 3 `.keras` (model.save('m.keras')): a zip of `metadata.json`, `config.json` and
  `model.weights.h5`, whose layer variables sit at `layers/<layer>/vars/<i>`.
The ONNX model is a torch MLP exported with torch.onnx.export; the TF.js graph model is a
hand-written graph (MatMul/BiasAdd/Relu/Softmax) with its weights in one binary shard.
Reference probabilities are computed here with numpy (Keras, graph model) and torch
(ONNX), independently of the TypeScript loaders under test.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'models')
rng = np.random.default_rng(20261205)


def f32(*shape):
    return (rng.standard_normal(shape) * 0.7).astype(np.float32)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def initializer(name):
    return {'class_name': name, 'config': {'seed': None} if name != 'Zeros' else {}}


def keras2_dense(name, units, activation, input_dim=None):
    config = {
        'name': name, 'trainable': True, 'dtype': 'float32', 'units': units, 'activation': activation,
        'use_bias': True, 'kernel_initializer': initializer('GlorotUniform'), 'bias_initializer': initializer('Zeros'),
        'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
        'kernel_constraint': None, 'bias_constraint': None,
    }
    if input_dim is not None:
        config['batch_input_shape'] = [None, input_dim]
    return {'class_name': 'Dense', 'config': config}


def write_keras2_h5(path, layers, weights, training_config=None):
    """layers: Keras 2 layer configs; weights: {layer name: [(var name, array)]}."""
    model_config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}}
    with h5py.File(path, 'w') as f:
        f.attrs['backend'] = b'tensorflow'
        f.attrs['keras_version'] = b'2.12.0'
        f.attrs['model_config'] = json.dumps(model_config).encode('utf8')
        if training_config is not None:
            f.attrs['training_config'] = json.dumps(training_config).encode('utf8')
        g = f.create_group('model_weights')
        g.attrs['backend'] = b'tensorflow'
        g.attrs['keras_version'] = b'2.12.0'
        names = [l['config']['name'] for l in layers if l['class_name'] != 'InputLayer']
        g.attrs['layer_names'] = np.array([n.encode('utf8') for n in names])
        for name in names:
            lg = g.create_group(name)
            variables = weights.get(name, [])
            lg.attrs['weight_names'] = np.array([f'{name}/{v}:0'.encode('utf8') for v, _ in variables], dtype='S')
            for v, value in variables:
                lg.create_dataset(f'{name}/{v}:0', data=value)


INPUTS = f32(6, 4) * 1.5

# --- Keras 2 .h5: Dense(8, relu) -> BatchNormalization -> Dropout -> Dense(3, softmax) ---
k2 = {
    'dense': [('kernel', f32(4, 8)), ('bias', f32(8))],
    'batch_normalization': [('gamma', 1 + f32(8) * 0.2), ('beta', f32(8) * 0.3),
                            ('moving_mean', f32(8) * 0.5), ('moving_variance', np.abs(f32(8)) + 0.5)],
    'dense_1': [('kernel', f32(8, 3)), ('bias', f32(3))],
}
bn_config = {
    'name': 'batch_normalization', 'trainable': True, 'dtype': 'float32', 'axis': [1], 'momentum': 0.99,
    'epsilon': 0.001, 'center': True, 'scale': True, 'beta_initializer': initializer('Zeros'),
    'gamma_initializer': {'class_name': 'Ones', 'config': {}}, 'moving_mean_initializer': initializer('Zeros'),
    'moving_variance_initializer': {'class_name': 'Ones', 'config': {}}, 'beta_regularizer': None,
    'gamma_regularizer': None, 'beta_constraint': None, 'gamma_constraint': None,
}
k2_layers = [
    {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 4], 'dtype': 'float32', 'sparse': False,
                                            'ragged': False, 'name': 'dense_input'}},
    keras2_dense('dense', 8, 'relu', input_dim=4),
    {'class_name': 'BatchNormalization', 'config': bn_config},
    {'class_name': 'Dropout', 'config': {'name': 'dropout', 'trainable': True, 'dtype': 'float32', 'rate': 0.25,
                                         'noise_shape': None, 'seed': None}},
    keras2_dense('dense_1', 3, 'softmax'),
]
training_config = {
    'loss': 'sparse_categorical_crossentropy', 'metrics': None, 'weighted_metrics': None, 'loss_weights': None,
    'optimizer_config': {'class_name': 'Adam', 'config': {'name': 'Adam', 'learning_rate': 0.001}},
}
write_keras2_h5(os.path.join(OUT, 'keras2-mlp.h5'), k2_layers, k2, training_config)
w = {n: dict(v) for n, v in k2.items()}
h = np.maximum(INPUTS @ w['dense']['kernel'] + w['dense']['bias'], 0)
bn = w['batch_normalization']
h = (h - bn['moving_mean']) / np.sqrt(bn['moving_variance'] + 0.001) * bn['gamma'] + bn['beta']
keras2_probs = softmax(h @ w['dense_1']['kernel'] + w['dense_1']['bias'])

# --- Keras 2 .h5 with a Lambda layer (serialised Python code: never rebuilt) ---
lambda_layers = [
    keras2_dense('dense', 3, 'linear', input_dim=4),
    {'class_name': 'Lambda', 'config': {'name': 'scale_by_two', 'trainable': True, 'dtype': 'float32',
                                        'function': ['4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA',
                                                     None, None],
                                        'function_type': 'lambda', 'module': '__main__', 'output_shape': None,
                                        'output_shape_type': 'raw', 'output_shape_module': None, 'arguments': {}}},
]
write_keras2_h5(os.path.join(OUT, 'keras2-lambda.h5'), lambda_layers, {'dense': [('kernel', f32(4, 3)), ('bias', f32(3))]})

# --- Keras 2 .h5 with a layer TF.js Layers does not implement ---
unsupported_layers = [
    keras2_dense('dense', 3, 'linear', input_dim=4),
    {'class_name': 'UnitNormalization', 'config': {'name': 'unit_normalization', 'trainable': True,
                                                   'dtype': 'float32', 'axis': -1}},
]
write_keras2_h5(os.path.join(OUT, 'keras2-unsupported.h5'), unsupported_layers,
                {'dense': [('kernel', f32(4, 3)), ('bias', f32(3))]})

# --- Keras 2 .h5 whose weights group lacks the second Dense layer (a truncated save) ---
write_keras2_h5(os.path.join(OUT, 'keras2-missing-group.h5'), [keras2_dense('dense', 8, 'relu', input_dim=4),
                                                               keras2_dense('dense_1', 3, 'softmax')],
                {'dense': [('kernel', f32(4, 8)), ('bias', f32(8))]})
with h5py.File(os.path.join(OUT, 'keras2-missing-group.h5'), 'a') as f:
    del f['model_weights/dense_1']

# --- Keras 3 .keras: Functional Input(4) -> Dense(6, tanh) -> Dense(3) logits ---
def policy():
    return {'module': 'keras', 'class_name': 'DTypePolicy', 'config': {'name': 'float32'}, 'registered_name': None}


def k3_init(name):
    base = initializer(name)
    return {'module': 'keras.initializers', **base, 'registered_name': None}


def k3_dense(name, units, activation, source, source_units):
    return {
        'module': 'keras.layers', 'class_name': 'Dense',
        'config': {'name': name, 'trainable': True, 'dtype': policy(), 'units': units, 'activation': activation,
                   'use_bias': True, 'kernel_initializer': k3_init('GlorotUniform'), 'bias_initializer': k3_init('Zeros'),
                   'kernel_regularizer': None, 'bias_regularizer': None, 'kernel_constraint': None,
                   'bias_constraint': None},
        'registered_name': None, 'build_config': {'input_shape': [None, source_units]}, 'name': name,
        'inbound_nodes': [{'args': [{'class_name': '__keras_tensor__', 'config': {
            'shape': [None, source_units], 'dtype': 'float32', 'keras_history': [source, 0, 0]}}], 'kwargs': {}}],
    }


k3 = {'hidden': [f32(4, 6), f32(6)], 'logits': [f32(6, 3), f32(3)]}
k3_config = {
    'module': 'keras.src.models.functional', 'class_name': 'Functional',
    'config': {
        'name': 'functional', 'trainable': True,
        'layers': [
            {'module': 'keras.layers', 'class_name': 'InputLayer',
             'config': {'batch_shape': [None, 4], 'dtype': 'float32', 'sparse': False, 'name': 'input_layer'},
             'registered_name': None, 'name': 'input_layer', 'inbound_nodes': []},
            k3_dense('hidden', 6, 'tanh', 'input_layer', 4),
            k3_dense('logits', 3, 'linear', 'hidden', 6),
        ],
        'input_layers': [['input_layer', 0, 0]], 'output_layers': [['logits', 0, 0]],
    },
    'registered_name': 'Functional', 'build_config': {'input_shape': None},
    'compile_config': {'optimizer': {'module': 'keras.optimizers', 'class_name': 'SGD',
                                     'config': {'name': 'SGD', 'learning_rate': 0.01}, 'registered_name': None},
                       'loss': 'sparse_categorical_crossentropy'},
}
weights_h5 = io.BytesIO()
with h5py.File(weights_h5, 'w') as f:
    f.create_group('vars')
    for name, values in k3.items():
        g = f.create_group(f'layers/{name}/vars')
        for i, v in enumerate(values):
            g.create_dataset(str(i), data=v)
    f.create_group('layers/input_layer/vars')
    f.create_group('optimizer/vars').create_dataset('0', data=np.array(3, dtype=np.int64))
with zipfile.ZipFile(os.path.join(OUT, 'keras3-functional.keras'), 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('metadata.json', json.dumps({'keras_version': '3.6.0', 'date_saved': '2026-12-05@21:00:00'}))
    z.writestr('config.json', json.dumps(k3_config))
    z.writestr('model.weights.h5', weights_h5.getvalue())
keras3_probs = softmax(np.tanh(INPUTS @ k3['hidden'][0] + k3['hidden'][1]) @ k3['logits'][0] + k3['logits'][1])

# --- ONNX: a torch MLP exported with logits output; and one with a symbolic feature dim ---
torch.manual_seed(7)
mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
torch.onnx.export(mlp, torch.zeros(1, 4), os.path.join(OUT, 'torch-mlp.onnx'), input_names=['features'],
                  output_names=['logits'], dynamic_axes={'features': {0: 'batch'}, 'logits': {0: 'batch'}},
                  opset_version=13)
torch.onnx.export(mlp, torch.zeros(1, 4), os.path.join(OUT, 'torch-dynamic-features.onnx'), input_names=['features'],
                  output_names=['logits'], dynamic_axes={'features': {0: 'batch', 1: 'features'}, 'logits': {0: 'batch'}},
                  opset_version=13)
# Exported without dynamic axes: the batch dimension is fixed at 1.
torch.onnx.export(mlp, torch.zeros(1, 4), os.path.join(OUT, 'torch-fixed-batch.onnx'), input_names=['features'],
                  output_names=['logits'], opset_version=13)
with torch.no_grad():
    onnx_probs = torch.softmax(mlp(torch.from_numpy(INPUTS)), dim=1).numpy()
onnx_parameters = sum(p.numel() for p in mlp.parameters())

# --- TF.js graph model: x -> MatMul/BiasAdd/Relu -> MatMul/BiasAdd -> Softmax ---
g_w = {'w1': f32(4, 5), 'b1': f32(5), 'w2': f32(5, 3), 'b2': f32(3)}
graph_dir = os.path.join(OUT, 'graph-model')
os.makedirs(graph_dir, exist_ok=True)


def dims(shape):
    return {'dim': [{'size': str(d)} for d in shape]}


def const(name):
    return {'name': name, 'op': 'Const', 'attr': {'dtype': {'type': 'DT_FLOAT'}, 'value': {
        'tensor': {'dtype': 'DT_FLOAT', 'tensorShape': dims(g_w[name].shape)}}}}


float_t = {'T': {'type': 'DT_FLOAT'}}
matmul_attr = {**float_t, 'transpose_a': {'b': False}, 'transpose_b': {'b': False}}
nodes = [
    {'name': 'x', 'op': 'Placeholder', 'attr': {'dtype': {'type': 'DT_FLOAT'}, 'shape': {'shape': dims([-1, 4])}}},
    const('w1'), const('b1'), const('w2'), const('b2'),
    {'name': 'dense/MatMul', 'op': 'MatMul', 'input': ['x', 'w1'], 'attr': matmul_attr},
    {'name': 'dense/BiasAdd', 'op': 'BiasAdd', 'input': ['dense/MatMul', 'b1'], 'attr': float_t},
    {'name': 'dense/Relu', 'op': 'Relu', 'input': ['dense/BiasAdd'], 'attr': float_t},
    {'name': 'out/MatMul', 'op': 'MatMul', 'input': ['dense/Relu', 'w2'], 'attr': matmul_attr},
    {'name': 'out/BiasAdd', 'op': 'BiasAdd', 'input': ['out/MatMul', 'b2'], 'attr': float_t},
    {'name': 'out/Softmax', 'op': 'Softmax', 'input': ['out/BiasAdd'], 'attr': float_t},
    {'name': 'Identity', 'op': 'Identity', 'input': ['out/Softmax'], 'attr': float_t},
]
graph_json = {
    'format': 'graph-model', 'generatedBy': 'scripts/make-model-fixtures.py', 'convertedBy': None,
    'modelTopology': {'node': nodes, 'library': {}, 'versions': {'producer': 1286}},
    'weightsManifest': [{'paths': ['group1-shard1of1.bin'],
                         'weights': [{'name': n, 'shape': list(v.shape), 'dtype': 'float32'} for n, v in g_w.items()]}],
    'signature': {'inputs': {'x:0': {'name': 'x:0', 'dtype': 'DT_FLOAT', 'tensorShape': dims([-1, 4])}},
                  'outputs': {'Identity:0': {'name': 'Identity:0', 'dtype': 'DT_FLOAT', 'tensorShape': dims([-1, 3])}}},
}
with open(os.path.join(graph_dir, 'model.json'), 'w') as fh:
    json.dump(graph_json, fh, indent=1)
with open(os.path.join(graph_dir, 'group1-shard1of1.bin'), 'wb') as fh:
    for v in g_w.values():
        fh.write(v.astype('<f4').tobytes())
graph_probs = softmax(np.maximum(INPUTS @ g_w['w1'] + g_w['b1'], 0) @ g_w['w2'] + g_w['b2'])

# --- A tiny audit workspace: the Keras 2 model, and the ONNX model whose shadows copy it ---
audit_dir = os.path.join(OUT, 'audit')
os.makedirs(audit_dir, exist_ok=True)


def keras2_forward(x):
    h = np.maximum(x @ w['dense']['kernel'] + w['dense']['bias'], 0)
    h = (h - bn['moving_mean']) / np.sqrt(bn['moving_variance'] + 0.001) * bn['gamma'] + bn['beta']
    return softmax(h @ w['dense_1']['kernel'] + w['dense_1']['bias'])


def loss_auc(probs_members, y_members, probs_non, y_non):
    """Loss-threshold AUC: P(member loss < non-member loss), ties counted half (Mann-Whitney)."""
    lm = -np.log(np.maximum(probs_members[np.arange(len(y_members)), y_members].astype(np.float64), 1e-300))
    ln = -np.log(np.maximum(probs_non[np.arange(len(y_non)), y_non].astype(np.float64), 1e-300))
    wins = (lm[:, None] < ln[None, :]).sum() + 0.5 * (lm[:, None] == ln[None, :]).sum()
    return float(wins / (len(lm) * len(ln)))


records = {}


def write_records(name, x):
    records[name] = x
    h = np.maximum(x @ w['dense']['kernel'] + w['dense']['bias'], 0)
    h = (h - bn['moving_mean']) / np.sqrt(bn['moving_variance'] + 0.001) * bn['gamma'] + bn['beta']
    labels = (h @ w['dense_1']['kernel'] + w['dense_1']['bias']).argmax(axis=1)
    flip = rng.random(len(x)) < 0.3
    labels[flip] = rng.integers(0, 3, flip.sum())
    records[name] = (x, labels)
    with open(os.path.join(audit_dir, name), 'w') as fh:
        fh.write('f0,f1,f2,f3,label\n')
        for row, label in zip(x, labels):
            fh.write(','.join(f'{v:.6f}' for v in row) + f',{label}\n')


write_records('members.csv', f32(24, 4) * 1.5)
write_records('nonmembers.csv', f32(24, 4) * 1.5)
shadow = {'count': 4, 'epochs': 1, 'batchSize': 8, 'seed': 3, 'trainSize': 16}
manifest = {'version': 1, 'audits': [
    {'name': 'keras-h5', 'model': '../keras2-mlp.h5', 'members': 'members.csv', 'nonMembers': 'nonmembers.csv',
     'attacks': ['loss-threshold', 'lira-offline'], 'shadow': shadow},
    {'name': 'onnx-with-keras-shadows', 'model': '../torch-mlp.onnx', 'members': 'members.csv',
     'nonMembers': 'nonmembers.csv', 'attacks': ['loss-threshold', 'lira-offline'],
     'shadow': {**shadow, 'architecture': '../keras2-mlp.h5'}},
    {'name': 'onnx-without-architecture', 'model': '../torch-mlp.onnx', 'members': 'members.csv',
     'nonMembers': 'nonmembers.csv', 'attacks': ['lira-offline'], 'shadow': shadow},
]}
with open(os.path.join(audit_dir, 'privacy-audit.json'), 'w') as fh:
    json.dump(manifest, fh, indent=2)

expected = {
    'inputs': INPUTS.tolist(),
    'keras2-mlp.h5': {'probabilities': keras2_probs.tolist(), 'parameterCount': 4 * 8 + 8 + 4 * 8 + 8 * 3 + 3},
    'keras3-functional.keras': {'probabilities': keras3_probs.tolist(), 'parameterCount': 4 * 6 + 6 + 6 * 3 + 3},
    'torch-mlp.onnx': {'probabilities': onnx_probs.tolist(), 'parameterCount': int(onnx_parameters)},
    'torch-fixed-batch.onnx': {'probabilities': onnx_probs.tolist(), 'parameterCount': int(onnx_parameters)},
    'graph-model/model.json': {'probabilities': graph_probs.tolist(), 'parameterCount': int(sum(v.size for v in g_w.values()))},
}
(xm, ym), (xn, yn) = records['members.csv'], records['nonmembers.csv']
# Probabilities from the CSV text as the loaders read it (6 decimals), in float32.
xm, xn = (np.round(v, 6).astype(np.float32) for v in (xm, xn))
with torch.no_grad():
    onnx_m = torch.softmax(mlp(torch.from_numpy(xm)), dim=1).numpy()
    onnx_n = torch.softmax(mlp(torch.from_numpy(xn)), dim=1).numpy()
expected['audit'] = {
    'keras-h5': {'lossThresholdAuc': loss_auc(keras2_forward(xm), ym, keras2_forward(xn), yn),
                 'memberAccuracy': float((keras2_forward(xm).argmax(1) == ym).mean())},
    'onnx-with-keras-shadows': {'lossThresholdAuc': loss_auc(onnx_m, ym, onnx_n, yn),
                                'memberAccuracy': float((onnx_m.argmax(1) == ym).mean())},
}
with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
    json.dump(expected, fh, indent=1)
print('wrote', sorted(os.listdir(OUT)))
