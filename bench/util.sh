#!/usr/bin/env bash
# Small helpers the benchmarks share: a free loopback port and a process's CPU ticks. Source it.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }  # utime + stime of PID $1
tick_hz=$(getconf CLK_TCK)
