/* gp_agree.c: one phase's loss and gradients at a checkpoint's weights on
 * given inputs, written for bench/gp_agree.py to compare with PyTorch's.
 *
 *   gp_agree MODEL.g CHECKPOINT INPUTS OUT [PHASE]
 *
 * The model is compiled and the checkpoint loaded as genc sample and eval
 * do (run_open_trained: the checkpoint must be this model's). INPUTS holds
 * float32 values: the data batch [B, ...] (images; a model that reads
 * labels is refused), then each noise source's [B, ...] in declaration
 * order, B the model's batch. PHASE (default D) runs once on them as in
 * training (batchnorm on the batch's statistics) but without its update.
 * OUT, integers little-endian, floats in host order like the checkpoint's
 * own payloads:
 *
 *     8 bytes "GPAGREE1"
 *     u32     the number of parameters, then per parameter, in the order
 *             of the checkpoint's "params" section:
 *               u32 k, k bytes  its path ("D.conv1.w")
 *               u32 nd, u32 d[nd]  its shape
 *               u64     its offset in "params", in reals
 *               u8      1 if it is PHASE's (its gradient follows)
 *     f32     PHASE's loss
 *     f32...  the gradients of PHASE's parameters, in the order above
 *
 * The exit status is genc's (0 ok, 1 runtime failure, 2 usage, 3 compile
 * errors), with a message. One thread: nothing here needs speed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "core/base.h"

/* the input and output formats are float32, as `real` is in this build */
_Static_assert(sizeof(real) == 4, "gp_agree needs the float32 build");

/* A parameter and its offset in the slab, to list them in the slab's order. */
typedef struct GpParam {
    int64_t off;
    int i;
} GpParam;

static int gp_by_offset(const void *a, const void *b)
{
    int64_t x = ((const GpParam *)a)->off, y = ((const GpParam *)b)->off;
    return (x > y) - (x < y);
}

static void gp_put(FILE *f, uint64_t v, int bytes)
{
    uint8_t b[8];
    base_put_le(b, v, bytes);
    fwrite(b, 1, (size_t)bytes, f);
}

/* The batch's images and noise from path; 0, or -1 with a message. */
static int gp_read_inputs(Exec *e, const char *path)
{
    const Graph *g = e->g;
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    int64_t per = shape_count(g->data->shape), want = per;
    bool ok = fread(e->input[0], sizeof(real), (size_t)(e->B * per), f) == (size_t)(e->B * per);
    for (int i = 0; i < g->nnoise; i++) {
        int64_t n = e->B * shape_count(g->noise[i].shape);
        want += shape_count(g->noise[i].shape);
        ok = ok && fread(e->noise[i], sizeof(real), (size_t)n, f) == (size_t)n;
    }
    ok = ok && fgetc(f) == EOF;
    fclose(f);
    if (!ok)
        fprintf(stderr, "gp_agree: %s is not %lld float32 values (the data and the noise of a "
                "batch of %d)\n", path, (long long)(want * e->B), e->B);
    return ok ? 0 : -1;
}

static int gp_write(const Run *r, const Plan *p, int ph, const char *path)
{
    const Graph *g = r->g;
    const Exec *e = r->e;
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    GpParam *order = xmalloc(sizeof *order * (size_t)g->nparams);
    for (int i = 0; i < g->nparams; i++) order[i] = (GpParam){e->poff[i], i};
    qsort(order, (size_t)g->nparams, sizeof *order, gp_by_offset);
    fwrite("GPAGREE1", 1, 8, f);
    gp_put(f, (uint64_t)g->nparams, 4);
    for (int k = 0; k < g->nparams; k++) {
        const Param *pa = &g->params[order[k].i];
        gp_put(f, strlen(pa->path), 4);
        fputs(pa->path, f);
        gp_put(f, (uint64_t)pa->shape.nd, 4);
        for (int j = 0; j < pa->shape.nd; j++) gp_put(f, (uint64_t)pa->shape.d[j], 4);
        gp_put(f, (uint64_t)order[k].off, 8);
        gp_put(f, order[k].off >= e->pstart[ph] && order[k].off < e->pstart[ph] + e->plen[ph], 1);
    }
    fwrite(&e->loss[ph], sizeof(real), 1, f);
    /* the phase's block is its parameters' slab layout, from pstart on */
    const real *grads = exec_phase_grads(e, p, ph);
    for (int k = 0; k < g->nparams; k++) {
        int64_t off = order[k].off - e->pstart[ph];
        if (off >= 0 && off < e->plen[ph])
            fwrite(grads + off, sizeof(real), (size_t)shape_count(g->params[order[k].i].shape), f);
    }
    free(order);
    if (ferror(f) | fclose(f)) { /* not ||: the file is closed either way */
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: gp_agree MODEL.g CHECKPOINT INPUTS OUT [PHASE]\n");
        return EXIT_USAGE;
    }
    const char *phase = argc == 6 ? argv[5] : "D";
    RunOpts o = {.file = argv[1], .checkpoint = argv[2], .threads = 1, .seed = -1, .label = -1,
                 .warmup = -1};
    Run r;
    int code = run_open_trained(&r, &o, true);
    if (code) return code;
    const Graph *g = r.g;
    int ph = -1;
    for (int p = 0; p < g->nphases; p++)
        if (strcmp(g->phases[p].name, phase) == 0) ph = p;
    code = EXIT_RUNTIME;
    Plan *plan = NULL;
    char err[EXEC_ERR_LEN];
    if (ph < 0) {
        fprintf(stderr, "gp_agree: %s has no phase %s\n", argv[1], phase);
    } else if (g->data->label_name) {
        fprintf(stderr, "gp_agree: %s reads labels, which the inputs cannot give\n", argv[1]);
    } else if (gp_read_inputs(r.e, argv[3]) == 0) {
        plan = exec_plan_step(r.e, 1u << ph);
        if (exec_gradients(r.e, plan, err)) fprintf(stderr, "gp_agree: %s\n", err);
        else if (gp_write(&r, plan, ph, argv[4]) == 0) code = EXIT_OK;
    }
    plan_free(plan);
    run_close(&r);
    return code;
}
