package sim

// truthReadme is written beside the truth files.
const truthReadme = `Ground truth of a sigprobe simulator run. Times are unix seconds (UTC)
unless a column says _ns. Identities are synthetic. The town lives in the
scenario's time zone: days start at local midnight, and working hours,
nights, weekdays and holidays are local (regions.yaml names the zone).

subscribers.csv  imsi, msisdn, imei, home_mcc, home_mnc, group, role, msisdn_ts_ns
                 role: resident, member (of group), neighbour (lives in or next
                 to group's region), visitor (visits it now and then), relative
                 (calls a member often), delivery, roamer (inbound), cardfarm.
                 msisdn_ts_ns: when the signaling first tied the MSISDN to the
                 IMSI, so a probe can know the number from then on (empty:
                 never): a message carrying both (mo-forwardSM,
                 provideRoamingNumber) or the one completing a dialogue whose
                 other message carried the other (insertSubscriberData in an
                 updateLocation dialogue, the results of sendRoutingInfo and
                 sendRoutingInfoForSM). USSD, anyTimeInterrogation and
                 provideSubscriberInfo carry only one of them.
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
events.csv       ts, imsi, kind, lac, ci, peer, setup_ts, answer_ts, release_ts,
                 cause, ts_ns, release_ns: every piece of activity as a perfect
                 probe knows it, dated by the capture time of the message that
                 tells it (the sigprobe events table, row for row). kind:
                 attach / location_update (Location Updating Accept of an IMSI
                 attach / of a normal or periodic update; a Reject is a
                 location_update with the reject cause), detach (IMSI Detach
                 Indication), ussd (SS Register), sms_mo / sms_mt (the first
                 CP-DATA with RP-DATA on the connection; peer: TP-DA / TP-OA),
                 call_mo / call_mt (one row per call leg on the A-interface,
                 dated at its Setup; peer: the called / calling number;
                 answer: Connect, 0 unanswered; release: the first clearing
                 message, Disconnect or, after a radio failure, the BSSMAP
                 Clear Request, 0 still up at the end; cause: the CC cause
                 of that first clearing message, 0 none), implicit_detach
                 (went silent without detaching for more than 1.05 x T3212,
                 dated at the last message, no cell), roam_out / roam_return
                 (updateLocation from a foreign VLR for a home subscriber /
                 from a home VLR after that; peer: the foreign VLR's number;
                 no cell). lac and ci: the cell of the connection (of the
                 call's set-up); 0,0 none. ts_ns and release_ns repeat ts and
                 release_ts in ns.
campaigns.csv    campaign, imsi, contact_ts, control, respond_ts: every contact
                 of the marketing model (scenario campaigns): the subscriber's
                 first entry into the contact region (its first dwell in one
                 of the region's cells after not being in it), whether it was
                 held out as the control group (the hash contract of rules
                 control_share), and, for those the model made respond, when
                 it meant to call the reply number (the call, if placed, is in
                 events.csv).
consent/         opt_in.txt and opt_out.txt: MSISDNs that opted in to
                 location-based offers / out of all marketing (an operator's
                 consent export, for trigger rules).
regions.yaml     micro-regions (named sets of cells) and the groups working in
                 them, with their time zone and calendar: the same format the
                 probe reads as configuration.
calendar.csv     the holiday calendar the town followed (public holidays and
                 make-up working days; format/calendar), when it had one.
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

A-interface-only capture (scenario transport.capture_map: false): the tap
sees the BSC-MSC links only; the MAP (core) links are neither in the capture
nor in messages.csv. What such a probe can know:
  - cells, dwell and events exactly as with MAP: dwell.csv is the same;
  - IMSI<->TMSI from Paging (both identities), Identity Responses and TMSI
    allocation on a connection that showed its IMSI; not from the
    authentication RAND (the vectors travel in MAP);
  - IMEI from IMEISV Identity Responses;
  - MSISDNs only from calls between two of the network's subscribers: the
    called number of the caller's Setup is the callee's MSISDN and the
    calling number of the callee's Setup is the caller's, once the two legs
    are matched in time; subscribers who never take part in such a call keep
    no number;
  - the call graph among subscribers (who called whom, by IMSI) for those
    matched calls; SMS peers and calls to other networks show numbers only.
It cannot know: MSISDNs of subscribers without matched on-net calls,
roamers' home numbers unless they call a subscriber, anything of the HLR
(subscription data, location queries, SMS routing).
`
