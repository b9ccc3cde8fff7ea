package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
	"unsafe"

	"github.com/VictoriaMetrics/metrics"

	"github.com/sigprobe/sigprobe/sink"
)

// DefaultCacheEntries is how many pseudonyms of each kind a Cache keeps per
// generation (two generations: about 2 x 40 MB per kind when full).
const DefaultCacheEntries = 1 << 20

// Cache remembers pseudonyms, so a subscriber's next rows cost a map lookup
// instead of an HMAC (BenchmarkApply measures both). It keeps two
// generations per kind: when the current one is full it becomes the old
// one and the older is dropped, and a hit in the old one moves the entry
// forward, so subscribers seen recently stay. Safe for concurrent use: the
// outputs of one key share it, each locking it once per batch.
type Cache struct {
	mu       sync.Mutex
	max      int
	cur, old [nKinds]map[sink.Digits]sink.Digits
	// Hits and Misses count lookups (nil: not counted); added once per batch.
	Hits, Misses *metrics.Counter
}

// NewCache returns a cache of max entries per kind and generation
// (DefaultCacheEntries if max <= 0).
func NewCache(max int) *Cache {
	if max <= 0 {
		max = DefaultCacheEntries
	}
	c := &Cache{max: max}
	for k := range nKinds {
		c.cur[k] = map[sink.Digits]sink.Digits{}
	}
	return c
}

func (c *Cache) put(k Kind, d, p sink.Digits) {
	if len(c.cur[k]) >= c.max {
		c.old[k], c.cur[k] = c.cur[k], make(map[sink.Digits]sink.Digits, c.max/4)
	}
	c.cur[k][d] = p
}

// Pseudonymizer rewrites the rows of batches for one output: the identities
// of its Set become pseudonyms and every row with identities gets the key's
// id. It is used by one goroutine at a time.
type Pseudonymizer struct {
	key   *Key
	set   Set
	cache *Cache
	mac   hmacState
	s     scratch
	out   sink.Batch
	ids   idArena

	hits, misses int // this batch's
}

// New returns a Pseudonymizer of set under key, remembering pseudonyms in
// cache (shared with other Pseudonymizers of the same key; nil: a cache of
// its own).
func New(key *Key, set Set, cache *Cache) *Pseudonymizer {
	if cache == nil {
		cache = NewCache(0)
	}
	return &Pseudonymizer{key: key, set: set, cache: cache, mac: hmac.New(sha256.New, key.secret)}
}

// Set is the kinds p pseudonymizes.
func (p *Pseudonymizer) Set() Set { return p.set }

// KeyID is the id p writes into the rows.
func (p *Pseudonymizer) KeyID() string { return p.key.id }

// get returns the pseudonym of d if p pseudonymizes kind k. Called with
// the cache locked.
func (p *Pseudonymizer) get(k Kind, d sink.Digits) sink.Digits {
	if d == 0 || d.IsPseudonym() || !p.set.Has(k) {
		return d
	}
	c := p.cache
	if v, ok := c.cur[k][d]; ok {
		p.hits++
		return v
	}
	if v, ok := c.old[k][d]; ok {
		p.hits++
		c.put(k, d, v)
		return v
	}
	p.misses++
	v := of(p.mac, &p.s, k, d)
	c.put(k, d, v)
	return v
}

// Apply returns b's rows with p's identities pseudonymized, in a batch that
// belongs to p and is valid until the next Apply; b is not changed. Rows
// that carry a key id already (pseudonymized before they were spilled to
// disk) are passed on as they are, so applying twice is applying once.
// Region minutes hold no identities and are shared with b, not copied. In
// the steady state (identities seen before) it allocates nothing.
func (p *Pseudonymizer) Apply(b *sink.Batch) *sink.Batch {
	o := &p.out
	o.Reset()
	o.Dwell = append(o.Dwell, b.Dwell...)
	o.Trajectories = append(o.Trajectories, b.Trajectories...)
	o.RegionMinutes = b.RegionMinutes
	o.Events = append(o.Events, b.Events...)
	o.Triggers = append(o.Triggers, b.Triggers...)
	o.Subscribers = append(o.Subscribers, b.Subscribers...)
	o.Flush = b.Flush
	id := p.key.id
	p.hits, p.misses = 0, 0
	p.cache.mu.Lock()
	for i := range o.Dwell {
		r := &o.Dwell[i]
		if r.KeyID == "" {
			r.IMSI, r.MSISDN, r.KeyID = p.get(IMSI, r.IMSI), p.get(MSISDN, r.MSISDN), id
		}
	}
	for i := range o.Trajectories {
		r := &o.Trajectories[i]
		if r.KeyID == "" {
			r.IMSI, r.KeyID = p.get(IMSI, r.IMSI), id
		}
	}
	for i := range o.Events {
		r := &o.Events[i]
		if r.KeyID == "" {
			// A peer is a number like an MSISDN, and gets the same
			// pseudonym: calls between subscribers stay visible.
			r.IMSI, r.MSISDN, r.Peer, r.KeyID = p.get(IMSI, r.IMSI), p.get(MSISDN, r.MSISDN), p.get(MSISDN, r.Peer), id
		}
	}
	for i := range o.Triggers {
		r := &o.Triggers[i]
		if r.KeyID == "" {
			r.IMSI, r.MSISDN, r.KeyID = p.get(IMSI, r.IMSI), p.get(MSISDN, r.MSISDN), id
			if p.set.Has(IMSI) {
				// The rules engine's id is an invertible mix of the IMSI,
				// the time and the rule: replace it by a keyed hash of it,
				// the same for the same trigger (NATS deduplication).
				r.ID = p.triggerID(r.ID)
			}
		}
	}
	for i := range o.Subscribers {
		r := &o.Subscribers[i]
		if r.KeyID == "" {
			r.IMSI, r.MSISDN, r.IMEI, r.KeyID = p.get(IMSI, r.IMSI), p.get(MSISDN, r.MSISDN), p.get(IMEI, r.IMEI), id
		}
	}
	p.cache.mu.Unlock()
	if c := p.cache.Hits; c != nil && p.hits > 0 {
		c.Add(p.hits)
	}
	if c := p.cache.Misses; c != nil && p.misses > 0 {
		c.Add(p.misses)
	}
	return o
}

// triggerID is the first 16 bytes of HMAC-SHA-256(key, "trigger:<id>") as
// 32 hex digits, the length of the engine's ids.
func (p *Pseudonymizer) triggerID(id string) string {
	b := append(p.s.in[:0], "trigger:"...)
	p.mac.Reset()
	p.mac.Write(b)
	p.mac.Write(unsafe.Slice(unsafe.StringData(id), len(id)))
	sum := p.mac.Sum(p.s.sum[:0])
	return p.ids.hex(sum[:16])
}

// idArena hands out hex strings carved from large chunks, so a trigger's id
// costs no allocation of its own. Bytes handed out are never written again.
type idArena struct{ buf []byte }

func (a *idArena) hex(b []byte) string {
	n := 2 * len(b)
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, 1024*n)
	}
	start := len(a.buf)
	const digits = "0123456789abcdef"
	for _, x := range b {
		a.buf = append(a.buf, digits[x>>4], digits[x&15])
	}
	return unsafe.String(&a.buf[start], n)
}
