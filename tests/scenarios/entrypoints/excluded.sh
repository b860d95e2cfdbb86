#!/bin/sh
# Exercises the excluded destinations: children of entrypoint.sh attempt, at
# the same time, TCP and UDP to private, loopback, link-local, multicast,
# reserved and documentation ranges, unspecified addresses and IPv4-mapped
# private addresses (none may alert), plus one public marker (1.0.0.1:80)
# that must alert, proving the container was watched.
/bin/egprobe tcp 1.0.0.1 80 1500 &
for destination in 10.1.2.3 127.0.0.1 169.254.169.254 172.16.5.4 172.31.0.1 \
	192.168.1.1 100.64.0.1 192.0.0.9 192.0.0.170 192.0.2.1 192.31.196.1 \
	192.52.193.1 192.88.99.1 192.175.48.1 198.18.0.1 198.51.100.1 203.0.113.1 \
	240.0.0.1 0.0.0.0 ::1 :: fe80::1%sink0 ::ffff:10.0.0.1 ::ffff:192.168.1.1; do
	/bin/egprobe tcp "$destination" 80 1500 &
done
for destination in 224.0.0.251 ff02::fb%sink0 10.9.9.9 ::ffff:127.0.0.1; do
	/bin/egprobe udp "$destination" 5353 1500 &
done
wait
