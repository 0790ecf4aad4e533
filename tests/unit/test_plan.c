/* test_plan.c: the arena layout of every shipped model's plans.
 *
 * Rebuilds each arena value's lifetime from the instructions alone (born
 * where an instruction writes it, alive until the last instruction that
 * reads its offset; a convolution's scratch lives during its instruction;
 * a phase's gradient block from the phase's first instruction to its
 * update, with every gradient written into it inside it) and checks that
 * no two values alive at the same time share memory and that everything
 * fits in the plan's arena, for the step of every set of phases. */
#include <glob.h>
#include <stdlib.h>

#include "check.h"
#include "passes/compile.h"
#include "exec/backend.h"
#include "passes/plan.h"
#include "core/pool.h"

typedef struct Value {
    int64_t off, size;
    int born, last, node;
} Value;

static void add(Value *v, int *n, int64_t off, int64_t size, int t, int node)
{
    v[(*n)++] = (Value){off, size, t, t, node};
}

/* the live value whose memory starts at off (a reshape reads its input's) */
static void read_at(Value *v, int n, int64_t off, int t)
{
    for (int i = n - 1; i >= 0; i--)
        if (v[i].off == off && v[i].born < t) {
            v[i].last = t;
            return;
        }
}

static void check_plan(const Graph *g, const Plan *p, const char *what)
{
    Value *v = calloc((size_t)2 * p->nins + g->nphases + 1, sizeof *v);
    int n = 0;
    int64_t largest = 0;
    int64_t *pstart = calloc((size_t)g->nphases + 1, sizeof *pstart);
    int64_t *plen = calloc((size_t)g->nphases + 1, sizeof *plen);
    int64_t *poff = calloc((size_t)g->nparams + 1, sizeof *poff);
    plan_param_layout(g, poff, pstart, plen);
    int *block = calloc((size_t)g->nphases + 1, sizeof *block); /* its value, or -1 */
    for (int ph = 0; ph < g->nphases; ph++) block[ph] = -1;
    for (int t = 0; t < p->nins; t++) {
        const Ins *in = &p->ins[t];
        if (block[in->phase] < 0) {
            CHECKF(p->gbase[in->phase] >= 0, "%s: phase %d runs without a gradient block", what,
                   in->phase);
            block[in->phase] = n;
            add(v, &n, p->gbase[in->phase], plen[in->phase], t, -1);
        }
        if (in->kind == INS_UPDATE) {
            v[block[in->phase]].last = t;
            for (int j = 0; j < g->phases[in->phase].nparams; j++)
                if (in->grads[j].kind == SLOT_ARENA && in->grads[j].off >= 0) read_at(v, n, in->grads[j].off, t);
            if (in->loss.kind == SLOT_ARENA) read_at(v, n, in->loss.off, t);
            continue;
        }
        const Node *nd = &g->nodes[in->node];
        for (int j = 0; j < nd->nin; j++)
            if (in->in[j].kind == SLOT_ARENA) read_at(v, n, in->in[j].off, t);
        if (in->out.kind == SLOT_ARENA)
            add(v, &n, in->out.off, plan_count(g, in->node, p->B) + plan_aux(g, in->node, p->B), t, in->node);
        if (in->out.kind == SLOT_GRAD) {
            int i = (int)in->out.off;
            int64_t lo = p->gbase[in->phase], at = p->goff[i];
            CHECKF(at == lo + poff[i] - pstart[in->phase] && at + plan_count(g, in->node, p->B) <=
                   lo + plen[in->phase], "%s: the gradient %%%d is not in its place in phase %d's "
                   "block", what, in->node, in->phase);
        }
        if (in->work >= 0) {
            add(v, &n, in->work, in->work_size, t, in->node);
            if (in->work_size > largest) largest = in->work_size;
        }
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        CHECKF(v[i].off >= 0 && v[i].off + v[i].size <= p->arena, "%s: %%%d's memory [%lld, %lld) "
               "outside the arena of %lld", what, v[i].node, (long long)v[i].off,
               (long long)(v[i].off + v[i].size), (long long)p->arena);
        for (int k = 0; k < i && bad < 5; k++) {
            bool together = v[i].born <= v[k].last && v[k].born <= v[i].last;
            bool share = v[i].off < v[k].off + v[k].size && v[k].off < v[i].off + v[i].size;
            if (together && share) bad++;
            CHECKF(!(together && share), "%s: %%%d (instructions %d-%d) and %%%d (%d-%d) share memory",
                   what, v[i].node, v[i].born, v[i].last, v[k].node, v[k].born, v[k].last);
        }
    }
    CHECKF(largest == p->work, "%s: largest scratch %lld, plan says %lld", what, (long long)largest,
           (long long)p->work);
    for (int ph = 0; ph < g->nphases; ph++) {
        /* two checks, not ran == in_mask: GCC 12.2 at -O1 and up compiled
         * that comparison into a test of the mask bit alone */
        if (p->mask & (1u << ph))
            CHECKF(block[ph] >= 0, "%s: phase %d is in mask 0x%x but did not run", what, ph, p->mask);
        else
            CHECKF(block[ph] < 0, "%s: phase %d is not in mask 0x%x but ran", what, ph, p->mask);
    }
    free(v);
    free(pstart);
    free(plen);
    free(poff);
    free(block);
}

int main(void)
{
    pool_init(2);
    glob_t models;
    CHECK(glob("models/*.g", 0, NULL, &models) == 0 && models.gl_pathc >= 8);
    for (size_t m = 0; m < models.gl_pathc; m++) {
        const char *path = models.gl_pathv[m];
        int code;
        Graph *g = compile_file(path, STOP_AUTODIFF, stderr, &code);
        CHECKF(g != NULL, "%s does not compile", path);
        if (!g) continue;
        unsigned all = (1u << g->nphases) - 1;
        for (unsigned mask = 1; mask <= all; mask++) {
            Plan *p = plan_step(g, 64, mask, backend_cpu.work_size);
            char what[128];
            snprintf(what, sizeof what, "%s, step of phases 0x%x", path, mask);
            check_plan(g, p, what);
            plan_free(p);
        }
        graph_free(g);
    }
    globfree(&models);
    return check_done("test_plan");
}
