/* ckpt_same A B: whether two checkpoints hold the same run: every section
 * but "command" (how the command line gave the settings, which differs
 * between equal runs: --lr 0.001 or --set 'lr 0.001') byte for byte, and
 * no section in one only. Exit 0 same, 1 different (naming the first
 * section that differs), 2 unreadable. For the end-to-end tests. */
#include <stdio.h>
#include <string.h>

#include "io/checkpoint.h"

static int contains(const Ckpt *in, const Ckpt *of, const char *a, const char *b)
{
    for (size_t i = 0; i < ckpt_count(of); i++) {
        char name[256];
        size_t n, m;
        const void *x = ckpt_section(of, i, name, sizeof name, &n);
        if (strcmp(name, "command") == 0) continue;
        int64_t size = ckpt_size(in, name);
        bool same = size == (int64_t)n;
        for (size_t k = 0; same && k < ckpt_count(in); k++) {
            char other[256];
            const void *y = ckpt_section(in, k, other, sizeof other, &m);
            if (strcmp(other, name) == 0) same = memcmp(x, y, n) == 0;
        }
        if (!same) {
            printf("%s and %s differ in section %s\n", a, b, name);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ckpt_same A.genc B.genc\n");
        return 2;
    }
    char err[CKPT_ERR_LEN];
    Ckpt *a = ckpt_read(argv[1], NULL, 0, err), *b = a ? ckpt_read(argv[2], NULL, 0, err) : NULL;
    int rc = 2;
    if (!b) fprintf(stderr, "ckpt_same: %s\n", err);
    else rc = contains(b, a, argv[1], argv[2]) || contains(a, b, argv[2], argv[1]);
    ckpt_free(a);
    ckpt_free(b);
    return rc;
}
