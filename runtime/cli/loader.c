/* loader.c: batches assembled a step ahead (see loader.h). */
#include "cli/loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli/run.h"
#include "exec/rng.h"

/* Which batch, and where the run is. */
typedef struct Job {
    uint64_t epoch, pos, step;
} Job;

struct Loader {
    const DataSet *ds;
    const DataSrc *d;
    int B;
    uint64_t seed;
    int64_t per_epoch;
    size_t nx, ny;        /* reals of a batch's examples and labels */
    int *perm;            /* the shuffle of epoch perm_epoch (-1: none yet) */
    int64_t perm_epoch;
    real *x, *y;          /* the batch assembled ahead */
    Job ahead;            /* which one it is */
    enum { IDLE, WORKING, READY } state;
    bool quit;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Batch j into x, y; by one thread at a time (the loader's while WORKING,
 * the caller's otherwise), as it uses the loader's permutation. */
static void loader_assemble(Loader *l, Job j, real *x, real *y)
{
    if (l->perm_epoch != (int64_t)j.epoch) {
        Rng sh = rng_stream(l->seed, STREAM_SHUFFLE + j.epoch);
        data_shuffle(l->perm, l->ds->n, rng_u64_of, &sh);
        l->perm_epoch = (int64_t)j.epoch;
    }
    data_batch(l->ds, l->perm + j.pos * (uint64_t)l->B, l->B, (real)l->d->lo, (real)l->d->hi, x, y);
    if (l->d->flip || l->d->shift) {
        Rng aug = rng_stream(l->seed, STREAM_AUGMENT + j.step);
        data_augment(x, l->B, l->d->shape.d[0], l->d->shape.d[1], l->d->shape.d[2], l->d->flip,
                     l->d->shift, (real)l->d->lo, rng_u64_of, &aug);
    }
}

static void *loader_main(void *arg)
{
    Loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (l->state != WORKING && !l->quit) pthread_cond_wait(&l->cv, &l->mu);
        if (l->quit) break;
        Job j = l->ahead;
        pthread_mutex_unlock(&l->mu);
        loader_assemble(l, j, l->x, l->y);
        pthread_mutex_lock(&l->mu);
        l->state = READY;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

Loader *loader_new(const DataSet *ds, const DataSrc *d, int B, uint64_t seed, int64_t per_epoch)
{
    Loader *l = xcalloc(1, sizeof *l);
    l->ds = ds, l->d = d, l->B = B, l->seed = seed, l->per_epoch = per_epoch;
    l->nx = (size_t)B * (size_t)shape_count(d->shape);
    l->ny = (size_t)B * (size_t)shape_count(d->label_shape);
    l->perm = xmalloc(sizeof *l->perm * (size_t)ds->n);
    l->perm_epoch = -1;
    l->x = xmalloc(sizeof *l->x * l->nx);
    l->y = xmalloc(sizeof *l->y * l->ny);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    if (pthread_create(&l->thread, NULL, loader_main, l) != 0) {
        fprintf(stderr, "genc: error: cannot start the data thread\n");
        exit(EXIT_FAILURE);
    }
    return l;
}

void loader_get(Loader *l, uint64_t epoch, uint64_t pos, uint64_t step, real *x, real *y)
{
    Job want = {epoch, pos, step};
    pthread_mutex_lock(&l->mu);
    while (l->state == WORKING) pthread_cond_wait(&l->cv, &l->mu);
    if (l->state == READY && !memcmp(&l->ahead, &want, sizeof want)) {
        memcpy(x, l->x, sizeof *x * l->nx);
        if (y) memcpy(y, l->y, sizeof *y * l->ny);
    } else { /* the first batch, or one after a jump: assembled here */
        loader_assemble(l, want, x, y ? y : l->y);
    }
    /* the next step's batch, the next epoch's first after the last */
    bool last = (int64_t)pos + 1 >= l->per_epoch;
    l->ahead = (Job){last ? epoch + 1 : epoch, last ? 0 : pos + 1, step + 1};
    l->state = WORKING;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void loader_free(Loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    while (l->state == WORKING) pthread_cond_wait(&l->cv, &l->mu);
    l->quit = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l->perm);
    free(l->x);
    free(l->y);
    free(l);
}
