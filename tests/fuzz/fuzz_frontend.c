/* fuzz_frontend.c: the bytes as a .g file through the whole front end, as
 * `genc graph` runs it (runtime/passes/compile.c): parse, sema, lower, rewrite,
 * autodiff, then the printers and the hash. Whatever the bytes, this must
 * not crash, hang, leak, or trip a sanitizer; errors go to /dev/null
 * (formatted all the same: the caret lines are part of what is tested).
 *
 * Built two ways (Makefile, "# fuzzing"): with libFuzzer by `make fuzz`,
 * and with tests/fuzz/replay.c by `make test`, which runs the committed
 * corpus tests/fuzz/corpus/frontend/ through it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "passes/autodiff.h"
#include "passes/compile.h"
#include "grammar/diag.h"
#include "ir/graph.h"
#include "grammar/lower.h"
#include "grammar/parse.h"
#include "grammar/rewrite.h"
#include "grammar/sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bad(const char *what, int i)
{
    fprintf(stderr, "fuzz_frontend: the compiled graph is malformed: %s (%d)\n", what, i);
    abort();
}

static bool shape_ok(Shape s)
{
    if (s.nd < 0 || s.nd > GENC_MAX_DIMS) return false;
    for (int i = 0; i < s.nd; i++)
        if (s.d[i] < 1) return false;
    return true;
}

/* graph.h's promises, which plan.c and exec.c take for granted */
static void check_graph(const Graph *g)
{
    for (int i = 0; i < g->nnodes; i++) {
        const Node *n = &g->nodes[i];
        if ((unsigned)n->op >= OP_COUNT) bad("an op out of range", i);
        int arity = op_info[n->op].arity;
        if (n->nin < 0 || n->nin > GRAPH_MAXIN || (arity >= 0 && n->nin != arity))
            bad("an input count unlike the op's arity", i);
        for (int j = 0; j < n->nin; j++)
            if (n->in[j] < 0 || n->in[j] >= i) bad("an input that is not an earlier node", i);
        if (!shape_ok(n->shape)) bad("a shape with a dimension out of range", i);
        if (n->op == OP_param &&
            (n->attr.param < 0 || n->attr.param >= g->nparams ||
             !shape_eq(n->shape, g->params[n->attr.param].shape)))
            bad("a parameter node unlike its parameter", i);
        if (n->op == OP_noise && (n->attr.noise < 0 || n->attr.noise >= g->nnoise))
            bad("a noise node without its source", i);
        if (op_info[n->op].kind == OPK_UNARY && !shape_eq(n->shape, g->nodes[n->in[0]].shape))
            bad("an elementwise op that changes its input's shape", i);
        if (node_has(n, ATTR_state) && (n->attr.state < 0 || n->attr.state >= g->nstates))
            bad("a node without its layer state", i);
    }
    for (int p = 0; p < g->nparams; p++)
        if (!shape_ok(g->params[p].shape) || g->params[p].shape.batch)
            bad("a parameter shape", p);
    for (int p = 0; p < g->nphases; p++) {
        const Phase *ph = &g->phases[p];
        if (ph->loss < 0 || ph->loss >= g->nnodes) bad("a phase loss out of range", p);
        Shape ls = g->nodes[ph->loss].shape;
        if (ls.batch || shape_count(ls) != 1) bad("a phase loss that is not a scalar", p);
        if (ph->nparams < 1 || !ph->grads) bad("a phase without parameters or gradients", p);
        if (ph->every < 1) bad("a phase that never runs", p);
        for (int k = 0; k < ph->nparams; k++) {
            int q = ph->params[k], d = ph->grads[k];
            if (q < 0 || q >= g->nparams) bad("a phase parameter out of range", p);
            if (d < -1 || d >= g->nnodes) bad("a gradient node out of range", p);
            if (d >= 0 && !shape_eq(g->nodes[d].shape, g->params[q].shape))
                bad("a gradient whose shape is not its parameter's", p);
        }
    }
    int roots[3] = {g->sample, g->judge, g->features};
    for (int r = 0; r < 3; r++)
        if (roots[r] < -1 || roots[r] >= g->nnodes) bad("a sample, judge or features node", r);
    if (g->nphases < 1) bad("a compiled model with nothing to train", 0);
}

typedef struct Input {
    const uint8_t *data;
    size_t size;
} Input;

static void fuzz_one(void *p)
{
    static FILE *null;
    if (!null && !(null = fopen("/dev/null", "w"))) abort();
    const uint8_t *data = ((Input *)p)->data;
    size_t size = ((Input *)p)->size;
    const char *file = "fuzz.g";
    const char *src = (const char *)data;
    Diag diag;
    diag_init(&diag, file, src, size, null);
    Program prog = {0};
    Model *model = NULL;
    Graph *g = NULL;

    parse_source(&diag, file, src, size, &prog);
    if (diag.nerrors == 0) model = sema_check(&diag, &prog, file);
    if (model) g = lower_model(model);
    if (g) rewrite_graph(g);
    if (g && autodiff_graph(g, &diag)) {
        graph_free(g);
        g = NULL;
    }
    diag_summary(&diag);
    if ((g != NULL) != (diag.nerrors == 0)) {
        fprintf(stderr, "fuzz_frontend: %s with %d errors\n", g ? "compiled" : "refused",
                diag.nerrors);
        abort();
    }
    /* compile frees these before anyone uses the graph: so does
     * this, so that a graph pointing into them is caught */
    sema_free(model);
    program_free(&prog);
    if (g) {
        check_graph(g);
        graph_print(g, null);
        graph_print_dot(g, null);
        (void)graph_hash(g);
    }
    graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* compile.c refuses sources over 64 MB before parsing; the scanner
     * takes an int length */
    if (size > (64u << 20)) return 0;
    /* on the stack compile.c gives the passes */
    Input in = {data, size};
    compile_on_big_stack(fuzz_one, &in);
    return 0;
}
