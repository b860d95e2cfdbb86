#!/bin/sh
# Exercises the excluded ranges at their edges (the seed rule's list,
# policy/classify.c): children of entrypoint.sh make TCP attempts, all at
# once and held 1.5 s, to every address of one set (ports 1001, 1002, ...
# in the order below):
#   v4-inside     first and last address of each IPv4 range: none may alert
#   v4-outside    the address just outside each end: all must alert
#   v6-inside     ::1, first and last of fe80::/10 and ff00::/8: none
#   v6-outside    ::2, and just outside fe80::/10 and ff00::/8: all alert
#   mapped-inside the same as v4-inside for a few ranges, IPv4-mapped
#                 (::ffff:a.b.c.d, judged by its IPv4 address): none
#   mapped-outside the same as v4-outside, IPv4-mapped: all alert
# Whole ranges inside a larger one (172.31.0.0/16 in 172.16.0.0/12, the
# /29 and /32s in 192.0.0.0/24) have no edge of their own outside it.
# 0.0.0.0 and :: are the unspecified-address case, not edges.
case ${1:-} in
v4-inside)
	set -- 10.0.0.0 10.255.255.255 100.64.0.0 100.127.255.255 127.0.0.0 \
		127.255.255.255 169.254.0.0 169.254.255.255 172.16.0.0 172.31.255.255 \
		192.0.0.0 192.0.0.255 192.0.2.0 192.0.2.255 192.31.196.0 192.31.196.255 \
		192.52.193.0 192.52.193.255 192.88.99.0 192.88.99.255 192.168.0.0 \
		192.168.255.255 192.175.48.0 192.175.48.255 198.18.0.0 198.19.255.255 \
		198.51.100.0 198.51.100.255 203.0.113.0 203.0.113.255 224.0.0.0 \
		239.255.255.255 240.0.0.0 255.255.255.255
	;;
v4-outside)
	set -- 9.255.255.255 11.0.0.0 100.63.255.255 100.128.0.0 126.255.255.255 \
		128.0.0.0 169.253.255.255 169.255.0.0 172.15.255.255 172.32.0.0 \
		191.255.255.255 192.0.1.0 192.0.1.255 192.0.3.0 192.31.195.255 \
		192.31.197.0 192.52.192.255 192.52.194.0 192.88.98.255 192.88.100.0 \
		192.167.255.255 192.169.0.0 192.175.47.255 192.175.49.0 198.17.255.255 \
		198.20.0.0 198.51.99.255 198.51.101.0 203.0.112.255 203.0.114.0 \
		223.255.255.255
	;;
v6-inside)
	set -- ::1 fe80::%sink0 febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff%sink0 ff00:: \
		ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
	;;
v6-outside)
	set -- ::2 fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff fec0:: \
		feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
	;;
mapped-inside)
	set -- ::ffff:10.0.0.0 ::ffff:10.255.255.255 ::ffff:127.0.0.1 \
		::ffff:172.16.0.0 ::ffff:172.31.255.255 ::ffff:192.168.255.255 \
		::ffff:100.64.0.0 ::ffff:224.0.0.0 ::ffff:255.255.255.255
	;;
mapped-outside)
	set -- ::ffff:9.255.255.255 ::ffff:11.0.0.0 ::ffff:172.15.255.255 \
		::ffff:172.32.0.0 ::ffff:192.169.0.0 ::ffff:100.128.0.0 \
		::ffff:223.255.255.255
	;;
*)
	echo "usage: edges.sh v4-inside|v4-outside|v6-inside|v6-outside|mapped-inside|mapped-outside" >&2
	exit 2
	;;
esac
port=1000
for destination in "$@"; do
	port=$((port + 1))
	/bin/egprobe tcp "$destination" "$port" 1500 &
done
wait
