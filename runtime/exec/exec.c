/* exec.c: buffers, parameter initialisation, running plans on a backend,
 * gradients into their blocks, non-finite checks and updates. */
#include "exec/exec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Input and noise buffers hold at least this many examples, so that a
 * 10x10 sample grid can be drawn whatever the training batch. */
#define EXEC_MIN_ROWS 100

/* Zeroed memory of the backend's. */
static void *try_alloc(const Exec *e, int64_t reals, char err[EXEC_ERR_LEN], const char *what)
{
    size_t bytes = (size_t)(reals > 0 ? reals : 1) * sizeof(real);
    void *p = e->be->alloc(bytes);
    if (!p)
        snprintf(err, EXEC_ERR_LEN, "not enough memory for the %s: %.1f MB needed", what,
                 (double)bytes / 1e6);
    return p;
}

static void fill(real *x, int64_t n, real v)
{
    for (int64_t i = 0; i < n; i++) x[i] = v;
}

/* ---- initialisation ---------------------------------------------------- */

static void init_param(const Param *p, real *x, int64_t n, Rng *r)
{
    double fi = p->fan_in > 0 ? p->fan_in : 1, fo = p->fan_out > 0 ? p->fan_out : 1;
    Init in = p->init;
    switch (in.kind) {
    case INIT_NORMAL: rng_fill_normal(r, x, (size_t)n, (real)in.a, (real)in.b); return;
    case INIT_UNIFORM: rng_fill_uniform(r, x, (size_t)n, (real)in.a, (real)in.b); return;
    case INIT_XAVIER_UNIFORM: {
        double bound = in.a * sqrt(6.0 / (fi + fo));
        rng_fill_uniform(r, x, (size_t)n, (real)-bound, (real)bound);
        return;
    }
    case INIT_XAVIER_NORMAL:
        rng_fill_normal(r, x, (size_t)n, 0, (real)(in.a * sqrt(2.0 / (fi + fo))));
        return;
    case INIT_KAIMING_UNIFORM: {
        /* torch.nn.init.kaiming_uniform_: gain sqrt(2 / (1 + a^2)) */
        double bound = sqrt(2.0 / (1 + in.a * in.a)) * sqrt(3.0 / fi);
        rng_fill_uniform(r, x, (size_t)n, (real)-bound, (real)bound);
        return;
    }
    case INIT_KAIMING_NORMAL:
        rng_fill_normal(r, x, (size_t)n, 0, (real)(sqrt(2.0 / (1 + in.a * in.a)) / sqrt(fi)));
        return;
    case INIT_ONES: fill(x, n, 1); return;
    case INIT_ZEROS:
    case INIT_DEFAULT:
    case INIT_COUNT: fill(x, n, 0); return;
    }
}

/* ---- construction ------------------------------------------------------ */

/* Phase p's optimizer settings, from its train settings. */
static int optim_settings(const Exec *e, int p, OptimSettings *out, char err[EXEC_ERR_LEN])
{
    const Phase *ph = &e->g->phases[p];
    OptimKind kind;
    char oerr[OPTIM_ERR_LEN];
    if (optim_kind_from_name(ph->optim.name, &kind, oerr)) {
        snprintf(err, EXEC_ERR_LEN, "phase %s: %s", ph->name, oerr);
        return -1;
    }
    OptimSettings s = optim_defaults(kind);
    for (int i = 0; i < ph->optim.nkw; i++) {
        const char *k = ph->optim.kw[i];
        double v = ph->optim.val[i];
        if (!strcmp(k, "lr")) s.lr = v;
        else if (!strcmp(k, "beta1")) s.beta1 = v;
        else if (!strcmp(k, "beta2")) s.beta2 = v;
        else if (!strcmp(k, "eps")) s.eps = v;
        else if (!strcmp(k, "weight_decay")) s.weight_decay = v;
        else if (!strcmp(k, "momentum")) s.momentum = v;
        else if (!strcmp(k, "dampening")) s.dampening = v;
        else if (!strcmp(k, "nesterov")) s.nesterov = v != 0;
        else if (!strcmp(k, "alpha")) s.alpha = v;
        else if (!strcmp(k, "centered")) s.centered = v != 0;
        else GENC_ASSERT(!"optimizer option unknown to exec");
    }
    s.clip_weight = ph->clip;
    s.clip_grad_norm = ph->grad_clip;
    if (optim_check(&s, oerr)) {
        snprintf(err, EXEC_ERR_LEN, "phase %s: %s", ph->name, oerr);
        return -1;
    }
    *out = s;
    return 0;
}

/* Grows the arena to `reals`: for an evaluation plan larger than
 * training's, or a gradient check's. */
static int fit(Exec *e, int64_t reals, char err[EXEC_ERR_LEN])
{
    if (reals > e->arena_size) {
        e->be->release(e->arena);
        e->arena_size = 0;
        if (!(e->arena = try_alloc(e, reals, err, "arena"))) return -1;
        e->arena_size = reals;
    }
    return 0;
}

Exec *exec_new(const Compiled *c, const Backend *be, uint64_t seed, char err[EXEC_ERR_LEN])
{
    Graph *g = c->g;
    int B = g->batch;
    GENC_ASSERT(g->nphases <= GENC_MAX_PHASES); /* sema's limit */
    Exec *e = xcalloc(1, sizeof *e);
    e->g = g;
    e->be = be;
    e->B = B;
    e->steps = c->steps;
    e->seed = seed;
    e->poff = xcalloc((size_t)g->nparams + 1, sizeof *e->poff);
    e->pstart = xcalloc((size_t)g->nphases + 1, sizeof *e->pstart);
    e->plen = xcalloc((size_t)g->nphases + 1, sizeof *e->plen);
    e->nparams = plan_param_layout(g, e->poff, e->pstart, e->plen);
    e->soff = xcalloc((size_t)g->nstates + 1, sizeof *e->soff);
    for (int i = 0; i < g->nstates; i++) e->soff[i] = e->nstate, e->nstate += graph_state_count(g, i);
    int rows = B > EXEC_MIN_ROWS ? B : EXEC_MIN_ROWS;
    e->noise = xcalloc((size_t)g->nnoise + 1, sizeof *e->noise);
    e->optim = xcalloc((size_t)g->nphases + 1, sizeof *e->optim);
    e->loss = xcalloc((size_t)g->nphases + 1, sizeof *e->loss);
    /* every value must be addressable by the kernels' int sizes */
    for (int n = 0; n < g->nnodes; n++)
        if (plan_count(g, n, B) > INT32_MAX) {
            const Node *nd = &g->nodes[n];
            snprintf(err, EXEC_ERR_LEN, "the value at %s:%d:%d has %lld elements at batch %d, "
                     "more than genc's limit of %d; use a smaller batch",
                     nd->loc.file ? nd->loc.file : g->file, nd->loc.line, nd->loc.col,
                     (long long)plan_count(g, n, B), B, INT32_MAX);
            exec_free(e);
            return NULL;
        }
    /* the memory of every kind of step is counted, then taken, so that a
     * model too large for the machine is refused before training starts,
     * and before the first allocation has cost minutes of page faults */
    OptimSettings os[GENC_MAX_PHASES];
    int64_t inputs = 0, slabs = 0, arena = 0;
    for (int p = 0; p < g->nphases; p++) {
        if (optim_settings(e, p, &os[p], err)) {
            exec_free(e);
            return NULL;
        }
        slabs += optim_nslabs(&os[p]) * e->plen[p];
    }
    if (g->data) inputs += rows * (shape_count(g->data->shape) + 1);
    for (int i = 0; i < g->nnoise; i++) inputs += rows * shape_count(g->noise[i].shape);
    for (size_t m = 0; m < GENC_COUNT(c->steps); m++)
        if (c->steps[m] && c->steps[m]->arena > arena) arena = c->steps[m]->arena;
    bool averaged = false;
    for (int i = 0; i < g->nparams; i++) averaged |= g->params[i].ema > 0;
    int64_t state = (averaged + 1) * (e->nparams + e->nstate) + slabs + inputs;
    double avail = (double)base_mem_available();
    bool ok = (double)(state + arena) * sizeof(real) <= avail;
    if (!ok) snprintf(err, EXEC_ERR_LEN, "not enough memory");
    ok = ok && (e->params = try_alloc(e, e->nparams, err, "parameters")) &&
         (e->state = try_alloc(e, e->nstate, err, "layer state"));
    if (ok && averaged) {
        ok = (e->ema = try_alloc(e, e->nparams, err, "averaged parameters")) &&
             (e->ema_state = try_alloc(e, e->nstate, err, "averaged layer state"));
    }
    if (ok && g->data) {
        ok = (e->input[0] = try_alloc(e, rows * shape_count(g->data->shape), err, "data batch")) &&
             (e->input[1] = try_alloc(e, rows * shape_count(g->data->label_shape), err, "labels"));
    }
    for (int i = 0; ok && i < g->nnoise; i++)
        ok = (e->noise[i] = try_alloc(e, rows * shape_count(g->noise[i].shape), err, "noise")) != NULL;
    for (int p = 0; ok && p < g->nphases; p++) {
        char oerr[OPTIM_ERR_LEN];
        ok = optim_init(&e->optim[p], &os[p], (size_t)e->plen[p], oerr) == 0;
        if (!ok) snprintf(err, EXEC_ERR_LEN, "%s", oerr);
    }
    if (ok && arena) ok = fit(e, arena, err) == 0;
    if (ok && !be->reserve()) {
        ok = false;
        snprintf(err, EXEC_ERR_LEN, "not enough memory");
    }
    if (!ok) {
        char needs[256];
        be->describe_needs(needs, sizeof needs);
        if (strncmp(err, "not enough memory", 17) == 0)
            snprintf(err, EXEC_ERR_LEN, "not enough memory: training needs about %.1f MB at "
                     "batch %d (parameters, optimizer state and inputs %.1f MB, intermediate "
                     "values, gradients and kernel scratch %.1f MB)%s; %.1f MB are available",
                     (double)(state + arena) * sizeof(real) / 1e6, B,
                     (double)state * sizeof(real) / 1e6, (double)arena * sizeof(real) / 1e6,
                     needs, avail / 1e6);
        exec_free(e);
        return NULL;
    }
    /* parameters in graph order, each from its own stream of the seed */
    for (int i = 0; i < g->nparams; i++) {
        Rng r = rng_stream(seed, 1000 + (uint64_t)i);
        init_param(&g->params[i], e->params + e->poff[i], shape_count(g->params[i].shape), &r);
    }
    for (int i = 0; i < g->nstates; i++) {
        const LayerState *st = &g->states[i];
        int64_t part = shape_count(st->shape);
        for (int k = 0; k < st->parts; k++) fill(e->state + e->soff[i] + k * part, part, (real)st->fill[k]);
    }
    e->sched = xcalloc((size_t)g->nscheds + 1, sizeof *e->sched);
    for (int i = 0; i < g->nscheds; i++) e->sched[i] = sched_value(&g->scheds[i], 0, 1, 1);
    if (e->ema) {
        memcpy(e->ema, e->params, sizeof(real) * (size_t)e->nparams);
        memcpy(e->ema_state, e->state, sizeof(real) * (size_t)e->nstate);
    }
    return e;
}

void exec_free(Exec *e)
{
    if (!e) return;
    for (int p = 0; p < e->g->nphases; p++) optim_free(&e->optim[p]);
    for (int i = 0; i < e->g->nnoise; i++) e->be->release(e->noise[i]);
    free(e->noise);
    e->be->release(e->input[0]);
    e->be->release(e->input[1]);
    free(e->optim);
    free(e->loss);
    e->be->release(e->params);
    e->be->release(e->state);
    e->be->release(e->ema);
    e->be->release(e->ema_state);
    free(e->sched);
    free(e->soff);
    free(e->poff);
    free(e->pstart);
    free(e->plen);
    e->be->release(e->arena);
    free(e->prof);
    free(e);
}

int64_t exec_bytes(const Exec *e)
{
    int64_t r = (e->nparams + e->nstate) * (e->ema ? 2 : 1) + e->arena_size;
    for (int p = 0; p < e->g->nphases; p++) r += (int64_t)e->optim[p].nslabs * e->plen[p];
    return r * (int64_t)sizeof(real);
}

void exec_draw_noise(Exec *e, Rng *rng, int rows)
{
    const Graph *g = e->g;
    GENC_ASSERT(rows <= (e->B > EXEC_MIN_ROWS ? e->B : EXEC_MIN_ROWS));
    for (int i = 0; i < g->nnoise; i++) {
        const Noise *nz = &g->noise[i];
        size_t n = (size_t)(rows * shape_count(nz->shape));
        if (nz->kind == NOISE_NORMAL) rng_fill_normal(rng, e->noise[i], n, (real)nz->a, (real)nz->b);
        else if (nz->kind == NOISE_UNIFORM) rng_fill_uniform(rng, e->noise[i], n, (real)nz->a, (real)nz->b);
        else
            for (size_t k = 0; k < n; k++)
                e->noise[i][k] = (real)rng_categorical(rng, (uint64_t)nz->classes);
    }
}

/* ---- averages of the weights ------------------------------------------- */

/* avg = d avg + (1 - d) x, or a copy of x when d is 0 or the averages have
 * not started */
static void ema_blend(real *avg, const real *x, int64_t n, double d)
{
    if (d <= 0) {
        memcpy(avg, x, sizeof *avg * (size_t)n);
        return;
    }
    real a = (real)d, b = (real)(1 - d);
    for (int64_t i = 0; i < n; i++) avg[i] = a * avg[i] + b * x[i];
}

/* After phase ph's update: the averages of its parameters. */
static void ema_update_phase(Exec *e, int ph)
{
    const Graph *g = e->g;
    bool started = e->step >= g->ema_start;
    const Phase *p = &g->phases[ph];
    for (int j = 0; j < p->nparams; j++) {
        const Param *q = &g->params[p->params[j]];
        int64_t off = e->poff[p->params[j]];
        ema_blend(e->ema + off, e->params + off, shape_count(q->shape), started ? q->ema : 0);
    }
}

/* After a training step: the averages of the layer state, whose running
 * statistics every phase that runs the layer may have moved. */
static void ema_update_state(Exec *e)
{
    const Graph *g = e->g;
    bool started = e->step >= g->ema_start;
    for (int i = 0; i < g->nstates; i++)
        ema_blend(e->ema_state + e->soff[i], e->state + e->soff[i], graph_state_count(g, i),
                  started ? g->states[i].ema : 0);
}

void exec_schedules(Exec *e, int64_t per_epoch, int64_t total)
{
    e->per_epoch = per_epoch, e->total = total;
    for (int i = 0; i < e->g->nscheds; i++)
        e->sched[i] = sched_value(&e->g->scheds[i], (int64_t)e->step, per_epoch, total);
}

bool exec_averages_batchnorm(const Exec *e)
{
    const Graph *g = e->g;
    if (!e->ema) return false;
    for (int n = 0; n < g->nnodes; n++)
        if (g->nodes[n].op == OP_batchnorm && g->states[g->nodes[n].attr.state].ema > 0) return true;
    return false;
}

int exec_standing_stats(Exec *e, int root, int B, Rng *rng, int batches, char err[EXEC_ERR_LEN])
{
    Plan *p = exec_plan_eval(e, B, &root, 1);
    p->train = true; /* batch statistics; the plan keeps their room either way */
    int status = 0;
    /* momentum 1 / (k + 1) at the k-th run: the plain mean of the runs' statistics */
    for (int k = 0; k < batches && !status; k++) {
        e->momentum = 1.0 / (k + 1);
        exec_draw_noise(e, rng, B);
        status = exec_eval(e, p, err);
    }
    e->momentum = 0;
    plan_free(p);
    return status;
}

void exec_swap_ema(Exec *e)
{
    if (!e->ema) return;
    real *t = e->params;
    e->params = e->ema, e->ema = t;
    t = e->state;
    e->state = e->ema_state, e->ema_state = t;
}

/* ---- one instruction --------------------------------------------------- */

static real *slot_ptr(Exec *e, const Plan *p, Slot s)
{
    switch (s.kind) {
    case SLOT_ARENA: return e->arena + s.off;
    case SLOT_PARAM: return e->params + e->poff[s.off];
    case SLOT_GRAD: return e->arena + p->goff[s.off];
    case SLOT_INPUT: return e->input[s.off];
    case SLOT_NOISE: return e->noise[s.off];
    }
    return NULL;
}

static int run_ins(Exec *e, const Plan *p, const Ins *ins, char err[EXEC_ERR_LEN])
{
    const Node *n = &e->g->nodes[ins->node];
    KernelCall c = {.g = e->g, .n = n, .node = ins->node, .B = p->B, .train = p->train,
                    .y = slot_ptr(e, p, ins->out),
                    .work = ins->work >= 0 ? e->arena + ins->work : NULL,
                    .seed = e->seed, .step = e->step, .sched = e->sched,
                    .momentum = e->momentum};
    for (int j = 0; j < n->nin; j++) c.x[j] = slot_ptr(e, p, ins->in[j]);
    if (node_has(n, ATTR_state)) c.state = e->state + e->soff[n->attr.state];
    return e->be->run(&c, err);
}

/* ---- running ----------------------------------------------------------- */

static bool all_finite(const real *x, int64_t n)
{
    /* one multiply-accumulate pass: NaN or Inf anywhere poisons the sum */
    real acc = 0;
    for (int64_t i = 0; i < n; i++) acc += x[i] * 0;
    return acc == 0;
}

/* After a non-finite loss or gradient in phase ph: recompute the phase's
 * instructions up to `upto`, checking each value, and name the first bad
 * one. */
static void explain_nonfinite(Exec *e, const Plan *p, int upto, int ph, const char *what,
                              char err[EXEC_ERR_LEN])
{
    const Graph *g = e->g;
    char tmp[EXEC_ERR_LEN];
    for (int t = 0; t < upto; t++) {
        const Ins *in = &p->ins[t];
        if (in->kind != INS_COMPUTE || in->phase != ph) continue;
        if (run_ins(e, p, in, tmp)) break;
        if (!all_finite(slot_ptr(e, p, in->out), plan_count(g, in->node, p->B))) {
            const Node *n = &g->nodes[in->node];
            snprintf(err, EXEC_ERR_LEN,
                     "%s:%d:%d: %s of phase %s is not finite at step %llu: the first bad value "
                     "is %%%d = %s%s%s (see genc graph)",
                     n->loc.file ? n->loc.file : g->file, n->loc.line, n->loc.col, what,
                     g->phases[ph].name, (unsigned long long)e->step + 1, in->node,
                     op_info[n->op].name, n->path[0] ? " in " : "", n->path);
            return;
        }
    }
    snprintf(err, EXEC_ERR_LEN, "%s: %s of phase %s is not finite at step %llu", g->file, what,
             g->phases[ph].name, (unsigned long long)e->step + 1);
}

static int update(Exec *e, const Plan *p, int t, bool apply, char err[EXEC_ERR_LEN])
{
    const Ins *in = &p->ins[t];
    const Graph *g = e->g;
    const Phase *ph = &g->phases[in->phase];
    real loss = *slot_ptr(e, p, in->loss);
    if (!isfinite(loss)) {
        explain_nonfinite(e, p, t, in->phase, "the loss", err);
        return -1;
    }
    e->loss[in->phase] = loss;
    /* gather the gradients into the phase's block, in its parameters' order */
    for (int j = 0; j < ph->nparams; j++) {
        int i = ph->params[j];
        int64_t n = shape_count(g->params[i].shape);
        real *dst = e->arena + p->goff[i];
        if (in->grads[j].kind == SLOT_GRAD && in->grads[j].off == i) continue; /* already there */
        if (in->grads[j].off < 0) memset(dst, 0, sizeof *dst * (size_t)n);
        else memcpy(dst, slot_ptr(e, p, in->grads[j]), sizeof *dst * (size_t)n);
    }
    real *gp = e->arena + p->gbase[in->phase];
    if (!all_finite(gp, e->plen[in->phase])) {
        explain_nonfinite(e, p, t, in->phase, "a gradient", err);
        return -1;
    }
    if (e->hook && e->hook(e->hook_ctx, in->phase, gp, e->plen[in->phase], err)) return -1;
    if (apply) {
        if (ph->lr_sched >= 0) e->optim[in->phase].set.lr = e->sched[ph->lr_sched];
        optim_step(&e->optim[in->phase], e->params + e->pstart[in->phase], gp,
                   (size_t)e->plen[in->phase]);
        if (e->ema) ema_update_phase(e, in->phase);
    }
    return 0;
}

void exec_profile(Exec *e)
{
    if (!e->prof) e->prof = xcalloc((size_t)(e->g->nnodes + e->g->nphases + 1), sizeof *e->prof);
}

static int run_step(Exec *e, const Plan *p, bool apply, char err[EXEC_ERR_LEN])
{
    if (fit(e, p->arena, err)) return -1;
    for (int t = 0; t < p->nins; t++) {
        const Ins *in = &p->ins[t];
        double t0 = e->prof ? base_seconds() : 0;
        if (in->kind == INS_UPDATE) {
            if (update(e, p, t, apply, err)) return -1;
        } else if (run_ins(e, p, in, err)) {
            return -1;
        }
        if (e->prof) {
            e->be->sync();
            e->prof[in->kind == INS_UPDATE ? e->g->nnodes + in->phase : in->node] += base_seconds() - t0;
        }
    }
    e->be->sync();
    if (apply && e->ema) ema_update_state(e);
    if (apply) e->step++;
    return 0;
}

int exec_step(Exec *e, unsigned mask, char err[EXEC_ERR_LEN])
{
    GENC_ASSERT(mask < (1u << GENC_MAX_PHASES) && e->steps[mask]); /* plan_training's masks */
    if (e->per_epoch) exec_schedules(e, e->per_epoch, e->total);
    return run_step(e, e->steps[mask], true, err);
}

Plan *exec_plan_step(const Exec *e, unsigned mask)
{
    return plan_step(e->g, e->B, mask, e->be->work_size);
}

int exec_gradients(Exec *e, const Plan *p, char err[EXEC_ERR_LEN])
{
    return run_step(e, p, false, err);
}

const real *exec_phase_grads(const Exec *e, const Plan *p, int ph)
{
    GENC_ASSERT(p->gbase[ph] >= 0);
    return e->arena + p->gbase[ph];
}

Plan *exec_plan_eval(const Exec *e, int B, const int *roots, int nroots)
{
    return plan_eval(e->g, B, roots, nroots, e->be->work_size);
}

int exec_eval(Exec *e, Plan *p, char err[EXEC_ERR_LEN])
{
    if (fit(e, p->arena, err)) return -1;
    for (int t = 0; t < p->nins; t++)
        if (run_ins(e, p, &p->ins[t], err)) return -1;
    e->be->sync();
    return 0;
}

const real *exec_value(Exec *e, const Plan *p, int n)
{
    const Node *nd = &e->g->nodes[n];
    if (nd->op == OP_param) return e->params + e->poff[nd->attr.param];
    if (nd->op == OP_input) return e->input[nd->attr.data];
    if (nd->op == OP_noise) return e->noise[nd->attr.noise];
    for (int t = p->nins - 1; t >= 0; t--)
        if (p->ins[t].kind == INS_COMPUTE && p->ins[t].node == n) return slot_ptr(e, p, p->ins[t].out);
    if (nd->op == OP_reshape) return exec_value(e, p, nd->in[0]); /* a view */
    return NULL;
}
