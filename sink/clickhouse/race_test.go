//go:build race

package clickhouse

// raceEnabled: the race detector slows everything several times; timing
// bounds widen their slack.
const raceEnabled = true
