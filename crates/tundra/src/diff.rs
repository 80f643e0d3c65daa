//! Frames decoded into named fields, for a replay that has to say *what* differs: a
//! tcpdump-like summary line (from the `Display` impls of the Reprs) and a
//! field-by-field comparison of the Ethernet, ARP, IPv4, ICMP, TCP and UDP headers.
//!
//! Decoding uses the stack's own wire views; a layer that does not parse ends the list
//! with a `*.error` field, so a malformed frame still compares (and says why).

use std::fmt::Write as _;

use tundra_ip::{ChecksumMode, Icmpv4Packet, Icmpv4Repr, IpProtocol, Ipv4Packet, Ipv4Repr};
use tundra_link::{ArpPacket, ArpRepr, EtherType, EthernetRepr, Frame};
use tundra_stack::Medium;
use tundra_tcp::{TcpPacket, TcpRepr};

/// The value of one decoded field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A header field, as text (`64`, `0x1c46`, `[S.]`, `10.0.0.1`).
    Text(String),
    /// A payload: compared byte by byte, shown by length and first difference.
    Bytes(Vec<u8>),
}

/// A frame's fields in wire order, e.g. `("ip.ttl", Text("64"))`.
pub type Fields = Vec<(&'static str, Value)>;

fn text(fields: &mut Fields, name: &'static str, value: impl ToString) {
    fields.push((name, Value::Text(value.to_string())));
}

/// One line like tcpdump's for a frame of `medium`: the Display of each layer's Repr,
/// joined by ` | `.
pub fn summary(medium: Medium, frame: &[u8]) -> String {
    let mut out = String::new();
    let ip_bytes = match medium {
        Medium::Ip => frame,
        Medium::Ethernet => {
            let view = Frame::new_unchecked(frame);
            match EthernetRepr::parse(&view) {
                Ok(eth) => {
                    let _ = write!(out, "{eth} | ");
                    match eth.ethertype {
                        EtherType::Arp => {
                            match ArpRepr::parse(&ArpPacket::new_unchecked(view.payload())) {
                                Ok(arp) => out.push_str(&arp.to_string()),
                                Err(e) => {
                                    let _ = write!(out, "ARP ({e})");
                                }
                            }
                            return out;
                        }
                        EtherType::Ipv4 => &frame[Frame::<&[u8]>::header_len()..],
                        other => {
                            let _ = write!(out, "{other}, length {}", view.payload().len());
                            return out;
                        }
                    }
                }
                Err(e) => {
                    let _ = write!(out, "Ethernet ({e}), length {}", frame.len());
                    return out;
                }
            }
        }
    };
    let packet = Ipv4Packet::new_unchecked(ip_bytes);
    let ip = match Ipv4Repr::parse(&packet, ChecksumMode::Ignore) {
        Ok(ip) => ip,
        Err(e) => {
            let _ = write!(out, "IP ({e}), length {}", ip_bytes.len());
            return out;
        }
    };
    let _ = write!(out, "{ip}");
    if ip.is_fragment() {
        return out;
    }
    let payload = packet.payload();
    match ip.protocol {
        IpProtocol::Icmp => {
            match Icmpv4Repr::parse(&Icmpv4Packet::new_unchecked(payload), ChecksumMode::Ignore) {
                Ok(icmp) => {
                    let _ = write!(out, " | {icmp}");
                }
                Err(e) => {
                    let _ = write!(out, " | ICMP ({e})");
                }
            }
        }
        IpProtocol::Tcp => match TcpPacket::new_checked(payload).and_then(|p| {
            TcpRepr::parse(
                &p,
                ip.src_addr,
                ip.dst_addr,
                tundra_tcp::ChecksumMode::Ignore,
            )
        }) {
            Ok(tcp) => {
                let _ = write!(out, " | {tcp}");
            }
            Err(e) => {
                let _ = write!(out, " | TCP ({e})");
            }
        },
        IpProtocol::Udp if payload.len() >= 8 => {
            let port = |i: usize| u16::from_be_bytes([payload[i], payload[i + 1]]);
            let _ = write!(
                out,
                " | UDP {} > {}, length {}",
                port(0),
                port(2),
                payload.len() - 8
            );
        }
        _ => {}
    }
    out
}

/// Every header field of a frame of `medium`, decoded, in wire order.
pub fn fields(medium: Medium, frame: &[u8]) -> Fields {
    let mut f = Fields::new();
    match medium {
        Medium::Ip => ipv4_fields(&mut f, frame),
        Medium::Ethernet => {
            let view = match Frame::new_checked(frame) {
                Ok(view) => view,
                Err(e) => {
                    text(&mut f, "eth.error", e);
                    f.push(("eth.bytes", Value::Bytes(frame.to_vec())));
                    return f;
                }
            };
            text(&mut f, "eth.dst", view.dst_addr());
            text(&mut f, "eth.src", view.src_addr());
            text(&mut f, "eth.type", view.ethertype());
            match view.ethertype() {
                EtherType::Arp => arp_fields(&mut f, view.payload()),
                EtherType::Ipv4 => ipv4_fields(&mut f, view.payload()),
                _ => f.push(("eth.payload", Value::Bytes(view.payload().to_vec()))),
            }
        }
    }
    f
}

fn arp_fields(f: &mut Fields, bytes: &[u8]) {
    let packet = match ArpPacket::new_checked(bytes) {
        Ok(p) => p,
        Err(e) => {
            text(f, "arp.error", e);
            f.push(("arp.bytes", Value::Bytes(bytes.to_vec())));
            return;
        }
    };
    text(f, "arp.htype", packet.hardware_type());
    text(f, "arp.ptype", packet.protocol_type());
    text(f, "arp.hlen", packet.hardware_len());
    text(f, "arp.plen", packet.protocol_len());
    text(f, "arp.op", packet.operation());
    match ArpRepr::parse(&ArpPacket::new_unchecked(bytes)) {
        Ok(arp) => {
            text(f, "arp.sha", arp.source_hardware_addr);
            text(f, "arp.spa", arp.source_protocol_addr);
            text(f, "arp.tha", arp.target_hardware_addr);
            text(f, "arp.tpa", arp.target_protocol_addr);
        }
        Err(e) => text(f, "arp.error", e),
    }
    // Ethernet padding after the 28 bytes, if any.
    if bytes.len() > 28 {
        f.push(("arp.padding", Value::Bytes(bytes[28..].to_vec())));
    }
}

fn ipv4_fields(f: &mut Fields, bytes: &[u8]) {
    let packet = match Ipv4Packet::new_checked(bytes) {
        Ok(p) => p,
        Err(e) => {
            text(f, "ip.error", e);
            f.push(("ip.bytes", Value::Bytes(bytes.to_vec())));
            return;
        }
    };
    text(f, "ip.version", packet.version());
    text(f, "ip.ihl", packet.header_len());
    text(
        f,
        "ip.tos",
        format!("0x{:02x}", packet.dscp() << 2 | packet.ecn()),
    );
    text(f, "ip.len", packet.total_len());
    text(f, "ip.id", packet.ident());
    let flags = match (packet.dont_frag(), packet.more_frags()) {
        (true, true) => "[+DF]",
        (true, false) => "[DF]",
        (false, true) => "[+]",
        (false, false) => "[none]",
    };
    text(f, "ip.flags", flags);
    text(f, "ip.frag_offset", packet.frag_offset());
    text(f, "ip.ttl", packet.ttl());
    text(f, "ip.proto", packet.protocol());
    let check = if packet.verify_checksum() {
        "good"
    } else {
        "bad"
    };
    text(
        f,
        "ip.checksum",
        format!("0x{:04x} ({check})", packet.checksum()),
    );
    text(f, "ip.src", packet.src_addr());
    text(f, "ip.dst", packet.dst_addr());
    if !packet.options().is_empty() {
        f.push(("ip.options", Value::Bytes(packet.options().to_vec())));
    }
    let payload = packet.payload();
    if packet.is_fragment() {
        f.push(("ip.payload", Value::Bytes(payload.to_vec())));
        return;
    }
    match packet.protocol() {
        IpProtocol::Icmp => icmp_fields(f, payload),
        IpProtocol::Tcp => tcp_fields(f, payload, packet.src_addr(), packet.dst_addr()),
        IpProtocol::Udp => udp_fields(f, payload),
        _ => f.push(("ip.payload", Value::Bytes(payload.to_vec()))),
    }
}

fn icmp_fields(f: &mut Fields, bytes: &[u8]) {
    let packet = match Icmpv4Packet::new_checked(bytes) {
        Ok(p) => p,
        Err(e) => {
            text(f, "icmp.error", e);
            f.push(("icmp.bytes", Value::Bytes(bytes.to_vec())));
            return;
        }
    };
    text(f, "icmp.type", packet.msg_type());
    text(f, "icmp.code", packet.msg_code());
    let check = if packet.verify_checksum() {
        "good"
    } else {
        "bad"
    };
    text(
        f,
        "icmp.checksum",
        format!("0x{:04x} ({check})", packet.checksum()),
    );
    match Icmpv4Repr::parse(&packet, ChecksumMode::Ignore) {
        Ok(Icmpv4Repr::EchoRequest { ident, seq_no, .. })
        | Ok(Icmpv4Repr::EchoReply { ident, seq_no, .. }) => {
            text(f, "icmp.id", ident);
            text(f, "icmp.seq", seq_no);
        }
        _ => {
            let rest = packet.rest_of_header();
            text(f, "icmp.rest", format!("{:02x?}", rest));
        }
    }
    f.push(("icmp.data", Value::Bytes(packet.data().to_vec())));
}

fn tcp_fields(f: &mut Fields, bytes: &[u8], src: tundra_ip::Ipv4Addr, dst: tundra_ip::Ipv4Addr) {
    let packet = match TcpPacket::new_checked(bytes) {
        Ok(p) => p,
        Err(e) => {
            text(f, "tcp.error", e);
            f.push(("tcp.bytes", Value::Bytes(bytes.to_vec())));
            return;
        }
    };
    text(f, "tcp.sport", packet.src_port());
    text(f, "tcp.dport", packet.dst_port());
    text(f, "tcp.seq", packet.seq_number().0);
    text(f, "tcp.ack", packet.ack_number().0);
    text(f, "tcp.hlen", packet.header_len());
    let check = if packet.verify_checksum(src, dst) {
        "good"
    } else {
        "bad"
    };
    match TcpRepr::parse(&packet, src, dst, tundra_tcp::ChecksumMode::Ignore) {
        Ok(repr) => {
            let ack = if repr.ack_number.is_some() { "." } else { "" };
            text(f, "tcp.flags", format!("[{}{ack}]", repr.flags));
            text(f, "tcp.window", packet.window_len());
            text(
                f,
                "tcp.checksum",
                format!("0x{:04x} ({check})", packet.checksum()),
            );
            text(f, "tcp.urgent", packet.urgent_at());
            let o = &repr.options;
            let opt = |v: Option<String>| v.unwrap_or_else(|| "-".to_string());
            text(f, "tcp.opt.mss", opt(o.mss.map(|v| v.to_string())));
            text(
                f,
                "tcp.opt.wscale",
                opt(o.window_scale.map(|v| v.to_string())),
            );
            text(f, "tcp.opt.sack_perm", o.sack_permitted);
            let blocks: Vec<String> = o
                .sack_blocks
                .iter()
                .flatten()
                .map(|(l, r)| format!("{}-{}", l.0, r.0))
                .collect();
            text(f, "tcp.opt.sack", format!("[{}]", blocks.join(" ")));
            text(
                f,
                "tcp.opt.ts",
                opt(o
                    .timestamp
                    .map(|t| format!("val {} ecr {}", t.tsval, t.tsecr))),
            );
        }
        Err(e) => {
            text(f, "tcp.window", packet.window_len());
            text(
                f,
                "tcp.checksum",
                format!("0x{:04x} ({check})", packet.checksum()),
            );
            text(f, "tcp.error", e);
            f.push(("tcp.options", Value::Bytes(packet.options().to_vec())));
        }
    }
    f.push(("tcp.payload", Value::Bytes(packet.payload().to_vec())));
}

fn udp_fields(f: &mut Fields, bytes: &[u8]) {
    if bytes.len() < 8 {
        text(f, "udp.error", "truncated");
        f.push(("udp.bytes", Value::Bytes(bytes.to_vec())));
        return;
    }
    let word = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
    text(f, "udp.sport", word(0));
    text(f, "udp.dport", word(2));
    text(f, "udp.len", word(4));
    text(f, "udp.checksum", format!("0x{:04x}", word(6)));
    f.push(("udp.payload", Value::Bytes(bytes[8..].to_vec())));
}

/// One field that differs: its name, and its value in each frame (`None`: the frame
/// has no such field, e.g. an ARP frame against an IPv4 one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    /// The field, e.g. `ip.ttl`.
    pub name: &'static str,
    /// In the expected (recorded) frame.
    pub expected: Option<Value>,
    /// In the actual (replayed) frame.
    pub actual: Option<Value>,
}

/// The fields whose values differ between two frames of `medium`, in wire order.
pub fn field_diff(medium: Medium, expected: &[u8], actual: &[u8]) -> Vec<FieldDiff> {
    let exp = fields(medium, expected);
    let act = fields(medium, actual);
    let mut names: Vec<&'static str> = exp.iter().map(|(n, _)| *n).collect();
    for (n, _) in &act {
        if !names.contains(n) {
            names.push(n);
        }
    }
    let get = |list: &Fields, name| {
        list.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    };
    names
        .into_iter()
        .filter_map(|name| {
            let (e, a) = (get(&exp, name), get(&act, name));
            (e != a).then_some(FieldDiff {
                name,
                expected: e,
                actual: a,
            })
        })
        .collect()
}

impl std::fmt::Display for FieldDiff {
    /// `ip.ttl: expected 64, actual 65`, or for a payload
    /// `icmp.data: 56 bytes vs 56 bytes, first difference at byte 8 (0x08 vs 0x09)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.expected, &self.actual) {
            (Some(Value::Bytes(e)), Some(Value::Bytes(a))) => {
                write!(f, "{}: {} bytes vs {} bytes", self.name, e.len(), a.len())?;
                match e.iter().zip(a.iter()).position(|(x, y)| x != y) {
                    Some(i) => write!(
                        f,
                        ", first difference at byte {i} (0x{:02x} vs 0x{:02x})",
                        e[i], a[i]
                    ),
                    None => write!(f, ", one is a prefix of the other"),
                }
            }
            (e, a) => {
                let show = |v: &Option<Value>| match v {
                    None => "(absent)".to_string(),
                    Some(Value::Text(t)) => t.clone(),
                    Some(Value::Bytes(b)) => format!("{} bytes", b.len()),
                };
                write!(f, "{}: expected {}, actual {}", self.name, show(e), show(a))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tundra_ip::Ipv4Addr;

    fn ping(ttl: u8, data: &[u8]) -> Vec<u8> {
        let icmp = Icmpv4Repr::EchoReply {
            ident: 7,
            seq_no: 2,
            data,
        };
        let ip = Ipv4Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 2),
            dst_addr: Ipv4Addr::new(10, 0, 0, 1),
            protocol: IpProtocol::Icmp,
            payload_len: icmp.buffer_len(),
            ttl,
            ident: 0x1234,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            dscp_ecn: 0,
        };
        let mut buf = vec![0u8; ip.total_len()];
        let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
        ip.emit(&mut packet);
        icmp.emit(&mut Icmpv4Packet::new_unchecked(packet.payload_mut()));
        buf
    }

    #[test]
    fn a_ttl_change_shows_as_the_ttl_and_the_checksum() {
        let diff = field_diff(Medium::Ip, &ping(64, b"abcd"), &ping(65, b"abcd"));
        let names: Vec<_> = diff.iter().map(|d| d.name).collect();
        assert_eq!(names, ["ip.ttl", "ip.checksum"]);
        assert_eq!(diff[0].to_string(), "ip.ttl: expected 64, actual 65");
    }

    #[test]
    fn a_payload_change_names_the_first_differing_byte() {
        let diff = field_diff(Medium::Ip, &ping(64, b"abcd"), &ping(64, b"abXd"));
        let data = diff.iter().find(|d| d.name == "icmp.data").unwrap();
        assert_eq!(
            data.to_string(),
            "icmp.data: 4 bytes vs 4 bytes, first difference at byte 2 (0x63 vs 0x58)"
        );
    }

    #[test]
    fn same_frames_have_no_diff_and_a_tcpdump_summary() {
        let frame = ping(64, b"abcd");
        assert!(field_diff(Medium::Ip, &frame, &frame).is_empty());
        assert_eq!(
            summary(Medium::Ip, &frame),
            "IP 10.0.0.2 > 10.0.0.1: ICMP, ttl 64, id 4660, flags [DF], length 32 \
             | ICMP echo reply, id 7, seq 2, length 12"
        );
    }
}
