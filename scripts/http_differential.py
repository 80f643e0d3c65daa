#!/usr/bin/env python3
"""Differential test of Tundra's HTTP/1.1 request parser against h11.

Every case in testdata/http/cases/ is parsed by h11 (pinned below) here, and by
Tundra's RequestDecoder in the Rust test crates/tundra-http/tests/corpus.rs, which
writes its results as JSON lines and runs this script:

    python3 scripts/http_differential.py --ours ours.jsonl

For each case both must agree on the outcome (ok / closed / partial / reject), the
status of a rejection, and for each request the method, target, version, header
fields, body and trailer fields. Every intended difference is listed below with its
RFC reason; an unlisted difference, or a listed one that no longer differs, fails.

Install the judge with:  pip install h11==0.16.0
"""
import argparse
import json
import os
import sys

H11_VERSION = "0.16.0"

# Cases where Tundra and h11 decide differently (accept/reject/partial, or the
# requests seen), on purpose.
INTENDED_DIFFERENCES = {
    "leading-crlf": "RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line; h11 rejects it",
    "leading-lf": "RFC 9112 §2.2, as leading-crlf (a bare LF counts as a line terminator)",
    "http10-keep-alive": "RFC 9112 Appendix C.2.2: HTTP/1.0 keep-alive persists; h11 never keeps HTTP/1.0 connections open",
    "cl-te-both": "RFC 9112 §6.3 rule 3 and §11.2: CL with TE 'ought to be handled as an error' (smuggling); h11 lets TE win",
    "te-cl-both": "as cl-te-both",
    "te-cl-both-smuggle": "as cl-te-both; h11 would read the smuggled request as a second request",
    "te-http10": "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message MUST be treated as faulty framing; h11 accepts it",
    "obs-fold": "RFC 9112 §5.2: a server MUST reject obs-fold with 400 or replace it; we reject, h11 unfolds",
    "obs-fold-tab": "as obs-fold",
    "obs-fold-host": "as obs-fold (and here it would smuggle text into Host)",
    "chunked-trailer-obs-fold": "as obs-fold, in the trailer section",
    "value-ctl-01": "RFC 9110 §5.5: field-content is VCHAR/obs-text with SP/HTAB between; h11 lets other controls through on purpose (its issue 57)",
    "value-ctl-1f": "as value-ctl-01",
    "value-del": "RFC 9110 §5.5: DEL (0x7F) is neither VCHAR nor obs-text; h11 accepts it",
    "host-space": "RFC 9112 §3.2: a Host field with an invalid value MUST get 400; h11 does not validate Host",
    "host-slash": "as host-space",
    "host-userinfo": "as host-space (userinfo is not part of Host, RFC 9110 §7.2)",
    "version-2-0": "RFC 9110 §15.6.6: 505 for a major version we do not implement; h11 accepts any DIGIT.DIGIT",
    "version-0-9": "as version-2-0",
    "version-3-0": "as version-2-0",
    "h2-preface": "as version-2-0: the HTTP/2 preface gets 505; h11 parses PRI * HTTP/2.0",
    "bare-cr-lines": "RFC 9112 §2.2: a bare CR is invalid; we reject at the first one, h11 waits for an LF that never comes (partial)",
    "final-cr-without-lf": "as bare-cr-lines: CR then a non-LF byte is rejected at once; h11 waits for a blank line (partial)",
    "chunked-size-lf-only": "RFC 9112 §7.1: chunk lines end in CRLF; we reject at the bare LF, h11 waits for a CRLF (partial)",
    "chunked-size-overflow": "a chunk size beyond 64 bits is refused (RFC 9112 §7.1.1 lets a recipient guard against overflow); h11 accepts up to 20 hex digits and waits",
    "chunked-many-zeros": "RFC 9112 §7.1 sets no digit limit; leading zeros do not overflow, so we accept; h11 caps chunk-size at 20 digits",
    "chunked-extension-bws": "RFC 9112 §7.1.1: chunk-ext = *( BWS \";\" ... ), whitespace before ';' is allowed; h11's chunk-header pattern has none",
    "chunked-ext-ctl": "RFC 9112 §7.1.1: an extension is token or quoted-string, so a control byte is invalid; h11 skips ';.*' unchecked",
    "ssh-banner": "RFC 9112 §3: the request line is invalid as soon as it ends; we answer 400 then, h11 waits for a blank line (partial)",
    "uri-too-long": "RFC 9112 §3: 414 past Limits::max_uri_len (8 KiB); h11 applies its 16 KiB limit only to heads still incomplete",
    "header-too-large": "RFC 6585 §5: 431 past Limits::max_header_bytes (16 KiB); h11 applies its limit only to heads still incomplete",
    "headers-total-too-large": "as header-too-large",
    "headers-too-many": "RFC 6585 §5: 431 past Limits::max_headers (100); h11 limits only total size",
    "body-too-large": "RFC 9110 §15.5.14: 413 for a declared body over Limits::max_body (8 MiB); h11 has no body limit and waits",
    "chunk-too-large": "as body-too-large, for a chunk size over the limit",
    "method-too-long": "RFC 9110 §9.1: 501 for methods longer than Limits::max_method_len (32); h11 has no method limit",
}

# Cases both reject, with different status codes.
STATUS_DIFFERENCES = {
    "te-chunked-twice": "RFC 9112 §7: chunked applied twice is malformed framing, 400; h11 says 501 for anything but exactly 'chunked'",
    "te-two-fields": "as te-chunked-twice",
    "te-empty": "RFC 9112 §6.3 rule 4: chunked is not the final coding, 400; h11 says 501",
}


def h11_parse(data):
    """Runs h11 as a server over `data`: (requests, outcome, status)."""
    import h11

    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
    if data:
        conn.receive_data(data)  # (b"" would mean EOF to h11)
    requests, current = [], None
    while True:
        before = conn.their_state
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as e:
            if before is h11.MUST_CLOSE and current is None:
                # Bytes after a request that closes the connection: ignored, as
                # Tundra ignores them (RFC 9112 §9.6).
                return requests, "closed", None
            return requests, "reject", e.error_status_hint
        if event is h11.NEED_DATA:
            if current is not None or conn.their_state is h11.SEND_BODY:
                return requests, "partial", None
            if conn.their_state is h11.MUST_CLOSE:
                return requests, "closed", None
            leftover = conn.trailing_data[0]
            return requests, ("partial" if leftover else "ok"), None
        if isinstance(event, h11.Request):
            current = {
                "method": bytes(event.method),
                "target": bytes(event.target),
                "version": bytes(event.http_version).decode(),
                "headers": [(bytes(n), bytes(v)) for n, v in event.headers.raw_items()],
                "body": b"",
                "trailers": [],
            }
        elif isinstance(event, h11.Data):
            current["body"] += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            current["trailers"] = [(bytes(n), bytes(v)) for n, v in event.headers.raw_items()]
            requests.append(current)
            current = None
            # 404, not 200: a 2xx to CONNECT would switch h11 to tunnel mode.
            conn.send(h11.Response(status_code=404, headers=[("Content-Length", "0")]))
            conn.send(h11.EndOfMessage())
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()
            elif conn.their_state is h11.MUST_CLOSE:
                return requests, "closed", None
        elif event is h11.PAUSED:
            return requests, "closed", None
        elif isinstance(event, h11.ConnectionClosed):
            return requests, "closed", None


def h11_shape(headers):
    """h11's own representation of a field list, applied to ours so that only real
    differences remain: it keeps one Content-Length line holding the single value of
    identical repeats (RFC 9110 §8.6 allows that), and lower-cases the value of
    Transfer-Encoding (coding names are case-insensitive, RFC 9112 §7)."""
    out, seen_cl = [], False
    for name, value in headers:
        lname = name.lower()
        if lname == b"content-length":
            if seen_cl:
                continue
            seen_cl = True
            value = value.split(b",")[0].strip()
        elif lname == b"transfer-encoding":
            value = value.lower()
        out.append((name, value))
    return out


def load_ours(path):
    ours = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            b = lambda s: s.encode("latin-1")
            rec["requests"] = [
                {
                    "method": b(r["method"]),
                    "target": b(r["target"]),
                    "version": r["version"],
                    "headers": h11_shape([(b(n), b(v)) for n, v in r["headers"]]),
                    "body": b(r["body"]),
                    "trailers": [(b(n), b(v)) for n, v in r["trailers"]],
                }
                for r in rec["requests"]
            ]
            ours[rec["name"]] = rec
    return ours


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", required=True, help="JSON lines written by tests/corpus.rs")
    ap.add_argument("--corpus", default=os.path.join(here, "..", "testdata", "http"))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    try:
        import h11
    except ImportError:
        print(f"FAIL: h11 is not installed: pip install h11=={H11_VERSION}")
        return 2
    if h11.__version__ != H11_VERSION:
        print(f"FAIL: h11 {h11.__version__} found, the pinned judge is {H11_VERSION}: pip install h11=={H11_VERSION}")
        return 2

    names = []
    with open(os.path.join(args.corpus, "MANIFEST.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            names.append(line.split("\t")[0])
    ours = load_ours(args.ours)

    agree, intended, status_diff, failures = 0, [], [], []
    for name in names:
        with open(os.path.join(args.corpus, "cases", name + ".http"), "rb") as f:
            data = f.read()
        if name not in ours:
            failures.append(f"{name}: missing from our results")
            continue
        o = ours[name]
        t_reqs, t_outcome, t_status = h11_parse(data)
        same_decision = o["outcome"] == t_outcome and o["requests"] == t_reqs
        if not same_decision:
            detail = f"ours {len(o['requests'])} {o['outcome']} {o['status']} / h11 {len(t_reqs)} {t_outcome} {t_status}"
            if name in INTENDED_DIFFERENCES:
                intended.append((name, detail))
            else:
                failures.append(f"{name}: UNEXPECTED difference: {detail}")
                for i, (a, b) in enumerate(zip(o["requests"], t_reqs)):
                    if a != b:
                        failures.append(f"    request {i}: ours {a}\n    request {i}: h11  {b}")
            continue
        if name in INTENDED_DIFFERENCES:
            failures.append(f"{name}: listed as an intended difference but both agree now ({o['outcome']})")
            continue
        if o["outcome"] == "reject" and o["status"] != t_status:
            detail = f"ours {o['status']} / h11 {t_status}"
            if name in STATUS_DIFFERENCES:
                status_diff.append((name, detail))
            else:
                failures.append(f"{name}: UNEXPECTED status difference: {detail}")
            continue
        if name in STATUS_DIFFERENCES:
            failures.append(f"{name}: listed as a status difference but both agree now")
            continue
        agree += 1
        if args.verbose:
            print(f"  agree  {name}: {len(t_reqs)} {t_outcome} {t_status or ''}")

    print(f"h11 {h11.__version__}: {len(names)} cases, {agree} agree fully, "
          f"{len(intended)} intended differences, {len(status_diff)} intended status differences")
    for name, detail in intended:
        print(f"  intended  {name}: {detail}\n            reason: {INTENDED_DIFFERENCES[name]}")
    for name, detail in status_diff:
        print(f"  status    {name}: {detail}\n            reason: {STATUS_DIFFERENCES[name]}")
    for f in failures:
        print("FAIL " + f)
    ok = not failures
    print(f"{len(names) - len(failures)} passed, {len(failures)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
