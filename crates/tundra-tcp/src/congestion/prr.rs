//! Proportional Rate Reduction (RFC 6937): how much to send on each ACK during fast
//! recovery so that, by the end of recovery, the data in flight has come down to
//! ssthresh smoothly — instead of halving at once and stalling (RFC 6675's
//! cwnd = ssthresh) or bursting when the window deflates (NewReno).
//!
//! While the pipe is above ssthresh, PRR sends in proportion to what the peer
//! delivered (ssthresh / RecoverFS per delivered octet); once losses have taken the
//! pipe below ssthresh, it grows back towards ssthresh no faster than slow start
//! (the slow-start reduction bound, PRR-SSRB, the RFC's recommended variant).

/// The PRR state of one recovery episode (RFC 6937 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prr {
    /// `RecoverFS`: the flight size when recovery began.
    recover_fs: usize,
    /// `prr_delivered`: octets the peer delivered during recovery.
    delivered: usize,
    /// `prr_out`: octets sent during recovery.
    out: usize,
}

impl Prr {
    /// Recovery begins with `recover_fs` octets in flight (RFC 6937 §3 "RecoverFS =
    /// snd.nxt - snd.una").
    pub fn start(recover_fs: usize) -> Prr {
        Prr {
            recover_fs: recover_fs.max(1),
            delivered: 0,
            out: 0,
        }
    }

    /// `len` octets (new or retransmitted) were sent: `prr_out += len`.
    pub fn on_sent(&mut self, len: usize) {
        self.out = self.out.saturating_add(len);
    }

    /// An ACK delivered `delivered` octets (RFC 6937 `DeliveredData`: the change in
    /// SND.UNA plus the change in SACKed octets) and the pipe is now `pipe`: returns
    /// `sndcnt`, the octets that may be sent now. The caller sets cwnd = pipe + sndcnt.
    pub fn on_ack(&mut self, delivered: usize, pipe: usize, ssthresh: usize, mss: usize) -> usize {
        self.delivered = self.delivered.saturating_add(delivered);
        let sndcnt = if pipe > ssthresh {
            // "Proportional Rate Reduction":
            // sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out
            let target =
                (self.delivered as u128 * ssthresh as u128).div_ceil(self.recover_fs as u128);
            (target.min(usize::MAX as u128) as usize).saturating_sub(self.out)
        } else {
            // PRR-SSRB: limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS;
            // sndcnt = MIN(ssthresh - pipe, limit)
            let limit = self.delivered.saturating_sub(self.out).max(delivered) + mss;
            (ssthresh - pipe).min(limit)
        };
        // The first ACK of recovery always lets the fast retransmission out (RFC 6937
        // §3 leaves it to RFC 6675's "retransmit the first segment"; without this a
        // small first delivery would round sndcnt down to nothing).
        if self.out == 0 {
            sndcnt.max(mss)
        } else {
            sndcnt
        }
    }

    /// Octets sent during this recovery.
    pub fn sent(&self) -> usize {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1000;

    #[test]
    fn rfc6937_proportional_while_pipe_above_ssthresh() {
        // 20 segments in flight, one lost: ssthresh 10, pipe 19.
        let mut prr = Prr::start(20 * MSS);
        assert_eq!(
            prr.on_ack(MSS, 19 * MSS, 10 * MSS, MSS),
            MSS,
            "fast retransmit"
        );
        prr.on_sent(MSS);
        // Each further delivered segment releases about half a segment.
        assert_eq!(prr.on_ack(MSS, 18 * MSS, 10 * MSS, MSS), 0);
        assert_eq!(prr.on_ack(MSS, 17 * MSS, 10 * MSS, MSS), 500);
        prr.on_sent(MSS);
        assert_eq!(prr.on_ack(MSS, 17 * MSS, 10 * MSS, MSS), 0);
        assert_eq!(prr.on_ack(MSS, 16 * MSS, 10 * MSS, MSS), 500);
    }

    #[test]
    fn rfc6937_ssrb_grows_back_no_faster_than_slow_start() {
        // Heavy loss: the pipe fell far below ssthresh.
        let mut prr = Prr::start(20 * MSS);
        prr.on_sent(MSS);
        // DeliveredData 2 MSS: limit = max(2 - 1, 2) + 1 = 3 MSS.
        assert_eq!(prr.on_ack(2 * MSS, 2 * MSS, 10 * MSS, MSS), 3 * MSS);
        // Close to ssthresh: only the gap.
        assert_eq!(prr.on_ack(MSS, 9 * MSS + 500, 10 * MSS, MSS), 500);
        assert_eq!(prr.sent(), MSS);
    }
}
