#!/usr/bin/env python3
"""torch's side of the verification benchmark: torch.autograd.gradcheck (one finite difference
per parameter, compared entry by entry with autograd) and its fast_mode (one random direction
vᵀJu) on the same random MLPs the BackpropSpec benchmark verifies: sigmoid hidden layers, an
identity output, ½·mean squared error, float64, one thread.

    /usr/bin/python3 benchmarks/torch/gradcheck_bench.py [--shapes 2-2-2,10-32-32-10,784-128-10] [--seconds 2]

Needs Debian's python3-torch (apt-get install -y python3-torch). Prints one JSON object per shape:
{"shape", "batch", "parameters", "gradcheck_per_s", "fast_mode_per_s"}; gradcheck_per_s is null above
--full-up-to parameters (one per-parameter gradcheck of 784-128-10 takes minutes). A verification is
gradcheck returning True on the network's whole parameter vector; the time per verification is
the mean over as many as fit in --seconds (at least one).
"""

import argparse
import json
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(20261123)


def mlp(shape, batch):
    """Weights scaled by 1/sqrt(fan-in), biases in [-0.5, 0.5], inputs and targets in [0, 1]."""
    params = []
    for fan_in, units in zip(shape[:-1], shape[1:]):
        w = (torch.rand(units, fan_in, dtype=torch.float64) * 2 - 1) / fan_in ** 0.5
        b = torch.rand(units, dtype=torch.float64) - 0.5
        params += [w, b]
    x = torch.rand(batch, shape[0], dtype=torch.float64)
    t = torch.rand(batch, shape[-1], dtype=torch.float64)
    return params, x, t


def loss_of(x, t, count):
    """E = (1/m)·Σ ½(t − o)² as a function of the flat parameter vector."""
    def loss(flat):
        a, k = x, 0
        for layer in range(count):
            w, b = flat[layer]
            a = a @ w.T + b
            if layer < count - 1:
                a = torch.sigmoid(a)
        return (0.5 * (t - a) ** 2).sum() / x.shape[0]
    return loss


def rate(fn, seconds):
    fn()                                  # warm up
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shapes", default="2-2-2,10-32-32-10,784-128-10")
    p.add_argument("--batch", default="4,4,32", help="batch size per shape")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--full-up-to", type=int, default=20000,
                   help="run the per-parameter gradcheck only up to this many parameters (784-128-10 would take minutes per call); null above")
    args = p.parse_args()
    shapes = [[int(u) for u in s.split("-")] for s in args.shapes.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    for shape, batch in zip(shapes, batches):
        params, x, t = mlp(shape, batch)
        count = len(shape) - 1
        flat = [p.clone().requires_grad_(True) for p in params]
        pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(count)]
        f = loss_of(x, t, count)

        def g(*ps):
            return f([(ps[2 * i], ps[2 * i + 1]) for i in range(count)])

        parameters = sum(p.numel() for p in params)
        full = (rate(lambda: torch.autograd.gradcheck(g, tuple(flat), eps=1e-6, atol=1e-5, rtol=1e-3), args.seconds)
                if parameters <= args.full_up_to else None)
        fast = rate(lambda: torch.autograd.gradcheck(g, tuple(flat), eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True), args.seconds)
        print(json.dumps({"shape": "-".join(map(str, shape)), "batch": batch, "parameters": parameters,
                          "gradcheck_per_s": None if full is None else round(full, 3), "fast_mode_per_s": round(fast, 3)}), flush=True)


if __name__ == "__main__":
    main()
