/* `clams config [--cflags] [--libs] [--static] [--prefix]`: the compiler and
 * linker flags for the clams-c installation this tool belongs to, found from
 * where the tool itself is (PREFIX/bin/clams), so an app builds against a
 * private prefix without PKG_CONFIG_PATH, and runs without LD_LIBRARY_PATH:
 * --libs adds a run path to the library folder.
 *
 *     cc -o app app.c $(clams config --cflags --libs)
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#ifndef CLAMS_INSTALL_LIBDIR
#define CLAMS_INSTALL_LIBDIR "lib"
#endif

int clams_cli_install_prefix(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0'; /* PREFIX/bin */
    slash = strrchr(exe, '/');
    if (!slash || strcmp(slash, "/bin") != 0)
        return -1;
    *slash = '\0';
    char probe[PATH_MAX];
    int k = snprintf(probe, sizeof(probe), "%s/include/clams/clams.h", exe[0] ? exe : "");
    if (k < 0 || (size_t)k >= sizeof(probe) || access(probe, R_OK) != 0)
        return -1; /* a build tree's bin/, not an installation */
    k = snprintf(out, size, "%s", exe[0] ? exe : "/");
    return k > 0 && (size_t)k < size ? 0 : -1;
}

void clams_cli_config_usage(FILE *out)
{
    fprintf(out, "usage: clams config [--cflags] [--libs] [--static] [--prefix] [--libdir]\n\n"
                 "Prints the flags that build an app against the clams-c installation this\n"
                 "tool belongs to (found from the tool's own location):\n"
                 "  --cflags   -I for the headers\n"
                 "  --libs     -L, a run path (-Wl,-rpath) and -lclams -ljansson\n"
                 "  --static   with --libs: link libclams.a and what it needs instead\n"
                 "  --prefix   the installation prefix;  --libdir  its library folder\n\n"
                 "  cc -o app app.c $(clams config --cflags --libs)\n");
}

int clams_cli_config(int argc, char **argv)
{
    bool cflags = false, libs = false, stat = false, prefix = false, libdir = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cflags"))
            cflags = true;
        else if (!strcmp(argv[i], "--libs"))
            libs = true;
        else if (!strcmp(argv[i], "--static"))
            stat = true;
        else if (!strcmp(argv[i], "--prefix"))
            prefix = true;
        else if (!strcmp(argv[i], "--libdir"))
            libdir = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            clams_cli_config_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "clams config: unexpected argument '%s'\n", argv[i]);
            clams_cli_config_usage(stderr);
            return 2;
        }
    }
    if (!cflags && !libs && !prefix && !libdir) {
        clams_cli_config_usage(stderr);
        return 2;
    }
    char pfx[PATH_MAX];
    if (clams_cli_install_prefix(pfx, sizeof(pfx)) != 0) {
        fprintf(stderr, "clams config: this clams is not an installed one (no "
                        "../include/clams/clams.h beside its bin/); run the clams of an "
                        "installation (make install PREFIX=...), or use CMake or pkg-config\n");
        return 1;
    }
    const char *root = strcmp(pfx, "/") == 0 ? "" : pfx;
    const char *sep = "";
    if (prefix) {
        printf("%s%s", sep, pfx);
        sep = " ";
    }
    if (libdir) {
        printf("%s%s/%s", sep, root, CLAMS_INSTALL_LIBDIR);
        sep = " ";
    }
    if (cflags) {
        printf("%s-I%s/include", sep, root);
        sep = " ";
    }
    if (libs && stat)
        printf("%s%s/%s/libclams.a -ljansson -lmicrohttpd -ldl -lm -lpthread", sep, root,
               CLAMS_INSTALL_LIBDIR);
    else if (libs)
        printf("%s-L%s/%s -Wl,-rpath,%s/%s -lclams -ljansson", sep, root, CLAMS_INSTALL_LIBDIR,
               root, CLAMS_INSTALL_LIBDIR);
    printf("\n");
    return 0;
}
