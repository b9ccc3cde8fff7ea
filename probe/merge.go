package probe

// merge puts the batches of several decode workers into one time line for
// the pipeline. Each worker's messages come in capture-time order (its
// reorder window saw to that), and each batch says up to when its worker
// has handed everything on (MsgBatch.upTo; an idle live worker sends an
// empty batch when that moves). A message is let through once no worker
// can still send an older one: every worker either has a message waiting
// that is not older, or has said it is complete up to the message's time.
// At most maxHeld messages wait; past that the oldest go on early
// (counted): a stalled worker delays the others by a bounded amount.
//
// A single worker needs none of this: the pipeline takes its batches as
// they come. merge runs on the pipeline's goroutine.
type merge struct {
	q       [][]*MsgBatch // per worker, batches not yet fully let through, from qh[w] on
	qh      []int
	next    []int // per worker, index of the next message in its first batch
	upTo    []int64
	held    int
	maxHeld int
	out     *MsgBatch
	// Overflow counts messages let through early, Late messages older than
	// one already let through.
	Overflow, Late uint64
	last           int64
}

func newMerge(workers, maxHeld int) *merge {
	m := &merge{q: make([][]*MsgBatch, workers), qh: make([]int, workers), next: make([]int, workers), upTo: make([]int64, workers), maxHeld: maxHeld}
	for w := range m.upTo {
		m.upTo[w] = -1 << 63
	}
	return m
}

// add takes a worker's batch (the merge owns it afterwards).
func (m *merge) add(b *MsgBatch) {
	w := b.worker
	m.upTo[w] = max(m.upTo[w], b.upTo)
	if len(b.Msgs) == 0 {
		putBatch(b)
		return
	}
	m.q[w] = append(m.q[w], b)
	m.held += len(b.Msgs)
}

// head returns the worker whose waiting message is oldest, -1 if none.
func (m *merge) head() int {
	best, bt := -1, int64(0)
	for w, q := range m.q {
		if m.qh[w] == len(q) {
			continue
		}
		if ts := q[m.qh[w]].Msgs[m.next[w]].TsNs; best < 0 || ts < bt {
			best, bt = w, ts
		}
	}
	return best
}

// release hands every message that may go on, in order, to handle in
// batches; all: everything (the workers stopped).
func (m *merge) release(handle func(*MsgBatch), all bool) {
	for {
		w := m.head()
		if w < 0 {
			break
		}
		b := m.q[w][m.qh[w]]
		msg := &b.Msgs[m.next[w]]
		if !all {
			ok := true
			for v, q := range m.q {
				if v != w && m.qh[v] == len(q) && m.upTo[v] < msg.TsNs {
					ok = false
					break
				}
			}
			if !ok {
				if m.held <= m.maxHeld {
					break
				}
				m.Overflow++
			}
		}
		if msg.TsNs < m.last {
			m.Late++
		}
		m.last = max(m.last, msg.TsNs)
		if m.out == nil {
			m.out = getBatch()
		}
		m.out.Msgs = append(m.out.Msgs, *msg)
		m.held--
		if m.next[w]++; m.next[w] == len(b.Msgs) {
			m.q[w][m.qh[w]] = nil
			m.next[w] = 0
			if m.qh[w]++; m.qh[w] == len(m.q[w]) {
				m.q[w], m.qh[w] = m.q[w][:0], 0
			}
			putBatch(b)
		}
		if len(m.out.Msgs) == batchSize {
			handle(m.out)
			m.out = nil
		}
	}
	if m.out != nil && len(m.out.Msgs) > 0 {
		handle(m.out)
		m.out = nil
	}
}
