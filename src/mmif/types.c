/* Annotation type URIs: short names, version-agnostic matching across the
 * vocabulary URI forms CLAMS has used, and the id prefixes mmif-python
 * derives from short names (capital letters, extended on collision). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mmif/mmif_internal.h"

/* The URI forms of the CLAMS vocabulary, old and new. */
static const char *const clams_bases[] = {
    "mmif.clams.ai/vocabulary/",
    "clams.ai/vocabulary/type/",
    "vocab.lappsgrid.org/",
};

/* Vocabulary types in mmif-python's instantiation order with the prefixes
 * that order gives them ("Token" is "to" because Thing took "t"). */
static const struct {
    const char *name;
    const char *prefix;
} vocab[] = {
    {"Thing", "t"},
    {"Annotation", "a"},
    {"Region", "r"},
    {"TimePoint", "tp"},
    {"Interval", "i"},
    {"Span", "s"},
    {"Token", "to"},
    {"Sentence", "se"},
    {"Paragraph", "p"},
    {"NamedEntity", "ne"},
    {"NounChunk", "nc"},
    {"VerbChunk", "vc"},
    {"TimeFrame", "tf"},
    {"Chapter", "c"},
    {"Polygon", "po"},
    {"BoundingBox", "bb"},
    {"VideoObject", "vo"},
    {"Relation", "re"},
    {"GenericRelation", "gr"},
    {"SemanticRole", "sr"},
    {"Constituent", "co"},
    {"Dependency", "de"},
    {"Document", "d"},
    {"VideoDocument", "vd"},
    {"AudioDocument", "ad"},
    {"ImageDocument", "id"},
    {"TextDocument", "td"},
    {"Alignment", "al"},
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

enum { FAM_SHORT, FAM_CLAMS, FAM_OTHER };

typedef struct {
    int family;
    const char *name; /* short name */
    size_t name_len;
    const char *ver; /* "vN" or NULL */
    size_t ver_len;
    size_t base_len; /* FAM_OTHER: length of the URI without "/vN" */
} parsed_type_t;

static bool is_version(const char *s, size_t n)
{
    if (n < 2 || s[0] != 'v')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static void parse_type(const char *uri, parsed_type_t *t)
{
    memset(t, 0, sizeof(*t));
    const char *scheme = strstr(uri, "://");
    size_t n = strlen(uri);
    while (n > 0 && uri[n - 1] == '/')
        n--;
    if (!scheme) {
        t->family = FAM_SHORT;
        t->name = uri;
        t->name_len = n;
        t->base_len = n;
        return;
    }
    t->family = FAM_OTHER;
    const char *rest = scheme + 3;
    for (size_t i = 0; i < sizeof(clams_bases) / sizeof(clams_bases[0]); i++)
        if (strncmp(rest, clams_bases[i], strlen(clams_bases[i])) == 0)
            t->family = FAM_CLAMS;
    /* The last segment, or the one before it when the last is "vN". */
    size_t end = n, start = end;
    while (start > 0 && uri[start - 1] != '/' && uri[start - 1] != '#')
        start--;
    t->base_len = end;
    if (is_version(uri + start, end - start) && start > 0 && uri + start - 1 > rest) {
        t->ver = uri + start;
        t->ver_len = end - start;
        end = start - 1;
        t->base_len = end;
        start = end;
        while (start > 0 && uri[start - 1] != '/' && uri[start - 1] != '#')
            start--;
    }
    t->name = uri + start;
    t->name_len = end - start;
}

size_t clams_type_short_name(const char *uri, char *buf, size_t size)
{
    if (!uri) {
        if (buf && size)
            buf[0] = '\0';
        return 0;
    }
    parsed_type_t t;
    parse_type(uri, &t);
    if (buf && size) {
        size_t k = t.name_len < size - 1 ? t.name_len : size - 1;
        memcpy(buf, t.name, k);
        buf[k] = '\0';
    }
    return t.name_len;
}

bool clams_type_matches(const char *uri, const char *query, int flags)
{
    if (!uri || !query)
        return false;
    parsed_type_t a, b;
    parse_type(uri, &a);
    parse_type(query, &b);
    if (a.family == FAM_OTHER || b.family == FAM_OTHER) {
        /* Outside the CLAMS vocabulary only the same URI (modulo version) matches. */
        if (a.family != b.family || a.base_len != b.base_len || memcmp(uri, query, a.base_len) != 0)
            return false;
    } else if (a.name_len != b.name_len || memcmp(a.name, b.name, a.name_len) != 0) {
        return false;
    }
    if ((flags & CLAMS_TYPE_MATCH_VERSION) && a.ver && b.ver)
        return a.ver_len == b.ver_len && memcmp(a.ver, b.ver, a.ver_len) == 0;
    return true;
}

static bool prefix_taken(const char *p, const mmif_vtype_t *taken, size_t n, bool check_vocab)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(taken[i].prefix, p) == 0)
            return true;
    if (check_vocab)
        for (size_t i = 0; i < NVOCAB; i++)
            if (strcmp(vocab[i].prefix, p) == 0)
                return true;
    return false;
}

void clams__type_prefix(const char *name, const mmif_vtype_t *taken, size_t n, char *out,
                        size_t outsz)
{
    for (size_t i = 0; i < NVOCAB; i++) {
        if (strcmp(vocab[i].name, name) == 0) {
            snprintf(out, outsz, "%s", vocab[i].prefix);
            return;
        }
    }
    /* Not in the vocabulary: its capitals, then longer heads of the name,
     * then a number, until no vocabulary type or type of this view has it. */
    char cand[24];
    size_t k = 0;
    for (const char *c = name; *c && k < sizeof(cand) - 1; c++)
        if (isupper((unsigned char)*c))
            cand[k++] = (char)tolower((unsigned char)*c);
    cand[k] = '\0';
    if (k > 0 && !prefix_taken(cand, taken, n, true)) {
        snprintf(out, outsz, "%s", cand);
        return;
    }
    size_t len = strlen(name);
    for (size_t m = 1; m <= len && m < sizeof(cand) - 1; m++) {
        bool ok = true;
        for (size_t j = 0; j < m; j++) {
            unsigned char ch = (unsigned char)name[j];
            if (!isalnum(ch))
                ok = false;
            cand[j] = (char)tolower(ch);
        }
        cand[m] = '\0';
        if (ok && !prefix_taken(cand, taken, n, true)) {
            snprintf(out, outsz, "%s", cand);
            return;
        }
    }
    for (unsigned i = 1;; i++) {
        snprintf(cand, sizeof(cand), "x%u", i);
        if (!prefix_taken(cand, taken, n, true)) {
            snprintf(out, outsz, "%s", cand);
            return;
        }
    }
}
