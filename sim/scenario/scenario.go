package scenario

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even where the system has none

	"go.yaml.in/yaml/v3"

	"github.com/sigprobe/sigprobe/format/calendar"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the built-in scenario (the same text as deploy/scenario.yaml).
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Scenario is a city's mobile network and the behaviour of its subscribers.
type Scenario struct {
	Name string `yaml:"name"`
	// Timezone is the town's IANA zone: days, hours, weekdays and the
	// calendar are local to it; --start is a local date.
	Timezone string `yaml:"timezone"`
	// Calendar is a holiday calendar file (format/calendar), relative to the
	// scenario file; "" for none. Groups and daytime workers rest on its
	// holidays and work on its make-up days.
	Calendar   string     `yaml:"calendar"`
	PLMN       PLMN       `yaml:"plmn"`
	CC         string     `yaml:"country_code"` // E.164 country code of the home network
	NDC        string     `yaml:"ndc"`          // national destination code of the home operator's MSISDNs
	Network    Network    `yaml:"network"`
	Regions    []Region   `yaml:"regions"`
	Groups     []Group    `yaml:"groups"`
	Population Population `yaml:"population"`
	Traffic    Traffic    `yaml:"traffic"`
	Roaming    []Roaming  `yaml:"roaming_partners"`
	Devices    []Device   `yaml:"devices"`
	Hotlines   []Hotline  `yaml:"hotlines"`
	Transport  Transport  `yaml:"transport"`
	Outbound   Outbound   `yaml:"outbound_roaming"`
	Campaigns  []Campaign `yaml:"campaigns"`

	// Loc and Cal are Timezone and Calendar, resolved by Parse.
	Loc *time.Location     `yaml:"-"`
	Cal *calendar.Calendar `yaml:"-"`
}

// PLMN is a mobile network code pair; MNC has two or three digits.
type PLMN struct {
	MCC string `yaml:"mcc"`
	MNC string `yaml:"mnc"`
}

// Network is the radio and core layout: a grid of cells cut into location
// areas (one BSC each) that are shared among the MSC/VLRs.
type Network struct {
	Cols         int     `yaml:"cols"`
	Rows         int     `yaml:"rows"`
	CellSpacingM int     `yaml:"cell_spacing_m"`
	LACols       int     `yaml:"la_cols"`
	LARows       int     `yaml:"la_rows"`
	MSCs         int     `yaml:"mscs"`
	T3212Minutes int     `yaml:"t3212_minutes"`
	AuthVectors  int     `yaml:"auth_vectors"` // triplets fetched per sendAuthenticationInfo
	AuthEveryN   int     `yaml:"auth_every_n"` // authenticate every Nth CM service request (LU always)
	CGIShare     float64 `yaml:"cgi_share"`    // share of BSCs that send the whole CGI in Complete L3 (others LAC+CI)
	// TMSIBits: each VLR draws its TMSIs from the low this many bits, never
	// one it has given to another subscriber; VLRs do not coordinate, so
	// the fewer the bits, the more TMSIs two VLRs both hand out (0: 32).
	TMSIBits int `yaml:"tmsi_bits"`
}

// Region is a micro-region: a named set of cells.
type Region struct {
	Name   string `yaml:"name"`
	Kind   string `yaml:"kind"`
	Center [2]int `yaml:"center"` // grid column, row
	Radius int    `yaml:"radius"` // cells around the centre (Chebyshev distance)
}

// Group is an enterprise whose staff work in one region.
type Group struct {
	Name       string  `yaml:"name"`
	Region     string  `yaml:"region"`
	Share      float64 `yaml:"share"`    // members as a share of all subscribers
	Workdays   string  `yaml:"workdays"` // e.g. "mon-fri"
	Start      string  `yaml:"start"`    // "09:00"
	End        string  `yaml:"end"`      // "18:00"
	PartTime   float64 `yaml:"part_time"`
	Shift      float64 `yaml:"shift"`
	ShiftStart string  `yaml:"shift_start"` // shift workers' hours
	ShiftEnd   string  `yaml:"shift_end"`
	// ArrivalJitterMinutes: members arrive and leave up to this much before
	// or after the hours.
	ArrivalJitterMinutes int     `yaml:"arrival_jitter_minutes"`
	Meetings             float64 `yaml:"meetings"` // chance of a meeting in another building of the region on a working day
	// WorkFriends: share of members whose closest contact (called with
	// traffic.relative_share of their other on-net calls, at any hour) is a
	// colleague.
	WorkFriends float64 `yaml:"work_friends"`
	WFH         float64 `yaml:"wfh"`        // probability a member works from home on a working day
	Neighbours  float64 `yaml:"neighbours"` // people living in/next to the region, per member
	Visitors    float64 `yaml:"visitors"`   // occasional visitors, per member
	Relatives   float64 `yaml:"relatives"`  // relatives and friends who call members, per member
}

// Population sets the shares of the behaviour classes.
type Population struct {
	NightOff       float64  `yaml:"night_off"`  // residents who switch off at night (with IMSI detach)
	SilentOff      float64  `yaml:"silent_off"` // of those, the share whose phone dies without detaching
	Workers        float64  `yaml:"workers"`    // residents with a daytime place elsewhere
	Shoppers       float64  `yaml:"shoppers"`   // daily chance of a trip to a mall region
	Delivery       float64  `yaml:"delivery"`   // share of delivery workers
	Roamers        float64  `yaml:"roamers"`    // share of inbound roamers
	RoamerStayDays [2]int   `yaml:"roamer_stay_days"`
	CardFarm       CardFarm `yaml:"card_farm"`
	Reselect       float64  `yaml:"reselect"` // share of stays with idle-mode reselection to a neighbour cell
}

// CardFarm is a set of SIMs switched on together in one cell.
type CardFarm struct {
	SIMs int    `yaml:"sims"`
	Cell [2]int `yaml:"cell"`
	Day  int    `yaml:"day"` // day index of the simulation when they switch on
	Hour int    `yaml:"hour"`
}

// Traffic sets call, SMS and other service rates per subscriber per day.
type Traffic struct {
	CallsPerDay           float64 `yaml:"calls_per_day"`
	SMSPerDay             float64 `yaml:"sms_per_day"`
	MeanCallSeconds       float64 `yaml:"mean_call_seconds"`
	USSDPerDay            float64 `yaml:"ussd_per_day"`
	LocationQueriesPerDay float64 `yaml:"location_queries_per_day"` // ATI/PSI per subscriber per day
	InternationalShare    float64 `yaml:"international_share"`
	HotlineShare          float64 `yaml:"hotline_share"`
	OffNetShare           float64 `yaml:"offnet_share"`
	// ColleagueShare: of a member's on-net calls and SMS in its own working
	// hours on a working day, the share to a colleague of its group.
	ColleagueShare float64 `yaml:"colleague_share"`
	// RelativeShare: of the other on-net calls of a member or relative, the
	// share to its relative (or member).
	RelativeShare  float64 `yaml:"relative_share"`
	IMEICheckShare float64 `yaml:"imei_check_share"` // share of attaches with Identity Request (IMEISV) + checkIMEI
}

// Roaming is a foreign network whose subscribers visit.
type Roaming struct {
	Country string  `yaml:"country"`
	CC      string  `yaml:"country_code"`
	PLMN    PLMN    `yaml:"plmn"`
	Weight  float64 `yaml:"weight"`
}

// Device is a handset model identified by its TAC.
type Device struct {
	TAC    string  `yaml:"tac"`
	Model  string  `yaml:"model"`
	Weight float64 `yaml:"weight"`
}

// Hotline is a service number that subscribers call.
type Hotline struct {
	Name   string `yaml:"name"`
	Number string `yaml:"number"`
}

// Transport shapes the SIGTRAN links.
type Transport struct {
	VLANShare      float64 `yaml:"vlan_share"`       // share of links that are 802.1Q tagged
	MaxChunk       int     `yaml:"max_chunk"`        // DATA chunk size above which SCTP fragments (on fragmenting links)
	FragmentShare  float64 `yaml:"fragment_share"`   // share of links with that small fragmentation point
	XUDTThreshold  int     `yaml:"xudt_threshold"`   // SCCP data size above which MAP goes in segmented XUDT
	BundleWindowUS int     `yaml:"bundle_window_us"` // messages on one link within this window share a packet
	// CaptureMAP: the tap sees the core links (MAP). false models a probe on
	// the BSC-MSC links only: the capture has the A-interface alone.
	CaptureMAP bool `yaml:"capture_map"`
}

// Load reads a scenario from path; "" means the built-in default.
func Load(path string) (*Scenario, error) {
	if path == "" {
		return Parse(defaultYAML, "default scenario")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(b, path)
}

// Parse decodes and validates a scenario. Unknown keys are errors. A
// relative calendar path is taken from the directory of name.
func Parse(b []byte, name string) (*Scenario, error) {
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("scenario %s: %s", name, oneLine(err.Error()))
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	s.Loc, _ = time.LoadLocation(s.Timezone) // checked by Validate
	if s.Calendar != "" {
		path := s.Calendar
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(name), path)
		}
		c, err := calendar.Load(path)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: calendar: %w", name, err)
		}
		s.Cal = c
	}
	return &s, nil
}

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
