/*
 * backprop.c -- a plain textbook multilayer perceptron with backpropagation,
 * speaking the BackpropSpec process protocol (backprop-spec/1, see
 * oracle/PROTOCOL.md): one JSON request per line on stdin, one JSON reply per
 * line on stdout.
 *
 * Build (C99, libm only):
 *
 *   cc -std=c99 -O2 -o /tmp/cimpl/bp64 examples/c/backprop.c -lm               (double)
 *   cc -std=c99 -O2 -DREAL_FLOAT -o /tmp/cimpl/bp32 examples/c/backprop.c -lm   (float)
 *
 * -DREAL_FMT='"%.17g"' prints the floats of the float build with 17 digits (their exact
 * binary value as a double) instead of 9 (the shortest width that round-trips every float).
 *
 * Check:
 *
 *   backprop-spec check --impl /tmp/cimpl/bp64
 *   backprop-spec check --impl /tmp/cimpl/bp32
 *
 * The arithmetic is deliberately the textbook one:
 *   sigmoid'(net) = out * (1 - out), tanh'(net) = 1 - out^2, relu'(net) = out > 0,
 *   softmax = exp(net) / sum exp(net) without shifting by the largest net,
 *   losses computed from the probabilities with log().
 * With -DREAL_FLOAT every number is a float and every operation uses the float
 * functions (expf, logf, tanhf) and float accumulation; hello then declares
 * "precision": "float32".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef REAL_FLOAT
typedef float real;
#define EXP expf
#define LOG logf
#define TANH tanhf
#define STRTOREAL strtof
#ifndef REAL_FMT
#define REAL_FMT "%.9g"      /* 9 significant digits: every float round-trips */
#endif
#define PRECISION "float32"
#define IMPL_NAME "c-textbook-float32"
#else
typedef double real;
#define EXP exp
#define LOG log
#define TANH tanh
#define STRTOREAL strtod
#ifndef REAL_FMT
#define REAL_FMT "%.17g"     /* 17 significant digits: every double round-trips */
#endif
#define PRECISION "float64"
#define IMPL_NAME "c-textbook-float64"
#endif

#define R(x) ((real)(x))

/* ------------------------------------------------------------------ */
/* A tiny JSON reader                                                  */
/* ------------------------------------------------------------------ */

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct J {
    int type;
    const char *num;      /* J_NUM: start of the number's text in the line */
    int numlen;
    char *str;            /* J_STR: decoded string */
    int n;                /* J_ARR, J_OBJ: number of children */
    struct J **kids;
    char **keys;          /* J_OBJ: keys of the children */
} J;

static const char *jp;    /* parse position */
static const char *jerr;  /* first parse error */

static void skip_ws(void)
{
    while (*jp == ' ' || *jp == '\t' || *jp == '\r' || *jp == '\n')
        jp++;
}

static J *jnew(int type)
{
    J *v = calloc(1, sizeof(J));
    if (!v) { fprintf(stderr, "out of memory\n"); exit(3); }
    v->type = type;
    return v;
}

static void jfree(J *v)
{
    int i;
    if (!v) return;
    for (i = 0; i < v->n; i++) {
        jfree(v->kids[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    free(v->str);
    free(v);
}

static void put_utf8(char **o, unsigned c)
{
    char *p = *o;
    if (c < 0x80) *p++ = (char)c;
    else if (c < 0x800) { *p++ = (char)(0xC0 | (c >> 6)); *p++ = (char)(0x80 | (c & 0x3F)); }
    else if (c < 0x10000) { *p++ = (char)(0xE0 | (c >> 12)); *p++ = (char)(0x80 | ((c >> 6) & 0x3F)); *p++ = (char)(0x80 | (c & 0x3F)); }
    else { *p++ = (char)(0xF0 | (c >> 18)); *p++ = (char)(0x80 | ((c >> 12) & 0x3F)); *p++ = (char)(0x80 | ((c >> 6) & 0x3F)); *p++ = (char)(0x80 | (c & 0x3F)); }
    *o = p;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned c = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char h = s[i];
        c <<= 4;
        if (h >= '0' && h <= '9') c |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f') c |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') c |= (unsigned)(h - 'A' + 10);
        else return 0;
    }
    *out = c;
    return 1;
}

static char *parse_string_raw(void)
{
    const char *s = jp + 1;
    size_t len = 0;
    char *buf, *o;
    /* find the length first (an upper bound of the decoded length) */
    while (s[len] && s[len] != '"') {
        if (s[len] == '\\' && s[len + 1]) len++;
        len++;
    }
    if (!s[len]) { jerr = "unterminated string"; return NULL; }
    buf = malloc(len + 1);
    if (!buf) { fprintf(stderr, "out of memory\n"); exit(3); }
    o = buf;
    while (*s != '"') {
        if (*s == '\\') {
            s++;
            switch (*s) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                unsigned c, lo;
                if (!hex4(s + 1, &c)) { jerr = "bad \\u escape"; free(buf); return NULL; }
                s += 4;
                if (c >= 0xD800 && c < 0xDC00 && s[1] == '\\' && s[2] == 'u' && hex4(s + 3, &lo)
                    && lo >= 0xDC00 && lo < 0xE000) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
                put_utf8(&o, c);   /* never longer than the 6 escaped characters */
                break;
            }
            default: jerr = "bad escape"; free(buf); return NULL;
            }
            s++;
        } else {
            *o++ = *s++;
        }
    }
    *o = 0;
    jp = s + 1;
    return buf;
}

static J *parse_value(void);

static J *parse_value(void)
{
    J *v;
    skip_ws();
    if (jerr) return NULL;
    if (*jp == '{') {
        int cap = 0;
        v = jnew(J_OBJ);
        jp++;
        skip_ws();
        if (*jp == '}') { jp++; return v; }
        for (;;) {
            char *key;
            J *kid;
            skip_ws();
            if (*jp != '"') { jerr = "expected a key"; jfree(v); return NULL; }
            key = parse_string_raw();
            if (!key) { jfree(v); return NULL; }
            skip_ws();
            if (*jp != ':') { jerr = "expected ':'"; free(key); jfree(v); return NULL; }
            jp++;
            kid = parse_value();
            if (!kid) { free(key); jfree(v); return NULL; }
            if (v->n == cap) {
                cap = cap ? 2 * cap : 8;
                v->kids = realloc(v->kids, (size_t)cap * sizeof(J *));
                v->keys = realloc(v->keys, (size_t)cap * sizeof(char *));
                if (!v->kids || !v->keys) { fprintf(stderr, "out of memory\n"); exit(3); }
            }
            v->kids[v->n] = kid;
            v->keys[v->n] = key;
            v->n++;
            skip_ws();
            if (*jp == ',') { jp++; continue; }
            if (*jp == '}') { jp++; return v; }
            jerr = "expected ',' or '}'";
            jfree(v);
            return NULL;
        }
    }
    if (*jp == '[') {
        int cap = 0;
        v = jnew(J_ARR);
        jp++;
        skip_ws();
        if (*jp == ']') { jp++; return v; }
        for (;;) {
            J *kid = parse_value();
            if (!kid) { jfree(v); return NULL; }
            if (v->n == cap) {
                cap = cap ? 2 * cap : 8;
                v->kids = realloc(v->kids, (size_t)cap * sizeof(J *));
                if (!v->kids) { fprintf(stderr, "out of memory\n"); exit(3); }
            }
            v->kids[v->n++] = kid;
            skip_ws();
            if (*jp == ',') { jp++; continue; }
            if (*jp == ']') { jp++; return v; }
            jerr = "expected ',' or ']'";
            jfree(v);
            return NULL;
        }
    }
    if (*jp == '"') {
        char *s = parse_string_raw();
        if (!s) return NULL;
        v = jnew(J_STR);
        v->str = s;
        return v;
    }
    if (strncmp(jp, "null", 4) == 0) { jp += 4; return jnew(J_NULL); }
    if (strncmp(jp, "true", 4) == 0) { jp += 4; return jnew(J_TRUE); }
    if (strncmp(jp, "false", 5) == 0) { jp += 5; return jnew(J_FALSE); }
    if (*jp == '-' || (*jp >= '0' && *jp <= '9')) {
        const char *start = jp;
        while (*jp == '-' || *jp == '+' || *jp == '.' || *jp == 'e' || *jp == 'E'
               || (*jp >= '0' && *jp <= '9'))
            jp++;
        v = jnew(J_NUM);
        v->num = start;
        v->numlen = (int)(jp - start);
        return v;
    }
    jerr = "unexpected character";
    return NULL;
}

static J *get(const J *obj, const char *key)
{
    int i;
    if (!obj || obj->type != J_OBJ) return NULL;
    for (i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return obj->kids[i];
    return NULL;
}

/* The number as the nearest real (strtod, or strtof for float). */
static real num(const J *v)
{
    char tmp[64];
    char *copy = tmp;
    real x;
    if (v->numlen >= (int)sizeof tmp) copy = malloc((size_t)v->numlen + 1);
    memcpy(copy, v->num, (size_t)v->numlen);
    copy[v->numlen] = 0;
    x = STRTOREAL(copy, NULL);
    if (copy != tmp) free(copy);
    return x;
}

/* ------------------------------------------------------------------ */
/* The network                                                         */
/* ------------------------------------------------------------------ */

enum { A_IDENTITY, A_SIGMOID, A_TANH, A_RELU, A_SOFTMAX };
enum { L_HALF_SSE, L_HALF_MSE, L_BCE, L_SCE };
enum { B_NONE, B_TRAINABLE, B_FROZEN };

typedef struct {
    int units, fanin, act, bias;
    real *w;   /* w[j*fanin + i]: weight into unit j from unit i */
    real *b;   /* b[j], NULL when bias is none */
} Layer;

typedef struct {
    int inputs, nl, loss, m;
    Layer *L;
    real eta;
    real *x;   /* x[n*inputs + i] */
    real *t;   /* t[n*outputs + k] */
} Net;

static char errmsg[512];
static const char *errcode;

static int fail(const char *code, const char *msg)
{
    errcode = code;
    snprintf(errmsg, sizeof errmsg, "%s", msg);
    return 0;
}

static void free_net(Net *net)
{
    int l;
    if (net->L)
        for (l = 0; l < net->nl; l++) { free(net->L[l].w); free(net->L[l].b); }
    free(net->L);
    free(net->x);
    free(net->t);
}

static real *alloc_real(size_t n)
{
    real *p = calloc(n ? n : 1, sizeof(real));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(3); }
    return p;
}

static int read_matrix(const J *a, int rows, int cols, real *dst, const char *what)
{
    int r, c;
    char msg[200];
    if (!a || a->type != J_ARR || a->n != rows) {
        snprintf(msg, sizeof msg, "%s: expected %d rows", what, rows);
        return fail("bad-request", msg);
    }
    for (r = 0; r < rows; r++) {
        const J *row = a->kids[r];
        if (row->type != J_ARR || row->n != cols) {
            snprintf(msg, sizeof msg, "%s[%d]: expected %d numbers", what, r, cols);
            return fail("bad-request", msg);
        }
        for (c = 0; c < cols; c++) {
            if (row->kids[c]->type != J_NUM) {
                snprintf(msg, sizeof msg, "%s[%d][%d]: expected a number", what, r, c);
                return fail("bad-request", msg);
            }
            dst[(size_t)r * cols + c] = num(row->kids[c]);
        }
    }
    return 1;
}

static int read_net(const J *doc, Net *net)
{
    const J *v, *layers, *batch;
    int l, fanin, outs;
    char msg[200];

    memset(net, 0, sizeof *net);
    if (!doc || doc->type != J_OBJ) return fail("bad-request", "network: expected an object");
    v = get(doc, "inputs");
    if (!v || v->type != J_NUM) return fail("bad-request", "inputs: expected a number");
    net->inputs = (int)num(v);
    layers = get(doc, "layers");
    if (!layers || layers->type != J_ARR || layers->n < 1) return fail("bad-request", "layers: expected an array");
    net->nl = layers->n;
    net->L = calloc((size_t)net->nl, sizeof(Layer));
    fanin = net->inputs;
    for (l = 0; l < net->nl; l++) {
        const J *ly = layers->kids[l];
        Layer *L = &net->L[l];
        const char *a, *b;
        v = get(ly, "units");
        if (!v || v->type != J_NUM) return fail("bad-request", "layers[].units: expected a number");
        L->units = (int)num(v);
        L->fanin = fanin;
        v = get(ly, "activation");
        if (!v || v->type != J_STR) return fail("bad-request", "layers[].activation: expected a string");
        a = v->str;
        if (strcmp(a, "identity") == 0) L->act = A_IDENTITY;
        else if (strcmp(a, "sigmoid") == 0) L->act = A_SIGMOID;
        else if (strcmp(a, "tanh") == 0) L->act = A_TANH;
        else if (strcmp(a, "relu") == 0) L->act = A_RELU;
        else if (strcmp(a, "softmax") == 0) L->act = A_SOFTMAX;
        else {
            snprintf(msg, sizeof msg, "activation '%s' is not implemented", a);
            return fail("unsupported", msg);
        }
        v = get(ly, "bias");
        b = (v && v->type == J_STR) ? v->str : "none";
        if (strcmp(b, "none") == 0) L->bias = B_NONE;
        else if (strcmp(b, "trainable") == 0) L->bias = B_TRAINABLE;
        else if (strcmp(b, "frozen") == 0) L->bias = B_FROZEN;
        else return fail("bad-request", "layers[].bias: expected none, trainable or frozen");
        L->w = alloc_real((size_t)L->units * fanin);
        snprintf(msg, sizeof msg, "layers[%d].weights", l);
        if (!read_matrix(get(ly, "weights"), L->units, fanin, L->w, msg)) return 0;
        if (L->bias != B_NONE) {
            int j;
            v = get(ly, "biases");
            if (!v || v->type != J_ARR || v->n != L->units) return fail("bad-request", "layers[].biases: expected units numbers");
            L->b = alloc_real((size_t)L->units);
            for (j = 0; j < L->units; j++) {
                if (v->kids[j]->type != J_NUM) return fail("bad-request", "layers[].biases: expected numbers");
                L->b[j] = num(v->kids[j]);
            }
        }
        fanin = L->units;
    }
    outs = fanin;
    v = get(doc, "loss");
    if (!v || v->type != J_STR) return fail("bad-request", "loss: expected a string");
    if (strcmp(v->str, "half-sse") == 0) net->loss = L_HALF_SSE;
    else if (strcmp(v->str, "half-mse") == 0) net->loss = L_HALF_MSE;
    else if (strcmp(v->str, "binary-cross-entropy") == 0) net->loss = L_BCE;
    else if (strcmp(v->str, "softmax-cross-entropy") == 0) net->loss = L_SCE;
    else {
        snprintf(msg, sizeof msg, "loss '%s' is not implemented", v->str);
        return fail("unsupported", msg);
    }
    v = get(doc, "learningRate");
    if (!v || v->type != J_NUM) return fail("bad-request", "learningRate: expected a number");
    net->eta = num(v);
    batch = get(doc, "batch");
    if (!batch || batch->type != J_OBJ) return fail("bad-request", "batch: expected an object");
    v = get(batch, "inputs");
    if (!v || v->type != J_ARR || v->n < 1) return fail("bad-request", "batch.inputs: expected an array");
    net->m = v->n;
    net->x = alloc_real((size_t)net->m * net->inputs);
    if (!read_matrix(v, net->m, net->inputs, net->x, "batch.inputs")) return 0;
    net->t = alloc_real((size_t)net->m * outs);
    if (!read_matrix(get(batch, "targets"), net->m, outs, net->t, "batch.targets")) return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Forward and backward pass, textbook style                            */
/* ------------------------------------------------------------------ */

typedef struct {
    real **out;     /* out[l][n*units + j], l = 0..nl-1 */
    real **gw;      /* gradient of the weights, like Layer.w */
    real **gb;      /* gradient of the biases */
    real loss;
} Pass;

static real sigmoid(real net) { return R(1) / (R(1) + EXP(-net)); }

/* f'(net) from the layer's output, the textbook way */
static real dact(int act, real out)
{
    switch (act) {
    case A_SIGMOID: return out * (R(1) - out);
    case A_TANH: return R(1) - out * out;
    case A_RELU: return out > R(0) ? R(1) : R(0);
    default: return R(1);
    }
}

static void forward(const Net *net, Pass *p)
{
    int l, n, j, i, k;
    int outs = net->L[net->nl - 1].units;
    p->out = calloc((size_t)net->nl, sizeof(real *));
    for (l = 0; l < net->nl; l++)
        p->out[l] = alloc_real((size_t)net->m * net->L[l].units);
    for (n = 0; n < net->m; n++) {
        for (l = 0; l < net->nl; l++) {
            const Layer *L = &net->L[l];
            const real *in = l == 0 ? net->x + (size_t)n * net->inputs : p->out[l - 1] + (size_t)n * net->L[l - 1].units;
            real *out = p->out[l] + (size_t)n * L->units;
            for (j = 0; j < L->units; j++) {
                real s = R(0);
                for (i = 0; i < L->fanin; i++)
                    s += L->w[(size_t)j * L->fanin + i] * in[i];
                if (L->b) s += L->b[j];
                out[j] = s;   /* net input for now */
            }
            switch (L->act) {
            case A_IDENTITY: break;
            case A_SIGMOID: for (j = 0; j < L->units; j++) out[j] = sigmoid(out[j]); break;
            case A_TANH: for (j = 0; j < L->units; j++) out[j] = TANH(out[j]); break;
            case A_RELU: for (j = 0; j < L->units; j++) out[j] = out[j] > R(0) ? out[j] : R(0); break;
            case A_SOFTMAX: {
                real sum = R(0);
                for (j = 0; j < L->units; j++) { out[j] = EXP(out[j]); sum += out[j]; }
                for (j = 0; j < L->units; j++) out[j] = out[j] / sum;
                break;
            }
            }
        }
    }
    /* loss */
    p->loss = R(0);
    for (n = 0; n < net->m; n++) {
        const real *o = p->out[net->nl - 1] + (size_t)n * outs;
        const real *t = net->t + (size_t)n * outs;
        for (k = 0; k < outs; k++) {
            switch (net->loss) {
            case L_HALF_SSE:
            case L_HALF_MSE: { real d = t[k] - o[k]; p->loss += R(0.5) * d * d; break; }
            case L_BCE: p->loss += -(t[k] * LOG(o[k]) + (R(1) - t[k]) * LOG(R(1) - o[k])); break;
            case L_SCE: p->loss += -t[k] * LOG(o[k]); break;
            }
        }
    }
    if (net->loss != L_HALF_SSE) p->loss = p->loss / (real)net->m;
}

static void backward(const Net *net, Pass *p)
{
    int l, n, j, i, k;
    int nl = net->nl;
    int maxu = 1;
    real *delta, *below;
    real mreal = (real)net->m;
    for (l = 0; l < nl; l++) if (net->L[l].units > maxu) maxu = net->L[l].units;
    delta = alloc_real((size_t)maxu);
    below = alloc_real((size_t)maxu);
    p->gw = calloc((size_t)nl, sizeof(real *));
    p->gb = calloc((size_t)nl, sizeof(real *));
    for (l = 0; l < nl; l++) {
        p->gw[l] = alloc_real((size_t)net->L[l].units * net->L[l].fanin);
        p->gb[l] = net->L[l].bias != B_NONE ? alloc_real((size_t)net->L[l].units) : NULL;
    }
    for (n = 0; n < net->m; n++) {
        const Layer *OL = &net->L[nl - 1];
        int outs = OL->units;
        const real *o = p->out[nl - 1] + (size_t)n * outs;
        const real *t = net->t + (size_t)n * outs;
        /* delta of the output layer */
        if (net->loss == L_BCE || net->loss == L_SCE) {
            for (k = 0; k < outs; k++) delta[k] = (o[k] - t[k]) / mreal;
        } else {
            /* g = dE/do */
            for (k = 0; k < outs; k++) {
                below[k] = o[k] - t[k];
                if (net->loss == L_HALF_MSE) below[k] = below[k] / mreal;
            }
            if (OL->act == A_SOFTMAX) {
                real s = R(0);
                for (k = 0; k < outs; k++) s += o[k] * below[k];
                for (k = 0; k < outs; k++) delta[k] = o[k] * (below[k] - s);
            } else {
                for (k = 0; k < outs; k++) delta[k] = below[k] * dact(OL->act, o[k]);
            }
        }
        /* walk down the layers */
        for (l = nl - 1; l >= 0; l--) {
            const Layer *L = &net->L[l];
            const real *in = l == 0 ? net->x + (size_t)n * net->inputs : p->out[l - 1] + (size_t)n * net->L[l - 1].units;
            for (j = 0; j < L->units; j++) {
                for (i = 0; i < L->fanin; i++)
                    p->gw[l][(size_t)j * L->fanin + i] += delta[j] * in[i];
                if (p->gb[l]) p->gb[l][j] += delta[j];
            }
            if (l > 0) {
                const Layer *B = &net->L[l - 1];
                for (i = 0; i < B->units; i++) {
                    real s = R(0);
                    for (j = 0; j < L->units; j++)
                        s += L->w[(size_t)j * L->fanin + i] * delta[j];
                    below[i] = s * dact(B->act, in[i]);
                }
                for (i = 0; i < B->units; i++) delta[i] = below[i];
            }
        }
    }
    free(delta);
    free(below);
}

static void free_pass(const Net *net, Pass *p)
{
    int l;
    for (l = 0; l < net->nl; l++) {
        if (p->out) free(p->out[l]);
        if (p->gw) free(p->gw[l]);
        if (p->gb) free(p->gb[l]);
    }
    free(p->out);
    free(p->gw);
    free(p->gb);
}

/* ------------------------------------------------------------------ */
/* Writing replies                                                      */
/* ------------------------------------------------------------------ */

static void put_real(real x)
{
    printf(REAL_FMT, (double)x);
}

static void put_vec(const real *v, int n)
{
    int i;
    putchar('[');
    for (i = 0; i < n; i++) {
        if (i) putchar(',');
        put_real(v[i]);
    }
    putchar(']');
}

static void put_mat(const real *v, int rows, int cols)
{
    int r;
    putchar('[');
    for (r = 0; r < rows; r++) {
        if (r) putchar(',');
        put_vec(v + (size_t)r * cols, cols);
    }
    putchar(']');
}

/* the first non-finite number of v, or -1 */
static int bad_at(const real *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i])) return (int)i;
    return -1;
}

static void put_id(const J *id)
{
    if (!id) { printf("null"); return; }
    if (id->type == J_NUM) { fwrite(id->num, 1, (size_t)id->numlen, stdout); return; }
    if (id->type == J_STR) {
        const char *s;
        putchar('"');
        for (s = id->str; *s; s++) {
            if (*s == '"' || *s == '\\') { putchar('\\'); putchar(*s); }
            else if ((unsigned char)*s < 0x20) printf("\\u%04x", (unsigned char)*s);
            else putchar(*s);
        }
        putchar('"');
        return;
    }
    printf("null");
}

static void reply_error(const J *id, const char *code, const char *message)
{
    const char *s;
    printf("{\"id\":");
    put_id(id);
    printf(",\"ok\":false,\"error\":{\"code\":\"%s\",\"message\":\"", code);
    for (s = message; *s; s++) {
        if (*s == '"' || *s == '\\') { putchar('\\'); putchar(*s); }
        else if ((unsigned char)*s < 0x20) putchar(' ');
        else putchar(*s);
    }
    printf("\"}}\n");
}

/* Checks every number of a reply for overflow; fills errmsg and returns 0 on the first. */
static int finite_pass(const Net *net, const Pass *p, int with_gradients)
{
    int l, at;
    int outs = net->L[net->nl - 1].units;
    at = bad_at(p->out[net->nl - 1], (size_t)net->m * outs);
    if (at >= 0) {
        snprintf(errmsg, sizeof errmsg, "output %d of example %d is not finite (%g)", at % outs, at / outs, (double)p->out[net->nl - 1][at]);
        return 0;
    }
    if (!isfinite(p->loss)) {
        snprintf(errmsg, sizeof errmsg, "the loss is not finite (%g)", (double)p->loss);
        return 0;
    }
    if (!with_gradients) return 1;
    for (l = 0; l < net->nl; l++) {
        const Layer *L = &net->L[l];
        at = bad_at(p->gw[l], (size_t)L->units * L->fanin);
        if (at >= 0) {
            snprintf(errmsg, sizeof errmsg, "the gradient of weight [%d][%d][%d] is not finite (%g)", l, at / L->fanin, at % L->fanin, (double)p->gw[l][at]);
            return 0;
        }
        if (p->gb[l]) {
            at = bad_at(p->gb[l], (size_t)L->units);
            if (at >= 0) {
                snprintf(errmsg, sizeof errmsg, "the gradient of bias [%d][%d] is not finite (%g)", l, at, (double)p->gb[l][at]);
                return 0;
            }
        }
    }
    return 1;
}

static void handle(const J *req)
{
    const J *id = get(req, "id");
    const J *op = get(req, "op");
    Net net;
    Pass p;
    int l, outs;

    if (!op || op->type != J_STR) { reply_error(id, "bad-request", "op: expected a string"); return; }
    if (strcmp(op->str, "hello") == 0) {
        printf("{\"id\":");
        put_id(id);
        printf(",\"ok\":true,\"implementation\":\"" IMPL_NAME "\","
               "\"activations\":[\"identity\",\"sigmoid\",\"tanh\",\"relu\",\"softmax\"],"
               "\"losses\":[\"half-sse\",\"half-mse\",\"binary-cross-entropy\",\"softmax-cross-entropy\"],"
               "\"precision\":\"" PRECISION "\"}\n");
        return;
    }
    if (strcmp(op->str, "forward") != 0 && strcmp(op->str, "gradients") != 0 && strcmp(op->str, "step") != 0) {
        reply_error(id, "bad-request", "op: expected hello, forward, gradients or step");
        return;
    }
    if (!read_net(get(req, "network"), &net)) {
        reply_error(id, errcode, errmsg);
        free_net(&net);
        return;
    }
    memset(&p, 0, sizeof p);
    forward(&net, &p);
    outs = net.L[net.nl - 1].units;
    if (strcmp(op->str, "forward") == 0) {
        if (!finite_pass(&net, &p, 0)) reply_error(id, "unsupported", errmsg);
        else {
            printf("{\"id\":");
            put_id(id);
            printf(",\"ok\":true,\"outputs\":");
            put_mat(p.out[net.nl - 1], net.m, outs);
            printf(",\"loss\":");
            put_real(p.loss);
            printf("}\n");
        }
    } else if (strcmp(op->str, "gradients") == 0) {
        backward(&net, &p);
        if (!finite_pass(&net, &p, 1)) reply_error(id, "unsupported", errmsg);
        else {
            printf("{\"id\":");
            put_id(id);
            printf(",\"ok\":true,\"outputs\":");
            put_mat(p.out[net.nl - 1], net.m, outs);
            printf(",\"loss\":");
            put_real(p.loss);
            printf(",\"gradients\":[");
            for (l = 0; l < net.nl; l++) {
                const Layer *L = &net.L[l];
                if (l) putchar(',');
                printf("{\"weights\":");
                put_mat(p.gw[l], L->units, L->fanin);
                printf(",\"biases\":");
                if (p.gb[l]) put_vec(p.gb[l], L->units); else printf("null");
                putchar('}');
            }
            printf("]}\n");
        }
    } else { /* step */
        int ok = 1;
        size_t q;
        backward(&net, &p);
        /* W <- W - eta * dE/dW, every gradient from the original weights */
        for (l = 0; l < net.nl && ok; l++) {
            Layer *L = &net.L[l];
            for (q = 0; q < (size_t)L->units * L->fanin; q++)
                L->w[q] = L->w[q] - net.eta * p.gw[l][q];
            if (L->bias == B_TRAINABLE)
                for (q = 0; q < (size_t)L->units; q++)
                    L->b[q] = L->b[q] - net.eta * p.gb[l][q];
            if (bad_at(L->w, (size_t)L->units * L->fanin) >= 0 || (L->b && bad_at(L->b, (size_t)L->units) >= 0)) {
                snprintf(errmsg, sizeof errmsg, "a stepped weight or bias of layer %d is not finite", l);
                ok = 0;
            }
        }
        if (!ok) reply_error(id, "unsupported", errmsg);
        else {
            printf("{\"id\":");
            put_id(id);
            printf(",\"ok\":true,\"layers\":[");
            for (l = 0; l < net.nl; l++) {
                const Layer *L = &net.L[l];
                if (l) putchar(',');
                printf("{\"weights\":");
                put_mat(L->w, L->units, L->fanin);
                printf(",\"biases\":");
                if (L->b) put_vec(L->b, L->units); else printf("null");
                putchar('}');
            }
            printf("]}\n");
        }
    }
    free_pass(&net, &p);
    free_net(&net);
}

/* ------------------------------------------------------------------ */
/* Main loop: one request per line                                      */
/* ------------------------------------------------------------------ */

static char *read_line(void)
{
    static char *buf = NULL;
    static size_t cap = 0;
    size_t len = 0;
    int c;
    while ((c = getchar()) != EOF) {
        if (len + 1 >= cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            if (!buf) { fprintf(stderr, "out of memory\n"); exit(3); }
        }
        if (c == '\n') break;
        buf[len++] = (char)c;
    }
    if (c == EOF && len == 0) return NULL;
    if (!buf) { buf = malloc(1); cap = 1; }
    buf[len] = 0;
    return buf;
}

int main(void)
{
    char *line;
    while ((line = read_line()) != NULL) {
        J *req;
        jp = line;
        jerr = NULL;
        skip_ws();
        if (!*jp) continue;
        req = parse_value();
        if (!req || req->type != J_OBJ) {
            reply_error(NULL, "bad-request", jerr ? jerr : "expected a JSON object");
        } else {
            handle(req);
        }
        jfree(req);
        fflush(stdout);
    }
    return 0;
}
