#!/usr/bin/env node
// Backpropagation in float32, batched matrix form, speaking the BackpropSpec protocol.
//
//     node examples/float32/backprop.js      (reads JSON requests on stdin, one per line)
//
// Node.js 20, no packages. Every number lives in float32: inputs, weights, biases, targets and the
// learning rate are rounded with Math.fround when read, and every arithmetic result and every
// Math.exp / Math.log / Math.tanh result is rounded with Math.fround (F below) before it is used.
// The replies carry the float32 results as doubles, and hello says "precision": "float32".
//
// The algorithm is tutorial 004's matrix form for the whole batch at once (columns = examples):
//
//   forward    Z[l] = W[l]·A[l-1] + b[l]      A[l] = f(Z[l])          (A[-1] = Xᵀ)
//   output     dZ[L] = A[L] - Y                         for both cross-entropies (004's dZ = A - Y)
//              dZ[L] = (A[L] - Y) ⊙ f'(Z[L])            for half-sse and half-mse
//              dZ[L]_j = o_j (g_j - Σ_k g_k o_k), g = A - Y   softmax output under a squared loss
//   hidden     dA[l] = W[l+1]ᵀ·dZ[l+1]         dZ[l] = dA[l] ⊙ f'(Z[l])
//   gradients  dW[l] = (1/m)·dZ[l]·A[l-1]ᵀ      db[l] = (1/m)·Σ_n dZ[l]   (the 1/m where 004 puts it,
//              only for the mean losses; half-sse has none)
//   step       W - η·dW from the original weights; trainable biases likewise; frozen ones kept
//
// with textbook derivatives: sigmoid(z) = 1/(1 + exp(-z)), σ' = out(1 - out), tanh' = 1 - out²,
// relu'(z) = 1 if z > 0 else 0; softmax with the max shift; losses from the probabilities:
// -[t ln o + (1 - t) ln(1 - o)] and -Σ t ln o. Nothing is guarded: ln 0 and overflow give
// ±Infinity or NaN, which JSON.stringify writes as null.
'use strict';

const readline = require('readline');

const F = Math.fround;
const ACTIVATIONS = ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'];
const LOSSES = ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];

// ---------------------------------------------------------------- float32 matrix helpers

const zeros = (rows, cols) => Array.from({ length: rows }, () => new Array(cols).fill(0));
const transpose = (M) => M[0].map((_, c) => M.map((row) => row[c]));

// C = A·B, every product and every partial sum rounded to float32, k increasing
function matmul(A, B) {
  const rows = A.length;
  const inner = B.length;
  const cols = B[0].length;
  const C = zeros(rows, cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++) s = F(s + F(A[r][k] * B[k][c]));
      C[r][c] = s;
    }
  }
  return C;
}

const map2 = (A, B, fn) => A.map((row, r) => row.map((v, c) => fn(v, B[r][c])));

// ---------------------------------------------------------------- activations

const sigmoid = (z) => F(1 / F(1 + F(Math.exp(-z))));

function activate(activation, Z) {
  if (activation === 'softmax') {
    // column by column (one column per example), shifted by the column's maximum
    const A = zeros(Z.length, Z[0].length);
    for (let n = 0; n < Z[0].length; n++) {
      let c = Z[0][n];
      for (let k = 1; k < Z.length; k++) if (Z[k][n] > c) c = Z[k][n];
      let total = 0;
      const e = [];
      for (let k = 0; k < Z.length; k++) {
        e.push(F(Math.exp(F(Z[k][n] - c))));
        total = F(total + e[k]);
      }
      for (let k = 0; k < Z.length; k++) A[k][n] = F(e[k] / total);
    }
    return A;
  }
  return Z.map((row) => row.map((z) => {
    switch (activation) {
      case 'identity': return z;
      case 'sigmoid': return sigmoid(z);
      case 'tanh': return F(Math.tanh(z));
      case 'relu': return z > 0 ? z : 0;
      default: throw new Error(`unknown activation ${activation}`);
    }
  }));
}

// f'(Z) elementwise, textbook style from the output A
function derivative(activation, z, a) {
  switch (activation) {
    case 'identity': return 1;
    case 'sigmoid': return F(a * F(1 - a));
    case 'tanh': return F(1 - F(a * a));
    case 'relu': return z > 0 ? 1 : 0;
    default: throw new Error(`no elementwise derivative for ${activation}`);
  }
}

// dZ from dA: ⊙ f'(Z), or the softmax Jacobian per column
function throughActivation(activation, Z, A, dA) {
  if (activation === 'softmax') {
    const dZ = zeros(A.length, A[0].length);
    for (let n = 0; n < A[0].length; n++) {
      let s = 0;
      for (let k = 0; k < A.length; k++) s = F(s + F(dA[k][n] * A[k][n]));
      for (let j = 0; j < A.length; j++) dZ[j][n] = F(A[j][n] * F(dA[j][n] - s));
    }
    return dZ;
  }
  return dA.map((row, j) => row.map((g, n) => F(g * derivative(activation, Z[j][n], A[j][n]))));
}

// ---------------------------------------------------------------- the network

function readNetwork(doc) {
  const layers = doc.layers.map((raw) => {
    const bias = raw.bias === undefined ? 'none' : raw.bias;
    return {
      activation: raw.activation,
      bias,
      W: raw.weights.map((row) => row.map(F)),
      b: bias === 'none' ? null : raw.biases.map(F),
    };
  });
  return {
    layers,
    loss: doc.loss,
    eta: F(doc.learningRate),
    X: transpose(doc.batch.inputs.map((row) => row.map(F))),   // inputs × m
    Y: transpose(doc.batch.targets.map((row) => row.map(F))),  // outputs × m
    m: doc.batch.inputs.length,
  };
}

function forward(net) {
  const Zs = [];
  const As = [];
  let A = net.X;
  for (const layer of net.layers) {
    let Z = matmul(layer.W, A);
    if (layer.b !== null) Z = Z.map((row, j) => row.map((v) => F(v + layer.b[j])));
    A = activate(layer.activation, Z);
    Zs.push(Z);
    As.push(A);
  }
  return { Zs, As };
}

function cost(net, O) {
  const { Y, m, loss } = net;
  let E = 0;
  for (let n = 0; n < m; n++) {
    for (let k = 0; k < O.length; k++) {
      const o = O[k][n];
      const t = Y[k][n];
      if (loss === 'half-sse' || loss === 'half-mse') {
        const d = F(t - o);
        E = F(E + F(0.5 * F(d * d)));
      } else if (loss === 'binary-cross-entropy') {
        const term = F(F(t * F(Math.log(o))) + F(F(1 - t) * F(Math.log(F(1 - o)))));
        E = F(E - term);
      } else { // softmax-cross-entropy
        E = F(E - F(t * F(Math.log(o))));
      }
    }
  }
  return loss === 'half-sse' ? E : F(F(1 / m) * E);
}

function backward(net, Zs, As) {
  const { layers, loss, m } = net;
  const L = layers.length;
  const scale = loss === 'half-sse' ? 1 : F(1 / m);     // 004's (1/m), applied to dW and db
  const grads = new Array(L);

  const O = As[L - 1];
  const diff = map2(O, net.Y, (o, t) => F(o - t));
  let dZ;
  if (loss === 'binary-cross-entropy' || loss === 'softmax-cross-entropy') dZ = diff;  // 004: dZ = A - Y
  else dZ = throughActivation(layers[L - 1].activation, Zs[L - 1], O, diff);

  for (let l = L - 1; l >= 0; l--) {
    const Aprev = l === 0 ? net.X : As[l - 1];
    const dW = matmul(dZ, transpose(Aprev)).map((row) => row.map((v) => F(scale * v)));
    let db = null;
    if (layers[l].bias !== 'none') {
      db = dZ.map((row) => {
        let s = 0;
        for (const v of row) s = F(s + v);
        return F(scale * s);
      });
    }
    grads[l] = { weights: dW, biases: db };
    if (l > 0) {
      const dA = matmul(transpose(layers[l].W), dZ);
      dZ = throughActivation(layers[l - 1].activation, Zs[l - 1], As[l - 1], dA);
    }
  }
  return grads;
}

function step(net, grads) {
  return net.layers.map((layer, l) => {
    const g = grads[l];
    const weights = layer.W.map((row, j) => row.map((w, i) => F(w - F(net.eta * g.weights[j][i]))));
    let biases = layer.b;
    if (layer.bias === 'trainable') biases = layer.b.map((b, j) => F(b - F(net.eta * g.biases[j])));
    return { weights, biases };
  });
}

// ---------------------------------------------------------------- protocol

function handle(request) {
  const op = request.op;
  if (op === 'hello') {
    return { ok: true, implementation: 'float32-node', precision: 'float32', activations: ACTIVATIONS, losses: LOSSES };
  }
  if (op !== 'forward' && op !== 'gradients' && op !== 'step') {
    return { ok: false, error: { code: 'bad-request', message: `unknown op ${JSON.stringify(op)}` } };
  }
  const net = readNetwork(request.network);
  const { Zs, As } = forward(net);
  const O = As[As.length - 1];
  if (op === 'step') return { ok: true, layers: step(net, backward(net, Zs, As)) };
  const reply = { ok: true, outputs: transpose(O), loss: cost(net, O) };
  if (op === 'gradients') reply.gradients = backward(net, Zs, As);
  return reply;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (line.trim() === '') return;
  let id = null;
  let reply;
  try {
    const request = JSON.parse(line);
    if (request !== null && typeof request === 'object' && request.id !== undefined) id = request.id;
    reply = handle(request);
  } catch (e) {
    reply = { ok: false, error: { code: 'internal', message: String(e && e.message ? e.message : e) } };
  }
  process.stdout.write(JSON.stringify({ id, ...reply }) + '\n');
});
