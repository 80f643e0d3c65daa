//! The opening handshake (RFC 6455 §4): an HTTP/1.1 Upgrade that turns a request into
//! a WebSocket connection.
//!
//! Heads up! Read first: RFC 6455 §1.3 (the handshake in brief, with the worked
//! example), §4.1 (client requirements), §4.2.1 and §4.2.2 (what the server reads and
//! sends), §4.4 (versions), §10.2 (Origin).
//!
//! ```text
//! GET /chat HTTP/1.1                              HTTP/1.1 101 Switching Protocols
//! Host: server.example.com                        Upgrade: websocket
//! Upgrade: websocket                        ->    Connection: Upgrade
//! Connection: Upgrade                             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kZOzzzUtVAiMYo=
//! Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
//! Sec-WebSocket-Version: 13
//! ```
//!
//! The server side is a function of the parsed [`Request`]: [`handshake_response`]
//! returns the [`Response`] to send, a 101 (the `ServerConnection` then emits
//! `ServerEvent::Upgraded`) or a 4xx that closes the connection. The client side
//! builds the request with a key drawn from the caller's [`Rng`] and checks the 101.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha1::{Digest, Sha1};
use tundra_core::Rng;

use crate::chars::list_elements;
use crate::client::{ClientRequest, ClientResponse, Url};
use crate::message::{Method, Request};
use crate::response::Response;
use crate::status::StatusCode;

use super::deflate::DeflateParams;
use super::error::HandshakeError;

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2 item 5.4).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version spoken, sent back in a 426 (RFC 6455 §4.4).
pub const WEBSOCKET_VERSION: &str = "13";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key ++ GUID))
/// (RFC 6455 §4.2.2 item 5.4). The key is used as sent, not decoded.
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(WEBSOCKET_GUID.as_bytes());
    BASE64.encode(sha.finalize())
}

/// What a server accepts: the subprotocols it speaks and the origins it serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptConfig {
    /// Subprotocols in the server's order of preference; the first one the client
    /// also offered is chosen (RFC 6455 §4.2.2 item 5.5 leaves the choice to the
    /// server). Empty: never send `Sec-WebSocket-Protocol`.
    pub protocols: Vec<String>,
    /// `Some(list)`: a browser's `Origin` must be in the list (compared ASCII
    /// case-insensitively, RFC 6454 §6.2 serializations such as `http://10.0.0.1:8080`),
    /// else 403 (RFC 6455 §4.2.2 item 5, §10.2). A request without `Origin` comes from
    /// a non-browser client, which Origin checks cannot constrain anyway, and is
    /// accepted. `None`: any origin.
    pub allowed_origins: Option<Vec<String>>,
    /// Accept permessage-deflate (RFC 7692) when the client offers parameters we can
    /// honour ([`DeflateParams::accept_offer`]); otherwise, or when false, the
    /// extension is declined and the handshake goes on without it.
    pub deflate: bool,
}

/// A validated opening handshake: what the 101 will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHandshake {
    /// The `Sec-WebSocket-Accept` value.
    pub accept: String,
    /// The chosen subprotocol, if any.
    pub protocol: Option<String>,
    /// The accepted permessage-deflate parameters, if any (RFC 7692 §7.1).
    pub deflate: Option<DeflateParams>,
}

impl ServerHandshake {
    /// Checks `request` against RFC 6455 §4.2.1 in the order of its list, then the
    /// origin, and chooses a subprotocol.
    pub fn check(
        request: &Request,
        config: &AcceptConfig,
    ) -> Result<ServerHandshake, HandshakeError> {
        let h = &request.headers;
        // §4.2.1 item 1: "An HTTP/1.1 or higher GET request".
        if request.method != Method::Get {
            return Err(HandshakeError::NotGet);
        }
        if !request.version.is_http11() {
            return Err(HandshakeError::NotHttp11);
        }
        // §4.2.1 item 2: "A |Host| header field".
        if !h.contains("host") {
            return Err(HandshakeError::MissingHost);
        }
        // §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket",
        // treated as an ASCII case-insensitive value."
        if !h.has_token("upgrade", "websocket") {
            return Err(HandshakeError::NotWebSocketUpgrade);
        }
        // §4.2.1 item 4: "A |Connection| header field that includes the token
        // "Upgrade", treated as an ASCII case-insensitive value."
        if !h.has_token("connection", "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        // §4.2.1 item 6 and §4.4: exactly version 13, else 426 naming it.
        let mut versions = h.get_all("sec-websocket-version");
        if versions.next() != Some(WEBSOCKET_VERSION.as_bytes()) || versions.next().is_some() {
            return Err(HandshakeError::UnsupportedVersion);
        }
        // §4.2.1 item 5: "a base64-encoded value that, when decoded, is 16 bytes".
        let mut keys = h.get_all("sec-websocket-key");
        let key = match (keys.next(), keys.next()) {
            (Some(k), None) => k,
            _ => return Err(HandshakeError::BadKey),
        };
        let key = core::str::from_utf8(key).map_err(|_| HandshakeError::BadKey)?;
        match BASE64.decode(key) {
            Ok(raw) if raw.len() == 16 => {}
            _ => return Err(HandshakeError::BadKey),
        }
        // §4.2.2 item 5 / §10.2: "If the server does not accept connections from
        // this origin, it SHOULD return an appropriate HTTP error code (e.g., 403)".
        if let (Some(allowed), Some(origin)) = (&config.allowed_origins, h.get("origin")) {
            let ok = allowed
                .iter()
                .any(|a| a.as_bytes().eq_ignore_ascii_case(origin));
            if !ok {
                return Err(HandshakeError::OriginNotAllowed);
            }
        }
        // §4.2.2 item 5.5: the subprotocol MUST be one of the client's values; without
        // a match, none is sent. Names are compared exactly, as a browser compares
        // the server's choice with the list the page offered.
        let offered: Vec<&[u8]> = h
            .get_all("sec-websocket-protocol")
            .flat_map(list_elements)
            .collect();
        let protocol = config
            .protocols
            .iter()
            .find(|p| offered.contains(&p.as_bytes()))
            .cloned();
        // §4.2.2 item 5.6 and RFC 7692 §5: extensions are the server's choice among
        // the offers; an offer we cannot honour is declined, never a refusal.
        let deflate = if config.deflate {
            DeflateParams::accept_offer(h.get_all("sec-websocket-extensions"))
        } else {
            None
        };
        Ok(ServerHandshake {
            accept: accept_key(key),
            protocol,
            deflate,
        })
    }

    /// The `101 Switching Protocols` response (§4.2.2 item 5), with
    /// `Sec-WebSocket-Extensions` when permessage-deflate was accepted.
    pub fn response(&self) -> Response {
        let mut r = Response::switching_protocols("websocket")
            .header("Sec-WebSocket-Accept", self.accept.as_str());
        if let Some(p) = &self.protocol {
            r = r.header("Sec-WebSocket-Protocol", p.as_str());
        }
        if let Some(d) = &self.deflate {
            // RFC 7692 §5: the accepted parameters, in the response's one element.
            r = r.header("Sec-WebSocket-Extensions", d.to_string());
        }
        r
    }
}

impl HandshakeError {
    /// The refusal to send: [`HandshakeError::status`], the reason as text, and
    /// `Connection: close`. A 426 also carries `Sec-WebSocket-Version: 13` (RFC 6455
    /// §4.4) and `Upgrade: websocket` (RFC 9110 §15.5.22: a 426 MUST send Upgrade).
    pub fn response(&self) -> Response {
        let status = self.status();
        let mut r =
            Response::text(status, format!("{status}: {self}\n")).header("Connection", "close");
        if *self == HandshakeError::UnsupportedVersion {
            r = r
                .header("Sec-WebSocket-Version", WEBSOCKET_VERSION)
                .header("Upgrade", "websocket");
        }
        r
    }
}

/// What a route handler returns for a WebSocket endpoint: the 101 if `request` is a
/// valid opening handshake, else the refusal (400, 403 or 426) that closes the
/// connection.
pub fn handshake_response(request: &Request, config: &AcceptConfig) -> Response {
    match ServerHandshake::check(request, config) {
        Ok(hs) => hs.response(),
        Err(e) => {
            log::debug!("refusing WebSocket handshake for {request}: {e}");
            e.response()
        }
    }
}

/// Parses `ws://host[:port][/path]` (RFC 6455 §3) into the HTTP [`Url`] the opening
/// request goes to (port 80 by default). `wss://` is not supported here.
pub fn parse_ws_url(s: &str) -> Result<Url, HandshakeError> {
    let rest = s
        .strip_prefix("ws://")
        .or_else(|| s.strip_prefix("WS://"))
        .ok_or(HandshakeError::BadUrl)?;
    // §3: fragment identifiers are meaningless in WebSocket URIs and MUST NOT be used.
    if rest.contains('#') {
        return Err(HandshakeError::BadUrl);
    }
    Url::parse(&format!("http://{rest}")).map_err(|_| HandshakeError::BadUrl)
}

/// The client's half of the opening handshake (RFC 6455 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHandshake {
    key: String,
    protocols: Vec<String>,
    /// permessage-deflate was offered.
    deflate: bool,
}

impl ClientHandshake {
    /// The opening request for `url` with the 16 `nonce` bytes as the key (§4.1 item
    /// 7: "randomly selected"; the caller draws them) and the subprotocols to offer.
    pub fn new(url: &Url, nonce: [u8; 16], protocols: &[&str]) -> (ClientHandshake, ClientRequest) {
        let key = BASE64.encode(nonce);
        let mut request = ClientRequest::get(url);
        request.headers.remove("accept");
        request.headers.push("Upgrade", "websocket");
        request.headers.push("Connection", "Upgrade");
        request.headers.push("Sec-WebSocket-Key", key.as_str());
        request
            .headers
            .push("Sec-WebSocket-Version", WEBSOCKET_VERSION);
        if !protocols.is_empty() {
            request
                .headers
                .push("Sec-WebSocket-Protocol", protocols.join(", "));
        }
        let hs = ClientHandshake {
            key,
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            deflate: false,
        };
        (hs, request)
    }

    /// Adds the permessage-deflate offer ([`DeflateParams::client_offer`], RFC 7692
    /// §5) to `request`; [`ClientHandshake::verify_deflate`] then reads the answer.
    pub fn offer_deflate(&mut self, request: &mut ClientRequest) {
        request
            .headers
            .push("Sec-WebSocket-Extensions", DeflateParams::client_offer());
        self.deflate = true;
    }

    /// The permessage-deflate parameters the server's 101 accepted (give them to
    /// [`super::WsConnection::set_deflate`]), `None` if it declined, an error if
    /// its answer must fail the connection (RFC 7692 §7.1, RFC 6455 §4.1 item 5).
    pub fn verify_deflate(
        &self,
        response: &ClientResponse,
    ) -> Result<Option<DeflateParams>, HandshakeError> {
        let values = response.headers.get_all("sec-websocket-extensions");
        if !self.deflate {
            return match values.flat_map(list_elements).next() {
                Some(_) => Err(HandshakeError::UnrequestedExtension),
                None => Ok(None),
            };
        }
        DeflateParams::from_response(values)
    }

    /// [`ClientHandshake::new`] with the nonce drawn from `rng`.
    pub fn with_rng(
        url: &Url,
        rng: &mut Rng,
        protocols: &[&str],
    ) -> (ClientHandshake, ClientRequest) {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        ClientHandshake::new(url, nonce, protocols)
    }

    /// The `Sec-WebSocket-Key` sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Checks the server's answer (§4.1, "the client MUST validate the server's
    /// response"), returning the chosen subprotocol.
    pub fn verify(&self, response: &ClientResponse) -> Result<Option<String>, HandshakeError> {
        let h = &response.headers;
        // §4.1 item 1: anything but 101 is handled per HTTP; the handshake failed.
        if response.status != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::NotSwitching(response.status));
        }
        // §4.1 items 2 and 3: Upgrade "websocket", Connection "Upgrade",
        // case-insensitively.
        if !h.has_token("upgrade", "websocket") {
            return Err(HandshakeError::NotWebSocketUpgrade);
        }
        if !h.has_token("connection", "upgrade") {
            return Err(HandshakeError::MissingConnectionUpgrade);
        }
        // §4.1 item 4: the accept value must be base64(SHA-1(key ++ GUID)), trimmed.
        let mut accepts = h.get_all("sec-websocket-accept");
        match (accepts.next(), accepts.next()) {
            (Some(a), None) if a == accept_key(&self.key).as_bytes() => {}
            _ => return Err(HandshakeError::BadAccept),
        }
        // §4.1 item 5: an extension we did not offer fails the handshake; the only
        // one we may offer is permessage-deflate, read by `verify_deflate`.
        self.verify_deflate(response)?;
        // §4.1 item 6: a subprotocol not offered fails the handshake.
        let mut chosen = h.get_all("sec-websocket-protocol");
        match (chosen.next(), chosen.next()) {
            (None, _) => Ok(None),
            (Some(p), None) => {
                let p = core::str::from_utf8(p).map_err(|_| HandshakeError::UnrequestedProtocol)?;
                if self.protocols.iter().any(|o| o == p) {
                    Ok(Some(p.to_owned()))
                } else {
                    Err(HandshakeError::UnrequestedProtocol)
                }
            }
            (Some(_), Some(_)) => Err(HandshakeError::UnrequestedProtocol),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_accept_example() {
        // §1.3: SHA-1 of key ++ GUID is 0xb3 0x7a 0x4f 0x2c 0xc0 0x62 0x4f 0x16 0x90
        // 0xf6 0x46 0x06 0xcf 0x38 0x59 0x45 0xb2 0xbe 0xc4 0xea, which base64 gives
        // as below.
        let mut sha = Sha1::new();
        sha.update(b"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
        assert_eq!(
            sha.finalize()[..],
            [
                0xb3, 0x7a, 0x4f, 0x2c, 0xc0, 0x62, 0x4f, 0x16, 0x90, 0xf6, 0x46, 0x06, 0xcf, 0x38,
                0x59, 0x45, 0xb2, 0xbe, 0xc4, 0xea
            ]
        );
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn ws_urls_map_to_http_targets() {
        let u = parse_ws_url("ws://10.0.0.1:9000/chat?room=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("10.0.0.1", 9000, "/chat?room=1")
        );
        assert_eq!(parse_ws_url("ws://h").unwrap().target, "/");
        assert_eq!(parse_ws_url("http://h/"), Err(HandshakeError::BadUrl));
        assert_eq!(parse_ws_url("ws://h/#frag"), Err(HandshakeError::BadUrl));
        assert_eq!(parse_ws_url("wss://h/"), Err(HandshakeError::BadUrl));
    }
}
