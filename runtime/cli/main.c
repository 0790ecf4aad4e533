/* main.c: the genc command. */
#include <errno.h>
#include <signal.h>
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
    "      --resume              continue from the run directory's checkpoint\n"
    "      --checkpoint-every N  also checkpoint every N steps (always: every epoch)\n"
    "      --threads N           threads (default: every core)\n"
    "      --backend NAME        cpu (the default) or ref: the naive reference kernels,\n"
    "                            slow, to check the others (run, sample, eval, bench)\n"
    "      --quiet               no progress output\n"
    "  sample FILE.g [options]   images from a trained generator or decoder\n"
    "      --checkpoint PATH     default runs/MODEL/checkpoint.genc\n"
    "      --n N --grid RxC      how many, and their layout (default 64, 8x8)\n"
    "      --seed S --label K    noise seed; the class, for a conditional model\n"
    "      --out PATH            .png grid (default samples.png) or .idx (IDX3 bytes)\n"
    "      --interpolate         rows decoding the line between two test images' codes\n"
    "                            (needs an 'encode' setting; --grid ROWSxSTEPS, default 8x10)\n"
    "  eval FILE.g [options]     losses on the test split (accuracy for a classifier)\n"
    "      --checkpoint PATH --data DIR --threads N --set 'SETTING'\n"
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
    "exit status: 0 ok, 1 runtime failure, 2 usage error, 3 compile errors\n"
    "docs: docs/language.md (the .g language), docs/architecture.md (the compiler)\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "genc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nrun 'genc --help' for usage\n");
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
    printf("%s: %lld parameters (%.2f MB), %lld batchnorm statistics\n", g->file, (long long)np,
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
            if (i + 1 == argc || !int_arg(argv[++i], 1, 65536, &batch))
                return usage_error("--batch needs a whole number in 1..65536%s", "");
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
    if (!file) return usage_error("graph needs a file%s", "");
    /* the plan and the stats are of the training step of every phase, at
     * --batch if given */
    bool planned = plan || (stats && stop == STOP_AUTODIFF);
    char text[32];
    const char *sets[] = {text};
    snprintf(text, sizeof text, "batch %lld", batch);
    int code;
    Compiled *c = compile(file, sets, planned && batch > 0, planned ? STOP_PLAN : stop,
                          backend_cpu.work_size, stderr, &code);
    if (!c) return code;
    const Graph *g = c->g;
    const Plan *all = planned ? c->steps[(1u << g->nphases) - 1] : NULL;
    if (plan) {
        plan_print(g, all, stdout);
    } else if (stats) {
        if (stop != STOP_AUTODIFF) {
            compiled_free(c);
            return usage_error("--stats needs the whole graph; drop --after%s", "");
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

/* Options shared by run, sample and eval; each command accepts the ones
 * its usage lists. */
static int parse_run_opts(const char *cmd, int argc, char **argv, RunOpts *o)
{
    *o = (RunOpts){.seed = -1, .label = -1};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long long n;
        bool is_run = strcmp(cmd, "run") == 0, is_sample = strcmp(cmd, "sample") == 0;
#define NEED_VALUE()                                                                   \
    do {                                                                               \
        if (!v) return usage_error("option %s needs a value", a);                      \
        i++;                                                                           \
    } while (0)
#define INT_OPT(name, lo, hi, field)                                                   \
    if (strcmp(a, name) == 0) {                                                        \
        NEED_VALUE();                                                                  \
        if (!int_arg(v, lo, hi, &n)) return usage_error(name " needs a whole number in " #lo ".." #hi ", not '%s'", v); \
        field = n;                                                                     \
        continue;                                                                      \
    }
        if (a[0] != '-') {
            if (o->file) return usage_error("one model file only; '%s' is a second", a);
            o->file = a;
            continue;
        }
        if (is_run) {
            INT_OPT("--epochs", 1, 1000000, o->epochs)
            INT_OPT("--batch", 1, 65536, o->batch)
            INT_OPT("--steps", 1, 1000000000000LL, o->steps)
            INT_OPT("--checkpoint-every", 1, 1000000000000LL, o->checkpoint_every)
            if (strcmp(a, "--resume") == 0) { o->resume = true; continue; }
            if (strcmp(a, "--quiet") == 0) { o->quiet = true; continue; }
            if (strcmp(a, "--lr") == 0) {
                NEED_VALUE();
                char *end;
                o->lr = strtod(v, &end);
                if (*end || !(o->lr > 0 && o->lr < 1e6)) return usage_error("--lr needs a positive number, not '%s'", v);
                continue;
            }
        }
        if (is_sample) {
            INT_OPT("--n", 1, 100000, o->n)
            if (strcmp(a, "--interpolate") == 0) { o->interpolate = true; continue; }
            INT_OPT("--label", 0, 1000000, o->label)
            if (strcmp(a, "--grid") == 0) {
                NEED_VALUE();
                if (sscanf(v, "%dx%d", &o->rows, &o->cols) != 2 || o->rows < 1 || o->cols < 1 ||
                    o->rows > 1000 || o->cols > 1000)
                    return usage_error("--grid needs ROWSxCOLS like 8x8, not '%s'", v);
                continue;
            }
        }
        if (is_run || is_sample) {
            INT_OPT("--seed", 0, 4000000000LL, o->seed)
            if (strcmp(a, "--out") == 0) {
                NEED_VALUE();
                if (is_run) o->out = v;
                else o->sample_out = v;
                continue;
            }
        }
        if (!is_run) {
            if (strcmp(a, "--checkpoint") == 0) { NEED_VALUE(); o->checkpoint = v; continue; }
        }
        if (!is_run && !is_sample) {
            if (strcmp(a, "--judge") == 0) { NEED_VALUE(); o->judge = v; continue; }
            if (strcmp(a, "--judge-checkpoint") == 0) { NEED_VALUE(); o->judge_checkpoint = v; continue; }
            if (strcmp(a, "--images") == 0) { NEED_VALUE(); o->images = v; continue; }
            INT_OPT("--seed", 0, 4000000000LL, o->seed)
        }
        if (strcmp(a, "--data") == 0) { NEED_VALUE(); o->data_dir = v; continue; }
        if (strcmp(a, "--set") == 0) {
            NEED_VALUE();
            if (strpbrk(v, "{}\n")) return usage_error("--set takes one train setting, without braces or newlines, not '%s'", v);
            if (o->nsets == GENC_MAX_SETS) return usage_error("more than 64 --set options%s", "");
            o->sets[o->nsets++] = v;
            continue;
        }
        INT_OPT("--threads", 1, 1024, o->threads)
        if (strcmp(a, "--backend") == 0) {
            NEED_VALUE();
            if (!(o->backend = backend_find(v)))
                return usage_error("--backend: unknown backend '%s' (cpu, ref)", v);
            continue;
        }
        return usage_error("unknown option '%s'", a);
#undef INT_OPT
#undef NEED_VALUE
    }
    if (!o->file) return usage_error("%s needs a model file", cmd);
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
    return 0;
}

static int cmd_bench(int argc, char **argv)
{
    BenchOpts o = {.steps = 20, .warmup = 3, .threads = (int)sysconf(_SC_NPROCESSORS_ONLN)};
    for (int i = 0; i < argc; i++) {
        long long v;
        const char *a = argv[i];
        int *field = !strcmp(a, "--steps") ? &o.steps : !strcmp(a, "--warmup") ? &o.warmup
                     : !strcmp(a, "--threads") ? &o.threads : !strcmp(a, "--batch") ? &o.batch : NULL;
        if (field) {
            if (i + 1 == argc || !int_arg(argv[++i], 0, 1000000, &v))
                return usage_error("%s needs a whole number", a);
            *field = (int)v;
        } else if (!strcmp(a, "--profile")) {
            o.profile = true;
        } else if (!strcmp(a, "--sgemm")) {
            o.sgemm = true;
        } else if (!strcmp(a, "--backend")) {
            if (i + 1 == argc || !(o.backend = backend_find(argv[++i])))
                return usage_error("--backend needs a backend: cpu or ref%s", "");
        } else if (a[0] == '-') {
            return usage_error("unknown option '%s' for bench", a);
        } else if (o.file) {
            return usage_error("bench takes one file; '%s' is a second", a);
        } else {
            o.file = a;
        }
    }
    if (!o.file && !o.sgemm) return usage_error("bench needs a model file%s", "");
    if (o.steps < 1) return usage_error("--steps must be at least 1%s", "");
    return bench_run(&o);
}

int main(int argc, char **argv)
{
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
    if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "graph") == 0) return cmd_graph(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "sample") == 0 || strcmp(cmd, "eval") == 0) {
        RunOpts o;
        int bad = parse_run_opts(cmd, argc - 2, argv + 2, &o);
        if (bad) return bad;
        return cmd[0] == 'r' ? train_run(&o) : cmd[0] == 's' ? eval_sample(&o) : eval_test(&o);
    }
    return usage_error("unknown command '%s'", cmd);
}
