/* main.c: the genc command. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "passes/compile.h"
#include "ir/graph.h"
#include "passes/plan.h"
#include "cli/evaluate.h"
#include "cli/train.h"

#define GENC_VERSION "0.1.0"


static const char usage[] =
    "usage: genc COMMAND FILE.g [options]\n"
    "\n"
    "commands:\n"
    "  check FILE.g              compile only; report every error as file:line:col\n"
    "  graph FILE.g [options]    print the compiled graph\n"
    "      --after=PASS          lower, rewrite, autodiff (the default) or plan\n"
    "                            (plan: a training step's instructions and memory)\n"
    "      --dot                 Graphviz instead of text (render with: dot -Tsvg)\n"
    "      --stats [--batch N]   parameters, arena bytes and FLOPs per example per phase\n"
    "  run FILE.g [options]      train; writes runs/MODEL/: log.csv, samples/, checkpoint.genc\n"
    "      --epochs N --batch N --seed S --lr X   override the model's train block\n"
    "      --set 'SETTING'       any train-block line, after the file's: --set 'clip D: 0.02'\n"
    "      --steps N             stop after N steps\n"
    "      --out DIR             the run directory (default runs/MODEL)\n"
    "      --data DIR            IDX files (train-images-idx3-ubyte[.gz], ...) to train on\n"
    "      --resume              continue from the run directory's checkpoint, with the\n"
    "                            settings and --data it was started with\n"
    "      --restart             delete the run directory's run and start over\n"
    "      --checkpoint-every N  also checkpoint every N steps (always: every epoch)\n"
    "      --threads N           threads (default: every core)\n"
    "      --backend NAME        cpu (the default) or ref: the naive reference kernels,\n"
    "                            slow, to check the others (run, sample, eval, bench)\n"
    "      --quiet               no progress output\n"
    "  sample FILE.g [options]   images from a trained generator or decoder\n"
    "      --checkpoint PATH     default runs/MODEL/checkpoint.genc\n"
    "      --raw-weights         the trained weights, not their averages (a model with ema)\n"
    "      --data DIR            where a sample that reads the data finds its test examples\n"
    "      --n N --grid RxC      how many, and their layout (default 64, 8x8)\n"
    "      --seed S --label K    noise seed; the class, for a conditional model (its number,\n"
    "                            or its folder's name when trained on images(\"dir\"))\n"
    "      --out PATH            .png grid (default samples.png) or .idx (IDX3 bytes)\n"
    "      --interpolate         rows decoding the line between two test images' codes\n"
    "                            (needs an 'encode' setting; --grid ROWSxSTEPS, default 8x10)\n"
    "  eval FILE.g [options]     losses on the test split (accuracy for a classifier)\n"
    "      --checkpoint PATH --raw-weights --data DIR --threads N --set 'SETTING'\n"
    "      --judge CLASSIFIER.g  score 1,000 samples with a trained classifier instead:\n"
    "                            share confident (p > 0.9), class coverage, Frechet distance\n"
    "                            (--data: where the judge finds the real images)\n"
    "      --judge-checkpoint PATH  default runs/CLASSIFIER/checkpoint.genc\n"
    "      --images FILE.idx     with FILE.g a classifier: score the file's first 1,000\n"
    "                            images (any generator's) the way --judge scores samples\n"
    "  bench FILE.g [options]    time training steps on random data of the model's shape\n"
    "      --steps N --warmup N --threads N --batch N (defaults 20, 3, every core, the model's)\n"
    "      --profile             time per op kind\n"
    "  bench --sgemm [--threads N]  the machine's sgemm GFLOP/s, the practical ceiling\n"
    "\n"
    "  genc --help               this text\n"
    "  genc --version            the version\n"
    "\n"
    "exit status: 0 ok, 1 runtime failure, 2 usage error, 3 compile errors;\n"
    "  genc run stopped by SIGHUP, SIGINT or SIGTERM: 129, 130, 143, after a checkpoint\n"
    "docs: docs/language.md (the .g language), docs/architecture.md (the compiler)\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "genc: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nrun 'genc --help' for usage\n");
    va_end(ap);
    return EXIT_USAGE;
}

static int cmd_check(int argc, char **argv)
{
    if (argc != 1) return usage_error("check takes one file, got %s", argc ? "more" : "none");
    int code;
    Graph *g = compile_file(argv[0], STOP_AUTODIFF, stderr, &code);
    graph_free(g);
    return code;
}

static bool int_arg(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* --stats: what a training step costs, per phase, from its plan. */
static void print_stats(const Graph *g, const Plan *step)
{
    int B = step->B;
    int64_t np = 0;
    for (int i = 0; i < g->nparams; i++) np += shape_count(g->params[i].shape);
    int64_t nstate = 0;
    for (int i = 0; i < g->nstates; i++) nstate += graph_state_count(g, i);
    printf("%s: %lld parameters (%.2f MB), %lld values of layer state\n", g->file, (long long)np,
           (double)np * sizeof(real) / 1e6, (long long)nstate);
    double flops[GENC_MAX_PHASES] = {0}, total = 0;
    for (int t = 0; t < step->nins; t++) {
        double f = plan_flops(g, step, &step->ins[t]);
        if (step->ins[t].phase >= 0) flops[step->ins[t].phase] += f;
        total += f;
    }
    printf("a step of every phase at batch %d: arena %.2f MB (largest kernel scratch %.2f MB), "
           "%.2f MFLOP per example\n",
           B, (double)step->arena * sizeof(real) / 1e6, (double)step->work * sizeof(real) / 1e6,
           total / B / 1e6);
    for (int p = 0; p < g->nphases; p++) {
        int64_t pp = 0;
        for (int j = 0; j < g->phases[p].nparams; j++)
            pp += shape_count(g->params[g->phases[p].params[j]].shape);
        Plan *alone = plan_step(g, B, 1u << p, backend_cpu.work_size);
        printf("phase %s: %lld parameters, %.2f MFLOP per example in the full step "
               "(arena %.2f MB when it runs alone)\n",
               g->phases[p].name, (long long)pp, flops[p] / B / 1e6,
               (double)alone->arena * sizeof(real) / 1e6);
        plan_free(alone);
    }
}

static int cmd_graph(int argc, char **argv)
{
    const char *file = NULL;
    CompileStop stop = STOP_AUTODIFF;
    bool dot = false, stats = false, plan = false;
    long long batch = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dot") == 0) dot = true;
        else if (strcmp(argv[i], "--stats") == 0) stats = true;
        else if (strcmp(argv[i], "--batch") == 0) {
            if (i + 1 == argc || !int_arg(argv[++i], 1, GENC_MAX_BATCH, &batch))
                return usage_error("--batch needs a whole number in 1..%d", GENC_MAX_BATCH);
        }
        else if (strcmp(argv[i], "--after=lower") == 0) stop = STOP_LOWER;
        else if (strcmp(argv[i], "--after=rewrite") == 0) stop = STOP_REWRITE;
        else if (strcmp(argv[i], "--after=autodiff") == 0) stop = STOP_AUTODIFF;
        else if (strcmp(argv[i], "--after=plan") == 0) plan = true;
        else if (strncmp(argv[i], "--after=", 8) == 0)
            return usage_error("unknown pass '%s' (lower, rewrite, autodiff or plan)", argv[i] + 8);
        else if (argv[i][0] == '-') return usage_error("unknown option '%s' for graph", argv[i]);
        else if (file) return usage_error("graph takes one file; '%s' is a second", argv[i]);
        else file = argv[i];
    }
    if (!file) return usage_error("graph needs a file");
    /* the plan and the stats are of the training step of every phase, at
     * --batch if given */
    bool planned = plan || (stats && stop == STOP_AUTODIFF);
    char text[32];
    const char *lines[] = {text};
    SetFile sets = {"--set", lines, 1};
    snprintf(text, sizeof text, "batch %lld", batch);
    int code;
    Compiled *c = compile(file, &sets, planned && batch > 0, planned ? STOP_PLAN : stop,
                          backend_cpu.work_size, stderr, &code);
    if (!c) return code;
    const Graph *g = c->g;
    const Plan *all = planned ? c->steps[(1u << g->nphases) - 1] : NULL;
    if (plan) {
        plan_print(g, all, stdout);
    } else if (stats) {
        if (stop != STOP_AUTODIFF) {
            compiled_free(c);
            return usage_error("--stats needs the whole graph; drop --after");
        }
        print_stats(g, all);
    } else if (dot) {
        graph_print_dot(c->g, stdout);
    } else {
        graph_print(c->g, stdout);
    }
    compiled_free(c);
    return EXIT_OK;
}

/* ---- the options of run, sample and eval ---- */

enum { C_RUN = 1, C_SAMPLE = 2, C_EVAL = 4, C_BENCH = 8 };

typedef enum {
    OPT_INT,     /* a whole number in lo..hi */
    OPT_LABEL,   /* a class: its number in lo..hi, or its name */
    OPT_LR,      /* a number in (0, GENC_MAX_LR] */
    OPT_FLAG,    /* no value: sets the field to true */
    OPT_TEXT,    /* a string, kept as given */
    OPT_GRID,    /* ROWSxCOLS, each 1..1000, into rows and cols */
    OPT_SET,     /* one train setting, appended to sets */
    OPT_BACKEND, /* a backend's name */
} OptKind;

#define FIELD(f) offsetof(RunOpts, f), sizeof(((RunOpts *)0)->f)
static const struct RunOption {
    const char *name;
    unsigned commands; /* C_RUN | C_SAMPLE | C_EVAL: where it is accepted */
    OptKind kind;
    size_t offset, size;
    long long lo, hi; /* OPT_INT */
} run_options[] = {
    {"--epochs", C_RUN, OPT_INT, FIELD(epochs), 1, GENC_MAX_EPOCHS},
    {"--batch", C_RUN | C_BENCH, OPT_INT, FIELD(batch), 1, GENC_MAX_BATCH},
    {"--steps", C_RUN, OPT_INT, FIELD(steps), 1, 1000000000000LL},
    {"--steps", C_BENCH, OPT_INT, FIELD(steps), 1, 1000000},
    {"--warmup", C_BENCH, OPT_INT, FIELD(warmup), 0, 1000000},
    {"--profile", C_BENCH, OPT_FLAG, FIELD(profile), 0, 0},
    {"--sgemm", C_BENCH, OPT_FLAG, FIELD(sgemm), 0, 0},
    {"--checkpoint-every", C_RUN, OPT_INT, FIELD(checkpoint_every), 1, 1000000000000LL},
    {"--resume", C_RUN, OPT_FLAG, FIELD(resume), 0, 0},
    {"--restart", C_RUN, OPT_FLAG, FIELD(restart), 0, 0},
    {"--quiet", C_RUN, OPT_FLAG, FIELD(quiet), 0, 0},
    {"--lr", C_RUN, OPT_LR, FIELD(lr), 0, 0},
    {"--n", C_SAMPLE, OPT_INT, FIELD(n), 1, GENC_MAX_SAMPLES},
    {"--interpolate", C_SAMPLE, OPT_FLAG, FIELD(interpolate), 0, 0},
    {"--label", C_SAMPLE, OPT_LABEL, FIELD(label), 0, 1000000},
    {"--grid", C_SAMPLE, OPT_GRID, FIELD(rows), 0, 0},
    {"--seed", C_RUN | C_SAMPLE | C_EVAL, OPT_INT, FIELD(seed), 0, GENC_MAX_SEED},
    {"--out", C_RUN, OPT_TEXT, FIELD(out), 0, 0},
    {"--out", C_SAMPLE, OPT_TEXT, FIELD(sample_out), 0, 0},
    {"--checkpoint", C_SAMPLE | C_EVAL, OPT_TEXT, FIELD(checkpoint), 0, 0},
    {"--raw-weights", C_SAMPLE | C_EVAL, OPT_FLAG, FIELD(raw_weights), 0, 0},
    {"--judge", C_EVAL, OPT_TEXT, FIELD(judge), 0, 0},
    {"--judge-checkpoint", C_EVAL, OPT_TEXT, FIELD(judge_checkpoint), 0, 0},
    {"--images", C_EVAL, OPT_TEXT, FIELD(images), 0, 0},
    {"--data", C_RUN | C_SAMPLE | C_EVAL, OPT_TEXT, FIELD(data_dir), 0, 0},
    {"--set", C_RUN | C_SAMPLE | C_EVAL, OPT_SET, FIELD(sets), 0, 0},
    {"--threads", C_RUN | C_SAMPLE | C_EVAL | C_BENCH, OPT_INT, FIELD(threads), 1, 1024},
    {"--backend", C_RUN | C_SAMPLE | C_EVAL | C_BENCH, OPT_BACKEND, FIELD(backend), 0, 0},
};
#undef FIELD

/* The value v of option op into o; an exit status. */
static int set_option(RunOpts *o, const struct RunOption *op, const char *v)
{
    char *field = (char *)o + op->offset, *end;
    long long n;
    switch (op->kind) {
    case OPT_INT:
        if (!int_arg(v, op->lo, op->hi, &n))
            return usage_error("%s needs a whole number in %lld..%lld, not '%s'", op->name, op->lo,
                               op->hi, v);
        if (op->size == sizeof(int)) *(int *)field = (int)n;
        else *(int64_t *)field = n;
        return 0;
    case OPT_LABEL: /* a class's name or number: sample looks it up in the checkpoint */
        o->label_name = v;
        return 0;
    case OPT_LR:
        o->lr = strtod(v, &end);
        if (*end || !(o->lr > 0 && o->lr <= GENC_MAX_LR))
            return usage_error("--lr needs a number above 0 and at most %g, not '%s'", GENC_MAX_LR, v);
        return 0;
    case OPT_FLAG: *(bool *)field = true; return 0;
    case OPT_TEXT:
        /* a path genc adds a file name to must fit the system's limit */
        if (!*v) return usage_error("%s needs a name, not ''", op->name);
        if (strlen(v) > GENC_MAX_PATH)
            return usage_error("%s is %zu bytes long; the limit is %d", op->name, strlen(v),
                               GENC_MAX_PATH);
        *(const char **)field = v;
        return 0;
    case OPT_GRID:
        if (sscanf(v, "%dx%d", &o->rows, &o->cols) != 2 || o->rows < 1 || o->cols < 1 ||
            o->rows > 1000 || o->cols > 1000)
            return usage_error("--grid needs ROWSxCOLS like 8x8, not '%s'", v);
        if (o->rows * o->cols > GENC_MAX_SAMPLES)
            return usage_error("--grid %s holds %d images, more than %d", v, o->rows * o->cols,
                               GENC_MAX_SAMPLES);
        return 0;
    case OPT_SET:
        if (strpbrk(v, "{}\n")) return usage_error("--set takes one train setting, without braces or newlines, not '%s'", v);
        if (o->nsets == GENC_MAX_SETS) return usage_error("more than %d --set options", GENC_MAX_SETS);
        o->sets[o->nsets++] = v;
        return 0;
    case OPT_BACKEND:
        if (!(o->backend = backend_find(v)))
            return usage_error("--backend: unknown backend '%s' (cpu, ref)", v);
        return 0;
    }
    return 0;
}

/* Options shared by run, sample and eval; each command accepts the ones
 * of its row in run_options (its usage lists them). */
static int parse_run_opts(const char *cmd, unsigned command, int argc, char **argv, RunOpts *o)
{
    *o = (RunOpts){.seed = -1, .label = -1, .warmup = -1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (o->file) return usage_error("one model file only; '%s' is a second", a);
            o->file = a;
            continue;
        }
        size_t k = 0;
        while (k < GENC_COUNT(run_options) &&
               (strcmp(run_options[k].name, a) != 0 || !(run_options[k].commands & command)))
            k++;
        if (k == GENC_COUNT(run_options)) return usage_error("unknown option '%s'", a);
        const char *v = NULL;
        if (run_options[k].kind != OPT_FLAG) {
            if (i + 1 == argc) return usage_error("option %s needs a value", a);
            v = argv[++i];
        }
        int bad = set_option(o, &run_options[k], v);
        if (bad) return bad;
    }
    if (!o->file && !o->sgemm) return usage_error("%s needs a model file", cmd);
    /* the file is written as its name says, so a name that says neither is refused */
    if (o->sample_out && !base_ends_with(o->sample_out, ".png")) {
        if (o->interpolate)
            return usage_error("--out %s: --interpolate writes a grid, to a .png file", o->sample_out);
        if (!base_ends_with(o->sample_out, ".idx"))
            return usage_error("--out %s: the file's name must end in .png (a grid) or .idx (IDX bytes)",
                               o->sample_out);
    }
    if (o->images && (o->judge || o->judge_checkpoint))
        return usage_error("--images makes %s the judge; drop --judge and --judge-checkpoint", o->file);
    if (o->resume && o->restart)
        return usage_error("--resume continues the run in the folder and --restart deletes it: "
                           "choose one");
    return 0;
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    /* A standard descriptor closed at start would be taken by the next
     * file genc opens (log.csv as descriptor 2 would receive the progress
     * lines): each is opened on /dev/null instead. */
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
            return EXIT_RUNTIME;
    /* OpenBLAS's pthread build starts a worker per core when it loads, before
     * main. genc's pool runs every thread itself and calls BLAS from several
     * of them (the serial build is not safe for that), so the library must
     * start none: its idle workers only compete with the pool, and one that
     * cannot allocate its buffer under a memory limit hangs the exit. The
     * setting is read when the library loads, so set it and start again. */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
        /* if that failed, carry on with the library's workers */
    }
    /* A write past the file size limit (ulimit -f) then fails with EFBIG and
     * is reported like a full disk, instead of killing genc without a word
     * (log.csv, sample grids, IDX files; checkpoints hold it back anyway). */
    signal(SIGXFSZ, SIG_IGN);
    int status = dispatch(argc, argv);
    /* output cut short (a full disk) is a failure, not a success */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno ? errno : EIO;
        fprintf(stderr, "genc: error: cannot write to standard output: %s%s\n", strerror(e),
                base_errno_hint(e));
        if (status == EXIT_OK) status = EXIT_RUNTIME;
    }
    return status;
}

/* The command line, once genc's process is set up: an exit status. */
static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    /* `genc run --help` and the like: the user asks, so not an error */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
    if (strcmp(cmd, "--version") == 0) {
        printf("genc %s (%s)\n", GENC_VERSION, REAL_NAME);
        return EXIT_OK;
    }
    /* the commands: those with options of their own, then those of RunOpts */
    static const struct {
        const char *name;
        int (*own)(int argc, char **argv);
        unsigned command; /* run_options' bit */
        int (*run)(RunOpts *o);
    } commands[] = {
        {"check", cmd_check, 0, NULL},          {"graph", cmd_graph, 0, NULL},
        {"run", NULL, C_RUN, train_run},        {"sample", NULL, C_SAMPLE, eval_sample},
        {"eval", NULL, C_EVAL, eval_test},      {"bench", NULL, C_BENCH, bench_run},
    };
    for (size_t k = 0; k < GENC_COUNT(commands); k++) {
        if (strcmp(cmd, commands[k].name) != 0) continue;
        if (commands[k].own) return commands[k].own(argc - 2, argv + 2);
        RunOpts o;
        int bad = parse_run_opts(cmd, commands[k].command, argc - 2, argv + 2, &o);
        o.argc = argc;
        o.argv = argv;
        return bad ? bad : commands[k].run(&o);
    }
    return usage_error("unknown command '%s'", cmd);
}
