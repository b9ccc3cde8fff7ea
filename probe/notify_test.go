package probe

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/internal/sdnotify"
)

// Under systemd the probe says READY=1 once its source runs, WATCHDOG=1
// from the pipeline's goroutine while that goroutine turns — not while it
// is stuck — and STOPPING=1 when it shuts down.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const interval = 10 * time.Millisecond
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "20000") // WatchdogSec=20ms: WATCHDOG=1 every 10ms
	n, err := sdnotify.FromEnv()
	if err != nil || n.WatchdogInterval() != interval {
		t.Fatalf("notifier %v, %v", n, err)
	}
	msgs := make(chan string, 1024)
	go func() {
		buf := make([]byte, 512)
		for {
			k, err := ln.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:k])
		}
	}()

	// The capture comes through a pipe, its second half only when the test
	// says: the pipeline idles, alive, in between.
	data, err := os.ReadFile(simPcap(t, 4000))
	if err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "capture.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	more := make(chan struct{})
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		f.Write(data[:len(data)/2])
		<-more
		f.Write(data[len(data)/2:])
	}()
	p, err := Open(replayConfig(fifo, t.TempDir()), Options{Mode: ModeReplay, Logger: quiet(), Notify: n})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { _, err := p.Run(context.Background()); ran <- err }()

	var got []string
	next := func() string {
		select {
		case m := <-msgs:
			got = append(got, m)
			return m
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing from the probe for 10s; so far %q", got)
		}
		return ""
	}
	if m := next(); !strings.HasPrefix(m, "READY=1\nSTATUS=reading ") {
		t.Fatalf("first notification %q, want READY=1 and a status", m)
	}
	// Hold the pipeline's goroutine for 20 watchdog intervals. The marks
	// go to the same socket from that goroutine, so whatever arrives
	// between them was sent while it was held.
	go p.pipe.do(func() {
		n.Notify("X-MARK=held")
		time.Sleep(20 * interval)
		n.Notify("X-MARK=released")
	})
	for next() != "X-MARK=held" {
	}
	for m := next(); m != "X-MARK=released"; m = next() {
		if m == "WATCHDOG=1" {
			t.Fatalf("WATCHDOG=1 while the pipeline was held: %q", got)
		}
	}
	// It turns again, idle, waiting for the rest of the capture.
	for watchdogs := 0; watchdogs < 3; {
		if m := next(); m == "WATCHDOG=1" {
			watchdogs++
		} else if m != "X-MARK=released" {
			t.Fatalf("%q before the capture ended", m)
		}
	}
	close(more)
	for m := next(); !strings.HasPrefix(m, "STOPPING=1"); m = next() {
		if m != "WATCHDOG=1" {
			t.Fatalf("%q before STOPPING=1", m)
		}
	}
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if st := p.stats(); st.Packets != 4000 {
		t.Errorf("%d packets read through the pipe, want 4000", st.Packets)
	}
}
