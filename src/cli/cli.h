/* The `clams` tool's subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the exit status: 0 success,
 * 1 failure, 2 bad arguments. */
#ifndef CLAMS_CLI_H
#define CLAMS_CLI_H

#include <stdio.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*usage)(FILE *out);
} clams_cli_cmd_t;

int clams_cli_validate(int argc, char **argv);
void clams_cli_validate_usage(FILE *out);
int clams_cli_source(int argc, char **argv);
void clams_cli_source_usage(FILE *out);
int clams_cli_describe(int argc, char **argv);
void clams_cli_describe_usage(FILE *out);
int clams_cli_rewind(int argc, char **argv);
void clams_cli_rewind_usage(FILE *out);
int clams_cli_new(int argc, char **argv);
void clams_cli_new_usage(FILE *out);
int clams_cli_serve(int argc, char **argv);
void clams_cli_serve_usage(FILE *out);
int clams_cli_config(int argc, char **argv);
void clams_cli_config_usage(FILE *out);

/* The prefix of the installation this tool belongs to (it runs as
 * PREFIX/bin/clams beside PREFIX/include/clams): 0 with out filled, or -1
 * for a tool that is not installed (a build tree). */
int clams_cli_install_prefix(char *out, size_t size);

/* The document type URI `clams source` gives a TYPE ("video", "video/mp4"):
 * the major part picks it; NULL for an unknown one (src/cli/source.c, also
 * used by `clams run` for each item). */
const char *clams_cli_doc_type_for(const char *mime);
int clams_cli_run(int argc, char **argv);
void clams_cli_run_usage(FILE *out);

/* Helpers shared by the subcommands (src/cli/io.c, src/cli/md5.c). */
struct clams_mmif_s;
/* Loads a MMIF from a path, or standard input for NULL or "-"; on failure
 * prints "clams CMD: PATH: reason" on stderr and returns NULL.
 * Ownership: new (clams_mmif_free). */
struct clams_mmif_s *clams_cli_load(const char *cmd, const char *path);
/* Writes `text` (len bytes) to a path, or standard output for NULL or "-".
 * Returns 0, or 1 after printing why on stderr. */
int clams_cli_write(const char *cmd, const char *path, const char *text, size_t len);
/* mkdir -p: path and every missing folder above it. Returns 0 or -1
 * (errno set). */
int clams_cli_mkdirs(const char *path);
/* The whole file, NUL-terminated; *len (may be NULL) gets its length.
 * NULL with errno set on failure. Ownership: new (free()). */
char *clams_cli_read_file(const char *path, size_t *len);
/* The MD5 digest of data as 32 lower-case hex digits and a NUL. */
void clams_cli_md5_hex(const void *data, size_t len, char out[33]);

/* `clams describe` (src/cli/describe.c, src/cli/describe_dir.c). */
#define CLAMS_CLI_NO_APP "http://apps.clams.ai/non-existing-app/v1"
struct json_t;
/* The single-MMIF summary (workflowId, stats, apps). Ownership: new. */
struct json_t *clams_cli_describe_mmif(const struct clams_mmif_s *mmif);
/* The collection summary of the "*.mmif" files directly in dir; a file that
 * does not load is counted as invalid after a line on stderr. NULL when dir
 * cannot be read. Ownership: new. */
struct json_t *clams_cli_describe_dir(const char *dir);

#endif
