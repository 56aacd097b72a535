//! `loket` run as systemd runs it: when standard error is the journal stream (`JOURNAL_STREAM`
//! names its device and inode) every log line starts with its syslog priority and has no
//! timestamp, so `journalctl -p warning` finds the warnings; anywhere else the format is the
//! usual one.

use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `loket run --headless` with standard error in a file and `JOURNAL_STREAM` set to what
/// `journal_stream` makes of that file's (device, inode); an unusable `NOTIFY_SOCKET` makes it
/// log a warning at start. Returns what it logged once the web server is up.
fn logged_by_a_headless_run(journal_stream: impl Fn(u64, u64) -> String) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).unwrap();
    let meta = log_file.metadata().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loket"))
        .args(["run", "--headless", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info")
        .env("JOURNAL_STREAM", journal_stream(meta.dev(), meta.ino()))
        .env("NOTIFY_SOCKET", "not-a-socket")
        .env_remove("WATCHDOG_USEC")
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut logged = String::new();
    while !logged.contains("staff console on") && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
        logged = std::fs::read_to_string(&log_path).unwrap();
    }
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(still_running, "loket stopped early:\n{logged}");
    assert!(logged.contains("staff console on"), "the web server did not start:\n{logged}");
    logged
}

#[test]
fn on_the_journal_every_line_carries_its_priority_and_no_timestamp() {
    let logged = logged_by_a_headless_run(|device, inode| format!("{device}:{inode}"));
    for line in logged.lines() {
        let prefix = line.get(..3).unwrap_or("");
        assert!(["<3>", "<4>", "<6>", "<7>"].contains(&prefix), "no priority in {line:?}:\n{logged}");
        assert!(!line.contains("[20"), "a timestamp in {line:?}");
    }
    assert!(
        logged
            .lines()
            .any(|l| l.starts_with("<4>loket::watchdog: NOTIFY_SOCKET=\"not-a-socket\" is unusable")),
        "the warning is filed as a warning:\n{logged}"
    );
    assert!(
        logged.lines().any(|l| l.starts_with("<6>loket::cli: staff console on http://127.0.0.1:")),
        "information is filed as information:\n{logged}"
    );
}

#[test]
fn a_journal_stream_of_another_file_keeps_the_terminal_format() {
    // As for a child of a service whose standard error was redirected: the variable is
    // inherited, but it names a different stream.
    let logged = logged_by_a_headless_run(|device, inode| format!("{device}:{}", inode + 1));
    assert!(!logged.contains("<4>") && !logged.contains("<6>"), "{logged}");
    let warning = logged.lines().find(|l| l.contains("NOTIFY_SOCKET")).expect("the warning is logged");
    assert!(warning.starts_with("[20") && warning.contains("WARN"), "{warning:?}");
}
