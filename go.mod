module github.com/sigprobe/sigprobe

go 1.26.8

require (
	github.com/cilium/ebpf v0.22.0
	github.com/gopacket/gopacket v1.7.7
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.45.0
)

require golang.org/x/net v0.55.0 // indirect

tool github.com/cilium/ebpf/cmd/bpf2go
