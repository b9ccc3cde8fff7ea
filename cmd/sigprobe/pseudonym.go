package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigprobe/sigprobe/probe"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

func init() {
	register("pseudonym", "the pseudonyms of identities, lists or CSV files under the probe's key; --new-key makes a key", runPseudonym)
}

// csvKinds are the CSV columns --csv pseudonymizes, by header: a peer is a
// number like an MSISDN (the probe gives it the MSISDN's pseudonym).
var csvKinds = map[string]pseudonym.Kind{"imsi": pseudonym.IMSI, "msisdn": pseudonym.MSISDN, "peer": pseudonym.MSISDN, "imei": pseudonym.IMEI}

func runPseudonym(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pseudonym")
	newKey := fs.String("new-key", "", "write a new random key to `file` (mode 0600; never overwrites) and print its id")
	keyFile := fs.String("key", "", "the key `file` (default: privacy.key_file of --config)")
	config := fs.String("config", "", "the probe's configuration `file`, for privacy.key_file")
	kind := fs.String("kind", "", "what the identities are: imsi, msisdn or imei (arguments and --list)")
	list := fs.String("list", "", "pseudonymize a list `file` (one identity per line, # comments; - for stdin), e.g. a consent list")
	csvFile := fs.String("csv", "", "pseudonymize the imsi, msisdn, peer and imei columns of a CSV `file` with a header (- for stdin), e.g. known members")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: sigprobe pseudonym --new-key FILE\n       sigprobe pseudonym [--key FILE | --config FILE] --kind imsi|msisdn|imei ID...\n       sigprobe pseudonym [--key FILE | --config FILE] --kind K --list FILE\n       sigprobe pseudonym [--key FILE | --config FILE] --csv FILE")
			fs.PrintDefaults()
			return err
		}
		return usageError{err}
	}
	if *newKey != "" {
		if fs.NArg() > 0 || *keyFile != "" || *list != "" || *csvFile != "" {
			return usageError{errors.New("--new-key takes no other input")}
		}
		k, err := pseudonym.GenerateKeyFile(*newKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key_id %s\n", k.ID())
		fmt.Fprintf(stderr, "new key in %s (mode 0600): keep it secret and backed up; whoever holds it can pseudonymize any identity\n", *newKey)
		return nil
	}
	inputs := 0
	for _, on := range []bool{fs.NArg() > 0, *list != "", *csvFile != ""} {
		if on {
			inputs++
		}
	}
	if inputs != 1 {
		return usageError{errors.New("give identities as arguments, --list FILE or --csv FILE (one of them)")}
	}
	var k pseudonym.Kind
	if *csvFile == "" {
		var err error
		if k, err = pseudonym.ParseKind(*kind); err != nil {
			return usageError{fmt.Errorf("--kind: %v", err)}
		}
	} else if *kind != "" {
		return usageError{errors.New("--csv takes the kind of each column from its header, not --kind")}
	}
	path := *keyFile
	if path == "" && *config != "" {
		cfg, err := probe.LoadConfig(*config)
		if err != nil {
			return usageError{err}
		}
		if path = cfg.Privacy.KeyFile; path == "" {
			return usageError{fmt.Errorf("%s: no privacy.key_file", *config)}
		}
	}
	if path == "" {
		return usageError{errors.New("give the key: --key FILE or --config FILE")}
	}
	key, err := pseudonym.LoadKey(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "key_id %s\n", key.ID())
	w := bufio.NewWriter(stdout)
	switch {
	case *csvFile != "":
		err = withInput(*csvFile, func(r io.Reader) error { return pseudonymizeCSV(key, r, w, *csvFile) })
	case *list != "":
		err = withInput(*list, func(r io.Reader) error { return pseudonymizeList(key, k, r, w, *list) })
	default:
		for _, id := range fs.Args() {
			p, e := key.OfText(k, strings.TrimPrefix(id, "+"))
			if e != nil {
				err = usageError{e}
				break
			}
			fmt.Fprintln(w, p)
		}
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

func withInput(name string, fn func(io.Reader) error) error {
	if name == "-" {
		return fn(os.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(f)
}

// pseudonymizeList keeps comments and blank lines, and replaces each
// identity (a leading + is dropped, as the consent lists do) by its
// pseudonym.
func pseudonymizeList(key *pseudonym.Key, k pseudonym.Kind, r io.Reader, w io.Writer, name string) error {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			fmt.Fprintln(w, sc.Text())
			continue
		}
		p, err := key.OfText(k, strings.TrimPrefix(s, "+"))
		if err != nil {
			return fmt.Errorf("%s: line %d: %v", name, line, err)
		}
		fmt.Fprintln(w, p)
	}
	return sc.Err()
}

// pseudonymizeCSV replaces the values of the columns named in csvKinds
// (case-insensitive headers) and copies everything else.
func pseudonymizeCSV(key *pseudonym.Key, r io.Reader, w io.Writer, name string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	kinds := map[int]pseudonym.Kind{}
	for i, h := range head {
		if k, ok := csvKinds[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]; ok {
			kinds[i] = k
		}
	}
	if len(kinds) == 0 {
		return fmt.Errorf("%s: no imsi, msisdn, peer or imei column in the header %q", name, strings.Join(head, ","))
	}
	cw := csv.NewWriter(w)
	cw.Write(head)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i, k := range kinds {
			if i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
				continue
			}
			p, err := key.OfText(k, strings.TrimPrefix(strings.TrimSpace(rec[i]), "+"))
			if err != nil {
				line, _ := cr.FieldPos(i)
				return fmt.Errorf("%s: line %d: column %s: %v", name, line, head[i], err)
			}
			rec[i] = p
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}
