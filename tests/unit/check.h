/* check.h: the unit-test harness. Each tests/unit/test_*.c (float32 build)
 * and f64_*.c (float64 build) is one program; CHECK records a failure with
 * file and line and keeps going; check_done() prints a summary and returns
 * the exit status, non-zero when anything failed. */
#ifndef GENC_CHECK_H
#define GENC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                           \
    do {                                                                      \
        check_count++;                                                        \
        if (!(cond)) {                                                        \
            check_failures++;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                   \
        }                                                                     \
    } while (0)

/* CHECK with a printf-style explanation on failure */
#define CHECKF(cond, ...)                                                     \
    do {                                                                      \
        check_count++;                                                        \
        if (!(cond)) {                                                        \
            check_failures++;                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,  \
                    #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    CHECKF(strcmp((a), (b)) == 0, "got \"%s\", want \"%s\"", (a), (b))

/* |a - b| <= tol * max(1, |a|, |b|) */
#define CHECK_NEAR(a, b, tol)                                                 \
    CHECKF(fabs((double)(a) - (double)(b)) <=                                 \
               (tol) * fmax(1.0, fmax(fabs((double)(a)), fabs((double)(b)))), \
           "%.10g vs %.10g (tol %g)", (double)(a), (double)(b), (double)(tol))

static inline int check_done(const char *name)
{
    if (check_failures)
        fprintf(stderr, "%s: %d of %d checks failed\n", name, check_failures,
                check_count);
    else
        printf("%s: %d checks passed\n", name, check_count);
    return check_failures ? 1 : 0;
}

#endif
