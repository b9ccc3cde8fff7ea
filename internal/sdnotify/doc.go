// Package sdnotify tells systemd how the daemon is doing, as sd_notify(3)
// does: READY=1 once it captures, WATCHDOG=1 while its pipeline turns,
// STOPPING=1 when it shuts down, STATUS= for systemctl status. It is a
// datagram to $NOTIFY_SOCKET; outside systemd every call does nothing.
package sdnotify
