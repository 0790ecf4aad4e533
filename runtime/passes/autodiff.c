/* autodiff.c: reverse-mode differentiation, appending gradient nodes.
 *
 * For each phase, the nodes that depend on the phase's parameters are
 * marked; gradients flow back from the loss (seeded with 1) through the
 * marked nodes only, so nothing is computed for the frozen player's
 * weights, for data, or for noise. A node used several times receives the
 * sum of its users' contributions. Gradients are ordinary nodes built from
 * the same ops, so the graph printer, the planner and the executor need
 * nothing special for them.
 *
 * A grad(y, x) that an objective computes is replaced first, by the same
 * rules run from y back to x, so the phases then differentiate gradient
 * nodes too: every fused gradient op has a rule of its own (its second
 * derivative), written with ops that have rules in turn, so any order
 * works. Only batchnorm's gradient has none (its statistics couple the
 * examples of a batch); a grad through batchnorm is refused. */
#include "passes/autodiff.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Ad {
    Graph *g;
    int *grad;   /* per node: its gradient node, or -1 */
    bool *needs; /* per node: depends on a parameter of this phase */
    int cur;     /* the forward node being differentiated, for loc/path */
} Ad;

static int mk(Ad *a, Op op, int x, int y, int z, Shape s)
{
    int in[3] = {x, y, z}, nin = (x >= 0) + (y >= 0) + (z >= 0);
    Node *f = &a->g->nodes[a->cur];
    int n = graph_add(a->g, op, nin, in, f->loc, f->path);
    a->g->nodes[n].shape = s;
    return n;
}

static Shape shape_of(Ad *a, int n) { return a->g->nodes[n].shape; }

static int cnst(Ad *a, double v)
{
    Node *f = &a->g->nodes[a->cur];
    int n = graph_const(a->g, v, f->loc, f->path);
    return n;
}

static int unary(Ad *a, Op op, int x) { return mk(a, op, x, -1, -1, shape_of(a, x)); }

/* elementwise with broadcasting: the result has the broader shape */
static int binary(Ad *a, Op op, int x, int y)
{
    Shape s;
    GENC_ASSERT(shape_broadcast(shape_of(a, x), shape_of(a, y), &s));
    return mk(a, op, x, y, -1, s);
}

/* dy summed down to `target`'s shape (the adjoint of broadcasting) */
static int reduce_to(Ad *a, int dy, Shape target)
{
    if (shape_eq(shape_of(a, dy), target)) return dy;
    return mk(a, OP_sum_to, dy, -1, -1, target);
}

static void accumulate(Ad *a, int x, int contrib)
{
    if (!a->needs[x]) return;
    contrib = reduce_to(a, contrib, shape_of(a, x));
    a->grad[x] = a->grad[x] < 0 ? contrib : mk(a, OP_add, a->grad[x], contrib, -1, shape_of(a, x));
}

static int attrs_of(Ad *a, int n, const Node *like)
{
    a->g->nodes[n].attr = like->attr;
    return n;
}

/* the sum of each example's elements: [] per example */
static int example_sum(Ad *a, int x)
{
    return mk(a, OP_sum, x, -1, -1, (Shape){.batch = shape_of(a, x).batch});
}

/* the sum over the last axis, kept as an axis of 1 (softmax's) */
static int last_sum(Ad *a, int x)
{
    Shape s = shape_of(a, x);
    s.d[s.nd - 1] = 1;
    return mk(a, OP_sum_to, x, -1, -1, s);
}

static int filled(Ad *a, double v, Shape s)
{
    int d = mk(a, OP_expand, cnst(a, v), -1, -1, s);
    a->g->nodes[d].attr.scale = 1;
    return d;
}

static int mul(Ad *a, int x, int y) { return binary(a, OP_mul, x, y); }
static int sub(Ad *a, int x, int y) { return binary(a, OP_sub, x, y); }

/* p clamped to [K_BCE_EPS, 1 - K_BCE_EPS] as the bce kernels clamp it,
 * with relus: pc = eps + relu(p - eps), and uc = eps + relu(1 - p - eps)
 * for 1 - pc (1 - eps rounds to 1 in float). The relus' masks (rp, ru
 * positive) are where the clamp passes p through. */
typedef struct BceClamp {
    int pc, uc, rp, ru;
} BceClamp;

static BceClamp bce_clamp(Ad *a, int p)
{
    int eps = cnst(a, K_BCE_EPS);
    BceClamp c;
    c.rp = unary(a, OP_relu, sub(a, p, eps));
    c.ru = unary(a, OP_relu, sub(a, sub(a, cnst(a, 1), p), eps));
    c.pc = binary(a, OP_add, c.rp, eps);
    c.uc = binary(a, OP_add, c.ru, eps);
    return c;
}

/* The second derivatives: the rules of the fused gradient ops, dy their
 * gradient (below, G), n the node. */
static void backward_grad_op(Ad *a, int i, int dy, const Node *n);

/* Adds the contributions of node i (with gradient dy) to its inputs. */
static void backward(Ad *a, int i, int dy)
{
    Graph *g = a->g;
    Node n = g->nodes[i];
    int x = n.nin > 0 ? n.in[0] : -1, y = n.nin > 1 ? n.in[1] : -1;
    Shape sx = x >= 0 ? shape_of(a, x) : n.shape;
    a->cur = i;
    int d;
    switch (n.op) {
    case OP_input:
    case OP_noise:
    case OP_param:
    case OP_const:
    case OP_scheduled:
    case OP_sign:
    case OP_onehot: return; /* leaves, and ops with no useful gradient */
    case OP_neg: accumulate(a, x, unary(a, OP_neg, dy)); return;
    case OP_exp: accumulate(a, x, binary(a, OP_mul, dy, i)); return;
    case OP_log: accumulate(a, x, binary(a, OP_div, dy, x)); return;
    case OP_sqrt:
        /* d sqrt(x) = dy / (2 sqrt(x)) */
        accumulate(a, x, binary(a, OP_div, dy, binary(a, OP_mul, cnst(a, 2), i)));
        return;
    case OP_abs: accumulate(a, x, binary(a, OP_mul, dy, unary(a, OP_sign, x))); return;
    case OP_sin: accumulate(a, x, binary(a, OP_mul, dy, unary(a, OP_cos, x))); return;
    case OP_cos:
        accumulate(a, x, unary(a, OP_neg, binary(a, OP_mul, dy, unary(a, OP_sin, x))));
        return;
    case OP_powc: {
        double c = n.attr.exponent;
        if (c == 1) {
            accumulate(a, x, dy);
            return;
        }
        int p = x;
        if (c != 2) {
            p = unary(a, OP_powc, x);
            g->nodes[p].attr.exponent = c - 1;
        }
        accumulate(a, x, binary(a, OP_mul, dy, binary(a, OP_mul, cnst(a, c), p)));
        return;
    }
    case OP_relu:
    case OP_leaky_relu:
    case OP_elu:
    case OP_gelu: {
        Op op = n.op == OP_relu ? OP_relu_grad : n.op == OP_leaky_relu ? OP_leaky_relu_grad
                : n.op == OP_elu ? OP_elu_grad : OP_gelu_grad;
        /* relu and leaky_relu (sema keeps the slope >= 0) keep the sign,
         * so y > 0 exactly when x > 0: their gradient reads the output,
         * which the next layer keeps anyway for its weight gradient, and
         * the input (after batchnorm, a tensor of its own) is freed at once */
        bool from_y = n.op == OP_relu || n.op == OP_leaky_relu;
        d = mk(a, op, dy, from_y ? i : x, -1, sx);
        g->nodes[d].attr.slope = n.attr.slope;
        g->nodes[d].attr.alpha = n.attr.alpha;
        accumulate(a, x, d);
        return;
    }
    case OP_tanh: accumulate(a, x, mk(a, OP_tanh_grad, dy, i, -1, sx)); return;
    case OP_sigmoid: accumulate(a, x, mk(a, OP_sigmoid_grad, dy, i, -1, sx)); return;
    case OP_softplus: accumulate(a, x, binary(a, OP_mul, dy, unary(a, OP_sigmoid, x))); return;
    case OP_log_sigmoid:
        /* d log sigmoid(x) = sigmoid(-x) */
        accumulate(a, x, binary(a, OP_mul, dy, unary(a, OP_sigmoid, unary(a, OP_neg, x))));
        return;
    case OP_add:
        accumulate(a, x, dy);
        accumulate(a, y, dy);
        return;
    case OP_sub:
        accumulate(a, x, dy);
        if (a->needs[y]) accumulate(a, y, unary(a, OP_neg, dy));
        return;
    case OP_mul:
        if (a->needs[x]) accumulate(a, x, binary(a, OP_mul, dy, y));
        if (a->needs[y]) accumulate(a, y, binary(a, OP_mul, dy, x));
        return;
    case OP_div:
        if (a->needs[x]) accumulate(a, x, binary(a, OP_div, dy, y));
        /* d(x/y)/dy = -(x/y)/y */
        if (a->needs[y])
            accumulate(a, y, unary(a, OP_neg, binary(a, OP_div, binary(a, OP_mul, dy, i), y)));
        return;
    case OP_bce:
        if (a->needs[x]) accumulate(a, x, mk(a, OP_bce_grad, dy, x, y, sx));
        if (a->needs[y]) {
            /* d bce / dt = log(1 - p) - log(p), p clamped as bce_grad's */
            BceClamp c = bce_clamp(a, x);
            accumulate(a, y, binary(a, OP_mul, dy, sub(a, unary(a, OP_log, c.uc), unary(a, OP_log, c.pc))));
        }
        return;
    case OP_bce_logits:
        if (a->needs[x]) accumulate(a, x, mk(a, OP_bce_logits_grad, dy, x, y, sx));
        if (a->needs[y]) accumulate(a, y, binary(a, OP_mul, dy, unary(a, OP_neg, x)));
        return;
    case OP_kl_normal:
        /* -(1 + lv - mu^2 - e^lv)/2: d/dmu = mu, d/dlv = (e^lv - 1)/2 */
        if (a->needs[x]) accumulate(a, x, binary(a, OP_mul, dy, x));
        if (a->needs[y]) {
            int e = binary(a, OP_sub, unary(a, OP_exp, y), cnst(a, 1));
            accumulate(a, y, binary(a, OP_mul, dy, binary(a, OP_mul, cnst(a, 0.5), e)));
        }
        return;
    case OP_sum:
    case OP_mean:
    case OP_batch_mean:
    case OP_sum_to:
        d = mk(a, OP_expand, dy, -1, -1, sx);
        g->nodes[d].attr.scale = n.op == OP_mean ? 1.0 / (double)shape_count(sx) : 1;
        g->nodes[d].attr.per_batch = n.op == OP_batch_mean;
        accumulate(a, x, d);
        return;
    case OP_expand:
        /* sum back what was broadcast, then the same factor */
        d = reduce_to(a, dy, sx);
        if (n.attr.scale != 1 || n.attr.per_batch) {
            d = mk(a, OP_expand, d, -1, -1, sx);
            g->nodes[d].attr.scale = n.attr.scale;
            g->nodes[d].attr.per_batch = n.attr.per_batch;
        }
        accumulate(a, x, d);
        return;
    case OP_matmul:
    case OP_batch_matmul: {
        /* C = op(A) op(B); the four transpose cases of dA and dB (per lead
         * for batch_matmul, where a shared operand's gradient is a shared
         * result: the sum over the leads) */
        bool ta = n.attr.ta, tb = n.attr.tb;
        if (a->needs[x]) {
            d = ta ? mk(a, n.op, y, dy, -1, sx) : mk(a, n.op, dy, y, -1, sx);
            g->nodes[d].attr.ta = ta ? tb : 0;
            g->nodes[d].attr.tb = ta ? 1 : !tb;
            accumulate(a, x, d);
        }
        if (a->needs[y]) {
            Shape sy = shape_of(a, y);
            d = tb ? mk(a, n.op, dy, x, -1, sy) : mk(a, n.op, x, dy, -1, sy);
            g->nodes[d].attr.ta = tb ? 1 : !ta;
            g->nodes[d].attr.tb = tb ? ta : 0;
            accumulate(a, y, d);
        }
        return;
    }
    case OP_max_last: accumulate(a, x, mk(a, OP_max_last_grad, dy, x, -1, sx)); return;
    case OP_tril: /* dy below the diagonal, 0 above */
        d = mk(a, OP_tril, dy, -1, -1, sx);
        g->nodes[d].attr.value = 0;
        accumulate(a, x, d);
        return;
    case OP_permute: {
        /* the inverse permutation */
        d = mk(a, OP_permute, dy, -1, -1, sx);
        for (int k = 0; k < sx.nd; k++) g->nodes[d].attr.perm[n.attr.perm[k]] = k;
        accumulate(a, x, d);
        return;
    }
    case OP_conv2d:
    case OP_deconv2d: {
        bool conv = n.op == OP_conv2d;
        if (a->needs[x]) {
            /* the input gradient of a conv is a deconv and vice versa */
            d = mk(a, conv ? OP_deconv2d : OP_conv2d, dy, y, -1, sx);
            g->nodes[d].attr = n.attr; /* the same stride and padding */
            /* a conv's input gradient: the output padding that restores
             * the input's size */
            for (int k = 0; conv && k < 2; k++) {
                int span = n.attr.dilation[k] * (shape_of(a, y).d[2 + k] - 1) + 1;
                int back = (n.shape.d[1 + k] - 1) * n.attr.stride[k] - 2 * n.attr.pad[k] + span;
                g->nodes[d].attr.outpad[k] = sx.d[1 + k] - back;
            }
            accumulate(a, x, d);
        }
        if (a->needs[y]) {
            d = conv ? mk(a, OP_conv2d_wgrad, x, dy, -1, shape_of(a, y))
                     : mk(a, OP_conv2d_wgrad, dy, x, -1, shape_of(a, y));
            g->nodes[d].attr = n.attr;
            accumulate(a, y, d);
        }
        return;
    }
    case OP_batchnorm: accumulate(a, x, mk(a, OP_batchnorm_grad, dy, i, -1, sx)); return;
    case OP_layernorm: accumulate(a, x, mk(a, OP_layernorm_grad, dy, i, -1, sx)); return;
    case OP_dropout:
        /* the same mask (same stream) applied to the gradient */
        d = unary(a, OP_dropout, dy);
        g->nodes[d].attr.p = n.attr.p;
        g->nodes[d].attr.stream = n.attr.stream;
        accumulate(a, x, d);
        return;
    case OP_upsample_bilinear:
        accumulate(a, x, attrs_of(a, mk(a, OP_upsample_bilinear_grad, dy, -1, -1, sx), &n));
        return;
    case OP_maxpool:
    case OP_avgpool:
    case OP_upsample:
        d = n.op == OP_maxpool ? mk(a, OP_maxpool_grad, dy, x, i, sx)
            : mk(a, n.op == OP_avgpool ? OP_avgpool_grad : OP_upsample_grad, dy, -1, -1, sx);
        g->nodes[d].attr = n.attr; /* the window, or the factor */
        accumulate(a, x, d);
        return;
    case OP_spectral_sigma:
        /* d sigma = u v^T dw, u and v the power iteration's (constants) */
        accumulate(a, x, attrs_of(a, mk(a, OP_spectral_sigma_grad, dy, x, -1, sx), &n));
        return;
    case OP_reshape: accumulate(a, x, mk(a, OP_reshape, dy, -1, -1, sx)); return;
    case OP_concat: {
        int axis = n.attr.axis;
        for (int k = 0; k < 2; k++) {
            int in = n.in[k];
            if (!a->needs[in]) continue;
            d = mk(a, OP_slice, dy, -1, -1, shape_of(a, in));
            g->nodes[d].attr.axis = axis;
            g->nodes[d].attr.from = k ? shape_of(a, x).d[axis] : 0;
            accumulate(a, in, d);
        }
        return;
    }
    case OP_embedding:
        if (a->needs[y]) accumulate(a, y, mk(a, OP_embedding_grad, dy, x, -1, shape_of(a, y)));
        return;
    case OP_softmax: accumulate(a, x, mk(a, OP_softmax_grad, dy, i, -1, sx)); return;
    case OP_log_softmax: accumulate(a, x, mk(a, OP_log_softmax_grad, dy, i, -1, sx)); return;
    case OP_slice: {
        /* dy in its place among zeros */
        int axis = n.attr.axis, from = n.attr.from, end = from + n.shape.d[axis], parts[3], k = 0;
        Shape s = sx;
        if (from > 0) {
            s.d[axis] = from;
            parts[k++] = filled(a, 0, s);
        }
        parts[k++] = dy;
        if (end < sx.d[axis]) {
            s.d[axis] = sx.d[axis] - end;
            parts[k++] = filled(a, 0, s);
        }
        d = k == 1 ? dy : mk(a, OP_concat, parts[0], parts[1], k > 2 ? parts[2] : -1, sx);
        g->nodes[d].attr.axis = axis;
        accumulate(a, x, d);
        return;
    }
    case OP_relu_grad:
    case OP_leaky_relu_grad:
    case OP_elu_grad:
    case OP_tanh_grad:
    case OP_sigmoid_grad:
    case OP_gelu_grad:
    case OP_bce_grad:
    case OP_bce_logits_grad:
    case OP_layernorm_grad:
    case OP_maxpool_grad:
    case OP_maxpool_pick:
    case OP_max_last_grad:
    case OP_max_last_pick:
    case OP_avgpool_grad:
    case OP_upsample_grad:
    case OP_upsample_bilinear_grad:
    case OP_softmax_grad:
    case OP_log_softmax_grad: backward_grad_op(a, i, dy, &n); return;
    case OP_batchnorm_grad: /* grad refuses batchnorm (grad_through) */
    case OP_conv2d_wgrad:   /* a filter's gradient, an embedding table's, and a */
    case OP_embedding_grad: /* weight's through its spectral norm: a grad is never */
    case OP_spectral_sigma_grad: /* taken with respect to a parameter */
    case OP_grad:           /* replaced before the phases */
    case OP_COUNT: GENC_ASSERT(!"no gradient rule");
    }
}

static void backward_grad_op(Ad *a, int i, int dy, const Node *np)
{
    Graph *g = a->g;
    const Node n = *np;
    int d0 = n.in[0], x = n.nin > 1 ? n.in[1] : -1, t = n.nin > 2 ? n.in[2] : -1;
    Shape s0 = shape_of(a, d0);
    switch (n.op) {
    case OP_relu_grad:
    case OP_leaky_relu_grad:
        /* dy * step(v): linear in dy, piecewise constant in v */
        accumulate(a, d0, attrs_of(a, mk(a, n.op, dy, x, -1, s0), &n));
        return;
    case OP_elu_grad:
        accumulate(a, d0, attrs_of(a, mk(a, OP_elu_grad, dy, x, -1, s0), &n));
        if (a->needs[x]) {
            /* below 0 the derivative alpha e^x is its own derivative */
            int gd = mul(a, dy, d0);
            int e = attrs_of(a, mk(a, OP_elu_grad, gd, x, -1, s0), &n);
            accumulate(a, x, sub(a, e, mk(a, OP_relu_grad, gd, x, -1, s0)));
        }
        return;
    case OP_tanh_grad: /* dy (1 - y^2) */
        accumulate(a, d0, mk(a, OP_tanh_grad, dy, x, -1, s0));
        if (a->needs[x]) accumulate(a, x, mul(a, mul(a, dy, d0), mul(a, cnst(a, -2), x)));
        return;
    case OP_sigmoid_grad: /* dy y (1 - y) */
        accumulate(a, d0, mk(a, OP_sigmoid_grad, dy, x, -1, s0));
        if (a->needs[x])
            accumulate(a, x, mul(a, mul(a, dy, d0), sub(a, cnst(a, 1), mul(a, cnst(a, 2), x))));
        return;
    case OP_gelu_grad: /* dy (Phi(x) + x phi(x)); its derivative phi(x) (2 - x^2) */
        accumulate(a, d0, mk(a, OP_gelu_grad, dy, x, -1, s0));
        if (a->needs[x]) {
            int x2 = unary(a, OP_powc, x);
            g->nodes[x2].attr.exponent = 2;
            int phi = mul(a, cnst(a, 1 / sqrt(2 * M_PI)), unary(a, OP_exp, mul(a, cnst(a, -0.5), x2)));
            accumulate(a, x, mul(a, mul(a, dy, d0), mul(a, phi, sub(a, cnst(a, 2), x2))));
        }
        return;
    case OP_bce_grad: {
        /* dy (pc - t) / (pc uc) (bce_clamp): to p, dy (t / pc^2 + (1 - t) /
         * uc^2) inside the clamp and 0 outside, so a saturated p gives 0,
         * not 0 / 0; to t, -dy / (pc uc) */
        accumulate(a, d0, mk(a, OP_bce_grad, dy, x, t, s0));
        if (!a->needs[x] && !a->needs[t]) return;
        int gd = mul(a, dy, d0);
        BceClamp c = bce_clamp(a, x);
        if (a->needs[x]) {
            int inside = mk(a, OP_relu_grad, mk(a, OP_relu_grad, gd, c.rp, -1, s0), c.ru, -1, s0);
            int pc2 = unary(a, OP_powc, c.pc), uc2 = unary(a, OP_powc, c.uc);
            g->nodes[pc2].attr.exponent = g->nodes[uc2].attr.exponent = 2;
            int curv = binary(a, OP_add, binary(a, OP_div, t, pc2),
                              binary(a, OP_div, sub(a, cnst(a, 1), t), uc2));
            accumulate(a, x, mul(a, inside, curv));
        }
        if (a->needs[t]) accumulate(a, t, unary(a, OP_neg, binary(a, OP_div, gd, mul(a, c.pc, c.uc))));
        return;
    }
    case OP_bce_logits_grad: { /* dy (sigmoid(z) - t) */
        accumulate(a, d0, mk(a, OP_bce_logits_grad, dy, x, t, s0));
        int gd = mul(a, dy, d0);
        if (a->needs[x]) accumulate(a, x, mk(a, OP_sigmoid_grad, gd, unary(a, OP_sigmoid, x), -1, s0));
        if (a->needs[t]) accumulate(a, t, unary(a, OP_neg, gd));
        return;
    }
    case OP_layernorm_grad: {
        /* dx = r (a - mean(a) - y mean(a y)), r = 1/sigma of y's input x.
         * Its Jacobian in a is symmetric: G goes back as layernorm_grad(G).
         * Through y and r, to x: r layernorm_grad(u) - (s r / m) y with
         * u = -(G (a.y) + a (G.y)) / m, s = G.dx, m the example's size */
        accumulate(a, d0, mk(a, OP_layernorm_grad, dy, x, -1, s0));
        int xin = g->nodes[x].in[0];
        if (!a->needs[xin]) return;
        double m = (double)shape_count(s0);
        Shape one = {.batch = s0.batch};
        int mu = mk(a, OP_mean, xin, -1, -1, one);
        int c = unary(a, OP_powc, sub(a, xin, mu));
        g->nodes[c].attr.exponent = 2;
        int var = binary(a, OP_add, mk(a, OP_mean, c, -1, -1, one), cnst(a, g->nodes[x].attr.eps));
        int r = unary(a, OP_powc, var);
        g->nodes[r].attr.exponent = -0.5;
        int ay = example_sum(a, mul(a, d0, x)), gy = example_sum(a, mul(a, dy, x));
        int u = mul(a, cnst(a, -1 / m), binary(a, OP_add, mul(a, dy, ay), mul(a, d0, gy)));
        int ju = mk(a, OP_layernorm_grad, u, x, -1, s0);
        int sr = mul(a, example_sum(a, mul(a, dy, i)), mul(a, cnst(a, 1 / m), r));
        accumulate(a, xin, sub(a, mul(a, r, ju), mul(a, sr, x)));
        return;
    }
    case OP_maxpool_grad: /* linear in dy; the window's argmax is constant */
        accumulate(a, d0, attrs_of(a, mk(a, OP_maxpool_pick, dy, x, t, s0), &n));
        return;
    case OP_maxpool_pick:
        accumulate(a, d0, attrs_of(a, mk(a, OP_maxpool_grad, dy, x, t, s0), &n));
        return;
    case OP_max_last_grad: /* linear in dy; the argmax is constant */
        accumulate(a, d0, mk(a, OP_max_last_pick, dy, x, -1, s0));
        return;
    case OP_max_last_pick:
        accumulate(a, d0, mk(a, OP_max_last_grad, dy, x, -1, s0));
        return;
    case OP_avgpool_grad:
        accumulate(a, d0, attrs_of(a, mk(a, OP_avgpool, dy, -1, -1, s0), &n));
        return;
    case OP_upsample_grad:
        accumulate(a, d0, attrs_of(a, mk(a, OP_upsample, dy, -1, -1, s0), &n));
        return;
    case OP_upsample_bilinear_grad: /* the adjoint of the adjoint */
        accumulate(a, d0, attrs_of(a, mk(a, OP_upsample_bilinear, dy, -1, -1, s0), &n));
        return;
    case OP_softmax_grad: {
        /* y (a - S), S = sum(a y) over the last axis */
        accumulate(a, d0, mk(a, OP_softmax_grad, dy, x, -1, s0));
        if (a->needs[x]) {
            int sa = last_sum(a, mul(a, d0, x)), sg = last_sum(a, mul(a, dy, x));
            accumulate(a, x, sub(a, mul(a, dy, sub(a, d0, sa)), mul(a, sg, d0)));
        }
        return;
    }
    case OP_log_softmax_grad: {
        /* a - e^y S, S = sum(a) over the last axis */
        int ey = unary(a, OP_exp, x);
        accumulate(a, d0, sub(a, dy, last_sum(a, mul(a, dy, ey))));
        if (a->needs[x]) accumulate(a, x, unary(a, OP_neg, mul(a, mul(a, dy, ey), last_sum(a, d0))));
        return;
    }
    default: GENC_ASSERT(!"not a fused gradient op");
    }
}

/* ---- grad(y, x) inside an objective -------------------------------------- */

/* Whether grad may go back through node i (on a path from x to y), with
 * a message if not: an op without a gradient (onehot, an embedding's ids)
 * would leave it silently zero, and batchnorm has no second derivative.
 * sign, which only abs's rule makes, is zero wherever it has a derivative,
 * as a relu's mask is. */
static bool grad_through(const Ad *a, int i, const Node *call, Diag *d)
{
    const Node *n = &a->g->nodes[i];
    const char *why = NULL;
    if (n->op == OP_onehot || (n->op == OP_embedding && a->needs[n->in[0]]))
        why = "it has no gradient";
    else if (n->op == OP_batchnorm)
        why = "it has no second derivative (its statistics couple the examples of a batch); "
              "use layernorm in a network whose gradient an objective takes";
    if (!why) return true;
    diag_error(d, call->loc, "'grad' cannot differentiate through '%s' at line %d: %s",
               op_info[n->op].name, n->loc.line, why);
    return false;
}

/* The nodes of dy/dx (x's shape) appended to g, for y one value per
 * example (the gradient of their sum, each example's own when nothing
 * couples them) or a scalar; -1 with a message when there is none. */
static int grad_of(Graph *g, int y, int x, const Node *call, Diag *d)
{
    Ad a = {.g = g, .cur = y};
    a.needs = xcalloc((size_t)y + 1, sizeof *a.needs);
    a.grad = xcalloc((size_t)y + 1, sizeof *a.grad);
    for (int i = 0; i <= y; i++) {
        a.grad[i] = -1;
        a.needs[i] = i == x;
        for (int j = 0; i > x && j < g->nodes[i].nin; j++) a.needs[i] |= a.needs[g->nodes[i].in[j]];
    }
    int r = -1;
    if (x > y || !a.needs[y]) {
        diag_error(d, call->loc, "'grad': its first argument does not depend on its second");
        goto out;
    }
    a.grad[y] = filled(&a, 1, shape_of(&a, y));
    for (int i = y; i > x; i--) {
        if (a.grad[i] < 0 || !a.needs[i]) continue;
        if (!grad_through(&a, i, call, d)) goto out;
        backward(&a, i, a.grad[i]);
    }
    /* every path from x to y runs through a derivative that is zero where
     * it exists (a relu's mask, a max pooling's argmax, a sign) */
    r = a.grad[x] >= 0 ? a.grad[x] : filled(&a, 0, shape_of(&a, x));
out:
    free(a.needs);
    free(a.grad);
    return r;
}

/* Replaces every grad node by its nodes, rebuilding the graph in order
 * (a grad's users come after it, its nodes after its inputs). The number
 * of errors. */
int autodiff_grads(Graph *g, Diag *d)
{
    int any = 0;
    for (int i = 0; i < g->nnodes; i++) any |= g->nodes[i].op == OP_grad;
    if (!any) return 0;
    Node *old = g->nodes;
    int nold = g->nnodes, errors = 0;
    g->nodes = NULL;
    g->nnodes = g->cap = 0;
    int *map = xmalloc(sizeof *map * (size_t)nold);
    for (int i = 0; i < nold; i++) {
        Node n = old[i];
        for (int j = 0; j < n.nin; j++) n.in[j] = map[n.in[j]];
        if (n.op != OP_grad) {
            map[i] = graph_add(g, n.op, n.nin, n.in, n.loc, n.path);
            g->nodes[map[i]] = n;
            continue;
        }
        map[i] = grad_of(g, n.in[0], n.in[1], &n, d);
        if (map[i] < 0) {
            errors++;
            map[i] = n.in[1]; /* of the right shape, for the errors after it */
        }
    }
    graph_map_roots(g, map);
    free(map);
    free(old);
    return errors;
}

static void autodiff_phase(Graph *g, Phase *p)
{
    int n0 = g->nnodes;
    Ad a = {.g = g};
    a.needs = xcalloc((size_t)n0, sizeof *a.needs);
    a.grad = xcalloc((size_t)n0, sizeof *a.grad);
    int *pnode = xcalloc((size_t)g->nparams + 1, sizeof *pnode);
    bool *mine = xcalloc((size_t)g->nparams + 1, sizeof *mine);
    for (int j = 0; j < p->nparams; j++) mine[p->params[j]] = true;
    for (int i = 0; i < n0; i++) {
        Node *n = &g->nodes[i];
        a.grad[i] = -1;
        if (n->op == OP_param) {
            pnode[n->attr.param] = i;
            a.needs[i] = mine[n->attr.param];
        }
        for (int j = 0; j < n->nin; j++) a.needs[i] |= a.needs[n->in[j]];
    }
    a.cur = p->loss;
    a.grad[p->loss] = cnst(&a, 1);
    for (int i = p->loss; i >= 0; i--)
        if (a.grad[i] >= 0 && a.needs[i]) backward(&a, i, a.grad[i]);
    p->grads = xcalloc((size_t)p->nparams + 1, sizeof *p->grads);
    for (int j = 0; j < p->nparams; j++) p->grads[j] = a.grad[pnode[p->params[j]]];
    free(a.needs);
    free(a.grad);
    free(pnode);
    free(mine);
}

int autodiff_graph(Graph *g, Diag *d)
{
    int errors = autodiff_grads(g, d);
    if (errors) return errors;
    g->nforward = g->nnodes;
    for (int i = 0; i < g->nphases; i++) autodiff_phase(g, &g->phases[i]);
    g->after = "autodiff";
    return 0;
}
