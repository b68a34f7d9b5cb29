#!/usr/bin/env python3
"""A plain, loop-based reference implementation of the BackpropSpec process protocol.

Protocol `backprop-spec/1`, network format `backprop-spec/network@1` (see oracle/PROTOCOL.md).
Reads one JSON request per line on stdin, writes one JSON reply per line on stdout, exits on EOF.
Python 3.11, standard library only.

The maths lives in the class `Backprop`. Its small methods are the places where the bug zoo
(examples/zoo/zoo.py) plugs in its deliberate mistakes, so each step of backpropagation has a name.
"""

import json
import math
import sys

PROTOCOL = "backprop-spec/1"
FORMAT = "backprop-spec/network@1"
ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "softmax"]
LOSSES = ["half-sse", "half-mse", "binary-cross-entropy", "softmax-cross-entropy"]
BIAS_MODES = ["none", "trainable", "frozen"]
MEAN_LOSSES = ["half-mse", "binary-cross-entropy", "softmax-cross-entropy"]
FUSED_LOSSES = ["binary-cross-entropy", "softmax-cross-entropy"]  # output delta is (o - t)/m


class BadRequest(Exception):
    """A request or network document we refuse; becomes error code `bad-request`."""


class NonFinite(Exception):
    """The result overflowed; JSON cannot carry it, so we decline the network."""


# ---------------------------------------------------------------------------------------------
# Scalar functions
# ---------------------------------------------------------------------------------------------

def sigmoid(x):
    # evaluated on the side where exp cannot overflow
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(z):
    # ln(1 + e^z) without overflow
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def softmax(nets):
    c = max(nets)
    exps = [math.exp(z - c) for z in nets]
    total = 0.0
    for e in exps:
        total += e
    return [e / total for e in exps]


def log_softmax(nets):
    c = max(nets)
    total = 0.0
    for z in nets:
        total += math.exp(z - c)
    lse = c + math.log(total)
    return [z - lse for z in nets]


def activate(activation, nets):
    """out = f(net) for one example of one layer."""
    if activation == "softmax":
        return softmax(nets)
    outs = []
    for z in nets:
        if activation == "identity":
            outs.append(z)
        elif activation == "sigmoid":
            outs.append(sigmoid(z))
        elif activation == "tanh":
            outs.append(math.tanh(z))
        elif activation == "relu":
            outs.append(z if z > 0 else 0.0)
        else:
            raise BadRequest(f"unknown activation {activation!r}")
    return outs


# ---------------------------------------------------------------------------------------------
# Validation (light: shapes, kinds and finiteness)
# ---------------------------------------------------------------------------------------------

def is_number(v):
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:  # an integer too large for a double
        return False


def number_row(value, length, where, what):
    if not isinstance(value, list) or len(value) != length:
        got = len(value) if isinstance(value, list) else type(value).__name__
        raise BadRequest(f"{where}: expected {length} numbers ({what}), got {got}")
    for i, v in enumerate(value):
        if not is_number(v):
            raise BadRequest(f"{where}[{i}]: expected a finite number, got {json.dumps(v)}")
    return [float(v) for v in value]


def parse_network(doc):
    """Checks a network document and returns a clean copy (floats, bias mode filled in)."""
    if not isinstance(doc, dict):
        raise BadRequest("network: expected an object")
    if doc.get("format") != FORMAT:
        raise BadRequest(f"format: expected {FORMAT!r}, got {json.dumps(doc.get('format'))}")
    n_inputs = doc.get("inputs")
    if not isinstance(n_inputs, int) or isinstance(n_inputs, bool) or n_inputs < 1:
        raise BadRequest(f"inputs: expected an integer >= 1, got {json.dumps(n_inputs)}")
    raw_layers = doc.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) == 0:
        raise BadRequest("layers: expected a non-empty array")

    layers = []
    fan_in = n_inputs
    for l, raw in enumerate(raw_layers):
        where = f"layers[{l}]"
        if not isinstance(raw, dict):
            raise BadRequest(f"{where}: expected an object")
        units = raw.get("units")
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise BadRequest(f"{where}.units: expected an integer >= 1, got {json.dumps(units)}")
        activation = raw.get("activation")
        if activation not in ACTIVATIONS:
            raise BadRequest(f"{where}.activation: expected one of {ACTIVATIONS}, got {json.dumps(activation)}")
        if activation == "softmax" and l != len(raw_layers) - 1:
            raise BadRequest(f"{where}.activation: softmax is allowed on the output layer only")
        weights = raw.get("weights")
        if not isinstance(weights, list) or len(weights) != units:
            got = len(weights) if isinstance(weights, list) else type(weights).__name__
            raise BadRequest(f"{where}.weights: expected {units} rows (units), got {got}")
        weights = [number_row(row, fan_in, f"{where}.weights[{j}]", f"fan-in of layer {l}")
                   for j, row in enumerate(weights)]
        bias = raw.get("bias", "none")
        if bias not in BIAS_MODES:
            raise BadRequest(f"{where}.bias: expected one of {BIAS_MODES}, got {json.dumps(bias)}")
        if bias == "none":
            if raw.get("biases") is not None:
                raise BadRequest(f"{where}.biases: must be absent when bias is 'none'")
            biases = None
        else:
            biases = number_row(raw.get("biases"), units, f"{where}.biases", "units")
        layers.append({"units": units, "activation": activation, "weights": weights,
                       "biases": biases, "bias": bias})
        fan_in = units

    loss = doc.get("loss")
    if loss not in LOSSES:
        raise BadRequest(f"loss: expected one of {LOSSES}, got {json.dumps(loss)}")
    output_activation = layers[-1]["activation"]
    if loss == "binary-cross-entropy" and output_activation != "sigmoid":
        raise BadRequest("loss: binary-cross-entropy needs a sigmoid output layer")
    if loss == "softmax-cross-entropy" and output_activation != "softmax":
        raise BadRequest("loss: softmax-cross-entropy needs a softmax output layer")

    rate = doc.get("learningRate")
    if not is_number(rate) or rate < 0:
        raise BadRequest(f"learningRate: expected a finite number >= 0, got {json.dumps(rate)}")

    batch = doc.get("batch")
    if not isinstance(batch, dict):
        raise BadRequest("batch: expected an object")
    xs, ts = batch.get("inputs"), batch.get("targets")
    if not isinstance(xs, list) or len(xs) == 0:
        raise BadRequest("batch.inputs: expected a non-empty array")
    if not isinstance(ts, list) or len(ts) != len(xs):
        got = len(ts) if isinstance(ts, list) else type(ts).__name__
        raise BadRequest(f"batch.targets: expected {len(xs)} rows (one per input row), got {got}")
    xs = [number_row(x, n_inputs, f"batch.inputs[{n}]", "inputs") for n, x in enumerate(xs)]
    ts = [number_row(t, fan_in, f"batch.targets[{n}]", "units of the last layer") for n, t in enumerate(ts)]

    return {"inputs": n_inputs, "layers": layers, "loss": loss, "learningRate": float(rate),
            "x": xs, "t": ts}


# ---------------------------------------------------------------------------------------------
# Backpropagation
# ---------------------------------------------------------------------------------------------

class Backprop:
    """Forward pass, loss, backward pass and gradient step on a parsed network."""

    implementation = "python-example"

    # ----- forward -----

    def forward_example(self, net, x):
        """nets[l][j] and outs[l][j] of every layer for one input row x."""
        nets, outs = [], []
        below = x
        for layer in net["layers"]:
            z = []
            for j in range(layer["units"]):
                s = 0.0
                row = layer["weights"][j]
                for i in range(len(below)):
                    s += row[i] * below[i]
                if layer["biases"] is not None:   # the bias is added last
                    s += layer["biases"][j]
                z.append(s)
            nets.append(z)
            below = activate(layer["activation"], z)
            outs.append(below)
        return nets, outs

    def forward(self, net):
        """A list with (nets, outs) per example."""
        return [self.forward_example(net, x) for x in net["x"]]

    def loss(self, net, passes):
        kind, m = net["loss"], len(net["x"])
        total = 0.0
        for n, (nets, outs) in enumerate(passes):
            t, o, z = net["t"][n], outs[-1], nets[-1]
            if kind in ("half-sse", "half-mse"):
                for k in range(len(o)):
                    d = t[k] - o[k]
                    total += 0.5 * d * d
            elif kind == "binary-cross-entropy":
                # -[t ln o + (1-t) ln(1-o)] with o = sigmoid(z) equals softplus(z) - t z
                for k in range(len(o)):
                    total += softplus(z[k]) - t[k] * z[k]
            else:  # softmax-cross-entropy
                logs = log_softmax(z)
                for k in range(len(o)):
                    total -= t[k] * logs[k]
        return total if kind == "half-sse" else total / m

    # ----- the pieces of the backward pass (the zoo overrides these) -----

    def derivative(self, activation, z):
        """f'(net) of an elementwise activation."""
        if activation == "identity":
            return 1.0
        if activation == "sigmoid":
            return sigmoid(z) * sigmoid(-z)      # keeps its digits when sigmoid(z) rounds to 1
        if activation == "tanh":
            if abs(z) <= 20:
                return 1.0 / math.cosh(z) ** 2
            q = math.exp(-2.0 * abs(z))          # sech^2 = 4q/(1 + q)^2: no overflow of cosh^2, no cut-off to 0
            return 4.0 * q / ((1.0 + q) * (1.0 + q))
        if activation == "relu":
            return 1.0 if z > 0 else 0.0         # relu'(0) = 0
        raise BadRequest(f"no elementwise derivative for {activation!r}")

    def mean_divisor(self, net):
        """m for the mean losses, 1 for half-sse."""
        return len(net["x"]) if net["loss"] in MEAN_LOSSES else 1

    def loss_derivative(self, net, o, t):
        """dE/d(out) of the output layer for one example."""
        m = self.mean_divisor(net)
        return [(o[k] - t[k]) / m for k in range(len(o))]

    def through_activation(self, l, layer, z, o, dE_dout):
        """delta = dE/d(net) from dE/d(out): f'(net) elementwise, or the softmax Jacobian."""
        if layer["activation"] == "softmax":
            # delta_j = sum_k dE/do_k * o_k * ([j == k] - o_j), written as
            # o_j * (g_j * sum_{k!=j} o_k - sum_{k!=j} g_k o_k): 1 - o_j is taken as sum_{k!=j} o_k,
            # the same number without the cancellation that loses its digits once o_j is near 1
            units = len(o)
            delta = []
            for j in range(units):
                one_minus_out, others = 0.0, 0.0
                for k in range(units):
                    if k != j:
                        one_minus_out += o[k]
                        others += dE_dout[k] * o[k]
                delta.append(o[j] * (dE_dout[j] * one_minus_out - others))
            return delta
        return [dE_dout[j] * self.derivative(layer["activation"], z[j]) for j in range(len(z))]

    def output_delta(self, net, nets, outs, t):
        """delta of the output layer for one example."""
        l = len(net["layers"]) - 1
        o, z = outs[-1], nets[-1]
        if net["loss"] in FUSED_LOSSES:
            # cross-entropy after its own sigmoid/softmax: delta = (o - t)/m, no f'
            m = self.mean_divisor(net)
            return [(o[k] - t[k]) / m for k in range(len(o))]
        return self.through_activation(l, net["layers"][l], z, o, self.loss_derivative(net, o, t))

    def error_from_above(self, above, delta_above, units_below):
        """dE/d(out[l][i]) = sum_j W[l+1][j][i] * delta[l+1][j]."""
        result = []
        for i in range(units_below):
            s = 0.0
            for j in range(above["units"]):
                s += above["weights"][j][i] * delta_above[j]
            result.append(s)
        return result

    def weight_gradient(self, net, l, deltas, below):
        """dE/dW[l][j][i] = sum_n delta[n][j] * out[l-1][n][i]."""
        layer = net["layers"][l]
        grad = []
        for j in range(layer["units"]):
            row = []
            for i in range(len(below[0])):
                s = 0.0
                for n in range(len(deltas)):
                    s += deltas[n][j] * below[n][i]
                row.append(s)
            grad.append(row)
        return grad

    def bias_gradient(self, net, l, deltas):
        """dE/db[l][j] = sum_n delta[n][j]; None for a layer without biases."""
        layer = net["layers"][l]
        if layer["bias"] == "none":
            return None
        grad = []
        for j in range(layer["units"]):
            s = 0.0
            for n in range(len(deltas)):
                s += deltas[n][j]
            grad.append(s)
        return grad

    def backward(self, net, passes, after_layer=None):
        """Gradients of every layer, from the output layer down.

        after_layer(l, gradient) is called as soon as layer l's gradient is known (the zoo uses
        it to update weights too early); the correct code passes nothing.
        """
        layers = net["layers"]
        L, m = len(layers), len(passes)
        grads = [None] * L
        deltas_above = None
        for l in range(L - 1, -1, -1):
            layer = layers[l]
            deltas = []
            for n in range(m):
                nets, outs = passes[n]
                if l == L - 1:
                    deltas.append(self.output_delta(net, nets, outs, net["t"][n]))
                else:
                    dE_dout = self.error_from_above(layers[l + 1], deltas_above[n], layer["units"])
                    deltas.append(self.through_activation(l, layer, nets[l], outs[l], dE_dout))
            below = net["x"] if l == 0 else [passes[n][1][l - 1] for n in range(m)]
            grads[l] = {"weights": self.weight_gradient(net, l, deltas, below),
                        "biases": self.bias_gradient(net, l, deltas)}
            if after_layer is not None:
                after_layer(l, grads[l])
            deltas_above = deltas
        return grads

    def learning_rate(self, net, passes):
        return net["learningRate"]

    def apply_update(self, layer, grad, rate):
        """W -= rate * dE/dW in place; b -= rate * dE/db only for trainable biases."""
        for j in range(layer["units"]):
            for i in range(len(layer["weights"][j])):
                layer["weights"][j][i] -= rate * grad["weights"][j][i]
        if layer["bias"] == "trainable":
            for j in range(layer["units"]):
                layer["biases"][j] -= rate * grad["biases"][j]

    def step(self, net, passes):
        """One gradient step: every gradient from the original weights, then all updates."""
        grads = self.backward(net, passes)
        rate = self.learning_rate(net, passes)
        for l, layer in enumerate(net["layers"]):
            self.apply_update(layer, grads[l], rate)
        return [{"weights": layer["weights"], "biases": layer["biases"]} for layer in net["layers"]]

    # ----- protocol -----

    def hello(self):
        return {"ok": True, "implementation": self.implementation,
                "activations": ACTIVATIONS, "losses": LOSSES}

    def handle(self, request):
        """The reply (without id) to one parsed request."""
        if not isinstance(request, dict):
            raise BadRequest("expected a JSON object")
        if request.get("protocol") != PROTOCOL:
            raise BadRequest(f"protocol: expected {PROTOCOL!r}, got {json.dumps(request.get('protocol'))}")
        op = request.get("op")
        if op == "hello":
            return self.hello()
        if op not in ("forward", "gradients", "step"):
            raise BadRequest(f"op: expected hello, forward, gradients or step, got {json.dumps(op)}")
        net = parse_network(request.get("network"))
        passes = self.forward(net)
        if op == "step":
            return {"ok": True, "layers": self.step(net, passes)}
        reply = {"ok": True, "outputs": [outs[-1] for _, outs in passes], "loss": self.loss(net, passes)}
        if op == "gradients":
            reply["gradients"] = self.backward(net, passes)
        return reply


def check_finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        raise NonFinite("result is not finite (overflow)")
    if isinstance(value, list):
        for v in value:
            check_finite(v)
    elif isinstance(value, dict):
        for v in value.values():
            check_finite(v)


def reply_to(impl, line):
    """One line in, one JSON reply (a dict) out. Never raises."""
    request_id = None
    try:
        try:
            request = json.loads(line, parse_constant=lambda c: float("nan"))
        except ValueError as e:
            raise BadRequest(f"not valid JSON: {e}")
        if isinstance(request, dict):
            request_id = request.get("id")
            if isinstance(request_id, float) and not math.isfinite(request_id):
                request_id = None
        body = impl.handle(request)
        check_finite(body)
        return {"id": request_id, **body}
    except BadRequest as e:
        return {"id": request_id, "ok": False, "error": {"code": "bad-request", "message": str(e)}}
    except NonFinite as e:
        return {"id": request_id, "ok": False, "error": {"code": "unsupported", "message": str(e)}}
    except (OverflowError, ZeroDivisionError) as e:
        return {"id": request_id, "ok": False,
                "error": {"code": "unsupported", "message": f"arithmetic failure: {e}"}}
    except Exception as e:  # a bug in this file; report it instead of crashing
        return {"id": request_id, "ok": False,
                "error": {"code": "internal", "message": f"{type(e).__name__}: {e}"}}


def serve(impl):
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(reply_to(impl, line)), flush=True)


if __name__ == "__main__":
    serve(Backprop())
