/*
 * la_dirs.c — whole-directory replacement for commands that write an output
 * directory (see la_dirs.h): remove a tree, decide whether an existing
 * directory may be replaced, and swap a finished temporary directory in.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la_dirs.h"
#include "la_util.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

void la_dir_remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int la_dir_replaceable(const char *dir, const char *marker)
{
    char p[PATH_MAX];
    if (la_path_join(p, sizeof p, dir, marker) == 0 && access(p, F_OK) == 0) return 1;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

int la_dir_swap_in(const char *tmp, const char *out)
{
    struct stat sb;
    if (lstat(out, &sb) != 0) return rename(tmp, out) != 0 ? -1 : 0;
    char old[PATH_MAX + 64];
    snprintf(old, sizeof old, "%s.old.%ld", out, (long)getpid());
    if (rename(out, old) != 0) return -1;
    if (rename(tmp, out) != 0) {
        int e = errno;
        rename(old, out);            /* put the old one back */
        errno = e;
        return -1;
    }
    la_dir_remove_tree(old);
    return 0;
}
