#!/usr/bin/env bash
# Records the lab-*.pcap samples with real DHCP software in throwaway network namespaces. Needs root.
#
# Safety, as in Tests/LabTests: every program runs inside its own namespace (ip netns exec), namespaces are joined
# only by veth pairs, have no route out, use 198.18.0.0/15 only, every program runs under `timeout`, everything is
# stopped by pid and the namespaces are deleted on exit, failed or not. Clients use scripts that only add or remove
# the leased address on the lab interface.
#
#   lab-dora-release.pcap        dnsmasq + dhclient: DISCOVER, OFFER, REQUEST, ACK, then RELEASE (dhclient -r)
#   lab-renew.pcap               ISC dhcpd (T1 5 s) + dhclient: DORA, then one unicast renewing REQUEST and its ACK
#   lab-relay-client-side.pcap   dhclient — dhcrelay -a — kea-dhcp4, captured on the client's link
#   lab-relay-server-side.pcap   the same exchange captured on the server's link (giaddr, hops 1, option 82)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "make-lab-captures: needs root (network namespaces)" >&2; exit 2; }
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dhcpscope-lab-samples-XXXXXX)
tag="$$x$(printf %04x $((RANDOM)))"
namespaces=()
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# Leftovers of earlier runs whose owner (the pid in the name) is gone.
for ns in $(ip netns list | awk '{print $1}' | grep '^dhcpscope-lab-' || true); do
    owner=$(echo "$ns" | grep -o -- '-[0-9]*x[0-9a-f]*-' | head -1 | tr -d - | cut -dx -f1)
    if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
done

netns() {  # netns VAR ROLE: creates dhcpscope-lab-samples-<pid>x<rand>-ROLE, its name in VAR (no subshell: the
           # name must reach the cleanup list)
    local ns="dhcpscope-lab-samples-$tag-$2"
    ip netns add "$ns"; namespaces+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    printf -v "$1" %s "$ns"
}
veth() {  # veth NS1 IF1 MAC1 NS2 IF2 MAC2
    ip link add "$2" netns "$1" address "$3" type veth peer name "$5" netns "$4" address "$6"
    ip -n "$1" link set "$2" up; ip -n "$4" link set "$5" up
    for _ in $(seq 50); do
        ip -n "$1" link show "$2" | grep -q LOWER_UP && ip -n "$4" link show "$5" | grep -q LOWER_UP && return
        sleep 0.1
    done
}
bg() {  # bg NS NAME COMMAND…: runs under timeout inside NS, output to $work/NAME.log
    local ns=$1 name=$2; shift 2
    ip netns exec "$ns" timeout -k 3 90 "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
}
await() {  # await SECONDS DESCRIPTION COMMAND…
    local seconds=$1 what=$2; shift 2
    for _ in $(seq $((seconds * 10))); do "$@" && return 0; sleep 0.1; done
    echo "make-lab-captures: timed out waiting for $what" >&2
    tail -n 20 "$work"/*.log >&2
    exit 1
}
capture() {  # capture NS IFACE FILE
    bg "$1" "tcpdump-$(basename "$3")" tcpdump -Z root -n -U --immediate-mode -i "$2" -w "$3" 'udp and (port 67 or port 68)'
    await 10 "tcpdump on $2" grep -qs "listening on" "$work/tcpdump-$(basename "$3").log"
}
stop_captures() { sleep 0.3; for ns in "$@"; do ip netns exec "$ns" pkill -INT -x tcpdump 2>/dev/null || true; done; sleep 0.5; }

cat >"$work/client.sh" <<'SCRIPT'
#!/bin/sh
# Only adds or removes the leased address on the lab interface.
echo "$reason" >> "$(dirname "$0")/client-script.log"
case "$reason" in
BOUND|RENEW|REBIND|REBOOT) /usr/sbin/ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
EXPIRE|FAIL|RELEASE|STOP) [ -n "${old_ip_address:-}" ] && /usr/sbin/ip addr del "$old_ip_address/$old_subnet_mask" dev "$interface" ;;
esac
exit 0
SCRIPT
chmod 755 "$work/client.sh"
echo 'request subnet-mask, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time, dhcp-server-identifier;' >"$work/dhclient.conf"
dhclient_args() { echo "-4 -v -cf $work/dhclient.conf -sf $work/client.sh -lf $work/$1.leases -pf $work/$1.pid cli0"; }

# 1. dnsmasq + dhclient: DORA then release, 198.18.50.0/24.
netns c dora-cli; netns s dora-srv
veth "$c" cli0 06:00:00:50:00:02 "$s" srv0 06:00:00:50:00:01
ip -n "$s" addr add 198.18.50.1/24 dev srv0
bg "$s" dnsmasq dnsmasq -k -C /dev/null --port=0 --bind-interfaces --interface=srv0 --user=root --no-ping \
    --dhcp-authoritative --log-dhcp --log-facility=- --dhcp-range=198.18.50.100,198.18.50.150,255.255.255.0,2m \
    --dhcp-leasefile="$work/dnsmasq.leases" --pid-file="$work/dnsmasq.pid"
await 10 "dnsmasq" grep -qs "DHCP, IP range" "$work/dnsmasq.log"
capture "$c" cli0 "$work/lab-dora-release.pcap"
bg "$c" dhclient-dora dhclient -d $(dhclient_args dora)
await 15 "dhclient's lease from dnsmasq" grep -qs 06:00:00:50:00:02 "$work/dnsmasq.leases"
ip netns exec "$c" timeout 20 dhclient -r $(dhclient_args dora) >"$work/dhclient-release.log" 2>&1
await 10 "dnsmasq to drop the lease" sh -c "! grep -q 06:00:00:50:00:02 '$work/dnsmasq.leases'"
stop_captures "$c"

# 2. ISC dhcpd (T1 5 s, T2 8 s, lease 60 s) + dhclient: DORA then one renew, 198.18.51.0/24.
netns c renew-cli; netns s renew-srv
veth "$c" cli0 06:00:00:51:00:02 "$s" srv0 06:00:00:51:00:01
ip -n "$s" addr add 198.18.51.1/24 dev srv0
cat >"$work/dhcpd.conf" <<CONF
authoritative;
ddns-update-style none;
ping-check false;
default-lease-time 60;
max-lease-time 60;
subnet 198.18.51.0 netmask 255.255.255.0 {
  range 198.18.51.100 198.18.51.150;
  option subnet-mask 255.255.255.0;
  option dhcp-renewal-time 5;
  option dhcp-rebinding-time 8;
}
CONF
: >"$work/dhcpd.leases"
bg "$s" dhcpd dhcpd -f -4 -d -cf "$work/dhcpd.conf" -lf "$work/dhcpd.leases" -pf "$work/dhcpd.pid" srv0
await 10 "dhcpd" grep -qs "Server starting service" "$work/dhcpd.log"
capture "$c" cli0 "$work/lab-renew.pcap"
bg "$c" dhclient-renew dhclient -d $(dhclient_args renew)
await 15 "dhclient's renew" sh -c "grep -A1 'to 198.18.51.1 port 67' '$work/dhclient-renew.log' | grep -q DHCPACK"
stop_captures "$c"
ip netns exec "$c" pkill -TERM -x dhclient || true   # no RELEASE: the sample ends renewed

# 3. dhclient — dhcrelay -a — kea-dhcp4: client link 198.18.52.0/24 (giaddr .1), server link 198.19.52.0/24.
netns c relay-cli; netns r relay-rly; netns s relay-srv
veth "$c" cli0 06:00:00:52:00:02 "$r" rly-dn 06:00:00:52:00:01
veth "$r" rly-up 06:00:00:52:01:01 "$s" srv0 06:00:00:52:01:02
ip -n "$r" addr add 198.18.52.1/24 dev rly-dn
ip -n "$r" addr add 198.19.52.1/24 dev rly-up
ip -n "$s" addr add 198.19.52.2/24 dev srv0
ip -n "$s" route add 198.18.52.0/24 via 198.19.52.1
cat >"$work/kea-dhcp4.json" <<CONF
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["srv0"], "dhcp-socket-type": "raw"},
  "lease-database": {"type": "memfile", "persist": true, "name": "$work/kea-leases4.csv", "lfc-interval": 0},
  "valid-lifetime": 60, "renew-timer": 30, "rebind-timer": 45,
  "subnet4": [
    {"id": 1, "subnet": "198.19.52.0/24", "pools": [{"pool": "198.19.52.100 - 198.19.52.150"}]},
    {"id": 2, "subnet": "198.18.52.0/24", "pools": [{"pool": "198.18.52.100 - 198.18.52.150"}]}
  ],
  "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}]
}}
CONF
bg "$s" kea env KEA_PIDFILE_DIR="$work" KEA_LOCKFILE_DIR="$work" kea-dhcp4 -c "$work/kea-dhcp4.json"
await 10 "kea-dhcp4" grep -qs DHCP4_STARTED "$work/kea.log"
bg "$r" dhcrelay dhcrelay -4 -d -a -pf "$work/dhcrelay.pid" -id rly-dn -iu rly-up 198.19.52.2
await 10 "dhcrelay" grep -qs "Listening on LPF/rly-dn" "$work/dhcrelay.log"
capture "$c" cli0 "$work/lab-relay-client-side.pcap"
capture "$s" srv0 "$work/lab-relay-server-side.pcap"
bg "$c" dhclient-relay dhclient -d $(dhclient_args relay)
await 15 "dhclient's lease through the relay" grep -qs "fixed-address 198.18.52." "$work/relay.leases"
stop_captures "$c" "$s"

for file in lab-dora-release.pcap lab-renew.pcap lab-relay-client-side.pcap lab-relay-server-side.pcap; do
    cp "$work/$file" "$out/$file"
    echo "wrote samples/$file ($(stat -c %s "$out/$file") bytes)"
done
