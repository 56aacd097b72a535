//! The `loket` command as a technician uses it: `--version`, `check`, and a headless run.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn loket() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loket"));
    cmd.env("RUST_LOG", "info");
    cmd
}

#[test]
fn version_names_the_program_and_its_version() {
    let out = loket().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("loket {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn check_accepts_the_sample_config() {
    let out = loket().args(["check", "--config", "config/loket.toml"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("valid") && stdout.contains("6 services") && stdout.contains("2 desks"),
        "{stdout}"
    );
}

#[test]
fn check_names_the_bad_key_and_value_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let bad = sample.replace("idle_timeout_seconds = 45", "idle_timeout_seconds = 2");
    assert_ne!(bad, sample, "the sample sets idle_timeout_seconds = 45");
    std::fs::File::create(&path).unwrap().write_all(bad.as_bytes()).unwrap();
    let out = loket().args(["check", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kiosk.idle_timeout_seconds") && stderr.contains('2'), "{stderr}");
}

#[test]
fn check_reports_a_missing_file_with_its_path() {
    let out = loket().args(["check", "--config", "no/such/loket.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/loket.toml"));
}

#[test]
fn a_headless_run_creates_the_store_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = loket()
        .args(["run", "--headless", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = dir.path().join("loket.sqlite");
    let start = Instant::now();
    while !store.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(store.exists());
}
