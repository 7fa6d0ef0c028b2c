/*
 * page-cost.c: what a page's first touch costs on this machine, beside the ways of writing a file.
 *
 * Why it exists: the log's mapped writer ran at a quarter of its earlier rate after the project moved
 * to a PVM guest (shadow paging) with the same code. This probe separates the costs: storing into
 * fresh pages of a shared file mapping, the same after MADV_POPULATE_WRITE, after a user-space write
 * touch by another thread, fresh anonymous memory (with and without MADV_HUGEPAGE), and pwrite() of
 * several chunk sizes into cached file pages. Figures are in Kernel.Bench/Notes/_summary.md.
 *
 * Build and run:  gcc -O2 -pthread -o /tmp/page-cost scripts/probes/page-cost.c && /tmp/page-cost [dir]
 * It writes one 64 MiB scratch file in dir (default /tmp) and deletes it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SIZE (64L << 20)
#define PAGE 4096L
#define RECORD 512

static char record[RECORD];
static char *region;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void report(const char *what, double start, double end) {
    printf("%-44s %8.1f ms %7.2f GB/s\n", what, (end - start) * 1e3, SIZE / (end - start) / 1e9);
}

/* Appends 512-byte records over the whole region, as the log's writer does. */
static void append_records(char *to) {
    for (long offset = 0; offset + RECORD <= SIZE; offset += RECORD) memcpy(to + offset, record, RECORD);
}

/* A file of SIZE bytes whose pages are all in the page cache (written once through write()). */
static int cached_file(const char *path) {
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ftruncate(fd, SIZE) != 0) { perror(path); exit(1); }
    char *zeros = calloc(1, 1 << 20);
    for (long offset = 0; offset < SIZE; offset += 1 << 20) pwrite(fd, zeros, 1 << 20, offset);
    free(zeros);
    return fd;
}

/* Touches every page for writing without changing a byte: an atomic OR of zero. */
static void *write_touch(void *unused) {
    (void)unused;
    for (long offset = 0; offset < SIZE; offset += PAGE) __atomic_fetch_or((long *)(region + offset), 0, __ATOMIC_RELAXED);
    return NULL;
}

static void mapped_case(const char *path, int how) {
    static const char *names[] = {
        "mapped: fresh pages",
        "mapped: after MADV_POPULATE_WRITE",
        "mapped: after another thread's write touch",
    };
    int fd = cached_file(path);
    region = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    double prepared = seconds();
    if (how == 1) madvise(region, SIZE, MADV_POPULATE_WRITE);
    if (how == 2) {
        pthread_t toucher;
        pthread_create(&toucher, NULL, write_touch, NULL);
        pthread_join(toucher, NULL);
    }
    double start = seconds();
    if (how != 0) report("  (its preparation)", prepared, start);
    append_records(region);
    report(names[how], start, seconds());
    munmap(region, SIZE);
    close(fd);
}

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/page-cost.bin", argc > 1 ? argv[1] : "/tmp");
    memset(record, 7, RECORD);

    for (int how = 0; how < 3; how++) mapped_case(path, how);

    for (int huge = 0; huge < 2; huge++) {
        char *raw = mmap(NULL, SIZE + (2L << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *memory = (char *)(((long)raw + (2L << 20) - 1) & ~((2L << 20) - 1));
        if (huge) madvise(memory, SIZE, MADV_HUGEPAGE);
        double start = seconds();
        memset(memory, 1, SIZE);
        double touched = seconds();
        report(huge ? "anonymous, MADV_HUGEPAGE: first memset" : "anonymous: first memset", start, touched);
        append_records(memory);
        report("  then records into the touched memory", touched, seconds());

        if (!huge) {
            for (long chunk = PAGE; chunk <= (1L << 20); chunk *= 16) {
                int fd = cached_file(path);
                double begin = seconds();
                for (long offset = 0; offset < SIZE; offset += chunk) pwrite(fd, memory + offset, chunk, offset);
                char name[64];
                snprintf(name, sizeof name, "pwrite into cached pages, %ld KiB chunks", chunk / 1024);
                report(name, begin, seconds());
                close(fd);
            }
        }
        munmap(raw, SIZE + (2L << 20));
    }
    unlink(path);
    return 0;
}
