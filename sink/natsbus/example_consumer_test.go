package natsbus

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigprobe/sigprobe/sink"
)

// The consumer program in README.md builds, starts before the probe's
// server is even up, does not fail, authenticates with the generated
// consumer seed, and prints the trigger once it is published.
func TestREADMEConsumer(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```go\n(package main\n.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no Go program in README.md")
	}
	// Build it inside the module so it uses the module's nats.go.
	dir, err := os.MkdirTemp(".", ".example-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "main.go"), m[1], 0o644)
	bin := filepath.Join(t.TempDir(), "consumer")
	if out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("the README's consumer does not build: %v\n%s", err, out)
	}

	store := t.TempDir()
	users, seed := filepath.Join(store, "users.yaml"), filepath.Join(store, "consumer.nk")
	if err := GenerateUsers(users, seed); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "NATS_URL=nats://"+addr, "NATS_NKEY="+seed)
	var out lockedBuf
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	select { // the consumer waits for a server that is not there yet
	case err := <-exited:
		t.Fatalf("the consumer exited (%v) before the server started", err)
	case <-time.After(1500 * time.Millisecond):
	}
	srv, err := Embedded(EmbeddedConfig{StoreDir: store, Listen: addr, UsersFile: users})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pub, err := NewPublisher(srv.PublisherConfig())
	if err != nil {
		t.Fatal(err)
	}
	pub.Write(&sink.Batch{Triggers: []sink.Trigger{{ID: "t1", Rule: "mall-dwell", Kind: "dwell", Region: "mall", IMSI: sink.MakeDigits("001010000000042")}}})
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "\n"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the consumer printed nothing")
		}
	}
	if l := out.String(); !strings.Contains(l, `"id":"t1"`) || !strings.Contains(l, `"imsi":"001010000000042"`) {
		t.Errorf("consumer printed %q", l)
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
