package sink

// The tables. Times are unix seconds (UTC) unless the name says otherwise.
// Field names in `json` tags are the column names everywhere: JSON lines,
// Parquet and ClickHouse (deploy/clickhouse).

// Dwell is a closed interval during which a subscriber's signaling stayed in one cell.
type Dwell struct {
	IMSI    Digits `json:"imsi"`
	MSISDN  Digits `json:"msisdn"`
	LAC     uint16 `json:"lac"`
	CI      uint16 `json:"ci"`
	StartTS int64  `json:"start_ts"`
	EndTS   int64  `json:"end_ts"`
	Roamer  bool   `json:"roamer"`
	// Why the interval ended: "cell" (another cell), "detach", "silent"
	// (implicit detach after no signaling), "end" (capture or probe stopped).
	Reason string `json:"reason"`
	// KeyID is the id of the key that pseudonymized the row's identities
	// (sink/pseudonym); empty when they are in clear.
	KeyID string `json:"key_id"`
}

// TrajectoryPoint: the subscriber was first seen in a cell at TS.
type TrajectoryPoint struct {
	IMSI  Digits `json:"imsi"`
	TS    int64  `json:"ts"`
	LAC   uint16 `json:"lac"`
	CI    uint16 `json:"ci"`
	KeyID string `json:"key_id"` // see Dwell.KeyID
}

// DwellBuckets are the upper bounds (seconds) of RegionMinute.ExitDwell; the
// last bucket is open.
var DwellBuckets = [8]int64{300, 900, 1800, 3600, 7200, 14400, 28800, 1 << 62}

// RegionMinute is one micro-region's counters for one minute.
type RegionMinute struct {
	Region    string    `json:"region"`
	MinuteTS  int64     `json:"minute_ts"`
	Occupancy uint32    `json:"occupancy"`  // subscribers inside at the end of the minute
	Inflow    uint32    `json:"inflow"`     // entered during the minute
	Outflow   uint32    `json:"outflow"`    // left during the minute
	Roamers   uint32    `json:"roamers"`    // inbound roamers inside at the end of the minute
	ExitDwell [8]uint32 `json:"exit_dwell"` // dwell of those who left, by DwellBuckets
}

// Event kinds.
const (
	EventAttach = "attach"
	EventDetach = "detach"
	EventLU     = "location_update"
	EventCallMO = "call_mo"
	EventCallMT = "call_mt"
	EventSMSMO  = "sms_mo"
	EventSMSMT  = "sms_mt"
	EventUSSD   = "ussd"
	EventSilent = "implicit_detach"
	// A home subscriber registered with a foreign VLR (Event.Peer: its
	// number), or with a home VLR again after that (Event.Peer: the
	// foreign VLR it left).
	EventRoamOut    = "roam_out"
	EventRoamReturn = "roam_return"
)

// Event is one piece of subscriber activity, with the cell it happened in.
type Event struct {
	TS        int64  `json:"ts"`
	IMSI      Digits `json:"imsi"`
	MSISDN    Digits `json:"msisdn"`
	Kind      string `json:"kind"`
	LAC       uint16 `json:"lac"`
	CI        uint16 `json:"ci"`
	Peer      Digits `json:"peer"`       // called/calling or SMS peer number; roam_out/roam_return: the foreign VLR
	SetupTS   int64  `json:"setup_ts"`   // calls
	AnswerTS  int64  `json:"answer_ts"`  // calls, 0 if unanswered
	ReleaseTS int64  `json:"release_ts"` // calls
	Duration  uint32 `json:"duration_s"` // answered calls: release - answer (0 while still up)
	Cause     uint8  `json:"cause"`      // CC cause of a call's first clearing message, or MM reject cause
	Roamer    bool   `json:"roamer"`
	KeyID     string `json:"key_id"` // see Dwell.KeyID
}

// Trigger is a fired rule; ID is unique (also the NATS Msg-Id).
type Trigger struct {
	ID      string `json:"id"`
	Rule    string `json:"rule"`
	Kind    string `json:"kind"`
	TS      int64  `json:"ts"`
	IMSI    Digits `json:"imsi"`
	MSISDN  Digits `json:"msisdn"`
	Region  string `json:"region"`
	LAC     uint16 `json:"lac"`
	CI      uint16 `json:"ci"`
	DwellS  int64  `json:"dwell_s"`
	HomeMCC string `json:"home_mcc"`
	HomeMNC string `json:"home_mnc"`
	Attrs   string `json:"attrs"` // matched static attributes, "key=value;..."
	// Calls and SMS: the other party; roam_out and roam_return: the number
	// of the foreign VLR (its leading digits are the visited country's code).
	Peer      Digits `json:"peer"`
	DurationS int64  `json:"duration_s"` // calls: answered duration
	Cause     uint8  `json:"cause"`      // calls: CC cause of the first clearing message
	Campaign  string `json:"campaign"`   // the rule's campaign, "" none
	// Control: the subscriber is in the campaign's control group. Recorded
	// here, never published: the response of the held-out group measures
	// the campaign's uplift.
	Control bool   `json:"control"`
	KeyID   string `json:"key_id"` // see Dwell.KeyID
	// Seq numbers the probe's triggers 1, 2, 3, ... (kept across restarts
	// in the checkpoint) and Observed is the capture time (ns) of the
	// packet whose processing fired it; neither is a column.
	Seq      uint64 `json:"-"`
	Observed int64  `json:"-"`
}

// Subscriber is what the probe learned about one subscriber.
type Subscriber struct {
	IMSI      Digits `json:"imsi"`
	MSISDN    Digits `json:"msisdn"`
	IMEI      Digits `json:"imei"`
	HomeMCC   string `json:"home_mcc"`
	HomeMNC   string `json:"home_mnc"`
	FirstSeen int64  `json:"first_seen"`
	LastSeen  int64  `json:"last_seen"`
	KeyID     string `json:"key_id"` // see Dwell.KeyID
}

// Batch carries rows of every table from the pipeline to a Writer. The
// pipeline reuses a Batch after Write returns: a Writer copies what it keeps.
type Batch struct {
	Dwell         []Dwell
	Trajectories  []TrajectoryPoint
	RegionMinutes []RegionMinute
	Events        []Event
	Triggers      []Trigger
	Subscribers   []Subscriber
	// Flush asks the writer to make the rows so far visible downstream
	// (seal and send blocks, flush buffers) after this batch. The pipeline
	// sets it at most every output.flush_interval of wall time in a live
	// run and by capture time in a replay; both are reproduced exactly when
	// a restart replays from a checkpoint, so a writer whose output depends
	// on where batches end (ClickHouse blocks and their deduplication
	// tokens) must cut only here and at BatchRows-like row counts, never on
	// a timer of its own.
	Flush bool
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int {
	return len(b.Dwell) + len(b.Trajectories) + len(b.RegionMinutes) + len(b.Events) + len(b.Triggers) + len(b.Subscribers)
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	b.Dwell, b.Trajectories, b.RegionMinutes = b.Dwell[:0], b.Trajectories[:0], b.RegionMinutes[:0]
	b.Events, b.Triggers, b.Subscribers = b.Events[:0], b.Triggers[:0], b.Subscribers[:0]
	b.Flush = false
}

// Writer is an output of the pipeline. Write must not block the pipeline for
// long: a slow destination buffers, spools or drops, and counts what it drops.
type Writer interface {
	Write(b *Batch) error
	// Close flushes everything buffered and releases the destination.
	Close() error
}

// Checkpointer is implemented by every writer that takes part in the
// probe's checkpoints (STYLE rule 15): a checkpoint — the tracking state plus
// each writer's position — is committed only once every writer has made
// the rows written before it durable.
//
// Checkpoint makes every row written so far durable (files closed, synced
// and renamed; buffers flushed and synced; blocks inserted or spooled), or
// keeps what it cannot make durable yet in the returned position, and
// returns that position: opaque bytes the probe stores in the checkpoint and
// hands back to the writer's constructor after a restart. The constructor
// then discards whatever was written after that position (a crash's partial
// files or torn lines): the probe replays from the checkpoint and writes
// those rows again. Checkpoint is called between Writes, from the goroutine
// that calls Write.
type Checkpointer interface {
	Checkpoint(epoch uint64) (position []byte, err error)
}

// Tables lists the table names in a fixed order.
var Tables = []string{"trajectories", "dwell", "region_minute", "events", "triggers", "subscribers"}
