/* rewrite.c: stable forms and common subexpressions, in one forward pass.
 *
 * The graph is rebuilt node by node into a new array. Each node is first
 * matched against the stable-form patterns below (on its already rebuilt
 * inputs), then looked up in a table of the nodes emitted so far: an equal
 * node (same op, inputs and attributes) is reused instead of emitted, so
 * D(G(z)) written twice is computed once. Nodes left unused are dropped.
 *
 *   log(sigmoid(a))      -> log_sigmoid(a)
 *   log(1 - sigmoid(a))  -> log_sigmoid(-a)
 *   bce(sigmoid(a), t)   -> bce_logits(a, t)
 *   log(softmax(a))      -> log_softmax(a)      (cross_entropy on logits)
 *   -(-a)                -> a
 *   sqrt(sum(v ^ 2)) ^ 2 -> sum(v ^ 2)  (norm(v)^2: no sqrt, whose gradient
 *                                       at a zero norm is infinite)
 *
 * A rule changes the hash of every model it matches (graph_hash reads the
 * rewritten graph), so their checkpoints are refused afterwards: a rule
 * matches as narrow a pattern as its reason needs (tests/e2e/legacy.sh
 * holds a model of genc 0.1.0 that most functions appear in).
 */
#include "grammar/rewrite.h"

#include <stdlib.h>
#include <string.h>

typedef struct Rw {
    Graph *g;     /* the graph being built */
    int *table;   /* open addressing: node index + 1, 0 empty */
    size_t cap;
    bool *target; /* per new node: a grad differentiates with respect to it */
    int ntarget;  /* entries of target */
} Rw;

/* Whether new node i is the x of a grad(y, x): a pattern that computes y
 * without it would leave y independent of x, so none bypasses it. */
static bool is_target(const Rw *r, int i) { return i < r->ntarget && r->target[i]; }

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

/* The op, the inputs and the op's attributes: what node_same compares
 * (the shape follows from them). */
static uint64_t node_key(const Node *n)
{
    uint64_t h = mix(1469598103934665603ULL, &n->op, sizeof n->op);
    h = mix(h, n->in, sizeof n->in[0] * (size_t)n->nin);
    for (int a = 0; a < ATTR_COUNT; a++)
        for (int k = 0; node_has(n, (AttrId)a) && k < attr_info[a].count; k++) {
            double v = attr_get(&n->attr, (AttrId)a, k);
            h = mix(h, &v, sizeof v);
        }
    return h;
}

static bool node_same(const Node *a, const Node *b)
{
    return a->op == b->op && a->nin == b->nin &&
           memcmp(a->in, b->in, sizeof a->in[0] * (size_t)a->nin) == 0 && attrs_equal(a, b) &&
           shape_eq(a->shape, b->shape);
}

/* Emits n into the new graph unless an equal node is there already. */
static int emit(Rw *r, const Node *n)
{
    Graph *g = r->g;
    if ((size_t)g->nnodes * 2 >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        int *t = xcalloc(cap, sizeof *t);
        for (int i = 0; i < g->nnodes; i++) {
            size_t h = node_key(&g->nodes[i]) & (cap - 1);
            while (t[h]) h = (h + 1) & (cap - 1);
            t[h] = i + 1;
        }
        free(r->table);
        r->table = t;
        r->cap = cap;
    }
    size_t h = node_key(n) & (r->cap - 1);
    for (; r->table[h]; h = (h + 1) & (r->cap - 1))
        if (node_same(&g->nodes[r->table[h] - 1], n)) return r->table[h] - 1;
    int id = graph_add(g, n->op, n->nin, n->in, n->loc, n->path);
    g->nodes[id] = *n;
    g->nodes[id].path = graph_intern(g, n->path);
    r->table[h] = id + 1;
    return id;
}

static int emit1(Rw *r, const Node *like, Op op, int a)
{
    Node n = *like;
    n.op = op;
    n.nin = 1;
    n.in[0] = a;
    memset(&n.attr, 0, sizeof n.attr);
    n.shape = r->g->nodes[a].shape;
    return emit(r, &n);
}

static bool is_const(Graph *g, int i, double v)
{
    return g->nodes[i].op == OP_const && g->nodes[i].attr.value == v;
}

/* Whether node i is sum(v ^ 2), the square of norm(v). */
static bool is_square_sum(Graph *g, int i)
{
    const Node *s = &g->nodes[i];
    if (s->op != OP_sum) return false;
    const Node *p = &g->nodes[s->in[0]];
    return p->op == OP_powc && p->attr.exponent == 2;
}

/* n's inputs are already new indices. Returns the node to use for n. */
static int rewrite_node(Rw *r, Node n)
{
    Graph *g = r->g;
    const Node *x = n.nin > 0 ? &g->nodes[n.in[0]] : NULL;
    if (!x || is_target(r, n.in[0])) return emit(r, &n);
    if (n.op == OP_log) {
        if (x->op == OP_sigmoid) {
            n.op = OP_log_sigmoid;
            n.in[0] = x->in[0];
        } else if (x->op == OP_softmax) {
            n.op = OP_log_softmax;
            n.in[0] = x->in[0];
        } else if (x->op == OP_sub && is_const(g, x->in[0], 1) && !is_target(r, x->in[1]) &&
                   g->nodes[x->in[1]].op == OP_sigmoid &&
                   shape_eq(g->nodes[x->in[1]].shape, n.shape)) {
            n.op = OP_log_sigmoid;
            n.in[0] = emit1(r, &n, OP_neg, g->nodes[x->in[1]].in[0]);
        }
    } else if (n.op == OP_bce && x->op == OP_sigmoid && shape_eq(x->shape, n.shape)) {
        n.op = OP_bce_logits;
        n.in[0] = x->in[0];
    } else if (n.op == OP_neg && x->op == OP_neg) {
        return x->in[0];
    } else if (n.op == OP_powc && n.attr.exponent == 2 && x->op == OP_sqrt &&
               is_square_sum(g, x->in[0])) {
        return x->in[0];
    }
    return emit(r, &n);
}

void rewrite_graph(Graph *g)
{
    Graph *old = xcalloc(1, sizeof *old);
    *old = *g;
    g->nodes = NULL;
    g->nnodes = g->cap = 0;
    Rw r = {.g = g};
    int *map = xcalloc((size_t)old->nnodes + 1, sizeof *map);
    bool *target = xcalloc((size_t)old->nnodes + 1, sizeof *target);
    for (int i = 0; i < old->nnodes; i++)
        if (old->nodes[i].op == OP_grad) target[old->nodes[i].in[1]] = true;
    for (int i = 0; i < old->nnodes; i++) {
        Node n = old->nodes[i];
        for (int j = 0; j < n.nin; j++) n.in[j] = map[n.in[j]];
        map[i] = rewrite_node(&r, n);
        if (target[i]) {
            if (map[i] >= r.ntarget) {
                r.target = xrealloc(r.target, sizeof *r.target * (size_t)g->nnodes);
                memset(r.target + r.ntarget, 0, sizeof *r.target * (size_t)(g->nnodes - r.ntarget));
                r.ntarget = g->nnodes;
            }
            r.target[map[i]] = true;
        }
    }
    free(target);
    free(r.target);
    graph_map_roots(g, map);
    free(map);
    free(r.table);
    free(old->nodes);
    free(old);
    graph_compact(g);
    /* each dropout draws its own mask, keyed by its position among the
     * trained nodes (a sample expression moves no mask) */
    int *num = xmalloc(sizeof *num * ((size_t)g->nnodes + 1));
    graph_number_trained(g, g->nnodes, num);
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == OP_dropout) g->nodes[i].attr.stream = num[i];
    free(num);
    g->after = "rewrite";
}
