package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	ddl "github.com/sigprobe/sigprobe/deploy/clickhouse"
)

// The schema is deploy/clickhouse/schema.sql and schema-cluster.sql,
// embedded there.
var schemaSQL, clusterSQL = ddl.SchemaSQL, ddl.ClusterSQL

// Schema returns the DDL: the single-node schema, or with a cluster name the
// cluster schema with {cluster} replaced by it.
func Schema(cluster string) string {
	if cluster == "" {
		return schemaSQL
	}
	return strings.ReplaceAll(clusterSQL, "{cluster}", cluster)
}

// Statements splits SQL text into statements at semicolons, dropping
// comments ("--" to end of line) and blank statements. Quoted strings and
// identifiers may contain ";" and "--".
func Statements(sql string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	rs := []rune(sql)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == '\\' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"' || r == '`':
			quote = r
			cur.WriteRune(r)
		case r == '-' && i+1 < len(rs) && rs[i+1] == '-':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			cur.WriteRune('\n')
		case r == ';':
			if s := strings.TrimSpace(cur.String()); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Column is one column of a CREATE TABLE statement.
type Column struct {
	Name string
	Type string // as written, without codec: "LowCardinality(String)"
}

// TableColumns parses the CREATE TABLE statements of sql and returns each
// table's columns in order (indexes and projections are skipped; tables
// created AS another have none).
func TableColumns(sql string) (map[string][]Column, error) {
	out := map[string][]Column{}
	for _, st := range Statements(sql) {
		f := strings.Fields(st)
		if len(f) < 3 || !strings.EqualFold(f[0], "CREATE") || !strings.EqualFold(f[1], "TABLE") {
			continue
		}
		name := f[2]
		if strings.EqualFold(name, "IF") && len(f) >= 6 {
			name = f[5]
		}
		open := strings.IndexByte(st, '(')
		if open < 0 || strings.Contains(st[:open], " AS ") {
			continue
		}
		body, ok := balanced(st[open:])
		if !ok {
			return nil, fmt.Errorf("table %s: unbalanced parentheses", name)
		}
		var cols []Column
		for _, def := range splitTop(body) {
			df := strings.Fields(def)
			if len(df) < 2 {
				return nil, fmt.Errorf("table %s: bad column %q", name, def)
			}
			switch strings.ToUpper(df[0]) {
			case "INDEX", "PROJECTION", "CONSTRAINT":
				continue
			}
			rest := strings.TrimSpace(def[len(df[0])+strings.Index(def, df[0]):])
			cols = append(cols, Column{Name: strings.Trim(df[0], "`\""), Type: typeOf(rest)})
		}
		out[name] = cols
	}
	return out, nil
}

// balanced returns the text inside the parentheses that s starts with.
func balanced(s string) (string, bool) {
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[1:i], true
			}
		}
	}
	return "", false
}

// splitTop splits at commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}

// typeOf cuts a column definition's type off before CODEC, DEFAULT etc.
func typeOf(def string) string {
	depth := 0
	for i, r := range def {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case depth == 0 && unicode.IsSpace(r):
			rest := strings.ToUpper(strings.TrimSpace(def[i:]))
			for _, kw := range []string{"CODEC", "DEFAULT", "MATERIALIZED", "ALIAS", "EPHEMERAL", "COMMENT", "TTL"} {
				if strings.HasPrefix(rest, kw) {
					return strings.TrimSpace(def[:i])
				}
			}
		}
	}
	return strings.TrimSpace(def)
}

// Apply creates the schema at dsn: the DSN's database (if missing) and every
// table, all with IF NOT EXISTS, so applying twice is harmless. With a
// cluster name it applies the cluster schema ON CLUSTER. It returns the
// number of statements run.
func Apply(ctx context.Context, dsn, cluster string) (int, error) {
	opts, err := openOptions(dsn)
	if err != nil {
		return 0, err
	}
	db := opts.Auth.Database
	if db == "" {
		db = "default"
	}
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second {
		opts.DialTimeout = 10 * time.Second
	}
	// Connect without the database, which may not exist yet.
	opts.Auth.Database = ""
	conn, err := ch.Open(opts)
	if err != nil {
		return 0, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	defer func() { conn.Close() }()
	if err := conn.Ping(ctx); err != nil {
		return 0, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	onCluster := ""
	if cluster != "" {
		onCluster = " ON CLUSTER " + quoteIdent(cluster)
	}
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(db)+onCluster); err != nil {
		return 0, fmt.Errorf("clickhouse: create database %s: %s", db, oneLine(err))
	}
	conn.Close()
	// Then create the tables in it.
	opts.Auth.Database = db
	if conn, err = ch.Open(opts); err != nil {
		return 1, fmt.Errorf("clickhouse: %s", oneLine(err))
	}
	n := 1
	for _, st := range Statements(Schema(cluster)) {
		if err := conn.Exec(ctx, st); err != nil {
			return n, fmt.Errorf("clickhouse: %s: %s", firstLine(st), oneLine(err))
		}
		n++
	}
	return n, nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
