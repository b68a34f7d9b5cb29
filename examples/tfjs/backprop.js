#!/usr/bin/env node
// A BackpropSpec protocol adapter for TensorFlow.js: the network is built from tf ops and every
// gradient comes from tf's own autograd (tf.valueAndGrads); there is no hand-written backward pass.
//
//     cd examples/tfjs && npm ci        (once; @tensorflow/tfjs pinned at 4.22.0 by package-lock.json)
//     node examples/tfjs/backprop.js    (reads JSON requests on stdin, one per line)
//
// CPU backend, float32 throughout (hello says "precision": "float32"): the inputs, weights, biases,
// targets and learning rate become float32 tensors, and the replies carry the float32 results as
// doubles. Non-finite results are written as JSON.stringify writes them (null).
//
// Losses, each reduced exactly as oracle/PROTOCOL.md defines it (tf's default reduction,
// SUM_BY_NONZERO_WEIGHTS, would be the mean over batch AND outputs, so it is never used):
//   half-sse               0.5 · sum((o - t)²)
//   half-mse               0.5 · sum((o - t)²) / m
//   binary-cross-entropy   tf.losses.sigmoidCrossEntropy(t, logits, reduction SUM) / m
//                          From the logits, not from o = sigmoid(logits): that is how tf wants it
//                          used, and its max(z, 0) - z·t + log1p(exp(-|z|)) form needs no ln 0 and
//                          no division by o(1 - o), so a saturated sigmoid still has a finite loss.
//   softmax-cross-entropy  tf.losses.softmaxCrossEntropy(t, logits, reduction SUM) / m
//                          (log-softmax of the logits; t may be any probability vector)
// With --layers, the cross-entropies as the layers API computes them from the probabilities o, the
// losses model.compile({loss: 'binaryCrossentropy'}) and 'categoricalCrossentropy' use (tf.metrics.*:
// o clipped to [1e-7, 1 - 1e-7], the clip's gradient 0 outside; a mean over the outputs, times K here):
//   binary-cross-entropy   K · sum(tf.metrics.binaryCrossentropy(t, o)) / m
//   softmax-cross-entropy  sum(tf.metrics.categoricalCrossentropy(t, o)) / m
// check reports what the clip moves as accuracy findings (probability-clamp), not as bugs.
// With --logloss, from the probabilities with an epsilon inside the logarithm instead, as tf.losses.logLoss
// computes it (-t·log(o + 1e-7) - (1 - t)·log(1 - o + 1e-7)) and as tutorials write the softmax's:
//   binary-cross-entropy   tf.losses.logLoss(t, o, weights none, epsilon 1e-7, reduction SUM) / m
//   softmax-cross-entropy  -sum(t · log(o + 1e-7)) / m
// (an accuracy finding too, probability-clamp: the epsilon moves the loss by t·ln(1 + 1e-7/o)).
//
// relu'(0): tf's relu gradient is dy · step(x) with step(0) = 0, so relu'(0) = 0 as PROTOCOL.md
// asks; nothing to patch (the self-test checks it on networks with a relu unit at net = 0 exactly).
// Step: W - η·∂E/∂W from the original weights, with tf ops in float32; trainable biases likewise;
// frozen biases still get their gradient reported but come back unchanged (as float32).
'use strict';

// stdout carries protocol lines only: whatever tf (or anything else) logs goes to stderr.
for (const level of ['log', 'info', 'warn', 'debug']) {
  console[level] = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');
}

const readline = require('readline');
const tf = require('@tensorflow/tfjs');

const ACTIVATIONS = ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'];
const LOSSES = ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'];

function activate(activation, z) {
  switch (activation) {
    case 'identity': return z;
    case 'sigmoid': return tf.sigmoid(z);
    case 'tanh': return tf.tanh(z);
    case 'relu': return tf.relu(z);
    case 'softmax': return tf.softmax(z); // along the last axis: one row per example
    default: throw new Error(`unknown activation ${JSON.stringify(activation)}`);
  }
}

// The network as tensors: W[l] is [units, fanIn] exactly as in the document, b[l] is [units] or null.
function readNetwork(doc) {
  const layers = doc.layers.map((raw) => {
    const bias = raw.bias === undefined ? 'none' : raw.bias;
    return {
      activation: raw.activation,
      bias,
      W: tf.tensor2d(raw.weights, undefined, 'float32'),
      b: bias === 'none' ? null : tf.tensor1d(raw.biases, 'float32'),
    };
  });
  return {
    layers,
    loss: doc.loss,
    eta: tf.scalar(doc.learningRate, 'float32'),
    X: tf.tensor2d(doc.batch.inputs, undefined, 'float32'),   // [m, inputs]
    T: tf.tensor2d(doc.batch.targets, undefined, 'float32'),  // [m, outputs]
    m: doc.batch.inputs.length,
  };
}

// The parameters that get gradients, in a fixed order: W0, b0 (if any), W1, b1 (if any), ...
function parameterList(net) {
  const list = [];
  for (const layer of net.layers) {
    list.push(layer.W);
    if (layer.b !== null) list.push(layer.b);
  }
  return list;
}

// Forward pass with the given parameters (in parameterList order): outputs and the last logits.
function forward(net, params) {
  let k = 0;
  let a = net.X;
  let z = null;
  for (const layer of net.layers) {
    const W = params[k++];
    z = tf.matMul(a, W, false, true);            // [m, units] = A · Wᵀ
    if (layer.b !== null) z = tf.add(z, params[k++]);
    a = activate(layer.activation, z);
  }
  return { outputs: a, logits: z };
}

// --layers: the cross-entropies of the layers API, from the probabilities (see the top of the file)
const LAYERS = process.argv.includes('--layers');
// --logloss: the same from the probabilities with an epsilon inside the logarithm (see the top of the file)
const LOGLOSS = process.argv.includes('--logloss');

function lossOf(net, outputs, logits) {
  const m = tf.scalar(net.m, 'float32');
  switch (net.loss) {
    case 'half-sse':
      return tf.mul(0.5, tf.sum(tf.square(tf.sub(outputs, net.T))));
    case 'half-mse':
      return tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(outputs, net.T)))), m);
    case 'binary-cross-entropy':
      if (LAYERS) return tf.div(tf.mul(tf.sum(tf.metrics.binaryCrossentropy(net.T, outputs)), outputs.shape[1]), m);
      if (LOGLOSS) return tf.div(tf.losses.logLoss(net.T, outputs, undefined, 1e-7, tf.Reduction.SUM), m);
      return tf.div(tf.losses.sigmoidCrossEntropy(net.T, logits, undefined, 0, tf.Reduction.SUM), m);
    case 'softmax-cross-entropy':
      if (LAYERS) return tf.div(tf.sum(tf.metrics.categoricalCrossentropy(net.T, outputs)), m);
      if (LOGLOSS) return tf.div(tf.neg(tf.sum(tf.mul(net.T, tf.log(tf.add(outputs, 1e-7))))), m);
      return tf.div(tf.losses.softmaxCrossEntropy(net.T, logits, undefined, 0, tf.Reduction.SUM), m);
    default:
      throw new Error(`unknown loss ${JSON.stringify(net.loss)}`);
  }
}

// Per-layer {weights, biases} arrays from a flat tensor list in parameterList order.
function perLayer(net, tensors) {
  let k = 0;
  return net.layers.map((layer) => {
    const weights = tensors[k++].arraySync();
    const biases = layer.b === null ? null : tensors[k++].arraySync();
    return { weights, biases };
  });
}

function handle(request) {
  const op = request.op;
  if (op === 'hello') {
    return {
      ok: true, implementation: `tfjs-${tf.version.tfjs}-${tf.getBackend()}${LAYERS ? '-layers' : ''}${LOGLOSS ? '-logloss' : ''}`, precision: 'float32',
      activations: ACTIVATIONS, losses: LOSSES,
    };
  }
  if (op !== 'forward' && op !== 'gradients' && op !== 'step') {
    return { ok: false, error: { code: 'bad-request', message: `unknown op ${JSON.stringify(op)}` } };
  }
  return tf.tidy(() => {
    const net = readNetwork(request.network);
    const params = parameterList(net);
    if (op === 'forward') {
      const { outputs, logits } = forward(net, params);
      return { ok: true, outputs: outputs.arraySync(), loss: lossOf(net, outputs, logits).arraySync() };
    }
    // tf's autograd: E as a function of the parameter tensors, and ∂E/∂(each of them)
    const { value, grads } = tf.valueAndGrads((...p) => {
      const { outputs, logits } = forward(net, p);
      return lossOf(net, outputs, logits);
    })(params);
    if (op === 'gradients') {
      const { outputs } = forward(net, params);
      return { ok: true, outputs: outputs.arraySync(), loss: value.arraySync(), gradients: perLayer(net, grads) };
    }
    // step: every gradient above is from the original weights; update them all at once
    let k = 0;
    const updated = [];
    for (const layer of net.layers) {
      updated.push(tf.sub(layer.W, tf.mul(net.eta, grads[k++])));
      if (layer.b !== null) {
        const g = grads[k++];
        updated.push(layer.bias === 'trainable' ? tf.sub(layer.b, tf.mul(net.eta, g)) : layer.b);
      }
    }
    return { ok: true, layers: perLayer(net, updated) };
  });
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  for await (const line of rl) {
    if (line.trim() === '') continue;
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
  }
}

main().catch((e) => {
  process.stderr.write(`tfjs adapter: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
