#!/usr/bin/env python3
"""Plain per-sample MLP backprop (Nielsen network.py style), float64, lists and loops.
Speaks the backprop-spec/1 line protocol on stdin/stdout. Written by a newcomer from
oracle/PROTOCOL.md alone (examples/newcomer/RESULTS.md)."""
import sys, json, math
FLAGS = set(sys.argv[1:])
# --raw: write NaN/Infinity as Python's json does; --noshift: softmax without max; --chain: CE delta via dE/do;
# --tanhexp: tanh from exponentials; --nan2num: Nielsen's np.nan_to_num on the CE loss; --etam: Nielsen's w - (eta/m)*sum;
# --jacobian: the softmax Jacobian formed as a matrix, then J.g


def exp(z):
    try:
        return math.exp(z)
    except OverflowError:
        return float('inf')


def log(x):
    if x <= 0.0:
        return float('-inf')
    return math.log(x)


def sigmoid(z):
    return 1.0 / (1.0 + exp(-z))


def activation(name, zs):
    if name == 'identity':
        return list(zs)
    if name == 'sigmoid':
        return [sigmoid(z) for z in zs]
    if name == 'tanh':
        if '--tanhexp' in FLAGS:
            return [(exp(z) - exp(-z)) / (exp(z) + exp(-z)) for z in zs]
        return [math.tanh(z) for z in zs]
    if name == 'relu':
        return [z if z > 0 else 0.0 for z in zs]
    if name == 'softmax':
        mx = 0.0 if '--noshift' in FLAGS else max(zs)
        es = [exp(z - mx) for z in zs]
        s = sum(es)
        return [e / s for e in es]
    raise Unsupported('activation ' + name)


def prime_from_out(name, a):
    """derivative of the activation, written with its output"""
    if name == 'identity':
        return 1.0
    if name == 'sigmoid':
        return a * (1.0 - a)
    if name == 'tanh':
        return 1.0 - a * a
    if name == 'relu':
        return 1.0 if a > 0 else 0.0
    raise Unsupported('derivative of ' + name)


class Unsupported(Exception):
    pass


class Network:
    def __init__(self, doc):
        self.doc = doc
        self.loss = doc['loss']
        self.eta = doc['learningRate']
        self.acts = [L['activation'] for L in doc['layers']]
        self.bias_kind = [L.get('bias', 'none') for L in doc['layers']]
        self.weights = [[list(row) for row in L['weights']] for L in doc['layers']]
        self.biases = [list(L['biases']) if k != 'none' else None
                       for L, k in zip(doc['layers'], self.bias_kind)]
        self.X = doc['batch']['inputs']
        self.Y = doc['batch']['targets']

    def feedforward_all(self, x):
        activations = [list(x)]
        zs = []
        a = list(x)
        for w, b, act in zip(self.weights, self.biases, self.acts):
            z = []
            for j, row in enumerate(w):
                s = 0.0
                for i, wji in enumerate(row):
                    s += wji * a[i]
                if b is not None:
                    s += b[j]
                z.append(s)
            zs.append(z)
            a = activation(act, z)
            activations.append(a)
        return activations, zs

    def sample_loss(self, o, t):
        if self.loss in ('half-sse', 'half-mse'):
            return sum(0.5 * (ti - oi) * (ti - oi) for oi, ti in zip(o, t))
        if self.loss == 'binary-cross-entropy' and '--nan2num' in FLAGS:
            v = sum(-(ti * log(oi) + (1.0 - ti) * log(1.0 - oi)) for oi, ti in zip(o, t))
            return 0.0 if math.isnan(v) else (sys.float_info.max if v == float('inf') else v)
        if self.loss == 'binary-cross-entropy':
            return sum(-(ti * log(oi) + (1.0 - ti) * log(1.0 - oi)) for oi, ti in zip(o, t))
        if self.loss == 'softmax-cross-entropy':
            return -sum(ti * log(oi) for oi, ti in zip(o, t))
        raise Unsupported('loss ' + self.loss)

    def mean(self):
        return self.loss != 'half-sse'

    def outputs_and_loss(self):
        outs = []
        E = 0.0
        for x, t in zip(self.X, self.Y):
            o = self.feedforward_all(x)[0][-1]
            outs.append(o)
            E += self.sample_loss(o, t)
        if self.mean():
            E /= len(self.X)
        return outs, E

    def backprop(self, x, y):
        nabla_w = [[[0.0] * len(row) for row in w] for w in self.weights]
        nabla_b = [[0.0] * len(w) for w in self.weights]
        activations, zs = self.feedforward_all(x)
        o = activations[-1]
        last = self.acts[-1]
        if self.loss in ('binary-cross-entropy', 'softmax-cross-entropy') and '--chain' not in FLAGS:
            delta = [oi - yi for oi, yi in zip(o, y)]
        else:
            if self.loss == 'binary-cross-entropy':
                g = [(1.0 - yi) / (1.0 - oi) - yi / oi for oi, yi in zip(o, y)]
            elif self.loss == 'softmax-cross-entropy':
                g = [-yi / oi for oi, yi in zip(o, y)]
            else:
                g = [oi - yi for oi, yi in zip(o, y)]  # cost derivative
            if last == 'softmax':
                s = sum(ok * gk for ok, gk in zip(o, g))
                if '--jacobian' in FLAGS:
                    K = len(o)
                    J = [[o[j] * ((1.0 if j == k else 0.0) - o[k]) for k in range(K)] for j in range(K)]
                    delta = [sum(J[j][k] * g[k] for k in range(K)) for j in range(K)]
                else:
                    delta = [oj * (gj - s) for oj, gj in zip(o, g)]
            else:
                delta = [gj * prime_from_out(last, oj) for gj, oj in zip(g, o)]
        L = len(self.weights)
        for l in range(L - 1, -1, -1):
            a_prev = activations[l]
            nabla_b[l] = list(delta)
            nabla_w[l] = [[dj * ai for ai in a_prev] for dj in delta]
            if l > 0:
                w = self.weights[l]
                act = self.acts[l - 1]
                new = []
                for i in range(len(a_prev)):
                    s = 0.0
                    for j in range(len(delta)):
                        s += w[j][i] * delta[j]
                    new.append(s * prime_from_out(act, a_prev[i]))
                delta = new
        return nabla_b, nabla_w

    def gradients(self):
        nabla_w = [[[0.0] * len(row) for row in w] for w in self.weights]
        nabla_b = [[0.0] * len(w) for w in self.weights]
        for x, y in zip(self.X, self.Y):
            dnb, dnw = self.backprop(x, y)
            for l in range(len(self.weights)):
                for j in range(len(nabla_w[l])):
                    nabla_b[l][j] += dnb[l][j]
                    for i in range(len(nabla_w[l][j])):
                        nabla_w[l][j][i] += dnw[l][j][i]
        if self.mean():
            m = len(self.X)
            nabla_w = [[[v / m for v in row] for row in w] for w in nabla_w]
            nabla_b = [[v / m for v in b] for b in nabla_b]
        return nabla_b, nabla_w

    def step(self):
        if '--etam' in FLAGS and self.mean():
            return self.step_nielsen()
        nabla_b, nabla_w = self.gradients()
        layers = []
        for l in range(len(self.weights)):
            w = [[wji - self.eta * g for wji, g in zip(wr, gr)]
                 for wr, gr in zip(self.weights[l], nabla_w[l])]
            b = self.biases[l]
            if b is not None:
                if self.bias_kind[l] == 'trainable':
                    b = [bj - self.eta * g for bj, g in zip(b, nabla_b[l])]
                else:
                    b = list(b)
            layers.append({'weights': w, 'biases': b})
        return layers


def _step_nielsen(self):
    # Nielsen: sum the per-example nablas, then w - (eta/len(mini_batch))*nw
    m = len(self.X)
    nabla_w = [[[0.0] * len(row) for row in w] for w in self.weights]
    nabla_b = [[0.0] * len(w) for w in self.weights]
    for x, y in zip(self.X, self.Y):
        dnb, dnw = self.backprop(x, y)
        nabla_b = [[nb + d for nb, d in zip(a, b)] for a, b in zip(nabla_b, dnb)]
        nabla_w = [[[nw + d for nw, d in zip(r1, r2)] for r1, r2 in zip(a, b)] for a, b in zip(nabla_w, dnw)]
    layers = []
    for l in range(len(self.weights)):
        w = [[wji - (self.eta / m) * g for wji, g in zip(wr, gr)] for wr, gr in zip(self.weights[l], nabla_w[l])]
        b = self.biases[l]
        if b is not None:
            b = [bj - (self.eta / m) * g for bj, g in zip(b, nabla_b[l])] if self.bias_kind[l] == 'trainable' else list(b)
        layers.append({'weights': w, 'biases': b})
    return layers


Network.step_nielsen = _step_nielsen


def finite(x):
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, list):
        return all(finite(v) for v in x)
    if isinstance(x, dict):
        return all(finite(v) for v in x.values())
    return True


def handle(req):
    op = req['op']
    if op == 'hello':
        return {'implementation': 'newcomer-python-nielsen',
                'activations': ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'],
                'losses': ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'],
                'precision': 'float64'}
    net = Network(req['network'])
    if op == 'forward':
        outs, E = net.outputs_and_loss()
        return {'outputs': outs, 'loss': E}
    if op == 'gradients':
        outs, E = net.outputs_and_loss()
        nb, nw = net.gradients()
        grads = [{'weights': nw[l], 'biases': nb[l] if net.biases[l] is not None else None}
                 for l in range(len(nw))]
        return {'outputs': outs, 'loss': E, 'gradients': grads}
    if op == 'step':
        return {'layers': net.step()}
    raise ValueError('unknown op ' + str(op))


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = None
        try:
            req = json.loads(line)
            r = handle(req)
            if '--raw' in FLAGS or finite(r):
                reply = {'id': req['id'], 'ok': True}
                reply.update(r)
            else:
                reply = {'id': req['id'], 'ok': False,
                         'error': {'code': 'unsupported', 'message': 'a result is not finite'}}
        except Unsupported as e:
            reply = {'id': req.get('id'), 'ok': False, 'error': {'code': 'unsupported', 'message': str(e)}}
        except Exception as e:
            reply = {'id': req.get('id') if isinstance(req, dict) else None, 'ok': False,
                     'error': {'code': 'internal', 'message': repr(e)}}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
