//! Checking a systemd unit as systemd reads it once installed: `systemd-analyze verify` in a
//! file system root holding the host's units, ours, and the programs ours start (`verify`
//! refuses a unit whose ExecStart is not an executable file; the binary just built stands in,
//! its architecture does not matter to `verify`); and how exposed a unit is, as `systemd-analyze
//! security` scores it.

use std::path::Path;
use std::process::Command;

/// Verifies `unit` (a file under the crate's folder, e.g. `systemd/loket.service`) with `files`
/// installed beside it, each (source, destination relative to the root); returns what
/// `systemd-analyze` wrote when it failed or warned (unknown keys and bad values are only
/// warnings, exit 0: any output counts).
pub fn verify(unit: &Path, files: &[(&Path, &str)]) -> Result<(), String> {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let units = r.join("lib/systemd/system");
    for dir in [&units, &r.join("etc/systemd/system")] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let copied = Command::new("cp").arg("-a").arg("/lib/systemd/system/.").arg(&units).status();
    assert!(copied.unwrap().success(), "the host's units (systemd must be installed)");
    let name = unit.file_name().expect("a unit file");
    std::fs::copy(unit, units.join(name)).unwrap();
    for (source, destination) in files {
        let to = r.join(destination);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(source, &to).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", r.display()))
        .arg(name)
        .output()
        .expect("systemd-analyze (Debian package systemd)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && stderr.trim().is_empty() { Ok(()) } else { Err(stderr.into_owned()) }
}

/// The overall exposure level `systemd-analyze security --offline=true` gives `unit` (0.0 the
/// most confined, 10.0 not at all), or what it said when it gave none.
pub fn exposure(unit: &Path) -> Result<f64, String> {
    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit)
        .output()
        .expect("systemd-analyze (Debian package systemd)");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let level = said.lines().find_map(|line| {
        let (_, after) = line.split_once("Overall exposure level for ")?;
        after.split_once(": ")?.1.split_whitespace().next()?.parse::<f64>().ok()
    });
    level.ok_or(said)
}
