//! Telling systemd how the kiosk is doing: `READY=1` once the screen is up, `WATCHDOG=1` while
//! the screen's thread is alive, `STOPPING=1` on the way out (the sd_notify protocol).
//!
//! The keep-alive is a `slint::Timer`, so it runs on the UI thread: when the event loop hangs
//! (a deadlock, an endless loop in a callback, a store that never answers) the pings stop and
//! systemd restarts the kiosk after `WatchdogSec=`. A ping from any other thread would keep a
//! frozen screen "alive".
//!
//! The protocol is one datagram of `KEY=value` lines to the unix socket named by
//! `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket). It is written by hand here (a
//! few lines, no dependency) rather than with the `sd-notify` crate, so the wire format and its
//! errors stay in view and tests can point the kiosk at their own socket. Without
//! `NOTIFY_SOCKET` (a laptop, the tests) every message is silently skipped: that is the
//! simulated side. It must not decide when the kiosk is ready or alive; its callers do.

use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// Where sd_notify messages go, read from the environment systemd gives the service.
#[derive(Debug, Clone)]
pub struct Systemd {
    socket: Option<SocketAddr>,
    watchdog: Option<Duration>,
}

impl Systemd {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`. An unusable socket name is
    /// logged and treated as none.
    pub fn from_env() -> Systemd {
        let socket = std::env::var_os("NOTIFY_SOCKET").and_then(|name| {
            let name = name.to_string_lossy().into_owned();
            socket_address(&name).map_err(|e| log::warn!("NOTIFY_SOCKET={name:?} is unusable: {e}")).ok()
        });
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        let watchdog = watchdog_timeout(usec.as_deref(), pid.as_deref(), std::process::id());
        Systemd { socket, watchdog }
    }

    /// Messages to the socket `name` (as in `NOTIFY_SOCKET`), with this watchdog timeout.
    pub fn to_socket(name: &str, watchdog: Option<Duration>) -> std::io::Result<Systemd> {
        Ok(Systemd { socket: Some(socket_address(name)?), watchdog })
    }

    /// No systemd: every message is skipped.
    pub fn none() -> Systemd {
        Systemd { socket: None, watchdog: None }
    }

    /// Whether messages go anywhere.
    pub fn is_listening(&self) -> bool {
        self.socket.is_some()
    }

    /// The service's `WatchdogSec=`, if systemd watches this process.
    pub fn watchdog_timeout(&self) -> Option<Duration> {
        self.watchdog
    }

    /// The kiosk is up: the store is open and the first frame is on its way.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}\nMAINPID={}", std::process::id()));
    }

    /// Still alive.
    pub fn alive(&self) {
        self.send("WATCHDOG=1");
    }

    /// A line for `systemctl status`.
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
    }

    /// On the way out: systemd will not count the coming exit as a crash.
    pub fn stopping(&self, status: &str) {
        self.send(&format!("STOPPING=1\nSTATUS={status}"));
    }

    fn send(&self, message: &str) {
        let Some(address) = &self.socket else { return };
        let sent =
            UnixDatagram::unbound().and_then(|socket| socket.send_to_addr(message.as_bytes(), address));
        if let Err(e) = sent {
            // Not fatal: a missed ping is what the watchdog is there to notice.
            log::warn!("cannot tell systemd {:?}: {e}", message.lines().next().unwrap_or(""));
        }
    }

    /// Starts pinging from the UI thread every [`ping_interval`] of the watchdog timeout, and
    /// says `READY=1` from the first turn of the event loop (the window is shown then; the
    /// first frame is drawn in the same turn). Keep the timers as long as the window runs.
    /// Must be called on the UI thread.
    pub fn keep_alive_from_ui(&self, status: String) -> Vec<slint::Timer> {
        let ready = slint::Timer::default();
        let systemd = self.clone();
        ready.start(slint::TimerMode::SingleShot, Duration::ZERO, move || {
            log::info!("the screen is up ({status})");
            systemd.ready(&status);
        });
        let mut timers = vec![ready];
        if let Some(timeout) = self.watchdog {
            let ping = slint::Timer::default();
            let systemd = self.clone();
            ping.start(slint::TimerMode::Repeated, ping_interval(timeout), move || systemd.alive());
            timers.push(ping);
            log::info!("systemd watchdog: {} s, pinged from the UI thread", timeout.as_secs_f32());
        }
        timers
    }
}

/// How often to ping for a given `WatchdogSec=`: three times per period, so one late turn of
/// the event loop (a slow frame, a long store write) is not a restart.
pub fn ping_interval(timeout: Duration) -> Duration {
    (timeout / 3).max(Duration::from_millis(10))
}

/// The watchdog timeout systemd asks for, from `WATCHDOG_USEC` and `WATCHDOG_PID`: `None`
/// when unset, unparsable, zero, or meant for another process (`WATCHDOG_PID` ≠ `own_pid`).
pub fn watchdog_timeout(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid
        && pid.trim().parse::<u32>().ok() != Some(own_pid)
    {
        return None;
    }
    Some(Duration::from_micros(usec))
}

/// The socket address of a `NOTIFY_SOCKET` value: an absolute path, or `@name` for a socket in
/// the abstract namespace.
pub fn socket_address(name: &str) -> std::io::Result<SocketAddr> {
    if let Some(abstract_name) = name.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(abstract_name.as_bytes())
    } else if name.starts_with('/') {
        SocketAddr::from_pathname(name)
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "neither an absolute path nor @name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_timeout_is_for_this_process_only() {
        let d = Duration::from_secs(30);
        assert_eq!(watchdog_timeout(Some("30000000"), None, 7), Some(d));
        assert_eq!(watchdog_timeout(Some("30000000"), Some("7"), 7), Some(d));
        assert_eq!(watchdog_timeout(Some("30000000"), Some("8"), 7), None, "meant for another pid");
        assert_eq!(watchdog_timeout(Some("0"), None, 7), None);
        assert_eq!(watchdog_timeout(Some("soon"), None, 7), None);
        assert_eq!(watchdog_timeout(None, Some("7"), 7), None);
    }

    #[test]
    fn pings_come_three_times_per_period() {
        assert_eq!(ping_interval(Duration::from_secs(30)), Duration::from_secs(10));
        assert_eq!(ping_interval(Duration::from_micros(3)), Duration::from_millis(10), "never a busy loop");
    }

    #[test]
    fn messages_reach_the_socket_named_in_notify_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        listener.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let systemd =
            Systemd { socket: Some(socket_address(path.to_str().unwrap()).unwrap()), watchdog: None };
        assert!(systemd.is_listening());
        systemd.ready("2 desks");
        systemd.alive();
        systemd.stopping("stopping");
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        for _ in 0..3 {
            let n = listener.recv(&mut buf).unwrap();
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        assert!(got[0].starts_with("READY=1\nSTATUS=2 desks\nMAINPID="), "{got:?}");
        assert_eq!(got[1], "WATCHDOG=1");
        assert_eq!(got[2], "STOPPING=1\nSTATUS=stopping");
    }

    #[test]
    fn abstract_and_path_sockets_are_understood_and_relative_names_refused() {
        assert!(socket_address("@/org/freedesktop/systemd1/notify/1").is_ok());
        assert!(socket_address("/run/systemd/notify").is_ok());
        assert!(socket_address("run/notify").is_err());
    }

    #[test]
    fn without_a_socket_nothing_is_sent_and_nothing_fails() {
        let systemd = Systemd::none();
        assert!(!systemd.is_listening());
        systemd.ready("x");
        systemd.alive();
    }
}
