//! A pseudo-terminal pair standing in for the printer's serial line, for the tests.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A pty pair: the kiosk opens `path` (the slave) as its printer port; the test reads `master`.
pub struct Pty {
    pub master: File,
    /// Kept open so the master never sees EIO while the printer reopens the slave.
    _slave: OwnedFd,
    pub path: PathBuf,
}

pub fn open_pty() -> Pty {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two descriptors; the name, termios and winsize are not used.
    let rc = unsafe {
        libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let path = std::fs::read_link(format!("/proc/self/fd/{}", slave.as_raw_fd())).expect("pty name");
    Pty { master, _slave: slave, path }
}

/// Waits up to `timeout` for the master end to be readable.
pub fn readable(master: &File, timeout: Duration) -> bool {
    let mut fd = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut fd, 1, ms) > 0 && fd.revents & libc::POLLIN != 0 }
}

/// Reads the master end until `want` bytes came or `within` passed.
pub fn read_master(mut master: File, want: usize, within: Duration) -> Vec<u8> {
    let until = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < want {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || !readable(&master, left) {
            break;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}
