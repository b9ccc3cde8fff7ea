package sdnotify

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		nilN     bool
		watchdog time.Duration
		err      string
	}{
		{name: "outside systemd", env: nil, nilN: true},
		{name: "path", env: map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify"}},
		{name: "abstract", env: map[string]string{"NOTIFY_SOCKET": "@/org/freedesktop/systemd1/notify/123"}},
		{name: "watchdog", env: map[string]string{"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000"}, watchdog: 15 * time.Second},
		{name: "watchdog for this pid", env: map[string]string{"NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "42"}, watchdog: time.Second},
		{name: "watchdog for another pid", env: map[string]string{"NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "7"}},
		{name: "vsock", env: map[string]string{"NOTIFY_SOCKET": "vsock:2:1234"}, err: "only unix sockets"},
		{name: "bad watchdog", env: map[string]string{"NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "soon"}, err: "WATCHDOG_USEC"},
		{name: "zero watchdog", env: map[string]string{"NOTIFY_SOCKET": "/n", "WATCHDOG_USEC": "0"}, err: "WATCHDOG_USEC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := fromEnv(func(k string) string { return tc.env[k] }, 42)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (n == nil) != tc.nilN {
				t.Fatalf("notifier %v", n)
			}
			if got := n.WatchdogInterval(); got != tc.watchdog {
				t.Errorf("watchdog interval %v, want %v", got, tc.watchdog)
			}
		})
	}
}

// Datagrams reach a socket at a path and an abstract one, one per Notify.
func TestNotify(t *testing.T) {
	for _, name := range []string{filepath.Join(t.TempDir(), "notify"), fmt.Sprintf("@sigprobe-test-%d", time.Now().UnixNano())} {
		t.Run(name[:1], func(t *testing.T) {
			ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			n, err := fromEnv(func(k string) string { return map[string]string{"NOTIFY_SOCKET": name}[k] }, 1)
			if err != nil {
				t.Fatal(err)
			}
			for _, msg := range []string{"READY=1\nSTATUS=capturing", "WATCHDOG=1"} {
				if err := n.Notify(msg); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 256)
				ln.SetReadDeadline(time.Now().Add(5 * time.Second))
				k, err := ln.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				if got := string(buf[:k]); got != msg {
					t.Errorf("received %q, want %q", got, msg)
				}
			}
		})
	}
	var none *Notifier
	if err := none.Notify("READY=1"); err != nil || none.WatchdogInterval() != 0 {
		t.Errorf("a nil Notifier: %v, %v", err, none.WatchdogInterval())
	}
	nobody := filepath.Join(t.TempDir(), "nobody")
	gone, err := fromEnv(func(k string) string { return map[string]string{"NOTIFY_SOCKET": nobody}[k] }, 1)
	if err != nil || gone == nil {
		t.Fatal(gone, err)
	}
	if err := gone.Notify("READY=1"); err == nil {
		t.Error("no error for a socket nobody listens on")
	}
}
