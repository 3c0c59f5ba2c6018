// Writes the data big.c embeds: COUNT bytes of xorshift32 from big.c's seed (host program).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    size_t count = argc > 1 ? strtoul(argv[1], 0, 10) : 0;
    unsigned state = 2463534242u;
    for (size_t index = 0; index < count; index++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        putchar((unsigned char)state);
    }
    return 0;
}
