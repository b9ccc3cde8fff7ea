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

	"github.com/sigprobe/sigprobe/internal/envtest"
)

// openPTY returns a pseudo-terminal's two ends: what the program writes to
// tty is read from ptm.
func openPTY(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		envtest.Skip(t, "no pseudo-terminals here (/dev/ptmx: %v)", err)
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

// On a terminal, replay redraws one progress line (bytes of the capture
// read of its size, percentage, rate, ETA), erases it before every log
// line — none runs into it — and before its summary. The test holds the
// replay for a while midway (it reads the decoded messages through a pipe
// and pauses), so the line is drawn however fast the machine.
func TestReplayProgressOnTerminal(t *testing.T) {
	ptm, tty := openPTY(t)
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&screen, ptm); close(read) }()

	dir := t.TempDir()
	pcap := filepath.Join(dir, "a.pcap")
	if code, _, stderr := run("gen", "--seed", "4", "--subscribers", "300", "-o", pcap, "--truth", filepath.Join(dir, "truth")); code != 0 {
		t.Fatal(stderr)
	}
	msgs := filepath.Join(dir, "messages")
	if err := unix.Mkfifo(msgs, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.Open(msgs)
		if err != nil {
			return
		}
		defer f.Close()
		io.CopyN(io.Discard, f, 1<<20)
		time.Sleep(800 * time.Millisecond)
		io.Copy(io.Discard, f)
	}()
	code := Main([]string{"replay", "-r", pcap, "--out", filepath.Join(dir, "out"), "--messages", msgs}, io.Discard, tty)
	tty.Close()
	ptm.SetReadDeadline(timeNowPlus(5))
	<-read
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n") // the tty's output processing
	if code != 0 {
		t.Fatalf("exit %d: %q", code, out)
	}
	fi, _ := os.Stat(pcap)
	total := fmt.Sprintf("%.1f MB", float64(fi.Size())/1e6)
	line := regexp.MustCompile(`\rreplay: [0-9.]+ [kMG]?B / ` + regexp.QuoteMeta(total) + `  [0-9.]+%  [0-9.]+ [kMG]?B/s  ETA [hms0-9]+\x1b\[K`)
	if n := len(line.FindAllString(out, -1)); n < 2 {
		t.Fatalf("%d progress lines on the terminal, want at least 2: %q", n, out)
	}
	for i := strings.Index(out, "time="); i >= 0; {
		if i > 0 && !strings.HasSuffix(out[:i], "\n") && !strings.HasSuffix(out[:i], "\r\x1b[K") {
			t.Errorf("a log line runs into the progress line: %q", out[max(0, i-80):i+40])
		}
		j := strings.Index(out[i+1:], "time=")
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if !strings.Contains(out, "\r\x1b[Ktime=") || !strings.Contains(out, "\nreplay: packets=") {
		t.Errorf("the progress line is not erased before the log and the summary: %q", out)
	}
}
