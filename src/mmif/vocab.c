/* The CLAMS vocabulary's type URIs by MMIF version, so the SDK's own
 * defaults (and an app that asks) follow the MMIF version an app declares.
 *
 * 1.1.0: http://mmif.clams.ai/vocabulary/<Type>/<vN>, every type with the
 * version of the spec's attypeversions table (MMIF 1.1.0).
 * 1.2.0: http://clams.ai/vocabulary/type/<Type>/<vN>. Only the types whose
 * 1.2.0 version is known here are listed: those that published 1.2.0 apps
 * declare in their metadata (TextDocument/v2, VideoDocument/v2,
 * AudioDocument/v2, TimeFrame/v6, TimePoint/v5, Alignment/v1). For any other
 * type the lookup says "unknown" (NULL) rather than guess a version. The
 * table is the public one (clams/vocab.h), so an app's constants and this
 * lookup agree. */
#include <string.h>

#include "clams/vocab.h"
#include "mmif/mmif_internal.h"

typedef struct {
    const char *name;
    const char *uri;
} vtype_t;

#define ENTRY(name, uri) {name, uri},
static const vtype_t v110[] = {CLAMS_MMIF11_TYPES(ENTRY){NULL, NULL}};
static const vtype_t v120[] = {CLAMS_MMIF12_TYPES(ENTRY){NULL, NULL}};
#undef ENTRY

/* "1.2.0", "1.2", "http://mmif.clams.ai/1.2.0": 1 for a 1.2 vocabulary,
 * 0 for 1.0/1.1, -1 otherwise. */
static int vocabulary_of(const char *version)
{
    if (!version)
        return 0;
    const char *v = strrchr(version, '/');
    v = v ? v + 1 : version;
    if (strncmp(v, "1.2", 3) == 0 && (v[3] == '\0' || v[3] == '.'))
        return 1;
    if ((strncmp(v, "1.1", 3) == 0 || strncmp(v, "1.0", 3) == 0) && (v[3] == '\0' || v[3] == '.'))
        return 0;
    return -1;
}

const char *clams_vocab_type_uri(const char *mmif_version, const char *type_name)
{
    int voc = vocabulary_of(mmif_version);
    if (voc < 0 || !type_name)
        return NULL;
    for (const vtype_t *t = voc ? v120 : v110; t->name; t++)
        if (strcmp(t->name, type_name) == 0)
            return t->uri;
    return NULL;
}

const char *clams__mmif_version_of(const clams_mmif_t *mmif)
{
    if (mmif->vocabulary)
        return mmif->vocabulary;
    return json_string_value(json_object_get(clams_mmif_metadata(mmif), "mmif"));
}

int clams_mmif_set_vocabulary(clams_mmif_t *mmif, const char *mmif_version)
{
    if (!mmif)
        return CLAMS_EINVAL;
    if (!mmif_version) {
        mmif->vocabulary = NULL;
        return 0;
    }
    int voc = vocabulary_of(mmif_version);
    if (voc < 0)
        return CLAMS_EINVAL;
    mmif->vocabulary = voc ? "1.2.0" : "1.1.0";
    return 0;
}
