//! End-to-end test harness: a network namespace per test, a TUN/TAP device inside it,
//! the `tundra` binary on one side and the kernel's tools on the other.
//!
//! Network safety (docs/testing.md): every packet these tests send stays inside a
//! namespace the test created. [`Netns`] deletes its namespace and kills the processes
//! it started when dropped, also when the test panics.
//!
//! These tests need root (CI runs as root). They do not skip themselves: without root
//! they fail with a message saying so.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The kernel's address on the test link.
pub const KERNEL_ADDR: &str = "10.0.0.1";
/// The stack's address on the test link.
pub const STACK_ADDR: &str = "10.0.0.2";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Path of the `tundra` binary under test.
pub fn tundra_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tundra"))
}

/// A scratch directory for captures and logs, kept after the run for inspection.
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&dir).expect("create artifacts dir");
    dir
}

#[track_caller]
pub fn require_root() {
    // SAFETY-free check: `id -u` keeps this crate free of libc.
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    let uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(
        uid, "0",
        "end-to-end tests need root (network namespaces and TUN devices); run `sudo scripts/test.sh`"
    );
}

/// Runs a command, panicking with its output if it fails.
#[track_caller]
pub fn sh(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The link a test sets up between the kernel and the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A TUN device (raw IP).
    Tun,
    /// A TAP device (Ethernet + ARP).
    Tap,
}

impl Link {
    /// The interface name inside the namespace.
    pub fn dev(self) -> &'static str {
        match self {
            Link::Tun => "tun0",
            Link::Tap => "tap0",
        }
    }
    /// The `--mode` value for the binary.
    pub fn mode(self) -> &'static str {
        match self {
            Link::Tun => "tun",
            Link::Tap => "tap",
        }
    }
}

/// A network namespace owned by one test, deleted on drop.
pub struct Netns {
    /// The namespace name.
    pub name: String,
    children: Vec<Child>,
    // Held for the namespace's life: one end-to-end test at a time per test binary,
    // so that tests don't starve each other's stacks of CPU (on a 2-core machine a
    // bulk transfer next to a timing-sensitive test makes the kernel peer send tail
    // loss probes our late ACKs provoked). Dropped last, after cleanup.
    // (A test may hold several namespaces: only its first takes the lock.)
    _serial: Option<std::sync::MutexGuard<'static, ()>>,
}

/// The lock behind [`Netns`]'s one-test-at-a-time rule.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// How many namespaces this test thread holds.
    static HELD: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Netns {
    /// Creates a fresh namespace `tnd-<tag>-<pid>-<n>` with loopback up.
    #[track_caller]
    pub fn new(tag: &str) -> Netns {
        require_root();
        // A test that failed while holding the lock poisons it; the next one may go on.
        let serial = (HELD.get() == 0).then(|| SERIAL.lock().unwrap_or_else(|e| e.into_inner()));
        HELD.set(HELD.get() + 1);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("tnd-{tag}-{}-{n}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        sh(&["ip", "netns", "add", &name]);
        let ns = Netns {
            name,
            children: Vec::new(),
            _serial: serial,
        };
        ns.exec_ok(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// Creates the namespace and a TUN/TAP device in it with the kernel side at
    /// 10.0.0.1/24. IPv6 is disabled on the device unless `ipv6` is true (the stack
    /// skips IPv6, and one test checks that it counts what it skips).
    #[track_caller]
    pub fn with_link(tag: &str, link: Link, ipv6: bool) -> Netns {
        let ns = Netns::new(tag);
        let dev = link.dev();
        ns.exec_ok(&["ip", "tuntap", "add", "dev", dev, "mode", link.mode()]);
        if !ipv6 {
            ns.exec_ok(&[
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{dev}.disable_ipv6=1"),
            ]);
        }
        ns.exec_ok(&[
            "ip",
            "addr",
            "add",
            &format!("{KERNEL_ADDR}/24"),
            "dev",
            dev,
        ]);
        ns.exec_ok(&["ip", "link", "set", dev, "up"]);
        ns
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).args(args);
        cmd
    }

    /// Runs a command inside the namespace and returns its output, whatever its status.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {args:?} in {}: {e}", self.name))
    }

    /// Runs a command inside the namespace, panicking with its output if it fails.
    #[track_caller]
    pub fn exec_ok(&self, args: &[&str]) -> Output {
        let out = self.exec(args);
        assert!(
            out.status.success(),
            "{args:?} in {} failed ({}):\nstdout: {}\nstderr: {}",
            self.name,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts a long-running process inside the namespace; it is killed on drop if
    /// still running. Output goes to `log` (stdout and stderr together).
    pub fn spawn(&mut self, args: &[&str], log: &Path) -> usize {
        let file = std::fs::File::create(log).expect("create log");
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup log"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {args:?}: {e}"));
        self.children.push(child);
        self.children.len() - 1
    }

    /// Sends SIGINT to a spawned process and waits (bounded) for it to exit.
    #[track_caller]
    pub fn interrupt(&mut self, handle: usize) -> std::process::ExitStatus {
        let child = &mut self.children[handle];
        let pid = child.id().to_string();
        // `ip netns exec` execs the command, so the pid is the process itself.
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "process {pid} ignored SIGINT for 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `tundra run` on the test link, recording to `pcap`, and waits until it
    /// answers a ping.
    #[track_caller]
    pub fn start_stack(&mut self, link: Link, pcap: &Path, log: &Path, extra: &[&str]) -> usize {
        self.start_stack_with(link, Some(pcap), log, extra)
    }

    /// Starts `tundra run` on the test link (recording to `pcap` if given) and waits
    /// until it answers a ping.
    #[track_caller]
    pub fn start_stack_with(
        &mut self,
        link: Link,
        pcap: Option<&Path>,
        log: &Path,
        extra: &[&str],
    ) -> usize {
        let bin = tundra_bin();
        let mut args: Vec<&str> = vec![
            bin.to_str().unwrap(),
            "run",
            "--dev",
            link.dev(),
            "--mode",
            link.mode(),
            "--addr",
            "10.0.0.2/24",
            "--stats",
        ];
        if let Some(pcap) = pcap {
            args.extend_from_slice(&["--pcap", pcap.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        let handle = self.spawn(&args, log);
        self.wait_for_ping(STACK_ADDR, log);
        handle
    }

    /// Waits up to 10 s for `addr` to answer one ping.
    #[track_caller]
    pub fn wait_for_ping(&self, addr: &str, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self
                .exec(&["ping", "-c", "1", "-W", "1", addr])
                .status
                .success()
            {
                return;
            }
        }
        panic!(
            "{addr} never answered a ping; stack log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        HELD.set(HELD.get().saturating_sub(1));
    }
}

/// Runs `tshark` on a capture with the given display filter and returns the number of
/// matching packets. IP, TCP and UDP checksum validation are on.
#[track_caller]
pub fn tshark_count(pcap: &Path, filter: &str) -> usize {
    let out = sh(&[
        "tshark",
        "-n",
        "-r",
        pcap.to_str().unwrap(),
        "-o",
        "ip.check_checksum:TRUE",
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

/// tshark's one-line summaries of a capture, for failure messages.
pub fn tshark_summary(pcap: &Path) -> String {
    let out = Command::new("tshark")
        .args(["-n", "-r", pcap.to_str().unwrap()])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines().take(60).collect::<Vec<_>>().join("\n")
}

/// The filter that matches anything tshark considers broken.
pub const BROKEN: &str = "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\"";

/// A counter's value from `tundra run --stats` output (`netstat -s` style lines).
#[track_caller]
pub fn stat(stats: &str, description: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| {
            let l = l.trim();
            let (n, rest) = l.split_once(' ')?;
            (rest == description).then(|| n.parse().ok()).flatten()
        })
        .unwrap_or_else(|| panic!("counter {description:?} not in stats:\n{stats}"))
}

// ---------------------------------------------------------------- TCP helpers

/// A helper script in `tests/tools/`.
pub fn tool(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/tools")
        .join(name)
}

/// stdout and stderr of a finished command, together.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Drops `percent`% of packets in each direction on the namespace's tun0 (nftables
/// `numgen random`; tc netem is not available on this kernel).
pub fn add_loss(ns: &Netns, percent: u32) {
    let rules = format!(
        "table inet tundra_loss {{\n\
           chain out {{ type filter hook output priority 0; oifname \"tun0\" numgen random mod 100 < {percent} drop; }}\n\
           chain in {{ type filter hook input priority 0; iifname \"tun0\" numgen random mod 100 < {percent} drop; }}\n\
         }}\n"
    );
    let path = artifacts_dir().join(format!("{}-loss.nft", ns.name));
    std::fs::write(&path, rules).unwrap();
    ns.exec_ok(&["nft", "-f", path.to_str().unwrap()]);
}

/// Uploads `bytes` into discard and checks, from the stack's log, that it received
/// exactly those bytes (same count and SHA-256).
pub fn upload_verified(ns: &Netns, bytes: u64, stack_log: &Path) {
    let out = ns.exec(&[
        "python3",
        tool("tcp_bulk.py").to_str().unwrap(),
        "upload",
        STACK_ADDR,
        "9",
        &bytes.to_string(),
    ]);
    let t = text(&out);
    assert!(out.status.success(), "upload failed: {t}");
    println!("upload {bytes}: {}", t.trim());
    let hash = t
        .split_whitespace()
        .nth(3)
        .expect("sha256 in output")
        .to_string();
    let expect = format!("sent {bytes} bytes sha256 {hash}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(stack_log).unwrap_or_default();
        if log.contains(&expect) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "discard never logged {expect:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Downloads `bytes` from chargen and checks the RFC 864 pattern by hash.
pub fn download_verified(ns: &Netns, bytes: u64) {
    let out = ns.exec(&[
        "python3",
        tool("tcp_bulk.py").to_str().unwrap(),
        "download",
        STACK_ADDR,
        "19",
        &bytes.to_string(),
    ]);
    let t = text(&out);
    assert!(
        out.status.success() && t.contains(" ok"),
        "download failed: {t}"
    );
    println!("download {bytes}: {}", t.trim());
}
