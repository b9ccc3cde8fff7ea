package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// sigprobe pseudonym makes a key, and gives the key holder the pseudonyms
// of identities, of a consent list (comments kept) and of the identity
// columns of a CSV; the key comes from --key or from the configuration.
func TestPseudonymCommand(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "pseudonym.key")
	code, stdout, stderr := run("pseudonym", "--new-key", keyFile)
	if code != 0 || !strings.HasPrefix(stdout, "key_id ") {
		t.Fatalf("--new-key: exit %d, %q %q", code, stdout, stderr)
	}
	key, err := pseudonym.LoadKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	of := func(k pseudonym.Kind, s string) string { return key.Of(k, sink.MakeDigits(s)).String() }
	cfg := filepath.Join(dir, "sigprobe.yaml")
	os.WriteFile(cfg, []byte("privacy:\n  key_file: "+keyFile+"\n  pseudonymize: [imsi]\n"), 0o600)
	list := filepath.Join(dir, "opt_in.txt")
	os.WriteFile(list, []byte("# opted in 2026-10\n+491700000001\n\n491700000002\n"), 0o600)
	known := filepath.Join(dir, "known.csv")
	os.WriteFile(known, []byte("imsi,msisdn,name\n001010000000001,491700000001,Ann\n001010000000002,,Bob\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"identities", []string{"--key", keyFile, "--kind", "imsi", "001010000000001", "001010000000002"},
			of(pseudonym.IMSI, "001010000000001") + "\n" + of(pseudonym.IMSI, "001010000000002") + "\n"},
		{"key from the configuration", []string{"--config", cfg, "--kind", "msisdn", "+491700000001"}, of(pseudonym.MSISDN, "491700000001") + "\n"},
		{"consent list", []string{"--key", keyFile, "--kind", "msisdn", "--list", list},
			"# opted in 2026-10\n" + of(pseudonym.MSISDN, "491700000001") + "\n\n" + of(pseudonym.MSISDN, "491700000002") + "\n"},
		{"known members", []string{"--key", keyFile, "--csv", known}, "imsi,msisdn,name\n" +
			of(pseudonym.IMSI, "001010000000001") + "," + of(pseudonym.MSISDN, "491700000001") + ",Ann\n" + of(pseudonym.IMSI, "001010000000002") + ",,Bob\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(append([]string{"pseudonym"}, tc.args...)...)
			if code != 0 || stdout != tc.want {
				t.Fatalf("exit %d, stdout\n%s\nwant\n%s\nstderr %s", code, stdout, tc.want, stderr)
			}
			if !strings.Contains(stderr, "key_id "+key.ID()) {
				t.Errorf("stderr %q does not name the key", stderr)
			}
		})
	}

	loose := filepath.Join(dir, "loose.key")
	os.WriteFile(loose, []byte(strings.Repeat("x", 40)), 0o644)
	badList := filepath.Join(dir, "bad.txt")
	os.WriteFile(badList, []byte("491700000001\nnot-a-number\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"key others may read", []string{"--key", loose, "--kind", "imsi", "1"}, 1, "mode 0644"},
		{"no kind", []string{"--key", keyFile, "001010000000001"}, 2, "--kind"},
		{"no key", []string{"--kind", "imsi", "1"}, 2, "--key FILE or --config FILE"},
		{"two inputs", []string{"--key", keyFile, "--kind", "imsi", "--list", list, "1"}, 2, "one of them"},
		{"not an identity", []string{"--key", keyFile, "--kind", "imsi", "12ab"}, 2, `"12ab" is not an imsi`},
		{"bad list line", []string{"--key", keyFile, "--kind", "msisdn", "--list", badList}, 1, badList + ": line 2"},
		{"existing key", []string{"--new-key", keyFile}, 1, "exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(append([]string{"pseudonym"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// run and replay refuse a pseudonymization key others may read, naming
// the key; the metrics and NATS listeners beyond loopback without TLS
// likewise (exit 2).
func TestProbeRefusesLooseSecurity(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "a.pcap")
	if code, _, stderr := run("gen", "--seed", "9", "--subscribers", "20", "-o", pcap, "--truth", filepath.Join(dir, "truth")); code != 0 {
		t.Fatal(stderr)
	}
	loose := filepath.Join(dir, "loose.key")
	os.WriteFile(loose, []byte(strings.Repeat("x", 40)), 0o640)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"loose key", []string{"--pseudonymize", "imsi,msisdn", "--pseudonym-key", loose}, "privacy.key_file: " + loose + ": mode 0640"},
		{"no key", []string{"--pseudonymize", "imsi"}, "privacy.key_file: pseudonymizing needs a key file"},
		{"bad identity", []string{"--pseudonymize", "imsi,tmsi", "--pseudonym-key", loose}, `privacy.pseudonymize: "tmsi"`},
		{"metrics beyond loopback", []string{"--metrics", "0.0.0.0:0"}, "metrics.listen"},
		{"NATS beyond loopback", []string{"--nats", "embedded", "--nats-listen", "0.0.0.0:4222"}, "nats.embedded.listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"replay", "-r", pcap, "--out", filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))}, tc.args...)
			code, _, stderr := run(args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
