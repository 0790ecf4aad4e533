/* elementwise.c: unary ops and their fused gradients, dropout, copies, and
 * the work-splitting helpers every kernel file uses.
 *
 * Each op gets its own loop (the switch is outside the loop) so that the
 * compiler can vectorise the ones without libm calls. */
#include "kernels/kernels_impl.h"

#include <string.h>

/* ---- splitting work over the pool ---------------------------------- */

static double k_min_work = 3 * K_TASK_NS;
static double k_task_ns = K_TASK_NS;

void k_set_par_min_work(double ns)
{
    if (ns <= 0) {
        k_min_work = 3 * K_TASK_NS;
        k_task_ns = K_TASK_NS;
    } else {
        k_min_work = ns;
        k_task_ns = ns;
    }
}

int k_tasks(double work_ns, long max_split)
{
    int T = pool_threads();
    if (T == 1 || max_split < 2 || work_ns < k_min_work) return 1;
    double byWork = work_ns / k_task_ns;
    long n = K_MAX_TASKS_PER_THREAD * T;
    if (byWork < (double)n) n = (long)byWork;
    if (n > max_split) n = max_split;
    return n < 2 ? 1 : (int)n;
}

typedef struct RangeJob {
    KRangeFn fn;
    void *ctx;
    long n;
    int T;
} RangeJob;

static void k_range_task(void *vjob, int t)
{
    RangeJob *j = vjob;
    j->fn(j->ctx, k_part(j->n, t, j->T), k_part(j->n, t + 1, j->T));
}

void k_par_range(long n, double ns_per_item, KRangeFn fn, void *ctx)
{
    if (n <= 0) return;
    int T = k_tasks((double)n * ns_per_item, n);
    if (T == 1) {
        fn(ctx, 0, n);
        return;
    }
    RangeJob j = {fn, ctx, n, T};
    pool_for(T, k_range_task, &j);
}

double k_sum_d(const real *x, long n)
{
    double s[8] = {0};
    long i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += (double)x[i + j];
    for (; i < n; i++) s[i & 7] += (double)x[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* ---- unary ops ------------------------------------------------------ */

const char *const k_unary_names[K_UNARY_COUNT] = {
#define K_UNARY_NAME(name, arity, attrs, entry, lang, doc) #name,
    GENC_UNARY_OPS(K_UNARY_NAME)
#undef K_UNARY_NAME
};

/* sigmoid without overflow: with e = exp(-|x|) <= 1, 1/(1+e) for x >= 0
 * and e/(1+e) for x < 0 */
static inline real k_sigmoid1(real x)
{
    real e = exp(-fabs(x));
    real s = (real)1 / ((real)1 + e);
    return x >= 0 ? s : e * s;
}

static inline real k_gelu1(real x)
{
    return (real)0.5 * x * ((real)1 + erf(x * (real)0.70710678118654752440));
}

typedef struct UnaryJob {
    KUnaryOp op;
    real *y;
    const real *x;
    real a;
} UnaryJob;

static void unary_range(void *vj, long lo, long hi)
{
    const UnaryJob *j = vj;
    const real *x = j->x + lo;
    real *y = j->y + lo;
    long n = hi - lo;
    real a = j->a;
    switch (j->op) {
    case K_neg: for (long i = 0; i < n; i++) y[i] = -x[i]; break;
    case K_exp: for (long i = 0; i < n; i++) y[i] = exp(x[i]); break;
    case K_log: for (long i = 0; i < n; i++) y[i] = log(x[i]); break;
    case K_sqrt: for (long i = 0; i < n; i++) y[i] = sqrt(x[i]); break;
    case K_abs: for (long i = 0; i < n; i++) y[i] = fabs(x[i]); break;
    case K_sin: for (long i = 0; i < n; i++) y[i] = sin(x[i]); break;
    case K_cos: for (long i = 0; i < n; i++) y[i] = cos(x[i]); break;
    case K_sign:
        for (long i = 0; i < n; i++) y[i] = (real)((x[i] > 0) - (x[i] < 0));
        break;
    case K_powc:
        if (a == 2)
            for (long i = 0; i < n; i++) y[i] = x[i] * x[i];
        else if (a == (real)0.5)
            for (long i = 0; i < n; i++) y[i] = sqrt(x[i]);
        else if (a == 1)
            memmove(y, x, sizeof(real) * (size_t)n);
        else
            for (long i = 0; i < n; i++) y[i] = pow(x[i], a);
        break;
    case K_relu: for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    case K_leaky_relu:
        for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
        break;
    case K_elu:
        for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : a * expm1(x[i]);
        break;
    case K_tanh: for (long i = 0; i < n; i++) y[i] = tanh(x[i]); break;
    case K_sigmoid: for (long i = 0; i < n; i++) y[i] = k_sigmoid1(x[i]); break;
    case K_softplus:
        for (long i = 0; i < n; i++)
            y[i] = fmax(x[i], (real)0) + log1p(exp(-fabs(x[i])));
        break;
    case K_gelu: for (long i = 0; i < n; i++) y[i] = k_gelu1(x[i]); break;
    case K_log_sigmoid:
        for (long i = 0; i < n; i++)
            y[i] = fmin(x[i], (real)0) - log1p(exp(-fabs(x[i])));
        break;
    case K_UNARY_COUNT: GENC_ASSERT(!"bad unary op");
    }
}

void k_unary(KUnaryOp op, real *y, const real *x, int n, real param)
{
    GENC_ASSERT(op >= 0 && op < K_UNARY_COUNT);
    bool cheap = op == K_neg || op == K_abs || op == K_sign || op == K_relu ||
                 op == K_leaky_relu || (op == K_powc && param == 2);
    UnaryJob j = {op, y, x, param};
    k_par_range(n, cheap ? 0.5 : 8, unary_range, &j);
}

/* ---- fused gradients ------------------------------------------------ */

typedef struct GradJob {
    int op; /* a KUnaryOp */
    real *dx;
    const real *dy, *v; /* v: x or y, as the op needs */
    real a;
} GradJob;

static void grad_range(void *vj, long lo, long hi)
{
    const GradJob *j = vj;
    real *dx = j->dx + lo;
    const real *dy = j->dy + lo, *v = j->v + lo;
    long n = hi - lo;
    real a = j->a;
    switch (j->op) {
    case K_relu: for (long i = 0; i < n; i++) dx[i] = v[i] > 0 ? dy[i] : 0; break;
    case K_leaky_relu:
        for (long i = 0; i < n; i++) dx[i] = v[i] > 0 ? dy[i] : a * dy[i];
        break;
    case K_elu:
        for (long i = 0; i < n; i++) dx[i] = v[i] > 0 ? dy[i] : dy[i] * a * exp(v[i]);
        break;
    case K_tanh:
        for (long i = 0; i < n; i++) dx[i] = dy[i] * ((real)1 - v[i] * v[i]);
        break;
    case K_sigmoid:
        for (long i = 0; i < n; i++) dx[i] = dy[i] * v[i] * ((real)1 - v[i]);
        break;
    case K_gelu:
        /* d/dx x*Phi(x) = Phi(x) + x*phi(x) */
        for (long i = 0; i < n; i++) {
            real x = v[i];
            real cdf = (real)0.5 * ((real)1 + erf(x * (real)0.70710678118654752440));
            real pdf = exp((real)-0.5 * x * x) * (real)0.39894228040143267794;
            dx[i] = dy[i] * (cdf + x * pdf);
        }
        break;
    default: GENC_ASSERT(!"no fused gradient for this op");
    }
}

static void k_grad(int op, real *dx, const real *dy, const real *v, int n, real a,
                   double ns)
{
    GradJob j = {op, dx, dy, v, a};
    k_par_range(n, ns, grad_range, &j);
}

void k_relu_grad(real *dx, const real *dy, const real *x, int n)
{
    k_grad(K_relu, dx, dy, x, n, 0, 0.5);
}
void k_leaky_relu_grad(real *dx, const real *dy, const real *x, int n, real alpha)
{
    k_grad(K_leaky_relu, dx, dy, x, n, alpha, 0.5);
}
void k_elu_grad(real *dx, const real *dy, const real *x, int n, real alpha)
{
    k_grad(K_elu, dx, dy, x, n, alpha, 5);
}
void k_tanh_grad(real *dx, const real *dy, const real *y, int n)
{
    k_grad(K_tanh, dx, dy, y, n, 0, 0.5);
}
void k_sigmoid_grad(real *dx, const real *dy, const real *y, int n)
{
    k_grad(K_sigmoid, dx, dy, y, n, 0, 0.5);
}
void k_gelu_grad(real *dx, const real *dy, const real *x, int n)
{
    k_grad(K_gelu, dx, dy, x, n, 0, 12);
}

/* ---- scale, fill, copy ---------------------------------------------- */

void k_scale(real *y, const real *x, int n, real s)
{
    for (int i = 0; i < n; i++) y[i] = s * x[i];
}

void k_fill(real *y, int n, real v)
{
    for (int i = 0; i < n; i++) y[i] = v;
}

void k_copy(real *y, const real *x, int n)
{
    if (y != x && n > 0) memcpy(y, x, sizeof(real) * (size_t)n);
}

/* ---- dropout -------------------------------------------------------- */

typedef struct DropJob {
    real *y;
    const real *x;
    uint32_t thr;
    real scale;
    uint64_t key;
} DropJob;

/* Values per block: the block's hashes first, then its keep bits, then the
 * products, three loops that GCC vectorises; hashing inside the product
 * loop (one hash per 4 values) kept it scalar, at 1.2-1.9 ns a value
 * against 0.5-0.6 now (802,816 values, one thread). */
#define DROP_BLOCK 1024

static void dropout_range(void *vj, long lo, long hi)
{
    const DropJob *j = vj;
    /* locals, so that the stores to y need not reload the job */
    real *restrict y = j->y;
    const real *restrict x = j->x;
    const real scale = j->scale;
    const uint32_t thr = j->thr;
    const uint64_t key = j->key;
    long i = lo;
    for (; i < hi && (i & 3); i++) /* to a 4-aligned block */
        y[i] = k_dropout_keep(key, (uint64_t)i, thr) ? x[i] * scale : 0;
    uint64_t h[DROP_BLOCK / 4];
    uint16_t u[DROP_BLOCK];
    while (hi - i >= 4) {
        long m = hi - i < DROP_BLOCK ? (hi - i) & ~3L : DROP_BLOCK;
        /* k_dropout_keep's bits: value i + 4q + k takes bits 16k.. of hash
         * q, since (i + 4q + k) >> 2 = (i >> 2) + q */
        for (long q = 0; q < m / 4; q++) h[q] = k_mix64(key ^ ((uint64_t)(i >> 2) + (uint64_t)q));
        for (long q = 0; q < m / 4; q++)
            for (int k = 0; k < 4; k++) u[4 * q + k] = (uint16_t)(h[q] >> (16 * k));
        /* a dropped value is x * 0 (-0 for a negative x) */
        for (long t = 0; t < m; t++) y[i + t] = x[i + t] * (u[t] >= thr ? scale : 0);
        i += m;
    }
    for (; i < hi; i++)
        y[i] = k_dropout_keep(key, (uint64_t)i, thr) ? x[i] * scale : 0;
}

void k_dropout(real *y, const real *x, int n, real p, uint64_t seed, uint64_t stream)
{
    if (p <= 0) {
        k_copy(y, x, n);
        return;
    }
    if (p >= 1) {
        k_fill(y, n, 0);
        return;
    }
    DropJob j = {y, x, k_dropout_threshold(p), (real)1 / ((real)1 - p), k_hash_key(seed, stream)};
    k_par_range(n, 2, dropout_range, &j);
}
