// A plain textbook backpropagation for multilayer perceptrons, speaking the
// backprop-spec/1 process protocol (one JSON request per line on stdin, one
// JSON reply per line on stdout). Java 17, no libraries.
//
// Flags (all variants are mathematically correct):
//   --float       all arithmetic in float (float32), exp/log/tanh as (float) Math.f((double) x)
//   --strict      StrictMath instead of Math
//   --divfirst    divide each example's gradient by m before accumulating
//   --chain       output delta through dE/do * do/dnet for every loss (no fused o - t)
//   --sigexp      sigmoid = 1/(1 + exp(-x)) without branches
//   --tanhexp     tanh = (e^x - e^-x)/(e^x + e^-x)
//   --fma         Math.fma for the dot products (and the step)
//   --logeps      cross-entropy as ln(o + 1e-7), derivative -t/(o + 1e-7)
//   --nomax       softmax without the max shift
//   --sigdexp     sigma' = e^-net / (1 + e^-net)^2
//   --jacobian    softmax Jacobian formed as a matrix, then J * g
//   --meanstep    Nielsen's step W - (eta/m) * sum of per-example gradients
//   --castparse   (float only) numbers read as (float) Double.parseDouble(s)
//   --streams     (double only) dot products as IntStream...mapToDouble(...).sum()
//   --skipzero    cross-entropy terms with t == 0 skipped (no 0 * ln 0)
//   --bcequot     BCE dE/do written (o - t) / (o (1 - o)) (with --chain)
//   --fmt         write numbers with String.format("%.17g") / ("%.9g") instead of toString
//   --sigtanh     sigmoid = 0.5 * (1 + tanh(x / 2))
//   --tanhsig     tanh = 2 * sigmoid(2x) - 1
//   --lse         softmax as exp(net_j - logsumexp(net))
//   --widen       (float only) numbers written as Double.toString((double) f)
//   --mixed       (float only) activations computed in double, then cast to float
//   --recip       softmax normalised by multiplying with 1/sum
//   --sigsq       sigma' = out - out*out, tanh' = 1 - Math.pow(out, 2)
//   --siglog      sigmoid in log space: exp(-softplus(-x)), softplus(y) = max(y, 0) + log1p(exp(-|y|))
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.stream.IntStream;

public class Backprop {

    // ------------------------------------------------------------------ options
    static boolean FLOAT, STRICT, DIVFIRST, CHAIN, SIGEXP, TANHEXP, FMA, LOGEPS, NOMAX,
            SIGDEXP, JACOBIAN, MEANSTEP, CASTPARSE, STREAMS, SKIPZERO, BCEQUOT, FMT,
            SIGTANH, TANHSIG, LSE, WIDEN, MIXED, RECIP, SIGSQ, SIGLOG;

    static final double EPS = 1e-7;
    static final float EPSF = 1e-7f;

    // --------------------------------------------------------------- math helpers
    static double exp(double x) { return STRICT ? StrictMath.exp(x) : Math.exp(x); }
    static double log(double x) { return STRICT ? StrictMath.log(x) : Math.log(x); }
    static double tanh(double x) { return STRICT ? StrictMath.tanh(x) : Math.tanh(x); }
    static float expf(float x) { return (float) exp((double) x); }
    static float logf(float x) { return (float) log((double) x); }
    static float tanhf(float x) { return (float) tanh((double) x); }

    // =========================================================================
    //  JSON: a tiny reader and writer
    // =========================================================================
    static final class Num {
        final String text; final double value;
        Num(String text) { this.text = text; this.value = Double.parseDouble(text); }
    }

    static final class JsonReader {
        private final String s; private int p;
        JsonReader(String s) { this.s = s; }

        static Object parse(String s) {
            JsonReader r = new JsonReader(s);
            r.ws();
            Object v = r.value();
            r.ws();
            if (r.p != s.length()) throw new IllegalArgumentException("trailing characters at " + r.p);
            return v;
        }

        private void ws() { while (p < s.length() && Character.isWhitespace(s.charAt(p))) p++; }

        private Object value() {
            if (p >= s.length()) throw new IllegalArgumentException("unexpected end");
            char c = s.charAt(p);
            switch (c) {
                case '{': return object();
                case '[': return array();
                case '"': return string();
                case 't': lit("true"); return Boolean.TRUE;
                case 'f': lit("false"); return Boolean.FALSE;
                case 'n': lit("null"); return null;
                default: return number();
            }
        }

        private void lit(String w) {
            if (!s.startsWith(w, p)) throw new IllegalArgumentException("bad literal at " + p);
            p += w.length();
        }

        private Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            p++; ws();
            if (s.charAt(p) == '}') { p++; return m; }
            while (true) {
                ws();
                String k = string();
                ws();
                if (s.charAt(p) != ':') throw new IllegalArgumentException("expected : at " + p);
                p++; ws();
                m.put(k, value());
                ws();
                char c = s.charAt(p++);
                if (c == '}') return m;
                if (c != ',') throw new IllegalArgumentException("expected , or } at " + (p - 1));
            }
        }

        private List<Object> array() {
            List<Object> a = new ArrayList<>();
            p++; ws();
            if (s.charAt(p) == ']') { p++; return a; }
            while (true) {
                ws();
                a.add(value());
                ws();
                char c = s.charAt(p++);
                if (c == ']') return a;
                if (c != ',') throw new IllegalArgumentException("expected , or ] at " + (p - 1));
            }
        }

        private String string() {
            if (s.charAt(p) != '"') throw new IllegalArgumentException("expected string at " + p);
            p++;
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(p++);
                if (c == '"') return b.toString();
                if (c == '\\') {
                    char e = s.charAt(p++);
                    switch (e) {
                        case 'n': b.append('\n'); break;
                        case 't': b.append('\t'); break;
                        case 'r': b.append('\r'); break;
                        case 'b': b.append('\b'); break;
                        case 'f': b.append('\f'); break;
                        case 'u': b.append((char) Integer.parseInt(s.substring(p, p + 4), 16)); p += 4; break;
                        default: b.append(e);
                    }
                } else b.append(c);
            }
        }

        private Num number() {
            int start = p;
            while (p < s.length() && "+-0123456789.eE".indexOf(s.charAt(p)) >= 0) p++;
            if (p == start) throw new IllegalArgumentException("unexpected character at " + p);
            return new Num(s.substring(start, p));
        }
    }

    static final class JsonWriter {
        final StringBuilder b = new StringBuilder();
        boolean nonFinite = false;
        String what = null;

        JsonWriter raw(String x) { b.append(x); return this; }

        JsonWriter str(String x) {
            b.append('"');
            for (char c : x.toCharArray()) {
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            b.append('"');
            return this;
        }

        JsonWriter num(double d, String where) {
            if (Double.isNaN(d) || Double.isInfinite(d)) { nonFinite = true; if (what == null) what = where + " = " + d; b.append('0'); return this; }
            b.append(FMT ? String.format(Locale.ROOT, "%.17g", d) : Double.toString(d));
            return this;
        }

        JsonWriter num(float f, String where) {
            if (Float.isNaN(f) || Float.isInfinite(f)) { nonFinite = true; if (what == null) what = where + " = " + f; b.append('0'); return this; }
            b.append(FMT ? String.format(Locale.ROOT, "%.9g", f) : WIDEN ? Double.toString((double) f) : Float.toString(f));
            return this;
        }

        JsonWriter vec(double[] v, String where) {
            b.append('[');
            for (int i = 0; i < v.length; i++) { if (i > 0) b.append(','); num(v[i], where); }
            b.append(']');
            return this;
        }

        JsonWriter mat(double[][] v, String where) {
            b.append('[');
            for (int i = 0; i < v.length; i++) { if (i > 0) b.append(','); vec(v[i], where); }
            b.append(']');
            return this;
        }

        JsonWriter vec(float[] v, String where) {
            b.append('[');
            for (int i = 0; i < v.length; i++) { if (i > 0) b.append(','); num(v[i], where); }
            b.append(']');
            return this;
        }

        JsonWriter mat(float[][] v, String where) {
            b.append('[');
            for (int i = 0; i < v.length; i++) { if (i > 0) b.append(','); vec(v[i], where); }
            b.append(']');
            return this;
        }
    }

    // helpers to read the document
    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) { return (Map<String, Object>) o; }
    @SuppressWarnings("unchecked")
    static List<Object> arr(Object o) { return (List<Object>) o; }
    static double dbl(Object o) { return ((Num) o).value; }
    static float flt(Object o) { return CASTPARSE ? (float) ((Num) o).value : Float.parseFloat(((Num) o).text); }
    static int integer(Object o) { return (int) ((Num) o).value; }

    // =========================================================================
    //  float64 network
    // =========================================================================
    static final class Layer {
        final int units, fanIn;
        final String activation, bias;
        final double[][] w;
        final double[] b;          // null when bias is "none"
        double[][] gw;             // accumulated dE/dW
        double[] gb;               // accumulated dE/db
        double[] in, net, out, delta;   // for the current example

        Layer(Map<String, Object> js, int fanIn) {
            this.fanIn = fanIn;
            units = integer(js.get("units"));
            activation = (String) js.get("activation");
            bias = js.get("bias") == null ? "none" : (String) js.get("bias");
            w = new double[units][fanIn];
            List<Object> rows = arr(js.get("weights"));
            for (int j = 0; j < units; j++) {
                List<Object> row = arr(rows.get(j));
                for (int i = 0; i < fanIn; i++) w[j][i] = dbl(row.get(i));
            }
            if (bias.equals("none")) b = null;
            else {
                b = new double[units];
                List<Object> bs = arr(js.get("biases"));
                for (int j = 0; j < units; j++) b[j] = dbl(bs.get(j));
            }
        }

        void zeroGradients() {
            gw = new double[units][fanIn];
            gb = b == null ? null : new double[units];
        }

        double dot(double[] row, double[] x) {
            if (STREAMS) return IntStream.range(0, x.length).mapToDouble(i -> row[i] * x[i]).sum();
            double s = 0.0;
            for (int i = 0; i < x.length; i++) {
                if (FMA) s = Math.fma(row[i], x[i], s);
                else s += row[i] * x[i];
            }
            return s;
        }

        void forward(double[] x) {
            in = x;
            net = new double[units];
            out = new double[units];
            for (int j = 0; j < units; j++) {
                double s = dot(w[j], x);
                if (b != null) s += b[j];
                net[j] = s;
            }
            if (activation.equals("softmax")) {
                double c = net[0];
                for (int j = 1; j < units; j++) if (net[j] > c) c = net[j];
                if (NOMAX) c = 0.0;
                double sum = 0.0;
                double[] e = new double[units];
                for (int j = 0; j < units; j++) { e[j] = exp(net[j] - c); sum += e[j]; }
                if (LSE) {
                    double lse = c + log(sum);
                    for (int j = 0; j < units; j++) out[j] = exp(net[j] - lse);
                } else if (RECIP) {
                    double inv = 1.0 / sum;
                    for (int j = 0; j < units; j++) out[j] = e[j] * inv;
                } else
                for (int j = 0; j < units; j++) out[j] = e[j] / sum;
            } else {
                for (int j = 0; j < units; j++) out[j] = activate(net[j]);
            }
        }

        double activate(double x) {
            switch (activation) {
                case "identity": return x;
                case "sigmoid":
                    if (SIGTANH) return 0.5 * (1.0 + tanh(x / 2.0));
                    if (SIGLOG) { double y = -x; double sp = Math.max(y, 0.0) + (STRICT ? StrictMath.log1p(exp(-Math.abs(y))) : Math.log1p(exp(-Math.abs(y)))); return exp(-sp); }
                    if (SIGEXP) return 1.0 / (1.0 + exp(-x));
                    if (x >= 0) return 1.0 / (1.0 + exp(-x));
                    else { double e = exp(x); return e / (1.0 + e); }
                case "tanh":
                    if (TANHEXP) { double a = exp(x), c = exp(-x); return (a - c) / (a + c); }
                    if (TANHSIG) {
                        double z = 2.0 * x, sg = z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
                        return 2.0 * sg - 1.0;
                    }
                    return tanh(x);
                case "relu": return x > 0 ? x : 0.0;
                default: throw new IllegalArgumentException("activation " + activation);
            }
        }

        /** f'(net) of unit j, from its output where the textbook does. */
        double derivative(int j) {
            switch (activation) {
                case "identity": return 1.0;
                case "sigmoid":
                    if (SIGDEXP) { double e = exp(-net[j]); return e / ((1.0 + e) * (1.0 + e)); }
                    if (SIGSQ) return out[j] - out[j] * out[j];
                    return out[j] * (1.0 - out[j]);
                case "tanh": return SIGSQ ? 1.0 - Math.pow(out[j], 2) : 1.0 - out[j] * out[j];
                case "relu": return net[j] > 0 ? 1.0 : 0.0;
                default: throw new IllegalArgumentException("no elementwise derivative for " + activation);
            }
        }

        void accumulate(double div) {
            for (int j = 0; j < units; j++) {
                for (int i = 0; i < fanIn; i++) {
                    if (DIVFIRST) gw[j][i] += delta[j] * in[i] / div;
                    else gw[j][i] += delta[j] * in[i];
                }
                if (gb != null) {
                    if (DIVFIRST) gb[j] += delta[j] / div;
                    else gb[j] += delta[j];
                }
            }
        }
    }

    static final class Network {
        final int inputs;
        final Layer[] layers;
        final String loss;
        final double eta;
        final double[][] x, t;
        final int m;
        double[][] outputs;
        double error;

        Network(Map<String, Object> js) {
            inputs = integer(js.get("inputs"));
            List<Object> ls = arr(js.get("layers"));
            layers = new Layer[ls.size()];
            int fan = inputs;
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new Layer(obj(ls.get(l)), fan);
                fan = layers[l].units;
            }
            loss = (String) js.get("loss");
            eta = js.get("learningRate") == null ? 0.0 : dbl(js.get("learningRate"));
            Map<String, Object> batch = obj(js.get("batch"));
            List<Object> xs = arr(batch.get("inputs")), ts = arr(batch.get("targets"));
            m = xs.size();
            x = new double[m][];
            t = new double[m][];
            for (int n = 0; n < m; n++) {
                List<Object> r = arr(xs.get(n));
                x[n] = new double[r.size()];
                for (int i = 0; i < r.size(); i++) x[n][i] = dbl(r.get(i));
                List<Object> q = arr(ts.get(n));
                t[n] = new double[q.size()];
                for (int k = 0; k < q.size(); k++) t[n][k] = dbl(q.get(k));
            }
        }

        boolean isMean() { return !loss.equals("half-sse"); }
        boolean isCrossEntropy() { return loss.equals("binary-cross-entropy") || loss.equals("softmax-cross-entropy"); }
        Layer last() { return layers[layers.length - 1]; }

        double exampleLoss(double[] o, double[] tt) {
            double e = 0.0;
            for (int k = 0; k < o.length; k++) {
                switch (loss) {
                    case "half-sse": case "half-mse": {
                        double d = tt[k] - o[k];
                        e += 0.5 * d * d;
                        break;
                    }
                    case "binary-cross-entropy":
                        if (SKIPZERO) {
                            if (tt[k] != 0) e -= tt[k] * log(LOGEPS ? o[k] + EPS : o[k]);
                            if (tt[k] != 1) e -= (1.0 - tt[k]) * log(LOGEPS ? 1.0 - o[k] + EPS : 1.0 - o[k]);
                        } else if (LOGEPS) e -= tt[k] * log(o[k] + EPS) + (1.0 - tt[k]) * log(1.0 - o[k] + EPS);
                        else e -= tt[k] * log(o[k]) + (1.0 - tt[k]) * log(1.0 - o[k]);
                        break;
                    case "softmax-cross-entropy":
                        if (SKIPZERO && tt[k] == 0) break;
                        e -= tt[k] * log(LOGEPS ? o[k] + EPS : o[k]);
                        break;
                    default: throw new IllegalArgumentException("loss " + loss);
                }
            }
            return e;
        }

        void outputDelta(double[] tt) {
            Layer L = last();
            int K = L.units;
            double[] o = L.out;
            double[] d = new double[K];
            if (isCrossEntropy() && !CHAIN && !LOGEPS) {
                for (int k = 0; k < K; k++) d[k] = o[k] - tt[k];
            } else {
                double[] g = new double[K];            // dE/do of this example
                for (int k = 0; k < K; k++) {
                    switch (loss) {
                        case "half-sse": case "half-mse": g[k] = o[k] - tt[k]; break;
                        case "binary-cross-entropy":
                            if (LOGEPS) g[k] = -tt[k] / (o[k] + EPS) + (1.0 - tt[k]) / (1.0 - o[k] + EPS);
                            else if (BCEQUOT) g[k] = (o[k] - tt[k]) / (o[k] * (1.0 - o[k]));
                            else g[k] = -tt[k] / o[k] + (1.0 - tt[k]) / (1.0 - o[k]);
                            break;
                        case "softmax-cross-entropy":
                            g[k] = LOGEPS ? -tt[k] / (o[k] + EPS) : -tt[k] / o[k];
                            break;
                        default: throw new IllegalArgumentException("loss " + loss);
                    }
                }
                if (L.activation.equals("softmax")) {
                    if (JACOBIAN) {
                        double[][] J = new double[K][K];
                        for (int j = 0; j < K; j++)
                            for (int k = 0; k < K; k++) J[j][k] = o[j] * ((j == k ? 1.0 : 0.0) - o[k]);
                        for (int j = 0; j < K; j++) {
                            double s = 0.0;
                            for (int k = 0; k < K; k++) s += J[j][k] * g[k];
                            d[j] = s;
                        }
                    } else {
                        double s = 0.0;
                        for (int k = 0; k < K; k++) s += o[k] * g[k];
                        for (int j = 0; j < K; j++) d[j] = o[j] * (g[j] - s);
                    }
                } else {
                    for (int k = 0; k < K; k++) d[k] = g[k] * L.derivative(k);
                }
            }
            L.delta = d;
        }

        void hiddenDeltas() {
            for (int l = layers.length - 1; l >= 1; l--) {
                Layer up = layers[l], low = layers[l - 1];
                low.delta = new double[low.units];
                for (int i = 0; i < low.units; i++) {
                    double s = 0.0;
                    for (int j = 0; j < up.units; j++) {
                        if (FMA) s = Math.fma(up.w[j][i], up.delta[j], s);
                        else s += up.w[j][i] * up.delta[j];
                    }
                    low.delta[i] = s * low.derivative(i);
                }
            }
        }

        /** forward (and backward) over the batch; sumOnly keeps the gradient as a sum. */
        void run(boolean backward, boolean sumOnly) {
            for (Layer L : layers) L.zeroGradients();
            outputs = new double[m][];
            error = 0.0;
            double div = (isMean() && !sumOnly) ? m : 1.0;
            for (int n = 0; n < m; n++) {
                double[] a = x[n];
                for (Layer L : layers) { L.forward(a); a = L.out; }
                outputs[n] = a.clone();
                error += exampleLoss(a, t[n]);
                if (backward) {
                    outputDelta(t[n]);
                    hiddenDeltas();
                    for (Layer L : layers) L.accumulate(div);
                }
            }
            if (isMean()) error /= m;
            if (backward && isMean() && !sumOnly && !DIVFIRST) {
                for (Layer L : layers) {
                    for (int j = 0; j < L.units; j++) {
                        for (int i = 0; i < L.fanIn; i++) L.gw[j][i] /= m;
                        if (L.gb != null) L.gb[j] /= m;
                    }
                }
            }
        }

        void reply(String op, JsonWriter w) {
            switch (op) {
                case "forward": {
                    run(false, false);
                    w.raw(",\"outputs\":").mat(outputs, "output");
                    w.raw(",\"loss\":").num(error, "loss");
                    break;
                }
                case "gradients": {
                    run(true, false);
                    w.raw(",\"outputs\":").mat(outputs, "output");
                    w.raw(",\"loss\":").num(error, "loss");
                    w.raw(",\"gradients\":[");
                    for (int l = 0; l < layers.length; l++) {
                        Layer L = layers[l];
                        if (l > 0) w.raw(",");
                        w.raw("{\"weights\":").mat(L.gw, "dE/dW of layer " + l);
                        w.raw(",\"biases\":");
                        if (L.gb == null) w.raw("null"); else w.vec(L.gb, "dE/db of layer " + l);
                        w.raw("}");
                    }
                    w.raw("]");
                    break;
                }
                case "step": {
                    boolean nielsen = MEANSTEP && isMean();
                    run(true, nielsen);
                    double rate = nielsen ? eta / m : eta;
                    w.raw(",\"layers\":[");
                    for (int l = 0; l < layers.length; l++) {
                        Layer L = layers[l];
                        double[][] nw = new double[L.units][L.fanIn];
                        double[] nb = L.b == null ? null : new double[L.units];
                        for (int j = 0; j < L.units; j++) {
                            for (int i = 0; i < L.fanIn; i++)
                                nw[j][i] = FMA ? Math.fma(-rate, L.gw[j][i], L.w[j][i]) : L.w[j][i] - rate * L.gw[j][i];
                            if (nb != null) {
                                if (L.bias.equals("trainable"))
                                    nb[j] = FMA ? Math.fma(-rate, L.gb[j], L.b[j]) : L.b[j] - rate * L.gb[j];
                                else nb[j] = L.b[j];
                            }
                        }
                        if (l > 0) w.raw(",");
                        w.raw("{\"weights\":").mat(nw, "stepped W of layer " + l);
                        w.raw(",\"biases\":");
                        if (nb == null) w.raw("null"); else w.vec(nb, "stepped b of layer " + l);
                        w.raw("}");
                    }
                    w.raw("]");
                    break;
                }
                default: throw new IllegalArgumentException("unknown op " + op);
            }
        }
    }

    // =========================================================================
    //  float32 network: the same textbook code with float everywhere
    // =========================================================================
    static final class FLayer {
        final int units, fanIn;
        final String activation, bias;
        final float[][] w;
        final float[] b;
        float[][] gw;
        float[] gb;
        float[] in, net, out, delta;

        FLayer(Map<String, Object> js, int fanIn) {
            this.fanIn = fanIn;
            units = integer(js.get("units"));
            activation = (String) js.get("activation");
            bias = js.get("bias") == null ? "none" : (String) js.get("bias");
            w = new float[units][fanIn];
            List<Object> rows = arr(js.get("weights"));
            for (int j = 0; j < units; j++) {
                List<Object> row = arr(rows.get(j));
                for (int i = 0; i < fanIn; i++) w[j][i] = flt(row.get(i));
            }
            if (bias.equals("none")) b = null;
            else {
                b = new float[units];
                List<Object> bs = arr(js.get("biases"));
                for (int j = 0; j < units; j++) b[j] = flt(bs.get(j));
            }
        }

        void zeroGradients() {
            gw = new float[units][fanIn];
            gb = b == null ? null : new float[units];
        }

        void forward(float[] x) {
            in = x;
            net = new float[units];
            out = new float[units];
            for (int j = 0; j < units; j++) {
                float s = 0.0f;
                for (int i = 0; i < fanIn; i++) {
                    if (FMA) s = Math.fma(w[j][i], x[i], s);
                    else s += w[j][i] * x[i];
                }
                if (b != null) s += b[j];
                net[j] = s;
            }
            if (activation.equals("softmax")) {
                float c = net[0];
                for (int j = 1; j < units; j++) if (net[j] > c) c = net[j];
                if (NOMAX) c = 0.0f;
                float sum = 0.0f;
                float[] e = new float[units];
                for (int j = 0; j < units; j++) { e[j] = expf(net[j] - c); sum += e[j]; }
                if (LSE) {
                    float lse = c + logf(sum);
                    for (int j = 0; j < units; j++) out[j] = expf(net[j] - lse);
                } else if (RECIP) {
                    float inv = 1.0f / sum;
                    for (int j = 0; j < units; j++) out[j] = e[j] * inv;
                } else
                for (int j = 0; j < units; j++) out[j] = e[j] / sum;
            } else {
                for (int j = 0; j < units; j++) out[j] = activate(net[j]);
            }
        }

        float activate(float x) {
            switch (activation) {
                case "identity": return x;
                case "sigmoid":
                    if (MIXED) return (float) (x >= 0 ? 1.0 / (1.0 + exp(-(double) x)) : exp((double) x) / (1.0 + exp((double) x)));
                    if (SIGTANH) return 0.5f * (1.0f + tanhf(x / 2.0f));
                    if (SIGLOG) { float y = -x; float sp = Math.max(y, 0.0f) + (float) Math.log1p((double) expf(-Math.abs(y))); return expf(-sp); }
                    if (SIGEXP) return 1.0f / (1.0f + expf(-x));
                    if (x >= 0) return 1.0f / (1.0f + expf(-x));
                    else { float e = expf(x); return e / (1.0f + e); }
                case "tanh":
                    if (TANHEXP) { float a = expf(x), c = expf(-x); return (a - c) / (a + c); }
                    if (TANHSIG) {
                        float z = 2.0f * x, sg = z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z));
                        return 2.0f * sg - 1.0f;
                    }
                    return tanhf(x);
                case "relu": return x > 0 ? x : 0.0f;
                default: throw new IllegalArgumentException("activation " + activation);
            }
        }

        float derivative(int j) {
            switch (activation) {
                case "identity": return 1.0f;
                case "sigmoid":
                    if (SIGDEXP) { float e = expf(-net[j]); return e / ((1.0f + e) * (1.0f + e)); }
                    if (SIGSQ) return out[j] - out[j] * out[j];
                    return out[j] * (1.0f - out[j]);
                case "tanh": return SIGSQ ? 1.0f - (float) Math.pow(out[j], 2) : 1.0f - out[j] * out[j];
                case "relu": return net[j] > 0 ? 1.0f : 0.0f;
                default: throw new IllegalArgumentException("no elementwise derivative for " + activation);
            }
        }

        void accumulate(float div) {
            for (int j = 0; j < units; j++) {
                for (int i = 0; i < fanIn; i++) {
                    if (DIVFIRST) gw[j][i] += delta[j] * in[i] / div;
                    else gw[j][i] += delta[j] * in[i];
                }
                if (gb != null) {
                    if (DIVFIRST) gb[j] += delta[j] / div;
                    else gb[j] += delta[j];
                }
            }
        }
    }

    static final class FNetwork {
        final int inputs;
        final FLayer[] layers;
        final String loss;
        final float eta;
        final float[][] x, t;
        final int m;
        float[][] outputs;
        float error;

        FNetwork(Map<String, Object> js) {
            inputs = integer(js.get("inputs"));
            List<Object> ls = arr(js.get("layers"));
            layers = new FLayer[ls.size()];
            int fan = inputs;
            for (int l = 0; l < layers.length; l++) {
                layers[l] = new FLayer(obj(ls.get(l)), fan);
                fan = layers[l].units;
            }
            loss = (String) js.get("loss");
            eta = js.get("learningRate") == null ? 0.0f : flt(js.get("learningRate"));
            Map<String, Object> batch = obj(js.get("batch"));
            List<Object> xs = arr(batch.get("inputs")), ts = arr(batch.get("targets"));
            m = xs.size();
            x = new float[m][];
            t = new float[m][];
            for (int n = 0; n < m; n++) {
                List<Object> r = arr(xs.get(n));
                x[n] = new float[r.size()];
                for (int i = 0; i < r.size(); i++) x[n][i] = flt(r.get(i));
                List<Object> q = arr(ts.get(n));
                t[n] = new float[q.size()];
                for (int k = 0; k < q.size(); k++) t[n][k] = flt(q.get(k));
            }
        }

        boolean isMean() { return !loss.equals("half-sse"); }
        boolean isCrossEntropy() { return loss.equals("binary-cross-entropy") || loss.equals("softmax-cross-entropy"); }
        FLayer last() { return layers[layers.length - 1]; }

        float exampleLoss(float[] o, float[] tt) {
            float e = 0.0f;
            for (int k = 0; k < o.length; k++) {
                switch (loss) {
                    case "half-sse": case "half-mse": {
                        float d = tt[k] - o[k];
                        e += 0.5f * d * d;
                        break;
                    }
                    case "binary-cross-entropy":
                        if (SKIPZERO) {
                            if (tt[k] != 0) e -= tt[k] * logf(LOGEPS ? o[k] + EPSF : o[k]);
                            if (tt[k] != 1) e -= (1.0f - tt[k]) * logf(LOGEPS ? 1.0f - o[k] + EPSF : 1.0f - o[k]);
                        } else if (LOGEPS) e -= tt[k] * logf(o[k] + EPSF) + (1.0f - tt[k]) * logf(1.0f - o[k] + EPSF);
                        else e -= tt[k] * logf(o[k]) + (1.0f - tt[k]) * logf(1.0f - o[k]);
                        break;
                    case "softmax-cross-entropy":
                        if (SKIPZERO && tt[k] == 0) break;
                        e -= tt[k] * logf(LOGEPS ? o[k] + EPSF : o[k]);
                        break;
                    default: throw new IllegalArgumentException("loss " + loss);
                }
            }
            return e;
        }

        void outputDelta(float[] tt) {
            FLayer L = last();
            int K = L.units;
            float[] o = L.out;
            float[] d = new float[K];
            if (isCrossEntropy() && !CHAIN && !LOGEPS) {
                for (int k = 0; k < K; k++) d[k] = o[k] - tt[k];
            } else {
                float[] g = new float[K];
                for (int k = 0; k < K; k++) {
                    switch (loss) {
                        case "half-sse": case "half-mse": g[k] = o[k] - tt[k]; break;
                        case "binary-cross-entropy":
                            if (LOGEPS) g[k] = -tt[k] / (o[k] + EPSF) + (1.0f - tt[k]) / (1.0f - o[k] + EPSF);
                            else if (BCEQUOT) g[k] = (o[k] - tt[k]) / (o[k] * (1.0f - o[k]));
                            else g[k] = -tt[k] / o[k] + (1.0f - tt[k]) / (1.0f - o[k]);
                            break;
                        case "softmax-cross-entropy":
                            g[k] = LOGEPS ? -tt[k] / (o[k] + EPSF) : -tt[k] / o[k];
                            break;
                        default: throw new IllegalArgumentException("loss " + loss);
                    }
                }
                if (L.activation.equals("softmax")) {
                    if (JACOBIAN) {
                        float[][] J = new float[K][K];
                        for (int j = 0; j < K; j++)
                            for (int k = 0; k < K; k++) J[j][k] = o[j] * ((j == k ? 1.0f : 0.0f) - o[k]);
                        for (int j = 0; j < K; j++) {
                            float s = 0.0f;
                            for (int k = 0; k < K; k++) s += J[j][k] * g[k];
                            d[j] = s;
                        }
                    } else {
                        float s = 0.0f;
                        for (int k = 0; k < K; k++) s += o[k] * g[k];
                        for (int j = 0; j < K; j++) d[j] = o[j] * (g[j] - s);
                    }
                } else {
                    for (int k = 0; k < K; k++) d[k] = g[k] * L.derivative(k);
                }
            }
            L.delta = d;
        }

        void hiddenDeltas() {
            for (int l = layers.length - 1; l >= 1; l--) {
                FLayer up = layers[l], low = layers[l - 1];
                low.delta = new float[low.units];
                for (int i = 0; i < low.units; i++) {
                    float s = 0.0f;
                    for (int j = 0; j < up.units; j++) {
                        if (FMA) s = Math.fma(up.w[j][i], up.delta[j], s);
                        else s += up.w[j][i] * up.delta[j];
                    }
                    low.delta[i] = s * low.derivative(i);
                }
            }
        }

        void run(boolean backward, boolean sumOnly) {
            for (FLayer L : layers) L.zeroGradients();
            outputs = new float[m][];
            error = 0.0f;
            float div = (isMean() && !sumOnly) ? (float) m : 1.0f;
            for (int n = 0; n < m; n++) {
                float[] a = x[n];
                for (FLayer L : layers) { L.forward(a); a = L.out; }
                outputs[n] = a.clone();
                error += exampleLoss(a, t[n]);
                if (backward) {
                    outputDelta(t[n]);
                    hiddenDeltas();
                    for (FLayer L : layers) L.accumulate(div);
                }
            }
            if (isMean()) error /= (float) m;
            if (backward && isMean() && !sumOnly && !DIVFIRST) {
                for (FLayer L : layers) {
                    for (int j = 0; j < L.units; j++) {
                        for (int i = 0; i < L.fanIn; i++) L.gw[j][i] /= (float) m;
                        if (L.gb != null) L.gb[j] /= (float) m;
                    }
                }
            }
        }

        void reply(String op, JsonWriter w) {
            switch (op) {
                case "forward": {
                    run(false, false);
                    w.raw(",\"outputs\":").mat(outputs, "output");
                    w.raw(",\"loss\":").num(error, "loss");
                    break;
                }
                case "gradients": {
                    run(true, false);
                    w.raw(",\"outputs\":").mat(outputs, "output");
                    w.raw(",\"loss\":").num(error, "loss");
                    w.raw(",\"gradients\":[");
                    for (int l = 0; l < layers.length; l++) {
                        FLayer L = layers[l];
                        if (l > 0) w.raw(",");
                        w.raw("{\"weights\":").mat(L.gw, "dE/dW of layer " + l);
                        w.raw(",\"biases\":");
                        if (L.gb == null) w.raw("null"); else w.vec(L.gb, "dE/db of layer " + l);
                        w.raw("}");
                    }
                    w.raw("]");
                    break;
                }
                case "step": {
                    boolean nielsen = MEANSTEP && isMean();
                    run(true, nielsen);
                    float rate = nielsen ? eta / (float) m : eta;
                    w.raw(",\"layers\":[");
                    for (int l = 0; l < layers.length; l++) {
                        FLayer L = layers[l];
                        float[][] nw = new float[L.units][L.fanIn];
                        float[] nb = L.b == null ? null : new float[L.units];
                        for (int j = 0; j < L.units; j++) {
                            for (int i = 0; i < L.fanIn; i++)
                                nw[j][i] = FMA ? Math.fma(-rate, L.gw[j][i], L.w[j][i]) : L.w[j][i] - rate * L.gw[j][i];
                            if (nb != null) {
                                if (L.bias.equals("trainable"))
                                    nb[j] = FMA ? Math.fma(-rate, L.gb[j], L.b[j]) : L.b[j] - rate * L.gb[j];
                                else nb[j] = L.b[j];
                            }
                        }
                        if (l > 0) w.raw(",");
                        w.raw("{\"weights\":").mat(nw, "stepped W of layer " + l);
                        w.raw(",\"biases\":");
                        if (nb == null) w.raw("null"); else w.vec(nb, "stepped b of layer " + l);
                        w.raw("}");
                    }
                    w.raw("]");
                    break;
                }
                default: throw new IllegalArgumentException("unknown op " + op);
            }
        }
    }

    // =========================================================================
    //  protocol
    // =========================================================================
    static String idText(Object id) {
        if (id == null) return "null";
        if (id instanceof Num) return ((Num) id).text;
        if (id instanceof String) return new JsonWriter().str((String) id).b.toString();
        return String.valueOf(id);
    }

    static String error(String id, String code, String message) {
        return "{\"id\":" + id + ",\"ok\":false,\"error\":{\"code\":\"" + code + "\",\"message\":"
                + new JsonWriter().str(message).b + "}}";
    }

    static String handle(String line) {
        String id = "null";
        try {
            Map<String, Object> req = obj(JsonReader.parse(line));
            id = idText(req.get("id"));
            String op = (String) req.get("op");
            if ("hello".equals(op)) {
                return "{\"id\":" + id + ",\"ok\":true,\"implementation\":\"java-textbook\","
                        + "\"activations\":[\"identity\",\"sigmoid\",\"tanh\",\"relu\",\"softmax\"],"
                        + "\"losses\":[\"half-sse\",\"half-mse\",\"binary-cross-entropy\",\"softmax-cross-entropy\"],"
                        + "\"precision\":\"" + (FLOAT ? "float32" : "float64") + "\"}";
            }
            Map<String, Object> doc = obj(req.get("network"));
            if (doc == null) return error(id, "bad-request", "no network");
            JsonWriter w = new JsonWriter();
            w.raw("{\"id\":").raw(id).raw(",\"ok\":true");
            if (FLOAT) new FNetwork(doc).reply(op, w);
            else new Network(doc).reply(op, w);
            w.raw("}");
            if (w.nonFinite) return error(id, "unsupported", "result is not finite: " + w.what);
            return w.b.toString();
        } catch (IllegalArgumentException | ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
            return error(id, "bad-request", String.valueOf(e));
        } catch (RuntimeException e) {
            return error(id, "internal", String.valueOf(e));
        }
    }

    public static void main(String[] args) throws IOException {
        for (String a : args) {
            switch (a) {
                case "--float": FLOAT = true; break;
                case "--strict": STRICT = true; break;
                case "--divfirst": DIVFIRST = true; break;
                case "--chain": CHAIN = true; break;
                case "--sigexp": SIGEXP = true; break;
                case "--tanhexp": TANHEXP = true; break;
                case "--fma": FMA = true; break;
                case "--logeps": LOGEPS = true; break;
                case "--nomax": NOMAX = true; break;
                case "--sigdexp": SIGDEXP = true; break;
                case "--jacobian": JACOBIAN = true; break;
                case "--meanstep": MEANSTEP = true; break;
                case "--castparse": CASTPARSE = true; break;
                case "--streams": STREAMS = true; break;
                case "--skipzero": SKIPZERO = true; break;
                case "--bcequot": BCEQUOT = true; CHAIN = true; break;
                case "--fmt": FMT = true; break;
                case "--sigtanh": SIGTANH = true; break;
                case "--tanhsig": TANHSIG = true; break;
                case "--lse": LSE = true; break;
                case "--widen": WIDEN = true; break;
                case "--mixed": MIXED = true; break;
                case "--recip": RECIP = true; break;
                case "--sigsq": SIGSQ = true; break;
                case "--siglog": SIGLOG = true; break;
                default: System.err.println("unknown flag " + a); System.exit(2);
            }
        }
        if (STREAMS && FLOAT) { System.err.println("--streams is float64 only"); System.exit(2); }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            out.print(handle(line));
            out.print('\n');
            out.flush();
        }
    }
}
