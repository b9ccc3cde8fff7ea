package sim

// truthReadme is written beside the truth files.
const truthReadme = `Ground truth of a sigprobe simulator run. Times are unix seconds (UTC)
unless a column says _ns. Identities are synthetic.

subscribers.csv  imsi, msisdn, imei, home_mcc, home_mnc, group, role
                 role: resident, member (of group), neighbour (lives in or next
                 to group's region), visitor (visits it now and then), relative
                 (calls a member often), delivery, roamer (inbound), cardfarm.
attributes.csv   msisdn, segment, tags (';'-separated): the static profile an
                 operator would supply; none for inbound roamers.
location.csv     imsi, lac, ci, start_ts, end_ts: where each subscriber really
                 was while switched on, including idle-mode cell reselections
                 that cause no signaling.
dwell.csv        imsi, lac, ci, start_ts, end_ts: what a perfect probe can know.
                 Maximal intervals during which the last cell seen in the
                 subscriber's own signaling stayed the same. A message shows a
                 cell when it travels on an A-interface connection of that
                 subscriber: the cell of its Complete Layer 3 Information, later
                 the cell of a Handover Complete / Handover Performed. Paging
                 and MAP show no cell. start = first message from that cell;
                 end = first message from another cell, the IMSI Detach
                 Indication, or the last message before the phone went silent
                 without detaching (battery, left the country) when that
                 silence lasted more than 1.05 x T3212: a live phone updates
                 its location at least every T3212, so only such a silence is
                 knowable; a shorter one looks like an idle phone. Intervals
                 still open when the capture ends close at its last packet.
consent/         opt_in.txt and opt_out.txt: MSISDNs that opted in to
                 location-based offers / out of all marketing (an operator's
                 consent export, for trigger rules).
regions.yaml     micro-regions (named sets of cells) and the groups working in
                 them: the same format the probe reads as configuration.
messages.csv     one row per BSSMAP, DTAP or MAP message in the capture:
                 frame (1-based pcap frame that completes it), ts_ns, imsi (the
                 subscriber it concerns, empty for none), proto (bssmap, dtap,
                 map), pd (DTAP protocol discriminator), type (BSSMAP/DTAP
                 message type, MAP operation code; for MAP errors the error
                 code), comp (MAP invoke/result/error), name; then what the
                 message itself carries: msg_imsi, tmsi (hex), imei, imeisv,
                 msisdn (the subscriber's own number in a MAP parameter), lac
                 and ci (';'-separated, every cell or location area in it) and
                 cell (lac-ci: the cell this message shows the subscriber in,
                 used for dwell.csv); conn: the SCCP connection the message
                 travels on (numbered from 1 in the order the connections
                 opened; its first message is the one in the Connection
                 Request), empty for connectionless ones; rand: the RANDs
                 it carries (hex of their first 8 octets, ';'-separated):
                 the one of an Authentication Request, the vectors of a
                 sendAuthenticationInfo result.
`
