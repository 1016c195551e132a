"""PyTorch peer for bench/shadow-cnn.ts: trains the same convolutional shadow-model
workload and prints one JSON line with its throughput.

Input: a JSON file (argv[1]) written by bench/shadow-cnn.ts:
  imagesPath, labelsPath   gzipped IDX files (Fashion-MNIST), pixels scaled by 1/255
  auditIndices             records every shadow is scored on (identity query)
  populationIndices        population records, also scored
  trainingSets             per shadow, the training-record indices (same sets as ours)
  epochs, batchSize, learningRate, beta1, beta2, epsilon, classes, seed, threads

The network is bench/kernels.ts's CNN in PyTorch's NCHW layout: conv3x3x16 (padding 1,
ReLU), max pool 2, conv3x3x32 (padding 1, ReLU), max pool 2, flatten, linear 10.
Timing covers training and scoring of all shadows (not interpreter start, import or
data loading); cpuSeconds is the process's CPU time over the same span. With
"waitForGo", the script prints "ready" after loading and starts timing when a line
arrives on stdin, so that one process per core starts together.
"""
import gzip
import json
import resource
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def network(classes):
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 7 * 7, classes),
    )


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    images = read_idx(cfg["imagesPath"]).reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    labels = read_idx(cfg["labelsPath"]).astype(np.int64)
    x_all = torch.from_numpy(images)
    y_all = torch.from_numpy(labels)
    scored = torch.as_tensor(cfg["auditIndices"] + cfg["populationIndices"], dtype=torch.long)
    x_scored = x_all[scored]
    batch = cfg["batchSize"]
    if cfg.get("waitForGo"):
        # Several of these run side by side (one per core): start the clock together.
        print("ready", flush=True)
        sys.stdin.readline()

    samples = 0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_start = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    for members in cfg["trainingSets"]:
        idx = torch.as_tensor(members, dtype=torch.long)
        x, y = x_all[idx], y_all[idx]
        model = network(cfg["classes"])
        opt = torch.optim.Adam(model.parameters(), lr=cfg["learningRate"],
                               betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["epsilon"])
        for _ in range(cfg["epochs"]):
            order = torch.randperm(len(idx))
            for i in range(0, len(idx), batch):
                b = order[i:i + batch]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(model(x[b]), y[b])
                loss.backward()
                opt.step()
                samples += len(b)
        with torch.no_grad():
            for i in range(0, len(x_scored), 1024):
                torch.softmax(model(x_scored[i:i + 1024]), dim=1)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = usage.ru_utime + usage.ru_stime - cpu_start
    print(json.dumps({
        "samplesPerSecond": samples / seconds,
        "seconds": seconds,
        "cpuSeconds": cpu_seconds,
        "samples": samples,
        "threads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
