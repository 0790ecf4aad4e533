/* graph.c: building, compacting, printing and hashing the graph IR. */
#include "ir/graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const init_name[INIT_COUNT] = {
    [INIT_DEFAULT] = "default", [INIT_NORMAL] = "normal", [INIT_UNIFORM] = "uniform",
    [INIT_XAVIER_UNIFORM] = "xavier", [INIT_XAVIER_NORMAL] = "xavier_normal",
    [INIT_KAIMING_UNIFORM] = "kaiming", [INIT_KAIMING_NORMAL] = "kaiming_normal",
    [INIT_ZEROS] = "zeros", [INIT_ONES] = "ones",
};

Graph *graph_new(const char *file)
{
    Graph *g = xcalloc(1, sizeof *g);
    g->file = file;
    g->sample = g->judge = g->features = g->encode = -1;
    return g;
}

static void setting_free(Setting *s)
{
    free(s->name);
    for (int i = 0; i < s->nkw; i++) free(s->kw[i]);
}

void graph_free(Graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->nparams; i++) {
        free(g->params[i].path);
        free(g->params[i].owner);
    }
    free(g->params);
    for (int i = 0; i < g->nstates; i++) free(g->states[i].path);
    free(g->states);
    for (int i = 0; i < g->nnoise; i++) free(g->noise[i].name);
    free(g->noise);
    if (g->data) {
        free(g->data->name);
        free(g->data->label_name);
        free(g->data->dataset);
        free(g->data->dir);
        free(g->data->split);
        free(g->data);
    }
    for (int i = 0; i < g->nphases; i++) {
        Phase *p = &g->phases[i];
        free(p->name);
        free(p->params);
        free(p->grads);
        setting_free(&p->optim);
    }
    free(g->phases);
    for (int i = 0; i < g->nscheds; i++) free(g->scheds[i].name);
    free(g->scheds);
    for (int i = 0; i < g->nstrs; i++) free(g->strs[i]);
    free(g->strs);
    free(g->strtab);
    free(g->nodes);
    free(g);
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Open addressing over the interned strings (index + 1, 0 empty): a model
 * with thousands of layers has thousands of distinct paths. */
const char *graph_intern(Graph *g, const char *s)
{
    if (2 * (g->nstrs + 1) > g->strcap) {
        int cap = g->strcap ? 2 * g->strcap : 256;
        int *t = xcalloc((size_t)cap, sizeof *t);
        for (int i = 0; i < g->nstrs; i++) {
            size_t h = str_hash(g->strs[i]) & (size_t)(cap - 1);
            while (t[h]) h = (h + 1) & (size_t)(cap - 1);
            t[h] = i + 1;
        }
        free(g->strtab);
        g->strtab = t;
        g->strcap = cap;
    }
    size_t h = str_hash(s) & (size_t)(g->strcap - 1);
    for (; g->strtab[h]; h = (h + 1) & (size_t)(g->strcap - 1))
        if (strcmp(g->strs[g->strtab[h] - 1], s) == 0) return g->strs[g->strtab[h] - 1];
    g->strs = xgrow(g->strs, sizeof *g->strs, (size_t)g->nstrs);
    g->strtab[h] = g->nstrs + 1;
    return g->strs[g->nstrs++] = xstrdup(s);
}

int graph_add(Graph *g, Op op, int nin, const int *in, SrcLoc loc, const char *path)
{
    GENC_ASSERT(nin <= GRAPH_MAXIN);
    GENC_ASSERT(op_info[op].arity < 0 || op_info[op].arity == nin);
    if (g->nnodes == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->nodes = xrealloc(g->nodes, sizeof *g->nodes * (size_t)g->cap);
    }
    Node *n = &g->nodes[g->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->nin = nin;
    for (int i = 0; i < nin; i++) {
        GENC_ASSERT(in[i] >= 0 && in[i] < g->nnodes);
        n->in[i] = in[i];
    }
    n->loc = loc;
    n->path = graph_intern(g, path ? path : "");
    return g->nnodes++;
}

int graph_param(Graph *g, const char *path, const char *owner, Shape s, Init init, int fan_in,
                int fan_out, SrcLoc loc)
{
    g->params = xgrow(g->params, sizeof *g->params, (size_t)g->nparams);
    g->params[g->nparams] = (Param){xstrdup(path), xstrdup(owner), s, init, fan_in, fan_out, loc, 0};
    int n = graph_add(g, OP_param, 0, NULL, loc, path);
    g->nodes[n].shape = s;
    g->nodes[n].attr.param = g->nparams++;
    return n;
}

int graph_const(Graph *g, double v, SrcLoc loc, const char *path)
{
    int n = graph_add(g, OP_const, 0, NULL, loc, path);
    g->nodes[n].attr.value = v;
    return n;
}

int graph_state(Graph *g, const char *path, const char *what, Shape shape, int parts,
                const double *fill)
{
    GENC_ASSERT(parts >= 1 && parts <= GRAPH_MAXPARTS && !shape.batch);
    g->states = xgrow(g->states, sizeof *g->states, (size_t)g->nstates);
    LayerState *st = &g->states[g->nstates];
    *st = (LayerState){xstrdup(path), what, shape, parts, {0}, 0};
    for (int k = 0; k < parts; k++) st->fill[k] = fill[k];
    return g->nstates++;
}

int64_t graph_state_count(const Graph *g, int i)
{
    return g->states[i].parts * shape_count(g->states[i].shape);
}

/* Removes the nodes no root needs, keeping the order. */
void graph_compact(Graph *g)
{
    bool *live = xcalloc((size_t)g->nnodes + 1, sizeof *live);
    for (int i = 0; i < g->nphases; i++) {
        live[g->phases[i].loss] = true;
        for (int j = 0; g->phases[i].grads && j < g->phases[i].nparams; j++)
            if (g->phases[i].grads[j] >= 0) live[g->phases[i].grads[j]] = true;
    }
    int roots[4] = {g->sample, g->judge, g->features, g->encode};
    for (int i = 0; i < 4; i++)
        if (roots[i] >= 0) live[roots[i]] = true;
    /* parameters stay, so parameter nodes and Graph.params agree */
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == OP_param) live[i] = true;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        if (live[i])
            for (int j = 0; j < g->nodes[i].nin; j++) live[g->nodes[i].in[j]] = true;
    }
    int *map = xcalloc((size_t)g->nnodes + 1, sizeof *map), n = 0;
    for (int i = 0; i < g->nnodes; i++) {
        if (!live[i]) {
            map[i] = -1;
            continue;
        }
        Node nd = g->nodes[i];
        for (int j = 0; j < nd.nin; j++) {
            nd.in[j] = map[nd.in[j]];
            GENC_ASSERT(nd.in[j] >= 0);
        }
        map[i] = n;
        g->nodes[n++] = nd;
    }
    g->nnodes = n;
    graph_map_roots(g, map);
    free(map);
    free(live);
}

void graph_map_roots(Graph *g, const int *map)
{
    for (int i = 0; i < g->nphases; i++) {
        g->phases[i].loss = map[g->phases[i].loss];
        for (int j = 0; g->phases[i].grads && j < g->phases[i].nparams; j++)
            if (g->phases[i].grads[j] >= 0) g->phases[i].grads[j] = map[g->phases[i].grads[j]];
    }
    if (g->sample >= 0) g->sample = map[g->sample];
    if (g->judge >= 0) g->judge = map[g->judge];
    if (g->features >= 0) g->features = map[g->features];
    if (g->encode >= 0) g->encode = map[g->encode];
}

int64_t shape_count(Shape s)
{
    int64_t n = 1;
    for (int i = 0; i < s.nd; i++) n *= s.d[i];
    return n;
}

bool shape_eq(Shape a, Shape b)
{
    if (a.nd != b.nd || a.batch != b.batch) return false;
    for (int i = 0; i < a.nd; i++)
        if (a.d[i] != b.d[i]) return false;
    return true;
}

bool shape_broadcast(Shape a, Shape b, Shape *out)
{
    Shape r = {.batch = a.batch || b.batch, .nd = a.nd > b.nd ? a.nd : b.nd};
    for (int i = 0; i < r.nd; i++) {
        int x = i < r.nd - a.nd ? 1 : a.d[i - (r.nd - a.nd)];
        int y = i < r.nd - b.nd ? 1 : b.d[i - (r.nd - b.nd)];
        if (x != y && x != 1 && y != 1) return false;
        r.d[i] = x == 1 ? y : x;
    }
    *out = r;
    return true;
}

Shape shape_make(bool batch, int nd, const int *d)
{
    Shape s = {.nd = nd, .batch = batch};
    for (int i = 0; i < nd; i++) s.d[i] = d[i];
    return s;
}

const char *shape_str(Shape s, char *buf, size_t n)
{
    size_t len = 0;
    len += (size_t)snprintf(buf + len, n - len, "[%s", s.batch ? "B" : "");
    for (int i = 0; i < s.nd && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", i || s.batch ? ", " : "", s.d[i]);
    if (len < n) snprintf(buf + len, n - len, "]");
    return buf;
}

/* Whether every component of attribute a of n is 1 (PRINT_UNLESS_ONE). */
static bool attr_is_one(const Node *n, AttrId a)
{
    for (int k = 0; k < attr_info[a].count; k++)
        if (attr_get(&n->attr, a, k) != 1) return false;
    return true;
}

/* A node's attributes as `genc graph` shows them: those of its op, in
 * GENC_ATTRS order, each as its AttrPrint says. */
static void node_attrs(const Graph *g, const Node *n, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (int a = 0; a < ATTR_COUNT && k < len; a++) {
        if (!node_has(n, (AttrId)a)) continue;
        const AttrInfo *ai = &attr_info[a];
        double v = attr_get(&n->attr, (AttrId)a, 0);
        int i = (int)v;
        const char *sep = k ? " " : "";
        switch (ai->print) {
        case PRINT_UNLESS_ONE:
            if (attr_is_one(n, (AttrId)a)) break;
            /* fall through */
        case PRINT_NAMED: {
            char one[64];
            int w = ai->count == 2 ? (int)attr_get(&n->attr, (AttrId)a, 1) : i;
            if (ai->real) snprintf(one, sizeof one, "%g", v);
            else if (w != i) snprintf(one, sizeof one, "%d,%d", i, w);
            else snprintf(one, sizeof one, "%d", i);
            k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", sep, ai->name, one);
            break;
        }
        case PRINT_BARE: k += (size_t)snprintf(buf + k, len - k, "%s%g", sep, v); break;
        case PRINT_FLAG:
            if (i) k += (size_t)snprintf(buf + k, len - k, "%s%s", sep, ai->name);
            break;
        case PRINT_PER_B:
            if (i) k += (size_t)snprintf(buf + k, len - k, "/B");
            break;
        case PRINT_DATA:
            k += (size_t)snprintf(buf + k, len - k, "%s%s", sep, i ? "labels" : "images");
            break;
        case PRINT_NOISE: k += (size_t)snprintf(buf + k, len - k, "%s%s", sep, g->noise[i].name); break;
        case PRINT_PARAM: k += (size_t)snprintf(buf + k, len - k, "%s%s", sep, g->params[i].path); break;
        case PRINT_STATE:
            k += (size_t)snprintf(buf + k, len - k, "%sstate=%s", sep, g->states[i].path);
            break;
        case PRINT_AXES:
            k += (size_t)snprintf(buf + k, len - k, "%s%s=", sep, ai->name);
            for (int d = 0; d < n->shape.nd; d++)
                k += (size_t)snprintf(buf + k, len - k, "%s%d", d ? "," : "",
                                      (int)attr_get(&n->attr, (AttrId)a, d));
            break;
        case PRINT_SCHED: {
            char one[128];
            k += (size_t)snprintf(buf + k, len - k, "%s%s %s", sep, g->scheds[i].name,
                                  sched_str(&g->scheds[i], one, sizeof one));
            break;
        }
        }
    }
}

static void print_init(FILE *f, Init in)
{
    switch (in.kind) {
    case INIT_NORMAL:
    case INIT_UNIFORM: fprintf(f, "%s(%g, %g)", init_name[in.kind], in.a, in.b); break;
    case INIT_XAVIER_UNIFORM:
    case INIT_XAVIER_NORMAL: fprintf(f, "%s(gain: %g)", init_name[in.kind], in.a); break;
    case INIT_KAIMING_UNIFORM:
    case INIT_KAIMING_NORMAL: fprintf(f, "%s(slope: %g)", init_name[in.kind], in.a); break;
    default: fprintf(f, "%s", init_name[in.kind]); break;
    }
}

void graph_print(Graph *g, FILE *f)
{
    char b[64], attrs[160];
    fprintf(f, "# genc graph of %s, after %s\n", g->file, g->after ? g->after : "lower");
    fprintf(f, "train batch=%d epochs=%d seed=%llu\n", g->batch, g->epochs,
            (unsigned long long)g->seed);
    if (g->data) {
        DataSrc *d = g->data;
        fprintf(f, "data %s%s%s ~ %s(%s%s%s%s, range: [%g, %g]) %s\n", d->name,
                d->label_name ? ", " : "", d->label_name ? d->label_name : "", d->dataset,
                d->dir ? "\"" : "", d->dir ? d->dir : "", d->dir ? "\", " : "", d->split, d->lo,
                d->hi, shape_str(d->shape, b, sizeof b));
    }
    for (int i = 0; i < g->nnoise; i++) {
        Noise *nz = &g->noise[i];
        if (nz->kind == NOISE_CATEGORICAL)
            fprintf(f, "noise %s ~ categorical(%d) %s\n", nz->name, nz->classes,
                    shape_str(nz->shape, b, sizeof b));
        else
            fprintf(f, "noise %s ~ %s(%g, %g) %s\n", nz->name,
                    nz->kind == NOISE_NORMAL ? "normal" : "uniform", nz->a, nz->b,
                    shape_str(nz->shape, b, sizeof b));
    }
    for (int i = 0; i < g->nparams; i++) {
        Param *p = &g->params[i];
        fprintf(f, "param %s %s init ", p->path, shape_str(p->shape, b, sizeof b));
        print_init(f, p->init);
        fprintf(f, "\n");
    }
    for (int i = 0; i < g->nstates; i++)
        fprintf(f, "state %s %s %s\n", g->states[i].path, g->states[i].what,
                shape_str(g->states[i].shape, b, sizeof b));
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = &g->nodes[i];
        fprintf(f, "%%%d = %s", i, op_info[n->op].name);
        for (int j = 0; j < n->nin; j++) fprintf(f, " %%%d", n->in[j]);
        node_attrs(g, n, attrs, sizeof attrs);
        if (attrs[0]) fprintf(f, " %s", attrs);
        fprintf(f, " : %s", shape_str(n->shape, b, sizeof b));
        if (n->path[0]) fprintf(f, "  %s", n->path);
        if (n->loc.line) fprintf(f, "  @%d:%d", n->loc.line, n->loc.col);
        fprintf(f, "\n");
    }
    for (int i = 0; i < g->nphases; i++) {
        Phase *p = &g->phases[i];
        fprintf(f, "phase %s: minimise %%%d, every %d step%s, %s(", p->name, p->loss, p->every,
                p->every == 1 ? "" : "s", p->optim.name);
        for (int j = 0, k = 0; j < p->optim.nkw; j++)
            if (p->lr_sched < 0 || strcmp(p->optim.kw[j], "lr")) /* a schedule's: below */
                fprintf(f, "%s%s: %g", k++ ? ", " : "", p->optim.kw[j], p->optim.val[j]);
        fprintf(f, ")");
        if (p->lr_sched >= 0) {
            char one[128];
            fprintf(f, " lr %s", sched_str(&g->scheds[p->lr_sched], one, sizeof one));
        }
        if (p->clip > 0) fprintf(f, " clip %g", p->clip);
        if (p->grad_clip > 0) fprintf(f, " grad_clip %g", p->grad_clip);
        fprintf(f, "\n");
        /* the averages of its nets' weights, when any */
        for (int j = 0; j < p->nparams; j++) {
            const Param *q = &g->params[p->params[j]];
            int k = 0;
            while (k < j && strcmp(q->owner, g->params[p->params[k]].owner)) k++;
            if (q->ema > 0 && k == j)
                fprintf(f, "  ema %s: %g from step %llu\n", q->owner, q->ema,
                        (unsigned long long)g->ema_start);
        }
        for (int j = 0; j < p->nparams; j++) {
            fprintf(f, "  update %s", g->params[p->params[j]].path);
            if (p->grads && p->grads[j] >= 0) fprintf(f, " by %%%d", p->grads[j]);
            fprintf(f, "\n");
        }
    }
    if (g->sample >= 0) fprintf(f, "sample %%%d\n", g->sample);
    if (g->judge >= 0) fprintf(f, "judge %%%d features %%%d\n", g->judge, g->features);
    if (g->encode >= 0) fprintf(f, "encode %%%d\n", g->encode);
}

void graph_print_dot(Graph *g, FILE *f)
{
    char b[64], attrs[160];
    fprintf(f, "digraph genc {\n  rankdir=TB;\n  node [shape=box, fontname=\"monospace\", "
               "fontsize=10];\n");
    for (int i = 0; i < g->nnodes; i++) {
        Node *n = &g->nodes[i];
        node_attrs(g, n, attrs, sizeof attrs);
        const char *color = n->op == OP_param ? "lightblue"
                            : n->op == OP_input || n->op == OP_noise ? "lightyellow"
                            : op_info[n->op].kind == OPK_GRAD ? "mistyrose" : "white";
        /* attrs and paths hold no quotes or backslashes: names are identifiers */
        fprintf(f, "  n%d [label=\"%%%d %s %s\\n%s\\n%s\", style=filled, fillcolor=%s];\n", i, i,
                op_info[n->op].name, attrs, shape_str(n->shape, b, sizeof b), n->path, color);
        for (int j = 0; j < n->nin; j++) fprintf(f, "  n%d -> n%d;\n", n->in[j], i);
    }
    for (int i = 0; i < g->nphases; i++) {
        fprintf(f, "  phase%d [shape=ellipse, label=\"phase %s\"];\n", i, g->phases[i].name);
        fprintf(f, "  n%d -> phase%d [style=dashed];\n", g->phases[i].loss, i);
    }
    fprintf(f, "}\n");
}

int graph_number_trained(const Graph *g, int n, int *num)
{
    for (int i = 0; i < n; i++) num[i] = -1;
    for (int p = 0; p < g->nphases; p++) num[g->phases[p].loss] = 0;
    for (int i = n - 1; i >= 0; i--) /* inputs come before their users */
        for (int j = 0; num[i] >= 0 && j < g->nodes[i].nin; j++) num[g->nodes[i].in[j]] = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (num[i] >= 0) num[i] = k++;
    int trained = k;
    for (int i = 0; i < n; i++)
        if (num[i] < 0) num[i] = k++;
    return trained;
}

/* FNV-1a over the structure only: ops, inputs, shapes, attributes,
 * parameters and layer state. Source locations, comments and train
 * settings are left out, so a checkpoint survives edits that do not change
 * what is computed; so are the nodes that only `sample` or `encode` read
 * (what training never computes), so that `--set 'sample G(0.5 * z)'` can
 * draw from a trained checkpoint. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s) { return hash_bytes(h, s, strlen(s) + 1); }

static uint64_t hash_ints(uint64_t h, const int32_t *v, int n)
{
    return hash_bytes(h, v, sizeof *v * (size_t)n);
}

static uint64_t hash_shape(uint64_t h, const Shape *s)
{
    int32_t v[2 + GENC_MAX_DIMS] = {s->nd, s->batch};
    for (int j = 0; j < s->nd; j++) v[2 + j] = s->d[j];
    return hash_ints(h, v, 2 + s->nd);
}

uint64_t graph_hash(const Graph *g)
{
    uint64_t h = 1469598103934665603ULL;
    int nn = g->nforward > 0 ? g->nforward : g->nnodes;
    int *num = xmalloc(sizeof *num * ((size_t)nn + 1));
    int trained = graph_number_trained(g, nn, num);
    for (int i = 0; i < nn; i++) {
        if (num[i] >= trained) continue;
        const Node *n = &g->nodes[i];
        h = hash_str(h, op_info[n->op].name);
        int32_t v[1 + GRAPH_MAXIN] = {n->nin};
        for (int j = 0; j < n->nin; j++) v[1 + j] = num[n->in[j]];
        h = hash_ints(h, v, 1 + n->nin);
        h = hash_shape(h, &n->shape);
        for (int a = 0; a < ATTR_COUNT; a++) {
            if (!node_has(n, (AttrId)a)) continue;
            if (attr_info[a].print == PRINT_UNLESS_ONE && attr_is_one(n, (AttrId)a)) continue;
            h = hash_str(h, attr_info[a].name);
            for (int k = 0; k < attr_info[a].count; k++) {
                double x = attr_get(&n->attr, (AttrId)a, k);
                int32_t xi = (int32_t)x;
                h = attr_info[a].real ? hash_bytes(h, &x, sizeof x) : hash_ints(h, &xi, 1);
            }
        }
        if (n->op == OP_scheduled) { /* what it computes: the schedule */
            const Schedule *sc = &g->scheds[n->attr.sched];
            double def[5] = {sc->kind, sc->a, sc->b, (double)sc->span, (double)sc->warmup};
            h = hash_bytes(h, def, sizeof def);
            h = hash_bytes(h, &sc->epochs, sizeof sc->epochs);
        }
    }
    free(num);
    for (int i = 0; i < g->nparams; i++) {
        h = hash_str(h, g->params[i].path);
        h = hash_shape(h, &g->params[i].shape);
    }
    for (int i = 0; i < g->nstates; i++) {
        int32_t parts = g->states[i].parts;
        h = hash_str(h, g->states[i].path);
        h = hash_ints(h, &parts, 1);
        h = hash_shape(h, &g->states[i].shape);
    }
    return h;
}

bool attrs_equal(const Node *a, const Node *b)
{
    GENC_ASSERT(a->op == b->op);
    for (int k = 0; k < ATTR_COUNT; k++) {
        if (!node_has(a, (AttrId)k)) continue;
        /* bit for bit: a constant -0 is not the constant 0 */
        for (int j = 0; j < attr_info[k].count; j++) {
            double x = attr_get(&a->attr, (AttrId)k, j), y = attr_get(&b->attr, (AttrId)k, j);
            if (memcmp(&x, &y, sizeof x) != 0) return false;
        }
    }
    return true;
}

/* ---- schedules --------------------------------------------------------- */

double sched_value(const Schedule *s, int64_t t, int64_t per_epoch, int64_t total)
{
    int64_t span = s->epochs ? s->span * per_epoch : s->span;
    if (s->kind == SCHED_WARMUP) return s->a * fmin((double)(t + 1) / (double)(span > 0 ? span : 1), 1);
    if (t < s->warmup) {
        Schedule after = *s;
        after.warmup = 0;
        return sched_value(&after, 0, per_epoch, total) * (double)(t + 1) / (double)s->warmup;
    }
    int64_t u = t - s->warmup;
    if (span <= 0) span = total - s->warmup > 0 ? total - s->warmup : 1;
    double f = fmin((double)u / (double)span, 1);
    switch (s->kind) {
    case SCHED_LINEAR: return s->a + (s->b - s->a) * f;
    case SCHED_COSINE: return s->b + (s->a - s->b) * (1 + cos(M_PI * f)) / 2;
    case SCHED_STEP_DECAY: return s->a * pow(s->b, floor((double)u / (double)span));
    case SCHED_WARMUP: break;
    }
    return s->a;
}

const char *sched_str(const Schedule *s, char *buf, size_t n)
{
    static const char *const kind[] = {"linear", "cosine", "warmup", "step_decay"};
    int k = snprintf(buf, n, "%s(%g", kind[s->kind], s->a);
    if (s->kind != SCHED_WARMUP && k < (int)n) k += snprintf(buf + k, n - (size_t)k, ", %g", s->b);
    if (s->span && k < (int)n)
        k += snprintf(buf + k, n - (size_t)k, ", %s: %lld", s->epochs ? "epochs" : "steps",
                      (long long)s->span);
    if (s->warmup && k < (int)n)
        k += snprintf(buf + k, n - (size_t)k, ", warmup: %lld", (long long)s->warmup);
    if (k < (int)n) snprintf(buf + k, n - (size_t)k, ")");
    return buf;
}
