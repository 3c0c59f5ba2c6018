// wc [FILE…] — counts lines, words and bytes (C with wasi-libc: the C path of the SDK).
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int count(FILE *file, const char *name, long totals[3]) {
    long lines = 0, words = 0, bytes = 0;
    int in_word = 0, c;
    while ((c = getc(file)) != EOF) {
        bytes++;
        if (c == '\n') lines++;
        if (isspace(c)) in_word = 0;
        else if (!in_word) { in_word = 1; words++; }
    }
    printf("%7ld %7ld %7ld%s%s\n", lines, words, bytes, name ? " " : "", name ? name : "");
    totals[0] += lines; totals[1] += words; totals[2] += bytes;
    return 0;
}

int main(int argc, char **argv) {
    long totals[3] = {0, 0, 0};
    int status = 0;
    const char *pwd = getenv("PWD"); // the shell's current directory
    if (pwd) chdir(pwd);
    if (argc < 2) return count(stdin, NULL, totals);
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "r");
        if (!file) {
            fprintf(stderr, "wc: %s: %s\n", argv[i], strerror(errno));
            status = 1;
            continue;
        }
        count(file, argv[i], totals);
        fclose(file);
    }
    if (argc > 2) printf("%7ld %7ld %7ld total\n", totals[0], totals[1], totals[2]);
    return status;
}
