package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Notifier sends state changes to the service manager. The methods of a
// nil Notifier do nothing, so callers need not ask whether they run under
// systemd.
type Notifier struct {
	addr     *net.UnixAddr
	watchdog time.Duration // WatchdogSec=, 0: none expected of this process
}

// FromEnv returns the Notifier systemd's environment describes: nil
// without $NOTIFY_SOCKET, an error for an address it cannot use.
func FromEnv() (*Notifier, error) {
	return fromEnv(os.Getenv, os.Getpid())
}

func fromEnv(getenv func(string) string, pid int) (*Notifier, error) {
	sock := getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil, nil
	}
	// A path, or an abstract socket ('@': Go's net maps it to the leading
	// NUL). systemd can also hand a vsock address to virtual machines.
	if sock[0] != '/' && sock[0] != '@' {
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: only unix sockets (a path or @abstract) are supported", sock)
	}
	n := &Notifier{addr: &net.UnixAddr{Name: sock, Net: "unixgram"}}
	if us := getenv("WATCHDOG_USEC"); us != "" {
		v, err := strconv.ParseUint(us, 10, 63)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("WATCHDOG_USEC %q: want a positive number of microseconds", us)
		}
		// Meant for this process unless WATCHDOG_PID names another.
		if p := getenv("WATCHDOG_PID"); p == "" || p == strconv.Itoa(pid) {
			n.watchdog = time.Duration(v) * time.Microsecond
		}
	}
	return n, nil
}

// Notify sends one state, e.g. "READY=1\nSTATUS=capturing on eth1". A
// datagram is cheap: no connection is kept, so a service manager that
// re-executes itself is still reached.
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// WatchdogInterval is how often to send WATCHDOG=1: half of the unit's
// WatchdogSec=, as sd_watchdog_enabled(3) advises; 0 when none is expected.
func (n *Notifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog / 2
}
