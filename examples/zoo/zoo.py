#!/usr/bin/env python3
"""The bug zoo: deliberately WRONG implementations of the BackpropSpec protocol.

    python3 examples/zoo/zoo.py --bug NAME

Each bug is a subclass of the correct implementation (examples/python/backprop.py) that overrides
one small method. Everything not overridden is correct. `hello` reports "zoo:NAME".
The C# checker has matching variants and names the bug it sees, so these definitions are exact.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from backprop import Backprop, serve  # noqa: E402  (the correct implementation)


class SignFlip(Backprop):
    """Every reported gradient is negated; step uses them too, so it moves uphill."""

    def weight_gradient(self, net, l, deltas, below):
        grad = super().weight_gradient(net, l, deltas, below)
        return [[-g for g in row] for row in grad]                    # BUG: minus sign

    def bias_gradient(self, net, l, deltas):
        grad = super().bias_gradient(net, l, deltas)
        return None if grad is None else [-g for g in grad]          # BUG: minus sign


class MissingActivationDerivative(Backprop):
    """Layer 0 forgets f'(net): delta[0] = dE/d(out[0]). (A fused cross-entropy output layer 0 has
    no f' to forget; a squared-loss output layer 0 gets delta = dE/do, no softmax Jacobian either.)"""

    def through_activation(self, l, layer, z, o, dE_dout):
        if l == 0:
            return list(dE_dout)                                     # BUG: no f'(net)
        return super().through_activation(l, layer, z, o, dE_dout)


class TransposedWeights(Backprop):
    """Propagates the error with W[l+1] transposed: W'[j][i] = W[l+1][i][j] where that index exists, else 0."""

    def error_from_above(self, above, delta_above, units_below):
        W, units, fan_in = above["weights"], above["units"], units_below
        result = []
        for i in range(units_below):
            s = 0.0
            for j in range(units):
                w = W[i][j] if (i < units and j < fan_in) else 0.0   # BUG: W[i][j] instead of W[j][i]
                s += w * delta_above[j]
            result.append(s)
        return result


class BiasNotSummed(Backprop):
    """dE/db = delta of the LAST example only, not the sum over the batch."""

    def bias_gradient(self, net, l, deltas):
        if net["layers"][l]["bias"] == "none":
            return None
        return list(deltas[-1])                                      # BUG: no sum over n


class UpdatedWeightsInBackprop(Backprop):
    """In step only: each layer is updated as soon as its gradient is known, so the error sent to
    the layer below goes through the already-updated weights. The gradients op is correct."""

    def step(self, net, passes):
        rate = self.learning_rate(net, passes)

        def update_now(l, grad):                                     # BUG: update before propagating
            self.apply_update(net["layers"][l], grad, rate)

        self.backward(net, passes, after_layer=update_now)
        return [{"weights": layer["weights"], "biases": layer["biases"]} for layer in net["layers"]]


class Missing1OverM(Backprop):
    """The mean losses forget the 1/m in the output delta (gradients m times too big); the loss value is right."""

    def mean_divisor(self, net):
        return 1                                                     # BUG: should be m for mean losses


class ReluDerivativeOneAtZero(Backprop):
    """relu'(0) = 1 instead of 0."""

    def derivative(self, activation, z):
        if activation == "relu":
            return 1.0 if z >= 0 else 0.0                            # BUG: >= instead of >
        return super().derivative(activation, z)


class SoftmaxJacobianTwice(Backprop):
    """softmax-cross-entropy: the softmax Jacobian is applied on top of the already-fused (o - t)/m."""

    def output_delta(self, net, nets, outs, t):
        if net["loss"] != "softmax-cross-entropy":
            return super().output_delta(net, nets, outs, t)
        l = len(net["layers"]) - 1
        o, z = outs[-1], nets[-1]
        m = len(net["x"])
        g = [(o[k] - t[k]) / m for k in range(len(o))]
        return self.through_activation(l, net["layers"][l], z, o, g)  # BUG: Jacobian of (o - t)/m


class LearningRateIsOutput(Backprop):
    """001's student code: step uses o[last example][0] as the learning rate."""

    def learning_rate(self, net, passes):
        last_outs = passes[-1][1]
        return last_outs[-1][0]                                      # BUG: an output, not learningRate


class ErrorTimesError(Backprop):
    """001's student code: sigmoid output under half-sse/half-mse uses (t-o)*o*(t-o) for (t-o)*o*(1-o):
    delta_k = -(t_k - o_k) * o_k * (t_k - o_k) * s, s = 1 (half-sse) or 1/m (half-mse)."""

    def output_delta(self, net, nets, outs, t):
        output_layer = net["layers"][-1]
        if output_layer["activation"] != "sigmoid" or net["loss"] not in ("half-sse", "half-mse"):
            return super().output_delta(net, nets, outs, t)
        o = outs[-1]
        m = self.mean_divisor(net)
        return [-(t[k] - o[k]) * o[k] * (t[k] - o[k]) / m            # BUG: (t - o) where (1 - o) belongs
                for k in range(len(o))]


class ElementwiseInputWeights(Backprop):
    """001's student code: with at least 2 layers, layer 0's weight gradient is multiplied
    elementwise by its own weights: dE/dW[0][j][i] = sum_n W[0][j][i] * delta[0][n][j] * x[n][i]."""

    def weight_gradient(self, net, l, deltas, below):
        if l != 0 or len(net["layers"]) < 2:
            return super().weight_gradient(net, l, deltas, below)
        W = net["layers"][0]["weights"]
        grad = []
        for j in range(len(W)):
            row = []
            for i in range(len(W[j])):
                s = 0.0
                for n in range(len(deltas)):
                    s += W[j][i] * deltas[n][j] * below[n][i]        # BUG: the extra W[0][j][i]
                row.append(s)
            grad.append(row)
        return grad


BUGS = {
    "sign-flip": SignFlip,
    "missing-activation-derivative": MissingActivationDerivative,
    "transposed-weights": TransposedWeights,
    "bias-not-summed": BiasNotSummed,
    "updated-weights-in-backprop": UpdatedWeightsInBackprop,
    "missing-1-over-m": Missing1OverM,
    "relu-derivative-one-at-zero": ReluDerivativeOneAtZero,
    "softmax-jacobian-twice": SoftmaxJacobianTwice,
    "learning-rate-is-output": LearningRateIsOutput,
    "error-times-error": ErrorTimesError,
    "elementwise-input-weights": ElementwiseInputWeights,
}


def make(name):
    """An instance of the named buggy implementation; hello reports zoo:NAME."""
    impl = BUGS[name]()
    impl.implementation = f"zoo:{name}"
    return impl


def main(argv):
    if len(argv) != 2 or argv[0] != "--bug":
        print("usage: zoo.py --bug NAME\nbugs: " + ", ".join(BUGS), file=sys.stderr)
        return 2
    name = argv[1]
    if name not in BUGS:
        print(f"zoo.py: unknown bug {name!r}; known bugs: " + ", ".join(BUGS), file=sys.stderr)
        return 2
    serve(make(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
