#!/usr/bin/env python3
"""Backprop with NumPy, the way the textbooks write it, speaking backprop-spec/1.

Batched matrix form: Z = A @ W.T + b, one row per example.
  sigmoid      1 / (1 + exp(-z)),       sigma' = out * (1 - out)
  tanh         np.tanh(z),              tanh'  = 1 - out**2
  relu         max(z, 0),               relu'  = 1 where z > 0, else 0 (relu'(0) = 0)
  softmax      exp(z) / sum(exp(z))     (--shift subtracts the row's max first)
  binary cross-entropy and softmax cross-entropy from the probabilities with np.log (no clipping)

--dtype float32 makes every array float32 (so the matmuls run in float32 BLAS) and hello says
"precision": "float32". Default float64.

Reads one JSON request per line on stdin, writes one JSON reply per line on stdout (oracle/PROTOCOL.md).
Needs NumPy (Debian: apt-get install -y python3-numpy).
"""
import argparse
import json
import sys

import numpy as np

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax"]
LOSSES = ["half-sse", "half-mse", "binary-cross-entropy", "softmax-cross-entropy"]


class Unsupported(Exception):
    pass


class Backprop:
    def __init__(self, dtype, shift):
        self.dt = np.dtype(dtype)
        self.shift = shift

    # ---- reading the document -------------------------------------------------------------
    def load(self, net):
        dt = self.dt
        layers = []
        for spec in net["layers"]:
            if spec["activation"] not in ACTIVATIONS:
                raise Unsupported(f"activation '{spec['activation']}' is not implemented")
            kind = spec.get("bias", "none")
            W = np.array(spec["weights"], dtype=dt).reshape(spec["units"], -1)
            b = np.array(spec["biases"], dtype=dt) if kind != "none" else None
            layers.append({"W": W, "b": b, "kind": kind, "act": spec["activation"]})
        if net["loss"] not in LOSSES:
            raise Unsupported(f"loss '{net['loss']}' is not implemented")
        X = np.array(net["batch"]["inputs"], dtype=dt).reshape(-1, net["inputs"])
        T = np.array(net["batch"]["targets"], dtype=dt).reshape(X.shape[0], -1)
        lr = dt.type(net["learningRate"])
        return layers, X, T, net["loss"], lr

    # ---- activations ------------------------------------------------------------------------
    def activate(self, act, Z):
        one = self.dt.type(1)
        if act == "identity":
            return Z
        if act == "sigmoid":
            return one / (one + np.exp(-Z))
        if act == "tanh":
            return np.tanh(Z)
        if act == "relu":
            return np.maximum(Z, self.dt.type(0))
        if act == "softmax":
            if self.shift:
                Z = Z - Z.max(axis=1, keepdims=True)
            E = np.exp(Z)
            return E / E.sum(axis=1, keepdims=True)
        raise Unsupported(f"activation '{act}' is not implemented")

    def derivative(self, act, Z, A):
        one = self.dt.type(1)
        if act == "identity":
            return np.ones_like(Z)
        if act == "sigmoid":
            return A * (one - A)
        if act == "tanh":
            return one - A ** 2
        if act == "relu":
            return (Z > 0).astype(self.dt)
        raise ValueError(act)

    # ---- forward, loss, backward ------------------------------------------------------------
    def forward(self, layers, X):
        A = X
        cache = []
        for L in layers:
            Z = A @ L["W"].T
            if L["b"] is not None:
                Z = Z + L["b"]
            A_new = self.activate(L["act"], Z)
            cache.append((A, Z, A_new))
            A = A_new
        return A, cache

    def loss(self, loss, O, T):
        dt = self.dt.type
        m = dt(O.shape[0])
        if loss == "half-sse":
            return dt(0.5) * np.sum((T - O) ** 2)
        if loss == "half-mse":
            return dt(0.5) * np.sum((T - O) ** 2) / m
        if loss == "binary-cross-entropy":
            return -np.sum(T * np.log(O) + (dt(1) - T) * np.log(dt(1) - O)) / m
        if loss == "softmax-cross-entropy":
            return -np.sum(T * np.log(O)) / m
        raise Unsupported(f"loss '{loss}' is not implemented")

    def backward(self, layers, cache, loss, O, T):
        m = self.dt.type(O.shape[0])
        last = layers[-1]["act"]
        if loss in ("binary-cross-entropy", "softmax-cross-entropy"):
            delta = (O - T) / m
        else:
            G = O - T                      # dE/dO
            if loss == "half-mse":
                G = G / m
            if last == "softmax":
                delta = O * (G - np.sum(O * G, axis=1, keepdims=True))
            else:
                _, Z, A = cache[-1]
                delta = G * self.derivative(last, Z, A)
        grads = [None] * len(layers)
        for l in range(len(layers) - 1, -1, -1):
            A_prev = cache[l][0]
            dW = delta.T @ A_prev
            db = delta.sum(axis=0) if layers[l]["b"] is not None else None
            grads[l] = (dW, db)
            if l > 0:
                _, Z, A = cache[l - 1]
                delta = (delta @ layers[l]["W"]) * self.derivative(layers[l - 1]["act"], Z, A)
        return grads

    # ---- requests ----------------------------------------------------------------------------
    def handle(self, op, net):
        layers, X, T, loss, lr = self.load(net)
        O, cache = self.forward(layers, X)
        if op == "forward":
            E = self.loss(loss, O, T)
            return {"outputs": finite(O, "outputs"), "loss": finite(E, "loss")}
        grads = self.backward(layers, cache, loss, O, T)
        if op == "gradients":
            E = self.loss(loss, O, T)
            return {
                "outputs": finite(O, "outputs"),
                "loss": finite(E, "loss"),
                "gradients": [
                    {"weights": finite(dW, f"layers[{l}] weight gradients"),
                     "biases": None if db is None else finite(db, f"layers[{l}] bias gradients")}
                    for l, (dW, db) in enumerate(grads)
                ],
            }
        if op == "step":
            out = []
            for l, (L, (dW, db)) in enumerate(zip(layers, grads)):
                W = L["W"] - lr * dW
                if L["b"] is None:
                    b = None
                elif L["kind"] == "trainable":
                    b = finite(L["b"] - lr * db, f"layers[{l}] stepped biases")
                else:
                    b = finite(L["b"], f"layers[{l}] biases")
                out.append({"weights": finite(W, f"layers[{l}] stepped weights"), "biases": b})
            return {"layers": out}
        raise KeyError(op)


def finite(x, what):
    """The value as JSON-ready Python floats; a non-finite value cannot be written as JSON."""
    a = np.asarray(x)
    if not np.all(np.isfinite(a)):
        raise Unsupported(f"{what} not finite (overflow, ln 0 or 0/0 in {a.dtype})")
    return a.tolist()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--shift", action="store_true", help="subtract the row max before the softmax's exp")
    args = p.parse_args()
    np.seterr(all="ignore")  # overflow in exp etc.: the result is checked with finite() instead
    bp = Backprop(args.dtype, args.shift)
    name = f"numpy-{np.__version__}-{args.dtype}" + ("-shift" if args.shift else "")

    for line in sys.stdin:
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            op = req.get("op")
            if op == "hello":
                reply = {"ok": True, "implementation": name, "activations": ACTIVATIONS,
                         "losses": LOSSES, "precision": args.dtype}
            elif op in ("forward", "gradients", "step"):
                reply = {"ok": True, **bp.handle(op, req["network"])}
            else:
                reply = {"ok": False, "error": {"code": "bad-request", "message": f"unknown op {op!r}"}}
        except Unsupported as e:
            reply = {"ok": False, "error": {"code": "unsupported", "message": str(e)}}
        except (ValueError, KeyError, TypeError) as e:
            reply = {"ok": False, "error": {"code": "bad-request", "message": f"{type(e).__name__}: {e}"}}
        except Exception as e:  # noqa: BLE001
            reply = {"ok": False, "error": {"code": "internal", "message": f"{type(e).__name__}: {e}"}}
        reply = {"id": rid, **reply}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
