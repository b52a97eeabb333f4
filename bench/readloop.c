/*
 * readloop: bare libpcap read loop, the floor for any pcap-based tool.
 * Opens a capture offline, reads every packet with pcap_next_ex and counts
 * packets and captured bytes.  No parsing.
 *
 *   cc -O2 -o bench/out/readloop bench/readloop.c -lpcap
 *   bench/out/readloop FILE
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "readloop: %s\n", errbuf);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        if (h->caplen > 0)
            sum += data[h->caplen - 1];   /* touch the data so the loop is not optimised away */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "readloop: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %llu bytes %llu (checksum %llu)\n",
           (unsigned long long)packets, (unsigned long long)bytes, (unsigned long long)sum);
    return 0;
}
