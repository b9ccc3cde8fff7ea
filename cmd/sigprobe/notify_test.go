package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Under systemd (Type=notify, WatchdogSec=) `sigprobe run` says READY=1
// once it captures, WATCHDOG=1 every half WatchdogSec while its pipeline
// turns, and STOPPING=1 at SIGTERM — here to a notify socket of the
// test's own, the daemon capturing in a network namespace.
func TestRunSystemdNotify(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "sigprobe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "notify") // a path: abstract sockets belong to a network namespace
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	tn := newTestNet(t)
	cmd := exec.Command("ip", "netns", "exec", tn.NS, bin, "run", "-i", tn.Cap, "--workers", "1",
		"--block-size", "262144", "--blocks", "8", "--metrics", "off", "--data-dir", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()

	var got []string
	next := func() string {
		t.Helper()
		buf := make([]byte, 512)
		ln.SetReadDeadline(time.Now().Add(20 * time.Second))
		k, err := ln.Read(buf)
		if err != nil {
			t.Fatalf("%v; notifications so far %q; log:\n%s", err, got, logs.String())
		}
		got = append(got, string(buf[:k]))
		return string(buf[:k])
	}
	if m := next(); !strings.HasPrefix(m, "READY=1\nSTATUS=capturing on "+tn.Cap+" (1 workers") {
		t.Fatalf("first notification %q, want READY=1 with the capture's status", m)
	}
	waitFor(t, &logs, exited, "msg=capturing") // the log comes through a pipe: no order to compare
	t0 := time.Now()
	for range 3 {
		if m := next(); m != "WATCHDOG=1" {
			t.Fatalf("%q, want WATCHDOG=1", m)
		}
	}
	if d := time.Since(t0); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("3 watchdog pings in %v, want one every 100ms", d)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for m := next(); !strings.HasPrefix(m, "STOPPING=1"); m = next() {
		if m != "WATCHDOG=1" {
			t.Fatalf("%q before STOPPING=1", m)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("sigprobe run: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("sigprobe run did not stop after SIGTERM:\n%s", logs.String())
	}
}
