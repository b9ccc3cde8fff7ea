package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns a pseudo-terminal's two ends: what the program writes to
// tty is read from ptm.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (/dev/ptmx: %v)", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptm, tty
}

// On a terminal, gen redraws one progress line (done / total simulated
// minutes, percentage, rate, ETA) and erases it before its summary.
func TestGenProgressOnTerminal(t *testing.T) {
	ptm, tty := openPTY(t)
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&screen, ptm); close(read) }()

	dir := t.TempDir()
	var stdout bytes.Buffer
	code := Main([]string{"gen", "--seed", "2", "--subscribers", "1500", "--days", "2",
		"-o", filepath.Join(dir, "a.pcap"), "--truth", filepath.Join(dir, "truth")}, &stdout, tty)
	tty.Close()
	ptm.SetReadDeadline(timeNowPlus(5))
	<-read
	if code != 0 {
		t.Fatalf("exit %d: %q", code, screen.String())
	}
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n") // the tty's output processing
	line := regexp.MustCompile(`\rgen: (\d+) / 2880 simulated minutes  (\d+\.\d)%  \d+/s  ETA [hms0-9.]+\x1b\[K`)
	draws := line.FindAllStringSubmatch(out, -1)
	if len(draws) == 0 {
		t.Fatalf("no progress line on the terminal: %q", out)
	}
	if !strings.Contains(out, "\r\x1b[Kgen: ") || !strings.HasSuffix(strings.TrimSpace(out), "messages/s)") {
		t.Errorf("the progress line is not erased before the summary: %q", out)
	}
}

func timeNowPlus(sec int) time.Time { return time.Now().Add(time.Duration(sec) * time.Second) }
