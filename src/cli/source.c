/* `clams source [-p PREFIX] [-s SCHEME] [-o OUT] TYPE:PATH...`: prints a new
 * MMIF with one document per argument (ids d1, d2, ...), as mmif-python's
 * `source` command does. TYPE is video/audio/image/text or a MIME type whose
 * major part picks the document type; the MIME field keeps TYPE as given. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clams/clams.h"
#include "cli/cli.h"

void clams_cli_source_usage(FILE *out)
{
    fprintf(out,
            "usage: clams source [-p PREFIX] [-s SCHEME] [-o OUTPUT] TYPE:PATH...\n\n"
            "Prints a new MMIF (spec %s) holding one document per TYPE:PATH.\n"
            "  TYPE            video, audio, image, text, or a MIME type (video/mp4)\n"
            "  -p, --prefix    absolute directory joined before each (relative) PATH\n"
            "  -s, --scheme    URI scheme of the locations (default: file)\n"
            "  -o, --output    write to this file instead of standard output\n"
            "With the file scheme, PATH must be absolute unless --prefix is given.\n",
            CLAMS_MMIF_SPEC_VERSION);
}

static const struct {
    const char *major;
    const char *type;
} doc_types[] = {
    {"video", "http://mmif.clams.ai/vocabulary/VideoDocument/v1"},
    {"audio", "http://mmif.clams.ai/vocabulary/AudioDocument/v1"},
    {"image", "http://mmif.clams.ai/vocabulary/ImageDocument/v1"},
    {"text", "http://mmif.clams.ai/vocabulary/TextDocument/v1"},
};

const char *clams_cli_doc_type_for(const char *mime)
{
    size_t major = strcspn(mime, "/");
    if (mime[major] == '/' && mime[major + 1] == '\0')
        return NULL;
    for (size_t i = 0; i < sizeof(doc_types) / sizeof(doc_types[0]); i++)
        if (strlen(doc_types[i].major) == major && strncmp(mime, doc_types[i].major, major) == 0)
            return doc_types[i].type;
    return NULL;
}

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "clams source: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    clams_cli_source_usage(stderr);
    return 2;
}

/* Adds the document for one TYPE:PATH argument. Returns an exit status. */
static int add_one(clams_mmif_t *m, const char *arg, int n, const char *prefix, const char *scheme)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || colon[1] == '\0')
        return bad("expected TYPE:PATH, got '%s'", arg);
    char *mime = strndup(arg, (size_t)(colon - arg));
    const char *path = colon + 1;
    const char *type = mime ? clams_cli_doc_type_for(mime) : NULL;
    if (!type) {
        int rc =
            bad("unknown document type in '%s' (video, audio, image, text or a MIME type)", arg);
        free(mime);
        return rc;
    }
    if (prefix && path[0] == '/') {
        free(mime);
        return bad("with --prefix, PATH must be relative: '%s'", arg);
    }
    if (!prefix && path[0] != '/' && strcmp(scheme, "file") == 0) {
        free(mime);
        return bad("PATH must be absolute (or use --prefix): '%s'", arg);
    }
    size_t plen = prefix ? strlen(prefix) : 0;
    while (plen > 1 && prefix[plen - 1] == '/')
        plen--;
    char id[32];
    snprintf(id, sizeof(id), "d%d", n);
    char *loc = NULL;
    int rc = asprintf(&loc, "%s://%.*s%s%s", scheme, (int)plen, prefix ? prefix : "",
                      prefix && plen > 1 ? "/" : "", path);
    if (rc < 0) {
        free(mime);
        return 1;
    }
    rc = clams_mmif_add_media_document(m, type, id, mime, loc);
    free(loc);
    free(mime);
    if (rc != 0) {
        fprintf(stderr, "clams source: cannot add '%s': %s\n", arg, clams_strerror(rc));
        return 1;
    }
    return 0;
}

int clams_cli_source(int argc, char **argv)
{
    static const struct option opts[] = {
        {"prefix", required_argument, NULL, 'p'},
        {"scheme", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prefix = NULL, *scheme = "file", *output = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+p:s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': prefix = optarg; break;
        case 's': scheme = optarg; break;
        case 'o': output = optarg; break;
        case 'h': clams_cli_source_usage(stdout); return 0;
        default: return bad("bad option or missing value near '%s'", argv[optind - 1]);
        }
    }
    if (prefix && prefix[0] != '/')
        return bad("--prefix must be an absolute path: '%s'", prefix);
    if (!*scheme || strpbrk(scheme, ":/"))
        return bad("--scheme must be a bare scheme name such as file or http: '%s'", scheme);
    if (optind >= argc)
        return bad("%s", "no TYPE:PATH given");
    clams_mmif_t *m = clams_mmif_new(NULL);
    if (!m)
        return 1;
    int status = 0;
    for (int i = optind; i < argc && status == 0; i++)
        status = add_one(m, argv[i], i - optind + 1, prefix, scheme);
    if (status == 0) {
        int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 1;
        if (fd < 0 || clams_mmif_dump_fd(m, CLAMS_DUMP_PRETTY, fd) != 0 ||
            write(fd, "\n", 1) != 1) {
            perror(output ? output : "stdout");
            status = 1;
        }
        if (output && fd >= 0)
            close(fd);
    }
    clams_mmif_free(m);
    return status;
}
