//! End to end: `scripts/compare.sh` runs the same exchanges (ping, a line through TCP
//! echo, curl GET /, a WebSocket echo with its closing handshake) against the Linux
//! kernel over a veth pair and against Tundra on a TUN device, each in namespaces it
//! creates, and judges Tundra's capture by tshark's expert info: no errors, and no more warnings than the kernel's (docs/wireshark.md).
//!
//! Needs root, like every end-to-end test; it fails (never skips) without it.

mod common;

use common::*;

#[test]
fn tundra_and_the_kernel_side_by_side_tshark_finds_nothing_worse() {
    require_root();
    let out = artifacts_dir().join("compare");
    let _ = std::fs::remove_dir_all(&out);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/compare.sh");
    let result = std::process::Command::new("bash")
        .arg(&script)
        .arg("--no-build")
        .env("TUNDRA_BIN", tundra_bin())
        .env("OUT", &out)
        .output()
        .expect("run scripts/compare.sh");
    let stdout = String::from_utf8_lossy(&result.stdout);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success(),
        "compare.sh failed ({}):\n{stdout}\n{stderr}",
        result.status
    );
    // The comparison really ran both worlds and printed its verdict table.
    assert!(stdout.contains("KERNEL (10.0.0.2 is Linux)"), "{stdout}");
    assert!(stdout.contains("SYN-ACK option kinds"), "{stdout}");
    assert!(stdout.contains("ws: opcodes from 10.0.0.2"), "{stdout}");
    assert!(stdout.contains("compare.sh: OK"), "{stdout}");
    for pcap in ["kernel.pcap", "tundra.pcap"] {
        let pcap = out.join(pcap);
        assert!(
            tshark_count(&pcap, "tcp.flags.syn == 1") >= 6,
            "{} holds the three handshakes (echo, HTTP, WebSocket)",
            pcap.display()
        );
        // The WebSocket exchange really happened in both worlds: the 101, then a text,
        // a binary and a Close each way.
        assert_eq!(tshark_count(&pcap, "http.response.code == 101"), 1);
        for opcode in [1, 2, 8] {
            assert_eq!(
                tshark_count(&pcap, &format!("websocket.opcode == {opcode}")),
                2,
                "{}: opcode {opcode} once each way",
                pcap.display()
            );
        }
    }
}
