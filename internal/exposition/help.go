package exposition

// help is the # HELP text of every sigprobe metric family; README.md lists
// the same names (a test compares them, and one compares a live scrape).
var help = map[string]string{
	"sigprobe_build_info": "Always 1; the labels say which sigprobe this is (version, revision, goversion).",

	// capture (live probe)
	"sigprobe_capture_packets_total":        "Packets handed to the capture workers.",
	"sigprobe_capture_kernel_packets_total": "Packets the kernel put in the AF_PACKET rings (PACKET_STATISTICS).",
	"sigprobe_capture_kernel_drops_total":   "Packets the kernel dropped because a ring was full.",
	"sigprobe_capture_queue_freezes_total":  "Times a ring had no free block (TPACKET_V3 queue freezes).",
	"sigprobe_capture_truncated_total":      "Cut-off last packets of a capture file (replay): the file ended inside a packet.",
	"sigprobe_capture_ebpf_mode":            "1 with the eBPF filter and fanout, 0 in hash-fanout mode with the filter in user space.",
	"sigprobe_bpf_passed_total":             "Packets the SIGTRAN filter passed (eBPF in the kernel, or user space in hash mode).",
	"sigprobe_bpf_dropped_total":            "Packets the SIGTRAN filter dropped (not SIGTRAN).",

	// decode
	"sigprobe_decode_packets_total":         "Packets decoded.",
	"sigprobe_decode_messages_total":        "BSSMAP, DTAP and MAP messages decoded.",
	"sigprobe_decode_errors_total":          "Malformed or unsupported input, by the layer that rejected it.",
	"sigprobe_decode_retransmissions_total": "SCTP DATA chunks seen before (retransmissions), dropped.",
	"sigprobe_decode_fragments_total":       "Fragments held for reassembly (SCTP, SCCP XUDT).",
	"sigprobe_decode_out_of_scope_total":    "SCCP messages for users the probe does not decode.",
	"sigprobe_decode_bad_checksums_total":   "Packets whose SCTP CRC32c or IPv4 header checksum is wrong, dropped (capture.verify_checksum).",
	"sigprobe_decode_zero_checksums_total":  "Of those, SCTP packets whose checksum is all zero: captured on a sending host before checksum offload.",

	// tracking
	"sigprobe_track_messages_total":       "Messages handed to the resolver.",
	"sigprobe_track_attributed_total":     "Messages tied to a subscriber when handled.",
	"sigprobe_track_deferred_total":       "Messages held on a TMSI whose IMSI is not known yet.",
	"sigprobe_track_replayed_total":       "Held observations replayed once the IMSI was learned.",
	"sigprobe_track_unresolved_total":     "Observations dropped: the subscriber never became known.",
	"sigprobe_track_no_connection_total":  "Messages on an unknown SCCP connection, dropped.",
	"sigprobe_track_held_dropped_total":   "Observations dropped because the held-history buffer was full.",
	"sigprobe_track_tmsi_mapped_total":    "TMSI to IMSI mappings learned.",
	"sigprobe_track_expired_total":        "Stale connections, transactions and mappings dropped.",
	"sigprobe_track_subscribers":          "Subscribers tracked now.",
	"sigprobe_track_observations_total":   "Observations applied to subscriber state.",
	"sigprobe_track_dwell_rows_total":     "Cell dwell intervals closed.",
	"sigprobe_track_silent_total":         "Implicit detaches: a subscriber silent for 1.05 times T3212.",
	"sigprobe_track_out_of_order_total":   "Cell observations older than the subscriber's last one, ignored.",
	"sigprobe_track_region_late_total":    "Region entries and exits older than the settling window.",
	"sigprobe_track_calls_linked_total":   "A-interface-only tap: callee Setups matched to their caller's Setup.",
	"sigprobe_track_calls_unlinked_total": "A-interface-only tap: callee Setups not matched, by reason (ambiguous, no_caller).",
	"sigprobe_track_msisdn_learned_total": "A-interface-only tap: MSISDNs learned from matched calls.",
	"sigprobe_region_occupancy":           "Subscribers inside each micro-region now.",

	// pipeline and rules
	"sigprobe_pipeline_batches_total":       "Message batches fed to the pipeline.",
	"sigprobe_pipeline_rows_total":          "Table rows handed to the outputs.",
	"sigprobe_messages_lines_total":         "JSON lines written to the messages file.",
	"sigprobe_rules_fired_total":            "Triggers fired, all rules.",
	"sigprobe_rules_rule_fired_total":       "Triggers fired, by rule.",
	"sigprobe_rules_suppressed_total":       "Firings a rule did not make, by rule and reason (filtered, opted_out, no_opt_in, min_interval, daily_cap, rate_limited).",
	"sigprobe_pseudonym_cache_hits_total":   "Identities pseudonymized from the cache (no HMAC computed).",
	"sigprobe_pseudonym_cache_misses_total": "Identities whose pseudonym had to be computed (one HMAC-SHA-256).",
	"sigprobe_rules_control_total":          "Of the triggers fired, those held out as a campaign's control group (recorded, not published), by rule.",

	// outputs, each behind its own queue (output: files, clickhouse, nats)
	"sigprobe_output_rows_total":         "Rows an output's writer accepted, by output.",
	"sigprobe_output_write_errors_total": "Batches an output's writer failed to write, by output; the log names the error.",
	"sigprobe_output_queue_batches":      "Batches waiting in an output's queue now.",
	"sigprobe_output_lag_seconds":        "Age of the batch an output is writing now (0 when idle): how far it is behind the pipeline.",
	"sigprobe_output_spool_bytes":        "Bytes a live output that fell behind has spilled to disk and not yet written.",
	"sigprobe_output_dropped_rows_total": "Rows an output dropped because its spill was full, by output and reason.",
	"sigprobe_trigger_latency_seconds":   "Live: time from the capture of the packet that fired a trigger to its acknowledgement by JetStream.",

	// state
	"sigprobe_checkpoint_total":                  "Checkpoints committed.",
	"sigprobe_checkpoint_failures_total":         "Checkpoints not committed: an output could not make its rows durable, or the file could not be written.",
	"sigprobe_checkpoint_skipped_total":          "Checkpoints skipped because the previous one was still being committed.",
	"sigprobe_checkpoint_seconds":                "Time from a checkpoint's barrier to its commit.",
	"sigprobe_checkpoint_encode_seconds":         "Time the pipeline paused to encode the tracking state for a checkpoint.",
	"sigprobe_checkpoint_bytes":                  "Size of the last checkpoint committed.",
	"sigprobe_checkpoint_last_timestamp_seconds": "Unix time of the last checkpoint committed (0: none yet).",
	"sigprobe_checkpoint_interval_seconds":       "The configured wall time between checkpoints (state.checkpoint_interval; 0 without a state).",
	"sigprobe_wal_errors_total":                  "Write-ahead log appends or syncs that failed: a crash then would lose messages.",
	"sigprobe_wal_replayed_messages_total":       "Messages fed again from the write-ahead log at start.",

	// sinks
	"sigprobe_sink_rows_total":             "Rows an output wrote (NATS: triggers acknowledged by JetStream), by sink and table.",
	"sigprobe_sink_batches_total":          "Blocks inserted into ClickHouse, by table.",
	"sigprobe_sink_files_total":            "Parquet files completed, by table.",
	"sigprobe_sink_insert_seconds":         "Time of one ClickHouse insert, by table.",
	"sigprobe_sink_write_seconds":          "Time of one Parquet write, by table.",
	"sigprobe_sink_publish_seconds":        "Time to publish one window of triggers and collect its JetStream acknowledgements.",
	"sigprobe_sink_retries_total":          "Inserts or publishes retried, by sink and table.",
	"sigprobe_sink_duplicates_total":       "Publishes JetStream reported as duplicates (already stored).",
	"sigprobe_sink_spooled_batches_total":  "Batches written to the disk spool while ClickHouse was unavailable.",
	"sigprobe_sink_replayed_batches_total": "Spooled batches inserted after ClickHouse came back.",
	"sigprobe_sink_rewound_batches_total":  "Spooled ClickHouse blocks removed at start because they were sealed after the checkpoint (they are made again).",
	"sigprobe_sink_skipped_rows_total":     "Triggers restored from a checkpoint that JetStream had acknowledged before the restart, not published again.",
	"sigprobe_sink_spool_bytes":            "Bytes in the ClickHouse disk spool now.",
	"sigprobe_sink_buffered_bytes":         "Bytes of triggers waiting for a JetStream acknowledgement.",
	"sigprobe_sink_dropped_rows_total":     "Rows an output lost, by sink, table and reason.",
}
