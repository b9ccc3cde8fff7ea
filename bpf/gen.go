package bpf

// Regenerate the objects after changing a .c or .h file (needs clang and
// libbpf-dev; see README.md):
//
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" -no-global-types sigtranFilter sigtran_filter.c
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" -no-global-types sctpFanout sctp_fanout.c
