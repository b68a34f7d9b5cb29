#!/usr/bin/env python3
"""Self-test of the example implementations (standard library only).

    python3 examples/selftest.py [--seed N] [--count N]

(a) the 2-2-2 network of oracle/PROTOCOL.md through the Python and Node implementations;
(b) random small networks: Python and Node agree to 1e-12 relative, and the Python gradients agree
    with central finite differences of the Python loss; step = W - eta*grad, frozen biases kept;
(c) every zoo bug differs from the correct implementation on at least one random network, and
    leaves the forward op alone;
(d) the other correct programs (textbook Python, float32 Node, and the TensorFlow.js and PyTorch
    adapters when they are installed) on the 2-2-2 network and a handful of the random networks,
    against the Python implementation within each one's precision;
(e) the Node bug zoo: its base agrees with the Python implementation, and every bug differs from
    the base on at least one random network while leaving alone what its class leaves alone.
Exits 0 when everything passes, 1 otherwise.
"""

import argparse
import json
import math
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in the examples tree
sys.path.insert(0, os.path.join(HERE, "python"))
sys.path.insert(0, os.path.join(HERE, "zoo"))

import backprop  # noqa: E402
import zoo  # noqa: E402

PYTHON = [sys.executable, os.path.join(HERE, "python", "backprop.py")]
NODE = ["node", os.path.join(HERE, "node", "backprop.js")]
ZOO = [sys.executable, os.path.join(HERE, "zoo", "zoo.py")]
TEXTBOOK = [sys.executable, os.path.join(HERE, "textbook", "backprop.py")]
FLOAT32 = ["node", os.path.join(HERE, "float32", "backprop.js")]
TFJS = ["node", os.path.join(HERE, "tfjs", "backprop.js")]
TORCH = ["/usr/bin/python3", os.path.join(HERE, "torch", "backprop.py")]   # Debian's python3-torch
ZOO_NODE = ["node", os.path.join(HERE, "zoo-node", "zoo.js")]

failures = []


def fail(message):
    failures.append(message)
    if len(failures) <= 30:
        print("FAIL: " + message)


# ---------------------------------------------------------------------------------------------
# Talking to an implementation
# ---------------------------------------------------------------------------------------------

class Process:
    """One implementation process; request() sends a line and reads the reply line."""

    def __init__(self, command):
        self.command = command
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.next_id = 1

    def send(self, op, network=None):
        """Writes one request; returns its id, for receive()."""
        request = {"protocol": "backprop-spec/1", "id": self.next_id, "op": op}
        if network is not None:
            request["network"] = network
        self.next_id += 1
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return request["id"]

    def receive(self, request_id):
        """Reads the reply to the request with that id."""
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{' '.join(self.command)} closed its output; stderr:\n{self.proc.stderr.read()}")
        reply = json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"non-finite {c}")))
        if reply.get("id") != request_id:
            raise RuntimeError(f"{' '.join(self.command)}: reply id {reply.get('id')} for request {request_id}")
        return reply

    def request(self, op, network=None):
        return self.receive(self.send(op, network))

    def close(self):
        self.proc.stdin.close()
        code = self.proc.wait(timeout=10)
        if code != 0:
            fail(f"{' '.join(self.command)} exited with {code} at EOF")


# ---------------------------------------------------------------------------------------------
# Comparing numbers
# ---------------------------------------------------------------------------------------------

def flatten(value, path="", out=None):
    """[(path, number)] of every number in a reply body (ids, flags and names left out)."""
    if out is None:
        out = []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        out.append((path, float(value)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            flatten(v, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for k in sorted(value):
            if k not in ("id", "ok", "implementation"):
                flatten(value[k], f"{path}.{k}" if path else k, out)
    elif value is None:
        out.append((path, None))
    return out


def first_difference(a, b, rel):
    """None when replies a and b have the same shape and numbers within rel; else a description."""
    fa, fb = flatten(a), flatten(b)
    if [p for p, _ in fa] != [p for p, _ in fb]:
        return f"different shapes: {json.dumps(a)[:300]} vs {json.dumps(b)[:300]}"
    for (path, x), (_, y) in zip(fa, fb):
        if (x is None) != (y is None):
            return f"{path}: {x} vs {y}"
        if x is not None and abs(x - y) > rel * max(abs(x), abs(y)):
            return f"{path}: {x!r} vs {y!r}"
    return None


def array_of(path):
    """The array a number belongs to: its path without the trailing indices
    ("gradients[1].weights[0][2]" -> "gradients[1].weights", "outputs[3][0]" -> "outputs")."""
    return re.sub(r"(\[\d+\])+$", "", path)


def first_difference_normwise(a, b, rel):
    """None when a and b have the same shape and |x - y| <= rel * (|y| + S) for every number, S the
    largest |y| in the same array (the outputs, the loss, one layer's weight or bias gradients, one
    layer's weights or biases after the step) but at least 1; else a description. The S term is
    there because an entry that is a cancellation of larger terms (a gradient summed over a batch,
    say) is only accurate relative to the size of those terms: a float32 implementation gets such
    an entry right to about 1e-7 * S, not to 1e-7 of its own tiny value. S is at least 1 because
    the random networks' numbers are of order 1 (weights within 1.5, inputs and targets within 1),
    so a whole array can cancel to nearly 0 (a grid network's gradient of 3e-18 that float32
    gives as 2e-8) while its terms are of order 1."""
    fa, fb = flatten(a), flatten(b)
    if [p for p, _ in fa] != [p for p, _ in fb]:
        return f"different shapes: {json.dumps(a)[:300]} vs {json.dumps(b)[:300]}"
    scale = {}
    for path, y in fb:
        if y is not None:
            scale[array_of(path)] = max(scale.get(array_of(path), 1.0), abs(y))
    for (path, x), (_, y) in zip(fa, fb):
        if (x is None) != (y is None):
            return f"{path}: {x} vs {y}"
        if x is not None and not abs(x - y) <= rel * (abs(y) + scale[array_of(path)]):
            return f"{path}: {x!r} vs {y!r} (tolerance {rel} x (|y| + {scale[array_of(path)]:.3g}))"
    return None


def first_difference_in(fa, fb, prefixes):
    """None when every number of two flattened replies (dicts path -> number) under one of the path
    prefixes is exactly equal ("" is the whole reply; "gradients[1]" is layer 1's gradients); else
    a description."""
    def under(path):
        return any(p == "" or path == p or path.startswith(p + "[") or path.startswith(p + ".")
                   for p in prefixes)
    for path in sorted(set(fa) | set(fb)):
        if under(path) and (path not in fa or path not in fb or fa[path] != fb[path]):
            return f"{path}: {fa.get(path, 'missing')!r} vs {fb.get(path, 'missing')!r}"
    return None


# ---------------------------------------------------------------------------------------------
# (a) The 2-2-2 network of PROTOCOL.md
# ---------------------------------------------------------------------------------------------

MAZUR = {
    "format": "backprop-spec/network@1",
    "name": "002-mazur-2-2-2",
    "inputs": 2,
    "layers": [
        {"units": 2, "activation": "sigmoid", "weights": [[0.15, 0.20], [0.25, 0.30]],
         "biases": [0.35, 0.35], "bias": "frozen"},
        {"units": 2, "activation": "sigmoid", "weights": [[0.40, 0.45], [0.50, 0.55]],
         "biases": [0.60, 0.60], "bias": "frozen"},
    ],
    "loss": "half-sse",
    "learningRate": 0.5,
    "batch": {"inputs": [[0.05, 0.10]], "targets": [[0.01, 0.99]]},
}


def close_to(x, expected, rel=1e-12):
    return isinstance(x, (int, float)) and abs(x - expected) <= rel * abs(expected)


def float32(x):
    """x rounded to the nearest float32, as a Python float."""
    return struct.unpack("f", struct.pack("f", x))[0]


def check_mazur(proc, label, rel=1e-12, precision=None):
    """The 2-2-2 network's outputs, loss, dE/dW[1][0][0] and frozen biases, within rel.
    precision: what hello must declare (None: nothing, i.e. the float64 default); a float32
    implementation returns its frozen biases as the float32 value it read."""
    hello = proc.request("hello")
    if not hello.get("ok") or sorted(hello.get("losses", [])) != sorted(backprop.LOSSES):
        fail(f"{label}: hello {hello}")
    if hello.get("precision") != precision:
        fail(f"{label}: hello says precision {hello.get('precision')!r}, expected {precision!r}")
    fwd = proc.request("forward", MAZUR)
    grads = proc.request("gradients", MAZUR)
    for reply in (fwd, grads):
        o = reply.get("outputs", [[None, None]])[0]
        if not (close_to(o[0], 0.7513650695523157, rel) and close_to(o[1], 0.7729284653214625, rel)):
            fail(f"{label}: 2-2-2 outputs {o}")
        if not close_to(reply.get("loss"), 0.2983711087600027, rel):
            fail(f"{label}: 2-2-2 loss {reply.get('loss')}")
    try:
        g = grads["gradients"][1]["weights"][0][0]
    except (KeyError, IndexError, TypeError):
        g = None
    if not close_to(g, 0.08216704056423077, rel):
        fail(f"{label}: 2-2-2 dE/dW[1][0][0] = {g}")
    step = proc.request("step", MAZUR)
    frozen = [float32(0.35)] * 2 if precision == "float32" else [0.35, 0.35]
    if step.get("layers", [{}])[0].get("biases") != frozen:
        fail(f"{label}: frozen biases moved in step: {step}")


# ---------------------------------------------------------------------------------------------
# (b) Random networks
# ---------------------------------------------------------------------------------------------

def random_network(rng, index):
    """A small random network. Every third one is on a coarse grid (weights and inputs in steps of
    1/2, often 0), so relu units sit exactly at net = 0 and the relu'(0) convention matters."""
    grid = index % 3 == 2

    def value(scale):
        if grid:
            return rng.choice([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0])
        return rng.uniform(-scale, scale)

    n_inputs = rng.randint(1, 3)
    n_layers = rng.randint(1, 3)
    loss = rng.choice(backprop.LOSSES)
    layers = []
    fan_in = n_inputs
    for l in range(n_layers):
        last = l == n_layers - 1
        if last and loss == "binary-cross-entropy":
            activation = "sigmoid"
        elif last and loss == "softmax-cross-entropy":
            activation = "softmax"
        elif last:
            activation = rng.choice(backprop.ACTIVATIONS)
        else:
            activation = rng.choice(["identity", "sigmoid", "tanh", "relu", "relu"])
        units = rng.randint(2, 4) if activation == "softmax" else rng.randint(1, 3)
        layer = {"units": units, "activation": activation,
                 "weights": [[value(1.5) for _ in range(fan_in)] for _ in range(units)],
                 "bias": rng.choice(backprop.BIAS_MODES)}
        if layer["bias"] != "none":
            layer["biases"] = [value(1.0) for _ in range(units)]
        layers.append(layer)
        fan_in = units
    m = rng.randint(1, 4)
    inputs = [[rng.choice([-1.0, 0.0, 1.0]) if grid else rng.uniform(-1, 1) for _ in range(n_inputs)]
              for _ in range(m)]
    targets = []
    for _ in range(m):
        if loss == "softmax-cross-entropy":
            raw = [rng.random() for _ in range(fan_in)]
            targets.append([r / sum(raw) for r in raw])
        elif loss == "binary-cross-entropy" or layers[-1]["activation"] in ("sigmoid", "softmax"):
            targets.append([rng.choice([0.0, 1.0, rng.random()]) for _ in range(fan_in)])
        else:
            targets.append([rng.uniform(-1, 1) for _ in range(fan_in)])
    return {"format": "backprop-spec/network@1", "name": f"random-{index}", "inputs": n_inputs,
            "layers": layers, "loss": loss, "learningRate": rng.choice([0.1, 0.5, 1.0, rng.uniform(0, 2)]),
            "batch": {"inputs": inputs, "targets": targets}}


def near_relu_kink(net, impl):
    """True when some relu unit has |net| < 1e-4: finite differences straddle the kink there."""
    for nets, _ in impl.forward(net):
        for l, layer in enumerate(net["layers"]):
            if layer["activation"] == "relu" and any(abs(z) < 1e-4 for z in nets[l]):
                return True
    return False


def check_finite_differences(doc, reply, label):
    """Central differences (h = 1e-6) of the Python loss against the reported gradients."""
    impl = backprop.Backprop()
    net = backprop.parse_network(doc)
    if near_relu_kink(net, impl):
        return False
    h = 1e-6

    def loss_at(kind, l, j, i, delta):
        old = net["layers"][l][kind][j] if kind == "biases" else net["layers"][l][kind][j][i]
        if kind == "biases":
            net["layers"][l][kind][j] = old + delta
        else:
            net["layers"][l][kind][j][i] = old + delta
        value = impl.loss(net, impl.forward(net))
        if kind == "biases":
            net["layers"][l][kind][j] = old
        else:
            net["layers"][l][kind][j][i] = old
        return value

    for l, layer in enumerate(net["layers"]):
        g = reply["gradients"][l]
        params = [("weights", j, i, g["weights"][j][i])
                  for j in range(layer["units"]) for i in range(len(layer["weights"][j]))]
        if layer["bias"] != "none":
            params += [("biases", j, None, g["biases"][j]) for j in range(layer["units"])]
        elif g["biases"] is not None:
            fail(f"{label}: layer {l} has no bias but reports bias gradients")
        for kind, j, i, analytic in params:
            fd = (loss_at(kind, l, j, i, h) - loss_at(kind, l, j, i, -h)) / (2 * h)
            if abs(fd - analytic) > 1e-5 + 1e-5 * abs(analytic):
                fail(f"{label}: dE/d{kind}[{l}][{j}]{'' if i is None else f'[{i}]'} = {analytic!r}, "
                     f"finite differences {fd!r}")
    return True


def check_step(doc, grads_reply, step_reply, label):
    """step = W - eta*dE/dW (trainable biases likewise); frozen biases unchanged; none -> null."""
    eta = doc["learningRate"]
    for l, layer in enumerate(doc["layers"]):
        got, g = step_reply["layers"][l], grads_reply["gradients"][l]
        want_w = [[w - eta * g["weights"][j][i] for i, w in enumerate(row)] for j, row in enumerate(layer["weights"])]
        if layer["bias"] == "none":
            want_b = None
        elif layer["bias"] == "frozen":
            want_b = layer["biases"]
        else:
            want_b = [b - eta * g["biases"][j] for j, b in enumerate(layer["biases"])]
        problem = first_difference({"w": got["weights"], "b": got["biases"]}, {"w": want_w, "b": want_b}, 1e-12)
        if problem:
            fail(f"{label}: step layer {l}: {problem}")


# ---------------------------------------------------------------------------------------------
# (d) The other correct programs, within their precision
# ---------------------------------------------------------------------------------------------

# How many of the random networks (d) uses: the first ones, every third on the coarse grid so relu
# units sit at net = 0 exactly (grid values are exact in float32 too, so the kink stays put).
HANDFUL = 30


def torch_installed():
    """True when Debian's python3-torch is importable by /usr/bin/python3 (checked without importing it)."""
    if not os.path.exists(TORCH[0]):
        return False
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"
    return subprocess.run([TORCH[0], "-c", probe], capture_output=True).returncode == 0


def other_correct_programs():
    """(label, command, precision declared in hello, tolerance on the 2-2-2 network, tolerance on the
    random networks) for every program that is present; a note for each one that is not.

    Tolerances (relative, normwise as first_difference_normwise defines it) and why:
      textbook-python, torch float64: 1e-9. Correct float64, but with textbook derivatives
        (sigma' = out(1 - out), tanh' = 1 - out^2), which lose about e^|net| * 1e-16 relative near
        saturation, and (textbook) un-fused cross-entropy deltas and softmax without the max shift.
        Away from saturation (these networks keep |net| below about 4) that stays far below 1e-9;
        in practice they agree to about 1e-14.
      float32-node, tfjs, torch float32: 1e-4. Every input, weight and intermediate result is
        rounded to float32 (relative 6e-8 each); through a few layers and a batch sum that grows
        to about 1e-6 on these benign networks (seen: up to 4e-6), so 1e-4 leaves room without
        letting a real bug through (the bugs change gradients by tens of percent or more).
      On the 2-2-2 network: 1e-12 for float64, 1e-6 for float32 (its numbers are all near 1)."""
    programs = [("textbook-python", TEXTBOOK, "float64", 1e-12, 1e-9),
                ("float32-node", FLOAT32, "float32", 1e-6, 1e-4)]
    notes = []
    if os.path.isdir(os.path.join(HERE, "tfjs", "node_modules", "@tensorflow", "tfjs")):
        programs.append(("tfjs", TFJS, "float32", 1e-6, 1e-4))
    else:
        notes.append("tfjs adapter skipped: not installed (cd examples/tfjs && npm ci)")
    if torch_installed():
        programs.append(("torch float64", TORCH + ["--dtype", "float64"], "float64", 1e-12, 1e-9))
        programs.append(("torch float32", TORCH + ["--dtype", "float32"], "float32", 1e-6, 1e-4))
    else:
        notes.append("torch adapter skipped: python3-torch not installed (apt-get install -y python3-torch)")
    return programs, notes


def relu_at_kink(doc):
    """True when some relu unit has net exactly 0 on some example (relu'(0) = 0 decides its gradient)."""
    impl = backprop.Backprop()
    net = backprop.parse_network(doc)
    for nets, _ in impl.forward(net):
        for l, layer in enumerate(net["layers"]):
            if layer["activation"] == "relu" and any(z == 0.0 for z in nets[l]):
                return True
    return False


def check_other_correct(procs, networks, correct):
    """Each program on the 2-2-2 network and on the first HANDFUL random networks, against Python."""
    for label, proc, precision, rel_mazur, rel in procs:
        check_mazur(proc, label, rel_mazur, precision)
        compared = kinks = 0
        for k, doc in enumerate(networks[:HANDFUL]):
            if correct[k] is None:
                continue
            for op, want in zip(("forward", "gradients", "step"), correct[k]):
                got = proc.request(op, doc)
                if not got.get("ok"):
                    fail(f"{label}: network {k} {op}: {got.get('error')}")
                    continue
                problem = first_difference_normwise(got, want, rel)
                if problem:
                    fail(f"{label}: network {k} {op} vs python: {problem}")
            compared += 1
            kinks += relu_at_kink(doc)
        print(f"    {label:16s} 2-2-2 and {compared} random networks ({kinks} with a relu at net = 0) "
              f"within {rel:g}")


# ---------------------------------------------------------------------------------------------
# (e) The Node bug zoo
# ---------------------------------------------------------------------------------------------

ZOO_NODE_NETWORKS = 60
STEP_BUGS = {"frozen-bias-moved", "step-climbs", "learning-rate-ignored"}
PROPAGATION_BUGS = {"transposed-weights", "propagation-without-weights", "propagates-before-derivative",
                    "sigmoid-derivative-everywhere"}


def zoo_node_names():
    listing = subprocess.run(ZOO_NODE + ["--list"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if listing.returncode != 0:
        fail(f"zoo-node --list: exit {listing.returncode}, stderr {listing.stderr!r}")
        return []
    return listing.stdout.split()


def zoo_node_untouched(name, doc):
    """[(op, path prefix)]: the parts of the replies that bug `name` must leave exactly as its base
    answers them on the network doc ("" is the whole reply)."""
    layers, loss = doc["layers"], doc["loss"]
    L, m = len(layers), len(doc["batch"]["inputs"])
    activations = {layer["activation"] for layer in layers}
    biases = [layer.get("bias", "none") for layer in layers]
    cross_entropy = loss in ("binary-cross-entropy", "softmax-cross-entropy")
    unaffected = {    # networks on which the class changes nothing at all
        "missing-1-over-m": loss == "half-sse",
        "gradient-factor-two": cross_entropy,
        "extra-1-over-m": loss != "half-sse",
        "missing-output-derivative": cross_entropy,
        "cross-entropy-derivative-twice": loss != "binary-cross-entropy",
        "mean-over-outputs-too": loss != "half-mse",
        "relu-derivative-one-at-zero": "relu" not in activations,
        "derivative-of-output": not activations & {"sigmoid", "tanh"},
        "missing-activation-derivative": L == 1 and cross_entropy,
        "uses-net-not-out": L == 1,
        "bias-not-summed": m == 1 or set(biases) == {"none"},
        "gradient-not-accumulated": m == 1,
        "bias-gradient-zero": set(biases) == {"none"},
        "frozen-bias-moved": "frozen" not in biases,
    }.get(name, name in PROPAGATION_BUGS and L == 1)
    if unaffected:
        return [("forward", ""), ("gradients", ""), ("step", "")]
    parts = [("forward", "outputs"), ("gradients", "outputs")]
    if name != "mean-over-outputs-too":                     # the only class that changes the loss value
        parts += [("forward", "loss"), ("gradients", "loss")]
    if name in STEP_BUGS:
        parts.append(("gradients", ""))
        if name == "frozen-bias-moved":
            parts += [("step", f"layers[{l}].weights") for l in range(L)]
            parts += [("step", f"layers[{l}].biases") for l in range(L) if biases[l] != "frozen"]
        return parts
    gradient_parts = []
    if name == "missing-activation-derivative":
        gradient_parts = [f"gradients[{l}]" for l in range(1, L)]
    elif name in PROPAGATION_BUGS:
        gradient_parts = [f"gradients[{L - 1}]"]             # only what is sent down is wrong
    elif name == "uses-net-not-out":
        gradient_parts = ["gradients[0]"] + [f"gradients[{l}].biases" for l in range(L)]
    elif name in ("bias-not-summed", "bias-gradient-zero"):
        gradient_parts = [f"gradients[{l}].weights" for l in range(L)]
    parts += [("gradients", p) for p in gradient_parts]
    parts += [("step", p.replace("gradients", "layers")) for p in gradient_parts]  # a layer steps with its own gradient
    return parts


def zoo_node_relation(name, doc, base):
    """The reply the bug must give exactly, derived from the base's replies, where the class fixes
    it: {op: expected reply}. base = (forward, gradients, step) of the base."""
    _, grads, _ = base
    eta = doc["learningRate"]

    def gradients_times(factor):
        return {**grads, "gradients": [{"weights": [[factor * g for g in row] for row in layer["weights"]],
                                        "biases": None if layer["biases"] is None else
                                        [factor * g for g in layer["biases"]]}
                                       for layer in grads["gradients"]]}

    def step_with(rate, move_frozen=False):
        layers = []
        for l, layer in enumerate(doc["layers"]):
            g = grads["gradients"][l]
            w = [[x - rate * g["weights"][j][i] for i, x in enumerate(row)] for j, row in enumerate(layer["weights"])]
            mode = layer.get("bias", "none")
            b = None if mode == "none" else list(layer["biases"])
            if mode == "trainable" or (move_frozen and mode == "frozen"):
                b = [x - rate * g["biases"][j] for j, x in enumerate(layer["biases"])]
            layers.append({"weights": w, "biases": b})
        return {"ok": True, "layers": layers}

    if name == "sign-flip":
        return {"gradients": gradients_times(-1.0)}
    if name == "gradient-factor-two" and doc["loss"] in ("half-sse", "half-mse"):
        return {"gradients": gradients_times(2.0)}
    if name == "bias-gradient-zero":
        return {"gradients": {**grads, "gradients": [{"weights": layer["weights"],
                                                      "biases": None if layer["biases"] is None else
                                                      [0.0] * len(layer["biases"])}
                                                     for layer in grads["gradients"]]}}
    if name == "step-climbs":
        return {"step": step_with(-eta)}
    if name == "learning-rate-ignored":
        return {"step": step_with(1.0)}
    if name == "frozen-bias-moved":
        return {"step": step_with(eta, move_frozen=True)}
    return {}


def check_zoo_node(networks, correct):
    """The base (--bug none) agrees with Python; each bug differs from the base somewhere, leaves
    alone what its class leaves alone, and says zoo-node:NAME in hello."""
    unknown = subprocess.run(ZOO_NODE + ["--bug", "no-such-bug"], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL)
    if unknown.returncode != 2 or not unknown.stderr:
        fail(f"zoo-node --bug no-such-bug: exit {unknown.returncode}, stderr {unknown.stderr!r}")
    names = zoo_node_names()
    docs = [(k, doc) for k, doc in enumerate(networks[:ZOO_NODE_NETWORKS]) if correct[k] is not None]
    ops = ("forward", "gradients", "step")
    every = ["none"] + names
    procs = {name: Process(ZOO_NODE + ["--bug", name]) for name in every}
    # all processes in lockstep: each request goes to every one before any reply is read, so the
    # processes work side by side instead of each waiting for the previous round trip
    hello_ids = {name: procs[name].send("hello") for name in every}
    for name in every:
        hello = procs[name].receive(hello_ids[name])
        if hello.get("implementation") != f"zoo-node:{name}":
            fail(f"zoo-node {name}: hello says {hello.get('implementation')!r}")
    answers = {name: {} for name in every}          # name -> network index -> op -> reply
    for k, doc in docs:
        for op in ops:
            pending = {name: procs[name].send(op, doc) for name in every}
            for name in every:
                answers[name].setdefault(k, {})[op] = procs[name].receive(pending[name])
    for proc in procs.values():
        proc.close()

    base = {k: tuple(answers["none"][k][op] for op in ops) for k, _ in docs}
    for k, _ in docs:
        for op, got, want in zip(ops, base[k], correct[k]):
            problem = first_difference_normwise(got, want, 1e-12)   # both careful float64
            if problem:
                fail(f"zoo-node base: network {k} {op} vs python: {problem}")

    base_flat = {k: {op: dict(flatten(reply)) for op, reply in zip(ops, replies)} for k, replies in base.items()}
    for name in names:
        differs = None
        for k, doc in docs:
            replies = answers[name][k]
            want = dict(zip(ops, base[k]))
            if differs is None:
                for op, reply in replies.items():
                    problem = first_difference(reply, want[op], 1e-9)
                    if problem:
                        differs = f"network {k} {op}: {problem}"
                        break
            flat = {op: dict(flatten(reply)) for op, reply in replies.items()}
            for op, prefix in zoo_node_untouched(name, doc):
                problem = first_difference_in(flat[op], base_flat[k][op], [prefix])
                if problem:
                    fail(f"zoo-node {name}: network {k} {op} changed where the class leaves it alone: {problem}")
            for op, expected in zoo_node_relation(name, doc, base[k]).items():
                problem = first_difference(replies[op], expected, 1e-12)
                if problem:
                    fail(f"zoo-node {name}: network {k} {op} is not what the class says: {problem}")
        if differs:
            print(f"    zoo-node {name:31s} differs: {differs[:80]}")
        else:
            fail(f"zoo-node {name}: agrees with its base on all {len(docs)} networks")
    return len(names)


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (print("FAIL: self-test timed out (an implementation hung?)"),
                                              os._exit(1)))
    signal.alarm(120)
    started = time.monotonic()

    python, node = Process(PYTHON), Process(NODE)
    programs, notes = other_correct_programs()
    others = [(label, Process(command), precision, rel_mazur, rel)     # start-up overlaps (a)-(c)
              for label, command, precision, rel_mazur, rel in programs]

    # (a)
    check_mazur(python, "python")
    check_mazur(node, "node")
    print(f"(a) 2-2-2 network: {'ok' if not failures else 'FAILED'}")

    # (b)
    rng = random.Random(args.seed)
    networks = [random_network(rng, k) for k in range(args.count)]
    correct = []            # the Python replies per network: (forward, gradients, step)
    fd_checked = 0
    before = len(failures)
    for k, doc in enumerate(networks):
        label = f"network {k} (seed {args.seed})"
        replies = []
        for op in ("forward", "gradients", "step"):
            p, n = python.request(op, doc), node.request(op, doc)
            if not p.get("ok") or not n.get("ok"):
                fail(f"{label}: {op}: python {p.get('error')}, node {n.get('error')}")
                replies = None
                break
            problem = first_difference(p, n, 1e-12)
            if problem:
                fail(f"{label}: {op}: python vs node: {problem}")
            replies.append(p)
        correct.append(replies)
        if replies is None:
            continue
        if check_finite_differences(doc, replies[1], label):
            fd_checked += 1
        check_step(doc, replies[1], replies[2], label)
    # refusals
    bad = json.loads(json.dumps(MAZUR))
    bad["layers"][1]["weights"][0].append(1.0)
    for proc, name in ((python, "python"), (node, "node")):
        reply = proc.request("gradients", bad)
        if reply.get("ok") is not False or reply.get("error", {}).get("code") != "bad-request":
            fail(f"{name}: a 3-column weight row in a fan-in-2 layer was not refused: {reply}")
        reply = proc.request("frobnicate")
        if reply.get("ok") is not False or reply.get("error", {}).get("code") != "bad-request":
            fail(f"{name}: unknown op not refused: {reply}")
    python.close()
    node.close()
    print(f"(b) {len(networks)} random networks: python = node to 1e-12, finite differences on "
          f"{fd_checked} (others sit on a relu kink), step rule: "
          f"{'ok' if len(failures) == before else 'FAILED'}")

    # (c)
    before = len(failures)
    unknown = subprocess.run(ZOO + ["--bug", "no-such-bug"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if unknown.returncode != 2 or not unknown.stderr:
        fail(f"zoo --bug no-such-bug: exit {unknown.returncode}, stderr {unknown.stderr!r}")
    caught = {}
    for name in zoo.BUGS:
        proc = Process(ZOO + ["--bug", name])
        hello = proc.request("hello")
        if hello.get("implementation") != f"zoo:{name}":
            fail(f"zoo {name}: hello says {hello.get('implementation')!r}")
        for k, doc in enumerate(networks):
            if correct[k] is None:
                continue
            if k < 20:
                problem = first_difference(proc.request("forward", doc), correct[k][0], 1e-15)
                if problem:
                    fail(f"zoo {name}: forward differs on network {k}: {problem}")
            for op, want in (("gradients", correct[k][1]), ("step", correct[k][2])):
                problem = first_difference(proc.request(op, doc), want, 1e-9)
                if problem and name not in caught:
                    caught[name] = f"network {k} {op}: {problem}"
            if name in caught and k >= 20:
                break
        proc.close()
        if name in caught:
            print(f"    zoo {name:32s} differs: {caught[name][:90]}")
        else:
            fail(f"zoo {name}: agrees with the correct implementation on all {len(networks)} networks")
    print(f"(c) {len(zoo.BUGS)} zoo bugs, each caught: {'ok' if len(failures) == before else 'FAILED'}")

    # (d)
    before = len(failures)
    for note in notes:
        print(f"    NOTE: {note}")
    check_other_correct(others, networks, correct)
    for _, proc, _, _, _ in others:
        proc.close()
    print(f"(d) {len(others)} other correct programs against python: "
          f"{'ok' if len(failures) == before else 'FAILED'}")

    # (e)
    before = len(failures)
    count = check_zoo_node(networks, correct)
    print(f"(e) {count} zoo-node bugs, each differs from its base and leaves its class's parts alone: "
          f"{'ok' if len(failures) == before else 'FAILED'}")

    elapsed = time.monotonic() - started
    if failures:
        print(f"FAILED: {len(failures)} problem(s) in {elapsed:.1f} s")
        return 1
    print(f"PASSED in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
