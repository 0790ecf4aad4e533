/* test_sema.c: the front end on small sources, from text to gradients.
 *
 * Each test compiles a model written here as a string through the same
 * passes as `genc check` (parse_source, sema_check, lower_model,
 * rewrite_graph, autodiff_graph) and looks at the result:
 *   - the shape of every layer, with conv and deconv output sizes for many
 *     (input, kernel, stride, padding, output_padding) combinations checked
 *     against the formulas of PyTorch's Conv2d / ConvTranspose2d docs,
 *     written again below;
 *   - broadcasting, the flowing value of pipelines, initialisers, settings;
 *   - that every stable rewrite fires where it should and nowhere else, and
 *     that CSE merges a net call written twice;
 *   - phases: their order, the terms each loss drops, nonsaturating;
 *   - autodiff: one gradient per phase parameter, none for the frozen
 *     player, the data or the noise. */
#include "passes/autodiff.h"
#include "grammar/diag.h"
#include "grammar/lower.h"
#include "grammar/parse.h"
#include "grammar/rewrite.h"
#include "grammar/sema.h"

#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- compiling a string ------------------------------------------------ */

typedef enum { UPTO_SEMA, UPTO_LOWER, UPTO_REWRITE, UPTO_AUTODIFF } Upto;

typedef struct Res {
    Graph *g;       /* NULL after errors or with UPTO_SEMA */
    Model *m;       /* kept for UPTO_SEMA only */
    char *msgs;     /* everything the diagnostics printed */
    int nerrors;
    int nforward;   /* nodes before autodiff ran */
    int from[8], to[8]; /* the nodes autodiff added for each phase */
} Res;

static const char *const FILE_NAME = "t.g";

static Res compile_src(const char *src, Upto upto)
{
    Res r = {0};
    size_t len = 0;
    FILE *out = open_memstream(&r.msgs, &len);
    Diag diag;
    diag_init(&diag, FILE_NAME, src, strlen(src), out);
    Program prog = {0};
    parse_source(&diag, FILE_NAME, src, strlen(src), &prog);
    Model *m = diag.nerrors ? NULL : sema_check(&diag, &prog, FILE_NAME);
    if (m && upto >= UPTO_LOWER) {
        r.g = lower_model(m);
        if (upto >= UPTO_REWRITE) rewrite_graph(r.g);
        if (upto >= UPTO_AUTODIFF && autodiff_grads(r.g, &diag)) {
            graph_free(r.g);
            r.g = NULL;
            upto = UPTO_REWRITE;
        }
        r.nforward = r.g ? r.g->nnodes : 0;
        if (upto >= UPTO_AUTODIFF) {
            /* one phase at a time, to know which nodes each one adds
             * (autodiff_graph differentiates each phase on its own, so
             * this builds the same graph as one call) */
            Graph *g = r.g;
            Phase *all = g->phases;
            int n = g->nphases;
            for (int p = 0; p < n; p++) {
                g->phases = all + p;
                g->nphases = 1;
                if (p < 8) r.from[p] = g->nnodes;
                autodiff_graph(g, &diag);
                if (p < 8) r.to[p] = g->nnodes;
            }
            g->phases = all;
            g->nphases = n;
        }
        sema_free(m);
    } else {
        r.m = m;
    }
    program_free(&prog);
    r.nerrors = diag.nerrors;
    fclose(out);
    return r;
}

/* printf into a static buffer: the sources below are small */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *fmt(const char *f, ...)
{
    static char buf[16][4096];
    static int k;
    char *b = buf[k++ & 15];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof buf[0], f, ap);
    va_end(ap);
    return b;
}

static void res_free(Res *r)
{
    graph_free(r->g);
    sema_free(r->m);
    free(r->msgs);
    memset(r, 0, sizeof *r);
}

static bool has(const char *hay, const char *needle) { return hay && strstr(hay, needle); }

static const char *shape_s(Shape s)
{
    static char buf[4][64];
    static int k;
    return shape_str(s, buf[k++ & 3], 64);
}

/* ---- known bugs -------------------------------------------------------- */

/* Compiles src to the end in a child process: 0 when it compiles, 3 on
 * compile errors, -1 when the compiler crashed. */
static int compiles_in_child(const char *src)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        Res r = compile_src(src, UPTO_AUTODIFF);
        _exit(r.g ? 0 : 3);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- graph queries ----------------------------------------------------- */

/* The last node lowered from source line `line`: a layer's output when the
 * line holds one layer (its parameters and inner ops come before it). */
static int last_at_line(const Graph *g, int line)
{
    int k = -1;
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].loc.line == line) k = i;
    return k;
}

static int count_op(const Graph *g, Op op)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++) n += g->nodes[i].op == op;
    return n;
}

static int first_op(const Graph *g, Op op)
{
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == op) return i;
    return -1;
}

/* Marks n and every node it is computed from. */
static void mark_cone(const Graph *g, int n, bool *mark)
{
    if (n < 0 || mark[n]) return;
    mark[n] = true;
    for (int j = 0; j < g->nodes[n].nin; j++) mark_cone(g, g->nodes[n].in[j], mark);
}

static bool depends(const Graph *g, int n, int on)
{
    bool *mark = calloc((size_t)g->nnodes + 1, 1);
    mark_cone(g, n, mark);
    bool r = on >= 0 && mark[on];
    free(mark);
    return r;
}

static int find_phase(const Graph *g, const char *name)
{
    for (int i = 0; i < g->nphases; i++)
        if (strcmp(g->phases[i].name, name) == 0) return i;
    return -1;
}

static int find_param(const Graph *g, const char *path)
{
    for (int i = 0; i < g->nparams; i++)
        if (strcmp(g->params[i].path, path) == 0) return i;
    return -1;
}

/* The node of a given op, in the cone of `root`, whose path is `path`. */
static int op_in_cone(const Graph *g, int root, Op op, const char *path)
{
    bool *mark = calloc((size_t)g->nnodes + 1, 1);
    mark_cone(g, root, mark);
    int k = -1;
    for (int i = 0; i < g->nnodes && k < 0; i++)
        if (mark[i] && g->nodes[i].op == op && (!path || strcmp(g->nodes[i].path, path) == 0))
            k = i;
    free(mark);
    return k;
}

/* ---- independent formulas ---------------------------------------------- */

/* torch.nn.Conv2d (dilation 1): floor((H + 2p - (k - 1) - 1) / s + 1);
 * 0 or less means PyTorch refuses the input as too small. */
static int torch_conv(int h, int k, int s, int p)
{
    int num = h + 2 * p - (k - 1) - 1;
    if (num < 0) return 0;
    return num / s + 1;
}

/* torch.nn.ConvTranspose2d (dilation 1):
 * (H - 1) s - 2p + (k - 1) + output_padding + 1 */
static int torch_deconv(int h, int k, int s, int p, int op)
{
    return (h - 1) * s - 2 * p + (k - 1) + op + 1;
}

static int ceil_div(int a, int b) { return (a + b - 1) / b; }

/* ---- conv and deconv shapes -------------------------------------------- */

static const char *conv_src(const char *layer, int c, int h, int w, int f, int oh, int ow)
{
    return fmt("z ~ normal([%d, %d, %d])\n"
               "net N(x: [%d, %d, %d]) -> [%d, %d, %d] {\n"
               "    %s\n"
               "}\n"
               "min N: E[sum(N(z))]\n",
               c, h, w, c, h, w, f, oh, ow, layer);
}

/* conv padding: same, as documented: the output is ceil(H / stride); the
 * total padding that needs, (out - 1) * stride + kernel - H (0 if
 * negative), is put on both sides, rounded up */
static int same_pad(int h, int k, int s)
{
    int tot = (ceil_div(h, s) - 1) * s + k - h;
    return tot > 0 ? (tot + 1) / 2 : 0;
}

/* Compiles one conv or deconv on [2, h, w], declared to return the size
 * the formulas give; checks that sema agrees and that the node's shape
 * and attributes are the ones the formula was evaluated with. p is the
 * explicit padding, op_given the output_padding (-1: not written). */
static void check_conv_case(bool deconv, int h, int w, int k, int s, const char *padding, int p,
                            int op_given)
{
    const int c = 2, f = 3;
    char layer[160];
    int n = snprintf(layer, sizeof layer, "%s(%d, %d, stride: %d, padding: %s",
                     deconv ? "deconv" : "conv", f, k, s, padding);
    if (op_given >= 0) n += snprintf(layer + n, sizeof layer - (size_t)n, ", output_padding: %d", op_given);
    snprintf(layer + n, sizeof layer - (size_t)n, ")");
    bool same = strcmp(padding, "same") == 0;
    /* padding: same cannot keep the size with stride 1 and an even kernel
     * (the two sides would need different padding): refused */
    bool refuse = same && s == 1 && k % 2 == 0;
    int oh, ow, pad_h = p, pad_w = p, op = op_given < 0 ? 0 : op_given;
    if (!deconv) {
        if (same) {
            pad_h = same_pad(h, k, s), pad_w = same_pad(w, k, s);
            oh = ceil_div(h, s), ow = ceil_div(w, s);
        } else {
            oh = torch_conv(h, k, s, p), ow = torch_conv(w, k, s, p);
        }
    } else if (same) {
        oh = h * s, ow = w * s;
    } else {
        oh = torch_deconv(h, k, s, p, op), ow = torch_deconv(w, k, s, p, op);
    }
    bool want_error = oh <= 0 || ow <= 0 || (deconv && op_given > 0 && op_given >= s);
    const char *src = conv_src(layer, c, h, w, f, want_error ? 1 : oh, want_error ? 1 : ow);
    Res r = compile_src(src, UPTO_LOWER);
    if (want_error) {
        CHECKF(r.g == NULL && (has(r.msgs, "output would be empty") ||
                               has(r.msgs, "output size is not positive") ||
                               has(r.msgs, "must be smaller than the stride")),
               "%s on %dx%d should be refused; got:\n%s", layer, h, w, r.msgs);
        res_free(&r);
        return;
    }
    if (refuse) {
        CHECKF(r.g == NULL && has(r.msgs, "cannot keep the size (padding: same) with an even "
                                          "kernel"),
               "%s on %dx%d should be refused; got:\n%s", layer, h, w, r.msgs);
        res_free(&r);
        return;
    }
    CHECKF(r.g != NULL, "%s on [%d, %d, %d]: want [B, %d, %d, %d]; got:\n%s", layer, c, h, w, f,
           oh, ow, r.msgs);
    if (r.g) {
        int i = first_op(r.g, deconv ? OP_deconv2d : OP_conv2d);
        CHECK(i >= 0);
        if (i >= 0) {
            const Node *nd = &r.g->nodes[i];
            CHECKF(nd->shape.batch && nd->shape.nd == 3 && nd->shape.d[0] == f &&
                       nd->shape.d[1] == oh && nd->shape.d[2] == ow,
                   "%s on %dx%d: node %s, want [B, %d, %d, %d]", layer, h, w, shape_s(nd->shape),
                   f, oh, ow);
            /* the attributes reproduce the shape through PyTorch's formula:
             * stride, padding and output padding, each (h, w) */
            const Attrs *a = &nd->attr;
            int ph = a->pad[0], pw = a->pad[1], oph = a->outpad[0], opw = a->outpad[1];
            CHECKF(a->stride[0] == s && a->stride[1] == s, "%s: strides %d %d", layer, a->stride[0],
                   a->stride[1]);
            if (!deconv) {
                CHECKF(ph == pad_h && pw == pad_w, "%s on %dx%d: padding %d, %d, want %d, %d", layer,
                       h, w, ph, pw, pad_h, pad_w);
                CHECKF(torch_conv(h, k, s, ph) == oh && torch_conv(w, k, s, pw) == ow,
                       "%s: torch gives %dx%d with padding %d, %d", layer, torch_conv(h, k, s, ph),
                       torch_conv(w, k, s, pw), ph, pw);
            } else {
                if (!same)
                    CHECKF(ph == p && pw == p && oph == op && opw == op, "%s: pad %d outpad %d", layer,
                           ph, oph);
                /* PyTorch's constraint: output_padding smaller than the stride */
                CHECKF(ph >= 0 && pw >= 0 && oph >= 0 && opw >= 0 && (oph < s || oph == 0) &&
                           (opw < s || opw == 0),
                       "%s: pad %d outpad %d stride %d", layer, ph, oph, s);
                CHECKF(torch_deconv(h, k, s, ph, oph) == oh && torch_deconv(w, k, s, pw, opw) == ow,
                       "%s on %dx%d: torch gives %dx%d with pad %d outpad %d", layer, h, w,
                       torch_deconv(h, k, s, ph, oph), torch_deconv(w, k, s, pw, opw), ph, oph);
            }
        }
        /* the weight layout of PyTorch: conv [out, in, k, k], deconv [in, out, k, k] */
        int wi = find_param(r.g, deconv ? "N.deconv1.w" : "N.conv1.w");
        CHECK(wi >= 0);
        if (wi >= 0) {
            Shape ws = r.g->params[wi].shape;
            CHECKF(ws.nd == 4 && ws.d[0] == (deconv ? c : f) && ws.d[1] == (deconv ? f : c) &&
                       ws.d[2] == k && ws.d[3] == k,
                   "%s weight %s", layer, shape_s(ws));
        }
    }
    res_free(&r);
}

static void test_conv_shapes(void)
{
    static const int sizes[] = {1, 2, 3, 5, 7, 8, 14, 28};
    static const int kernels[] = {1, 2, 3, 4, 5, 7};
    static const int strides[] = {1, 2, 3};
    for (size_t a = 0; a < GENC_COUNT(sizes); a++)
        for (size_t b = 0; b < GENC_COUNT(kernels); b++)
            for (size_t d = 0; d < GENC_COUNT(strides); d++)
                for (int sq = 0; sq < 2; sq++) {
                    /* square inputs, and inputs 3 wider than high */
                    int h = sizes[a], w = sq ? h : h + 3, k = kernels[b], s = strides[d];
                    check_conv_case(false, h, w, k, s, "same", 0, -1);
                    check_conv_case(false, h, w, k, s, "valid", 0, -1);
                    for (int p = 0; p <= 3; p++) check_conv_case(false, h, w, k, s, fmt("%d", p), p, -1);
                    check_conv_case(true, h, w, k, s, "same", 0, -1);
                    check_conv_case(true, h, w, k, s, "valid", 0, -1);
                    for (int p = 0; p <= 3; p++)
                        for (int op = -1; op <= 3; op++)
                            check_conv_case(true, h, w, k, s, fmt("%d", p), p, op);
                }
}

/* conv and deconv as the DCGAN models use them, written in full */
static void test_conv_examples(void)
{
    /* 28 -> 14 -> 7 with kernel 5 stride 2 same (padding 2) */
    Res r = compile_src("z ~ normal([1, 28, 28])\n"
                        "net D(x: [1, 28, 28]) -> [128, 7, 7] {\n"
                        "    conv(64, 5, stride: 2)\n"
                        "    conv(128, 5, stride: 2)\n"
                        "}\n"
                        "min D: E[sum(D(z))]\n",
                        UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        int i = last_at_line(r.g, 3);
        CHECK_STR(shape_s(r.g->nodes[i].shape), "[B, 64, 14, 14]");
        CHECK(r.g->nodes[first_op(r.g, OP_conv2d)].attr.pad[0] == 2);
    }
    res_free(&r);
    /* 7 -> 7 -> 14 -> 28 with kernel 5, strides 1, 2, 2 same */
    r = compile_src("z ~ normal([256, 7, 7])\n"
                    "net G(x: [256, 7, 7]) -> [1, 28, 28] {\n"
                    "    deconv(128, 5, stride: 1, bias: false)\n"
                    "    deconv(64, 5, stride: 2, bias: false)\n"
                    "    deconv(1, 5, stride: 2, bias: false)\n"
                    "}\n"
                    "min G: E[sum(G(z))]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        CHECK_STR(shape_s(r.g->nodes[last_at_line(r.g, 3)].shape), "[B, 128, 7, 7]");
        CHECK_STR(shape_s(r.g->nodes[last_at_line(r.g, 4)].shape), "[B, 64, 14, 14]");
        CHECK(find_param(r.g, "G.deconv1.b") < 0); /* bias: false */
        int i = first_op(r.g, OP_deconv2d);
        CHECK(r.g->nodes[i].attr.pad[0] == 2 && r.g->nodes[i].attr.outpad[0] == 0);
        for (i++; i < r.g->nnodes && r.g->nodes[i].op != OP_deconv2d; i++) {}
        CHECK(i < r.g->nnodes && r.g->nodes[i].attr.pad[0] == 2 && r.g->nodes[i].attr.outpad[0] == 1);
    }
    res_free(&r);
    /* output_padding given with padding same replaces the computed one */
    r = compile_src("z ~ normal([4, 7, 7])\n"
                    "net G(x: [4, 7, 7]) -> [2, 13, 13] {\n"
                    "    deconv(2, 5, stride: 2, output_padding: 0)\n"
                    "}\n"
                    "min G: E[sum(G(z))]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    res_free(&r);
    /* the errors name the sizes */
    r = compile_src("z ~ normal([1, 4, 4])\n"
                    "net D(x: [1, 4, 4]) -> [1] { conv(8, 5, padding: valid) -> flatten -> dense(1) }\n"
                    "min D: E[D(z)]\n",
                    UPTO_LOWER);
    CHECK(r.g == NULL);
    CHECKF(has(r.msgs, "t.g:2:30: error: 'conv' output would be empty: input 4x4, kernel 5, "
                       "stride 1, padding 0"),
           "%s", r.msgs);
    res_free(&r);
    r = compile_src("z ~ normal([1, 4, 4])\n"
                    "net D(x: [1, 4, 4]) -> [1] { deconv(8, 4, stride: 2, output_padding: 2) -> flatten -> dense(1) }\n"
                    "min D: E[D(z)]\n",
                    UPTO_LOWER);
    CHECKF(has(r.msgs, "'output_padding' must be smaller than the stride (2), got 2"), "%s", r.msgs);
    res_free(&r);
    r = compile_src("z ~ normal([3, 8, 8])\n"
                    "net D(x: [3, 8]) -> [1] { conv(8, 3) -> flatten -> dense(1) }\n"
                    "min D: E[D(z)]\n",
                    UPTO_LOWER);
    CHECKF(has(r.msgs, "'conv' expects [channels, height, width], got [B, 3, 8]"), "%s", r.msgs);
    res_free(&r);
    /* the refusal of padding: same with an even kernel at stride 1 points
     * at the layer and does not blame an option the user did not write */
    r = compile_src("z ~ normal([3, 8, 8])\n"
                    "net D(x: [3, 8, 8]) -> [1] { deconv(8, 4) -> flatten -> dense(1) }\n"
                    "min D: E[D(z)]\n",
                    UPTO_LOWER);
    CHECKF(r.g == NULL && has(r.msgs, "t.g:2:30: error: 'deconv' cannot keep the size") &&
               !has(r.msgs, "output_padding"),
           "%s", r.msgs);
    res_free(&r);
}

/* ---- every other layer ------------------------------------------------- */

/* Compiles
 *   line 1: DECLS
 *   line 2: net N(ARGS) -> [1] {
 *   line 3:     LAYER
 *   line 4:     flatten -> dense(1)
 *   line 5: }
 *   line 6: min N: E[N(CALL)]
 * and returns the shape of what line 3 computes (ok false on errors). */
typedef struct LayerOut {
    bool ok;
    Shape shape;
    char msgs[1024];
} LayerOut;

static LayerOut layer_out(const char *decls, const char *args, const char *layer, const char *call)
{
    LayerOut lo = {0};
    const char *src = fmt("%s\nnet N(%s) -> [1] {\n    %s\n    flatten -> dense(1)\n}\n"
                          "min N: E[N(%s)]\n",
                          decls, args, layer, call);
    Res r = compile_src(src, UPTO_LOWER);
    snprintf(lo.msgs, sizeof lo.msgs, "%s", r.msgs ? r.msgs : "");
    if (r.g) {
        int i = last_at_line(r.g, 3);
        lo.ok = i >= 0;
        if (i >= 0) lo.shape = r.g->nodes[i].shape;
    }
    res_free(&r);
    return lo;
}

/* one input x: [IN] fed from noise z */
static LayerOut layer1(const char *in, const char *layer)
{
    return layer_out(fmt("z ~ normal(%s)", in), fmt("x: %s", in), layer, "z");
}

#define CHECK_LAYER(lo_expr, want)                                             \
    do {                                                                       \
        LayerOut lo_ = (lo_expr);                                              \
        CHECKF(lo_.ok && strcmp(shape_s(lo_.shape), (want)) == 0,              \
               "%s: got %s, want %s\n%s", #lo_expr, lo_.ok ? shape_s(lo_.shape) : "error", \
               (want), lo_.msgs);                                              \
    } while (0)

#define CHECK_LAYER_ERR(lo_expr, msg)                                          \
    do {                                                                       \
        LayerOut lo_ = (lo_expr);                                              \
        CHECKF(!lo_.ok && has(lo_.msgs, (msg)), "%s: want an error with \"%s\", got %s\n%s", \
               #lo_expr, (msg), lo_.ok ? shape_s(lo_.shape) : "error", lo_.msgs); \
    } while (0)

static void test_layer_shapes(void)
{
    /* dense */
    CHECK_LAYER(layer1("[784]", "dense(128)"), "[B, 128]");
    CHECK_LAYER(layer1("[784]", "dense(units: 7)"), "[B, 7]");
    CHECK_LAYER_ERR(layer1("[1, 28, 28]", "dense(10)"),
                    "'dense' takes features [n] or a sequence of them [length, n], got [B, 1, 28, 28]; add flatten before it");
    /* pooling: floor((H - k) / s) + 1, stride defaults to the kernel */
    for (int h = 2; h <= 9; h++)
        for (int k = 1; k <= 3 && k <= h; k++)
            for (int s = 0; s <= 3; s++) {
                int st = s ? s : k, o = (h - k) / st + 1, ow = (h + 1 - k) / st + 1;
                const char *stride = s ? fmt(", stride: %d", s) : "";
                const char *want = fmt("[B, 3, %d, %d]", o, ow);
                CHECK_LAYER(layer1(fmt("[3, %d, %d]", h, h + 1), fmt("maxpool(%d%s)", k, stride)), want);
                CHECK_LAYER(layer1(fmt("[3, %d, %d]", h, h + 1), fmt("avgpool(%d%s)", k, stride)), want);
            }
    CHECK_LAYER(layer1("[3, 28, 28]", "maxpool"), "[B, 3, 14, 14]");
    CHECK_LAYER_ERR(layer1("[3, 2, 2]", "maxpool(3)"), "'maxpool' kernel 3 is larger than its input 2x2");
    /* upsample */
    CHECK_LAYER(layer1("[3, 7, 5]", "upsample"), "[B, 3, 14, 10]");
    CHECK_LAYER(layer1("[3, 7, 5]", "upsample(3)"), "[B, 3, 21, 15]");
    CHECK_LAYER_ERR(layer1("[7]", "upsample"), "'upsample' expects [channels, height, width]");
    /* flatten, reshape */
    CHECK_LAYER(layer1("[3, 7, 5]", "flatten"), "[B, 105]");
    CHECK_LAYER(layer1("[105]", "reshape(3, 5, 7)"), "[B, 3, 5, 7]");
    CHECK_LAYER(layer1("[105]", "reshape([5, 21])"), "[B, 5, 21]");
    CHECK_LAYER(layer1("[3, 5, 7]", "reshape(105)"), "[B, 105]");
    CHECK_LAYER_ERR(layer1("[100]", "reshape(3, 5, 7)"),
                    "'reshape' to [B, 3, 5, 7] needs 105 values per example, but its input [B, 100] has 100");
    /* batchnorm and layernorm keep the shape; batchnorm's scale is per channel */
    CHECK_LAYER(layer1("[8, 5, 5]", "batchnorm"), "[B, 8, 5, 5]");
    CHECK_LAYER(layer1("[8]", "batchnorm(momentum: 0.2, eps: 1e-3)"), "[B, 8]");
    CHECK_LAYER(layer1("[8, 5, 5]", "layernorm"), "[B, 8, 5, 5]");
    /* dropout and activations keep the shape */
    static const char *const same_shape[] = {"dropout", "dropout(0.3)", "relu", "leaky_relu(0.2)",
                                             "elu", "tanh", "sigmoid", "softplus", "gelu",
                                             "softmax", "log_softmax", "log_sigmoid", "sqrt",
                                             "abs", "log(x)", "exp x", "x -> sqrt -> log_sigmoid"};
    for (size_t i = 0; i < GENC_COUNT(same_shape); i++)
        CHECK_LAYER(layer1("[4, 6]", same_shape[i]), "[B, 4, 6]");
    /* log and exp also stand alone as a stage, like every other function */
    for (int i = 0; i < 4; i++) {
        static const char *const stage[] = {"log", "exp", "x -> log", "sigmoid -> exp"};
        LayerOut st = layer1("[4, 6]", stage[i]);
        CHECKF(st.ok && strcmp(shape_s(st.shape), "[B, 4, 6]") == 0, "%s: %s", stage[i], st.msgs);
    }
    /* reductions give one value per example */
    CHECK_LAYER(layer1("[4, 6]", "sum"), "[B]");
    CHECK_LAYER(layer1("[4, 6]", "mean"), "[B]");
    /* losses: one value per example, the sum over its elements */
    CHECK_LAYER(layer1("[4, 6]", "bce(0.5)"), "[B]");
    CHECK_LAYER(layer1("[4, 6]", "mse(x, 1)"), "[B]");
    CHECK_LAYER(layer1("[4, 6]", "l1(0)"), "[B]");
    CHECK_LAYER(layer1("[4, 6]", "kl_normal(x)"), "[B]");
    CHECK_LAYER(layer_out("c ~ categorical(10)", "c: []", "onehot(10) -> softmax -> l1(0)", "c"), "[B]");
    /* cross_entropy inside a net body compiles (it once crashed the
     * compiler: its input was lowered as the judge outside any call of the
     * net); in a child process, so that a crash is a failed check */
    const char *ce_net = "z ~ normal(10)\nnet N(x: [10]) -> [1] {\n"
                         "    softmax -> cross_entropy(x)\n    flatten -> dense(1)\n}\n"
                         "min N: E[N(z)]\n";
    CHECKF(compiles_in_child(ce_net) == 0, "cross_entropy in a net body: the compiler crashed");
    /* the judge is the first top-level cross_entropy's probabilities */
    Res jr = compile_src("data x, y ~ mnist(train)\nnet C(x: [1, 28, 28]) -> [10] { flatten -> dense(10) -> softmax }\n"
                         "min C: E[cross_entropy(C(x), y)]\n",
                         UPTO_AUTODIFF);
    CHECKF(jr.g && jr.g->judge >= 0 && jr.g->nodes[jr.g->judge].op == OP_softmax &&
               jr.g->features >= 0 && strcmp(shape_s(jr.g->nodes[jr.g->features].shape), "[B, 784]") == 0,
           "%s", jr.msgs);
    res_free(&jr);
    /* onehot takes one class index per example, embedding one or more */
    LayerOut lo = layer_out("c ~ categorical(10)", "c: []", "embedding(10, 16)", "c");
    CHECK_LAYER(lo, "[B, 16]");
    lo = layer_out("c ~ categorical(10)", "c: []", "onehot(10)", "c");
    CHECK_LAYER(lo, "[B, 10]");
    CHECK_LAYER_ERR(layer1("[3]", "onehot(10)"), "'onehot' takes one class index per example, got [B, 3]");
    /* embedding: a row for each index of a sequence */
    CHECK_LAYER(layer1("[3]", "embedding(10, 4)"), "[B, 3, 4]");
    CHECK_LAYER_ERR(layer1("[3, 2, 2, 2]", "embedding(10, 4)"),
                    "'embedding' of [B, 3, 2, 2, 2] would make 5 axes per example (the limit is 4)");
    /* concat along a per-example axis */
    lo = layer_out("a ~ normal([3, 4, 4]); b ~ normal([5, 4, 4])", "x: [3, 4, 4], y: [5, 4, 4]",
                   "concat(x, y)", "a, b");
    CHECK_LAYER(lo, "[B, 8, 4, 4]");
    lo = layer_out("a ~ normal([3, 4, 4]); b ~ normal([3, 4, 6])", "x: [3, 4, 4], y: [3, 4, 6]",
                   "concat(x, y, axis: 2)", "a, b");
    CHECK_LAYER(lo, "[B, 3, 4, 10]");
    lo = layer_out("a ~ normal(3); b ~ normal(4); c ~ normal(5)", "x: [3], y: [4], w: [5]",
                   "concat(x, y, w)", "a, b, c");
    CHECK_LAYER(lo, "[B, 12]");
    lo = layer_out("a ~ normal([3, 4, 4]); b ~ normal([5, 4, 6])", "x: [3, 4, 4], y: [5, 4, 6]",
                   "concat(x, y)", "a, b");
    CHECK_LAYER_ERR(lo, "'concat' along axis 0 cannot join [B, 3, 4, 4] and [B, 5, 4, 6]");
    /* at the start of a line concat(x) is concat(line above, x); inside an
     * expression it lacks a second tensor */
    CHECK_LAYER(layer1("[3]", "concat(x)"), "[B, 6]");
    CHECK_LAYER_ERR(layer1("[3]", "flatten(concat(x))"), "'concat' joins two or more tensors, got 1");
    /* E[...] needs one value per example */
    Res r = compile_src("z ~ normal(4)\nnet N(x: [4]) -> [4] { dense(4) }\nmin N: E[N(z)]\n",
                        UPTO_SEMA);
    CHECKF(has(r.msgs, "E[...] needs one value per example, got [B, 4]; reduce it first"), "%s",
           r.msgs);
    res_free(&r);
}

/* ---- broadcasting ------------------------------------------------------ */

static void test_broadcasting(void)
{
    static const struct {
        const char *expr, *want; /* want: a shape, or an error message */
    } cases[] = {
        {"a + b", "[B, 3, 4]"},          /* [B, 3, 1] + [B, 1, 4] */
        {"a + c", "[B, 3, 4]"},          /* [B, 3, 1] + [B, 4]: dims align on the right */
        {"d + e", "[B, 2, 3]"},          /* [B, 2, 3] + [B, 3] */
        {"c + sum(a)", "[B, 4]"},        /* one value per example broadcasts */
        {"sum(a) * d", "[B, 2, 3]"},
        {"sum(a) + sum(c)", "[B]"},
        {"a * 2", "[B, 3, 1]"},          /* a number broadcasts everywhere */
        {"2 - a", "[B, 3, 1]"},
        {"b * E[sum(a)]", "[B, 1, 4]"},  /* an unbatched scalar too */
        {"c / reshape(sum(a), 1)", "[B, 4]"},
        {"a ^ 2", "[B, 3, 1]"},
        {"-a", "[B, 3, 1]"},
        {"d + c", "shapes [B, 2, 3] and [B, 4] do not broadcast"},
        {"a + d", "shapes [B, 3, 1] and [B, 2, 3] do not broadcast"},
        {"a ^ a", "the exponent of '^' must be a number"},
    };
    for (size_t i = 0; i < GENC_COUNT(cases); i++) {
        /* line 6 holds the expression */
        const char *src = fmt("a ~ normal([3, 1]); b ~ normal([1, 4]); c ~ normal(4)\n"
                              "d ~ normal([2, 3]); e ~ normal(3)\n"
                              "net N(x: [4]) -> [1] { dense(1) }\n"
                              "\n"
                              "\n"
                              "let t = %s\n"
                              "min N: E[N(c) * sum(t)]\n",
                              cases[i].expr);
        Res r = compile_src(src, UPTO_LOWER);
        if (cases[i].want[0] == '[') {
            int k = r.g ? last_at_line(r.g, 6) : -1;
            CHECKF(k >= 0 && strcmp(shape_s(r.g->nodes[k].shape), cases[i].want) == 0,
                   "%s: got %s, want %s\n%s", cases[i].expr, k >= 0 ? shape_s(r.g->nodes[k].shape) : "error",
                   cases[i].want, r.msgs);
        } else {
            CHECKF(r.g == NULL && has(r.msgs, cases[i].want), "%s: want \"%s\"\n%s", cases[i].expr,
                   cases[i].want, r.msgs);
        }
        res_free(&r);
    }
    /* the losses broadcast their target explicitly (an expand node) */
    Res r = compile_src("z ~ normal(4)\nnet D(x: [4]) -> [1] { dense(1) }\nmin D: E[bce(D(z), 1)]\n",
                        UPTO_LOWER);
    CHECKF(r.g && count_op(r.g, OP_expand) == 1, "%s", r.msgs);
    if (r.g) {
        int b = first_op(r.g, OP_bce);
        CHECK(b >= 0 && r.g->nodes[r.g->nodes[b].in[1]].op == OP_expand &&
              shape_eq(r.g->nodes[r.g->nodes[b].in[1]].shape, r.g->nodes[b].shape));
    }
    res_free(&r);
}

/* ---- the value flowing into a call -------------------------------------- */

/* The shape of parameter `path` in the graph of src ("" if absent). */
static const char *param_shape(const char *src, const char *path)
{
    static char buf[64];
    Res r = compile_src(src, UPTO_LOWER);
    buf[0] = 0;
    int i = r.g ? find_param(r.g, path) : -1;
    if (i >= 0) snprintf(buf, sizeof buf, "%s", shape_s(r.g->params[i].shape));
    else if (!r.g) snprintf(buf, sizeof buf, "error: %.50s", r.msgs);
    res_free(&r);
    return buf;
}

static void test_flow(void)
{
    const char *head = "a ~ normal(10); b ~ normal(6)\n";
    /* the first line takes the net's first input */
    CHECK_STR(param_shape(fmt("%snet N(x: [10], y: [6]) -> [3] { dense(3) }\nmin N: E[sum(N(a, b))]\n", head),
                          "N.dense1.w"), "[3, 10]");
    /* a call that names its tensor does not take the flowing value */
    CHECK_STR(param_shape(fmt("%snet N(x: [10], y: [6]) -> [3] { dense(y, 3) }\nmin N: E[sum(N(a, b))]\n", head),
                          "N.dense1.w"), "[3, 6]");
    /* after '->' the flowing value is always the first input */
    CHECK_STR(param_shape(fmt("%snet N(x: [10], y: [6]) -> [3] { y -> dense(3) }\nmin N: E[sum(N(a, b))]\n", head),
                          "N.dense1.w"), "[3, 6]");
    /* a new line continues from the line above, also when it names a value */
    const char *net = "net N(x: [10], y: [6]) -> [2] {\n"
                      "    h = dense(y, 5)\n"   /* [5] from y */
                      "    dense(4)\n"          /* from h: [4, 5] */
                      "    g = dense(3)\n"      /* from the line above: [3, 4] */
                      "    relu(h)\n"           /* names h: the line above is not used */
                      "    k = dense(2)\n"      /* from relu(h): [2, 5] */
                      "    k + dense(g, 2)\n"   /* [2, 3] */
                      "}\n";
    const char *src = fmt("%s%smin N: E[sum(N(a, b))]\n", head, net);
    CHECK_STR(param_shape(src, "N.dense2.w"), "[4, 5]");
    CHECK_STR(param_shape(src, "N.dense3.w"), "[3, 4]");
    CHECK_STR(param_shape(src, "N.dense4.w"), "[2, 5]");
    CHECK_STR(param_shape(src, "N.dense5.w"), "[2, 3]");
    /* a two-tensor function short of one tensor takes the line above as its
     * first: bce(0.5) is bce(line above, 0.5); bce(h, 0.5) is not */
    Res r = compile_src("a ~ normal(4)\n"
                        "net N(x: [4]) -> [] {\n"
                        "    h = dense(4)\n"
                        "    sigmoid\n"
                        "    bce(0.5)\n"
                        "}\n"
                        "min N: E[N(a)]\n",
                        UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        int b = first_op(r.g, OP_bce);
        CHECK(b >= 0 && r.g->nodes[r.g->nodes[b].in[0]].op == OP_sigmoid);
    }
    res_free(&r);
    r = compile_src("a ~ normal(4)\n"
                    "net N(x: [4]) -> [] {\n"
                    "    h = dense(4)\n"
                    "    sigmoid\n"
                    "    bce(h, 0.5)\n"
                    "}\n"
                    "min N: E[N(a)]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        int b = first_op(r.g, OP_bce);
        CHECK(b >= 0 && r.g->nodes[r.g->nodes[b].in[0]].op == OP_add);
        CHECK(count_op(r.g, OP_sigmoid) == 0); /* the unused line is dropped */
    }
    res_free(&r);
    /* concat at the start of a line: short of two tensors, it takes the
     * line above first */
    r = compile_src("a ~ normal(4); b ~ normal(3)\n"
                    "net N(x: [4], y: [3]) -> [1] {\n"
                    "    concat(y)\n"
                    "    dense(1)\n"
                    "}\n"
                    "min N: E[N(a, b)]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        int c = first_op(r.g, OP_concat);
        CHECK(c >= 0 && r.g->nodes[r.g->nodes[c].in[0]].op == OP_noise &&
              r.g->nodes[r.g->nodes[c].in[0]].attr.noise == 0);
        CHECK_STR(shape_s(r.g->nodes[c].shape), "[B, 7]");
    }
    res_free(&r);
    /* a net call short of inputs takes the flowing value; inside an
     * expression a call never does */
    CHECK_STR(param_shape("a ~ normal(10)\n"
                          "net M(x: [10]) -> [6] { dense(6) }\n"
                          "net N(x: [10]) -> [1] {\n"
                          "    M\n"
                          "    dense(1)\n"
                          "}\n"
                          "min M, N: E[N(a)]\n",
                          "N.dense1.w"),
              "[1, 6]");
    r = compile_src("a ~ normal(10)\nnet N(x: [10]) -> [1] { dense(1) + relu }\nmin N: E[N(a)]\n",
                    UPTO_SEMA);
    CHECKF(has(r.msgs, "t.g:2:31: error: 'dense' needs an input tensor"), "%s", r.msgs);
    res_free(&r);
    /* a block takes the flowing value and instantiates its own weights */
    r = compile_src("a ~ normal([1, 28, 28])\n"
                    "block down(c) { conv(c, 4, stride: 2) -> relu }\n"
                    "net N(x: [1, 28, 28]) -> [1] {\n"
                    "    down(8) -> down(16)\n"
                    "    flatten -> dense(1)\n"
                    "}\n"
                    "min N: E[N(a)]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        int p1 = find_param(r.g, "N.down1.conv1.w"), p2 = find_param(r.g, "N.down2.conv1.w");
        CHECK(p1 >= 0 && p2 >= 0);
        if (p1 >= 0 && p2 >= 0) {
            CHECK_STR(shape_s(r.g->params[p1].shape), "[8, 1, 4, 4]");
            CHECK_STR(shape_s(r.g->params[p2].shape), "[16, 8, 4, 4]");
        }
        /* the nodes of a block keep the block's source line */
        int last = last_at_line(r.g, 2);
        CHECK(last >= 0 && strcmp(r.g->nodes[last].path, "N.down2") == 0 &&
              strcmp(shape_s(r.g->nodes[last].shape), "[B, 16, 7, 7]") == 0);
    }
    res_free(&r);
}

/* ---- stable rewrites and CSE ------------------------------------------- */

/* A net N with one dense layer; the objective uses `loss` on its logits. */
static Res compile_loss(const char *loss, Upto upto)
{
    return compile_src(fmt("z ~ normal(4); c ~ categorical(5)\n"
                           "net N(x: [4]) -> [5] { dense(5) }\n"
                           "min N: %s\n",
                           loss),
                       upto);
}

/* N's logits: the bias add of N.dense1 */
static int logits(const Graph *g)
{
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == OP_add && strcmp(g->nodes[i].path, "N.dense1") == 0) return i;
    return -1;
}

static void test_rewrites(void)
{
    /* log(sigmoid(a)) -> log_sigmoid(a) */
    Res lo = compile_loss("-E[sum(log(sigmoid(N(z))))]", UPTO_LOWER);
    Res rw = compile_loss("-E[sum(log(sigmoid(N(z))))]", UPTO_REWRITE);
    CHECKF(lo.g && rw.g, "%s", lo.msgs);
    if (lo.g && rw.g) {
        int l = first_op(lo.g, OP_log);
        CHECK(l >= 0 && lo.g->nodes[lo.g->nodes[l].in[0]].op == OP_sigmoid);
        int ls = first_op(rw.g, OP_log_sigmoid);
        CHECK(ls >= 0 && rw.g->nodes[ls].in[0] == logits(rw.g));
        CHECK(count_op(rw.g, OP_log) == 0 && count_op(rw.g, OP_sigmoid) == 0);
        CHECK(depends(rw.g, rw.g->phases[0].loss, ls));
    }
    res_free(&lo);
    res_free(&rw);

    /* log(1 - sigmoid(a)) -> log_sigmoid(-a) */
    rw = compile_loss("-E[sum(log(1 - sigmoid(N(z))))]", UPTO_REWRITE);
    CHECKF(rw.g, "%s", rw.msgs);
    if (rw.g) {
        int ls = first_op(rw.g, OP_log_sigmoid);
        CHECK(ls >= 0);
        if (ls >= 0) {
            const Node *neg = &rw.g->nodes[rw.g->nodes[ls].in[0]];
            CHECK(neg->op == OP_neg && neg->in[0] == logits(rw.g));
        }
        CHECK(count_op(rw.g, OP_log) == 0 && count_op(rw.g, OP_sigmoid) == 0 &&
              count_op(rw.g, OP_sub) == 0);
    }
    res_free(&rw);

    /* ... and not where the form differs */
    static const char *const no_rewrite[] = {
        "-E[sum(log(2 - sigmoid(N(z))))]",   /* 2, not 1 */
        "-E[sum(log(1 + sigmoid(N(z))))]",   /* +, not - */
        "-E[sum(log(sigmoid(N(z)) - 1))]",   /* the operands swapped */
        "-E[sum(log(1 - tanh(N(z))))]",      /* not a sigmoid */
        "-E[sum(log(tanh(N(z))))]",
        "-E[sum(log(2 * sigmoid(N(z))))]",
    };
    for (size_t i = 0; i < GENC_COUNT(no_rewrite); i++) {
        rw = compile_loss(no_rewrite[i], UPTO_REWRITE);
        CHECKF(rw.g && count_op(rw.g, OP_log_sigmoid) == 0 && count_op(rw.g, OP_log) == 1,
               "%s was rewritten (or failed):\n%s", no_rewrite[i], rw.msgs);
        res_free(&rw);
    }
    rw = compile_loss("-E[sum(log(2 - sigmoid(N(z))))]", UPTO_REWRITE);
    if (rw.g) {
        const Node *l = &rw.g->nodes[first_op(rw.g, OP_log)];
        const Node *sub = &rw.g->nodes[l->in[0]];
        CHECK(sub->op == OP_sub && rw.g->nodes[sub->in[0]].op == OP_const &&
              rw.g->nodes[sub->in[0]].attr.value == 2 && rw.g->nodes[sub->in[1]].op == OP_sigmoid);
    }
    res_free(&rw);

    /* bce(sigmoid(a), t) -> bce_logits(a, t) */
    lo = compile_loss("E[bce(sigmoid(N(z)), 1)]", UPTO_LOWER);
    rw = compile_loss("E[bce(sigmoid(N(z)), 1)]", UPTO_REWRITE);
    CHECKF(lo.g && rw.g, "%s", lo.msgs);
    if (lo.g && rw.g) {
        CHECK(count_op(lo.g, OP_bce) == 1 && count_op(lo.g, OP_bce_logits) == 0);
        int b = first_op(rw.g, OP_bce_logits);
        CHECK(b >= 0 && rw.g->nodes[b].in[0] == logits(rw.g));
        CHECK(count_op(rw.g, OP_bce) == 0 && count_op(rw.g, OP_sigmoid) == 0);
    }
    res_free(&lo);
    res_free(&rw);
    rw = compile_loss("E[bce(tanh(N(z)) * 0.5 + 0.5, 1)]", UPTO_REWRITE);
    CHECKF(rw.g && count_op(rw.g, OP_bce) == 1 && count_op(rw.g, OP_bce_logits) == 0, "%s", rw.msgs);
    res_free(&rw);

    /* log(softmax(a)) -> log_softmax(a), as cross_entropy(softmax(..)) writes it */
    lo = compile_loss("E[cross_entropy(softmax(N(z)), c)]", UPTO_LOWER);
    rw = compile_loss("E[cross_entropy(softmax(N(z)), c)]", UPTO_REWRITE);
    CHECKF(lo.g && rw.g, "%s", lo.msgs);
    if (lo.g && rw.g) {
        int l = first_op(lo.g, OP_log);
        CHECK(l >= 0 && lo.g->nodes[lo.g->nodes[l].in[0]].op == OP_softmax);
        int ls = first_op(rw.g, OP_log_softmax);
        CHECK(ls >= 0 && rw.g->nodes[ls].in[0] == logits(rw.g));
        /* the loss no longer computes log or softmax (softmax itself stays
         * as the judge, the class probabilities of `genc eval --judge`) */
        int loss = rw.g->phases[0].loss;
        CHECK(op_in_cone(rw.g, loss, OP_log, NULL) < 0 && op_in_cone(rw.g, loss, OP_softmax, NULL) < 0);
        CHECK(op_in_cone(rw.g, loss, OP_log_softmax, NULL) == ls);
        CHECK(count_op(rw.g, OP_onehot) == 1);
    }
    res_free(&lo);
    res_free(&rw);
    rw = compile_loss("E[cross_entropy(sigmoid(N(z)) / sum(sigmoid(N(z))), c)]", UPTO_REWRITE);
    CHECKF(rw.g && count_op(rw.g, OP_log_softmax) == 0 && count_op(rw.g, OP_log) == 1, "%s", rw.msgs);
    res_free(&rw);

    /* -(-a) -> a */
    rw = compile_loss("-(-E[sum(N(z))])", UPTO_REWRITE);
    CHECKF(rw.g && count_op(rw.g, OP_neg) == 0 &&
               rw.g->nodes[rw.g->phases[0].loss].op == OP_batch_mean,
           "%s", rw.msgs);
    res_free(&rw);

    /* norm(v) ^ 2 -> sum(v ^ 2), and no other square of a sqrt */
    rw = compile_loss("E[norm(N(z)) ^ 2]", UPTO_REWRITE);
    CHECKF(rw.g && count_op(rw.g, OP_sqrt) == 0 && count_op(rw.g, OP_powc) == 1 &&
               rw.g->nodes[rw.g->nodes[rw.g->phases[0].loss].in[0]].op == OP_sum,
           "%s", rw.msgs);
    res_free(&rw);
    static const char *const sqrt_stays[] = {
        "E[norm(N(z)) ^ 3]",
        "E[sqrt(sum(N(z)) + 4) ^ 2]",
        "E[sqrt(sum(abs(N(z)))) ^ 2]",
    };
    for (size_t i = 0; i < GENC_COUNT(sqrt_stays); i++) {
        rw = compile_loss(sqrt_stays[i], UPTO_REWRITE);
        CHECKF(rw.g && count_op(rw.g, OP_sqrt) == 1, "%s was rewritten (or failed):\n%s",
               sqrt_stays[i], rw.msgs);
        res_free(&rw);
    }

    /* no pattern bypasses the x of a grad: y would no longer depend on it */
    static const char *const grad_targets[] = {
        "z ~ normal(4)\nnet N(x: [4]) -> [5] { dense(5) }\nlet p = sigmoid(N(z))\n"
        "min N: E[sum(grad(sum(bce(p, 1)), p))]\n",
        "z ~ normal(4)\nnet N(x: [4]) -> [5] { dense(5) }\nlet n = norm(N(z))\n"
        "min N: E[grad(n ^ 2, n)]\n",
    };
    for (size_t i = 0; i < GENC_COUNT(grad_targets); i++) {
        rw = compile_src(grad_targets[i], UPTO_AUTODIFF);
        CHECKF(rw.g && rw.nerrors == 0, "%s failed:\n%s", grad_targets[i], rw.msgs);
        res_free(&rw);
    }
}

/* How many forward dense layers of net `net` the graph computes. */
static int dense_forwards(const Graph *g, const char *path)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i].op == OP_matmul && g->nodes[i].attr.tb && strcmp(g->nodes[i].path, path) == 0)
            n++;
    return n;
}

static void test_cse(void)
{
    const char *gan = "data x ~ mnist(train, range: [-1, 1])\n"
                      "z ~ normal(8)\n"
                      "net G(z: [8]) -> [1, 28, 28] { dense(784) -> tanh -> reshape(1, 28, 28) }\n"
                      "net D(x: [1, 28, 28]) -> [1] { flatten -> dense(16) -> relu -> dense(1) -> sigmoid }\n"
                      "%s\n";
    /* D(G(z)) written twice in one objective: one set of nodes for it, so
     * D's first layer runs twice (real, fake), not three times */
    Res r = compile_src(fmt(gan, "min G max D: E[log D(x)] + E[log(1 - D(G(z)))] + E[log(1 - D(G(z)))]"),
                        UPTO_REWRITE);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        CHECK(dense_forwards(r.g, "D.dense1") == 2);
        CHECK(dense_forwards(r.g, "G.dense1") == 1);
        /* the two equal terms are one node: E[...] over real, over fake */
        CHECK(count_op(r.g, OP_batch_mean) == 2); /* real, fake */
        const Node *top = &r.g->nodes[r.g->nodes[r.g->phases[0].loss].in[0]];
        CHECK(top->op == OP_add && r.g->nodes[top->in[0]].op == OP_add &&
              r.g->nodes[top->in[0]].in[1] == top->in[1]);
        /* the G phase drops E[log D(x)] with three terms as with two */
        CHECKF(!depends(r.g, r.g->phases[1].loss, first_op(r.g, OP_input)),
               "the G phase's loss reads the data");
    }
    res_free(&r);
    /* D(x * 1) written twice: lowering builds two copies (the two x * 1 are
     * different nodes), CSE merges them into one */
    const char *twice = fmt(gan, "min G max D: E[log D(x * 1)] + E[log D(x * 1)] + E[log(1 - D(G(z)))]");
    Res lo = compile_src(twice, UPTO_LOWER);
    r = compile_src(twice, UPTO_REWRITE);
    CHECKF(lo.g && r.g, "%s", lo.msgs);
    if (lo.g && r.g) {
        CHECK(dense_forwards(lo.g, "D.dense1") == 3); /* two real copies, and fake */
        CHECK(dense_forwards(r.g, "D.dense1") == 2);
        CHECK(dense_forwards(r.g, "D.dense2") == 2);
        CHECK(count_op(r.g, OP_input) == 1 && count_op(r.g, OP_noise) == 1);
        CHECK(r.g->nnodes < lo.g->nnodes);
    }
    res_free(&lo);
    res_free(&r);
    /* CSE never merges nodes that differ: D(x) and D(x * 2) stay apart */
    r = compile_src(fmt(gan, "min G max D: E[log D(x)] + E[log D(x * 2)] + E[log(1 - D(G(z)))]"),
                    UPTO_REWRITE);
    CHECKF(r.g && dense_forwards(r.g, "D.dense1") == 3, "%s", r.msgs);
    res_free(&r);
    /* two dropouts of one value are two masks: CSE keeps them apart */
    r = compile_src("z ~ normal(10)\n"
                    "net N(x: [10]) -> [10] {\n"
                    "    h = dense(x, 10)\n"
                    "    a = dropout(h, 0.5)\n"
                    "    b = dropout(h, 0.5)\n"
                    "    a + b\n"
                    "}\n"
                    "min N: E[sum(N(z))]\n",
                    UPTO_REWRITE);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) CHECKF(count_op(r.g, OP_dropout) == 2, "%d dropout nodes", count_op(r.g, OP_dropout));
    res_free(&r);
    /* a value used twice is lowered once: 12 doublings are 12 adds, not
     * 2^12 copies (lowering once copied a value per use) */
    char src[2048];
    int n = snprintf(src, sizeof src, "z ~ normal(10)\nnet N(x: [10]) -> [10] {\n    h0 = dense(x, 10)\n");
    for (int i = 1; i <= 12; i++) n += snprintf(src + n, sizeof src - (size_t)n, "    h%d = h%d + h%d\n", i, i - 1, i - 1);
    snprintf(src + n, sizeof src - (size_t)n, "    h12\n}\nmin N: E[sum(N(z))]\n");
    lo = compile_src(src, UPTO_LOWER);
    r = compile_src(src, UPTO_REWRITE);
    CHECKF(lo.g && r.g && r.g->nnodes < 40, "%s", lo.msgs);
    if (lo.g) CHECKF(lo.g->nnodes < 200, "%d nodes after lowering 12 doublings", lo.g->nnodes);
    res_free(&lo);
    res_free(&r);
}

/* ---- phases, nonsaturating, autodiff ----------------------------------- */

static const char *const gan_src =
    "data x ~ mnist(train, range: [-1, 1])\n"
    "z ~ normal(16)\n"
    "net G(z: [16]) -> [1, 28, 28] {\n"
    "    dense(7 * 7 * 8, bias: false) -> batchnorm -> relu\n"
    "    reshape(8, 7, 7)\n"
    "    deconv(4, 4, stride: 2) -> batchnorm -> relu\n"
    "    deconv(1, 4, stride: 2) -> tanh\n"
    "}\n"
    "net D(x: [1, 28, 28]) -> [1] {\n"
    "    conv(4, 4, stride: 2) -> leaky_relu(0.2) -> dropout(0.3)\n"
    "    conv(8, 4, stride: 2) -> layernorm -> leaky_relu(0.2)\n"
    "    flatten -> dense(1) -> sigmoid\n"
    "}\n"
    "min G max D: E[log D(x)] + E[log(1 - D(G(z)))] %s\n"
    "train { steps D: 5, G: 1   clip D: 0.01   optimizer D: sgd(lr: 0.1, momentum: 0.9), G: adam(beta1: 0.5)\n"
    "        grad_clip G: 2   batch 32 epochs 3 seed 7   sample G(z) }\n";

/* D's logits on G(z) (the bias add of D.dense1 that depends on the noise)
 * and on x. */
static void d_logits(const Graph *g, int *fake, int *realx)
{
    *fake = *realx = -1;
    int noise = first_op(g, OP_noise), input = first_op(g, OP_input);
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op != OP_add || strcmp(n->path, "D.dense1") != 0 || !n->shape.batch) continue;
        if (depends(g, i, noise)) *fake = i;
        else if (depends(g, i, input)) *realx = i;
    }
}

static bool path_in_net(const char *path, const char *net)
{
    size_t n = strlen(net);
    return strncmp(path, net, n) == 0 && (path[n] == 0 || path[n] == '.');
}

/* Nodes autodiff added for phase p that compute the gradient of a
 * parameter of `net`: unbatched, on a layer of `net`, with the shape of
 * one of that layer's parameters. */
static int param_grads_of(const Res *r, int p, const char *net)
{
    const Graph *g = r->g;
    int n = 0;
    for (int i = r->from[p]; i < r->to[p]; i++) {
        const Node *nd = &g->nodes[i];
        if (nd->shape.batch || !path_in_net(nd->path, net)) continue;
        for (int k = 0; k < g->nparams; k++) {
            const Param *pa = &g->params[k];
            size_t len = strlen(nd->path);
            if (strncmp(pa->path, nd->path, len) == 0 && pa->path[len] == '.' &&
                strchr(pa->path + len + 1, '.') == NULL && shape_eq(pa->shape, nd->shape)) {
                n++;
                break;
            }
        }
    }
    return n;
}

/* Nodes autodiff added for phase p with the given shape and/or on `net`. */
static int grad_nodes(const Res *r, int p, const char *shape, const char *net)
{
    const Graph *g = r->g;
    int n = 0;
    for (int i = r->from[p]; i < r->to[p]; i++)
        if ((!shape || strcmp(shape_s(g->nodes[i].shape), shape) == 0) &&
            (!net || path_in_net(g->nodes[i].path, net)))
            n++;
    return n;
}

static void test_gan_phases(void)
{
    Res r = compile_src(fmt(gan_src, "nonsaturating"), UPTO_AUTODIFF);
    CHECKF(r.g, "%s", r.msgs);
    if (!r.g) return;
    Graph *g = r.g;
    /* min G max D: the D phase first, then the G phase */
    CHECK(g->nphases == 2);
    CHECK_STR(g->phases[0].name, "D");
    CHECK_STR(g->phases[1].name, "G");
    int pd = find_phase(g, "D"), pg = find_phase(g, "G");
    CHECK(pd == 0 && pg == 1);
    if (pd < 0 || pg < 0) {
        res_free(&r);
        return;
    }
    /* each phase updates exactly its net's parameters */
    for (int p = 0; p < 2; p++) {
        const char *net = g->phases[p].name;
        int own = 0;
        for (int k = 0; k < g->nparams; k++) own += strcmp(g->params[k].owner, net) == 0;
        CHECK(g->phases[p].nparams == own && own > 0);
        for (int j = 0; j < g->phases[p].nparams; j++) {
            const Param *pa = &g->params[g->phases[p].params[j]];
            CHECK_STR(pa->owner, net);
            /* one gradient per parameter, of the parameter's shape */
            int gr = g->phases[p].grads[j];
            CHECKF(gr >= r.from[p] && gr < r.to[p] && shape_eq(g->nodes[gr].shape, pa->shape),
                   "phase %s: %s has gradient %d", net, pa->path, gr);
        }
    }
    /* G: dense w, 2 batchnorms (gamma, beta), 2 deconvs (w, b): 9;
     * D: 2 convs, layernorm, dense, each with 2: 8 */
    CHECK(g->nparams == 17);
    /* no gradient for the frozen player's parameters; the detector finds
     * the phase's own */
    CHECK(param_grads_of(&r, pd, "G") == 0);
    CHECK(param_grads_of(&r, pg, "D") == 0);
    CHECK(param_grads_of(&r, pd, "D") >= g->phases[pd].nparams);
    CHECK(param_grads_of(&r, pg, "G") >= g->phases[pg].nparams);
    /* the D phase treats G's samples as constants: no gradient node on G,
     * and none of an image's shape (no gradient for the data or G(z)) */
    CHECK(grad_nodes(&r, pd, NULL, "G") == 0);
    CHECK(grad_nodes(&r, pd, "[B, 1, 28, 28]", NULL) == 0);
    /* the G phase differentiates through D to G's output */
    CHECK(grad_nodes(&r, pg, NULL, "D") > 0);
    CHECK(grad_nodes(&r, pg, "[B, 1, 28, 28]", NULL) > 0);
    /* the G phase drops E[log D(x)]: its loss does not read the data */
    int input = first_op(g, OP_input), noise = first_op(g, OP_noise);
    CHECK(!depends(g, g->phases[pg].loss, input) && depends(g, g->phases[pg].loss, noise));
    CHECK(depends(g, g->phases[pd].loss, input) && depends(g, g->phases[pd].loss, noise));
    /* max D is min -V */
    CHECK(g->nodes[g->phases[pd].loss].op == OP_neg);
    /* nonsaturating: G minimises E[-log D(G(z))] = E[-log_sigmoid(a)] */
    int fake, realx;
    d_logits(g, &fake, &realx);
    CHECK(fake >= 0 && realx >= 0);
    const Node *gl = &g->nodes[g->phases[pg].loss];
    CHECK(gl->op == OP_batch_mean);
    const Node *neg = &g->nodes[gl->in[0]];
    CHECK(neg->op == OP_neg);
    const Node *ls = &g->nodes[neg->in[0]];
    CHECK(ls->op == OP_log_sigmoid && ls->in[0] == fake);
    /* while D's phase keeps log(1 - D(G(z))) as log_sigmoid(-a) */
    int lsn = op_in_cone(g, g->phases[pd].loss, OP_log_sigmoid, NULL), found = 0;
    for (int i = 0; i < r.nforward; i++) {
        const Node *n = &g->nodes[i];
        if (n->op == OP_log_sigmoid && g->nodes[n->in[0]].op == OP_neg &&
            g->nodes[n->in[0]].in[0] == fake && depends(g, g->phases[pd].loss, i))
            found++;
        if (n->op == OP_log_sigmoid && n->in[0] == realx) CHECK(depends(g, g->phases[pd].loss, i));
    }
    CHECK(lsn >= 0 && found == 1);
    /* settings: steps D: 5, G: 1 -> D every step, G every 5th */
    CHECK(g->phases[pd].every == 1 && g->phases[pg].every == 5);
    CHECK_NEAR(g->phases[pd].clip, 0.01, 1e-12);
    CHECK(g->phases[pg].clip == 0 && g->phases[pd].grad_clip == 0);
    CHECK_NEAR(g->phases[pg].grad_clip, 2, 1e-12);
    CHECK_STR(g->phases[pd].optim.name, "sgd");
    CHECK_STR(g->phases[pg].optim.name, "adam");
    bool lr = false, beta1 = false, wd = false;
    for (int k = 0; k < g->phases[pd].optim.nkw; k++)
        if (strcmp(g->phases[pd].optim.kw[k], "lr") == 0) lr = g->phases[pd].optim.val[k] == 0.1;
    for (int k = 0; k < g->phases[pg].optim.nkw; k++) {
        if (strcmp(g->phases[pg].optim.kw[k], "beta1") == 0) beta1 = g->phases[pg].optim.val[k] == 0.5;
        if (strcmp(g->phases[pg].optim.kw[k], "weight_decay") == 0) wd = g->phases[pg].optim.val[k] == 0;
    }
    CHECK(lr && beta1 && wd);
    CHECK(g->batch == 32 && g->epochs == 3 && g->seed == 7);
    CHECK(g->sample >= 0 && strcmp(shape_s(g->nodes[g->sample].shape), "[B, 1, 28, 28]") == 0);
    /* batchnorm keeps running statistics per channel: a mean and a variance */
    CHECK(g->nstates == 2 && g->states[0].shape.d[0] == 392 && g->states[1].shape.d[0] == 4);
    CHECK(g->states[0].parts == 2 && g->states[0].fill[0] == 0 && g->states[0].fill[1] == 1);
    res_free(&r);

    /* without nonsaturating, G minimises E[log(1 - D(G(z)))] =
     * E[log_sigmoid(-a)] */
    r = compile_src(fmt(gan_src, ""), UPTO_AUTODIFF);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        g = r.g;
        d_logits(g, &fake, &realx);
        gl = &g->nodes[g->phases[1].loss];
        ls = &g->nodes[gl->in[0]];
        CHECK(gl->op == OP_batch_mean && ls->op == OP_log_sigmoid &&
              g->nodes[ls->in[0]].op == OP_neg && g->nodes[ls->in[0]].in[0] == fake);
    }
    res_free(&r);
}

static void test_objectives(void)
{
    const char *nets = "data x ~ mnist(train)\n"
                       "z ~ normal(8)\n"
                       "net G(z: [8]) -> [1, 28, 28] { dense(784) -> sigmoid -> reshape(1, 28, 28) }\n"
                       "net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }\n";
    /* several objectives: one phase each, in the order written */
    Res r = compile_src(fmt("%smin D: E[mse(D(x), 1)] + E[mse(D(G(z)), 0)]\nmin G: E[mse(D(G(z)), 1)]\n", nets),
                        UPTO_AUTODIFF);
    CHECKF(r.g && r.g->nphases == 2, "%s", r.msgs);
    if (r.g && r.g->nphases == 2) {
        CHECK_STR(r.g->phases[0].name, "D");
        CHECK_STR(r.g->phases[1].name, "G");
        CHECK(r.g->nodes[r.g->phases[0].loss].op != OP_neg);
        CHECK(param_grads_of(&r, 1, "D") == 0 && param_grads_of(&r, 0, "G") == 0);
    }
    res_free(&r);
    r = compile_src(fmt("%smin G: -E[D(G(z))]\nmin D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]\n", nets),
                    UPTO_AUTODIFF);
    CHECKF(r.g && r.g->nphases == 2, "%s", r.msgs);
    if (r.g && r.g->nphases == 2) {
        CHECK_STR(r.g->phases[0].name, "G");
        CHECK_STR(r.g->phases[1].name, "D");
    }
    res_free(&r);
    /* a side with two nets is one phase named A+B; a sub term that does not
     * depend on the phase is dropped, one that does keeps its sign */
    r = compile_src("z ~ normal(4)\n"
                    "net A(x: [4]) -> [4] { dense(4) }\n"
                    "net B(x: [4]) -> [1] { dense(1) }\n"
                    "net C(x: [4]) -> [1] { dense(1) }\n"
                    "min A, B max C: E[B(A(z))] - E[C(z)]\n",
                    UPTO_AUTODIFF);
    CHECKF(r.g && r.g->nphases == 2, "%s", r.msgs);
    if (r.g && r.g->nphases == 2) {
        CHECK_STR(r.g->phases[0].name, "C");
        CHECK_STR(r.g->phases[1].name, "A+B");
        CHECK(r.g->phases[1].nparams == 4 && r.g->phases[0].nparams == 2);
        /* C's loss: -(-E[C(z)]) = E[C(z)] after the rewrite */
        CHECK(r.g->nodes[r.g->phases[0].loss].op == OP_batch_mean);
        /* A+B's loss: E[B(A(z))], C dropped */
        CHECK(op_in_cone(r.g, r.g->phases[1].loss, OP_matmul, "C.dense1") < 0);
        CHECK(r.g->nodes[r.g->phases[1].loss].op == OP_batch_mean);
    }
    res_free(&r);
    /* max alone */
    r = compile_src(fmt("%smax D: E[D(x)] - E[D(G(z))]\nmin G: -E[D(G(z))]\n", nets), UPTO_AUTODIFF);
    CHECKF(r.g && r.g->nphases == 2 && r.g->nodes[r.g->phases[0].loss].op == OP_neg, "%s", r.msgs);
    res_free(&r);
    /* defaults: batch 64, epochs 10, seed 1, adam with its defaults */
    r = compile_src(fmt("%smin G max D: E[D(x)] - E[D(G(z))]\n", nets), UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        CHECK(r.g->batch == 64 && r.g->epochs == 10 && r.g->seed == 1 && r.g->sample < 0);
        CHECK(strcmp(r.g->phases[0].optim.name, "adam") == 0 && r.g->phases[0].every == 1 &&
              r.g->phases[1].every == 1 && r.g->phases[0].clip == 0);
    }
    res_free(&r);
    /* a player that `steps` does not name counts 1, so `steps D: 5`
     * alone means D five times per G step */
    r = compile_src(fmt("%smin G max D: E[D(x)] - E[D(G(z))]\ntrain { steps D: 5 }\n", nets), UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g)
        CHECKF(r.g->phases[0].every == 1 && r.g->phases[1].every == 5, "steps D: 5 gives D every %d, G every %d",
                  r.g->phases[0].every, r.g->phases[1].every);
    res_free(&r);
    /* objective errors */
    static const struct {
        const char *obj, *msg;
    } bad[] = {
        {"min G max D: E[D(x)] - E[D(G(z))] nonsaturating",
         "'nonsaturating' needs a term log(1 - D(G(...))) in the objective"},
        {"min G: E[log(1 - D(G(z)))] nonsaturating", "'nonsaturating' applies to a game: min G max D"},
        {"min G max D: E[D(x)] - E[D(G(z))] nonsaturatin", "did you mean 'nonsaturating'?"},
        {"min G max D: D(x)", "the objective must be a single number, but this is [B, 1]"},
        {"min G max D: E[D(x)]", "the objective does not depend on net 'G'"},
        {"min D: E[D(G(z))]", "net 'G' has weights and is used by the objective on line 5, but is not a player of it"},
        {"min G max G: E[D(G(z))]", "net 'G' is already a player"},
    };
    for (size_t i = 0; i < GENC_COUNT(bad); i++) {
        r = compile_src(fmt("%s%s\n", nets, bad[i].obj), UPTO_LOWER);
        CHECKF(r.g == NULL && has(r.msgs, bad[i].msg), "%s: want \"%s\"\n%s", bad[i].obj, bad[i].msg,
               r.msgs);
        res_free(&r);
    }
}

/* ---- initialisers ------------------------------------------------------ */

static Init param_init(const Graph *g, const char *path)
{
    int i = find_param(g, path);
    return i >= 0 ? g->params[i].init : (Init){INIT_COUNT, 0, 0};
}

static bool init_is(Init in, InitKind k, double a, double b)
{
    return in.kind == k && fabs(in.a - a) < 1e-12 && fabs(in.b - b) < 1e-12;
}

static void test_init(void)
{
    const char *src = "z ~ normal([2, 6, 6]); c ~ categorical(5)\n"
                      "net N(x: [2, 6, 6], c: []) -> [1] {\n"
                      "    a = conv(x, 8, 3)\n"
                      "    b = deconv(x, 8, 3)\n"
                      "    h = dense(flatten(a), 8)\n"
                      "    e = embedding(c, 5, 3)\n"
                      "    k = concat(h, e) -> batchnorm -> dense(1)\n"
                      "    dense(sum(b) -> reshape(1), 1, bias: false) + k\n"
                      "}\n"
                      "min N: E[N(z, c)]\n%s";
    /* PyTorch's defaults: weight and bias uniform(+-1/sqrt(fan_in)), with
     * fan_in = in * k * k for conv and out * k * k for deconv (dimension 1
     * of the weight times the kernel); embeddings N(0, 1); norms 1 and 0 */
    Res r = compile_src(fmt(src, ""), UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        double bc = 1 / sqrt(2 * 9.0), bd = 1 / sqrt(8 * 9.0), b11 = 1 / sqrt(11.0);
        CHECK(init_is(param_init(r.g, "N.conv1.w"), INIT_UNIFORM, -bc, bc));
        CHECK(init_is(param_init(r.g, "N.conv1.b"), INIT_UNIFORM, -bc, bc));
        CHECK(init_is(param_init(r.g, "N.deconv1.w"), INIT_UNIFORM, -bd, bd));
        CHECK(init_is(param_init(r.g, "N.deconv1.b"), INIT_UNIFORM, -bd, bd));
        CHECK(init_is(param_init(r.g, "N.dense1.w"), INIT_UNIFORM, -1 / sqrt(288.0), 1 / sqrt(288.0)));
        CHECK(init_is(param_init(r.g, "N.dense2.w"), INIT_UNIFORM, -b11, b11));
        CHECK(init_is(param_init(r.g, "N.dense2.b"), INIT_UNIFORM, -b11, b11));
        CHECK(init_is(param_init(r.g, "N.dense3.w"), INIT_UNIFORM, -1, 1));
        CHECK(find_param(r.g, "N.dense3.b") < 0);
        CHECK(init_is(param_init(r.g, "N.embedding1.table"), INIT_NORMAL, 0, 1));
        CHECK(init_is(param_init(r.g, "N.batchnorm1.gamma"), INIT_ONES, 0, 0));
        CHECK(init_is(param_init(r.g, "N.batchnorm1.beta"), INIT_ZEROS, 0, 0));
        int di = find_param(r.g, "N.deconv1.w"), ci = find_param(r.g, "N.conv1.w");
        CHECK(di >= 0 && r.g->params[di].fan_in == 72 && r.g->params[di].fan_out == 18);
        CHECK(ci >= 0 && r.g->params[ci].fan_in == 18 && r.g->params[ci].fan_out == 72);
        CHECK(r.g->init.kind == INIT_DEFAULT);
    }
    res_free(&r);
    /* the model-wide init replaces the default of weights: not of biases,
     * embeddings or norms */
    r = compile_src(fmt(src, "train { init normal(0, 0.05) }\n"), UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        double bc = 1 / sqrt(2 * 9.0);
        static const char *const weights[] = {"N.conv1.w", "N.deconv1.w", "N.dense1.w", "N.dense2.w",
                                              "N.dense3.w"};
        for (size_t i = 0; i < GENC_COUNT(weights); i++)
            CHECKF(init_is(param_init(r.g, weights[i]), INIT_NORMAL, 0, 0.05), "%s", weights[i]);
        CHECK(init_is(param_init(r.g, "N.conv1.b"), INIT_UNIFORM, -bc, bc));
        CHECK(init_is(param_init(r.g, "N.embedding1.table"), INIT_NORMAL, 0, 1));
        CHECK(init_is(param_init(r.g, "N.batchnorm1.gamma"), INIT_ONES, 0, 0));
        CHECK(init_is(param_init(r.g, "N.batchnorm1.beta"), INIT_ZEROS, 0, 0));
        CHECK(init_is(r.g->init, INIT_NORMAL, 0, 0.05));
    }
    res_free(&r);
    /* every initialiser and its defaults, as the model-wide init */
    static const struct {
        const char *text;
        InitKind kind;
        double a, b;
    } inits[] = {
        {"normal", INIT_NORMAL, 0, 0.02},           {"normal(1, 0.5)", INIT_NORMAL, 1, 0.5},
        {"uniform", INIT_UNIFORM, -0.1, 0.1},       {"uniform(-2, 3)", INIT_UNIFORM, -2, 3},
        {"xavier", INIT_XAVIER_UNIFORM, 1, 0},      {"xavier(gain: 2)", INIT_XAVIER_UNIFORM, 2, 0},
        {"xavier_normal", INIT_XAVIER_NORMAL, 1, 0}, {"kaiming", INIT_KAIMING_UNIFORM, 0, 0},
        {"kaiming_normal(0.2)", INIT_KAIMING_NORMAL, 0.2, 0},
        {"kaiming(slope: 0.1)", INIT_KAIMING_UNIFORM, 0.1, 0},
        {"zeros", INIT_ZEROS, 1, 0},                {"ones", INIT_ONES, 1, 0},
    };
    for (size_t i = 0; i < GENC_COUNT(inits); i++) {
        for (int layer = 0; layer < 2; layer++) {
            /* as the model-wide init, and as a layer's init: option */
            r = compile_src(layer ? fmt("z ~ normal(4)\nnet N(x: [4]) -> [1] { dense(1, init: %s) }\n"
                                        "min N: E[N(z)]\n", inits[i].text)
                                  : fmt("z ~ normal(4)\nnet N(x: [4]) -> [1] { dense(1) }\n"
                                        "min N: E[N(z)]\ntrain { init %s }\n", inits[i].text),
                            UPTO_LOWER);
            Init got = r.g ? param_init(r.g, "N.dense1.w") : (Init){INIT_COUNT, 0, 0};
            bool ok = got.kind == inits[i].kind &&
                      (got.kind == INIT_ZEROS || got.kind == INIT_ONES ||
                       init_is(got, inits[i].kind, inits[i].a, inits[i].b));
            CHECKF(ok, "%s %s gives kind %d (%g, %g)\n%s", layer ? "init:" : "init", inits[i].text,
                   got.kind, got.a, got.b, r.msgs);
            res_free(&r);
        }
    }
    /* a layer's init: wins over the model's; biases keep their default */
    r = compile_src("z ~ normal(4); c ~ categorical(3)\n"
                    "net N(x: [4], c: []) -> [1] {\n"
                    "    h = dense(x, 4, init: xavier) -> dense(1)\n"
                    "    e = embedding(c, 3, 2, init: uniform(-1, 1)) -> sum -> reshape(1)\n"
                    "    o = conv(reshape(h, 1, 1, 1), 2, 1, init: kaiming(0.2)) -> flatten -> dense(1)\n"
                    "    o + e\n"
                    "}\n"
                    "min N: E[N(z, c)]\n"
                    "train { init normal(0, 0.05) }\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        CHECK(init_is(param_init(r.g, "N.dense1.w"), INIT_XAVIER_UNIFORM, 1, 0));
        CHECK(init_is(param_init(r.g, "N.dense1.b"), INIT_UNIFORM, -0.5, 0.5));
        CHECK(init_is(param_init(r.g, "N.dense2.w"), INIT_NORMAL, 0, 0.05));
        CHECK(init_is(param_init(r.g, "N.embedding1.table"), INIT_UNIFORM, -1, 1));
        CHECK(init_is(param_init(r.g, "N.conv1.w"), INIT_KAIMING_UNIFORM, 0.2, 0));
        CHECK(init_is(param_init(r.g, "N.conv1.b"), INIT_UNIFORM, -1, 1));
    }
    res_free(&r);
    /* normal(std: 0.5): the option by its name */
    r = compile_src("z ~ normal(4)\nnet N(x: [4]) -> [1] { dense(1) }\nmin N: E[N(z)]\n"
                    "train { init normal(std: 0.5) }\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        Init in = param_init(r.g, "N.dense1.w");
        CHECKF(init_is(in, INIT_NORMAL, 0, 0.5), "init normal(std: 0.5) gave normal(%g, %g)", in.a, in.b);
    }
    res_free(&r);
}

/* ---- data, noise, settings, diagnostics -------------------------------- */

static void test_sources(void)
{
    Res r = compile_src("data x, y ~ mnist(test, range: [-1, 1])\n"
                        "z ~ uniform([2, 3], low: 0, high: 2)\n"
                        "c ~ categorical(7)\n"
                        "net N(x: [1, 28, 28], y: [10], z: [2, 3], c: [7]) -> [1] {\n"
                        "    concat(flatten(x), y, flatten(z), c) -> dense(1)\n"
                        "}\n"
                        "min N: E[N(x, onehot(y, 10), z, onehot(c, 7))]\n",
                        UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        const DataSrc *d = r.g->data;
        CHECK(d && strcmp(d->dataset, "mnist") == 0 && strcmp(d->split, "test") == 0 &&
              d->lo == -1 && d->hi == 1 && d->classes == 10 && d->label_name &&
              strcmp(d->label_name, "y") == 0);
        CHECK(d && strcmp(shape_s(d->shape), "[B, 1, 28, 28]") == 0 &&
              strcmp(shape_s(d->label_shape), "[B]") == 0);
        CHECK(r.g->nnoise == 2);
        if (r.g->nnoise == 2) {
            CHECK(r.g->noise[0].kind == NOISE_UNIFORM && r.g->noise[0].a == 0 && r.g->noise[0].b == 2 &&
                  strcmp(shape_s(r.g->noise[0].shape), "[B, 2, 3]") == 0);
            CHECK(r.g->noise[1].kind == NOISE_CATEGORICAL && r.g->noise[1].classes == 7 &&
                  strcmp(shape_s(r.g->noise[1].shape), "[B]") == 0);
        }
        CHECK(count_op(r.g, OP_input) == 2);
    }
    res_free(&r);
    r = compile_src("data x ~ idx(\"some/dir\", shape: [3, 32, 32], classes: 100)\n"
                    "eps ~ normal(5, mean: 1, std: 2)\n"
                    "net N(x: [3, 32, 32]) -> [1] { flatten -> dense(1) }\n"
                    "min N: E[N(x)] + E[sum(eps)]\n",
                    UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        const DataSrc *d = r.g->data;
        CHECK(d && strcmp(d->dataset, "idx") == 0 && d->dir && strcmp(d->dir, "some/dir") == 0 &&
              strcmp(d->split, "train") == 0 && d->lo == 0 && d->hi == 1 && d->classes == 100 &&
              !d->label_name && strcmp(shape_s(d->shape), "[B, 3, 32, 32]") == 0);
        CHECK(r.g->nnoise == 1 && r.g->noise[0].kind == NOISE_NORMAL && r.g->noise[0].a == 1 &&
              r.g->noise[0].b == 2);
    }
    res_free(&r);
}

static void test_diagnostics(void)
{
    /* the format: file:line:col: error: message, the line, a caret under
     * the offending text, and the count at the end */
    Res r = compile_src("z ~ normal(100)\n"
                        "net G(z: [100]) -> [1, 32, 32] { dense(1024) -> reshape(1, 32, 32) }\n"
                        "net D(x: [1, 28, 28]) -> [1] { flatten -> dense(1) }\n"
                        "min G max D: E[D(G(z))]\n",
                        UPTO_LOWER);
    CHECK(r.g == NULL && r.nerrors == 1);
    CHECKF(has(r.msgs, "t.g:4:18: error: D expects [B, 1, 28, 28] but G returns [B, 1, 32, 32]\n"
                       "min G max D: E[D(G(z))]\n"
                       "                 ^\n"),
           "%s", r.msgs);
    res_free(&r);
    /* several errors in one run, with hints */
    r = compile_src("z ~ normal(100)\n"
                    "net G(z: [100]) -> [1] { dense(1) -> sigmod }\n"
                    "net D(x: [1]) -> [1] { dense(1, bas: false) }\n"
                    "min G max D: E[D(G(z))]\n",
                    UPTO_LOWER);
    CHECK(r.g == NULL && r.nerrors >= 2);
    CHECKF(has(r.msgs, "t.g:2:38: error: unknown name 'sigmod'; did you mean 'sigmoid'?"), "%s", r.msgs);
    CHECKF(has(r.msgs, "t.g:3:33: error: 'dense' has no option 'bas'; did you mean 'bias'?"), "%s",
           r.msgs);
    /* a net whose only layer has an error gets no second error at the
     * objective ("net 'D' has no weights to train") */
    CHECKF(r.nerrors == 2, "%d errors:\n%s", r.nerrors, r.msgs);
    res_free(&r);
    /* syntax errors come from the parser, with the same format */
    r = compile_src("z ~ normal(100\nnet G(z: [100]) -> [1] { dense(1) }\n", UPTO_LOWER);
    CHECKF(r.g == NULL && has(r.msgs, "t.g:2:1: error: syntax error"), "%s", r.msgs);
    res_free(&r);
    r = compile_src("z ~ normal(4)\nnet N(x: [4]) -> [1] { dense(1) }\n", UPTO_LOWER);
    CHECKF(has(r.msgs, "error: missing objective"), "%s", r.msgs);
    res_free(&r);
    r = compile_src("z ~ normal(4)\nnet N(x: [4]) -> [1] { dense(1) }\nmin N: E[N(z)]\n"
                    "train { steps N: 2  batch 0  optimizer adam(beta1: 1) }\n",
                    UPTO_LOWER);
    CHECKF(r.nerrors == 2 && has(r.msgs, "'batch' must be positive, got 0") &&
               has(r.msgs, "'beta1' must be below 1, got 1"),
           "%s", r.msgs);
    res_free(&r);
    /* an undefined name in a shape is reported as such, once */
    r = compile_src("z ~ normal(4)\nnet N(x: [nz]) -> [1] { dense(1) }\nmin N: E[N(z)]\n", UPTO_LOWER);
    CHECK(r.g == NULL);
    CHECKF(has(r.msgs, "t.g:2:11: error: unknown name 'nz'") && r.nerrors == 1, "%s", r.msgs);
    res_free(&r);
}

/* The researcher's toolkit: schedules (their values, where they stand),
 * the averages of a player's weights, spectral norm's nodes and state. */
static void test_toolkit(void)
{
    const char *src = "data x ~ mnist(train, range: [-1, 1]); z ~ normal(4)\n"
                      "let beta = linear(0, 1, epochs: 2)\n"
                      "net G(z: [4]) -> [1, 28, 28] {\n"
                      "    dense(3 * 7 * 7) -> batchnorm -> reshape(3, 7, 7)\n"
                      "    deconv(1, 4, stride: 4, padding: valid, spectral_norm: true) -> tanh\n"
                      "}\n"
                      "net D(x: [1, 28, 28]) -> [1] { conv(2, 3, stride: 2, spectral_norm: true) -> "
                      "flatten -> dense(1, spectral_norm: true) }\n"
                      "min D: E[relu(1 - D(x))] + beta * E[relu(1 + D(G(z)))]\n"
                      "min G: -E[D(G(z))]\n"
                      "train { ema G: 0.99  ema_start 5  lr G: cosine(1e-3, 0, warmup: 10) }\n";
    Res r = compile_src(src, UPTO_LOWER);
    CHECKF(r.g, "%s", r.msgs);
    if (r.g) {
        Graph *g = r.g;
        CHECK(g->nscheds == 2 && g->ema_start == 5);
        CHECK(g->nscheds == 2 && strcmp(g->scheds[0].name, "beta") == 0 &&
              strcmp(g->scheds[1].name, "lr_G") == 0);
        CHECK(g->nphases == 2 && g->phases[0].lr_sched == -1 && g->phases[1].lr_sched == 1);
        /* G's parameters and batchnorm statistics are averaged, D's not */
        for (int i = 0; i < g->nparams; i++)
            CHECKF(g->params[i].ema == (g->params[i].owner[0] == 'G' ? 0.99 : 0), "%s: ema %g",
                   g->params[i].path, g->params[i].ema);
        /* spectral norm: one sigma per layer, a deconv's rows its second
         * axis, u and v as state beside batchnorm's statistics */
        int sig = 0, axis1 = 0;
        for (int n = 0; n < g->nnodes; n++)
            if (g->nodes[n].op == OP_spectral_sigma) {
                sig++;
                const LayerState *st = &g->states[g->nodes[n].attr.state];
                Shape w = g->nodes[g->nodes[n].in[0]].shape;
                int rows = w.d[g->nodes[n].attr.axis];
                CHECKF(st->shape.d[0] == rows + shape_count(w) / rows, "%s: u and v [%d]",
                       st->path, st->shape.d[0]);
                axis1 += g->nodes[n].attr.axis == 1 && strcmp(st->path, "G.deconv1") == 0;
            }
        CHECK(sig == 3 && axis1 == 1 && g->nstates == 4);
        /* the schedule is in the hash: another one is another model */
        uint64_t h = graph_hash(g);
        g->scheds[0].b = 2;
        CHECK(graph_hash(g) != h);
    }
    res_free(&r);
    /* the values: 100 steps of 10 an epoch */
    Schedule lin = {SCHED_LINEAR, 0, 1, 2, true, 0, NULL, {0}};
    CHECK_NEAR(sched_value(&lin, 0, 10, 100), 0, 1e-12);
    CHECK_NEAR(sched_value(&lin, 5, 10, 100), 0.25, 1e-12);
    CHECK_NEAR(sched_value(&lin, 50, 10, 100), 1, 1e-12);
    Schedule cosw = {SCHED_COSINE, 1e-3, 0, 0, false, 10, NULL, {0}};
    CHECK_NEAR(sched_value(&cosw, 0, 10, 100), 1e-4, 1e-15);   /* warm-up: (t + 1) / 10 */
    CHECK_NEAR(sched_value(&cosw, 9, 10, 100), 1e-3, 1e-15);
    CHECK_NEAR(sched_value(&cosw, 10, 10, 100), 1e-3, 1e-15);  /* the cosine, over 90 steps */
    CHECK_NEAR(sched_value(&cosw, 55, 10, 100), 0.5e-3, 1e-15);
    CHECK_NEAR(sched_value(&cosw, 100, 10, 100), 0, 1e-15);
    Schedule warm = {SCHED_WARMUP, 2, 0, 4, false, 0, NULL, {0}};
    CHECK_NEAR(sched_value(&warm, 1, 10, 100), 1, 1e-12);
    CHECK_NEAR(sched_value(&warm, 40, 10, 100), 2, 1e-12);
    Schedule decay = {SCHED_STEP_DECAY, 1, 0.5, 3, true, 0, NULL, {0}};
    CHECK_NEAR(sched_value(&decay, 29, 10, 100), 1, 1e-12);
    CHECK_NEAR(sched_value(&decay, 30, 10, 100), 0.5, 1e-12);
    CHECK_NEAR(sched_value(&decay, 95, 10, 100), 0.125, 1e-12);
    char b[128];
    CHECK(strcmp(sched_str(&cosw, b, sizeof b), "cosine(0.001, 0, warmup: 10)") == 0);
    CHECK(strcmp(sched_str(&decay, b, sizeof b), "step_decay(1, 0.5, epochs: 3)") == 0);
}

int main(void)
{
    test_conv_shapes();
    test_conv_examples();
    test_layer_shapes();
    test_broadcasting();
    test_flow();
    test_rewrites();
    test_cse();
    test_gan_phases();
    test_objectives();
    test_init();
    test_sources();
    test_diagnostics();
    test_toolkit();
    return check_done("test_sema");
}
