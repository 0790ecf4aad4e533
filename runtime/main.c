/* main.c: the genc command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "graph.h"

#define GENC_VERSION "0.1.0"

/* Exit codes (docs/architecture.md): 0 ok, 1 runtime failure, 2 usage,
 * 3 compile errors. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_COMPILE = 3 };

static const char usage[] =
    "usage: genc COMMAND FILE.g [options]\n"
    "\n"
    "commands:\n"
    "  check FILE.g              compile only; report every error as file:line:col\n"
    "  graph FILE.g [options]    print the compiled graph\n"
    "      --after=PASS          lower, rewrite or autodiff (the default)\n"
    "      --dot                 Graphviz instead of text (render with: dot -Tsvg)\n"
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

static int cmd_graph(int argc, char **argv)
{
    const char *file = NULL;
    CompileStop stop = STOP_AUTODIFF;
    bool dot = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dot") == 0) dot = true;
        else if (strcmp(argv[i], "--after=lower") == 0) stop = STOP_LOWER;
        else if (strcmp(argv[i], "--after=rewrite") == 0) stop = STOP_REWRITE;
        else if (strcmp(argv[i], "--after=autodiff") == 0) stop = STOP_AUTODIFF;
        else if (strncmp(argv[i], "--after=", 8) == 0)
            return usage_error("unknown pass '%s' (lower, rewrite or autodiff)", argv[i] + 8);
        else if (argv[i][0] == '-') return usage_error("unknown option '%s' for graph", argv[i]);
        else if (file) return usage_error("graph takes one file; '%s' is a second", argv[i]);
        else file = argv[i];
    }
    if (!file) return usage_error("graph needs a file%s", "");
    int code;
    Graph *g = compile_file(file, stop, stderr, &code);
    if (!g) return code;
    if (dot) graph_print_dot(g, stdout);
    else graph_print(g, stdout);
    graph_free(g);
    return EXIT_OK;
}

int main(int argc, char **argv)
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
    if (strcmp(cmd, "--version") == 0) {
        printf("genc %s (%s)\n", GENC_VERSION, REAL_NAME);
        return EXIT_OK;
    }
    if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "graph") == 0) return cmd_graph(argc - 2, argv + 2);
    return usage_error("unknown command '%s'", cmd);
}
