//! UDP on the interface (RFC 768, RFC 1122 §4.1): datagrams in to the socket table of
//! `tundra-udp`, port unreachable for ports nobody listens on, and the socket calls an
//! application makes: bind, connect, send_to, recv_from, close.
//!
//! RFCs to read first: RFC 768; RFC 1122 §4.1.3 (checksums, ICMP port unreachable
//! "SHOULD", passing ICMP errors up "MUST"); RFC 6056 (ephemeral ports).

use core::net::SocketAddrV4;

use tundra_core::Instant;
use tundra_ip::{ChecksumMode, IpProtocol, Ipv4Repr};
use tundra_udp::{
    BindError, ConnectError, Datagram, RecvError, UdpError, UdpHandle, UdpPacket, UdpRepr,
    UdpSockets, UDP_MAX_PAYLOAD_V4,
};

use super::icmp::ErrorReason;
use super::{Interface, SendError};

/// Why a UDP datagram could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UdpSendError {
    /// The handle names no open socket.
    #[error("invalid socket handle")]
    InvalidHandle,
    /// `udp_send` on a socket that is not connected (`EDESTADDRREQ`).
    #[error("socket not connected")]
    NotConnected,
    /// The destination is the unspecified address or port zero (`EINVAL`).
    #[error("invalid destination address")]
    BadAddress,
    /// More data than one datagram carries over IPv4, 65507 bytes (`EMSGSIZE`).
    #[error("datagram too long")]
    TooLong,
    /// The IP layer could not send it.
    #[error(transparent)]
    Ip(#[from] SendError),
}

impl Interface {
    /// Opens a UDP socket bound to `port` on our address (zero: an ephemeral port from
    /// the stack's seeded RNG, RFC 6056).
    pub fn udp_bind(&mut self, port: u16) -> Result<UdpHandle, BindError> {
        self.udp.bind(port, &mut self.rng)
    }

    /// Connects a socket to `remote`: it then receives only from there, `udp_send`
    /// sends there, and ICMP errors about datagrams to there (port unreachable:
    /// "connection refused") come back through `udp_recv_from`.
    pub fn udp_connect(
        &mut self,
        handle: UdpHandle,
        remote: SocketAddrV4,
    ) -> Result<(), ConnectError> {
        self.udp.connect(handle, remote)
    }

    /// Sends one datagram from the socket to `remote`. A datagram larger than the MTU
    /// leaves in fragments (RFC 791 §3.2).
    pub fn udp_send_to(
        &mut self,
        now: Instant,
        handle: UdpHandle,
        remote: SocketAddrV4,
        data: &[u8],
    ) -> Result<(), UdpSendError> {
        let local_port = self
            .udp
            .get(handle)
            .ok_or(UdpSendError::InvalidHandle)?
            .local_port();
        if remote.port() == 0 || remote.ip().is_unspecified() {
            return Err(UdpSendError::BadAddress);
        }
        if data.len() > UDP_MAX_PAYLOAD_V4 {
            return Err(UdpSendError::TooLong);
        }
        let repr = UdpRepr {
            src_port: local_port,
            dst_port: remote.port(),
            payload: data,
        };
        let (src, dst) = (self.address(), *remote.ip());
        log::trace!("tx {}", repr.display_with(src, dst));
        self.send_ip_fragmenting(now, dst, IpProtocol::Udp, repr.buffer_len(), |buf| {
            repr.emit(&mut UdpPacket::new_unchecked(buf), src, dst);
        })?;
        self.counters.udp_tx += 1;
        self.udp.note_sent(handle);
        Ok(())
    }

    /// Sends one datagram to the remote the socket is connected to.
    pub fn udp_send(
        &mut self,
        now: Instant,
        handle: UdpHandle,
        data: &[u8],
    ) -> Result<(), UdpSendError> {
        let socket = self.udp.get(handle).ok_or(UdpSendError::InvalidHandle)?;
        let remote = socket.remote().ok_or(UdpSendError::NotConnected)?;
        self.udp_send_to(now, handle, remote, data)
    }

    /// The socket's next datagram, or the ICMP error that arrived for it (reported
    /// once, before queued data, like Linux's `sk_err`), or `Exhausted`.
    pub fn udp_recv_from(&mut self, handle: UdpHandle) -> Result<Datagram, RecvError> {
        self.udp.recv_from(handle)
    }

    /// Closes a socket; what waited in its queue is dropped and its port is free.
    /// Returns false if the handle named no open socket.
    pub fn udp_close(&mut self, handle: UdpHandle) -> bool {
        self.udp.close(handle)
    }

    /// The UDP socket table, read-only (ports, queues, per-socket stats).
    pub fn udp_sockets(&self) -> &UdpSockets {
        &self.udp
    }

    /// A UDP datagram addressed to us (or broadcast): parse, check, deliver, or
    /// answer port unreachable.
    pub(super) fn receive_udp(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        payload: &[u8],
        link_broadcast: bool,
    ) {
        self.counters.udp_rx += 1;
        let packet = UdpPacket::new_unchecked(payload);
        let repr = match UdpRepr::parse(&packet, ip.src_addr, ip.dst_addr, ChecksumMode::Verify) {
            Ok(repr) => repr,
            Err(e) => {
                log::debug!("udp: dropped: {e}");
                match e {
                    UdpError::BadChecksum => self.counters.udp_bad_checksum += 1,
                    _ => self.counters.udp_malformed += 1,
                }
                return;
            }
        };
        log::trace!("rx {}", repr.display_with(ip.src_addr, ip.dst_addr));
        let from = SocketAddrV4::new(ip.src_addr, repr.src_port);
        let Some(handle) = self.udp.demux(repr.dst_port, from) else {
            self.counters.udp_no_port += 1;
            // RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port for
            // which there is no pending LISTEN call, UDP SHOULD send an ICMP Port
            // Unreachable message." The §3.2.2 rules (no broadcast ...) and the rate
            // limit are checked there.
            self.send_icmp_error(
                now,
                ip,
                payload,
                link_broadcast,
                ErrorReason::PortUnreachable,
            );
            return;
        };
        let datagram = Datagram {
            from,
            to: SocketAddrV4::new(ip.dst_addr, repr.dst_port),
            data: repr.payload.to_vec(),
            at: now,
        };
        match self.udp.deliver(handle, datagram) {
            Ok(()) => self.counters.udp_delivered += 1,
            Err(_) => self.counters.udp_queue_full += 1,
        }
    }
}
