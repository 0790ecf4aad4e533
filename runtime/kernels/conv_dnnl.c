/* conv_dnnl.c: the float32 build's convolution kernels, on oneDNN
 * (Debian's libdnnl, the library PyTorch itself uses on CPUs).
 *
 * Why: oneDNN's JIT direct convolutions on channel-blocked layouts run
 * DCGAN's convolutions at 95-180 GFLOP/s on one core of the 2-core VM,
 * reorders included, against 66-100 for im2col + OpenBLAS (conv.c, which
 * the float64 build keeps: oneDNN has no float64 convolutions).
 *
 * genc's tensors stay NCHW. In conv terms (transposed convolutions are the
 * same three kernels with roles swapped, conv.c), by genc's roles x, w, y:
 *   forward      SRC x, WEIGHTS w           -> DST y
 *   bwd_data     DIFF_DST dy, WEIGHTS w     -> DIFF_SRC dx
 *   bwd_filter   SRC x, DIFF_DST dy         -> DIFF_WEIGHTS dw
 * A call works in chunks of KD_CHUNK images: each chunk's inputs are
 * reordered to the layouts oneDNN chose, convolved, and the result
 * reordered back, all in `work`. Small chunks keep those copies small (and
 * ran faster than whole slices: they stay in cache).
 *
 * Threads: forward and bwd_data hand out chunks; bwd_filter hands out
 * slices of the output channels, each task running every chunk for its
 * slice and adding the chunks' gradients in order, so no partial sums are
 * needed and the result does not depend on the thread count. Each task
 * calls oneDNN on its own thread with OpenMP's thread count set to 1, so
 * oneDNN never starts threads of its own, whose idle spinning would fight
 * the pool (PyTorch's trouble on these machines).
 *
 * Memory: oneDNN's scratchpad is in `work` too. Primitives (the JIT code)
 * are made once per (kind, piece geometry) and kept for the process;
 * k_conv_work_size makes those of a planned node, so a training step makes
 * none. What a step does allocate is oneDNN's own: dnnl_primitive_execute
 * builds its argument map on the heap and frees it before it returns
 * (docs/reliability.md; k_conv_in_library() lets the test tell). */
#include "kernels/kernels_impl.h"

#ifndef GENC_DOUBLE

#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgomp's, which libdnnl uses (declared here: clang's fuzzing builds do
 * not see GCC's omp.h) */
void omp_set_num_threads(int n);

#define KD_CHUNK 8

typedef enum KdRole { KD_X, KD_W, KD_Y } KdRole;

/* oneDNN's argument for each role, per kind */
static const int kd_args[3][3] = {
    [K_CONV_FORWARD] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST},
    [K_CONV_BWD_DATA] = {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST},
    [K_CONV_BWD_FILTER] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST},
};
/* the role each kind writes */
static const KdRole kd_out[3] = {[K_CONV_FORWARD] = KD_Y, [K_CONV_BWD_DATA] = KD_X, [K_CONV_BWD_FILTER] = KD_W};

/* Whether the weights are an input that the calling thread reorders once
 * for all tasks into the shared part of work (bwd_filter writes them). */
static bool kd_shares_weights(KConvKind k) { return k != K_CONV_BWD_FILTER; }

/* One tensor of a primitive: its view in genc's layout, and when oneDNN
 * wants another layout, the reorder and the reordered copy in `work`
 * (`offset` reals into the thread's part, or into the shared part for
 * forward's and bwd_data's weights, which the calling thread reorders once
 * per call). Memory objects are per pool thread: their data pointers are
 * set at every call. */
typedef struct KdTensor {
    dnnl_memory_t *user, *inner;
    dnnl_primitive_t reorder; /* NULL: oneDNN takes genc's layout as is */
    size_t offset;
} KdTensor;

typedef struct KdPrim {
    KConvKind kind;
    KConv g;   /* the piece: g.B images (<= KD_CHUNK), g.K output channels */
    int Kfull; /* the output channels of the whole y (its stride) */
    int threads;
    dnnl_primitive_t conv;
    KdTensor t[3];          /* by role */
    dnnl_primitive_t add_w; /* bwd_filter: the weights' reorder that adds */
    dnnl_memory_desc_t wmd; /* the weights' layout oneDNN chose */
    dnnl_memory_t *scratch;
    size_t scratch_offset;
    size_t shared, reals; /* of work: the shared part, each thread's part */
} KdPrim;

static dnnl_engine_t kd_engine;
static dnnl_stream_t *kd_streams;
static int kd_nstreams;
static KdPrim **kd_prims;
static int kd_nprims;
static _Thread_local int kd_depth;

int k_conv_in_library(void) { return kd_depth; }

/* 32 MiB: one step of dcgan_mnist (its first run makes oneDNN's GEMM
 * kernels) crashed with 2 MiB kept free and not with 8 (ulimit -v in 1 MB
 * steps); four times that, for other models' kernels */
size_t k_conv_room(void) { return (size_t)32 << 20; }

static void kd_check(dnnl_status_t s, const char *what)
{
    if (s == dnnl_success) return;
    if (s == dnnl_out_of_memory) {
        fprintf(stderr, "genc: error: out of memory (oneDNN: %s)\n", what);
        exit(EXIT_FAILURE);
    }
    char msg[96];
    snprintf(msg, sizeof msg, "oneDNN: %s failed with status %d", what, (int)s);
    genc_bug(__FILE__, __LINE__, msg);
}

/* the engine, and a stream per pool thread */
static void kd_init(void)
{
    omp_set_num_threads(1); /* primitives are planned for the caller's count */
    if (!kd_engine) kd_check(dnnl_engine_create(&kd_engine, dnnl_cpu, 0), "engine");
    int n = pool_threads();
    if (kd_nstreams >= n) return;
    kd_streams = xrealloc(kd_streams, sizeof *kd_streams * (size_t)n);
    for (; kd_nstreams < n; kd_nstreams++)
        kd_check(dnnl_stream_create(&kd_streams[kd_nstreams], kd_engine, dnnl_stream_default_flags),
                 "stream");
}

/* bytes to reals, rounded up to a cache line */
static size_t kd_reals(size_t bytes) { return (bytes + 63) / 64 * 64 / sizeof(real); }

/* A role's piece in layout `tag` (dnnl_format_tag_any: oneDNN's choice) */
static dnnl_memory_desc_t kd_desc(const KConv *g, KdRole r, dnnl_format_tag_t tag)
{
    dnnl_dims_t x = {g->B, g->C, g->H, g->W}, w = {g->K, g->C, g->R, g->S},
                y = {g->B, g->K, g->P, g->Q};
    dnnl_memory_desc_t md;
    kd_check(dnnl_memory_desc_init_by_tag(&md, 4, r == KD_X ? x : r == KD_W ? w : y, dnnl_f32, tag),
             "memory descriptor");
    return md;
}

/* The NCHW / OIHW view of a role's piece; y's channels are a slice of
 * Kfull (bwd_filter's pieces). */
static dnnl_memory_desc_t kd_user_desc(const KConv *g, int Kfull, KdRole r)
{
    if (r != KD_Y) return kd_desc(g, r, r == KD_X ? dnnl_nchw : dnnl_oihw);
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {g->B, g->K, g->P, g->Q};
    dnnl_dims_t st = {(dnnl_dim_t)Kfull * g->P * g->Q, g->P * g->Q, g->Q, 1};
    kd_check(dnnl_memory_desc_init_by_strides(&md, 4, d, dnnl_f32, st), "memory descriptor");
    return md;
}

static dnnl_memory_t *kd_memories(const dnnl_memory_desc_t *md, int n)
{
    dnnl_memory_t *m = xmalloc(sizeof *m * (size_t)n);
    for (int i = 0; i < n; i++)
        kd_check(dnnl_memory_create(&m[i], md, kd_engine, DNNL_MEMORY_NONE), "memory");
    return m;
}

static dnnl_primitive_t kd_reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                   float sum)
{
    dnnl_primitive_attr_t attr = NULL;
    if (sum) {
        dnnl_post_ops_t po;
        kd_check(dnnl_primitive_attr_create(&attr), "attributes");
        kd_check(dnnl_post_ops_create(&po), "post-ops");
        kd_check(dnnl_post_ops_append_sum(po, sum), "post-ops");
        kd_check(dnnl_primitive_attr_set_post_ops(attr, po), "attributes");
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    kd_check(dnnl_reorder_primitive_desc_create(&pd, from, kd_engine, to, kd_engine, attr), "reorder");
    kd_check(dnnl_primitive_create(&p, pd), "reorder");
    dnnl_primitive_desc_destroy(pd);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return p;
}

/* The descriptor of kind's convolution on md (by role). oneDNN wants the
 * forward primitive as a hint for the backward ones. */
static dnnl_primitive_desc_t kd_conv_pd(KConvKind kind, const KConv *g, const dnnl_memory_desc_t *md,
                                        const_dnnl_primitive_attr_t attr)
{
    /* oneDNN counts dilation from 0 (taps next to each other) */
    dnnl_dims_t stride = {g->sh, g->sw}, pl = {g->ph, g->pw}, dil = {g->dh - 1, g->dv - 1};
    /* the bottom and right padding that make P and Q come out (less than
     * ph when the stride does not divide the padded size) */
    dnnl_dims_t pr = {(g->P - 1) * g->sh + g->dh * (g->R - 1) + 1 - g->H - g->ph,
                      (g->Q - 1) * g->sw + g->dv * (g->S - 1) + 1 - g->W - g->pw};
    dnnl_convolution_desc_t d;
    dnnl_primitive_desc_t fwd, pd;
    kd_check(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_training,
                                                        dnnl_convolution_direct, &md[KD_X],
                                                        &md[KD_W], NULL, &md[KD_Y], stride, dil,
                                                        pl, pr),
             "forward descriptor");
    kd_check(dnnl_primitive_desc_create(&fwd, &d, attr, kd_engine, NULL), "forward primitive");
    if (kind == K_CONV_FORWARD) return fwd;
    if (kind == K_CONV_BWD_DATA)
        kd_check(dnnl_dilated_convolution_backward_data_desc_init(&d, dnnl_convolution_direct,
                                                                  &md[KD_X], &md[KD_W], &md[KD_Y],
                                                                  stride, dil, pl, pr),
                 "backward-data descriptor");
    else
        kd_check(dnnl_dilated_convolution_backward_weights_desc_init(
                     &d, dnnl_convolution_direct, &md[KD_X], &md[KD_W], NULL, &md[KD_Y], stride,
                     dil, pl, pr),
                 "backward-weights descriptor");
    kd_check(dnnl_primitive_desc_create(&pd, &d, attr, kd_engine, fwd), "backward primitive");
    dnnl_primitive_desc_destroy(fwd);
    return pd;
}

/* kind's primitive for piece g of a y with Kfull channels; wmd: the
 * weights layout to use (that of the geometry's other piece, whose
 * reordered weights the call shares), or NULL for oneDNN's choice */
static KdPrim *kd_make(KConvKind kind, const KConv *g, int Kfull, const dnnl_memory_desc_t *wmd)
{
    if (!base_room(k_conv_room())) {
        fprintf(stderr, "genc: error: out of memory: oneDNN needs %.0f MB free to make a "
                "convolution kernel\n", (double)k_conv_room() / 1e6);
        exit(EXIT_FAILURE);
    }
    KdPrim *p = xcalloc(1, sizeof *p);
    p->kind = kind;
    p->g = *g;
    p->Kfull = Kfull;
    p->threads = pool_threads();
    /* Blocked layouts pad channels to 16; with fewer input channels the
     * data gradient ran 6x slower on them than on NCHW (D.conv1, G.deconv3). */
    dnnl_format_tag_t any = kind == K_CONV_BWD_DATA && g->C < 16 ? dnnl_nchw : dnnl_format_tag_any;
    dnnl_memory_desc_t user[3], want[3];
    for (KdRole r = KD_X; r <= KD_Y; r++) {
        user[r] = kd_user_desc(g, Kfull, r);
        want[r] = kd_desc(g, r, any == dnnl_nchw && r == KD_W ? dnnl_oihw : any);
    }
    if (wmd) want[KD_W] = *wmd;
    dnnl_primitive_attr_t attr;
    kd_check(dnnl_primitive_attr_create(&attr), "attributes");
    kd_check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "attributes");
    dnnl_primitive_desc_t pd = kd_conv_pd(kind, g, want, attr);
    p->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, kd_args[kind][KD_W]);
    for (KdRole r = KD_X; r <= KD_Y; r++) {
        KdTensor *t = &p->t[r];
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md,
                                                                    kd_args[kind][r]);
        t->user = kd_memories(&user[r], p->threads);
        bool out = kd_out[kind] == r;
        /* bwd_filter adds its chunks' gradients through a reorder even
         * when oneDNN writes genc's layout */
        if (dnnl_memory_desc_equal(md, &user[r]) && !(out && kind == K_CONV_BWD_FILTER)) continue;
        t->reorder = out ? kd_reorder(md, &user[r], 0) : kd_reorder(&user[r], md, 0);
        if (out && kind == K_CONV_BWD_FILTER) p->add_w = kd_reorder(md, &user[r], 1);
        t->inner = kd_memories(md, p->threads);
        size_t n = kd_reals(dnnl_memory_desc_get_size(md));
        if (r == KD_W && kd_shares_weights(kind)) {
            p->shared = n;
        } else {
            t->offset = p->reals;
            p->reals += n;
        }
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    p->scratch = kd_memories(smd, p->threads);
    p->scratch_offset = p->reals;
    p->reals += kd_reals(dnnl_memory_desc_get_size(smd));
    kd_check(dnnl_primitive_create(&p->conv, pd), "convolution");
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    return p;
}

static bool kd_same(const KConv *a, const KConv *b)
{
    return a->B == b->B && a->C == b->C && a->H == b->H && a->W == b->W && a->K == b->K &&
           a->R == b->R && a->S == b->S && a->sh == b->sh && a->sw == b->sw && a->ph == b->ph &&
           a->pw == b->pw && a->dh == b->dh && a->dv == b->dv;
}

/* kind's primitive for m images and n output channels of g, made on first
 * use (by the calling thread, before any task runs) */
static KdPrim *kd_prim(KConvKind kind, const KConv *g, int m, int n, const dnnl_memory_desc_t *wmd)
{
    KConv s = *g;
    s.B = m;
    s.K = n;
    for (int i = 0; i < kd_nprims; i++) {
        KdPrim *p = kd_prims[i];
        if (p->kind == kind && p->Kfull == g->K && p->threads == pool_threads() && kd_same(&p->g, &s))
            return p;
    }
    kd_init();
    kd_prims = xrealloc(kd_prims, sizeof *kd_prims * (size_t)(kd_nprims + 1));
    return kd_prims[kd_nprims++] = kd_make(kind, &s, g->K, wmd);
}

/* ---- the calls ---------------------------------------------------------- */

/* A call's plan: its tasks, and the primitives of its pieces: [0] for a
 * chunk of KD_CHUNK images (or all B when fewer), [1] for the last chunk
 * when it is shorter; bwd_filter's channel slices add a second pair for
 * the wider of the two slice widths. */
typedef struct KdPlan {
    int T, chunks;
    KdPrim *p[2][2]; /* [wider slice][last chunk] */
    size_t shared, reals;
} KdPlan;

static KdPlan kd_plan(KConvKind kind, const KConv *g)
{
    KdPlan pl = {0};
    pl.chunks = (g->B + KD_CHUNK - 1) / KD_CHUNK;
    int pieces = kind == K_CONV_BWD_FILTER ? g->K : pl.chunks, T = pool_threads();
    pl.T = k_tasks(0.015 * k_conv_flops(g), T < pieces ? T : pieces);
    int m[2] = {g->B < KD_CHUNK ? g->B : KD_CHUNK, g->B > KD_CHUNK ? g->B % KD_CHUNK : 0};
    int n[2] = {kind == K_CONV_BWD_FILTER ? g->K / pl.T : g->K,
                kind == K_CONV_BWD_FILTER && g->K % pl.T ? g->K / pl.T + 1 : 0};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            if (!n[i] || !m[j]) continue;
            const KdPrim *first = pl.p[0][0];
            pl.p[i][j] = kd_prim(kind, g, m[j], n[i],
                                 first && kd_shares_weights(kind) ? &first->wmd : NULL);
            if (pl.p[i][j]->shared > pl.shared) pl.shared = pl.p[i][j]->shared;
            if (pl.p[i][j]->reals > pl.reals) pl.reals = pl.p[i][j]->reals;
        }
    return pl;
}

/* oneDNN's kernels load and store whole 64-byte vectors: its buffers in
 * work start on a cache line (a misaligned one ran the data gradient 40%
 * slower), so work gets a line's worth of slack */
#define KD_ALIGN_REALS (64 / sizeof(real))

static real *kd_aligned(real *work) { return (real *)(((uintptr_t)work + 63) & ~(uintptr_t)63); }

size_t k_conv_work_size(const KConv *g, KConvKind kind)
{
    if (g->B == 0) return 0;
    KdPlan pl = kd_plan(kind, g);
    return KD_ALIGN_REALS + pl.shared + pl.reals * (size_t)pool_threads();
}

typedef struct KdJob {
    const KConv *g;
    KConvKind kind;
    KdPlan pl;
    real *out;
    const real *in1, *in2; /* in the order of k_conv2d_*'s arguments */
    real *work;
} KdJob;

static void kd_execute(dnnl_primitive_t prim, int n, dnnl_exec_arg_t *args, int thread)
{
    kd_depth++;
    dnnl_status_t s = dnnl_primitive_execute(prim, kd_streams[thread], n, args);
    kd_depth--;
    kd_check(s, "execute");
}

static void kd_reorder_run(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to, int thread)
{
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    kd_execute(r, 2, a, thread);
}

static void kd_set(dnnl_memory_t m, void *data) { kd_check(dnnl_memory_set_data_handle(m, data), "data handle"); }

/* One piece: images [b0, b0 + p->g.B), output channels [k0, k0 + p->g.K).
 * ptr: the roles' data in genc's layout, already offset to the piece;
 * first: false for bwd_filter's chunks after a task's first, which add
 * their gradient to dw. */
static void kd_piece(const KdJob *j, const KdPrim *p, real *const ptr[3], bool first)
{
    int th = pool_thread_index();
    real *part = j->work + j->pl.shared + j->pl.reals * (size_t)th;
    dnnl_exec_arg_t args[4];
    for (KdRole r = KD_X; r <= KD_Y; r++) {
        const KdTensor *t = &p->t[r];
        kd_set(t->user[th], ptr[r]);
        dnnl_memory_t m = t->user[th];
        if (t->reorder) {
            m = t->inner[th];
            bool shared = r == KD_W && kd_shares_weights(j->kind);
            kd_set(m, shared ? j->work : part + t->offset);
            if (r != kd_out[j->kind] && !shared) kd_reorder_run(t->reorder, t->user[th], m, th);
        }
        args[r] = (dnnl_exec_arg_t){kd_args[j->kind][r], m};
    }
    kd_set(p->scratch[th], part + p->scratch_offset);
    args[3] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, p->scratch[th]};
    kd_execute(p->conv, 4, args, th);
    const KdTensor *o = &p->t[kd_out[j->kind]];
    if (o->reorder) kd_reorder_run(first ? o->reorder : p->add_w, o->inner[th], o->user[th], th);
}

static void kd_task(void *vj, int t)
{
    const KdJob *j = vj;
    const KConv *g = j->g;
    omp_set_num_threads(1); /* a setting per thread; the first call allocates */
    size_t xs = (size_t)g->C * g->H * g->W, ys = (size_t)g->K * g->P * g->Q, PQ = (size_t)g->P * g->Q;
    real *x = (real *)j->in1, *w = (real *)j->in2, *y = j->out;
    if (j->kind == K_CONV_BWD_DATA) y = (real *)j->in1, x = j->out;
    if (j->kind == K_CONV_BWD_FILTER) y = (real *)j->in2, w = j->out;
    long c0 = 0, c1 = j->pl.chunks, k0 = 0, k1 = g->K;
    if (j->kind == K_CONV_BWD_FILTER) {
        k0 = k_part(g->K, t, j->pl.T), k1 = k_part(g->K, t + 1, j->pl.T);
    } else {
        c0 = k_part(j->pl.chunks, t, j->pl.T), c1 = k_part(j->pl.chunks, t + 1, j->pl.T);
    }
    KdPrim *const *pp = j->pl.p[k1 - k0 != j->pl.p[0][0]->g.K];
    for (long c = c0; c < c1; c++) {
        long b0 = c * KD_CHUNK;
        const KdPrim *p = pp[g->B - b0 < KD_CHUNK && g->B > KD_CHUNK];
        real *ptr[3] = {x + b0 * xs, w + k0 * (size_t)g->C * g->R * g->S, y + b0 * ys + k0 * PQ};
        kd_piece(j, p, ptr, c == c0 || j->kind != K_CONV_BWD_FILTER);
    }
}

static void kd_run(KConvKind kind, real *out, const real *in1, const real *in2, real *work,
                   const KConv *g)
{
    if (g->B == 0) {
        if (kind == K_CONV_BWD_FILTER) k_fill(out, g->K * g->C * g->R * g->S, 0);
        return;
    }
    work = kd_aligned(work);
    KdJob j = {g, kind, kd_plan(kind, g), out, in1, in2, work};
    const KdTensor *w = &j.pl.p[0][0]->t[KD_W];
    if (kd_shares_weights(kind) && w->reorder) { /* the weights, once for all tasks */
        int th = pool_thread_index();
        kd_set(w->user[th], (real *)in2);
        kd_set(w->inner[th], work);
        kd_reorder_run(w->reorder, w->user[th], w->inner[th], th);
    }
    pool_for(j.pl.T, kd_task, &j);
}

void k_conv2d_forward(real *y, const real *x, const real *w, real *work, const KConv *g)
{
    kd_run(K_CONV_FORWARD, y, x, w, work, g);
}

void k_conv2d_bwd_data(real *dx, const real *dy, const real *w, real *work, const KConv *g)
{
    kd_run(K_CONV_BWD_DATA, dx, dy, w, work, g);
}

void k_conv2d_bwd_filter(real *dw, const real *x, const real *dy, real *work, const KConv *g)
{
    kd_run(K_CONV_BWD_FILTER, dw, x, dy, work, g);
}

#endif
