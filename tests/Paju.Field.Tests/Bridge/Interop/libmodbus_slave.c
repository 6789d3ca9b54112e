/* A Modbus RTU slave built on libmodbus, for interoperability tests: the bridge's master must
 * read and write a slave written by others. Usage: libmodbus_slave PTY BAUD SLAVE_ID
 * Holding registers: 0-2 the reference vector (AE41 5652 4340), 10-11 3.14 as float ABCD (high word
 * first), 12-13 -2.5 as float CDAB (low word first), 20-21 305419896 as u32 ABCD. Input registers:
 * register i holds 1000 + i. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <modbus.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s PTY BAUD SLAVE_ID\n", argv[0]);
        return 2;
    }
    modbus_t *ctx = modbus_new_rtu(argv[1], atoi(argv[2]), 'E', 8, 1);
    if (ctx == NULL || modbus_set_slave(ctx, atoi(argv[3])) == -1 || modbus_connect(ctx) == -1) {
        fprintf(stderr, "libmodbus: %s\n", modbus_strerror(errno));
        return 1;
    }
    modbus_mapping_t *map = modbus_mapping_new(0, 0, 64, 64);
    map->tab_registers[0] = 0xAE41;
    map->tab_registers[1] = 0x5652;
    map->tab_registers[2] = 0x4340;
    /* Set by hand: Debian's libmodbus 3.1.6 modbus_set_float_abcd() also swaps the bytes inside
     * each register (4840 C3F5 for 3.14f), which the bridge's range check rightly refuses. */
    map->tab_registers[10] = 0x4048; /* 3.14f = 0x4048F5C3, high word first */
    map->tab_registers[11] = 0xF5C3;
    map->tab_registers[12] = 0x0000; /* -2.5f = 0xC0200000, low word first */
    map->tab_registers[13] = 0xC020;
    map->tab_registers[20] = 0x1234;
    map->tab_registers[21] = 0x5678;
    for (int i = 0; i < 64; i++) {
        map->tab_input_registers[i] = 1000 + i;
    }
    printf("ready\n");
    fflush(stdout);
    uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    for (;;) {
        int rc = modbus_receive(ctx, query);
        if (rc > 0) {
            modbus_reply(ctx, query, rc, map);
        }
        /* rc == -1: a bad frame (CRC, timeout); libmodbus flushes and we listen again. */
    }
}
