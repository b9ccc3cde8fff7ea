package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sigprobe/sigprobe/decode"
	"github.com/sigprobe/sigprobe/format/regions"
	"github.com/sigprobe/sigprobe/internal/sdnotify"
	"github.com/sigprobe/sigprobe/probe/capture"
	"github.com/sigprobe/sigprobe/probe/ckpt"
	"github.com/sigprobe/sigprobe/probe/rules"
	"github.com/sigprobe/sigprobe/probe/track"
	"github.com/sigprobe/sigprobe/sink"
	"github.com/sigprobe/sigprobe/sink/clickhouse"
	"github.com/sigprobe/sigprobe/sink/jsonl"
	"github.com/sigprobe/sigprobe/sink/natsbus"
	"github.com/sigprobe/sigprobe/sink/parquet"
	"github.com/sigprobe/sigprobe/sink/pseudonym"
)

// Options are what a command hands Open besides the configuration.
type Options struct {
	Mode   Mode
	Logger *slog.Logger // default slog.Default()
	Stdout io.Writer    // where messages "-" go (default os.Stdout)
	// ResetState moves an unusable checkpoint aside instead of refusing to
	// start (--reset-state).
	ResetState bool
	// Extra are more table outputs (the replay's --summary tally; tests).
	Extra []NamedWriter
	// Version is recorded in checkpoints.
	Version string
	// Trace is handed to the Resolver (tests measure attribution with it).
	Trace func(frame uint64, imsi sink.Digits)
	// Linger leaves the embedded NATS server running after Run; Linger(ctx)
	// then serves until ctx is done.
	Linger bool
	// Notify tells systemd (Type=notify) when the probe is ready and that
	// its pipeline turns (WATCHDOG=1 every half WatchdogSec, from the
	// pipeline's own goroutine); nil outside systemd.
	Notify *sdnotify.Notifier
}

// NamedWriter is an output given by the caller.
type NamedWriter struct {
	Name string
	W    sink.Writer
}

// Probe is a configured probe: a source, its decode workers, the tracking
// pipeline, the outputs and the checkpoints. Open it, then Run it once.
type Probe struct {
	cfg  Config
	opt  Options
	log  *slog.Logger
	src  source
	file *fileSource // src when replaying or decoding
	live *liveSource
	ws   workers
	pipe *pipeline // nil when decoding
	outs []*output
	ck   *checkpointer
	wal  *wal
	lock *os.File
	nats *natsbus.Server
	msgs *messages
	mf   *os.File // messages file
	m    *probeMetrics
	http *httpServer
	// pkey pseudonymizes the outputs privacy.* names (nil: all clear);
	// pcache is shared by all of them.
	pkey   *pseudonym.Key
	pcache *pseudonym.Cache

	loaded     *loaded
	done       bool // replay: the checkpoint says this capture was read to its end
	regions    *regions.File
	walRec     walRecovery
	started    time.Time
	closers    []func() error
	running    sync.WaitGroup
	runState   readiness
	warnedZero bool
}

// Open resolves cfg for opt.Mode, loads everything a run needs (regions,
// rules, lists, the checkpoint), opens the source and the outputs, and
// replays a live probe's write-ahead log. Nothing is captured before Run.
// Errors are one line and name the file, key or interface at fault.
func Open(cfg Config, opt Options) (_ *Probe, err error) {
	if err := cfg.Resolve(opt.Mode); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Stdout == nil {
		opt.Stdout = os.Stdout
	}
	p := &Probe{cfg: cfg, opt: opt, log: opt.Logger}
	defer func() {
		if err != nil {
			p.abort()
		}
	}()
	if cfg.Messages != "" {
		p.msgs = &messages{w: opt.Stdout}
		if cfg.Messages != "-" {
			f, err := os.OpenFile(cfg.Messages, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
			if err != nil {
				return nil, fmt.Errorf("messages: %w", err)
			}
			p.mf, p.msgs.w = f, f
		}
	}
	if opt.Mode == ModeDecode {
		if p.file, err = openFileSource(cfg.Capture.File); err != nil {
			return nil, err
		}
		p.src = p.file
		p.ws = workers{newWorker(0, func(b *MsgBatch) { putBatch(b) }, p.msgs, &cfg.Capture)}
		p.m = newProbeMetrics(nil, nil)
		return p, nil
	}

	if err := p.loadKey(); err != nil {
		return nil, err
	}
	tc, err := cfg.trackConfig()
	if err != nil {
		return nil, err
	}
	tc.Trace = opt.Trace
	p.regions = tc.Regions
	eng, err := cfg.engine(tc.Regions)
	if err != nil {
		return nil, err
	}
	if cfg.Metrics.Listen != "" { // listen early: a busy port fails before anything starts
		if p.http, err = listenHTTP(cfg.Metrics, &p.runState); err != nil {
			return nil, err
		}
	}
	if err := cfg.needOutput(opt.Mode, len(opt.Extra)); err != nil {
		return nil, err
	}
	// The source first: a missing file or interface fails before anything
	// is created on disk.
	if opt.Mode == ModeReplay {
		if p.file, err = openFileSource(cfg.Capture.File); err != nil {
			return nil, err
		}
		p.src = p.file
	} else {
		ccfg := cfg.captureConfig()
		ccfg.Logger = p.log.With("component", "capture")
		c, err := capture.Open(ccfg)
		if err != nil {
			if errors.Is(err, capture.ErrEBPF) {
				return nil, fmt.Errorf("%w (--ebpf off or capture.ebpf: off)", err)
			}
			return nil, err
		}
		p.live = &liveSource{c: c}
		p.src = p.live
	}
	if cfg.State.Dir != "" {
		if p.lock, p.loaded, err = openState(cfg.State.Dir, opt.ResetState, p.log); err != nil {
			return nil, err
		}
	}
	p.m = newProbeMetrics(regionNames(tc.Regions), eng)
	// Exported whether or not anything is pseudonymized (0 then), so
	// that a dashboard shows the same panels on every probe.
	hits := p.m.s.NewCounter("sigprobe_pseudonym_cache_hits_total")
	misses := p.m.s.NewCounter("sigprobe_pseudonym_cache_misses_total")
	if p.pcache != nil {
		p.pcache.Hits, p.pcache.Misses = hits, misses
	}
	p.pipe = newPipeline(p.log.With("component", "pipeline"), tc, eng)
	p.pipe.m = p.m
	p.pipe.live = opt.Mode == ModeRun
	p.pipe.flushEvery = cfg.Output.FlushInterval
	p.pipe.notify = opt.Notify
	if p.loaded != nil {
		if err := p.pipe.restore(p.loaded.sections); err != nil {
			return nil, fmt.Errorf("%w: %s: %v; start afresh with --reset-state", ErrBadCheckpoint, filepath.Join(cfg.State.Dir, checkpointFile), err)
		}
	}
	p.pipe.state.Persist = cfg.State.Dir != ""
	skip := uint64(0)
	if l := p.loaded; l != nil && p.file != nil {
		if l.meta.Source.File != nil && l.meta.Source.File.same(p.file.id) {
			if l.meta.Source.Complete {
				p.done = true
			}
			skip = l.meta.Source.Packets
		} else {
			if l.meta.Source.File != nil {
				p.log.Info("state from another capture: continuing with its subscribers", "previous", l.meta.Source.File.Path)
			}
			p.pipe.pos = 0
		}
	}

	if n := p.src.workers(); n > 1 {
		p.pipe.merge = newMerge(n, mergeHeld)
	}
	for i := range p.src.workers() {
		w := newWorker(i, p.pipe.feed, p.msgs, &cfg.Capture)
		w.skip = skip
		if p.live != nil {
			w.slack = int64(cfg.Capture.BlockTimeout + slackMargin)
		}
		w.marks = p.pipe.merge != nil
		p.ws = append(p.ws, w)
	}

	if err := p.openOutputs(eng); err != nil {
		return nil, err
	}
	if cfg.State.Dir != "" {
		meta := ckptMeta{Instance: newInstanceID(), Mode: opt.Mode.String(), Outputs: map[string]ckptOutput{}, Version: opt.Version}
		if p.loaded != nil {
			meta.Instance = p.loaded.meta.Instance
		}
		if p.file != nil {
			id := p.file.id
			meta.Source.File = &id
		}
		for _, o := range p.outs {
			meta.Outputs[o.name] = ckptOutput{ID: o.dirID}
		}
		if opt.Mode == ModeRun {
			if p.wal, err = openWAL(filepath.Join(cfg.State.Dir, walDir)); err != nil {
				return nil, fmt.Errorf("state: %w", err)
			}
			p.pipe.wal = p.wal
		}
		p.ck = newCheckpointer(cfg.State.Dir, meta, p.wal, p.log.With("component", "checkpoint"), p.m)
		p.pipe.ck = p.ck
		p.m.ckptInterval.Set(cfg.State.CheckpointInterval.Seconds())
	}
	if p.wal != nil {
		if err := p.recoverWAL(); err != nil {
			return nil, err
		}
	}
	if p.ck != nil && !p.done {
		// The first checkpoint ties the outputs (and after a recovery, what
		// the log rebuilt) to this state before anything new is written.
		// The pipeline's goroutine does not run yet: this one owns it.
		p.pipe.checkpoint(true)
		if err := p.ck.err(); err != nil {
			return nil, fmt.Errorf("state: first checkpoint: %w", err)
		}
	}
	p.logStart()
	return p, nil
}

// mergeHeld bounds the messages the merge of several workers holds.
const mergeHeld = 64 * batchSize

// recoverWAL feeds the write-ahead log written since the checkpoint through
// the pipeline, then starts a new log segment.
func (p *Probe) recoverWAL() error {
	if l := p.loaded; l != nil && l.meta.WAL != nil {
		t0 := time.Now()
		rec, err := p.wal.replay(*l.meta.WAL, p.pipe.handle)
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		p.walRec = rec
		p.m.walReplayed.Set(rec.messages)
		if rec.batches+rec.cuts > 0 || rec.torn {
			p.log.Info("replayed the write-ahead log since the last checkpoint", "epoch", l.meta.Epoch,
				"messages", rec.messages, "batches", rec.batches, "torn_tail", rec.torn, "took", time.Since(t0).Round(time.Millisecond))
		}
	} else if segs, _ := p.wal.segments(); len(segs) > 0 && p.loaded == nil {
		return fmt.Errorf("state: %s holds a write-ahead log but no checkpoint; move it away or start with --reset-state", p.wal.dir)
	}
	return p.wal.start()
}

func (p *Probe) logStart() {
	var outs, priv []string
	for _, o := range p.outs {
		outs = append(outs, o.name+"="+o.where)
		set := "clear"
		if o.ps != nil {
			set = o.ps.Set().String()
		}
		priv = append(priv, o.name+"="+set)
	}
	attrs := []any{"mode", p.opt.Mode.String(), "outputs", strings.Join(outs, " ")}
	if p.pkey != nil {
		// Which identities each output gets pseudonymized, and under which key.
		attrs = append(attrs, "pseudonymized", strings.Join(priv, " "), "key_id", p.pkey.ID())
	}
	if p.cfg.State.Dir != "" {
		attrs = append(attrs, "state", p.cfg.State.Dir)
		if p.loaded != nil {
			attrs = append(attrs, "resumed_epoch", p.loaded.meta.Epoch)
		}
	}
	if p.http != nil {
		attrs = append(attrs, "metrics", p.http.scheme+"://"+p.http.addr()+"/metrics")
	}
	if p.nats != nil {
		attrs = append(attrs, "nats", p.nats.URL())
	}
	p.log.Info("probe ready", attrs...)
}

// openOutputs opens the table outputs, the trigger bus and the extra
// outputs, each with its position from the checkpoint.
func (p *Probe) openOutputs(eng *rules.Engine) error {
	cfg := &p.cfg
	live := p.opt.Mode == ModeRun
	add := func(name, where, dirID string, kind outputKind, w sink.Writer) error {
		o, err := newOutput(name, kind, w, live, cfg.Output.QueueBatches, cfg.Output.SpoolDir, cfg.Output.SpoolMaxBytes, p.privacy(name), p.m.s, p.log)
		if err != nil {
			w.Close()
			return err
		}
		o.where, o.dirID = where, dirID
		p.outs = append(p.outs, o)
		p.pipe.addOutput(o)
		return nil
	}
	if dir := cfg.Output.Dir; dir != "" {
		id, used, err := outputDirID(dir)
		if err != nil {
			return fmt.Errorf("output %s: %w", dir, err)
		}
		var pos []byte
		if l := p.loaded; l != nil && l.meta.Outputs["files"].ID == id {
			pos = l.position("files")
		}
		if pos == nil && used {
			if p.opt.Mode == ModeReplay {
				why := "no --state was given"
				if p.loaded != nil {
					why = "the state in " + cfg.State.Dir + " is not the one that wrote it"
				} else if cfg.State.Dir != "" {
					why = "the state in " + cfg.State.Dir + " is new"
				}
				return fmt.Errorf("output %s already holds tables and %s: replaying into it would double their rows; give an empty --out, or the --state of the run that wrote it", dir, why)
			}
			p.log.Warn("output directory holds tables of an earlier run that this state does not know; appending", "dir", dir)
		}
		var w sink.Writer
		if cfg.Output.Format == "jsonl" {
			jw, err := jsonl.New(dir, jsonl.Options{Position: pos})
			if err != nil {
				return err
			}
			if jw.Discarded > 0 {
				p.log.Info("rows after the checkpoint discarded; they are written again", "output", "files", "bytes", jw.Discarded)
			}
			w = jw
		} else {
			pw, err := parquet.New(dir, parquet.Options{Position: pos, MaxRows: cfg.Output.Parquet.MaxRows, MaxAge: cfg.Output.Parquet.MaxAge})
			if err != nil {
				return err
			}
			if n := pw.Discarded(); n > 0 {
				p.log.Info("files after the checkpoint discarded; their rows are written again", "output", "files", "files", n)
			}
			w = pw
		}
		if err := add("files", cfg.Output.Format+":"+dir, id, tablesOutput, w); err != nil {
			return err
		}
	}
	if ch := cfg.Output.ClickHouse; ch.DSN != "" {
		settings := map[string]any{}
		for k, v := range ch.Settings {
			settings[k] = v
		}
		w, err := clickhouse.New(clickhouse.Config{DSN: ch.DSN, BatchRows: ch.BatchRows, SpoolDir: ch.SpoolDir, SpoolMaxBytes: ch.SpoolMaxBytes,
			DialTimeout: ch.DialTimeout, InsertTimeout: ch.InsertTimeout, CloseTimeout: ch.CloseTimeout, Settings: settings,
			Logger: p.log.With("output", "clickhouse")}, p.loaded.position("clickhouse"))
		if err != nil {
			return err
		}
		if err := add("clickhouse", redactDSN(ch.DSN), "", tablesOutput, w); err != nil {
			return err
		}
	}
	if err := p.openNATS(); err != nil {
		return err
	}
	for _, x := range p.opt.Extra {
		if err := add(x.Name, "in-process", "", tablesOutput, x.W); err != nil {
			return err
		}
	}
	if len(p.outs) == 0 {
		p.log.Warn("no output configured: tables and triggers go nowhere")
	}
	_ = eng
	return nil
}

func (p *Probe) openNATS() error {
	n := p.cfg.NATS
	url := n.URL
	stream := natsbus.StreamConfig{Duplicates: n.Duplicates}
	ncfg := natsbus.Config{URL: url, CredsFile: n.Creds, NkeyFile: n.Nkey, TLSCert: n.TLSCert, TLSKey: n.TLSKey, TLSCA: n.TLSCA,
		Stream: stream, Latency: p.opt.Mode == ModeRun,
		Logger: p.log.With("output", "nats"), Position: p.loaded.position("nats")}
	if e := n.Embedded; e.StoreDir != "" {
		if err := mkdirPrivate(e.StoreDir); err != nil {
			return fmt.Errorf("nats: %w", err)
		}
		srv, err := natsbus.Embedded(natsbus.EmbeddedConfig{StoreDir: e.StoreDir, Listen: e.Listen, UsersFile: e.UsersFile,
			TLSCert: e.TLSCert, TLSKey: e.TLSKey, TLSCA: e.TLSCA, Stream: stream})
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		if len(srv.Generated) == 2 {
			p.log.Info("embedded NATS: created the users file with one consumer; give its seed to the consumer (nats --nkey FILE)",
				"users_file", srv.Generated[0], "consumer_seed", srv.Generated[1])
		}
		p.nats = srv
		embedded := srv.PublisherConfig()
		embedded.Stream, embedded.Latency, embedded.Logger, embedded.Position = stream, ncfg.Latency, ncfg.Logger, ncfg.Position
		ncfg = embedded
		url = srv.URL()
	}
	if url == "" {
		return nil
	}
	ncfg.URL = url
	if p.cfg.State.Dir != "" {
		ncfg.AckFile = filepath.Join(p.cfg.State.Dir, natsAckFile)
	}
	pub, err := natsbus.NewPublisher(ncfg)
	if err != nil {
		return fmt.Errorf("NATS %s: %w", url, err)
	}
	o, err := newOutput("nats", triggersOutput, pub, p.opt.Mode == ModeRun, p.cfg.Output.QueueBatches, p.cfg.Output.SpoolDir, p.cfg.Output.SpoolMaxBytes, p.privacy("nats"), p.m.s, p.log)
	if err != nil {
		pub.Close()
		return err
	}
	o.where = url
	p.outs = append(p.outs, o)
	p.pipe.addOutput(o)
	return nil
}

// loadKey reads privacy.key_file when some output is pseudonymized.
func (p *Probe) loadKey() error {
	used := false
	for _, name := range append([]string{""}, PrivacyOutputs...) {
		used = used || p.cfg.PseudonymSet(name) != 0
	}
	if !used {
		return nil
	}
	k, err := pseudonym.LoadKey(p.cfg.Privacy.KeyFile)
	if err != nil {
		return fieldErr("privacy.key_file", "%v", err)
	}
	p.pkey, p.pcache = k, pseudonym.NewCache(0)
	return nil
}

// privacy is what the output called name pseudonymizes.
func (p *Probe) privacy(name string) privacy {
	if p.pkey == nil {
		return privacy{}
	}
	return privacy{key: p.pkey, set: p.cfg.PseudonymSet(name), cache: p.pcache}
}

// redactDSN hides a DSN's password in logs.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.LastIndex(dsn, "@"); j > i {
			if k := strings.Index(dsn[i+3:j], ":"); k >= 0 {
				return dsn[:i+3+k+1] + "***" + dsn[j:]
			}
		}
	}
	return dsn
}

// NATSURL is the address of the embedded NATS server ("" without one).
func (p *Probe) NATSURL() string {
	if p.nats == nil {
		return ""
	}
	return p.nats.URL()
}

// NATSUsersFile is the embedded NATS server's users file ("" without one).
func (p *Probe) NATSUsersFile() string {
	if p.nats == nil {
		return ""
	}
	return p.nats.UsersFile
}

// CaptureProgress is how far a replay has read its capture file: the bytes
// read and the file's size (0 for a pipe). Safe while Run runs; the
// reading loop pays for it one atomic add per megabyte.
func (p *Probe) CaptureProgress() (read, size int64) {
	if p.file == nil {
		return 0, 0
	}
	return p.file.r.BytesRead(), p.file.id.Size
}

// MetricsAddr is the address /metrics is served on ("" without).
func (p *Probe) MetricsAddr() string {
	if p.http == nil {
		return ""
	}
	return p.http.addr()
}

// abort releases what Open opened when it fails.
func (p *Probe) abort() {
	if p.src != nil {
		p.src.close()
	}
	for _, o := range p.outs {
		o.close()
	}
	if p.nats != nil {
		p.nats.Close()
	}
	if p.wal != nil {
		p.wal.close()
	}
	if p.lock != nil {
		p.lock.Close()
	}
	if p.http != nil {
		p.http.close()
	}
	if p.mf != nil {
		p.mf.Close()
	}
}

// Reload reads the regions, rules, attributes and consent lists again and
// swaps them in without losing any state: subscribers stay where they are,
// a region kept by name keeps its entry times, and a rule kept by name keeps
// its frequency caps and timers (SIGHUP). A file that does not load leaves
// everything as it was.
func (p *Probe) Reload() error {
	if p.pipe == nil {
		return nil
	}
	tc, err := p.cfg.trackConfig()
	if err != nil {
		return err
	}
	eng, err := p.cfg.engine(tc.Regions)
	if err != nil {
		return err
	}
	p.pipe.do(func() {
		if old := p.pipe.eng; old != nil && eng != nil {
			e := ckptEnc()
			old.SaveState(e)
			if err := eng.LoadState(ckptDec(e.Bytes())); err != nil {
				p.log.Warn("reload: trigger caps not carried over", "err", err)
			}
		}
		if len(p.pipe.rows.Triggers) > p.pipe.trigSent {
			p.pipe.sendTriggers()
		}
		p.pipe.state.Reconfigure(tc.Regions, eng)
		p.pipe.eng = eng
		p.m.rebind(regionNames(tc.Regions), eng)
	})
	p.regions = tc.Regions
	return nil
}

// Run captures (or reads the file) until ctx is done or the input ends,
// then shuts down in order: stop the source, hand the workers' last batches
// to the pipeline, drain it, end the run (and commit the last checkpoint),
// close the outputs. Each step's duration is logged, then the summary.
func (p *Probe) Run(ctx context.Context) (Stats, error) {
	p.started = time.Now()
	p.m.register()
	defer p.m.unregister()
	if p.http != nil {
		p.http.serve()
		defer p.http.close()
	}
	if p.done {
		p.log.Info("this capture was replayed to its end already (the checkpoint says so); nothing to do", "state", p.cfg.State.Dir)
		return p.shutdown(nil, 0)
	}
	if p.pipe != nil {
		go p.pipe.run(p.cfg.State.CheckpointInterval)
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); p.statsLoop(stop) }()
	p.runState.setRunning(true, p.outs, p.ck)
	status := "reading " + p.cfg.Capture.File
	if p.live != nil {
		p.log.Info("capturing", "interfaces", strings.Join(p.cfg.Capture.Interfaces, ","), "workers", len(p.ws), "fanout", p.live.c.Mode())
		status = fmt.Sprintf("capturing on %s (%d workers, %s fanout)", strings.Join(p.cfg.Capture.Interfaces, ","), len(p.ws), p.live.c.Mode())
	}
	p.notify("READY=1\nSTATUS=" + status)

	runErr := p.src.run(ctx, p.ws)
	interrupted := errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded)
	if interrupted && p.opt.Mode != ModeRun {
		if p.ck != nil {
			p.log.Info("interrupted; run the same command to resume from the last checkpoint", "packets", p.file.packets)
		}
	} else if interrupted {
		runErr = nil
	}
	t := time.Now()
	p.runState.setRunning(false, nil, nil)
	p.notify("STOPPING=1\nSTATUS=stopping: draining the pipeline, closing the outputs")
	if p.live != nil {
		p.live.c.Close()
	}
	for _, w := range p.ws {
		w.flush()
		w.handOn()
		w.publishStats()
	}
	close(stop)
	bg.Wait()
	if p.opt.Mode != ModeDecode {
		p.log.Info("capture stopped, workers drained", "took", time.Since(t).Round(time.Millisecond))
	}

	var end int64
	if p.file != nil {
		// The capture's end by its sane clock (a last packet from next
		// year does not end every dwell next year).
		for _, w := range p.ws {
			end = max(end, w.upTo)
		}
		if runErr == nil && p.ck != nil {
			p.ck.complete = true
		}
	}
	return p.shutdown(runErr, end)
}

// notify tells systemd (if any) the probe's state; a failure is logged.
func (p *Probe) notify(state string) {
	if err := p.opt.Notify.Notify(state); err != nil {
		p.log.Warn("cannot notify systemd", "err", err)
	}
}

func (p *Probe) shutdown(runErr error, end int64) (Stats, error) {
	var errs []error
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		errs = append(errs, runErr)
	} else if runErr != nil {
		errs = append(errs, fmt.Errorf("interrupted"))
	}
	if p.pipe != nil {
		t := time.Now()
		if !p.done {
			close(p.pipe.queue)
			<-p.pipe.done
			p.pipe.finish(end)
			if p.ck != nil {
				if err := p.ck.err(); err != nil {
					errs = append(errs, fmt.Errorf("last checkpoint: %w", err))
				}
			}
		}
		p.log.Info("pipeline closed", "took", time.Since(t).Round(time.Millisecond))
	}
	t := time.Now()
	for _, o := range p.outs {
		if err := o.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(p.outs) > 0 {
		p.log.Info("outputs closed", "took", time.Since(t).Round(time.Millisecond))
	}
	if p.nats != nil && !p.opt.Linger {
		p.nats.Close()
	}
	if p.wal != nil {
		errs = append(errs, p.wal.close())
	}
	st := p.stats()
	if lines, err := p.msgsCounts(); err != nil {
		errs = append(errs, fmt.Errorf("messages: %w", err))
	} else {
		st.Lines = lines
	}
	if p.mf != nil {
		errs = append(errs, p.mf.Close())
	}
	if p.src != nil {
		p.src.close()
	}
	if p.lock != nil {
		p.lock.Close()
	}
	if p.opt.Mode != ModeDecode {
		p.log.Info("summary", st.LogAttrs()...)
	}
	return st, errors.Join(errs...)
}

func (p *Probe) msgsCounts() (uint64, error) {
	if p.msgs == nil {
		return 0, nil
	}
	return p.msgs.counts()
}

// statsLoop brings the source's, the decoders' and the rules' metrics up to
// date every second.
func (p *Probe) statsLoop(stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			p.updateSourceMetrics()
			return
		case <-tick.C:
			p.updateSourceMetrics()
		}
	}
}

func (p *Probe) updateSourceMetrics() {
	if p.live != nil {
		cs := p.live.c.Stats()
		p.m.setCapture(&cs)
	}
	ds := p.ws.decodeStats()
	p.m.setDecode(&ds)
	if ds.ZeroChecksums > 0 && !p.warnedZero && p.cfg.Capture.verifyChecksum() {
		p.warnedZero = true
		p.log.Warn("SCTP packets with an all-zero checksum are dropped: was this captured on a sending host before checksum offload? then set capture.verify_checksum: false (--verify-checksum=false)",
			"packets", ds.ZeroChecksums)
	}
	rs := p.ws.reorderStats()
	p.m.setReorder(&rs)
	if p.file != nil {
		p.m.received.Set(ds.Packets)
	}
	if p.pipe != nil {
		p.m.setRules(p.pipe.eng)
	}
	if n, _ := p.msgsCounts(); n > 0 {
		p.m.lines.Set(n)
	}
}

// Stats summarises a run.
type Stats struct {
	Mode      Mode
	Capture   capture.Stats // live
	Packets   uint64        // packets read
	Truncated uint64        // a capture file's cut-off last packet
	Reorder   ReorderStats  // the reorder windows and clock checks before decoding
	Decode    decode.Stats
	Resolver  track.ResolverStats
	State     track.StateStats
	// Held: phones seen whose IMSI never showed (yet), and the
	// observations held for them, when the run ended; Open: SCCP
	// connections and TCAP transactions still open.
	HeldSubscribers, HeldObservations int
	OpenConnections, OpenTransactions int
	// Orphans: messages still waiting for their connection's reference.
	Orphans  int
	Rows     uint64 // rows handed to the outputs
	Triggers uint64
	Lines    uint64 // JSON lines written to Messages
	Outputs  []OutputStats
	// Checkpoints committed; WALReplayed messages fed again from the log.
	Checkpoints, WALReplayed uint64
	Resumed                  bool // started from a checkpoint
	FirstTS, LastTS          int64
	Elapsed                  time.Duration
}

// OutputStats is one output's counters.
type OutputStats struct {
	Name        string
	Rows        uint64
	Dropped     uint64
	WriteErrors uint64
}

// MessagesPerSecond is the end-to-end rate.
func (s *Stats) MessagesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Decode.Messages) / s.Elapsed.Seconds()
}

func (p *Probe) stats() Stats {
	st := Stats{Mode: p.opt.Mode, Decode: p.ws.decodeStats(), Reorder: p.ws.reorderStats(), Resumed: p.loaded != nil, WALReplayed: p.walRec.messages}
	if !p.started.IsZero() {
		st.Elapsed = time.Since(p.started)
	}
	if p.live != nil {
		st.Capture = p.live.c.Stats()
		st.Packets = st.Capture.Received
	}
	if p.file != nil {
		st.Packets, st.Truncated, st.FirstTS, st.LastTS = p.file.packets, p.file.truncated, p.file.first, p.file.last
		p.m.truncated.Set(st.Truncated)
	}
	if p.pipe != nil {
		st.Resolver, st.State = p.pipe.stats()
		st.HeldSubscribers, st.HeldObservations = p.pipe.res.HeldSubscribers(), p.pipe.res.HeldObservations()
		st.OpenConnections, st.OpenTransactions = p.pipe.res.OpenConnections(), p.pipe.res.OpenTransactions()
		st.Orphans = p.pipe.res.Orphans()
		st.Rows = p.pipe.rowsOut
		st.Triggers = p.m.setRules(p.pipe.eng)
	}
	if p.ck != nil {
		st.Checkpoints = p.ck.commits
	}
	for _, o := range p.outs {
		st.Outputs = append(st.Outputs, OutputStats{Name: o.name, Rows: o.rows.Load(), Dropped: o.mDropped.Get(), WriteErrors: o.mErrors.Get()})
	}
	return st
}

// Unidentified is the number of phones seen whose IMSI never showed: given
// up, or still waiting when the run ended.
func (s *Stats) Unidentified() uint64 { return s.Resolver.Unidentified + uint64(s.HeldSubscribers) }

// NoConnection is the number of messages on connections the probe never
// saw open: given up, or still waiting for the connection's reference when
// the run ended.
func (s *Stats) NoConnection() uint64 { return s.Resolver.NoConnection + uint64(s.Orphans) }

// Evicted is what the tracking dropped at its bounds (limits.*).
func (s *Stats) Evicted() uint64 {
	return s.Resolver.EvictedConns + s.Resolver.EvictedTxns + s.Resolver.EvictedHeld
}

// LogAttrs are the summary as log attributes. Every loss has a count:
// messages on connections the probe never saw open (no_connection),
// observations of phones never identified (unresolved, and held at the
// end), packets later than the reorder window, clock outliers, entries
// dropped at the tracking bounds.
func (s *Stats) LogAttrs() []any {
	a := []any{"packets", s.Packets, "messages", s.Decode.Messages, "decode_errors", s.Decode.Errors,
		"subscribers", s.State.Subscribers, "unidentified", s.Unidentified(), "dwell_rows", s.State.DwellRows, "rows", s.Rows, "triggers", s.Triggers,
		"attributed", s.Resolver.Attributed, "unresolved", s.Resolver.Unresolved, "held", s.HeldObservations,
		"no_connection", s.NoConnection(), "held_dropped", s.Resolver.ProvDropped, "evicted", s.Evicted(),
		"reorder_late", s.Reorder.Late, "reorder_overflow", s.Reorder.Overflow, "clock_outliers", s.Reorder.Outliers,
		"clock_jumps", s.Reorder.Jumps, "checkpoints", s.Checkpoints}
	if s.Mode == ModeRun {
		a = append(a, "kernel_packets", s.Capture.KernelPackets, "kernel_drops", s.Capture.KernelDrops,
			"queue_freezes", s.Capture.QueueFreezes, "bpf_passed", s.Capture.FilterPassed, "bpf_dropped", s.Capture.FilterDropped,
			"fanout", string(s.Capture.Mode), "wal_replayed", s.WALReplayed)
	} else {
		a = append(a, "truncated", s.Truncated, "msgs_per_s", int64(s.MessagesPerSecond()))
	}
	for _, o := range s.Outputs {
		a = append(a, slog.Group("output_"+o.Name, "rows", o.Rows, "dropped", o.Dropped, "write_errors", o.WriteErrors))
	}
	if s.Lines > 0 {
		a = append(a, "lines", s.Lines)
	}
	return append(a, "elapsed", s.Elapsed.Round(time.Millisecond))
}

func ckptEnc() *ckpt.Enc         { return ckpt.NewEnc(1 << 12) }
func ckptDec(b []byte) *ckpt.Dec { return ckpt.NewDec(b) }

// Linger keeps the embedded NATS server (if any) serving after Run, until
// ctx is done, so consumers in other processes can read a replay's
// triggers (replay --keep-serving).
func (p *Probe) Linger(ctx context.Context) {
	if p.nats == nil {
		return
	}
	<-ctx.Done()
	p.nats.Close()
}
