/*
 * manifest.h — image datasets: manifests (CSV id,path,label with paths
 * relative to the manifest's directory) and image folders (root/<class>/<file>).
 *
 * Every image is size-checked from its header before decoding (image.h), then
 * converted to gray or RGB, resized when --image-size is given, and stored as
 * pixels / 255 in the N x D block (D = W x H x channels, row-major h, w, c).
 * Bad images do not stop the scan: all of them are collected, the first is
 * reported in full and the others listed after it in the same message.
 */
#ifndef LA_IO_MANIFEST_H
#define LA_IO_MANIFEST_H

#include "dataset_model.h"

/* Manifest: header with `path`, the label column (default `label`) and
 * optionally the id column (default `id`, else row numbers 0..N-1). Paths that
 * leave the manifest's directory (absolute, "..", or a symlink out) are refused
 * unless opts->allow_outside_root. Errors name the manifest and the line. */
int io_manifest_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err);

/* Image folder: each visible subdirectory of root is a class, each image file
 * in it (by extension: png jpg jpeg bmp gif tga pgm ppm pnm psd hdr pic) an
 * example, both in byte-wise sorted order. Ids are the file names without
 * extension when those are unique, else "class/file". */
int io_folder_load(const char *root, const io_load_opts *opts, la_dataset *ds, la_error *err);

/* 0 when rel (a manifest path) stays inside root, lexically and after
 * resolving symlinks of the existing part; -1 when it escapes. */
int io_path_inside(const char *root, const char *rel);

#endif
