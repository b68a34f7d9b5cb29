#!/usr/bin/python3
"""A BackpropSpec protocol adapter for PyTorch: gradients from torch.autograd (loss.backward()).

    apt-get update && apt-get install -y python3-torch        (Debian's PyTorch, 1.13.1 on bookworm)
    /usr/bin/python3 examples/torch/backprop.py [--dtype float64|float32] [--probs]

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout. The network is
built from torch ops in the chosen dtype (float64 by default; hello says which as "precision"), the
loss is the idiomatic torch one, and every gradient comes from loss.backward(); there is no
hand-written backward pass. One thread (torch.set_num_threads(1)): the machine is shared and the
networks are tiny.

Losses, each reduced exactly as oracle/PROTOCOL.md defines it:
    half-sse               0.5 * ((o - t)**2).sum()
    half-mse               0.5 * ((o - t)**2).sum() / m
    binary-cross-entropy   F.binary_cross_entropy_with_logits(z, t, reduction="sum") / m
    softmax-cross-entropy  F.cross_entropy(z, t, reduction="sum") / m   (probability targets)
where z are the output layer's logits (its net), so no ln 0 and no division by o(1 - o).
With --probs, the cross-entropies from the probabilities o, as many models write them (nn.Sigmoid then
nn.BCELoss):
    binary-cross-entropy   F.binary_cross_entropy(o, t, reduction="sum") / m   (clamps ln o at -100 and
                           divides its derivative by max(o(1 - o), 1e-12): check reports what that
                           moves as accuracy findings, probability-clamp)
    softmax-cross-entropy  -(t * torch.log(o)).sum() / m

relu'(0): torch's relu backward passes the gradient only where the output is > 0, so relu'(0) = 0
as PROTOCOL.md asks (the self-test checks it on networks with a relu unit at net = 0 exactly).
Step: W - eta * dE/dW from the original weights, trainable biases likewise, frozen biases keep
their value (their gradient is still reported).
Non-finite numbers are written as Python's json writes them (NaN, Infinity).
"""

import argparse
import json
import sys

import torch
import torch.nn.functional as F

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax"]
LOSSES = ["half-sse", "half-mse", "binary-cross-entropy", "softmax-cross-entropy"]
PROBS = False   # --probs: the cross-entropies from the probabilities
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def activate(activation, z):
    if activation == "identity":
        return z
    if activation == "sigmoid":
        return torch.sigmoid(z)
    if activation == "tanh":
        return torch.tanh(z)
    if activation == "relu":
        return torch.relu(z)
    if activation == "softmax":
        return torch.softmax(z, dim=1)       # one row per example
    raise ValueError(f"unknown activation {activation!r}")


class Adapter:
    def __init__(self, dtype_name):
        self.dtype_name = dtype_name
        self.dtype = DTYPES[dtype_name]

    def tensor(self, values, grad=False):
        return torch.tensor(values, dtype=self.dtype, requires_grad=grad)

    def read(self, doc):
        layers = []
        for raw in doc["layers"]:
            bias = raw.get("bias", "none")
            layers.append({
                "activation": raw["activation"],
                "bias": bias,
                "W": self.tensor(raw["weights"], grad=True),              # [units, fan-in]
                "b": None if bias == "none" else self.tensor(raw["biases"], grad=True),
            })
        X = self.tensor(doc["batch"]["inputs"])                           # [m, inputs]
        T = self.tensor(doc["batch"]["targets"])                          # [m, outputs]
        eta = self.tensor(doc["learningRate"])
        return layers, doc["loss"], X, T, eta

    def forward(self, layers, X):
        a, z = X, None
        for layer in layers:
            z = a @ layer["W"].T
            if layer["b"] is not None:
                z = z + layer["b"]
            a = activate(layer["activation"], z)
        return a, z

    def loss(self, kind, o, z, T):
        m = T.shape[0]
        if kind == "half-sse":
            return 0.5 * ((o - T) ** 2).sum()
        if kind == "half-mse":
            return 0.5 * ((o - T) ** 2).sum() / m
        if kind == "binary-cross-entropy":
            if PROBS:
                return F.binary_cross_entropy(o, T, reduction="sum") / m
            return F.binary_cross_entropy_with_logits(z, T, reduction="sum") / m
        if kind == "softmax-cross-entropy":
            if PROBS:
                return -(T * torch.log(o)).sum() / m
            return F.cross_entropy(z, T, reduction="sum") / m
        raise ValueError(f"unknown loss {kind!r}")

    def handle(self, request):
        op = request.get("op")
        if op == "hello":
            return {"ok": True, "implementation": f"torch-{torch.__version__}-{self.dtype_name}{'-probs' if PROBS else ''}",
                    "precision": self.dtype_name, "activations": ACTIVATIONS, "losses": LOSSES}
        if op not in ("forward", "gradients", "step"):
            return {"ok": False, "error": {"code": "bad-request", "message": f"unknown op {op!r}"}}
        layers, kind, X, T, eta = self.read(request["network"])
        o, z = self.forward(layers, X)
        E = self.loss(kind, o, z, T)
        if op == "forward":
            return {"ok": True, "outputs": o.tolist(), "loss": E.item()}
        E.backward()
        if op == "gradients":
            return {"ok": True, "outputs": o.tolist(), "loss": E.item(),
                    "gradients": [{"weights": layer["W"].grad.tolist(),
                                   "biases": None if layer["b"] is None else layer["b"].grad.tolist()}
                                  for layer in layers]}
        # step: all gradients are from the original weights; update them all at once
        result = []
        with torch.no_grad():
            for layer in layers:
                W = layer["W"] - eta * layer["W"].grad
                b = layer["b"]
                if layer["bias"] == "trainable":
                    b = b - eta * b.grad
                result.append({"weights": W.tolist(), "biases": None if b is None else b.tolist()})
        return {"ok": True, "layers": result}


def main():
    parser = argparse.ArgumentParser(description="BackpropSpec adapter for PyTorch")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float64")
    parser.add_argument("--probs", action="store_true", help="cross-entropies from the probabilities (nn.BCELoss, -(t*log(o)).sum())")
    args = parser.parse_args()
    global PROBS
    PROBS = args.probs
    torch.set_num_threads(1)
    adapter = Adapter(args.dtype)
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            reply = adapter.handle(request)
        except Exception as e:  # a network torch cannot take, or a bug here: report it, don't crash
            reply = {"ok": False, "error": {"code": "internal", "message": f"{type(e).__name__}: {e}"}}
        print(json.dumps({"id": request_id, **reply}), flush=True)


if __name__ == "__main__":
    main()
