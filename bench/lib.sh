# Helpers the bench scripts share (sourced: `. "$(dirname "$0")/lib.sh"`).
# median: the median of the numbers on stdin, one a line.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# now: seconds since the epoch, with nanoseconds; since T: seconds from T.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }
# free_port: a TCP port on 127.0.0.1 nothing listens on (at the moment).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
