// A plain textbook backprop for the backprop-spec/1 protocol, written from PROTOCOL.md.
// float64 by default; --f32 stores and computes everything in f32.
mod json;

use json::Json;
use std::fmt::LowerExp;
use std::io::{BufRead, Write};
use std::ops::{Add, Div, Mul, Neg, Sub};

// ---------------------------------------------------------------- numbers

trait Real:
    Copy
    + PartialOrd
    + LowerExp
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
{
    fn parse(s: &str) -> Self;
    fn num(x: f64) -> Self; // only for small exact constants (0, 0.5, 1, 2, m)
    fn exp(self) -> Self;
    fn exp_m1(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn powi(self, n: i32) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn is_finite(self) -> bool;
}

macro_rules! impl_real {
    ($t:ty) => {
        impl Real for $t {
            fn parse(s: &str) -> Self {
                if PARSE64.load(std::sync::atomic::Ordering::Relaxed) {
                    s.parse::<f64>().unwrap() as $t
                } else {
                    s.parse::<$t>().unwrap()
                }
            }
            fn num(x: f64) -> Self {
                x as $t
            }
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            fn exp_m1(self) -> Self {
                <$t>::exp_m1(self)
            }
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}
impl_real!(f64);
impl_real!(f32);

// ---------------------------------------------------------------- options

#[derive(Default, Clone, Copy)]
struct Opts {
    f32: bool,
    noshift: bool,   // softmax without subtracting the max
    fused: bool,     // cross-entropy output delta written (o - t)/m directly
    powi: bool,      // squares as x.powi(2) instead of x*x
    mulacc: bool,    // fused multiply-add in dot products, accumulations and the step
    rowmajor: bool,  // --rowmajor-batch: gradients as a batched matrix product, examples last-to-first
    tanhexp: bool,   // tanh = (e^2x - 1)/(e^2x + 1)
    expm1: bool,     // tanh = expm1(2x)/(expm1(2x) + 2)
    sigexp: bool,    // sigma'(net) = e^-net/(1 + e^-net)^2
    matjac: bool,    // softmax Jacobian formed as a K x K matrix, then J*g
    meanlast: bool,  // mean losses: 1/m applied to the summed gradients at the end
    parse64: bool,   // f32: read each number as f64 first, then cast (numpy's float32(float(s)))
    bcequot: bool,   // BCE dE/do written (o - t)/(o(1 - o))/m, then times sigma'
    skipzero: bool,  // cross-entropy: terms with t = 0 skipped (0 ln 0 = 0, dE/do = 0)
    derivinside: bool, // hidden delta as sum_j w*delta*f' instead of (sum_j w*delta)*f'
    tanhsig: bool,   // tanh(x) = 2 sigma(2x) - 1
    sigstable: bool, // sigma = e^x/(1 + e^x) for x < 0, 1/(1 + e^-x) otherwise
    pairwise: bool,  // pairwise (recursive halving) summation in dot products
    stepmean: bool,  // mean losses: step W - (eta/m)*sum_n g_n (Nielsen)
    eps: bool,       // cross-entropy: ln(o + 1e-7), -t/(o + 1e-7)
    softrecip: bool, // softmax o_j = 1/sum_k e^(net_k - net_j)
    invm: bool,      // multiply by a precomputed 1/m instead of dividing by m
    nodiv: bool,     // internal (stepmean): gradients of mean losses left as the plain sum over the batch
}

static PARSE64: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

// ---------------------------------------------------------------- network

#[derive(Clone, Copy, PartialEq, Debug)]
enum Act {
    Identity,
    Sigmoid,
    Tanh,
    Relu,
    Softmax,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Loss {
    HalfSse,
    HalfMse,
    Bce,
    SoftmaxCe,
}

struct Layer<T> {
    act: Act,
    w: Vec<Vec<T>>, // w[j][i]: into unit j from unit i
    b: Option<Vec<T>>,
    trainable: bool,
}

struct Network<T> {
    layers: Vec<Layer<T>>,
    loss: Loss,
    lr: T,
    xs: Vec<Vec<T>>,
    ts: Vec<Vec<T>>,
}

fn nums<T: Real>(j: &Json, what: &str) -> Result<Vec<T>, String> {
    let a = j.as_arr().ok_or(format!("{what}: expected an array"))?;
    a.iter()
        .map(|v| v.num_text().map(T::parse).ok_or(format!("{what}: expected numbers")))
        .collect()
}

fn matrix<T: Real>(j: &Json, what: &str) -> Result<Vec<Vec<T>>, String> {
    let a = j.as_arr().ok_or(format!("{what}: expected an array"))?;
    a.iter().map(|r| nums(r, what)).collect()
}

fn read_network<T: Real>(j: &Json) -> Result<Network<T>, String> {
    let mut layers = Vec::new();
    for (l, lj) in j.get("layers").and_then(|x| x.as_arr()).ok_or("layers missing")?.iter().enumerate() {
        let act = match lj.get("activation").and_then(|x| x.as_str()).unwrap_or("") {
            "identity" => Act::Identity,
            "sigmoid" => Act::Sigmoid,
            "tanh" => Act::Tanh,
            "relu" => Act::Relu,
            "softmax" => Act::Softmax,
            other => return Err(format!("layers[{l}].activation: unknown '{other}'")),
        };
        let w = matrix(lj.get("weights").ok_or("weights missing")?, "weights")?;
        let mode = lj.get("bias").and_then(|x| x.as_str()).unwrap_or("none");
        let b = if mode == "none" {
            None
        } else {
            Some(nums(lj.get("biases").ok_or("biases missing")?, "biases")?)
        };
        layers.push(Layer { act, w, b, trainable: mode == "trainable" });
    }
    let loss = match j.get("loss").and_then(|x| x.as_str()).unwrap_or("") {
        "half-sse" => Loss::HalfSse,
        "half-mse" => Loss::HalfMse,
        "binary-cross-entropy" => Loss::Bce,
        "softmax-cross-entropy" => Loss::SoftmaxCe,
        other => return Err(format!("loss: unknown '{other}'")),
    };
    let lr = T::parse(j.get("learningRate").and_then(|x| x.num_text()).ok_or("learningRate missing")?);
    let batch = j.get("batch").ok_or("batch missing")?;
    let xs = matrix(batch.get("inputs").ok_or("batch.inputs missing")?, "batch.inputs")?;
    let ts = matrix(batch.get("targets").ok_or("batch.targets missing")?, "batch.targets")?;
    Ok(Network { layers, loss, lr, xs, ts })
}

// ---------------------------------------------------------------- maths

struct Bp {
    o: Opts,
}

impl Bp {
    fn sq<T: Real>(&self, x: T) -> T {
        if self.o.powi { x.powi(2) } else { x * x }
    }

    fn dot<T: Real>(&self, w: &[T], x: &[T]) -> T {
        if self.o.pairwise && w.len() > 2 {
            let h = w.len() / 2;
            return self.dot(&w[..h], &x[..h]) + self.dot(&w[h..], &x[h..]);
        }
        let mut s = T::num(0.0);
        for i in 0..w.len() {
            if self.o.mulacc {
                s = w[i].mul_add(x[i], s);
            } else {
                s = s + w[i] * x[i];
            }
        }
        s
    }

    fn acc<T: Real>(&self, s: T, a: T, b: T) -> T {
        if self.o.mulacc { a.mul_add(b, s) } else { s + a * b }
    }

    fn sigmoid<T: Real>(&self, x: T) -> T {
        if self.o.sigstable && x < T::num(0.0) {
            let e = x.exp();
            return e / (T::num(1.0) + e);
        }
        T::num(1.0) / (T::num(1.0) + (-x).exp())
    }

    fn tanh<T: Real>(&self, x: T) -> T {
        if self.o.tanhexp {
            let e = (T::num(2.0) * x).exp();
            (e - T::num(1.0)) / (e + T::num(1.0))
        } else if self.o.tanhsig {
            T::num(2.0) * self.sigmoid(T::num(2.0) * x) - T::num(1.0)
        } else if self.o.expm1 {
            let e = (T::num(2.0) * x).exp_m1();
            e / (e + T::num(2.0))
        } else {
            x.tanh()
        }
    }

    fn softmax<T: Real>(&self, net: &[T]) -> Vec<T> {
        if self.o.softrecip {
            return net
                .iter()
                .map(|&zj| {
                    let mut s = T::num(0.0);
                    for &zk in net {
                        s = s + (zk - zj).exp();
                    }
                    T::num(1.0) / s
                })
                .collect();
        }
        let mut c = T::num(0.0);
        if !self.o.noshift {
            c = net[0];
            for &v in net {
                if v > c {
                    c = v;
                }
            }
        }
        let e: Vec<T> = net.iter().map(|&v| (v - c).exp()).collect();
        let mut s = T::num(0.0);
        for &v in &e {
            s = s + v;
        }
        e.iter().map(|&v| v / s).collect()
    }

    fn activate<T: Real>(&self, act: Act, net: &[T]) -> Vec<T> {
        match act {
            Act::Identity => net.to_vec(),
            Act::Sigmoid => net.iter().map(|&x| self.sigmoid(x)).collect(),
            Act::Tanh => net.iter().map(|&x| self.tanh(x)).collect(),
            Act::Relu => net.iter().map(|&x| if x > T::num(0.0) { x } else { T::num(0.0) }).collect(),
            Act::Softmax => self.softmax(net),
        }
    }

    // elementwise derivative (not for softmax)
    fn deriv<T: Real>(&self, act: Act, net: T, out: T) -> T {
        let one = T::num(1.0);
        match act {
            Act::Identity => one,
            Act::Sigmoid => {
                if self.o.sigexp {
                    let e = (-net).exp();
                    e / self.sq(one + e)
                } else {
                    out * (one - out)
                }
            }
            Act::Tanh => one - self.sq(out),
            Act::Relu => {
                if net > T::num(0.0) { one } else { T::num(0.0) }
            }
            Act::Softmax => unreachable!(),
        }
    }

    // delta = J g with J[j][k] = o_j (delta_jk - o_k)
    fn softmax_back<T: Real>(&self, o: &[T], g: &[T]) -> Vec<T> {
        let k = o.len();
        if self.o.matjac {
            let mut jac = vec![vec![T::num(0.0); k]; k];
            for j in 0..k {
                for kk in 0..k {
                    let d = if j == kk { T::num(1.0) } else { T::num(0.0) };
                    jac[j][kk] = o[j] * (d - o[kk]);
                }
            }
            (0..k).map(|j| self.dot(&jac[j], g)).collect()
        } else {
            let s = self.dot(o, g);
            (0..k).map(|j| o[j] * (g[j] - s)).collect()
        }
    }

    fn forward<T: Real>(&self, n: &Network<T>, x: &[T]) -> (Vec<Vec<T>>, Vec<Vec<T>>) {
        // outs[0] = x, outs[l+1] = output of layer l; nets[l] = net input of layer l
        let mut outs = vec![x.to_vec()];
        let mut nets = Vec::new();
        for layer in &n.layers {
            let prev = outs.last().unwrap();
            let mut net = Vec::with_capacity(layer.w.len());
            for j in 0..layer.w.len() {
                let mut s = self.dot(&layer.w[j], prev);
                if let Some(b) = &layer.b {
                    s = s + b[j];
                }
                net.push(s);
            }
            let out = self.activate(layer.act, &net);
            nets.push(net);
            outs.push(out);
        }
        (nets, outs)
    }

    fn log<T: Real>(&self, x: T) -> T {
        if self.o.eps { (x + T::num(1e-7)).ln() } else { x.ln() }
    }

    fn epsd<T: Real>(&self, x: T) -> T {
        if self.o.eps { x + T::num(1e-7) } else { x }
    }

    fn example_loss<T: Real>(&self, loss: Loss, o: &[T], t: &[T]) -> T {
        let one = T::num(1.0);
        let mut e = T::num(0.0);
        for k in 0..o.len() {
            e = e + match loss {
                Loss::HalfSse | Loss::HalfMse => T::num(0.5) * self.sq(t[k] - o[k]),
                Loss::Bce => {
                    let a = if self.o.skipzero && t[k] == T::num(0.0) { T::num(0.0) } else { t[k] * self.log(o[k]) };
                    let b = if self.o.skipzero && t[k] == one { T::num(0.0) } else { (one - t[k]) * self.log(one - o[k]) };
                    -(a + b)
                }
                Loss::SoftmaxCe => {
                    if self.o.skipzero && t[k] == T::num(0.0) { T::num(0.0) } else { -(t[k] * self.log(o[k])) }
                }
            };
        }
        e
    }

    // output layer delta for one example
    fn output_delta<T: Real>(&self, n: &Network<T>, net: &[T], o: &[T], t: &[T], m: T) -> Vec<T> {
        let layer = n.layers.last().unwrap();
        let one = T::num(1.0);
        let k = o.len();
        // the mean's 1/m, here or (meanlast) at the end
        let inv = T::num(1.0) / m;
        let scale = |v: T| {
            if self.o.meanlast {
                v
            } else if self.o.invm {
                v * inv
            } else {
                v / m
            }
        };
        match n.loss {
            Loss::HalfSse | Loss::HalfMse => {
                let g: Vec<T> = (0..k)
                    .map(|i| {
                        let d = o[i] - t[i];
                        if n.loss == Loss::HalfMse { scale(d) } else { d }
                    })
                    .collect();
                if layer.act == Act::Softmax {
                    self.softmax_back(o, &g)
                } else {
                    (0..k).map(|i| g[i] * self.deriv(layer.act, net[i], o[i])).collect()
                }
            }
            Loss::Bce => {
                if self.o.fused {
                    (0..k).map(|i| scale(o[i] - t[i])).collect()
                } else {
                    // dE/do = -(t/o - (1-t)/(1-o)) / m, then times sigma'
                    (0..k)
                        .map(|i| {
                            let g = if self.o.bcequot {
                                scale((o[i] - t[i]) / (o[i] * (one - o[i])))
                            } else {
                                let zero = T::num(0.0);
                                let a = if self.o.skipzero && t[i] == zero { zero } else { t[i] / self.epsd(o[i]) };
                                let b = if self.o.skipzero && t[i] == one { zero } else { (one - t[i]) / self.epsd(one - o[i]) };
                                scale(-(a - b))
                            };
                            g * self.deriv(Act::Sigmoid, net[i], o[i])
                        })
                        .collect()
                }
            }
            Loss::SoftmaxCe => {
                if self.o.fused {
                    (0..k).map(|i| scale(o[i] - t[i])).collect()
                } else {
                    let g: Vec<T> = (0..k)
                        .map(|i| {
                            if self.o.skipzero && t[i] == T::num(0.0) { T::num(0.0) } else { scale(-(t[i] / self.epsd(o[i]))) }
                        })
                        .collect();
                    self.softmax_back(o, &g)
                }
            }
        }
    }

    // loss, outputs and gradients (gw[l][j][i], gb[l][j])
    #[allow(clippy::type_complexity)]
    fn run<T: Real>(&self, n: &Network<T>) -> (Vec<Vec<T>>, T, Vec<Vec<Vec<T>>>, Vec<Vec<T>>) {
        let m = n.xs.len();
        let mt = T::num(m as f64);
        let nl = n.layers.len();
        let mut gw: Vec<Vec<Vec<T>>> =
            n.layers.iter().map(|l| vec![vec![T::num(0.0); l.w[0].len()]; l.w.len()]).collect();
        let mut gb: Vec<Vec<T>> = n.layers.iter().map(|l| vec![T::num(0.0); l.w.len()]).collect();
        let mut outputs = Vec::new();
        let mut total = T::num(0.0);
        // per example: deltas[l] and outs (kept for the row-major variant)
        let mut all_deltas: Vec<Vec<Vec<T>>> = Vec::new();
        let mut all_outs: Vec<Vec<Vec<T>>> = Vec::new();

        for ex in 0..m {
            let (nets, outs) = self.forward(n, &n.xs[ex]);
            let o = &outs[nl];
            total = total + self.example_loss(n.loss, o, &n.ts[ex]);
            outputs.push(o.clone());

            let mut deltas: Vec<Vec<T>> = vec![Vec::new(); nl];
            deltas[nl - 1] = self.output_delta(n, &nets[nl - 1], o, &n.ts[ex], mt);
            for l in (0..nl - 1).rev() {
                let above = &n.layers[l + 1];
                let units = n.layers[l].w.len();
                let mut d = vec![T::num(0.0); units];
                for i in 0..units {
                    let fd = self.deriv(n.layers[l].act, nets[l][i], outs[l + 1][i]);
                    let mut s = T::num(0.0);
                    for j in 0..above.w.len() {
                        if self.o.derivinside {
                            s = self.acc(s, above.w[j][i] * deltas[l + 1][j], fd);
                        } else {
                            s = self.acc(s, above.w[j][i], deltas[l + 1][j]);
                        }
                    }
                    d[i] = if self.o.derivinside { s } else { s * fd };
                }
                deltas[l] = d;
            }

            if self.o.rowmajor {
                all_deltas.push(deltas);
                all_outs.push(outs);
            } else {
                for l in 0..nl {
                    for j in 0..gw[l].len() {
                        for i in 0..gw[l][j].len() {
                            gw[l][j][i] = self.acc(gw[l][j][i], deltas[l][j], outs[l][i]);
                        }
                        gb[l][j] = gb[l][j] + deltas[l][j];
                    }
                }
            }
        }

        if self.o.rowmajor {
            // dW = delta^T . out, one weight at a time, summing the examples last to first
            for l in 0..nl {
                for j in 0..gw[l].len() {
                    for i in 0..gw[l][j].len() {
                        let mut s = T::num(0.0);
                        for ex in (0..m).rev() {
                            s = self.acc(s, all_deltas[ex][l][j], all_outs[ex][l][i]);
                        }
                        gw[l][j][i] = s;
                    }
                    let mut s = T::num(0.0);
                    for ex in (0..m).rev() {
                        s = s + all_deltas[ex][l][j];
                    }
                    gb[l][j] = s;
                }
            }
        }

        let mean = matches!(n.loss, Loss::HalfMse | Loss::Bce | Loss::SoftmaxCe);
        if self.o.meanlast && mean && !self.o.nodiv {
            for l in 0..nl {
                for j in 0..gw[l].len() {
                    for i in 0..gw[l][j].len() {
                        gw[l][j][i] = if self.o.invm { gw[l][j][i] * (T::num(1.0) / mt) } else { gw[l][j][i] / mt };
                    }
                    gb[l][j] = if self.o.invm { gb[l][j] * (T::num(1.0) / mt) } else { gb[l][j] / mt };
                }
            }
        }
        let loss = if !mean {
            total
        } else if self.o.invm {
            total * (T::num(1.0) / mt)
        } else {
            total / mt
        };
        (outputs, loss, gw, gb)
    }
}

// ---------------------------------------------------------------- writing

struct Out {
    s: String,
    bad: Option<String>,
}

impl Out {
    fn num<T: Real>(&mut self, x: T, what: &str) {
        if !x.is_finite() && self.bad.is_none() {
            self.bad = Some(format!("{what} is not finite ({x:e})"));
        }
        self.s.push_str(&format!("{x:e}"));
    }
    fn vec<T: Real>(&mut self, v: &[T], what: &str) {
        self.s.push('[');
        for (i, &x) in v.iter().enumerate() {
            if i > 0 {
                self.s.push(',');
            }
            self.num(x, what);
        }
        self.s.push(']');
    }
    fn mat<T: Real>(&mut self, v: &[Vec<T>], what: &str) {
        self.s.push('[');
        for (i, r) in v.iter().enumerate() {
            if i > 0 {
                self.s.push(',');
            }
            self.vec(r, what);
        }
        self.s.push(']');
    }
}

fn error(id: &str, code: &str, msg: &str) -> String {
    format!(r#"{{"id":{id},"ok":false,"error":{{"code":"{code}","message":{}}}}}"#, json::quote(msg))
}

fn handle<T: Real>(bp: &Bp, id: &str, op: &str, req: &Json) -> String {
    let netj = match req.get("network") {
        Some(n) => n,
        None => return error(id, "bad-request", "network missing"),
    };
    let n: Network<T> = match read_network(netj) {
        Ok(n) => n,
        Err(e) => return error(id, "bad-request", &e),
    };
    let (outputs, loss, mut gw, mut gb) = bp.run(&n);
    let mean = matches!(n.loss, Loss::HalfMse | Loss::Bce | Loss::SoftmaxCe);
    let mut lr = n.lr;
    if op == "step" && bp.o.stepmean && mean {
        // Nielsen's form: W - (eta/m) * sum over the batch of the per-example gradients
        let raw = Bp { o: Opts { meanlast: true, nodiv: true, ..bp.o } };
        let (_, _, gw2, gb2) = raw.run(&n);
        gw = gw2;
        gb = gb2;
        lr = n.lr / T::num(n.xs.len() as f64);
    }
    let mut o = Out { s: format!(r#"{{"id":{id},"ok":true,"#), bad: None };
    match op {
        "forward" | "gradients" => {
            o.s.push_str(r#""outputs":"#);
            o.mat(&outputs, "an output");
            o.s.push_str(r#","loss":"#);
            o.num(loss, "the loss");
            if op == "gradients" {
                o.s.push_str(r#","gradients":["#);
                for l in 0..n.layers.len() {
                    if l > 0 {
                        o.s.push(',');
                    }
                    o.s.push_str(r#"{"weights":"#);
                    o.mat(&gw[l], "a weight gradient");
                    o.s.push_str(r#","biases":"#);
                    if n.layers[l].b.is_some() {
                        o.vec(&gb[l], "a bias gradient");
                    } else {
                        o.s.push_str("null");
                    }
                    o.s.push('}');
                }
                o.s.push(']');
            }
        }
        "step" => {
            o.s.push_str(r#""layers":["#);
            for l in 0..n.layers.len() {
                if l > 0 {
                    o.s.push(',');
                }
                let layer = &n.layers[l];
                let nw: Vec<Vec<T>> = layer
                    .w
                    .iter()
                    .zip(&gw[l])
                    .map(|(wr, gr)| {
                        wr.iter()
                            .zip(gr)
                            .map(|(&w, &g)| if bp.o.mulacc { (-lr).mul_add(g, w) } else { w - lr * g })
                            .collect()
                    })
                    .collect();
                o.s.push_str(r#"{"weights":"#);
                o.mat(&nw, "a stepped weight");
                o.s.push_str(r#","biases":"#);
                match &layer.b {
                    None => o.s.push_str("null"),
                    Some(b) => {
                        let nb: Vec<T> = if layer.trainable {
                            b.iter()
                                .zip(&gb[l])
                                .map(|(&b, &g)| if bp.o.mulacc { (-lr).mul_add(g, b) } else { b - lr * g })
                                .collect()
                        } else {
                            b.clone()
                        };
                        o.vec(&nb, "a stepped bias");
                    }
                }
                o.s.push('}');
            }
            o.s.push(']');
        }
        _ => return error(id, "bad-request", &format!("unknown op '{op}'")),
    }
    o.s.push('}');
    if let Some(msg) = o.bad {
        return error(id, "unsupported", &format!("overflow: {msg}"));
    }
    o.s
}

fn reply(bp: &Bp, line: &str) -> String {
    let req = match json::parse(line) {
        Ok(r) => r,
        Err(e) => return error("null", "bad-request", &e),
    };
    let id = match req.get("id") {
        Some(Json::Num(s)) => s.clone(),
        Some(Json::Str(s)) => json::quote(s),
        _ => "null".to_string(),
    };
    let op = req.get("op").and_then(|x| x.as_str()).unwrap_or("");
    if op == "hello" {
        return format!(
            r#"{{"id":{id},"ok":true,"implementation":"rust-textbook","activations":["identity","sigmoid","tanh","relu","softmax"],"losses":["half-sse","half-mse","binary-cross-entropy","softmax-cross-entropy"],"precision":"{}"}}"#,
            if bp.o.f32 { "float32" } else { "float64" }
        );
    }
    if bp.o.f32 { handle::<f32>(bp, &id, op, &req) } else { handle::<f64>(bp, &id, op, &req) }
}

fn main() {
    let mut o = Opts::default();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--f32" => o.f32 = true,
            "--noshift" => o.noshift = true,
            "--fused" => o.fused = true,
            "--powi" => o.powi = true,
            "--mulacc" => o.mulacc = true,
            "--rowmajor-batch" => o.rowmajor = true,
            "--tanhexp" => o.tanhexp = true,
            "--expm1" => o.expm1 = true,
            "--sigexp" => o.sigexp = true,
            "--matjac" => o.matjac = true,
            "--meanlast" => o.meanlast = true,
            "--parse64" => {
                o.parse64 = true;
                PARSE64.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            "--bcequot" => o.bcequot = true,
            "--skipzero" => o.skipzero = true,
            "--derivinside" => o.derivinside = true,
            "--tanhsig" => o.tanhsig = true,
            "--sigstable" => o.sigstable = true,
            "--pairwise" => o.pairwise = true,
            "--stepmean" => o.stepmean = true,
            "--eps" => o.eps = true,
            "--softrecip" => o.softrecip = true,
            "--invm" => o.invm = true,
            other => {
                eprintln!("unknown flag {other}");
                std::process::exit(2);
            }
        }
    }
    let bp = Bp { o };
    // debugging aid: BACKPROP_RUST_LOG=file appends every request line to that file
    let mut log = std::env::var("BACKPROP_RUST_LOG").ok().map(|p| {
        std::fs::OpenOptions::new().create(true).append(true).open(p).unwrap()
    });
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(_) => break,
        };
        if line.trim().is_empty() {
            continue;
        }
        if let Some(f) = log.as_mut() {
            let _ = writeln!(f, "{line}");
        }
        let r = reply(&bp, &line);
        out.write_all(r.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        out.flush().unwrap();
    }
}
