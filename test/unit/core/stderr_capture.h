/*
 * Test helper: redirects file descriptor 2 into a temporary file so that a
 * test can assert on what verve logged. Shared by the core unit tests.
 */
#ifndef VS_TEST_STDERR_CAPTURE_H
#define VS_TEST_STDERR_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct stderr_capture {
    FILE *file;
    int saved_fd;
} stderr_capture_t;

static inline void stderr_capture_start(stderr_capture_t *capture)
{
    fflush(stderr);
    capture->file = tmpfile();
    if (capture->file == NULL) {
        abort();
    }
    capture->saved_fd = dup(STDERR_FILENO);
    if ((capture->saved_fd < 0) ||
        (dup2(fileno(capture->file), STDERR_FILENO) < 0)) {
        abort();
    }
}

/* Restores stderr and returns what was written, NUL-terminated; free() it. */
static inline char *stderr_capture_stop(stderr_capture_t *capture)
{
    long size;
    char *text;

    fflush(stderr);
    dup2(capture->saved_fd, STDERR_FILENO);
    close(capture->saved_fd);
    fseek(capture->file, 0, SEEK_END);
    size = ftell(capture->file);
    text = calloc(1, (size_t)size + 1);
    if (text == NULL) {
        abort();
    }
    rewind(capture->file);
    if (fread(text, 1, (size_t)size, capture->file) != (size_t)size) {
        abort();
    }
    fclose(capture->file);
    return text;
}

#endif
