#ifndef DHCPSCOPE_CLIBPCAP_SHIM_H
#define DHCPSCOPE_CLIBPCAP_SHIM_H
#include <pcap/pcap.h>
#include <stdio.h>
#endif
