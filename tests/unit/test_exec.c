/* test_exec.c: properties of the executor on the shipped models.
 *
 * - A training step allocates nothing: malloc, calloc, realloc, the aligned
 *   allocators and free
 *   are counted (by wrapping glibc's) around steps after the first, for
 *   every model and every kind of step it has (phase ratios); inside
 *   oneDNN's calls only what is freed again before the call returns.
 * - 20 steps of dcgan_mnist from the same seed give bit-identical
 *   parameters and batchnorm statistics; another seed gives other ones.
 * - The update hook sees each phase's gradients before its update, and
 *   what it does to them is what the optimizer gets. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compiled.h"
#include "passes/compile.h"
#include "exec/exec.h"
#include "kernels/kernels.h"
#include "core/pool.h"
#include "exec/rng.h"

/* ASan replaces malloc itself; counting is only possible without it.
 * Allocations inside oneDNN's calls (the float32 convolutions) are its
 * own argument lists: counted apart, they must all be freed again. */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#else
#define COUNTING 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
static volatile int counting;
static long allocs, lib_allocs, lib_live; /* updated atomically: pool threads call too */
static void count(int live)
{
    if (!counting) return;
    if (!k_conv_in_library()) {
        __atomic_fetch_add(&allocs, 1, __ATOMIC_RELAXED);
        return;
    }
    if (live > 0) __atomic_fetch_add(&lib_allocs, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&lib_live, live, __ATOMIC_RELAXED);
}
void *malloc(size_t n)
{
    count(1);
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    count(1);
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    count(p ? 0 : 1);
    return __libc_realloc(p, n);
}
/* oneDNN takes aligned blocks (and frees them with free) */
int posix_memalign(void **p, size_t align, size_t n)
{
    count(1);
    *p = __libc_memalign(align, n);
    return *p || !n ? 0 : 12; /* ENOMEM */
}
void *aligned_alloc(size_t align, size_t n)
{
    count(1);
    return __libc_memalign(align, n);
}
void free(void *p)
{
    if (p) count(-1);
    __libc_free(p);
}
#endif

/* random images in range and labels, fresh noise */
static void fill_batch(Exec *e, Rng *r)
{
    const Graph *g = e->g;
    if (g->data) {
        rng_fill_uniform(r, e->input[0], (size_t)(e->B * shape_count(g->data->shape)),
                         (real)g->data->lo, (real)g->data->hi);
        for (int i = 0; i < e->B; i++) e->input[1][i] = (real)rng_categorical(r, 10);
    }
    exec_draw_noise(e, r, e->B);
}

static void no_allocation(const char *path)
{
    Compiled *c = compile_for(path, 8, &backend_cpu, NULL, 0);
    if (!c) return;
    const Graph *g = c->g;
    char err[EXEC_ERR_LEN];
    Exec *e = exec_new(c, &backend_cpu, 1, err);
    CHECKF(e != NULL, "%s", err);
    Rng r = rng_init(1);
    /* the first steps of each kind start the kernels' libraries */
    for (uint64_t s = 0; s < 10; s++) {
        fill_batch(e, &r);
        CHECKF(exec_step(e, plan_mask(g, s), err) == 0, "%s", err);
    }
#if COUNTING
    allocs = lib_allocs = lib_live = 0;
    for (uint64_t s = 10; s < 20; s++) {
        fill_batch(e, &r);
        counting = 1;
        int bad = exec_step(e, plan_mask(g, s), err);
        counting = 0;
        CHECKF(bad == 0, "%s", err);
    }
    CHECKF(allocs == 0, "%s: %ld allocations in 10 training steps", path, allocs);
    CHECKF(lib_live == 0, "%s: oneDNN kept %ld of its %ld allocations in 10 training steps", path,
           lib_live, lib_allocs);
#endif
    exec_free(e);
    compiled_free(c);
}

/* parameters and layer state (batchnorm's statistics) after 20 steps from seed */
static real *train20(const Compiled *c, uint64_t seed, int64_t *n)
{
    char err[EXEC_ERR_LEN];
    Exec *e = exec_new(c, &backend_cpu, seed, err);
    CHECKF(e != NULL, "%s", err);
    Rng r = rng_stream(seed, 99);
    for (uint64_t s = 0; s < 20; s++) {
        fill_batch(e, &r);
        CHECKF(exec_step(e, plan_mask(c->g, s), err) == 0, "%s", err);
    }
    *n = e->nparams + e->nstate;
    real *out = malloc(sizeof(real) * (size_t)*n);
    memcpy(out, e->params, sizeof(real) * (size_t)e->nparams);
    memcpy(out + e->nparams, e->state, sizeof(real) * (size_t)e->nstate);
    exec_free(e);
    return out;
}

/* Checkpoints are tied to graph_hash: what training computes (forward
 * graph and parameters), not the nodes autodiff adds, so that a genc whose
 * autodiff changed still reads older checkpoints, and not the nodes only
 * `sample` reads, so that --set 'sample ...' can draw from a checkpoint;
 * any change to the trained model shows. sample_trained: whether training
 * computes the sample node (a GAN's G(z)) or not (a VAE's Dec(eps)). */
static void hash_of_the_model(const char *path, bool sample_trained)
{
    int code;
    Graph *fwd = compile_file(path, STOP_REWRITE, stderr, &code);
    Graph *g = compile_file(path, STOP_AUTODIFF, stderr, &code);
    CHECKF(fwd && g, "%s does not compile", path);
    if (!fwd || !g) return;
    CHECKF(g->nnodes > fwd->nnodes, "%s: autodiff added no nodes", path);
    uint64_t h = graph_hash(g);
    CHECKF(graph_hash(fwd) == h, "%s: the hash depends on autodiff's nodes", path);
    /* an attribute of the first trained node that has one (a dense
     * layer's transposed weight, a noise source) */
    int with = 0;
    while (with < g->nforward && op_info[g->nodes[with].op].attrs == 0) with++;
    CHECKF(with < g->nforward, "%s: no node with an attribute", path);
    Attrs saved = g->nodes[with].attr;
    g->nodes[with].attr = (Attrs){0};
    attr_set(&g->nodes[with].attr, (AttrId)__builtin_ctz(op_info[g->nodes[with].op].attrs), 0, 3);
    CHECKF(graph_hash(g) != h, "%s: an attribute of %%%d does not change the hash", path, with);
    g->nodes[with].attr = saved;
    /* an attribute the op does not have means nothing */
    int other = 0;
    while (node_has(&g->nodes[with], (AttrId)other)) other++;
    attr_set(&g->nodes[with].attr, (AttrId)other, 0, 5);
    CHECKF(graph_hash(g) == h, "%s: an attribute %%%d does not have changes the hash", path, with);
    g->nodes[with].attr = saved;
    int loss = g->phases[g->nphases - 1].loss;
    Op op = g->nodes[loss].op;
    g->nodes[loss].op = op == OP_neg ? OP_abs : OP_neg;
    CHECKF(graph_hash(g) != h, "%s: the op of a loss does not change the hash", path);
    g->nodes[loss].op = op;
    if (g->sample >= 0) {
        op = g->nodes[g->sample].op;
        g->nodes[g->sample].op = op == OP_neg ? OP_abs : OP_neg;
        CHECKF((graph_hash(g) != h) == sample_trained, "%s: the sample node %s the hash", path,
               sample_trained ? "does not change" : "changes");
        g->nodes[g->sample].op = op;
    }
    CHECKF(graph_hash(g) == h, "%s: the hash changed back and forth", path);
    graph_free(fwd);
    graph_free(g);
}

/* counts its calls and zeroes the gradients; fails when told to */
typedef struct Hooked {
    int calls, phases_seen;
    bool fail;
} Hooked;

static int zero_grads(void *ctx, int phase, real *grads, int64_t n, char err[EXEC_ERR_LEN])
{
    Hooked *h = ctx;
    h->calls++;
    h->phases_seen |= 1 << phase;
    if (h->fail) {
        snprintf(err, EXEC_ERR_LEN, "the hook failed in phase %d", phase);
        return -1;
    }
    memset(grads, 0, sizeof *grads * (size_t)n);
    return 0;
}

static void update_hook(void)
{
    const char *sgd[] = {"optimizer sgd(lr: 0.1)"};
    Compiled *c = compile_for("models/gan_mlp_mnist.g", 8, &backend_cpu, sgd, 1);
    if (!c) return;
    char err[EXEC_ERR_LEN];
    Exec *e = exec_new(c, &backend_cpu, 1, err);
    CHECKF(e != NULL, "%s", err);
    if (!e) return;
    Hooked h = {0};
    e->hook = zero_grads;
    e->hook_ctx = &h;
    real *before = malloc(sizeof(real) * (size_t)e->nparams);
    memcpy(before, e->params, sizeof(real) * (size_t)e->nparams);
    Rng r = rng_init(3);
    fill_batch(e, &r);
    CHECKF(exec_step(e, 3, err) == 0, "%s", err);
    CHECK(h.calls == 2 && h.phases_seen == 3);
    /* plain SGD with zero gradients leaves every parameter as it was */
    CHECK(memcmp(before, e->params, sizeof(real) * (size_t)e->nparams) == 0);
    /* without the hook, the step moves them */
    e->hook = NULL;
    CHECK(exec_step(e, 3, err) == 0 && memcmp(before, e->params, sizeof(real) * (size_t)e->nparams) != 0);
    /* a failing hook stops the step with its message */
    e->hook = zero_grads;
    h.fail = true;
    CHECK(exec_step(e, 3, err) == -1);
    CHECK_STR(err, "the hook failed in phase 0");
    free(before);
    exec_free(e);
    compiled_free(c);
}

int main(void)
{
    pool_init(2);
    const char *models[] = {"models/gan_mlp_mnist.g", "models/dcgan_mnist.g", "models/vae_mnist.g",
                            "models/conv_vae_mnist.g", "models/cgan_mnist.g", "models/wgan_mnist.g",
                            "models/classifier_mnist.g"};
    for (size_t i = 0; i < GENC_COUNT(models); i++) no_allocation(models[i]);
    update_hook();
    for (size_t i = 0; i < GENC_COUNT(models); i++)
        hash_of_the_model(models[i], strstr(models[i], "vae") == NULL);
    if (!COUNTING) printf("test_exec: allocations not counted under ASan\n");

    Compiled *dc = compile_for("models/dcgan_mnist.g", 16, &backend_cpu, NULL, 0);
    if (dc) {
        int64_t n1, n2, n3;
        real *a = train20(dc, 1, &n1), *b = train20(dc, 1, &n2), *c = train20(dc, 2, &n3);
        CHECK(n1 == n2 && n1 == n3);
        CHECKF(memcmp(a, b, sizeof(real) * (size_t)n1) == 0, "same seed, different parameters");
        CHECKF(memcmp(a, c, sizeof(real) * (size_t)n1) != 0, "seeds 1 and 2, same parameters");
        free(a);
        free(b);
        free(c);
        compiled_free(dc);
    }
    pool_shutdown();
    return check_done("test_exec");
}
