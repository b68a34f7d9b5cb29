#!/usr/bin/env node
// A plain, loop-based reference implementation of the BackpropSpec process protocol.
//
// Protocol `backprop-spec/1`, network format `backprop-spec/network@1` (see oracle/PROTOCOL.md).
// Reads one JSON request per line on stdin, writes one JSON reply per line on stdout, exits on EOF.
// Node.js 20, built-in modules only. The same algorithm as examples/python/backprop.py.
'use strict';

const readline = require('readline');

const PROTOCOL = 'backprop-spec/1';
const FORMAT = 'backprop-spec/network@1';
const ACTIVATIONS = ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'];
const LOSSES = ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];
const BIAS_MODES = ['none', 'trainable', 'frozen'];
const MEAN_LOSSES = ['half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];
const FUSED_LOSSES = ['binary-cross-entropy', 'softmax-cross-entropy']; // output delta is (o - t)/m

class BadRequest extends Error {}
class NonFinite extends Error {}

// ---------------------------------------------------------------------------------------------
// Scalar functions
// ---------------------------------------------------------------------------------------------

function sigmoid(x) {
  // evaluated on the side where exp cannot overflow
  if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1.0 + e);
}

function softplus(z) {
  // ln(1 + e^z) without overflow
  return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
}

function softmax(nets) {
  const c = nets.reduce((a, b) => (b > a ? b : a));
  const exps = nets.map((z) => Math.exp(z - c));
  let total = 0.0;
  for (const e of exps) total += e;
  return exps.map((e) => e / total);
}

function logSoftmax(nets) {
  const c = nets.reduce((a, b) => (b > a ? b : a));
  let total = 0.0;
  for (const z of nets) total += Math.exp(z - c);
  const lse = c + Math.log(total);
  return nets.map((z) => z - lse);
}

function activate(activation, nets) {
  if (activation === 'softmax') return softmax(nets);
  return nets.map((z) => {
    switch (activation) {
      case 'identity': return z;
      case 'sigmoid': return sigmoid(z);
      case 'tanh': return Math.tanh(z);
      case 'relu': return z > 0 ? z : 0.0;
      default: throw new BadRequest(`unknown activation ${JSON.stringify(activation)}`);
    }
  });
}

function derivative(activation, z) {
  switch (activation) {
    case 'identity': return 1.0;
    case 'sigmoid': return sigmoid(z) * sigmoid(-z); // keeps its digits when sigmoid(z) rounds to 1
    case 'tanh': {
      if (Math.abs(z) <= 20) return 1.0 / Math.cosh(z) ** 2;
      const q = Math.exp(-2 * Math.abs(z)); // sech^2 = 4q/(1 + q)^2: no overflow of cosh^2, no cut-off to 0
      return (4 * q) / ((1 + q) * (1 + q));
    }
    case 'relu': return z > 0 ? 1.0 : 0.0; // relu'(0) = 0
    default: throw new BadRequest(`no elementwise derivative for ${JSON.stringify(activation)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (light: shapes, kinds and finiteness)
// ---------------------------------------------------------------------------------------------

const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);
const isCount = (v) => Number.isInteger(v) && v >= 1;
const describe = (v) => {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // Infinity from 1e999
  return JSON.stringify(v);
};

function numberRow(value, length, where, what) {
  if (!Array.isArray(value) || value.length !== length) {
    const got = Array.isArray(value) ? value.length : describe(value);
    throw new BadRequest(`${where}: expected ${length} numbers (${what}), got ${got}`);
  }
  value.forEach((v, i) => {
    if (!isNumber(v)) throw new BadRequest(`${where}[${i}]: expected a finite number, got ${describe(v)}`);
  });
  return value.slice();
}

function parseNetwork(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new BadRequest('network: expected an object');
  if (doc.format !== FORMAT) throw new BadRequest(`format: expected "${FORMAT}", got ${describe(doc.format)}`);
  const nInputs = doc.inputs;
  if (!isCount(nInputs)) throw new BadRequest(`inputs: expected an integer >= 1, got ${describe(nInputs)}`);
  const rawLayers = doc.layers;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) throw new BadRequest('layers: expected a non-empty array');

  const layers = [];
  let fanIn = nInputs;
  rawLayers.forEach((raw, l) => {
    const where = `layers[${l}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest(`${where}: expected an object`);
    const units = raw.units;
    if (!isCount(units)) throw new BadRequest(`${where}.units: expected an integer >= 1, got ${describe(units)}`);
    const activation = raw.activation;
    if (!ACTIVATIONS.includes(activation)) {
      throw new BadRequest(`${where}.activation: expected one of ${ACTIVATIONS.join(', ')}, got ${describe(activation)}`);
    }
    if (activation === 'softmax' && l !== rawLayers.length - 1) {
      throw new BadRequest(`${where}.activation: softmax is allowed on the output layer only`);
    }
    const rawWeights = raw.weights;
    if (!Array.isArray(rawWeights) || rawWeights.length !== units) {
      const got = Array.isArray(rawWeights) ? rawWeights.length : describe(rawWeights);
      throw new BadRequest(`${where}.weights: expected ${units} rows (units), got ${got}`);
    }
    const weights = rawWeights.map((row, j) => numberRow(row, fanIn, `${where}.weights[${j}]`, `fan-in of layer ${l}`));
    const bias = raw.bias === undefined ? 'none' : raw.bias;
    if (!BIAS_MODES.includes(bias)) throw new BadRequest(`${where}.bias: expected one of ${BIAS_MODES.join(', ')}, got ${describe(bias)}`);
    let biases = null;
    if (bias === 'none') {
      if (raw.biases !== undefined && raw.biases !== null) throw new BadRequest(`${where}.biases: must be absent when bias is 'none'`);
    } else {
      biases = numberRow(raw.biases, units, `${where}.biases`, 'units');
    }
    layers.push({ units, activation, weights, biases, bias });
    fanIn = units;
  });

  const loss = doc.loss;
  if (!LOSSES.includes(loss)) throw new BadRequest(`loss: expected one of ${LOSSES.join(', ')}, got ${describe(loss)}`);
  const outputActivation = layers[layers.length - 1].activation;
  if (loss === 'binary-cross-entropy' && outputActivation !== 'sigmoid') {
    throw new BadRequest('loss: binary-cross-entropy needs a sigmoid output layer');
  }
  if (loss === 'softmax-cross-entropy' && outputActivation !== 'softmax') {
    throw new BadRequest('loss: softmax-cross-entropy needs a softmax output layer');
  }

  const rate = doc.learningRate;
  if (!isNumber(rate) || rate < 0) throw new BadRequest(`learningRate: expected a finite number >= 0, got ${describe(rate)}`);

  const batch = doc.batch;
  if (batch === null || typeof batch !== 'object' || Array.isArray(batch)) throw new BadRequest('batch: expected an object');
  const xs = batch.inputs;
  const ts = batch.targets;
  if (!Array.isArray(xs) || xs.length === 0) throw new BadRequest('batch.inputs: expected a non-empty array');
  if (!Array.isArray(ts) || ts.length !== xs.length) {
    const got = Array.isArray(ts) ? ts.length : describe(ts);
    throw new BadRequest(`batch.targets: expected ${xs.length} rows (one per input row), got ${got}`);
  }
  return {
    inputs: nInputs,
    layers,
    loss,
    learningRate: rate,
    x: xs.map((x, n) => numberRow(x, nInputs, `batch.inputs[${n}]`, 'inputs')),
    t: ts.map((t, n) => numberRow(t, fanIn, `batch.targets[${n}]`, 'units of the last layer')),
  };
}

// ---------------------------------------------------------------------------------------------
// Backpropagation
// ---------------------------------------------------------------------------------------------

// nets[l][j] and outs[l][j] of every layer for one input row x
function forwardExample(net, x) {
  const nets = [];
  const outs = [];
  let below = x;
  for (const layer of net.layers) {
    const z = [];
    for (let j = 0; j < layer.units; j++) {
      let s = 0.0;
      const row = layer.weights[j];
      for (let i = 0; i < below.length; i++) s += row[i] * below[i];
      if (layer.biases !== null) s += layer.biases[j]; // the bias is added last
      z.push(s);
    }
    nets.push(z);
    below = activate(layer.activation, z);
    outs.push(below);
  }
  return { nets, outs };
}

function forward(net) {
  return net.x.map((x) => forwardExample(net, x));
}

function lossValue(net, passes) {
  const m = net.x.length;
  let total = 0.0;
  passes.forEach(({ nets, outs }, n) => {
    const t = net.t[n];
    const o = outs[outs.length - 1];
    const z = nets[nets.length - 1];
    if (net.loss === 'half-sse' || net.loss === 'half-mse') {
      for (let k = 0; k < o.length; k++) {
        const d = t[k] - o[k];
        total += 0.5 * d * d;
      }
    } else if (net.loss === 'binary-cross-entropy') {
      // -[t ln o + (1-t) ln(1-o)] with o = sigmoid(z) equals softplus(z) - t z
      for (let k = 0; k < o.length; k++) total += softplus(z[k]) - t[k] * z[k];
    } else { // softmax-cross-entropy
      const logs = logSoftmax(z);
      for (let k = 0; k < o.length; k++) total -= t[k] * logs[k];
    }
  });
  return net.loss === 'half-sse' ? total : total / m;
}

// m for the mean losses, 1 for half-sse
function meanDivisor(net) {
  return MEAN_LOSSES.includes(net.loss) ? net.x.length : 1;
}

// delta = dE/d(net) from dE/d(out): f'(net) elementwise, or the softmax Jacobian
function throughActivation(layer, z, o, dEdout) {
  if (layer.activation === 'softmax') {
    // delta_j = sum_k dE/do_k * o_k * ([j == k] - o_j), written as
    // o_j * (g_j * sum_{k!=j} o_k - sum_{k!=j} g_k o_k): 1 - o_j is taken as sum_{k!=j} o_k,
    // the same number without the cancellation that loses its digits once o_j is near 1
    const delta = [];
    for (let j = 0; j < o.length; j++) {
      let oneMinusOut = 0.0;
      let others = 0.0;
      for (let k = 0; k < o.length; k++) {
        if (k === j) continue;
        oneMinusOut += o[k];
        others += dEdout[k] * o[k];
      }
      delta.push(o[j] * (dEdout[j] * oneMinusOut - others));
    }
    return delta;
  }
  return z.map((zj, j) => dEdout[j] * derivative(layer.activation, zj));
}

// delta of the output layer for one example
function outputDelta(net, nets, outs, t) {
  const L = net.layers.length;
  const o = outs[L - 1];
  const z = nets[L - 1];
  const m = meanDivisor(net);
  // cross-entropy after its own sigmoid/softmax: delta = (o - t)/m, no f'
  if (FUSED_LOSSES.includes(net.loss)) return o.map((ok, k) => (ok - t[k]) / m);
  const dEdout = o.map((ok, k) => (ok - t[k]) / m);
  return throughActivation(net.layers[L - 1], z, o, dEdout);
}

// dE/d(out[l][i]) = sum_j W[l+1][j][i] * delta[l+1][j]
function errorFromAbove(above, deltaAbove, unitsBelow) {
  const result = [];
  for (let i = 0; i < unitsBelow; i++) {
    let s = 0.0;
    for (let j = 0; j < above.units; j++) s += above.weights[j][i] * deltaAbove[j];
    result.push(s);
  }
  return result;
}

// gradients of every layer, from the output layer down, all from the original weights
function backward(net, passes) {
  const layers = net.layers;
  const L = layers.length;
  const m = passes.length;
  const grads = new Array(L);
  let deltasAbove = null;
  for (let l = L - 1; l >= 0; l--) {
    const layer = layers[l];
    const deltas = [];
    for (let n = 0; n < m; n++) {
      const { nets, outs } = passes[n];
      if (l === L - 1) {
        deltas.push(outputDelta(net, nets, outs, net.t[n]));
      } else {
        const dEdout = errorFromAbove(layers[l + 1], deltasAbove[n], layer.units);
        deltas.push(throughActivation(layer, nets[l], outs[l], dEdout));
      }
    }
    const below = l === 0 ? net.x : passes.map((p) => p.outs[l - 1]);
    // dE/dW[l][j][i] = sum_n delta[n][j] * out[l-1][n][i]
    const weights = [];
    for (let j = 0; j < layer.units; j++) {
      const row = [];
      for (let i = 0; i < below[0].length; i++) {
        let s = 0.0;
        for (let n = 0; n < m; n++) s += deltas[n][j] * below[n][i];
        row.push(s);
      }
      weights.push(row);
    }
    // dE/db[l][j] = sum_n delta[n][j]
    let biases = null;
    if (layer.bias !== 'none') {
      biases = [];
      for (let j = 0; j < layer.units; j++) {
        let s = 0.0;
        for (let n = 0; n < m; n++) s += deltas[n][j];
        biases.push(s);
      }
    }
    grads[l] = { weights, biases };
    deltasAbove = deltas;
  }
  return grads;
}

// one gradient step: every gradient from the original weights, then all updates
function step(net, passes) {
  const grads = backward(net, passes);
  const rate = net.learningRate;
  return net.layers.map((layer, l) => {
    const weights = layer.weights.map((row, j) => row.map((w, i) => w - rate * grads[l].weights[j][i]));
    let biases = layer.biases === null ? null : layer.biases.slice();
    if (layer.bias === 'trainable') biases = layer.biases.map((b, j) => b - rate * grads[l].biases[j]);
    return { weights, biases };
  });
}

// ---------------------------------------------------------------------------------------------
// Protocol
// ---------------------------------------------------------------------------------------------

function handle(request) {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new BadRequest('expected a JSON object');
  if (request.protocol !== PROTOCOL) throw new BadRequest(`protocol: expected "${PROTOCOL}", got ${describe(request.protocol)}`);
  const op = request.op;
  if (op === 'hello') {
    return { ok: true, implementation: 'node-example', activations: ACTIVATIONS, losses: LOSSES };
  }
  if (op !== 'forward' && op !== 'gradients' && op !== 'step') {
    throw new BadRequest(`op: expected hello, forward, gradients or step, got ${describe(op)}`);
  }
  const net = parseNetwork(request.network);
  const passes = forward(net);
  if (op === 'step') return { ok: true, layers: step(net, passes) };
  const reply = { ok: true, outputs: passes.map((p) => p.outs[p.outs.length - 1]), loss: lossValue(net, passes) };
  if (op === 'gradients') reply.gradients = backward(net, passes);
  return reply;
}

function checkFinite(value) {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new NonFinite('result is not finite (overflow)');
  if (Array.isArray(value)) value.forEach(checkFinite);
  else if (value !== null && typeof value === 'object') Object.values(value).forEach(checkFinite);
}

// one line in, one reply object out; never throws
function replyTo(line) {
  let id = null;
  try {
    let request;
    try {
      request = JSON.parse(line);
    } catch (e) {
      throw new BadRequest(`not valid JSON: ${e.message}`);
    }
    if (request !== null && typeof request === 'object' && request.id !== undefined) id = request.id;
    const body = handle(request);
    checkFinite(body);
    return { id, ...body };
  } catch (e) {
    if (e instanceof BadRequest) return { id, ok: false, error: { code: 'bad-request', message: e.message } };
    if (e instanceof NonFinite) return { id, ok: false, error: { code: 'unsupported', message: e.message } };
    return { id, ok: false, error: { code: 'internal', message: String(e && e.stack ? e.message : e) } };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  process.stdout.write(JSON.stringify(replyTo(line)) + '\n');
});
