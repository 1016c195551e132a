#!/usr/bin/python3
"""Writes test/fixtures/onnx-convert/: one tiny ONNX model per operator the ONNX -> TF.js
Layers converter handles, a small ResNet-style CNN, and one model with an unsupported
operator, each beside a JSON file of inputs and PyTorch's (or numpy's) outputs.

Models come from PyTorch's own exporter (Debian's python3-torch 1.13, opset 13 unless
stated) where it writes the operator, else from onnx.helper (MatMul + Add, Dropout).
Weights are random but fixed (seeded); BatchNormalization gets non-trivial running
statistics by a few training-mode passes before export. The unit tests compare the
converted model against onnxruntime-node on the same inputs, and onnxruntime against the
expected outputs written here (an independent implementation of each model).
Run: /usr/bin/python3 scripts/make-onnx-conversion-fixtures.py
"""
import json
import os
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx-convert')
ROWS = 6


def write_case(name, onnx_bytes, x, expected, note):
    with open(os.path.join(OUT, f'{name}.onnx'), 'wb') as f:
        f.write(onnx_bytes)
    case = {
        'note': note,
        'inputShape': list(x.shape[1:]),
        'rows': int(x.shape[0]),
        'input': [float(v) for v in x.astype(np.float32).ravel()],
        'expected': [float(v) for v in np.asarray(expected, dtype=np.float32).ravel()],
        'outputShape': list(np.asarray(expected).shape[1:]),
    }
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(case, f, separators=(',', ':'))


def export(name, model, shape, note, opset=13, keep_batchnorm=False):
    torch.manual_seed(zlib.crc32(name.encode()))
    model.eval()
    x = torch.randn(ROWS, *shape)
    with torch.no_grad():
        expected = model(x).numpy()
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(model, x, path, input_names=['input'], output_names=['output'], opset_version=opset,
                      dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}},
                      # PRESERVE keeps BatchNormalization nodes (an eval export folds them into Conv).
                      training=torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL)
    with open(path, 'rb') as f:
        data = f.read()
    write_case(name, data, x.numpy(), expected, note)


def helper_model(name, nodes, initializers, in_shape, out_shape, x, expected, note, opset=13):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', *in_shape])],
        [helper.make_tensor_value_info('output', TensorProto.FLOAT, ['batch', *out_shape])],
        initializer=[numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
    onnx.checker.check_model(model)
    write_case(name, model.SerializeToString(), x, expected, note)


class Act(nn.Module):
    """Linear -> activation -> Linear, so the activation sits between weights."""

    def __init__(self, act):
        super().__init__()
        self.a, self.act, self.b = nn.Linear(10, 12), act, nn.Linear(12, 4)

    def forward(self, x):
        return self.b(self.act(self.a(x)))


class ConvFlat(nn.Module):
    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return torch.flatten(self.body(x), 1)


class ViewFlat(nn.Module):
    """x.view(x.size(0), -1): exported as Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        return y.view(y.size(0), -1)


class ReshapeToImage(nn.Module):
    """[batch, 48] -> [batch, 3, 4, 4] -> conv -> flatten."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3, padding=1)

    def forward(self, x):
        return torch.flatten(self.conv(x.reshape(-1, 3, 4, 4)), 1)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(3, 3, 3, padding=1), nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return torch.flatten(torch.relu(self.c2(torch.relu(self.c1(x))) + x), 1)


class Cat(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(2, 3, 3, padding=1), nn.Conv2d(2, 2, 1)

    def forward(self, x):
        return torch.flatten(torch.cat([self.c1(x), self.c2(x)], 1), 1)


class CatFeatures(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(6, 3), nn.Linear(6, 2)

    def forward(self, x):
        return torch.cat([self.a(x), torch.tanh(self.b(x))], 1)


class Mean(nn.Module):
    """x.mean([2, 3]): ReduceMean over height and width."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3)

    def forward(self, x):
        return self.conv(x).mean([2, 3])


class Nhwc(nn.Module):
    """Channels-last input, as TensorFlow models take it: Transpose to NCHW, conv, Transpose back, flatten."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.fc = nn.Linear(5 * 4 * 3, 4)

    def forward(self, x):
        y = self.conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return self.fc(torch.flatten(y, 1))


class SqueezePool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.pool, self.fc = nn.Conv2d(2, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.pool(self.conv(x)).squeeze(-1).squeeze(-1))


class UnsqueezeFlat(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc(torch.flatten(x.unsqueeze(1), 1))


class SmallCnn(nn.Module):
    """The shape of a typical MNIST/Fashion-MNIST classifier, one input channel."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Linear(6 * 3 * 3, 16), nn.ReLU(), nn.Linear(16, 5))

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        return torch.relu(y + (x if self.short is None else self.short(x)))


class TinyResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        y = self.pool(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(y, 1))


def warm_batchnorm(model, shape):
    """Running statistics away from 0/1, so the test sees them applied."""
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(16, *shape) * 2 + 0.5)


class Sin(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 3)

    def forward(self, x):
        return self.a(torch.sin(x))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    np.random.seed(0)
    export('gemm', nn.Linear(12, 5), [12], 'Gemm (transB = 1) from nn.Linear')
    export('relu', Act(nn.ReLU()), [10], 'Relu between two Gemm')
    export('leaky-relu', Act(nn.LeakyReLU(0.2)), [10], 'LeakyRelu alpha 0.2')
    export('sigmoid', Act(nn.Sigmoid()), [10], 'Sigmoid')
    export('tanh', Act(nn.Tanh()), [10], 'Tanh')
    export('gelu-erf', Act(nn.GELU()), [10], 'GELU exported by opset 13 as Div-Erf-Add-Mul-Mul')
    export('softmax', nn.Sequential(nn.Linear(8, 4), nn.Softmax(dim=1)), [8], 'Gemm then Softmax (probabilities)')
    export('log-softmax', nn.Sequential(nn.Linear(8, 4), nn.LogSoftmax(dim=1)), [8], 'Gemm then LogSoftmax')
    export('sigmoid-binary', nn.Sequential(nn.Linear(6, 1), nn.Sigmoid()), [6], 'A binary classifier: one sigmoid unit')
    export('softmax-opset11', nn.Sequential(nn.Linear(8, 4), nn.Softmax(dim=1)), [8], 'Softmax with the opset < 13 axis rule', opset=11)
    export('conv', ConvFlat(nn.Conv2d(3, 4, 3, stride=2, padding=(1, 2))), [3, 9, 10], 'Conv stride 2, asymmetric pads (1, 2), then Flatten')
    export('conv-dilated', ConvFlat(nn.Conv2d(3, 4, 3, dilation=2, padding=2)), [3, 9, 9], 'Conv dilation 2')
    export('conv-depthwise', ConvFlat(nn.Conv2d(4, 8, 3, groups=4, padding=1)), [4, 6, 6], 'Conv group = channels, depth multiplier 2')
    export('conv-nobias', ConvFlat(nn.Conv2d(2, 3, (2, 3), bias=False)), [2, 5, 7], 'Conv without bias, 2x3 kernel')
    export('maxpool', ConvFlat(nn.MaxPool2d(2)), [2, 8, 8], 'MaxPool 2x2 on raw (signed) input')
    export('maxpool-padded', ConvFlat(nn.ReLU(), nn.MaxPool2d(3, 2, 1)), [2, 8, 8], 'MaxPool 3x3 stride 2 pads 1 after Relu')
    export('avgpool', ConvFlat(nn.AvgPool2d(2)), [2, 8, 8], 'AveragePool 2x2')
    export('avgpool-padded', ConvFlat(nn.AvgPool2d(3, 2, 1)), [2, 7, 7], 'AveragePool 3x3 stride 2 pads 1 count_include_pad = 1')
    export('global-avgpool', ConvFlat(nn.Conv2d(2, 3, 3), nn.AdaptiveAvgPool2d(1)), [2, 6, 6], 'GlobalAveragePool then Flatten')
    bn2 = ConvFlat(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3))
    warm_batchnorm(bn2, [2, 6, 6])
    export('batchnorm2d', bn2, [2, 6, 6], 'BatchNormalization on images (running statistics from training passes)', keep_batchnorm=True)
    bn1 = nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
    warm_batchnorm(bn1, [6])
    export('batchnorm1d', bn1, [6], 'BatchNormalization on features')
    export('flatten', nn.Flatten(), [2, 3, 4], 'Flatten of a channels-first image: PyTorch order')
    export('reshape-view', ViewFlat(), [2, 5, 5], 'Reshape computed by Shape-Gather-Unsqueeze-Concat')
    export('reshape-image', ReshapeToImage(), [48], 'Reshape features to an image, then Conv')
    export('add-residual', Residual(), [3, 5, 5], 'Add of a residual branch')
    export('concat', Cat(), [2, 5, 5], 'Concat of two convolutions along channels')
    export('concat-features', CatFeatures(), [6], 'Concat of two Gemm outputs')
    export('relu6', Act(nn.ReLU6()), [10], 'ReLU6, exported as Clip(0, 6)')
    export('maxpool-same-signed', ConvFlat(nn.MaxPool2d(3, 1, 1)), [2, 6, 6], "MaxPool 3x3 stride 1 pads 1 on signed input: TF's 'same' split")
    export('avgpool-same-exclude-pad', ConvFlat(nn.AvgPool2d(3, 1, 1, count_include_pad=False)), [2, 6, 6], 'AveragePool pads 1 with count_include_pad = 0')
    export('small-cnn', SmallCnn(), [1, 12, 12], 'Conv-ReLU-MaxPool twice, Flatten, Dense-ReLU-Dense on a one-channel image')
    export('reduce-mean', Mean(), [2, 6, 6], 'ReduceMean over height and width')
    export('transpose-nhwc', Nhwc(), [5, 4, 2], 'Transpose NHWC -> NCHW at the input and NCHW -> NHWC before Flatten')
    export('squeeze', SqueezePool(), [2, 6, 6], 'GlobalAveragePool then Squeeze of the 1x1 dimensions')
    export('unsqueeze', UnsqueezeFlat(), [16], 'Unsqueeze then Flatten')

    rng = np.random.default_rng(1)
    x = rng.standard_normal((ROWS, 12)).astype(np.float32)
    w = rng.standard_normal((12, 5)).astype(np.float32) * 0.3
    b = rng.standard_normal(5).astype(np.float32)
    helper_model('matmul-add', [helper.make_node('MatMul', ['input', 'W'], ['h'], name='mm'), helper.make_node('Add', ['h', 'B'], ['output'], name='bias')],
                 {'W': w, 'B': b}, [12], [5], x, x @ w + b, 'MatMul then Add of a bias (how TF-exported Dense layers look)')
    w2 = rng.standard_normal((12, 5)).astype(np.float32) * 0.3
    helper_model('dropout', [helper.make_node('Dropout', ['input', 'ratio'], ['d'], name='drop'), helper.make_node('MatMul', ['d', 'W'], ['output'], name='mm')],
                 {'W': w2, 'ratio': np.array(0.25, dtype=np.float32)}, [12], [5], x, x @ w2, 'Dropout (identity at inference) then MatMul')
    w3 = rng.standard_normal((12, 5)).astype(np.float32) * 0.5
    z = x @ w3
    soft = np.exp(z - z.max(1, keepdims=True))
    helper_model('softmax-axis-negative', [helper.make_node('MatMul', ['input', 'W'], ['z'], name='mm'), helper.make_node('Softmax', ['z'], ['output'], name='soft', axis=-1)],
                 {'W': w3}, [12], [5], x, soft / soft.sum(1, keepdims=True), 'Softmax axis = -1: a negative int64 attribute (a ten-byte varint)')

    from math import erf
    w4 = rng.standard_normal((12, 6)).astype(np.float32) * 0.5
    h = x @ w4
    gelu = h * 0.5 * (1 + np.vectorize(erf)(h / np.sqrt(2)))
    helper_model('gelu-half-first', [
        helper.make_node('MatMul', ['input', 'W'], ['h'], name='mm'),
        helper.make_node('Mul', ['h', 'half'], ['h_half'], name='half'),
        helper.make_node('Div', ['h', 'sqrt2'], ['h_scaled'], name='div'),
        helper.make_node('Erf', ['h_scaled'], ['e'], name='erf'),
        helper.make_node('Add', ['e', 'one'], ['e1'], name='plus_one'),
        helper.make_node('Mul', ['h_half', 'e1'], ['output'], name='mul'),
    ], {'W': w4, 'half': np.array(0.5, np.float32), 'sqrt2': np.array(np.sqrt(2), np.float32), 'one': np.array(1, np.float32)},
        [12], [6], x, gelu, 'GELU written as (x * 0.5) * (1 + erf(x / sqrt 2)), the x * 0.5 first')

    res = TinyResNet()
    warm_batchnorm(res, [1, 16, 16])
    export('resnet', res, [1, 16, 16], 'ResNet-style CNN: Conv, BatchNorm, Relu, MaxPool, residual Add, 1x1 projection, GlobalAveragePool, Flatten, Gemm', keep_batchnorm=True)
    export('unsupported-sin', Sin(), [4], 'Sin: not supported by the converter')


if __name__ == '__main__':
    main()
