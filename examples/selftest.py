#!/usr/bin/env python3
"""Self-test of the example implementations (standard library only).

    python3 examples/selftest.py [--seed N] [--count N]

(a) the 2-2-2 network of oracle/PROTOCOL.md through the Python and Node implementations;
(b) random small networks: Python and Node agree to 1e-12 relative, and the Python gradients agree
    with central finite differences of the Python loss; step = W - eta*grad, frozen biases kept;
(c) every zoo bug differs from the correct implementation on at least one random network, and
    leaves the forward op alone.
Exits 0 when everything passes, 1 otherwise.
"""

import argparse
import json
import math
import os
import random
import signal
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

    def request(self, op, network=None):
        request = {"protocol": "backprop-spec/1", "id": self.next_id, "op": op}
        if network is not None:
            request["network"] = network
        self.next_id += 1
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{' '.join(self.command)} closed its output; stderr:\n{self.proc.stderr.read()}")
        reply = json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"non-finite {c}")))
        if reply.get("id") != request["id"]:
            raise RuntimeError(f"{' '.join(self.command)}: reply id {reply.get('id')} for request {request['id']}")
        return reply

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


def check_mazur(proc, label):
    hello = proc.request("hello")
    if not hello.get("ok") or sorted(hello.get("losses", [])) != sorted(backprop.LOSSES):
        fail(f"{label}: hello {hello}")
    fwd = proc.request("forward", MAZUR)
    grads = proc.request("gradients", MAZUR)
    for reply in (fwd, grads):
        o = reply.get("outputs", [[None, None]])[0]
        if not (close_to(o[0], 0.7513650695523157) and close_to(o[1], 0.7729284653214625)):
            fail(f"{label}: 2-2-2 outputs {o}")
        if not close_to(reply.get("loss"), 0.2983711087600027):
            fail(f"{label}: 2-2-2 loss {reply.get('loss')}")
    try:
        g = grads["gradients"][1]["weights"][0][0]
    except (KeyError, IndexError, TypeError):
        g = None
    if not close_to(g, 0.08216704056423077):
        fail(f"{label}: 2-2-2 dE/dW[1][0][0] = {g}")
    step = proc.request("step", MAZUR)
    if step.get("layers", [{}])[0].get("biases") != [0.35, 0.35]:
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

    elapsed = time.monotonic() - started
    if failures:
        print(f"FAILED: {len(failures)} problem(s) in {elapsed:.1f} s")
        return 1
    print(f"PASSED in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
