/* sema_train.c: objectives (players, phases, the nonsaturating game) and
 * the train block (settings, initialisers, optimizers). */
#include "grammar/sema_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Names the init: option and the train block's init setting accept. */
static const struct {
    const char *name;
    InitKind kind;
} init_words[] = {
    {"normal", INIT_NORMAL}, {"uniform", INIT_UNIFORM}, {"xavier", INIT_XAVIER_UNIFORM},
    {"xavier_normal", INIT_XAVIER_NORMAL}, {"kaiming", INIT_KAIMING_UNIFORM},
    {"kaiming_normal", INIT_KAIMING_NORMAL}, {"zeros", INIT_ZEROS}, {"ones", INIT_ONES},
};

static bool net_has_weights(Sema *s, int n) { return s->m->nets[n].nlayers > 0; }

static int player_of(Sema *s, Ident *id)
{
    int n = sema_find_net(s, id->name);
    if (n < 0) {
        Binding *b = sema_lookup(s->globals, id->name);
        if (b) diag_error(s->diag, id->loc, "'%s' is not a net; only nets can be players",
                          id->name);
        else sema_unknown_net(s, id->name, id->loc);
        return -1;
    }
    return n;
}

/* log(1 - X) with X depending on a min player: the term nonsaturating
 * replaces. Found here so a missing one is an error at compile time. */
static bool has_saturating_term(Sema *s, TExpr *t, Objective *o, bool *seen)
{
    if (seen[t->id]) return false;
    seen[t->id] = true;
    if (t->kind == TX_OP && t->op == OP_log && t->kids[0]->kind == TX_OP &&
        t->kids[0]->op == OP_sub && t->kids[0]->kids[0]->kind == TX_NUM &&
        t->kids[0]->kids[0]->attr.value == 1) {
        for (int i = 0; i < o->nmin; i++)
            if (texpr_uses_net(s->m, t->kids[0]->kids[1], o->min[i])) return true;
    }
    if (t->kind == TX_CALL) return false;
    for (int i = 0; i < t->nkids; i++)
        if (has_saturating_term(s, t->kids[i], o, seen)) return true;
    return false;
}

void sema_check_objective(Sema *s, Decl *d)
{
    Model *m = s->m;
    Objective o = {.loc = d->loc};
    bool ok = true;
    o.min = xcalloc((size_t)d->names.n + 1, sizeof *o.min);
    o.max = xcalloc((size_t)d->maxes.n + 1, sizeof *o.max);
    for (int side = 0; side < 2; side++) {
        IdentList *l = side ? &d->maxes : &d->names;
        for (int i = 0; i < l->n; i++) {
            int n = player_of(s, &l->v[i]);
            if (n < 0) {
                ok = false;
                continue;
            }
            if (!net_has_weights(s, n)) {
                /* a body with errors may have lost its layers: no second error */
                if (!s->net_bad[n])
                    diag_error(s->diag, l->v[i].loc, "net '%s' has no weights to train",
                               l->v[i].name);
                ok = false;
                continue;
            }
            if (m->nets[n].player >= 0) {
                int line = m->players[m->nets[n].player].optim.loc.line;
                if (line == d->loc.line)
                    diag_error(s->diag, l->v[i].loc, "net '%s' is already a player (line %d); each "
                               "net's weights belong to one player", l->v[i].name, line);
                else /* an extra term for a player of a game */
                    diag_error(s->diag, l->v[i].loc, "net '%s' is already a player (line %d); each "
                               "net's weights belong to one player: for a term in only some "
                               "players' losses, write each player's loss as its own objective, "
                               "'min %s: ...' with all of %s's terms (docs/language.md, section 11)",
                               l->v[i].name, line, l->v[i].name, l->v[i].name);
                ok = false;
                continue;
            }
            m->players = xgrow(m->players, sizeof *m->players, (size_t)m->nplayers);
            m->players[m->nplayers] = (Player){.net = n, .every = 1, .optim.loc = l->v[i].loc};
            m->nets[n].player = m->nplayers++;
            if (side) o.max[o.nmax++] = n;
            else o.min[o.nmin++] = n;
        }
    }
    for (int i = 0; i < d->flags.n; i++) {
        if (strcmp(d->flags.v[i].name, "nonsaturating") == 0 && d->maxes.n && d->names.n) {
            o.nonsaturating = true;
        } else if (strcmp(d->flags.v[i].name, "nonsaturating") == 0) {
            diag_error(s->diag, d->flags.v[i].loc, "'nonsaturating' applies to a game: min G max D");
            ok = false;
        } else {
            static const char *const words[] = {"nonsaturating"};
            const char *hint = diag_suggest(d->flags.v[i].name, words, 1);
            if (hint)
                diag_error(s->diag, d->flags.v[i].loc,
                           "unknown objective option '%s'; did you mean '%s'?",
                           d->flags.v[i].name, hint);
            else
                diag_error(s->diag, d->flags.v[i].loc, "unknown objective option '%s' (the only "
                           "option is nonsaturating)", d->flags.v[i].name);
            ok = false;
        }
    }
    Val v = sema_eval(s, d->value, FLOW_NONE, NULL);
    char b1[64];
    if (v.kind == V_NUM) {
        diag_error(s->diag, d->value->loc, "the objective is a constant; it must depend on the "
                   "players' nets");
        ok = false;
    } else if (v.kind == V_TENSOR && (v.t->shape.batch || shape_count(v.t->shape) != 1)) {
        diag_error(s->diag, d->value->loc, "the objective must be a single number, but this is "
                   "%s; average over the batch with E[...]",
                   shp(v.t->shape, b1));
        ok = false;
    } else if (v.kind != V_TENSOR) {
        if (v.kind == V_WORD) sema_unknown_name(s, v.str, v.loc, "name");
        else if (v.kind != V_ERR)
            diag_error(s->diag, d->value->loc, "the objective must be a number computed from "
                       "the nets, not %s", sema_vkind_name(v.kind));
        ok = false;
    }
    if (ok) {
        o.value = v.t;
        /* after any error (a net may have lost the layers its output
         * reads) the weights check would only repeat it */
        bool nets_ok = s->diag->nerrors == 0;
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < (side ? o.nmax : o.nmin); i++) {
                int n = side ? o.max[i] : o.min[i];
                if (!texpr_uses_net(m, o.value, n)) {
                    diag_error(s->diag, d->loc, "the objective does not depend on net '%s'",
                               m->nets[n].name);
                    ok = false;
                } else if (nets_ok && !texpr_uses_weights(m, o.value, n)) {
                    diag_error(s->diag, d->loc, "the objective does not depend on the weights "
                               "of net '%s': nothing would train them", m->nets[n].name);
                    ok = false;
                }
            }
        bool *seen = xcalloc((size_t)m->nall + 1, sizeof *seen);
        if (ok && o.nonsaturating && !has_saturating_term(s, o.value, &o, seen)) {
            diag_error(s->diag, d->flags.v[0].loc, "'nonsaturating' needs a term log(1 - D(G(...))) "
                       "in the objective");
            ok = false;
        }
        free(seen);
    }
    if (!ok) {
        free(o.min);
        free(o.max);
        return;
    }
    /* each side of an objective is a phase of training */
    int phases = (o.nmin > 0) + (o.nmax > 0);
    for (int i = 0; i < m->nobjs; i++) phases += (m->objs[i].nmin > 0) + (m->objs[i].nmax > 0);
    if (phases > GENC_MAX_PHASES) {
        if (!s->too_many_phases)
            diag_error(s->diag, d->loc, "too many objectives: genc trains at most %d phases (one "
                       "for each side of an objective), and with this one there are %d",
                       GENC_MAX_PHASES, phases);
        s->too_many_phases = true;
        free(o.min);
        free(o.max);
        return;
    }
    m->objs = xgrow(m->objs, sizeof *m->objs, (size_t)m->nobjs);
    m->objs[m->nobjs++] = o;
}

/* init: normal(0, 0.02), xavier, kaiming(slope: 0.2), zeros ... */
bool sema_init_of(Sema *s, Ast *a, Init *out)
{
    if (a->kind != AST_CALL && a->kind != AST_NAME) {
        diag_error(s->diag, a->loc, "expected an initialiser like normal(0, 0.02) or xavier");
        return false;
    }
    int k = -1;
    for (int i = 0; i < (int)GENC_COUNT(init_words); i++)
        if (strcmp(init_words[i].name, a->name) == 0) k = i;
    if (k < 0) {
        const char *cand[GENC_COUNT(init_words)];
        for (int i = 0; i < (int)GENC_COUNT(init_words); i++) cand[i] = init_words[i].name;
        const char *hint = diag_suggest(a->name, cand, (int)GENC_COUNT(init_words));
        if (hint)
            diag_error(s->diag, a->loc, "unknown initialiser '%s'; did you mean '%s'?", a->name, hint);
        else
            diag_error(s->diag, a->loc, "unknown initialiser '%s' (normal, uniform, xavier, "
                       "xavier_normal, kaiming, kaiming_normal, zeros, ones)", a->name);
        return false;
    }
    InitKind kind = init_words[k].kind;
    Ast *call = a->kind == AST_CALL ? a : NULL;
    /* normal and uniform are noise builtins; as initialisers they take
     * their two parameters, in order or by name: normal(mean, std),
     * uniform(low, high) */
    if (kind == INIT_NORMAL || kind == INIT_UNIFORM) {
        double v[2] = {kind == INIT_NORMAL ? 0 : -0.1, kind == INIT_NORMAL ? 0.02 : 0.1};
        const char *names[2] = {kind == INIT_NORMAL ? "mean" : "low",
                                kind == INIT_NORMAL ? "std" : "high"};
        int n = call ? call->nkids : 0;
        if (n > 2) {
            diag_error(s->diag, a->loc, "'%s' as an initialiser takes 2 numbers", a->name);
            return false;
        }
        for (int i = 0; i < n; i++) {
            Ast *k2 = call->kids[i];
            int slot = i;
            if (k2->kind == AST_KW) {
                slot = strcmp(k2->name, names[0]) == 0 ? 0 : strcmp(k2->name, names[1]) == 0 ? 1 : -1;
                if (slot < 0) {
                    diag_error(s->diag, k2->loc, "'%s' as an initialiser has no option '%s' (it "
                               "has: %s, %s)",
                               a->name, k2->name, names[0], names[1]);
                    return false;
                }
            }
            Val x = sema_eval(s, k2->kind == AST_KW ? k2->kids[0] : k2, FLOW_NONE, NULL);
            if (x.kind != V_NUM) {
                if (x.kind != V_ERR)
                    diag_error(s->diag, k2->loc, "'%s' takes numbers", a->name);
                return false;
            }
            v[slot] = x.num;
        }
        if ((kind == INIT_NORMAL && v[1] < 0) || (kind == INIT_UNIFORM && v[1] < v[0])) {
            diag_error(s->diag, a->loc, "%s", kind == INIT_NORMAL ? "the std of normal(mean, std) "
                       "cannot be negative" : "uniform(low, high) needs low <= high");
            return false;
        }
        *out = (Init){kind, v[0], v[1]};
        return true;
    }
    int id = sema_find_builtin(a->name);
    Args ar;
    if (!sema_match_args(s, id, call, FLOW_NONE, NULL, &ar, a->loc)) return false;
    *out = (Init){kind, 1, 0};
    if (kind == INIT_XAVIER_UNIFORM || kind == INIT_XAVIER_NORMAL)
        return sema_opt_real(s, &ar, "gain", 0, 1e6, &out->a);
    if (kind == INIT_KAIMING_UNIFORM || kind == INIT_KAIMING_NORMAL)
        return sema_opt_real(s, &ar, "slope", 0, 1e6, &out->a);
    return true;
}

/* optimizer adam(lr: 2e-4, beta1: 0.5) */
static bool optim_of(Sema *s, Ast *a, Setting *out)
{
    static const char *const kinds[] = {"sgd", "adam", "adamw", "rmsprop"};
    int id = a->kind == AST_CALL || a->kind == AST_NAME ? sema_find_builtin(a->name) : -1;
    if (id < B_SGD || id > B_RMSPROP) {
        const char *hint = a->name ? diag_suggest(a->name, kinds, 4) : NULL;
        if (hint)
            diag_error(s->diag, a->loc, "unknown optimizer '%s'; did you mean '%s'?", a->name, hint);
        else if (a->name)
            diag_error(s->diag, a->loc, "unknown optimizer '%s' (sgd, adam, adamw or rmsprop)",
                       a->name);
        else
            diag_error(s->diag, a->loc, "expected an optimizer: sgd, adam, adamw or rmsprop");
        return false;
    }
    Args ar;
    if (!sema_match_args(s, id, a->kind == AST_CALL ? a : NULL, FLOW_NONE, NULL, &ar, a->loc))
        return false;
    Setting st = {.name = xstrdup(sema_builtin(id).name), .loc = a->loc};
    bool ok = true;
    for (int i = 0; i < ar.n; i++) {
        double v;
        const char *n = ar.name[i];
        bool flag = strcmp(n, "nesterov") == 0 || strcmp(n, "centered") == 0;
        double hi = flag ? 1 : strcmp(n, "lr") == 0 ? GENC_MAX_LR : 1e9;
        if (!sema_opt_real(s, &ar, n, 0, hi, &v)) {
            ok = false;
            continue;
        }
        if ((strncmp(n, "beta", 4) == 0 || strcmp(n, "alpha") == 0) && v >= 1) {
            diag_error(s->diag, ar.v[i].loc, "'%s' must be below 1, got %g", n, v);
            ok = false;
        }
        if (strcmp(n, "lr") == 0 && v <= 0) {
            diag_error(s->diag, ar.v[i].loc, "'lr' must be positive");
            ok = false;
        }
        st.kw[st.nkw] = xstrdup(n);
        st.val[st.nkw++] = v;
    }
    if (!ok) {
        free(st.name);
        for (int i = 0; i < st.nkw; i++) free(st.kw[i]);
        return false;
    }
    *out = st;
    return true;
}

void sema_setting_free(Setting *st)
{
    free(st->name);
    for (int i = 0; i < st->nkw; i++) free(st->kw[i]);
    memset(st, 0, sizeof *st);
}

static void set_optim(Player *p, Setting *st)
{
    sema_setting_free(&p->optim);
    p->optim = *st;
    p->optim.name = xstrdup(st->name);
    for (int i = 0; i < st->nkw; i++) p->optim.kw[i] = xstrdup(st->kw[i]);
}

/* For settings given per player (steps D: 5, G: 1): the players named. */
static Player *named_player(Sema *s, Ast *kw)
{
    int n = sema_find_net(s, kw->name);
    if (n < 0 || s->m->nets[n].player < 0) {
        if (n < 0) sema_unknown_net(s, kw->name, kw->loc);
        else diag_error(s->diag, kw->loc, "net '%s' is not a player of any objective", kw->name);
        return NULL;
    }
    return &s->m->players[s->m->nets[n].player];
}

/* ---- schedules --------------------------------------------------------- */

Val sema_schedule(Sema *s, int id, Args *ar, SrcLoc loc)
{
    static const SchedKind kinds[] = {[B_LINEAR - B_LINEAR] = SCHED_LINEAR,
                                      [B_COSINE - B_LINEAR] = SCHED_COSINE,
                                      [B_WARMUP - B_LINEAR] = SCHED_WARMUP,
                                      [B_STEP_DECAY - B_LINEAR] = SCHED_STEP_DECAY};
    const char *name = sema_builtin(id).name;
    Schedule sc = {.kind = kinds[id - B_LINEAR], .loc = loc};
    bool from_to = id == B_LINEAR || id == B_COSINE;
    bool ok = sema_opt_real(s, ar, from_to ? "from" : "value", -1e12, 1e12, &sc.a);
    if (from_to) ok &= sema_opt_real(s, ar, "to", -1e12, 1e12, &sc.b);
    if (id == B_STEP_DECAY) ok &= sema_opt_real(s, ar, "factor", 0, 1e6, &sc.b);
    bool steps = sema_given(ar, "steps"), epochs = sema_given(ar, "epochs");
    int64_t n;
    if (steps && epochs) {
        diag_error(s->diag, loc, "'%s' takes its length in steps: or in epochs:, not both", name);
        ok = false;
    } else if (steps || epochs) {
        Val *v = sema_opt(ar, steps ? "steps" : "epochs");
        if (sema_whole_ok(s, *v, steps ? "'steps'" : "'epochs'", v->loc, false, GENC_MAX_SEED, &n))
            sc.span = n, sc.epochs = epochs;
        else ok = false;
    } else if (id == B_WARMUP || id == B_STEP_DECAY) {
        diag_error(s->diag, loc, "'%s' needs its length: steps: N or epochs: N%s", name,
                   id == B_WARMUP ? " (of the ramp)" : " (between decays)");
        ok = false;
    }
    if (id != B_WARMUP) {
        Val *v = sema_opt(ar, "warmup");
        if (sema_whole_ok(s, *v, "'warmup'", v->loc, true, GENC_MAX_SEED, &n)) sc.warmup = n;
        else ok = false;
    }
    if (!ok) return val_err;
    Model *m = s->m;
    m->scheds = xgrow(m->scheds, sizeof *m->scheds, (size_t)m->nscheds);
    m->scheds[m->nscheds] = sc;
    TExpr *t = sema_tx_op(s, OP_scheduled, loc, scalar, NULL, NULL);
    t->attr.sched = m->nscheds++;
    return val_tensor(t, loc);
}

/* ---- the train block ------------------------------------------------- */

/* What the settings of a train block leave for the end: steps are checked
 * together, encode against sample. */
typedef struct Train {
    int *steps;         /* per player, 0 if not given */
    SrcLoc *steps_loc;
    bool have_steps;
    SrcLoc encode_loc;
} Train;

/* A setting's handler: value for the whole model (named false), or, in
 * `key D: value, G: value`, for the player p named (NULL when the name
 * was wrong, already reported). */
typedef void (*SettingFn)(Sema *s, Train *t, const char *key, Ast *value, bool named,
                          Player *p);

/* optimizer adam(lr: 2e-4, beta1: 0.5) */
static void set_optimizer(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Setting st;
    if ((named && !p) || !optim_of(s, a, &st)) return;
    for (int i = 0; i < s->m->nplayers; i++)
        if (!named || p == &s->m->players[i]) set_optim(&s->m->players[i], &st);
    sema_setting_free(&st);
}

/* batch, epochs: whole numbers; seed: from 0; each within the range its
 * command-line option has */
static void set_count(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Model *m = s->m;
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    bool seed = strcmp(key, "seed") == 0;
    char what[32];
    snprintf(what, sizeof what, "'%s'", key);
    int64_t n;
    if (v.kind == V_ERR ||
        !sema_whole_ok(s, v, what, v.loc, seed,
                       seed                          ? GENC_MAX_SEED
                       : strcmp(key, "batch") == 0 ? GENC_MAX_BATCH
                                                     : GENC_MAX_EPOCHS,
                       &n))
        return;
    if (seed) m->seed = (uint64_t)n;
    else if (strcmp(key, "batch") == 0) m->batch = (int)n;
    else m->epochs = (int)n;
}

static void set_init(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    sema_init_of(s, a, &s->m->init);
}

/* sample G(z), encode mu */
static void set_tensor(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Model *m = s->m;
    bool enc = strcmp(key, "encode") == 0;
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    if (v.kind == V_TENSOR && v.t->shape.batch) {
        if (enc) m->encode = v.t, t->encode_loc = a->loc;
        else m->sample = v.t;
    } else if (v.kind == V_WORD) {
        sema_unknown_name(s, v.str, v.loc, "name");
    } else if (v.kind != V_ERR) {
        diag_error(s->diag, a->loc, enc ? "'encode' needs a batched tensor, like mu"
                                        : "'sample' needs a batched tensor, like G(z)");
    }
}

/* steps D: 5, G: 1 */
static void set_steps(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    if (v.kind == V_ERR || (named && !p)) return;
    int n;
    if (!named) {
        diag_error(s->diag, a->loc, "'steps' names the players, like steps D: 5, G: 1");
    } else if (sema_size_ok(s, v, "'steps'", v.loc, &n, false)) {
        if (n > GENC_MAX_STEPS) {
            diag_error(s->diag, v.loc, "'steps' is at most %d", GENC_MAX_STEPS);
        } else {
            t->steps[p - s->m->players] = n, t->have_steps = true;
            t->steps_loc[p - s->m->players] = v.loc;
        }
    }
}

/* Player p's optimizer with its learning rate set: the optimizer given
 * before, else the default one (adam), which sema_check names later. */
static void set_player_lr(Player *p, double lr)
{
    Setting *o = &p->optim;
    int i = 0;
    while (i < o->nkw && strcmp(o->kw[i], "lr") != 0) i++;
    if (i == o->nkw) {
        GENC_ASSERT(o->nkw < GRAPH_MAXKW); /* the optimizers have at most 6 options */
        o->kw[o->nkw++] = xstrdup("lr");
    }
    o->val[i] = lr;
}

/* lr G: cosine(2e-4, 0): player p's (or every player's) learning rate
 * follows schedule k */
static void set_lr_schedule(Sema *s, int k, bool named, Player *p)
{
    Model *m = s->m;
    if (!m->scheds[k].name) {
        char name[300];
        snprintf(name, sizeof name, "lr%s%s", named ? "_" : "", named ? m->nets[p->net].name : "");
        m->scheds[k].name = (char *)sema_str(s, name);
    }
    for (int i = 0; i < m->nplayers; i++) {
        Player *q = &m->players[i];
        if (named && q != p) continue;
        q->lr_scheduled = true;
        q->lr_sched = k;
        set_player_lr(q, sched_value(&m->scheds[k], 0, 1, 1)); /* printed; training sets each step's */
    }
}

/* clip, grad_clip, lr: a positive number, per player or for all; lr may
 * follow a schedule */
static void set_positive(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    if (v.kind == V_ERR || (named && !p)) return;
    if (sema_is_schedule(v) && strcmp(key, "lr") == 0) {
        set_lr_schedule(s, v.t->attr.sched, named, p);
        return;
    }
    if (v.kind != V_NUM || !(v.num > 0)) {
        diag_error(s->diag, v.loc, "'%s' must be a positive number", key);
        return;
    }
    if (strcmp(key, "lr") == 0 && v.num > GENC_MAX_LR) { /* as an optimizer's lr: */
        diag_error(s->diag, v.loc, "'lr' must be between 0 and %g, got %g", GENC_MAX_LR, v.num);
        return;
    }
    for (int i = 0; i < s->m->nplayers; i++) {
        Player *q = &s->m->players[i];
        if (named && q != p) continue;
        if (strcmp(key, "lr") == 0) set_player_lr(q, v.num), q->lr_scheduled = false;
        else *(strcmp(key, "clip") == 0 ? &q->clip : &q->grad_clip) = v.num;
    }
}

/* ema G: 0.999: the decay of the average of a player's weights, in (0, 1) */
static void set_ema(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    if (v.kind == V_ERR || (named && !p)) return;
    if (v.kind != V_NUM || !(v.num > 0 && v.num < 1)) {
        diag_error(s->diag, v.loc, "'ema' is the decay of the average, a number between 0 and 1 "
                   "like 0.999");
        return;
    }
    for (int i = 0; i < s->m->nplayers; i++)
        if (!named || p == &s->m->players[i]) s->m->players[i].ema = v.num;
}

/* ema_start 1000: the training step the averages start at (before it they
 * copy the weights) */
static void set_ema_start(Sema *s, Train *t, const char *key, Ast *a, bool named, Player *p)
{
    Val v = sema_eval(s, a, FLOW_NONE, NULL);
    int64_t n;
    if (v.kind != V_ERR && sema_whole_ok(s, v, "'ema_start'", v.loc, true, GENC_MAX_SEED, &n))
        s->m->ema_start = (uint64_t)n;
}

/* Every train setting; per_player ones may be written `key D: v, G: w`. */
static const struct {
    const char *key;
    bool per_player;
    SettingFn fn;
} train_settings[] = {
    {"batch", false, set_count},     {"epochs", false, set_count},
    {"seed", false, set_count},      {"optimizer", true, set_optimizer},
    {"init", false, set_init},       {"steps", true, set_steps},
    {"clip", true, set_positive},    {"grad_clip", true, set_positive},
    {"sample", false, set_tensor},   {"encode", false, set_tensor},
    {"lr", true, set_positive},       {"ema", true, set_ema},
    {"ema_start", false, set_ema_start},
};

/* After the settings: encode against sample, and steps made into each
 * player's `every`. */
static void finish_train(Sema *s, Train *t)
{
    Model *m = s->m;
    if (m->encode) {
        /* genc sample --interpolate decodes the codes of test images: the
         * code must fit the noise source the sample is drawn from */
        int k = 0;
        while (k < m->nnoise && !shape_eq(m->noise[k].shape, m->encode->shape)) k++;
        char b1[64];
        if (!m->sample) {
            diag_error(s->diag, t->encode_loc, "'encode' needs a 'sample' setting to decode with");
            m->encode = NULL;
        } else if (k == m->nnoise) {
            diag_error(s->diag, t->encode_loc, "'encode' gives %s per example, but no noise source "
                       "has that shape for 'sample' to decode",
                       shp(m->encode->shape, b1));
            m->encode = NULL;
        }
    }
    if (t->have_steps) {
        /* steps D: 5, G: 1: in every 5 steps D updates 5 times, G once; a
         * player not named takes one step per period (steps D: 5 alone
         * means the same) */
        int period = 1;
        for (int p = 0; p < m->nplayers; p++)
            if (t->steps[p] > period) period = t->steps[p];
        for (int p = 0; p < m->nplayers; p++) {
            int n = t->steps[p] ? t->steps[p] : 1;
            if (period % n) {
                diag_error(s->diag, t->steps_loc[p], "'steps' must divide evenly: %s's %d is not a "
                           "divisor of %d", m->nets[m->players[p].net].name, n, period);
                break;
            }
            m->players[p].every = period / n;
        }
    }
}

/* Settings users bring from other libraries, and how genc says them. */
static const struct {
    const char *theirs, *ours;
} setting_aliases[] = {
    {"learning_rate", "'lr'"},
    {"lr_decay", "a schedule: 'lr cosine(2e-4, 0)' or 'lr step_decay(2e-4, 0.5, epochs: 10)'"},
    {"lr_scheduler", "a schedule: 'lr cosine(2e-4, 0)' or 'lr step_decay(2e-4, 0.5, epochs: 10)'"},
    {"scheduler", "a schedule: 'lr cosine(2e-4, 0)' or 'lr step_decay(2e-4, 0.5, epochs: 10)'"},
    {"batch_size", "'batch'"},   {"num_epochs", "'epochs'"},   {"n_epochs", "'epochs'"},
    {"max_epochs", "'epochs'"},  {"random_seed", "'seed'"},    {"manual_seed", "'seed'"},
    {"opt", "'optimizer'"},      {"n_critic", "'steps D: 5, G: 1'"},
    {"d_steps", "'steps D: 5, G: 1'"}, {"ema_decay", "'ema G: 0.999'"},
    {"clip_value", "'clip'"},    {"clip_grad_norm", "'grad_clip'"},
    {"max_grad_norm", "'grad_clip'"}, {"weight_clip", "'clip'"},
};

static void unknown_setting(Sema *s, const char *key, SrcLoc loc, const char *const *keys, int n)
{
    for (size_t i = 0; i < GENC_COUNT(setting_aliases); i++)
        if (strcmp(setting_aliases[i].theirs, key) == 0) {
            diag_error(s->diag, loc, "unknown train setting '%s'; genc says %s", key,
                       setting_aliases[i].ours);
            return;
        }
    const char *hint = diag_suggest(key, keys, n);
    if (hint) {
        diag_error(s->diag, loc, "unknown train setting '%s'; did you mean '%s'?", key, hint);
        return;
    }
    char all[512] = "";
    for (int i = 0; i < n; i++) {
        strncat(all, i ? ", " : "", sizeof all - strlen(all) - 1);
        strncat(all, keys[i], sizeof all - strlen(all) - 1);
    }
    diag_error(s->diag, loc, "unknown train setting '%s' (the settings: %s)", key, all);
}

void sema_check_train(Sema *s, Decl *d)
{
    Model *m = s->m;
    if (strcmp(d->name.name, "train") != 0) {
        diag_error(s->diag, d->name.loc, "unknown block '%s {'; the settings block is 'train {'",
                   d->name.name);
        return;
    }
    Train t = {xcalloc((size_t)m->nplayers + 1, sizeof *t.steps),
               xcalloc((size_t)m->nplayers + 1, sizeof *t.steps_loc), false, {0}};
    const char *keys[GENC_COUNT(train_settings)];
    for (size_t k = 0; k < GENC_COUNT(train_settings); k++) keys[k] = train_settings[k].key;
    for (int i = 0; i < d->body.n; i++) {
        Stmt *st = &d->body.v[i];
        const char *key = st->names.v[0].name;
        SrcLoc kl = st->names.v[0].loc;
        Ast *a = st->value;
        bool named = a->kind == AST_LIST && a->nkids && a->kids[0]->kind == AST_KW;
        int k = 0;
        while (k < (int)GENC_COUNT(keys) && strcmp(keys[k], key) != 0) k++;
        if (k == (int)GENC_COUNT(keys)) {
            unknown_setting(s, key, kl, keys, (int)GENC_COUNT(keys));
            continue;
        }
        if (named && !train_settings[k].per_player) {
            diag_error(s->diag, kl, "'%s' is set for the whole model, not per player", key);
            continue;
        }
        if (!named) {
            train_settings[k].fn(s, &t, key, a, false, NULL);
            continue;
        }
        for (int j = 0; j < a->nkids; j++)
            train_settings[k].fn(s, &t, key, a->kids[j]->kids[0], true,
                                 named_player(s, a->kids[j]));
    }
    finish_train(s, &t);
    free(t.steps);
    free(t.steps_loc);
}
