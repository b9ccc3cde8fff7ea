// Package natsbus publishes trigger events to NATS JetStream for the
// marketing systems that subscribe to them, and can run an embedded NATS
// server so a single machine needs nothing installed. See README.md for the
// subjects, the versioned JSON payload and consumer examples.
package natsbus
