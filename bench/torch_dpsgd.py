"""PyTorch peer for the DP-SGD row of bench/shadow.ts: DP-SGD on the same MLP and the same
records, printing one JSON line with its throughput.

Input: a JSON file (argv[1]) written by bench/shadow.ts:
  dataPath     raw float32 features (count x inputSize) followed by int32 labels (count)
  count, inputSize, hidden, classes, epochs, batchSize, learningRate, noiseMultiplier,
  clipNorm, seed, threads, method ("per-sample", the default, or "factorised")

Per-example gradients: functorch.vmap(grad(...)) when functorch imports (torch 1.13 ships
it), else the standard per-sample trick for Linear layers (forward hooks keep each
layer's input, backward hooks its output gradient; per-sample weight gradient =
outer(input_i, grad_i), computed with one einsum per layer). method "factorised" runs our
engine's trick in torch instead (per-example norms from ||a_i|| ||delta_i||, clipped sum
as one matmul per layer), to separate algorithm from implementation. Each step: Poisson sampling
with rate q = batchSize / count, clip each example's gradient to clipNorm, add
N(0, (noiseMultiplier * clipNorm)^2) to the sum, divide by the expected batch size, Adam.
Steps = ceil(epochs / q), as the accountant counts them. Timing covers training only.
"""
import json
import math
import resource
import sys
import time

import numpy as np
import torch

try:
    from functorch import grad, make_functional, vmap
    HAVE_FUNCTORCH = True
except ImportError:  # pragma: no cover - depends on the torch build
    HAVE_FUNCTORCH = False


def per_sample_functorch(model, x, y):
    fmodel, params = make_functional(model)

    def loss_one(p, xi, yi):
        out = fmodel(p, xi.unsqueeze(0))
        return torch.nn.functional.cross_entropy(out, yi.unsqueeze(0), reduction='sum')

    grads = vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    return list(grads)


def linear_activations(model, x, y):
    """One forward and backward pass on the summed loss; per Linear layer, the input it saw
    (a, [n, in]) and the gradient of the loss at its output (delta, [n, out])."""
    inputs, outputs = {}, {}
    handles = []
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for m in linears:
        handles.append(m.register_forward_hook(lambda mod, inp, out: inputs.__setitem__(mod, inp[0].detach())))
        handles.append(m.register_full_backward_hook(lambda mod, gin, gout: outputs.__setitem__(mod, gout[0].detach())))
    loss = torch.nn.functional.cross_entropy(model(x), y, reduction='sum')
    model.zero_grad()
    loss.backward()
    for h in handles:
        h.remove()
    return [(inputs[m], outputs[m]) for m in linears]


def per_sample_hooks(model, x, y):
    grads = []
    for a, d in linear_activations(model, x, y):
        grads.append(torch.einsum('ni,nj->nji', a, d))  # [n, out, in] like weight
        grads.append(d)
    return grads


def clipped_sums_factorised(model, x, y, clip):
    """Our engine's trick in torch: per-example norms ||a_i||^2 ||delta_i||^2 (+ bias
    ||delta_i||^2) and the clipped sum A^T diag(c) Delta, without per-example gradients."""
    layers = linear_activations(model, x, y)
    squared = sum(a.pow(2).sum(1).add(1) * d.pow(2).sum(1) for a, d in layers)
    factors = torch.clamp(clip / torch.clamp(torch.sqrt(squared), min=1e-12), max=1.0)
    sums = []
    for a, d in layers:
        scaled = d * factors.unsqueeze(1)
        sums.append(scaled.t() @ a)
        sums.append(scaled.sum(0))
    return sums


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(cfg['seed'])
    n, d = cfg['count'], cfg['inputSize']
    raw = np.fromfile(cfg['dataPath'], dtype=np.uint8)
    x_all = torch.from_numpy(raw[:4 * n * d].view(np.float32).reshape(n, d).copy())
    y_all = torch.from_numpy(raw[4 * n * d:4 * n * d + 4 * n].view(np.int32).astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(d, cfg['hidden']), torch.nn.ReLU(), torch.nn.Linear(cfg['hidden'], cfg['classes']))
    opt = torch.optim.Adam(model.parameters(), lr=cfg['learningRate'], eps=1e-7)
    q = min(1.0, cfg['batchSize'] / n)
    steps = max(1, math.ceil(cfg['epochs'] / q - 1e-9))
    sigma, clip = cfg['noiseMultiplier'], cfg['clipNorm']
    expected = q * n
    factorised = cfg.get('method') == 'factorised'
    per_sample = per_sample_functorch if HAVE_FUNCTORCH else per_sample_hooks
    gen = torch.Generator().manual_seed(cfg['seed'])

    samples = 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    for _ in range(steps):
        mask = torch.rand(n, generator=gen) < q
        idx = mask.nonzero().flatten()
        params = list(model.parameters())
        if len(idx) > 0 and factorised:
            sums = clipped_sums_factorised(model, x_all[idx], y_all[idx], clip)
        elif len(idx) > 0:
            grads = per_sample(model, x_all[idx], y_all[idx])
            norms = torch.sqrt(sum(g.reshape(len(idx), -1).pow(2).sum(1) for g in grads))
            factors = torch.clamp(clip / torch.clamp(norms, min=1e-12), max=1.0)
            sums = [torch.einsum('n,n...->...', factors, g) for g in grads]
        else:
            sums = [torch.zeros_like(p) for p in params]
        for p, s in zip(params, sums):
            p.grad = (s + torch.randn(s.shape, generator=gen) * sigma * clip) / expected
        opt.step()
        samples += len(idx)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        'samplesPerSecond': samples / seconds, 'seconds': seconds, 'samples': samples, 'steps': steps,
        'cpuSeconds': usage.ru_utime + usage.ru_stime - cpu_start, 'threads': cfg['threads'],
        'perSampleGradients': 'factorised norms (our trick, no per-example gradients)' if factorised
        else 'functorch.vmap' if HAVE_FUNCTORCH else 'linear-layer hooks (outer products)',
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
