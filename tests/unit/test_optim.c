/* test_optim.c: every optimizer against PyTorch's documented pseudocode,
 * written again here in double, on the quadratic
 *     f(p) = 0.5 sum a_i (p_i - c_i)^2,   gradient a (p - c);
 * hand-computed first steps; clipping; settings; state save and restore.
 * Builds as float (the default) or double (-DGENC_DOUBLE). */
#include "exec/optim.h"

#include "check.h"

#include <stdlib.h>

#ifdef GENC_DOUBLE
#define TOL 1e-6
#else
#define TOL 1e-5
#endif

enum { N = 7, STEPS = 5 };

static const double curv[N] = {0.5, 1.0, 2.0, 0.1, 3.0, 1.5, 0.25};
static const double centre[N] = {1.0, -2.0, 0.5, 3.0, 0.0, -0.75, 2.0};
static const double start[N] = {0.0, 1.0, -1.0, 2.5, 0.3, -3.0, 10.0};

/* The reference: each optimizer as its torch.optim documentation writes
 * it, including the names of its variables. */
typedef struct Ref {
    double p[N], b[N], m[N], v[N], gavg[N];
    int t;
} Ref;

static void ref_step(Ref *r, const OptimSettings *s)
{
    double g[N];
    r->t++;
    for (int i = 0; i < N; i++) g[i] = curv[i] * (r->p[i] - centre[i]);
    if (s->clip_grad_norm > 0) {
        double total = 0;
        for (int i = 0; i < N; i++) total += g[i] * g[i];
        double coef = s->clip_grad_norm / (sqrt(total) + 1e-6);
        if (coef < 1)
            for (int i = 0; i < N; i++) g[i] *= coef;
    }
    for (int i = 0; i < N; i++) {
        double lam = s->weight_decay, gt = g[i], *th = &r->p[i];
        switch (s->kind) {
        case OPTIM_SGD:
            if (lam != 0) gt = gt + lam * *th;
            if (s->momentum != 0) {
                if (r->t > 1)
                    r->b[i] = s->momentum * r->b[i] + (1 - s->dampening) * gt;
                else
                    r->b[i] = gt;
                if (s->nesterov)
                    gt = gt + s->momentum * r->b[i];
                else
                    gt = r->b[i];
            }
            *th = *th - s->lr * gt;
            break;
        case OPTIM_ADAM:
        case OPTIM_ADAMW: {
            if (s->kind == OPTIM_ADAMW)
                *th = *th - s->lr * lam * *th;
            else if (lam != 0)
                gt = gt + lam * *th;
            r->m[i] = s->beta1 * r->m[i] + (1 - s->beta1) * gt;
            r->v[i] = s->beta2 * r->v[i] + (1 - s->beta2) * gt * gt;
            double mhat = r->m[i] / (1 - pow(s->beta1, r->t));
            double vhat = r->v[i] / (1 - pow(s->beta2, r->t));
            *th = *th - s->lr * mhat / (sqrt(vhat) + s->eps);
            break;
        }
        case OPTIM_RMSPROP: {
            if (lam != 0) gt = gt + lam * *th;
            r->v[i] = s->alpha * r->v[i] + (1 - s->alpha) * gt * gt;
            double vtilde = r->v[i];
            if (s->centered) {
                r->gavg[i] = s->alpha * r->gavg[i] + (1 - s->alpha) * gt;
                vtilde = vtilde - r->gavg[i] * r->gavg[i];
            }
            if (s->momentum > 0) {
                r->b[i] = s->momentum * r->b[i] + gt / (sqrt(vtilde) + s->eps);
                *th = *th - s->lr * r->b[i];
            } else {
                *th = *th - s->lr * gt / (sqrt(vtilde) + s->eps);
            }
            break;
        }
        case OPTIM_NKINDS:
            break;
        }
    }
}

static void run_against_reference(const char *what, OptimSettings s)
{
    Optim o;
    char err[OPTIM_ERR_LEN] = "";
    if (optim_init(&o, &s, N, err) != 0) {
        CHECKF(false, "%s: %s", what, err);
        return;
    }
    Ref r = {.t = 0};
    real p[N], g[N];
    for (int i = 0; i < N; i++) p[i] = (real)(r.p[i] = start[i]);
    for (int t = 0; t < STEPS; t++) {
        for (int i = 0; i < N; i++) g[i] = (real)(curv[i] * (p[i] - centre[i]));
        optim_step(&o, p, g, N);
        ref_step(&r, &s);
    }
    double worst = 0;
    int at = 0;
    for (int i = 0; i < N; i++) {
        double e = fabs(p[i] - r.p[i]) / fmax(1, fabs(r.p[i]));
        if (e > worst) worst = e, at = i;
    }
    CHECKF(worst <= TOL, "%s: p[%d] = %.10g, reference %.10g", what, at,
           (double)p[at], r.p[at]);
    /* and the run moved: a no-op optimizer would pass the check above
     * only if the reference were broken the same way */
    CHECKF(fabs(r.p[1] - start[1]) > 1e-3, "%s: reference did not move", what);
    CHECK(o.step == STEPS);
    optim_free(&o);
}

static void test_against_reference(void)
{
    OptimSettings s = optim_defaults(OPTIM_SGD);
    s.lr = 0.1;
    run_against_reference("sgd", s);
    s.momentum = 0.9;
    run_against_reference("sgd momentum", s);
    s.dampening = 0.3, s.weight_decay = 0.05;
    run_against_reference("sgd momentum dampening weight_decay", s);
    s.dampening = 0, s.nesterov = true;
    run_against_reference("sgd nesterov weight_decay", s);

    s = optim_defaults(OPTIM_ADAM);
    s.lr = 0.1;
    run_against_reference("adam", s);
    s.beta1 = 0.5, s.beta2 = 0.9, s.eps = 1e-3;
    run_against_reference("adam betas eps", s);
    s.weight_decay = 0.1;
    run_against_reference("adam weight_decay", s);
    s.clip_grad_norm = 1.0;
    run_against_reference("adam clip_grad_norm", s);

    s = optim_defaults(OPTIM_ADAMW);
    s.lr = 0.1;
    run_against_reference("adamw", s);
    s.weight_decay = 0.5;
    run_against_reference("adamw weight_decay 0.5", s);

    s = optim_defaults(OPTIM_RMSPROP);
    run_against_reference("rmsprop", s);
    s.centered = true;
    run_against_reference("rmsprop centered", s);
    s.momentum = 0.9, s.weight_decay = 0.01;
    run_against_reference("rmsprop centered momentum weight_decay", s);
    s.centered = false, s.alpha = 0.9, s.clip_grad_norm = 0.5;
    run_against_reference("rmsprop momentum alpha clip_grad_norm", s);

    s = optim_defaults(OPTIM_SGD);
    s.lr = 0.05, s.momentum = 0.5, s.clip_grad_norm = 2.0;
    run_against_reference("sgd momentum clip_grad_norm", s);
}

/* One step from p = (1, -2) with g = (0.5, -0.25), worked by hand. */
static void one_step(OptimSettings s, double want0, double want1)
{
    Optim o;
    char err[OPTIM_ERR_LEN] = "";
    real p[2] = {1, -2}, g[2] = {0.5, -0.25};
    GENC_ASSERT(optim_init(&o, &s, 2, err) == 0);
    optim_step(&o, p, g, 2);
    CHECK_NEAR(p[0], want0, TOL);
    CHECK_NEAR(p[1], want1, TOL);
    CHECK(g[0] == (real)0.5 && g[1] == (real)-0.25); /* no clipping: kept */
    optim_free(&o);
}

static void test_hand_computed(void)
{
    OptimSettings s = optim_defaults(OPTIM_SGD);
    s.lr = 0.1;
    one_step(s, 0.95, -1.975); /* p - 0.1 g */
    s.momentum = 0.9, s.weight_decay = 0.01;
    /* first momentum step: b = g + 0.01 p = (0.51, -0.27) */
    one_step(s, 0.949, -1.973);
    s.nesterov = true;
    /* d + 0.9 b = 1.9 d = (0.969, -0.513) */
    one_step(s, 0.9031, -1.9487);

    /* Adam's first step is lr * g / (|g| + eps) whatever the betas:
     * 1 - 0.1 * 0.5 / 0.50000001 = 0.900000002 */
    s = optim_defaults(OPTIM_ADAM);
    s.lr = 0.1;
    one_step(s, 0.900000002, -1.900000004);
    s.eps = 0.25; /* 1 - 0.1 * 0.5 / 0.75 and -2 + 0.1 * 0.25 / 0.5 */
    one_step(s, 1 - 0.1 / 1.5, -1.95);
    /* AdamW: p (1 - lr wd) first: 1 * 0.999 - 0.1 */
    s = optim_defaults(OPTIM_ADAMW);
    s.lr = 0.1;
    one_step(s, 0.899, -1.998 + 0.1);
    /* RMSprop: v = 0.01 g^2, step g / (0.1 |g| + 1e-8) ~ 10 sign(g) */
    s = optim_defaults(OPTIM_RMSPROP);
    one_step(s, 1 - 0.01 * 0.5 / (0.05 + 1e-8), -2 + 0.01 * 0.25 / (0.025 + 1e-8));
}

static void test_grad_clipping(void)
{
    OptimSettings s = optim_defaults(OPTIM_SGD);
    s.lr = 1, s.clip_grad_norm = 1;
    Optim o;
    char err[OPTIM_ERR_LEN] = "";
    GENC_ASSERT(optim_init(&o, &s, 2, err) == 0);

    /* norm 5 > 1: g is scaled in place to norm 1, then used */
    real p[2] = {0, 0}, g[2] = {3, 4};
    optim_step(&o, p, g, 2);
    double k = 1 / (5 + 1e-6);
    CHECK_NEAR(g[0], 3 * k, TOL);
    CHECK_NEAR(g[1], 4 * k, TOL);
    CHECK_NEAR(p[0], -3 * k, TOL);
    CHECK_NEAR(p[1], -4 * k, TOL);

    /* norm 0.5 < 1: g untouched, bit for bit */
    real q[2] = {0, 0}, h[2] = {0.3f, -0.4f};
    optim_step(&o, q, h, 2);
    CHECK(h[0] == (real)0.3f && h[1] == (real)-0.4f);
    CHECK(q[0] == -h[0] && q[1] == -h[1]);
    optim_free(&o);
}

static void test_weight_clipping(void)
{
    OptimSettings s = optim_defaults(OPTIM_ADAM);
    s.lr = 0.1, s.clip_weight = 0.01;
    Optim o;
    char err[OPTIM_ERR_LEN] = "";
    GENC_ASSERT(optim_init(&o, &s, 4, err) == 0);
    real p[4] = {0.5, -0.5, 0.001, 0}, g[4] = {-1, 1, 0, 0};
    optim_step(&o, p, g, 4);
    CHECK(p[0] == (real)0.01 && p[1] == (real)-0.01);
    CHECK(p[2] == (real)0.001 && p[3] == 0); /* inside: the update alone */
    p[3] = NAN;                              /* a NaN is not hidden */
    optim_step(&o, p, g, 4);
    CHECK(isnan(p[3]));
    optim_free(&o);
}

static void test_names_and_defaults(void)
{
    const char *names[] = {"sgd", "adam", "adamw", "rmsprop"};
    for (int k = 0; k < OPTIM_NKINDS; k++) {
        OptimKind kind = OPTIM_NKINDS;
        char err[OPTIM_ERR_LEN] = "";
        CHECK(optim_kind_from_name(names[k], &kind, err) == 0);
        CHECK(kind == (OptimKind)k && err[0] == 0);
        CHECK_STR(optim_kind_name(kind), names[k]);
    }
    OptimKind kind = OPTIM_SGD;
    char err[OPTIM_ERR_LEN] = "";
    CHECK(optim_kind_from_name("adan", &kind, err) == -1);
    CHECK_STR(err, "unknown optimizer 'adan' (genc has sgd, adam, adamw, "
                   "rmsprop)");

    OptimSettings s = optim_defaults(OPTIM_SGD);
    CHECK(s.lr == 1e-3 && s.momentum == 0 && s.dampening == 0 &&
          !s.nesterov && s.weight_decay == 0);
    s = optim_defaults(OPTIM_ADAM);
    CHECK(s.lr == 1e-3 && s.beta1 == 0.9 && s.beta2 == 0.999 &&
          s.eps == 1e-8 && s.weight_decay == 0);
    s = optim_defaults(OPTIM_ADAMW);
    CHECK(s.lr == 1e-3 && s.beta1 == 0.9 && s.beta2 == 0.999 &&
          s.eps == 1e-8 && s.weight_decay == 1e-2);
    s = optim_defaults(OPTIM_RMSPROP);
    CHECK(s.lr == 1e-2 && s.alpha == 0.99 && s.eps == 1e-8 &&
          s.momentum == 0 && !s.centered && s.weight_decay == 0);
    CHECK(s.clip_grad_norm == 0 && s.clip_weight == 0);
}

static void expect_refused(OptimSettings s, const char *words)
{
    Optim o;
    char err[OPTIM_ERR_LEN] = "";
    CHECK(optim_init(&o, &s, 3, err) == -1);
    CHECKF(strstr(err, words), "message \"%s\" lacks \"%s\"", err, words);
    optim_free(&o);
}

static void test_bad_settings(void)
{
    OptimSettings s = optim_defaults(OPTIM_ADAM);
    s.lr = -1;
    expect_refused(s, "adam: lr must be >= 0, got -1");
    s = optim_defaults(OPTIM_ADAM);
    s.beta1 = 1;
    expect_refused(s, "adam: beta1 must be in [0, 1), got 1");
    s = optim_defaults(OPTIM_ADAMW);
    s.beta2 = NAN;
    expect_refused(s, "adamw: beta2");
    s = optim_defaults(OPTIM_SGD);
    s.nesterov = true;
    expect_refused(s, "nesterov needs momentum > 0");
    s.momentum = 0.9, s.dampening = 0.1;
    expect_refused(s, "dampening 0.1");
    s = optim_defaults(OPTIM_RMSPROP);
    s.alpha = -0.5;
    expect_refused(s, "rmsprop: alpha");
    s = optim_defaults(OPTIM_RMSPROP);
    s.clip_weight = -0.01;
    expect_refused(s, "clip_weight");

    /* fields the kind does not read are not judged */
    s = optim_defaults(OPTIM_SGD);
    s.beta1 = 7;
    char err[OPTIM_ERR_LEN] = "";
    CHECK(optim_check(&s, err) == 0 && err[0] == 0);
}

/* The slabs each kind keeps, by name. */
static void test_slabs(void)
{
    struct {
        OptimKind kind;
        double momentum;
        bool centered;
        const char *names;
    } cases[] = {
        {OPTIM_SGD, 0, false, ""},
        {OPTIM_SGD, 0.9, false, "momentum_buffer "},
        {OPTIM_ADAM, 0, false, "exp_avg exp_avg_sq "},
        {OPTIM_ADAMW, 0, false, "exp_avg exp_avg_sq "},
        {OPTIM_RMSPROP, 0, false, "square_avg "},
        {OPTIM_RMSPROP, 0.5, true, "square_avg grad_avg momentum_buffer "},
    };
    for (size_t c = 0; c < GENC_COUNT(cases); c++) {
        OptimSettings s = optim_defaults(cases[c].kind);
        s.momentum = cases[c].momentum, s.centered = cases[c].centered;
        Optim o;
        char err[OPTIM_ERR_LEN] = "", names[200] = "";
        GENC_ASSERT(optim_init(&o, &s, 5, err) == 0);
        for (int i = 0; i < o.nslabs; i++) {
            strcat(names, o.slab[i].name);
            strcat(names, " ");
            bool zero = true;
            for (int j = 0; j < 5; j++) zero &= o.slab[i].x[j] == 0;
            CHECK(zero);
        }
        CHECK_STR(names, cases[c].names);
        optim_free(&o);
    }
}

/* Save step and slabs after 3 steps, run 2 more; restore into a fresh
 * Optim and run the same 2: the parameters agree bit for bit. */
static void test_restore(void)
{
    OptimKind kinds[] = {OPTIM_SGD, OPTIM_ADAM, OPTIM_RMSPROP};
    for (size_t k = 0; k < GENC_COUNT(kinds); k++) {
        OptimSettings s = optim_defaults(kinds[k]);
        s.momentum = kinds[k] == OPTIM_ADAM ? 0 : 0.9;
        s.centered = true;
        Optim a, b;
        char err[OPTIM_ERR_LEN] = "";
        GENC_ASSERT(optim_init(&a, &s, N, err) == 0);
        GENC_ASSERT(optim_init(&b, &s, N, err) == 0);
        real p[N], g[N], saved_p[N], saved[OPTIM_MAX_SLABS][N];
        for (int i = 0; i < N; i++) p[i] = (real)start[i];
        for (int t = 0; t < 5; t++) {
            if (t == 3) {
                memcpy(saved_p, p, sizeof p);
                for (int j = 0; j < a.nslabs; j++)
                    memcpy(saved[j], a.slab[j].x, sizeof saved[j]);
            }
            for (int i = 0; i < N; i++)
                g[i] = (real)(curv[i] * (p[i] - centre[i]));
            optim_step(&a, p, g, N);
        }
        b.step = 3;
        for (int j = 0; j < b.nslabs; j++)
            memcpy(b.slab[j].x, saved[j], sizeof saved[j]);
        for (int t = 3; t < 5; t++) {
            for (int i = 0; i < N; i++)
                g[i] = (real)(curv[i] * (saved_p[i] - centre[i]));
            optim_step(&b, saved_p, g, N);
        }
        CHECKF(memcmp(p, saved_p, sizeof p) == 0, "%s differs after restore",
               optim_kind_name(kinds[k]));
        optim_free(&a);
        optim_free(&b);
    }
}

int main(void)
{
    test_against_reference();
    test_hand_computed();
    test_grad_clipping();
    test_weight_clipping();
    test_names_and_defaults();
    test_bad_settings();
    test_slabs();
    test_restore();
    return check_done("test_optim");
}
