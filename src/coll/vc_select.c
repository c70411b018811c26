/*
 * The selection table and the VERVE_COLL_TUNE parser. Syntax:
 *   TUNE    := ENTRY (';' ENTRY)*
 *   ENTRY   := COLL ':' RULE (',' RULE)*
 *   RULE    := SIZE '-' SIZE ['@' TEAM '-' TEAM] ':' ALG ['/' RADIX]
 * e.g. "allreduce:0-4K:rd,4K-inf:ring;bcast:0-inf@2-8:knomial/4". SIZE is
 * bytes with an optional k, m or g suffix, or inf; ranges include their
 * lower end and exclude the upper (team ranges include both). The rules
 * of an entry go ahead of the defaults of its collective, first match
 * wins. Nothing is skipped silently: any part not understood is an error.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vc_select.h"
#include "core/base/compiler.h"
#include "core/base/config.h"
#include "core/base/log.h"

static const char *const vc_alg_names[VC_ALG_LAST] = {
    [VC_ALG_NONE] = "none",
    [VC_ALG_DISSEMINATION] = "dissemination",
    [VC_ALG_KNOMIAL] = "knomial",
    [VC_ALG_RD] = "rd",
    [VC_ALG_RAB] = "rab",
    [VC_ALG_RING] = "ring",
    [VC_ALG_BRUCK] = "bruck",
    [VC_ALG_PAIRWISE] = "pairwise",
    [VC_ALG_LINEAR] = "linear",
    [VC_ALG_ALLREDUCE] = "allreduce",
    [VC_ALG_SHM] = "shm",
};

static const char *const vc_type_names[VERVE_COLL_TYPE_LAST] = {
    [VERVE_COLL_BARRIER] = "barrier",
    [VERVE_COLL_BCAST] = "bcast",
    [VERVE_COLL_REDUCE] = "reduce",
    [VERVE_COLL_ALLREDUCE] = "allreduce",
    [VERVE_COLL_ALLGATHER] = "allgather",
    [VERVE_COLL_ALLGATHERV] = "allgatherv",
    [VERVE_COLL_ALLTOALL] = "alltoall",
    [VERVE_COLL_ALLTOALLV] = "alltoallv",
    [VERVE_COLL_REDUCE_SCATTER] = "reduce_scatter",
    [VERVE_COLL_GATHER] = "gather",
    [VERVE_COLL_GATHERV] = "gatherv",
    [VERVE_COLL_SCATTER] = "scatter",
    [VERVE_COLL_SCATTERV] = "scatterv",
};

/* The algorithms of each collective, the first one being its fallback
 * (which must work for every op and size). */
#define VC_TYPE_ALGS_MAX 4
static const vc_alg_t vc_type_algs[VERVE_COLL_TYPE_LAST][VC_TYPE_ALGS_MAX] = {
    [VERVE_COLL_BARRIER] = {VC_ALG_DISSEMINATION, VC_ALG_SHM},
    [VERVE_COLL_BCAST] = {VC_ALG_KNOMIAL, VC_ALG_SHM},
    [VERVE_COLL_REDUCE] = {VC_ALG_KNOMIAL, VC_ALG_SHM},
    [VERVE_COLL_ALLREDUCE] = {VC_ALG_RD, VC_ALG_RAB, VC_ALG_RING, VC_ALG_SHM},
    [VERVE_COLL_ALLGATHER] = {VC_ALG_RING, VC_ALG_RD, VC_ALG_BRUCK},
    [VERVE_COLL_ALLGATHERV] = {VC_ALG_RING},
    [VERVE_COLL_ALLTOALL] = {VC_ALG_PAIRWISE, VC_ALG_BRUCK},
    [VERVE_COLL_ALLTOALLV] = {VC_ALG_PAIRWISE},
    [VERVE_COLL_REDUCE_SCATTER] = {VC_ALG_ALLREDUCE, VC_ALG_RING},
    [VERVE_COLL_GATHER] = {VC_ALG_LINEAR},
    [VERVE_COLL_GATHERV] = {VC_ALG_LINEAR},
    [VERVE_COLL_SCATTER] = {VC_ALG_LINEAR},
    [VERVE_COLL_SCATTERV] = {VC_ALG_LINEAR},
};

/* Defaults: latency-bound algorithms for small messages, bandwidth-bound
 * ones (each byte crosses each link about once) for large; two members
 * need one exchange whatever the size. Members sharing a host use its
 * shared-memory segment (rules naming shm apply only to teams that have
 * segments). */
static const char vc_select_defaults[] =
    "barrier:0-inf:shm,0-inf:dissemination;"
    "bcast:0-inf:shm,0-64k:knomial/4,64k-inf:knomial/2;"
    "reduce:0-inf:shm,0-64k:knomial/4,64k-inf:knomial/2;"
    "allreduce:0-inf:shm,0-inf@1-2:rd,0-4k:rd,4k-256k:rab,256k-inf:ring;"
    "allgather:0-inf@1-2:rd,0-1k:rd,1k-16k:bruck,16k-inf:ring;"
    "allgatherv:0-inf:ring;"
    "alltoall:0-256:bruck,256-inf:pairwise;"
    "alltoallv:0-inf:pairwise;"
    "reduce_scatter:0-inf:ring;"
    "gather:0-inf:linear;gatherv:0-inf:linear;"
    "scatter:0-inf:linear;scatterv:0-inf:linear";

const char *vc_alg_name(vc_alg_t alg)
{
    return ((unsigned)alg < VC_ALG_LAST) ? vc_alg_names[alg] : "invalid";
}

VERVE_API const char *verve_coll_type_name(verve_coll_type_t type)
{
    return ((unsigned)type < VERVE_COLL_TYPE_LAST) ? vc_type_names[type]
                                                   : "invalid";
}

int vc_alg_valid(verve_coll_type_t type, vc_alg_t alg)
{
    unsigned i;

    for (i = 0; i < VC_TYPE_ALGS_MAX; ++i) {
        if (alg != VC_ALG_NONE && vc_type_algs[type][i] == alg) {
            return 1;
        }
    }
    return 0;
}

/* Parses [str, end) as a size; 1 on success. */
static int vc_parse_size(const char *str, const char *end, size_t *size_p)
{
    unsigned long long value = 0, scale = 1;
    const char *p = str;

    if ((size_t)(end - str) == 3 && strncmp(str, "inf", 3) == 0) {
        *size_p = SIZE_MAX;
        return 1;
    }
    if (p == end || !isdigit((unsigned char)*p)) {
        return 0;
    }
    for (; p < end && isdigit((unsigned char)*p); ++p) {
        if (value > (ULLONG_MAX - 9) / 10) {
            return 0;
        }
        value = value * 10 + (unsigned)(*p - '0');
    }
    if (p < end) {
        switch (*p++) {
        case 'k': case 'K': scale = 1ull << 10; break;
        case 'm': case 'M': scale = 1ull << 20; break;
        case 'g': case 'G': scale = 1ull << 30; break;
        default: return 0;
        }
    }
    if (p != end || value > SIZE_MAX / scale) {
        return 0;
    }
    *size_p = (size_t)(value * scale);
    return 1;
}

static int vc_parse_range(const char *str, const char *end, size_t *lo_p,
                          size_t *hi_p)
{
    const char *dash = memchr(str, '-', (size_t)(end - str));

    return dash != NULL && vc_parse_size(str, dash, lo_p) &&
           vc_parse_size(dash + 1, end, hi_p) && *lo_p < *hi_p;
}

static int vc_lookup(const char *const *names, unsigned count,
                     const char *str, const char *end)
{
    size_t length = (size_t)(end - str);
    unsigned i;

    for (i = 0; i < count; ++i) {
        if (names[i] != NULL && strlen(names[i]) == length &&
            strncmp(names[i], str, length) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* One RULE in [str, end) for type. */
static int vc_parse_rule(verve_coll_type_t type, const char *str,
                         const char *end, vc_select_rule_t *rule,
                         const char **why)
{
    const char *colon = memchr(str, ':', (size_t)(end - str));
    const char *at, *slash, *alg_end;
    size_t team_lo, team_hi;
    int alg;

    if (colon == NULL) {
        *why = "a rule needs SIZE-SIZE:ALG";
        return 0;
    }
    at = memchr(str, '@', (size_t)(colon - str));
    if (!vc_parse_range(str, at ? at : colon, &rule->min_size,
                        &rule->max_size)) {
        *why = "bad size range (LO-HI with LO < HI, sizes like 0, 4k, "
               "1m, inf)";
        return 0;
    }
    rule->min_team = 1;
    rule->max_team = UINT_MAX;
    if (at != NULL) {
        if (!vc_parse_range(at + 1, colon, &team_lo, &team_hi) ||
            team_lo == 0 || (team_hi != SIZE_MAX && team_hi > UINT_MAX)) {
            *why = "bad team range after '@' (LO-HI, 1 <= LO < HI, or inf)";
            return 0;
        }
        rule->min_team = (unsigned)team_lo;
        rule->max_team = (team_hi == SIZE_MAX) ? UINT_MAX
                                               : (unsigned)team_hi;
    }
    slash = memchr(colon + 1, '/', (size_t)(end - colon - 1));
    alg_end = slash ? slash : end;
    alg = vc_lookup(vc_alg_names, VC_ALG_LAST, colon + 1, alg_end);
    if (alg <= 0 || !vc_alg_valid(type, (vc_alg_t)alg)) {
        *why = "unknown algorithm for this collective (verve_info lists "
               "them)";
        return 0;
    }
    rule->alg = (vc_alg_t)alg;
    rule->radix = 0;
    if (slash != NULL) {
        size_t radix;
        if (!vc_parse_size(slash + 1, end, &radix) || radix < 2 ||
            radix > VC_RADIX_MAX || rule->alg != VC_ALG_KNOMIAL) {
            *why = "a radix (/2 to /64) applies to knomial only";
            return 0;
        }
        rule->radix = (unsigned)radix;
    }
    return 1;
}

/* Appends the entries of text to table, or logs what is wrong. */
static verve_status_t vc_select_parse(vc_select_table_t *table,
                                      const char *text, const char *what)
{
    const char *entry = text, *entry_end, *colon, *rule, *rule_end;
    const char *why = NULL;
    vc_select_rule_t parsed;
    int type;

    while (*entry != '\0') {
        entry_end = entry + strcspn(entry, ";");
        colon = memchr(entry, ':', (size_t)(entry_end - entry));
        type = colon ? vc_lookup(vc_type_names, VERVE_COLL_TYPE_LAST, entry,
                                 colon)
                     : -1;
        if (type < 0) {
            why = "unknown collective (barrier, bcast, reduce, allreduce, "
                  "allgather, allgatherv, alltoall, alltoallv, "
                  "reduce_scatter, gather, gatherv, scatter, scatterv)";
            goto err;
        }
        for (rule = colon + 1; rule <= entry_end; rule = rule_end + 1) {
            rule_end = rule + strcspn(rule, ",;");
            if (rule_end > entry_end) {
                rule_end = entry_end;
            }
            if (!vc_parse_rule((verve_coll_type_t)type, rule, rule_end,
                               &parsed, &why)) {
                entry = rule;
                goto err;
            }
            if (table->num_rules[type] == VC_SELECT_MAX_RULES) {
                why = "too many rules for one collective";
                entry = rule;
                goto err;
            }
            table->rules[type][table->num_rules[type]++] = parsed;
        }
        entry = (*entry_end == ';') ? entry_end + 1 : entry_end;
    }
    return VERVE_OK;

err:
    vs_error("coll: %s: cannot parse \"%.*s\": %s", what,
             (int)strcspn(entry, ",;"), entry, why);
    return VERVE_ERR_INVALID_CONFIG;
}

verve_status_t vc_select_table_init(vc_select_table_t *table,
                                    const char *tune)
{
    verve_status_t status;

    memset(table, 0, sizeof(*table));
    if (tune != NULL) {
        status = vc_select_parse(table, tune, "VERVE_COLL_TUNE");
        if (status != VERVE_OK) {
            return status;
        }
    }
    return vc_select_parse(table, vc_select_defaults, "defaults");
}

vc_alg_t vc_select(const vc_select_table_t *table, verve_coll_type_t type,
                   size_t size, unsigned team_size, int commutative,
                   unsigned *radix_p)
{
    return vc_select_team(table, type, size, team_size, commutative, 0,
                          radix_p);
}

vc_alg_t vc_select_team(const vc_select_table_t *table,
                        verve_coll_type_t type, size_t size,
                        unsigned team_size, int commutative, int shm,
                        unsigned *radix_p)
{
    const vc_select_rule_t *rule;
    vc_alg_t alg = vc_type_algs[type][0];
    unsigned i;

    *radix_p = 0;
    for (i = 0; i < table->num_rules[type]; ++i) {
        rule = &table->rules[type][i];
        if (size >= rule->min_size &&
            (size < rule->max_size || rule->max_size == SIZE_MAX) &&
            team_size >= rule->min_team && team_size <= rule->max_team &&
            (shm || rule->alg != VC_ALG_SHM)) {
            alg = rule->alg;
            *radix_p = rule->radix;
            break;
        }
    }
    /* Ring reductions combine in ring order, not rank order. */
    if (!commutative && alg == VC_ALG_RING &&
        (type == VERVE_COLL_ALLREDUCE || type == VERVE_COLL_REDUCE_SCATTER)) {
        alg = vc_type_algs[type][0];
    }
    return alg;
}

static void vc_size_print(char *buffer, size_t max, size_t size)
{
    if (size == SIZE_MAX) {
        snprintf(buffer, max, "inf");
    } else if (size >= (1u << 20) && size % (1u << 20) == 0) {
        snprintf(buffer, max, "%zum", size >> 20);
    } else if (size >= 1024 && size % 1024 == 0) {
        snprintf(buffer, max, "%zuk", size >> 10);
    } else {
        snprintf(buffer, max, "%zu", size);
    }
}

void vc_select_table_print(const vc_select_table_t *table, FILE *stream)
{
    char lo[32], hi[32];
    unsigned type, i;

    for (type = 0; type < VERVE_COLL_TYPE_LAST; ++type) {
        fprintf(stream, "#   %-15s algorithms:", vc_type_names[type]);
        for (i = 0; i < VC_TYPE_ALGS_MAX && vc_type_algs[type][i]; ++i) {
            fprintf(stream, " %s", vc_alg_names[vc_type_algs[type][i]]);
        }
        fprintf(stream, "\n#   %-15s rules:     ", "");
        for (i = 0; i < table->num_rules[type]; ++i) {
            const vc_select_rule_t *rule = &table->rules[type][i];
            vc_size_print(lo, sizeof(lo), rule->min_size);
            vc_size_print(hi, sizeof(hi), rule->max_size);
            fprintf(stream, "%s%s-%s", i ? "," : " ", lo, hi);
            if (rule->min_team != 1 || rule->max_team != UINT_MAX) {
                if (rule->max_team == UINT_MAX) {
                    fprintf(stream, "@%u-inf", rule->min_team);
                } else {
                    fprintf(stream, "@%u-%u", rule->min_team, rule->max_team);
                }
            }
            fprintf(stream, ":%s", vc_alg_names[rule->alg]);
            if (rule->radix != 0) {
                fprintf(stream, "/%u", rule->radix);
            }
        }
        fprintf(stream, "\n");
    }
}

/* ---- configuration ------------------------------------------------------ */

typedef struct vc_config {
    char *tune;
} vc_config_t;

/* Accepts only strings the table parser accepts, so a bad value fails at
 * start-up with the variable named. */
static int vc_config_parse_tune(const char *str, void *dest, const void *arg)
{
    vc_select_table_t *table = malloc(sizeof(*table));
    int ok;

    (void)arg;
    if (table == NULL) {
        return 0;
    }
    ok = (vc_select_table_init(table, str) == VERVE_OK);
    free(table);
    return ok && vs_config_parse_string(str, dest, NULL);
}

static const vs_config_field_t vc_config_fields[] = {
    {"TUNE", "",
     "collective algorithm rules ahead of the defaults, e.g. "
     "allreduce:0-4K:rd,4K-inf:ring;bcast:0-inf@2-8:knomial/4",
     {vc_config_parse_tune, vs_config_print_string, vs_config_release_string,
      "COLL:LO-HI[@TLO-THI]:ALG[/RADIX],...;COLL:... (verve_info lists "
      "collectives and algorithms)", NULL, NULL},
     offsetof(vc_config_t, tune)},
};

static vs_config_table_t vc_config_table = {
    .component = "coll",
    .prefix = "COLL_",
    .fields = vc_config_fields,
    .num_fields = vs_array_size(vc_config_fields),
    .struct_size = sizeof(vc_config_t),
};

static vs_constructor void vc_config_register(void)
{
    vs_config_register(&vc_config_table);
}

verve_status_t vc_select_table_load(vc_select_table_t *table)
{
    verve_status_t status;
    vc_config_t config;

    status = vs_config_read(&vc_config_table, &config);
    if (status != VERVE_OK) {
        return status;
    }
    status = vc_select_table_init(table, config.tune);
    vs_config_release(&vc_config_table, &config);
    return status;
}

VERVE_API verve_status_t verve_coll_print_info(FILE *stream)
{
    vc_select_table_t *table = malloc(sizeof(*table));
    verve_status_t status;

    if (table == NULL) {
        return VERVE_ERR_NO_MEMORY;
    }
    status = vc_select_table_load(table);
    if (status == VERVE_OK) {
        fprintf(stream, "# Collectives (selection table in force, first "
                "match wins; VERVE_COLL_TUNE rules first):\n");
        vc_select_table_print(table, stream);
    }
    free(table);
    return status;
}
