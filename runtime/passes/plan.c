/* plan.c: instruction order and arena offsets from liveness. */
#include "passes/plan.h"

#include <stdlib.h>
#include <string.h>

int64_t plan_count(const Graph *g, int n, int B)
{
    const Node *nd = &g->nodes[n];
    return shape_count(nd->shape) * (nd->shape.batch ? B : 1);
}

int64_t plan_aux(const Graph *g, int n, int B)
{
    const Node *nd = &g->nodes[n];
    if (nd->op == OP_batchnorm) return nd->shape.d[0];
    if (nd->op == OP_layernorm) return B;
    return 0;
}

int64_t plan_param_layout(const Graph *g, int64_t *poff, int64_t *pstart, int64_t *plen)
{
    bool *placed = xcalloc((size_t)g->nparams + 1, sizeof *placed);
    int64_t off = 0;
    for (int p = 0; p <= g->nphases; p++) {
        if (pstart && p < g->nphases) pstart[p] = off;
        int64_t start = off;
        for (int j = 0; j < (p < g->nphases ? g->phases[p].nparams : g->nparams); j++) {
            int i = p < g->nphases ? g->phases[p].params[j] : j;
            if (placed[i]) continue;
            placed[i] = true;
            if (poff) poff[i] = off;
            off += shape_count(g->params[i].shape);
        }
        if (plen && p < g->nphases) plen[p] = off - start;
    }
    free(placed);
    return off;
}

/* One computed value in the step: a node may be computed twice (before
 * and after an update of parameters it depends on). */
typedef struct Inst {
    int node;
    int64_t size;
    int first;  /* index of the instruction before which it is born */
    int last;   /* index of the last instruction reading it */
    int64_t off;
} Inst;

typedef struct Builder {
    const Graph *g;
    int B;
    Ins *ins;
    int nins, cap;
    Inst *inst;
    int ninst, icap;
    int *cur;   /* per node: its valid instance, CUR_GRAD, or CUR_NONE */
    int *grad_of; /* per node: the parameter whose final gradient it is, or -1 */
    bool *is_view; /* per node: a reshape of data, noise or a parameter */
    int *gblock;   /* per phase: the instance of its gradient block, or -1 */
    int64_t *poff, *pstart, *plen; /* plan_param_layout's, for the blocks */
    PlanWorkFn work_fn;
    int64_t work;
} Builder;

enum { CUR_NONE = -1, CUR_GRAD = -2 };

static Ins *emit(Builder *b, Ins in)
{
    if (b->nins == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->ins = xrealloc(b->ins, sizeof *b->ins * (size_t)b->cap);
    }
    b->ins[b->nins] = in;
    return &b->ins[b->nins++];
}

/* The slot of node n's current value, marking it read by instruction at. */
/* A reshape of data, noise or a parameter is a view of it, like a reshape
 * of an arena value: the node whose memory it reads. */
static int view_root(const Builder *b, int n)
{
    const Node *nd = &b->g->nodes[n];
    while (nd->op == OP_reshape && b->cur[n] == CUR_NONE && b->is_view[n]) {
        n = nd->in[0];
        nd = &b->g->nodes[n];
    }
    return n;
}

static Slot read_slot(Builder *b, int n, int at)
{
    n = view_root(b, n);
    const Node *nd = &b->g->nodes[n];
    if (nd->op == OP_param) return (Slot){SLOT_PARAM, nd->attr.param};
    if (nd->op == OP_input) return (Slot){SLOT_INPUT, nd->attr.data};
    if (nd->op == OP_noise) return (Slot){SLOT_NOISE, nd->attr.noise};
    int i = b->cur[n];
    if (i == CUR_GRAD) return (Slot){SLOT_GRAD, b->grad_of[n]};
    GENC_ASSERT(i >= 0);
    b->inst[i].last = at;
    return (Slot){SLOT_ARENA, i}; /* an instance index until offsets exist */
}

/* A new arena instance for node n, born before the next instruction and
 * read last by instruction `last`. */
static int new_inst(Builder *b, int n, int64_t size, int last)
{
    if (b->ninst == b->icap) {
        b->icap = b->icap ? 2 * b->icap : 256;
        b->inst = xrealloc(b->inst, sizeof *b->inst * (size_t)b->icap);
    }
    b->inst[b->ninst] = (Inst){n, size, b->nins, last, -1};
    return b->ninst++;
}

static void compute(Builder *b, int n, int phase)
{
    const Graph *g = b->g;
    const Node *nd = &g->nodes[n];
    if (nd->op == OP_param || nd->op == OP_input || nd->op == OP_noise) return;
    bool to_grad = b->grad_of && b->grad_of[n] >= 0;
    if (nd->op == OP_reshape && !to_grad) {
        const Node *src = &b->g->nodes[view_root(b, nd->in[0])];
        if (b->cur[nd->in[0]] >= 0) {
            b->cur[n] = b->cur[nd->in[0]]; /* a view: same memory, no instruction */
            return;
        }
        if (src->op == OP_input || src->op == OP_noise || src->op == OP_param) {
            b->is_view[n] = true;
            return;
        }
    }
    Ins in = {.kind = INS_COMPUTE, .node = n, .phase = phase, .work = -1};
    for (int j = 0; j < nd->nin; j++) in.in[j] = read_slot(b, nd->in[j], b->nins);
    if (to_grad) {
        b->cur[n] = CUR_GRAD;
        in.out = (Slot){SLOT_GRAD, b->grad_of[n]};
    } else {
        b->cur[n] = new_inst(b, n, plan_count(g, n, b->B) + plan_aux(g, n, b->B), b->nins);
        in.out = (Slot){SLOT_ARENA, b->cur[n]};
    }
    /* scratch: born and dead with this instruction, so it reuses the
     * space of values that are dead by then */
    int64_t w = b->work_fn(g, nd, b->B);
    if (w > 0) {
        in.work = new_inst(b, n, w, b->nins);
        in.work_size = w;
    }
    if (w > b->work) b->work = w;
    emit(b, in);
}

/* Ancestors of the roots, in node order (which is topological). */
static void mark_needed(const Graph *g, const int *roots, int nroots, bool *need)
{
    for (int i = 0; i < nroots; i++)
        if (roots[i] >= 0) need[roots[i]] = true;
    for (int i = g->nnodes - 1; i >= 0; i--)
        if (need[i])
            for (int j = 0; j < g->nodes[i].nin; j++) need[g->nodes[i].in[j]] = true;
}

/* Offsets by a linear scan over the instructions: each instance takes the
 * best-fitting free block when it is born and frees it after its last
 * reader. Values read by the same instruction that writes a new one are
 * still live during it, so outputs never overlap inputs. */
static int64_t assign_offsets(Builder *b)
{
    typedef struct Block {
        int64_t off, size;
    } Block;
    Block *free_blocks = xcalloc((size_t)b->ninst + 1, sizeof *free_blocks);
    int nfree = 0;
    int64_t top = 0;
    /* instances dying after each instruction */
    int *head = xcalloc((size_t)b->nins + 1, sizeof *head), *next = xcalloc((size_t)b->ninst + 1, sizeof *next);
    for (int i = 0; i <= b->nins; i++) head[i] = -1;
    for (int i = 0; i < b->ninst; i++) {
        next[i] = head[b->inst[i].last];
        head[b->inst[i].last] = i;
    }
    int born = 0; /* instances are made in order of birth */
    for (int t = 0; t < b->nins; t++) {
        /* born at t: a phase's gradient block, the output, then the scratch */
        for (; born < b->ninst && b->inst[born].first == t; born++) {
            Inst *in = &b->inst[born];
            /* 16-real alignment (64 bytes in float): vector loads */
            int64_t size = (in->size + 15) & ~(int64_t)15;
            int best = -1;
            for (int k = 0; k < nfree; k++)
                if (free_blocks[k].size >= size &&
                    (best < 0 || free_blocks[k].size < free_blocks[best].size))
                    best = k;
            if (best >= 0) {
                in->off = free_blocks[best].off;
                free_blocks[best].off += size;
                free_blocks[best].size -= size;
                if (free_blocks[best].size == 0) free_blocks[best] = free_blocks[--nfree];
            } else {
                in->off = top;
                top += size;
            }
            in->size = size;
        }
        for (int i = head[t]; i >= 0; i = next[i]) {
            /* free, merging with neighbours so big blocks come back */
            Block blk = {b->inst[i].off, b->inst[i].size};
            for (int k = 0; k < nfree;) {
                if (free_blocks[k].off + free_blocks[k].size == blk.off) {
                    blk.off = free_blocks[k].off;
                    blk.size += free_blocks[k].size;
                    free_blocks[k] = free_blocks[--nfree];
                } else if (blk.off + blk.size == free_blocks[k].off) {
                    blk.size += free_blocks[k].size;
                    free_blocks[k] = free_blocks[--nfree];
                } else {
                    k++;
                }
            }
            if (blk.off + blk.size == top) top = blk.off;
            else free_blocks[nfree++] = blk;
        }
    }
    free(head);
    free(next);
    free(free_blocks);
    return top;
}

static int64_t high_water(Builder *b)
{
    int64_t top = 0;
    for (int i = 0; i < b->ninst; i++)
        if (b->inst[i].off + b->inst[i].size > top) top = b->inst[i].off + b->inst[i].size;
    return top;
}

static Plan *finish(Builder *b, int B, bool train, unsigned mask)
{
    assign_offsets(b);
    Plan *p = xcalloc(1, sizeof *p);
    p->B = B;
    p->train = train;
    p->mask = mask;
    const Graph *g = b->g;
    p->gbase = xcalloc((size_t)g->nphases + 1, sizeof *p->gbase);
    p->goff = xcalloc((size_t)g->nparams + 1, sizeof *p->goff);
    for (int i = 0; i < g->nparams; i++) p->goff[i] = -1;
    for (int ph = 0; ph < g->nphases; ph++) {
        p->gbase[ph] = b->gblock && b->gblock[ph] >= 0 ? b->inst[b->gblock[ph]].off : -1;
        for (int j = 0; p->gbase[ph] >= 0 && j < g->phases[ph].nparams; j++) {
            int i = g->phases[ph].params[j];
            p->goff[i] = p->gbase[ph] + b->poff[i] - b->pstart[ph];
        }
    }
    for (int t = 0; t < b->nins; t++) {
        Ins *in = &b->ins[t];
        if (in->kind == INS_COMPUTE) {
            if (in->out.kind == SLOT_ARENA) in->out.off = b->inst[in->out.off].off;
            if (in->work >= 0) in->work = b->inst[in->work].off;
            for (int k = 0; k < b->g->nodes[in->node].nin; k++)
                if (in->in[k].kind == SLOT_ARENA) in->in[k].off = b->inst[in->in[k].off].off;
        }
        if (in->kind == INS_UPDATE) {
            if (in->loss.kind == SLOT_ARENA) in->loss.off = b->inst[in->loss.off].off;
            const Phase *ph = &b->g->phases[in->phase];
            for (int j = 0; j < ph->nparams; j++)
                if (in->grads[j].kind == SLOT_ARENA && in->grads[j].off >= 0)
                    in->grads[j].off = b->inst[in->grads[j].off].off;
        }
    }
    p->ins = b->ins;
    p->nins = b->nins;
    p->arena = high_water(b);
    p->work = b->work;
    free(b->inst);
    free(b->cur);
    free(b->grad_of);
    free(b->gblock);
    free(b->poff);
    free(b->pstart);
    free(b->plen);
    free(b->is_view);
    return p;
}

static Builder builder(const Graph *g, int B, PlanWorkFn work)
{
    Builder b = {.g = g, .B = B, .work_fn = work};
    b.cur = xcalloc((size_t)g->nnodes + 1, sizeof *b.cur);
    for (int i = 0; i < g->nnodes; i++) b.cur[i] = CUR_NONE;
    b.is_view = xcalloc((size_t)g->nnodes + 1, sizeof *b.is_view);
    return b;
}

Plan *plan_step(const Graph *g, int B, unsigned mask, PlanWorkFn work)
{
    Builder b = builder(g, B, work);
    /* dep[n]: the phases whose parameters node n depends on */
    unsigned *dep = xcalloc((size_t)g->nnodes + 1, sizeof *dep);
    unsigned *owner = xcalloc((size_t)g->nparams + 1, sizeof *owner);
    for (int p = 0; p < g->nphases; p++)
        for (int j = 0; j < g->phases[p].nparams; j++) owner[g->phases[p].params[j]] |= 1u << p;
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op == OP_param) dep[i] = owner[n->attr.param];
        for (int j = 0; j < n->nin; j++) dep[i] |= dep[n->in[j]];
    }
    bool *need = xcalloc((size_t)g->nnodes + 1, sizeof *need);
    b.poff = xcalloc((size_t)g->nparams + 1, sizeof *b.poff);
    b.pstart = xcalloc((size_t)g->nphases + 1, sizeof *b.pstart);
    b.plen = xcalloc((size_t)g->nphases + 1, sizeof *b.plen);
    plan_param_layout(g, b.poff, b.pstart, b.plen);
    b.gblock = xcalloc((size_t)g->nphases + 1, sizeof *b.gblock);
    for (int p = 0; p < g->nphases; p++) {
        b.gblock[p] = -1;
        if (!(mask & (1u << p))) continue;
        const Phase *ph = &g->phases[p];
        b.gblock[p] = new_inst(&b, -1, b.plen[p], b.nins); /* its last reader: the update */
        /* final gradients go straight to their place in the gradient block,
         * except a node that is the gradient of two parameters (a + b) */
        free(b.grad_of);
        b.grad_of = xcalloc((size_t)g->nnodes + 1, sizeof *b.grad_of);
        for (int i = 0; i < g->nnodes; i++) b.grad_of[i] = -1;
        for (int j = 0; j < ph->nparams; j++) {
            int n = ph->grads[j];
            if (n >= 0 && b.cur[n] == CUR_NONE) b.grad_of[n] = b.grad_of[n] == -1 ? ph->params[j] : -2;
        }
        for (int i = 0; i < g->nnodes; i++)
            if (b.grad_of[i] == -2) b.grad_of[i] = -1;
        memset(need, 0, sizeof *need * (size_t)g->nnodes);
        need[ph->loss] = true;
        mark_needed(g, ph->grads, ph->nparams, need);
        mark_needed(g, &ph->loss, 1, need);
        for (int i = 0; i < g->nnodes; i++)
            if (need[i] && b.cur[i] < 0) compute(&b, i, p);
        Ins up = {.kind = INS_UPDATE, .phase = p};
        up.grads = xcalloc((size_t)ph->nparams + 1, sizeof *up.grads);
        for (int j = 0; j < ph->nparams; j++)
            up.grads[j] = ph->grads[j] >= 0 ? read_slot(&b, ph->grads[j], b.nins)
                                            : (Slot){SLOT_ARENA, -1};
        up.loss = read_slot(&b, ph->loss, b.nins);
        b.inst[b.gblock[p]].last = b.nins;
        emit(&b, up);
        /* values that depend on what this update changed are stale now */
        for (int i = 0; i < g->nnodes; i++)
            if (dep[i] & (1u << p)) b.cur[i] = CUR_NONE;
    }
    free(need);
    free(dep);
    free(owner);
    return finish(&b, B, true, mask);
}

unsigned plan_mask(const Graph *g, uint64_t step)
{
    unsigned mask = 0;
    for (int p = 0; p < g->nphases; p++)
        if ((step + 1) % (uint64_t)g->phases[p].every == 0) mask |= 1u << p;
    return mask;
}

void plan_training(const Graph *g, PlanWorkFn work, Plan *steps[1 << GENC_MAX_PHASES])
{
    /* every phase's `every` divides the longest, so the masks repeat
     * with that period, and its last step runs every phase */
    int period = 1;
    for (int p = 0; p < g->nphases; p++)
        if (g->phases[p].every > period) period = g->phases[p].every;
    for (int s = 0; s < period; s++) {
        unsigned mask = plan_mask(g, (uint64_t)s);
        if (mask && !steps[mask]) steps[mask] = plan_step(g, g->batch, mask, work);
    }
}

Plan *plan_eval(const Graph *g, int B, const int *roots, int nroots, PlanWorkFn work)
{
    Builder b = builder(g, B, work);
    bool *need = xcalloc((size_t)g->nnodes + 1, sizeof *need);
    mark_needed(g, roots, nroots, need);
    for (int i = 0; i < g->nnodes; i++)
        if (need[i]) compute(&b, i, -1);
    /* roots stay readable after the run: they are read at the end */
    for (int r = 0; r < nroots; r++)
        if (roots[r] >= 0 && b.cur[roots[r]] >= 0) b.inst[b.cur[roots[r]]].last = b.nins;
    free(need);
    return finish(&b, B, false, 0);
}

void plan_free(Plan *p)
{
    if (!p) return;
    free(p->gbase);
    free(p->goff);
    for (int i = 0; i < p->nins; i++) free(p->ins[i].grads);
    free(p->ins);
    free(p);
}

double plan_flops(const Graph *g, const Plan *p, const Ins *in)
{
    if (in->kind != INS_COMPUTE) return 0;
    const Node *n = &g->nodes[in->node];
    double B = p->B, out = (double)plan_count(g, in->node, p->B);
    if (n->op == OP_matmul) {
        /* 2 M N K: the inner size is the reduced one */
        const Node *a = &g->nodes[n->in[0]];
        double asz = (double)plan_count(g, n->in[0], p->B);
        double rows = n->attr.ta ? (double)asz / (a->shape.batch ? B : a->shape.d[0])
                               : (a->shape.batch ? B : a->shape.d[0]);
        return 2 * out * (asz / rows);
    }
    if (n->op == OP_batch_matmul) {
        /* 2 L M N K: A's L M K values times N, or B's L K N times M when A
         * is the shared one */
        const Shape *a = &g->nodes[n->in[0]].shape;
        bool a_led = a->batch || a->nd > 2 || g->nodes[n->in[1]].shape.nd == 2;
        int i = a_led ? 0 : 1;
        return 2 * (double)plan_count(g, n->in[i], p->B) * n->shape.d[n->shape.nd - 1 - i];
    }
    if (n->op == OP_conv2d || n->op == OP_deconv2d || n->op == OP_conv2d_wgrad) {
        /* 2 x (every output of the convolution) x (its inputs) */
        const Shape *w = &g->nodes[n->op == OP_conv2d_wgrad ? in->node : n->in[1]].shape;
        double big = (double)plan_count(g, n->op == OP_deconv2d ? n->in[0] : in->node, p->B);
        if (n->op == OP_conv2d_wgrad) big = (double)plan_count(g, n->in[1], p->B);
        return 2 * big * w->d[1] * w->d[2] * w->d[3];
    }
    /* a power iteration: W^T u and W v, 2 per weight each */
    if (n->op == OP_spectral_sigma) return 4 * (double)plan_count(g, n->in[0], p->B);
    return out; /* elementwise and the like: one per output */
}

static const char *slot_name(const Graph *g, Slot s, char *buf, size_t n)
{
    switch (s.kind) {
    case SLOT_ARENA: snprintf(buf, n, "arena@%lld", (long long)s.off); break;
    case SLOT_PARAM: snprintf(buf, n, "%s", g->params[s.off].path); break;
    case SLOT_GRAD: snprintf(buf, n, "grad(%s)", g->params[s.off].path); break;
    case SLOT_INPUT: snprintf(buf, n, "%s", s.off ? "labels" : "images"); break;
    case SLOT_NOISE: snprintf(buf, n, "noise %s", g->noise[s.off].name); break;
    }
    return buf;
}

void plan_print(const Graph *g, const Plan *p, FILE *f)
{
    char b[96];
    fprintf(f, "# genc plan of %s: batch %d, %s, %d instructions, arena %lld reals "
               "(largest kernel scratch %lld)\n",
            g->file, p->B, p->train ? "training" : "evaluation", p->nins, (long long)p->arena,
            (long long)p->work);
    int phase = -2;
    for (int t = 0; t < p->nins; t++) {
        const Ins *in = &p->ins[t];
        if (in->phase != phase) {
            phase = in->phase;
            if (phase >= 0) fprintf(f, "phase %s\n", g->phases[phase].name);
        }
        if (in->kind == INS_UPDATE) {
            fprintf(f, "  update %s: %d parameters\n", g->phases[in->phase].name,
                    g->phases[in->phase].nparams);
            continue;
        }
        const Node *n = &g->nodes[in->node];
        fprintf(f, "  %%%-4d %-16s -> %s", in->node, op_info[n->op].name, slot_name(g, in->out, b, sizeof b));
        for (int j = 0; j < n->nin; j++) fprintf(f, "%s%s", j ? ", " : " from ", slot_name(g, in->in[j], b, sizeof b));
        if (in->work >= 0)
            fprintf(f, ", scratch arena@%lld (%lld reals)", (long long)in->work, (long long)in->work_size);
        fprintf(f, "\n");
    }
}
