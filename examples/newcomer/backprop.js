// Plain batched MLP backprop in float32 for the backprop-spec/1 protocol.
// Matrices are Float32Array, row-major. Every arithmetic result goes through Math.fround.
'use strict';
const readline = require('readline');
const f = Math.fround;
const FLAGS = new Set(process.argv.slice(2));
// Written by a newcomer from oracle/PROTOCOL.md alone (examples/newcomer/RESULTS.md). Textbook
// variants behind flags:
// --raw: no finiteness check (JSON.stringify writes null); --noshift: softmax without max;
// --chain: cross-entropy delta through dE/do and f'; --divend: 1/m applied to the accumulated gradient;
// --biasfirst: the bias added before the weighted sum; --revsum: the sum in reverse order;
// --recip: multiply by 1/m instead of dividing by m; --tanhexp: tanh from exponentials;
// --jacobian: the softmax Jacobian formed as a matrix, then J.g; --sigexp: sigma' as e^-z/(1 + e^-z)^2

function mat(rows, cols) { return { rows, cols, d: new Float32Array(rows * cols) }; }
function fromRows(a, cols) {
  const M = mat(a.length, cols);
  for (let r = 0; r < a.length; r++) for (let c = 0; c < cols; c++) M.d[r * cols + c] = a[r][c];
  return M;
}
function toRows(M) {
  const out = [];
  for (let r = 0; r < M.rows; r++) {
    const row = [];
    for (let c = 0; c < M.cols; c++) row.push(M.d[r * M.cols + c]);
    out.push(row);
  }
  return out;
}

// activations, applied to a whole matrix (rows = examples)
function activate(name, Z) {
  const A = mat(Z.rows, Z.cols);
  if (name === 'softmax') {
    for (let n = 0; n < Z.rows; n++) {
      let mx = -Infinity;
      for (let k = 0; k < Z.cols; k++) mx = Math.max(mx, Z.d[n * Z.cols + k]);
      if (FLAGS.has('--noshift')) mx = 0;
      let s = 0;
      for (let k = 0; k < Z.cols; k++) {
        const e = f(Math.exp(f(Z.d[n * Z.cols + k] - mx)));
        A.d[n * Z.cols + k] = e;
        s = f(s + e);
      }
      for (let k = 0; k < Z.cols; k++) A.d[n * Z.cols + k] = f(A.d[n * Z.cols + k] / s);
    }
    return A;
  }
  for (let i = 0; i < Z.d.length; i++) {
    const z = Z.d[i];
    let a;
    switch (name) {
      case 'identity': a = z; break;
      case 'sigmoid': a = f(1 / f(1 + f(Math.exp(-z)))); break;
      case 'tanh':
        if (FLAGS.has('--tanhexp')) { const ep = f(Math.exp(z)), em = f(Math.exp(-z)); a = f(f(ep - em) / f(ep + em)); }
        else a = f(Math.tanh(z));
        break;
      case 'relu': a = z > 0 ? z : 0; break;
      default: throw { code: 'unsupported', message: 'activation ' + name };
    }
    A.d[i] = a;
  }
  return A;
}

// derivative written in terms of the output, textbook style
function derivative(name, out) {
  switch (name) {
    case 'identity': return 1;
    case 'sigmoid': return f(out * f(1 - out));  // (--sigexp is handled where net is known)
    case 'tanh': return f(1 - f(out * out));
    case 'relu': return out > 0 ? 1 : 0;
  }
  throw { code: 'unsupported', message: 'derivative of ' + name };
}

function parse(net) {
  const layers = [];
  let fanIn = net.inputs;
  for (const L of net.layers) {
    const W = fromRows(L.weights, fanIn);
    const bias = L.bias || 'none';
    let b = null;
    if (bias !== 'none') b = Float32Array.from(L.biases);
    layers.push({ units: L.units, activation: L.activation, bias, W, b });
    fanIn = L.units;
  }
  const X = fromRows(net.batch.inputs, net.inputs);
  const T = fromRows(net.batch.targets, layers[layers.length - 1].units);
  return { layers, X, T, loss: net.loss, eta: f(net.learningRate), m: X.rows };
}

function forward(p) {
  const outs = [p.X];
  let A = p.X;
  for (const L of p.layers) {
    // Z = A * W^T + b
    const Z = mat(A.rows, L.units);
    for (let n = 0; n < A.rows; n++) {
      for (let j = 0; j < L.units; j++) {
        let s = 0;
        if (FLAGS.has('--biasfirst') && L.b) s = L.b[j];
        if (FLAGS.has('--revsum')) for (let i = A.cols - 1; i >= 0; i--) s = f(s + f(L.W.d[j * L.W.cols + i] * A.d[n * A.cols + i]));
        else for (let i = 0; i < A.cols; i++) s = f(s + f(L.W.d[j * L.W.cols + i] * A.d[n * A.cols + i]));
        if (!FLAGS.has('--biasfirst') && L.b) s = f(s + L.b[j]);
        Z.d[n * L.units + j] = s;
      }
    }
    A = activate(L.activation, Z);
    A.net = Z;
    outs.push(A);
  }
  return outs;
}

function lossOf(p, O) {
  const T = p.T, m = p.m;
  let E = 0;
  for (let i = 0; i < O.d.length; i++) {
    const o = O.d[i], t = T.d[i];
    switch (p.loss) {
      case 'half-sse':
      case 'half-mse': { const d = f(t - o); E = f(E + f(f(0.5 * d) * d)); break; }
      case 'binary-cross-entropy':
        E = f(E - f(f(t * f(Math.log(o))) + f(f(1 - t) * f(Math.log(f(1 - o))))));
        break;
      case 'softmax-cross-entropy':
        E = f(E - f(t * f(Math.log(o))));
        break;
      default: throw { code: 'unsupported', message: 'loss ' + p.loss };
    }
  }
  if (p.loss !== 'half-sse') E = FLAGS.has('--recip') ? f(E * f(1 / m)) : f(E / m);
  return E;
}

function backward(p, outs) {
  const m = p.m, Lc = p.layers.length;
  const O = outs[Lc];
  const last = p.layers[Lc - 1];
  let delta = mat(O.rows, O.cols);
  const divend = FLAGS.has('--divend') && p.loss !== 'half-sse';
  const inv = divend ? 1 : m;
  if (!FLAGS.has('--chain') && (p.loss === 'binary-cross-entropy' || p.loss === 'softmax-cross-entropy')) {
    const r = f(1 / inv);
    for (let i = 0; i < O.d.length; i++) delta.d[i] = FLAGS.has('--recip') ? f(f(O.d[i] - p.T.d[i]) * r) : f(f(O.d[i] - p.T.d[i]) / inv);
  } else {
    const G = mat(O.rows, O.cols); // dE/dout
    for (let i = 0; i < O.d.length; i++) {
      const o = O.d[i], t = p.T.d[i];
      if (p.loss === 'binary-cross-entropy') G.d[i] = f(f(f(1 - t) / f(1 - o)) - f(t / o));
      else if (p.loss === 'softmax-cross-entropy') G.d[i] = f(-f(t / o));
      else G.d[i] = f(o - t);
      if (p.loss !== 'half-sse') G.d[i] = FLAGS.has('--recip') ? f(G.d[i] * f(1 / inv)) : f(G.d[i] / inv);
    }
    if (last.activation === 'softmax') {
      for (let n = 0; n < O.rows; n++) {
        let s = 0;
        for (let k = 0; k < O.cols; k++) s = f(s + f(O.d[n * O.cols + k] * G.d[n * O.cols + k]));
        for (let j = 0; j < O.cols; j++) {
          const o = O.d[n * O.cols + j];
          if (FLAGS.has('--jacobian')) {
            // the full Jacobian J[j][k] = o_j (delta_jk - o_k), times g
            let d = 0;
            for (let k = 0; k < O.cols; k++) d = f(d + f(f(o * f((j === k ? 1 : 0) - O.d[n * O.cols + k])) * G.d[n * O.cols + k]));
            delta.d[n * O.cols + j] = d;
          } else delta.d[n * O.cols + j] = f(o * f(G.d[n * O.cols + j] - s));
        }
      }
    } else {
      for (let i = 0; i < O.d.length; i++) {
        let dp = derivative(last.activation, O.d[i]);
        if (FLAGS.has('--sigexp') && last.activation === 'sigmoid') {
          const e = f(Math.exp(-O.net.d[i])); const q = f(1 + e); dp = f(e / f(q * q));
        }
        delta.d[i] = f(G.d[i] * dp);
      }
    }
  }
  const grads = new Array(Lc);
  for (let l = Lc - 1; l >= 0; l--) {
    const L = p.layers[l];
    const Aprev = outs[l];
    // dW = delta^T * Aprev
    const gW = mat(L.units, Aprev.cols);
    for (let j = 0; j < L.units; j++)
      for (let i = 0; i < Aprev.cols; i++) {
        let s = 0;
        for (let n = 0; n < m; n++) s = f(s + f(delta.d[n * L.units + j] * Aprev.d[n * Aprev.cols + i]));
        gW.d[j * gW.cols + i] = s;
      }
    let gb = null;
    if (L.b) {
      gb = new Float32Array(L.units);
      for (let j = 0; j < L.units; j++) {
        let s = 0;
        for (let n = 0; n < m; n++) s = f(s + delta.d[n * L.units + j]);
        gb[j] = s;
      }
    }
    if (divend) {
      for (let i = 0; i < gW.d.length; i++) gW.d[i] = f(gW.d[i] / m);
      if (gb) for (let j = 0; j < gb.length; j++) gb[j] = f(gb[j] / m);
    }
    grads[l] = { W: gW, b: gb };
    if (l > 0) {
      // delta_prev = (delta * W) .* f'(out_prev)
      const P = p.layers[l - 1];
      const nd = mat(m, Aprev.cols);
      for (let n = 0; n < m; n++)
        for (let i = 0; i < Aprev.cols; i++) {
          let s = 0;
          for (let j = 0; j < L.units; j++) s = f(s + f(delta.d[n * L.units + j] * L.W.d[j * L.W.cols + i]));
          let dp = derivative(P.activation, Aprev.d[n * Aprev.cols + i]);
          if (FLAGS.has('--sigexp') && P.activation === 'sigmoid') {
            const e = f(Math.exp(-Aprev.net.d[n * Aprev.cols + i])); const q = f(1 + e); dp = f(e / f(q * q));
          }
          nd.d[n * Aprev.cols + i] = f(s * dp);
        }
      delta = nd;
    }
  }
  return grads;
}

function allFinite(x) {
  if (typeof x === 'number') return Number.isFinite(x);
  if (x === null) return true;
  if (Array.isArray(x)) return x.every(allFinite);
  if (typeof x === 'object') return Object.values(x).every(allFinite);
  return true;
}

function handle(req) {
  if (req.op === 'hello') {
    return { implementation: 'newcomer-node-float32',
      activations: ['identity', 'sigmoid', 'tanh', 'relu', 'softmax'],
      losses: ['half-sse', 'half-mse', 'binary-cross-entropy', 'softmax-cross-entropy'],
      precision: 'float32' };
  }
  const p = parse(req.network);
  const outs = forward(p);
  const O = outs[outs.length - 1];
  if (req.op === 'forward') return { outputs: toRows(O), loss: lossOf(p, O) };
  const grads = backward(p, outs);
  if (req.op === 'gradients') {
    return { outputs: toRows(O), loss: lossOf(p, O),
      gradients: grads.map(g => ({ weights: toRows(g.W), biases: g.b ? Array.from(g.b) : null })) };
  }
  if (req.op === 'step') {
    return { layers: p.layers.map((L, l) => {
      const g = grads[l];
      const W = mat(L.W.rows, L.W.cols);
      for (let i = 0; i < W.d.length; i++) W.d[i] = f(L.W.d[i] - f(p.eta * g.W.d[i]));
      let b = null;
      if (L.b) {
        b = Array.from(L.b);
        if (L.bias === 'trainable') for (let j = 0; j < b.length; j++) b[j] = f(L.b[j] - f(p.eta * g.b[j]));
      }
      return { weights: toRows(W), biases: b };
    }) };
  }
  throw { code: 'bad-request', message: 'unknown op ' + req.op };
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', line => {
  if (!line.trim()) return;
  let req, reply;
  try {
    req = JSON.parse(line);
    const r = handle(req);
    if (!FLAGS.has('--raw') && !allFinite(r)) reply = { id: req.id, ok: false, error: { code: 'unsupported', message: 'a result is not finite in float32' } };
    else reply = Object.assign({ id: req.id, ok: true }, r);
  } catch (e) {
    reply = { id: req ? req.id : null, ok: false,
      error: { code: e && e.code ? e.code : 'internal', message: e && e.message ? e.message : String(e) } };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
