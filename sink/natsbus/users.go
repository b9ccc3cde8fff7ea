package natsbus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"
)

// The users file of the embedded server (nats.embedded.users_file): who may
// connect, and as what. Authentication and permissions are the NATS
// server's own (nkeys, bcrypt passwords, subject permissions); this file
// only names them:
//
//	users:
//	  - name: consumer          # a marketing platform, an SMS gateway
//	    role: consumer
//	    nkey: UA...             # public key; the client holds the seed
//	  - name: ops
//	    role: admin
//	    password: $2a$11$...    # bcrypt only (nats server passwd, htpasswd -B)
//
// Roles: consumer reads the trigger stream (stream info, its own consumers,
// fetch, ack) and can neither publish, purge, nor delete messages, streams
// or consumers; admin may do anything (purge to erase, change limits). The
// probe's own users are not in the file: it makes fresh nkeys in memory at
// every start, one that may only publish to sigprobe.> and one that may
// only create and update the trigger stream.

// Role is what a user of the embedded server may do.
type Role string

const (
	RoleConsumer Role = "consumer"
	RoleAdmin    Role = "admin"
)

// User is one entry of the users file.
type User struct {
	Name     string `yaml:"name"`
	Role     Role   `yaml:"role"`
	Nkey     string `yaml:"nkey"`     // a user's public nkey (U...)
	Password string `yaml:"password"` // a bcrypt hash
}

type usersFile struct {
	Users []yaml.Node `yaml:"users"`
}

// LoadUsers reads a users file. Errors name the file, the line and the field.
func LoadUsers(path string) ([]User, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f usersFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var users []User
	seen := map[string]bool{}
	for _, n := range f.Users {
		var u User
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: line %d: user %q: %s", path, n.Line, u.Name, fmt.Sprintf(format, args...))
		}
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "name", "role", "nkey", "password":
			default:
				return nil, fmt.Errorf("%s: line %d: field %s not found: want name, role, nkey or password", path, k.Line, k.Value)
			}
		}
		if err := n.Decode(&u); err != nil {
			return nil, fmt.Errorf("%s: line %d: %s", path, n.Line, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		switch {
		case u.Name == "":
			return nil, bad("no name")
		case seen[u.Name]:
			return nil, bad("named twice")
		case u.Role != RoleConsumer && u.Role != RoleAdmin:
			return nil, bad("role %q: want consumer or admin", u.Role)
		case (u.Nkey == "") == (u.Password == ""):
			return nil, bad("give exactly one of nkey and password")
		case u.Nkey != "" && !nkeys.IsValidPublicUserKey(u.Nkey):
			return nil, bad("nkey: not a user's public nkey (U...)")
		case u.Password != "" && !isBcrypt(u.Password):
			return nil, bad("password: want a bcrypt hash ($2a$...), not the password itself")
		}
		seen[u.Name] = true
		users = append(users, u)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s: no users: nobody could read the triggers", path)
	}
	return users, nil
}

func isBcrypt(s string) bool {
	return len(s) == 60 && (strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$"))
}

// GenerateUsers writes a users file with one consumer, whose seed goes to
// seedPath; both 0600 and never overwritten.
func GenerateUsers(path, seedPath string) error {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return err
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if err := writeNew(seedPath, append(seed, '\n')); err != nil {
		return err
	}
	text := fmt.Sprintf(`# Users of sigprobe's embedded NATS server (sink/natsbus/README.md).
# Generated at first start. Roles: consumer (read and ack triggers; no
# publish, purge or delete), admin (everything). One of nkey (a public key;
# the client holds the seed) or password (a bcrypt hash) per user.
users:
  - name: consumer
    role: consumer
    nkey: %s   # seed: %s
`, pub, seedPath)
	return writeNew(path, []byte(text))
}

// writeNew creates path with mode 0600 whatever the umask; it fails if the
// file exists.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// consumerPermissions: the JetStream API of the trigger stream needed to
// read it with pull or push consumers, and nothing that changes it.
func consumerPermissions() *server.Permissions {
	s := StreamName
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				"$JS.API.INFO",
				"$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST",
				"$JS.API.STREAM.INFO." + s,
				"$JS.API.STREAM.MSG.GET." + s, "$JS.API.DIRECT.GET." + s, "$JS.API.DIRECT.GET." + s + ".>",
				"$JS.API.CONSUMER.CREATE." + s, "$JS.API.CONSUMER.CREATE." + s + ".>",
				"$JS.API.CONSUMER.DURABLE.CREATE." + s + ".>",
				"$JS.API.CONSUMER.INFO." + s + ".>",
				"$JS.API.CONSUMER.NAMES." + s, "$JS.API.CONSUMER.LIST." + s,
				"$JS.API.CONSUMER.MSG.NEXT." + s + ".>",
				"$JS.ACK." + s + ".>", // ack, nak, in progress, term
				"$JS.FC." + s + ".>",  // push consumers' flow control
			},
			// Never, whatever is allowed above (deny wins).
			Deny: []string{SubjectPrefix + ">", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.DELETE.>",
				"$JS.API.STREAM.MSG.DELETE.>", "$JS.API.STREAM.UPDATE.>", "$JS.API.CONSUMER.DELETE.>"},
		},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", SubjectPrefix + ">"}},
	}
}

// publisherPermissions: the probe's own connection publishes triggers and
// receives their acknowledgements; nothing else.
func publisherPermissions() *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{SubjectPrefix + ">"}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// setupPermissions: the probe's start-up connection creates or updates the
// trigger stream.
func setupPermissions() *server.Permissions {
	s := StreamName
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: []string{"$JS.API.INFO", "$JS.API.STREAM.CREATE." + s, "$JS.API.STREAM.UPDATE." + s, "$JS.API.STREAM.INFO." + s}},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

func (u User) permissions() *server.Permissions {
	if u.Role == RoleAdmin {
		return nil // everything
	}
	return consumerPermissions()
}
