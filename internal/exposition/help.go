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
	"sigprobe_track_messages_total":      "Messages handed to the resolver.",
	"sigprobe_track_attributed_total":    "Messages tied to a subscriber when handled.",
	"sigprobe_track_deferred_total":      "Messages held on a TMSI whose IMSI is not known yet.",
	"sigprobe_track_replayed_total":      "Held observations replayed once the IMSI was learned.",
	"sigprobe_track_unresolved_total":    "Observations dropped: the subscriber never became known.",
	"sigprobe_track_no_connection_total": "Messages on an unknown SCCP connection, dropped.",
	"sigprobe_track_held_dropped_total":  "Observations dropped because the held-history buffer was full.",
	"sigprobe_track_tmsi_mapped_total":   "TMSI to IMSI mappings learned.",
	"sigprobe_track_expired_total":       "Stale connections, transactions and mappings dropped.",
	"sigprobe_track_subscribers":         "Subscribers tracked now.",
	"sigprobe_track_observations_total":  "Observations applied to subscriber state.",
	"sigprobe_track_dwell_rows_total":    "Cell dwell intervals closed.",
	"sigprobe_track_silent_total":        "Implicit detaches: a subscriber silent for 1.05 times T3212.",
	"sigprobe_track_out_of_order_total":  "Cell observations older than the subscriber's last one, ignored.",
	"sigprobe_track_region_late_total":   "Region entries and exits older than the settling window.",
	"sigprobe_region_occupancy":          "Subscribers inside each micro-region now.",

	// pipeline and rules
	"sigprobe_pipeline_batches_total":      "Message batches fed to the pipeline.",
	"sigprobe_pipeline_rows_total":         "Table rows handed to the outputs.",
	"sigprobe_pipeline_write_errors_total": "Output write errors.",
	"sigprobe_messages_lines_total":        "JSON lines written to the messages file.",
	"sigprobe_rules_fired_total":           "Triggers fired, all rules.",
	"sigprobe_rules_rule_fired_total":      "Triggers fired, by rule.",
	"sigprobe_rules_control_total":         "Of the triggers fired, those held out as a campaign's control group (recorded, not published), by rule.",

	// outputs
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
	"sigprobe_sink_spool_bytes":            "Bytes in the ClickHouse disk spool now.",
	"sigprobe_sink_buffered_bytes":         "Bytes of triggers waiting for a JetStream acknowledgement.",
	"sigprobe_sink_dropped_rows_total":     "Rows an output lost, by sink, table and reason.",
}
