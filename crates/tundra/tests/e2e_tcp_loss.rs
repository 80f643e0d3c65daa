//! End to end under loss: the kernel's TCP against Tundra's through a TUN device in a
//! namespace the test creates, with nftables dropping 5% of the packets at random in
//! each direction (netem is not available here). 100 MiB go each way — into discard and
//! out of chargen — verified by SHA-256. Tundra's sending side relies on SACK loss
//! recovery (RFC 6675), RACK-TLP (RFC 8985) and PRR (RFC 6937) to keep going; without
//! them the download took minutes (every loss ended in a retransmission timeout).

mod common;

use common::*;

/// The same transfers with 5% random loss in both directions: every byte still
/// arrives, in order, exactly once.
#[test]
fn bulk_transfers_survive_five_percent_loss() {
    let mut ns = Netns::with_link("tcploss", Link::Tun, false);
    let dir = artifacts_dir();
    let log = dir.join("tcploss-stack.log");
    let stack = ns.start_stack_with(Link::Tun, None, &log, &[]);
    add_loss(&ns, 5);
    upload_verified(&ns, 100 << 20, &log);
    download_verified(&ns, 100 << 20);
    let status = ns.interrupt(stack);
    let stats = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{stats}");
    assert!(
        stat(&stats, "segments retransmitted") > 0,
        "5% loss but no retransmissions?\n{stats}"
    );
}
