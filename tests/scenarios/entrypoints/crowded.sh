#!/bin/sh
# Exercises a crowded socket table: three children hold 1,000 TCP connects
# each to a private address (SYN-SENT in the sinkhole, ports 20000 and up;
# one process stays under a 1,024 open-file limit) while, a second later,
# another child makes the marker attempt (1.0.0.1:80).  sock_diag must still
# see the marker among thousands of sockets it judged already; no other alert.
/bin/egprobe burst 1000 10.9.9.9 20000 4000 &
/bin/egprobe burst 1000 10.9.9.9 21000 4000 &
/bin/egprobe burst 1000 10.9.9.9 22000 4000 &
/bin/egprobe sleep-then 1000 /bin/egprobe tcp 1.0.0.1 80 1500
wait
