#!/usr/bin/env python3
"""Backpropagation the way the textbook writes it, speaking the BackpropSpec protocol.

    python3 examples/textbook/backprop.py                  (reads JSON requests on stdin, one per line)
    python3 examples/textbook/backprop.py --log-epsilon    (the cross-entropies as many tutorials write them:
                                                            ln(o + 1e-7), -t/(o + 1e-7); tf.losses.logLoss's form)

Written from oracle/PROTOCOL.md in the plainest style a student would use: Python 3 standard
library, float64, one example at a time, and the formulas exactly as they appear in the tutorials:

    sigmoid(net)  = 1 / (1 + exp(-net))          sigmoid'  = out * (1 - out)
    tanh(net)     = math.tanh(net)                tanh'     = 1 - out**2
    relu(net)     = max(0, net)                   relu'     = 1 if net > 0 else 0   (relu'(0) = 0)
    softmax(net)  = exp(net_k) / sum exp(net_j)   (no max shift)

    half-sse      E = sum 1/2 (t - o)^2                  dE/do = (o - t)
    half-mse      E = 1/m sum 1/2 (t - o)^2              dE/do = (o - t) / m
    binary-ce     E = -1/m sum [t ln o + (1-t) ln(1-o)]  dE/do = (o - t) / (o (1 - o)) / m
    softmax-ce    E = -1/m sum t ln o                    dE/do = -t / (o m)

and the output delta is always dE/do pushed through the activation by the chain rule (times
sigmoid', or through the softmax Jacobian o_j (g_j - sum_k g_k o_k)); nothing is fused.

This is correct mathematics with the usual numerical weaknesses: near saturation out*(1-out) and
1 - out**2 lose digits, exp() overflows, ln(0) and x/0 fail. Those failures are not hidden: any
exception becomes an `internal` error reply, and non-finite numbers are written as Python's json
writes them (NaN, Infinity), which is not JSON. That is deliberate: this program exists to show
the checker what a correct but textbook implementation answers.
"""

import json
import math
import sys

ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax"]
LOSSES = ["half-sse", "half-mse", "binary-cross-entropy", "softmax-cross-entropy"]


def sigmoid(x):
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:          # exp(-x) too big: x is very negative, sigmoid is 0
        return 0.0


def activate(activation, nets):
    if activation == "identity":
        return list(nets)
    if activation == "sigmoid":
        return [sigmoid(z) for z in nets]
    if activation == "tanh":
        return [math.tanh(z) for z in nets]
    if activation == "relu":
        return [z if z > 0 else 0.0 for z in nets]
    if activation == "softmax":
        exps = [math.exp(z) for z in nets]
        total = sum(exps)
        return [e / total for e in exps]
    raise ValueError("unknown activation " + str(activation))


def derivative(activation, net, out):
    """f'(net), written with the output as the textbooks do."""
    if activation == "identity":
        return 1.0
    if activation == "sigmoid":
        return out * (1.0 - out)
    if activation == "tanh":
        return 1.0 - out * out
    if activation == "relu":
        return 1.0 if net > 0 else 0.0
    raise ValueError("no elementwise derivative for " + str(activation))


def forward(layers, x):
    """Returns nets[l] and outs[l] of every layer for one example."""
    nets, outs = [], []
    a = x
    for layer in layers:
        z = []
        for j in range(len(layer["weights"])):
            s = 0.0
            for i in range(len(a)):
                s += layer["weights"][j][i] * a[i]
            if layer["biases"] is not None:
                s += layer["biases"][j]
            z.append(s)
        a = activate(layer["activation"], z)
        nets.append(z)
        outs.append(a)
    return nets, outs


# --log-epsilon: an epsilon inside the logarithms of the cross-entropies, and in their derivatives
EPS = 1e-7 if "--log-epsilon" in sys.argv[1:] else 0.0


def example_loss(loss, o, t):
    e = 0.0
    for k in range(len(o)):
        if loss in ("half-sse", "half-mse"):
            e += 0.5 * (t[k] - o[k]) ** 2
        elif loss == "binary-cross-entropy":
            e += -(t[k] * math.log(o[k] + EPS) + (1.0 - t[k]) * math.log(1.0 - o[k] + EPS))
        elif loss == "softmax-cross-entropy":
            e += -t[k] * math.log(o[k] + EPS)
    return e


def dE_dout(loss, o, t, m):
    """dE/do_k for one example, including the 1/m of the mean losses."""
    if loss == "half-sse":
        return [o[k] - t[k] for k in range(len(o))]
    if loss == "half-mse":
        return [(o[k] - t[k]) / m for k in range(len(o))]
    if loss == "binary-cross-entropy" and EPS:
        return [(-t[k] / (o[k] + EPS) + (1.0 - t[k]) / (1.0 - o[k] + EPS)) / m for k in range(len(o))]
    if loss == "binary-cross-entropy":
        return [(o[k] - t[k]) / (o[k] * (1.0 - o[k])) / m for k in range(len(o))]
    if loss == "softmax-cross-entropy":
        return [-t[k] / ((o[k] + EPS) * m) for k in range(len(o))]
    raise ValueError("unknown loss " + str(loss))


def delta_from_error(activation, net, out, error):
    """delta = dE/dnet from dE/dout: times f'(net), or the softmax Jacobian."""
    if activation == "softmax":
        s = 0.0
        for k in range(len(out)):
            s += error[k] * out[k]
        return [out[j] * (error[j] - s) for j in range(len(out))]
    return [error[j] * derivative(activation, net[j], out[j]) for j in range(len(out))]


def run(network, op):
    layers = []
    for layer in network["layers"]:
        bias = layer.get("bias", "none")
        layers.append({
            "activation": layer["activation"],
            "weights": [[float(w) for w in row] for row in layer["weights"]],
            "biases": None if bias == "none" else [float(b) for b in layer["biases"]],
            "bias": bias,
        })
    loss = network["loss"]
    xs = [[float(v) for v in row] for row in network["batch"]["inputs"]]
    ts = [[float(v) for v in row] for row in network["batch"]["targets"]]
    eta = float(network["learningRate"])
    m = len(xs)

    # gradient accumulators
    gW = [[[0.0] * len(row) for row in layer["weights"]] for layer in layers]
    gb = [None if layer["biases"] is None else [0.0] * len(layer["biases"]) for layer in layers]

    outputs = []
    E = 0.0
    for n in range(m):
        nets, outs = forward(layers, xs[n])
        o = outs[-1]
        outputs.append(o)
        E += example_loss(loss, o, ts[n])
        if op == "forward":
            continue

        # output layer
        L = len(layers)
        deltas = [None] * L
        deltas[L - 1] = delta_from_error(layers[L - 1]["activation"], nets[L - 1], o,
                                         dE_dout(loss, o, ts[n], m))
        # hidden layers, from the top down
        for l in range(L - 2, -1, -1):
            above = layers[l + 1]
            error = []
            for i in range(len(outs[l])):
                s = 0.0
                for j in range(len(above["weights"])):
                    s += above["weights"][j][i] * deltas[l + 1][j]
                error.append(s)
            deltas[l] = delta_from_error(layers[l]["activation"], nets[l], outs[l], error)

        # accumulate dE/dW and dE/db over the batch
        for l in range(L):
            below = xs[n] if l == 0 else outs[l - 1]
            for j in range(len(deltas[l])):
                for i in range(len(below)):
                    gW[l][j][i] += deltas[l][j] * below[i]
                if gb[l] is not None:
                    gb[l][j] += deltas[l][j]

    if loss != "half-sse":
        E = E / m

    if op == "forward":
        return {"ok": True, "outputs": outputs, "loss": E}
    if op == "gradients":
        return {"ok": True, "outputs": outputs, "loss": E,
                "gradients": [{"weights": gW[l], "biases": gb[l]} for l in range(len(layers))]}

    # step: every gradient above came from the original weights; now update them all
    new_layers = []
    for l, layer in enumerate(layers):
        W = [[layer["weights"][j][i] - eta * gW[l][j][i] for i in range(len(layer["weights"][j]))]
             for j in range(len(layer["weights"]))]
        b = layer["biases"]
        if layer["bias"] == "trainable":
            b = [b[j] - eta * gb[l][j] for j in range(len(b))]
        new_layers.append({"weights": W, "biases": b})
    return {"ok": True, "layers": new_layers}


def handle(request):
    op = request.get("op")
    if op == "hello":
        return {"ok": True, "implementation": "textbook-python" + ("-log-epsilon" if EPS else ""), "precision": "float64",
                "activations": ACTIVATIONS, "losses": LOSSES}
    if op in ("forward", "gradients", "step"):
        return run(request["network"], op)
    return {"ok": False, "error": {"code": "bad-request", "message": "unknown op " + str(op)}}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request_id = None
        try:
            request = json.loads(line)
            request_id = request.get("id")
            reply = handle(request)
        except Exception as e:   # OverflowError, ZeroDivisionError, ValueError from log(0), ...
            reply = {"ok": False, "error": {"code": "internal", "message": type(e).__name__ + ": " + str(e)}}
        print(json.dumps({"id": request_id, **reply}), flush=True)


if __name__ == "__main__":
    main()
