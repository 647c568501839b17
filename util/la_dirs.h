/*
 * la_dirs.h — replacing an output directory as a whole: commands that write
 * a directory (`report`, `clean`) build it under a temporary name, then swap
 * it in for the old one, and only replace a directory that is empty or that
 * they wrote before (it holds their marker file). Never prints.
 */
#ifndef LA_DIRS_H
#define LA_DIRS_H

/* Removes path and everything below it (symbolic links are removed, not
 * followed). Best effort: errors are ignored. */
void la_dir_remove_tree(const char *path);

/* 1 when dir is empty or holds a file named marker, else 0 (also when dir
 * cannot be read). */
int la_dir_replaceable(const char *dir, const char *marker);

/* Renames the directory tmp to out. An existing out is first renamed to
 * OUT.old.PID, put back if the second rename fails, and removed after it
 * succeeds. Returns 0, or -1 with errno from the rename that failed. */
int la_dir_swap_in(const char *tmp, const char *out);

#endif /* LA_DIRS_H */
