#!/usr/bin/env node
// An independent bug zoo in Node: deliberately WRONG implementations of the BackpropSpec protocol.
//
//     node examples/zoo-node/zoo.js --bug NAME      (reads JSON requests on stdin, one per line)
//     node examples/zoo-node/zoo.js --list          (the bug names, one per line)
//     node examples/zoo-node/zoo.js --bug none      (the correct base, for comparison)
//
// Node.js 20, no packages, float64. The base is its own correct implementation written from
// oracle/PROTOCOL.md in batched matrix form (one column per example, as in tutorial 004), not a
// port of examples/zoo/zoo.py or examples/python/backprop.py:
//
//   forward   Z[l] = W[l]·A[l-1] + b[l] (Σ over i increasing, bias last), A[l] = f(Z[l]), A[-1] = Xᵀ
//   loss      from the logits: softplus(z) - t·z, log-sum-exp; squared losses from the outputs
//   output    δ = (O - T)/m for both cross-entropies (fused); squared losses: G = (O - T)/s
//             (s = m for half-mse, 1 for half-sse), δ = G ⊙ f'(Z) or the softmax Jacobian of G
//   down      dA[l] = W[l+1]ᵀ·δ[l+1], δ[l] = dA[l] ⊙ f'(Z[l])
//   gradients dW[l] = δ[l]·A[l-1]ᵀ, db[l] = Σ_n δ[l]
//   step      W - η·dW from the original weights; trainable biases likewise, frozen ones kept
//   with      σ'(z) = σ(z)·σ(-z), tanh'(z) = 1/cosh²(z), relu'(0) = 0
//
// Every bug is planted at the one line where a person writing this matrix code would make that
// mistake, marked `// BUG name:`. With `--bug none` nothing is planted. hello says zoo-node:NAME.
'use strict';

const readline = require('readline');

const ACTIVATIONS = ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'];
const LOSSES = ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];
const MEAN_LOSSES = ['half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];
const FUSED_LOSSES = ['binary-cross-entropy', 'softmax-cross-entropy'];

const BUGS = {
  'sign-flip': 'error taken as T - O instead of O - T at the output: every gradient negated, the step climbs',
  'missing-activation-derivative': "layer 0 taken for the input layer: its δ = dA, no f'(net) (a squared-loss output layer 0 also loses its f' or softmax Jacobian)",
  'transposed-weights': 'the error sent down uses W[l+1][i][j] instead of W[l+1][j][i] (0 where that index does not exist)',
  'bias-not-summed': 'db = δ of the last example (assigned, not summed, over the batch); the step uses it',
  'missing-1-over-m': 'the 1/m of half-mse and both cross-entropies left out of the output δ; the loss value is right',
  'relu-derivative-one-at-zero': "relu'(net) = 1 for net >= 0, so relu'(0) = 1",
  'gradient-factor-two': 'squared losses: G = 2(O - T)/s, the ½ of the loss dropped from its derivative; loss value right',
  'extra-1-over-m': 'half-sse gradients divided by m as if it were a mean; the loss value is right',
  'missing-output-derivative': "squared-loss output δ = (O - T)/s without f'(net) or the softmax Jacobian; hidden layers right",
  'derivative-of-output': "every f' evaluated at out instead of net: σ'(out), 1/cosh²(out) (relu, identity and the softmax Jacobian unchanged)",
  'sigmoid-derivative-everywhere': "every hidden layer's δ uses σ'(net) whatever its activation; output layer right",
  'propagation-without-weights': 'the error sent down is Σ_j δ_j: W left out',
  'propagates-before-derivative': "the error sent down is Wᵀ·dA (∂E/∂out of the layer above) instead of Wᵀ·δ; each layer's own dW is right",
  'gradient-not-accumulated': 'dW and db of every layer from the last example only (accumulator overwritten); the step uses them',
  'uses-net-not-out': 'dW of layers l >= 1 = δ·Z[l-1]ᵀ (net of the layer below) instead of δ·A[l-1]ᵀ',
  'bias-gradient-zero': 'db never computed: every bias gradient reported as 0, so no bias moves',
  'frozen-bias-moved': 'gradients right; the step also moves frozen biases',
  'step-climbs': 'gradients right; the step is W + η·dW',
  'learning-rate-ignored': 'gradients right; the step is W - dW',
  'cross-entropy-derivative-twice': "binary cross-entropy output δ = (O - T)·σ'(net)/m: σ' applied on top of the fused δ",
  'mean-over-outputs-too': 'half-mse as the mean over examples AND outputs: loss value and gradients divided by m·K',
};

let BUG = 'none';

class BadRequest extends Error {}
class NonFinite extends Error {}

// ---------------------------------------------------------------------------------------------
// Scalar functions (careful forms)
// ---------------------------------------------------------------------------------------------

function sigmoid(z) {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
const sigmoidPrime = (z) => sigmoid(z) * sigmoid(-z);
const softplus = (z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

function derivative(activation, z) {
  switch (activation) {
    case 'identity': return 1;
    case 'sigmoid': return sigmoidPrime(z);
    case 'tanh': return Math.abs(z) > 350 ? 0 : 1 / Math.cosh(z) ** 2;
    case 'relu':
      if (BUG === 'relu-derivative-one-at-zero') return z >= 0 ? 1 : 0;  // BUG relu-derivative-one-at-zero: >= for >
      return z > 0 ? 1 : 0;
    default: throw new BadRequest(`no elementwise derivative for ${activation}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Matrices: arrays of rows; activations are units × m (one column per example)
// ---------------------------------------------------------------------------------------------

const zeros = (rows, cols) => Array.from({ length: rows }, () => new Array(cols).fill(0));
const transpose = (M) => M[0].map((_, c) => M.map((row) => row[c]));
const map2 = (A, B, fn) => A.map((row, r) => row.map((v, c) => fn(v, B[r][c], r, c)));

function activate(activation, Z) {
  if (activation === 'softmax') {
    const A = zeros(Z.length, Z[0].length);
    for (let n = 0; n < Z[0].length; n++) {
      let c = -Infinity;
      for (let k = 0; k < Z.length; k++) c = Math.max(c, Z[k][n]);
      let total = 0;
      for (let k = 0; k < Z.length; k++) total += Math.exp(Z[k][n] - c);
      for (let k = 0; k < Z.length; k++) A[k][n] = Math.exp(Z[k][n] - c) / total;
    }
    return A;
  }
  return Z.map((row) => row.map((z) => {
    switch (activation) {
      case 'identity': return z;
      case 'sigmoid': return sigmoid(z);
      case 'tanh': return Math.tanh(z);
      case 'relu': return z > 0 ? z : 0;
      default: throw new BadRequest(`unknown activation ${activation}`);
    }
  }));
}

// δ = dE/dZ of layer l from dA = dE/dA: ⊙ f'(Z), or the softmax Jacobian column by column
function throughActivation(net, l, Z, A, dA) {
  const activation = net.layers[l].activation;
  const hidden = l < net.layers.length - 1;
  if (BUG === 'missing-activation-derivative' && l === 0) return dA;  // BUG missing-activation-derivative: "layer 0 is the input, it has no f'"
  if (BUG === 'sigmoid-derivative-everywhere' && hidden) {
    return map2(dA, Z, (g, z) => g * sigmoidPrime(z));              // BUG sigmoid-derivative-everywhere: copy-pasted σ'
  }
  if (activation === 'softmax') {
    // δ_j = o_j (g_j Σ_{k≠j} o_k - Σ_{k≠j} g_k o_k), with 1 - o_j taken as Σ_{k≠j} o_k
    const D = zeros(A.length, A[0].length);
    for (let n = 0; n < A[0].length; n++) {
      for (let j = 0; j < A.length; j++) {
        let oneMinus = 0;
        let others = 0;
        for (let k = 0; k < A.length; k++) {
          if (k === j) continue;
          oneMinus += A[k][n];
          others += dA[k][n] * A[k][n];
        }
        D[j][n] = A[j][n] * (dA[j][n] * oneMinus - others);
      }
    }
    return D;
  }
  if (BUG === 'derivative-of-output') return map2(dA, A, (g, a) => g * derivative(activation, a)); // BUG derivative-of-output: f'(A) for f'(Z)
  return map2(dA, Z, (g, z) => g * derivative(activation, z));
}

// ---------------------------------------------------------------------------------------------
// Reading a network (shapes, kinds and finiteness)
// ---------------------------------------------------------------------------------------------

function numbers(row, length, where) {
  if (!Array.isArray(row) || row.length !== length) throw new BadRequest(`${where}: expected ${length} numbers`);
  row.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadRequest(`${where}[${i}]: expected a finite number`);
  });
  return row.slice();
}

function readNetwork(doc) {
  if (doc === null || typeof doc !== 'object') throw new BadRequest('network: expected an object');
  if (doc.format !== 'backprop-spec/network@1') throw new BadRequest('format: expected backprop-spec/network@1');
  if (!Number.isInteger(doc.inputs) || doc.inputs < 1) throw new BadRequest('inputs: expected an integer >= 1');
  if (!Array.isArray(doc.layers) || doc.layers.length === 0) throw new BadRequest('layers: expected a non-empty array');
  let fanIn = doc.inputs;
  const layers = doc.layers.map((raw, l) => {
    const where = `layers[${l}]`;
    if (!Number.isInteger(raw.units) || raw.units < 1) throw new BadRequest(`${where}.units: expected an integer >= 1`);
    if (!ACTIVATIONS.includes(raw.activation)) throw new BadRequest(`${where}.activation: unknown`);
    if (raw.activation === 'softmax' && l !== doc.layers.length - 1) throw new BadRequest(`${where}.activation: softmax only on the output layer`);
    if (!Array.isArray(raw.weights) || raw.weights.length !== raw.units) throw new BadRequest(`${where}.weights: expected ${raw.units} rows`);
    const W = raw.weights.map((row, j) => numbers(row, fanIn, `${where}.weights[${j}]`));
    const bias = raw.bias === undefined ? 'none' : raw.bias;
    if (!['none', 'trainable', 'frozen'].includes(bias)) throw new BadRequest(`${where}.bias: unknown`);
    const b = bias === 'none' ? null : numbers(raw.biases, raw.units, `${where}.biases`);
    fanIn = raw.units;
    return { units: raw.units, activation: raw.activation, bias, W, b };
  });
  if (!LOSSES.includes(doc.loss)) throw new BadRequest('loss: unknown');
  const output = layers[layers.length - 1].activation;
  if (doc.loss === 'binary-cross-entropy' && output !== 'sigmoid') throw new BadRequest('loss: binary-cross-entropy needs a sigmoid output layer');
  if (doc.loss === 'softmax-cross-entropy' && output !== 'softmax') throw new BadRequest('loss: softmax-cross-entropy needs a softmax output layer');
  if (typeof doc.learningRate !== 'number' || !(doc.learningRate >= 0) || !Number.isFinite(doc.learningRate)) {
    throw new BadRequest('learningRate: expected a finite number >= 0');
  }
  const batch = doc.batch || {};
  if (!Array.isArray(batch.inputs) || batch.inputs.length === 0) throw new BadRequest('batch.inputs: expected a non-empty array');
  if (!Array.isArray(batch.targets) || batch.targets.length !== batch.inputs.length) throw new BadRequest('batch.targets: one row per input row');
  const X = batch.inputs.map((row, n) => numbers(row, doc.inputs, `batch.inputs[${n}]`));
  const T = batch.targets.map((row, n) => numbers(row, fanIn, `batch.targets[${n}]`));
  return { layers, loss: doc.loss, eta: doc.learningRate, X: transpose(X), T: transpose(T), m: X.length, K: fanIn };
}

// ---------------------------------------------------------------------------------------------
// Forward, loss, backward, step
// ---------------------------------------------------------------------------------------------

function forward(net) {
  const Zs = [];
  const As = [];
  let A = net.X;
  for (const layer of net.layers) {
    const Z = zeros(layer.units, net.m);
    for (let j = 0; j < layer.units; j++) {
      for (let n = 0; n < net.m; n++) {
        let s = 0;
        for (let i = 0; i < A.length; i++) s += layer.W[j][i] * A[i][n];
        if (layer.b !== null) s += layer.b[j];   // the bias is added last
        Z[j][n] = s;
      }
    }
    A = activate(layer.activation, Z);
    Zs.push(Z);
    As.push(A);
  }
  return { Zs, As };
}

// the divisor of a mean loss: m for the mean losses, 1 for half-sse
function divisor(net) {
  if (BUG === 'mean-over-outputs-too' && net.loss === 'half-mse') return net.m * net.K;  // BUG mean-over-outputs-too
  return MEAN_LOSSES.includes(net.loss) ? net.m : 1;
}

function lossValue(net, Zs, As) {
  const Z = Zs[Zs.length - 1];
  const O = As[As.length - 1];
  let E = 0;
  for (let n = 0; n < net.m; n++) {
    if (net.loss === 'softmax-cross-entropy') {
      let c = -Infinity;
      for (let k = 0; k < net.K; k++) c = Math.max(c, Z[k][n]);
      let total = 0;
      for (let k = 0; k < net.K; k++) total += Math.exp(Z[k][n] - c);
      const lse = c + Math.log(total);
      for (let k = 0; k < net.K; k++) E -= net.T[k][n] * (Z[k][n] - lse);
      continue;
    }
    for (let k = 0; k < net.K; k++) {
      if (net.loss === 'binary-cross-entropy') {
        E += softplus(Z[k][n]) - net.T[k][n] * Z[k][n];
      } else {
        const d = net.T[k][n] - O[k][n];
        E += 0.5 * d * d;
      }
    }
  }
  return E / divisor(net);
}

// δ of the output layer, and what the output layer holds as its ∂E/∂out (for propagates-before-derivative)
function outputDelta(net, Zs, As) {
  const L = net.layers.length;
  const Z = Zs[L - 1];
  const O = As[L - 1];
  let s = divisor(net);
  if (BUG === 'missing-1-over-m' && MEAN_LOSSES.includes(net.loss)) s = 1;  // BUG missing-1-over-m: forgot to divide by m
  if (BUG === 'extra-1-over-m' && net.loss === 'half-sse') s = net.m;         // BUG extra-1-over-m: divided a summed loss by m

  const error = (o, t) => (BUG === 'sign-flip' ? t - o : o - t);            // BUG sign-flip: T - O
  if (FUSED_LOSSES.includes(net.loss)) {
    let D = map2(O, net.T, (o, t) => error(o, t) / s);
    if (BUG === 'cross-entropy-derivative-twice' && net.loss === 'binary-cross-entropy') {
      D = map2(O, net.T, (o, t, k, n) => (o - t) * sigmoidPrime(Z[k][n]) / s);  // BUG cross-entropy-derivative-twice
    }
    return { delta: D, dA: D };
  }
  let G = map2(O, net.T, (o, t) => error(o, t) / s);
  if (BUG === 'gradient-factor-two') G = map2(O, net.T, (o, t) => 2 * (o - t) / s);  // BUG gradient-factor-two: d/do ½(o-t)² taken as 2(o-t)
  if (BUG === 'missing-output-derivative') return { delta: G, dA: G };                // BUG missing-output-derivative: no f'
  return { delta: throughActivation(net, L - 1, Z, O, G), dA: G };
}

// dA[l] = W[l+1]ᵀ·δ[l+1] (units below × m); dAabove is ∂E/∂out of layer l+1
function sendDown(layerAbove, unitsBelow, deltaAbove, dAabove, m) {
  const W = layerAbove.W;
  const D = zeros(unitsBelow, m);
  for (let i = 0; i < unitsBelow; i++) {
    for (let n = 0; n < m; n++) {
      let s = 0;
      for (let j = 0; j < layerAbove.units; j++) {
        if (BUG === 'transposed-weights') {
          const w = i < W.length && j < W[0].length ? W[i][j] : 0;   // BUG transposed-weights: W·δ for Wᵀ·δ
          s += w * deltaAbove[j][n];
        } else if (BUG === 'propagation-without-weights') {
          s += deltaAbove[j][n];                                      // BUG propagation-without-weights
        } else if (BUG === 'propagates-before-derivative') {
          s += W[j][i] * dAabove[j][n];                               // BUG propagates-before-derivative: dA for δ
        } else {
          s += W[j][i] * deltaAbove[j][n];
        }
      }
      D[i][n] = s;
    }
  }
  return D;
}

function backward(net, Zs, As) {
  const L = net.layers.length;
  const m = net.m;
  const grads = new Array(L);
  let { delta, dA } = outputDelta(net, Zs, As);
  for (let l = L - 1; l >= 0; l--) {
    const layer = net.layers[l];
    let below = l === 0 ? net.X : As[l - 1];
    if (BUG === 'uses-net-not-out' && l >= 1) below = Zs[l - 1];       // BUG uses-net-not-out: Z for A
    const dW = zeros(layer.units, below.length);
    for (let j = 0; j < layer.units; j++) {
      for (let i = 0; i < below.length; i++) {
        for (let n = 0; n < m; n++) {
          if (BUG === 'gradient-not-accumulated') dW[j][i] = delta[j][n] * below[i][n];  // BUG gradient-not-accumulated: = for +=
          else dW[j][i] += delta[j][n] * below[i][n];
        }
      }
    }
    let db = null;
    if (layer.bias !== 'none') {
      db = new Array(layer.units).fill(0);
      if (BUG !== 'bias-gradient-zero') {                                              // BUG bias-gradient-zero: never filled in
        for (let j = 0; j < layer.units; j++) {
          for (let n = 0; n < m; n++) {
            if (BUG === 'bias-not-summed' || BUG === 'gradient-not-accumulated') db[j] = delta[j][n];  // BUG: = for +=
            else db[j] += delta[j][n];
          }
        }
      }
    }
    grads[l] = { weights: dW, biases: db };
    if (l > 0) {
      dA = sendDown(layer, net.layers[l - 1].units, delta, dA, m);
      delta = throughActivation(net, l - 1, Zs[l - 1], As[l - 1], dA);
    }
  }
  return grads;
}

function step(net, grads) {
  let eta = net.eta;
  if (BUG === 'step-climbs') eta = -net.eta;            // BUG step-climbs: W + η·dW
  if (BUG === 'learning-rate-ignored') eta = 1;         // BUG learning-rate-ignored: W - dW
  return net.layers.map((layer, l) => {
    const g = grads[l];
    const weights = layer.W.map((row, j) => row.map((w, i) => w - eta * g.weights[j][i]));
    let biases = layer.b === null ? null : layer.b.slice();
    const moves = layer.bias === 'trainable' || (BUG === 'frozen-bias-moved' && layer.bias === 'frozen');  // BUG frozen-bias-moved
    if (moves) biases = layer.b.map((b, j) => b - eta * g.biases[j]);
    return { weights, biases };
  });
}

// ---------------------------------------------------------------------------------------------
// Protocol
// ---------------------------------------------------------------------------------------------

function handle(request) {
  if (request === null || typeof request !== 'object') throw new BadRequest('expected a JSON object');
  if (request.protocol !== 'backprop-spec/1') throw new BadRequest('protocol: expected backprop-spec/1');
  const op = request.op;
  if (op === 'hello') {
    return { ok: true, implementation: `zoo-node:${BUG}`, precision: 'float64', activations: ACTIVATIONS, losses: LOSSES };
  }
  if (op !== 'forward' && op !== 'gradients' && op !== 'step') throw new BadRequest(`op: unknown ${JSON.stringify(op)}`);
  const net = readNetwork(request.network);
  const { Zs, As } = forward(net);
  if (op === 'step') return { ok: true, layers: step(net, backward(net, Zs, As)) };
  const reply = { ok: true, outputs: transpose(As[As.length - 1]), loss: lossValue(net, Zs, As) };
  if (op === 'gradients') reply.gradients = backward(net, Zs, As);
  return reply;
}

function checkFinite(v) {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new NonFinite('result is not finite (overflow)');
  if (Array.isArray(v)) v.forEach(checkFinite);
  else if (v !== null && typeof v === 'object') Object.values(v).forEach(checkFinite);
}

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
    return { id, ok: false, error: { code: 'internal', message: String(e && e.message ? e.message : e) } };
  }
}

function main(argv) {
  if (argv.length === 1 && argv[0] === '--list') {
    process.stdout.write(Object.keys(BUGS).join('\n') + '\n');
    return;
  }
  if (argv.length !== 2 || argv[0] !== '--bug') {
    process.stderr.write('usage: zoo.js --bug NAME | --list\n');
    process.exit(2);
  }
  if (argv[1] !== 'none' && !Object.prototype.hasOwnProperty.call(BUGS, argv[1])) {
    process.stderr.write(`zoo.js: unknown bug ${JSON.stringify(argv[1])}; known bugs: ${Object.keys(BUGS).join(', ')}\n`);
    process.exit(2);
  }
  BUG = argv[1];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    process.stdout.write(JSON.stringify(replyTo(line)) + '\n');
  });
}

module.exports = { BUGS };
if (require.main === module) main(process.argv.slice(2));
