//! The kiosk's health for the central system: builds the [`Heartbeat`] from the machine
//! (`/proc`, `/sys`, the data directory's file system) and the store (printer state, outbox).
//!
//! The machine is read through [`Machine`], whose root is `/` on a kiosk and a fake tree in a
//! temporary folder in tests. A file that is absent or unreadable gives `None`, never an error:
//! a laptop has no under-voltage sensor.
//!
//! Under-voltage ("since boot") is latched in a small file in the data directory naming the boot
//! it was seen in, so a restart of Loket does not forget it, and a reboot does.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::protocol::{Heartbeat, OutboxHealth, PrinterHealth};
use crate::store::{Store, StoreError};

/// The machine's files under a root (`/` for real).
#[derive(Debug, Clone)]
pub struct Machine {
    root: PathBuf,
}

impl Machine {
    /// The real machine.
    pub fn real() -> Machine {
        Machine { root: PathBuf::from("/") }
    }

    /// A machine whose `/proc` and `/sys` are under `root` (tests).
    pub fn at(root: impl Into<PathBuf>) -> Machine {
        Machine { root: root.into() }
    }

    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path.trim_start_matches('/'))).ok()
    }

    /// Seconds since boot (`/proc/uptime`).
    pub fn uptime_seconds(&self) -> Option<u64> {
        let text = self.read("/proc/uptime")?;
        let first = text.split_whitespace().next()?;
        first.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(|s| s as u64)
    }

    /// This boot's id (`/proc/sys/kernel/random/boot_id`).
    pub fn boot_id(&self) -> Option<String> {
        let id = self.read("/proc/sys/kernel/random/boot_id")?.trim().to_owned();
        (!id.is_empty()).then_some(id)
    }

    /// The CPU's temperature (`/sys/class/thermal/thermal_zone0/temp`, millidegrees).
    pub fn cpu_temperature_celsius(&self) -> Option<f64> {
        let milli: i64 = self.read("/sys/class/thermal/thermal_zone0/temp")?.trim().parse().ok()?;
        Some(milli as f64 / 1000.0)
    }

    /// Whether the Raspberry Pi's supply is too low now: the hwmon device named `rpi_volt`,
    /// `in0_lcrit_alarm` (`None` on a machine without it).
    pub fn under_voltage_now(&self) -> Option<bool> {
        let hwmon = self.root.join("sys/class/hwmon");
        let mut entries: Vec<PathBuf> = std::fs::read_dir(hwmon).ok()?.flatten().map(|e| e.path()).collect();
        entries.sort();
        let device = entries.into_iter().find(|dir| {
            std::fs::read_to_string(dir.join("name")).is_ok_and(|name| name.trim() == "rpi_volt")
        })?;
        let alarm = std::fs::read_to_string(device.join("in0_lcrit_alarm")).ok()?;
        match alarm.trim() {
            "0" => Some(false),
            "1" => Some(true),
            _ => None,
        }
    }
}

/// Free bytes on the file system holding `dir` (`statvfs`).
pub fn disk_free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a zeroed statvfs is filled in by the call; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    #[allow(clippy::useless_conversion)] // the field types differ between targets
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// Remembers under-voltage seen during this boot, in a file naming the boot.
#[derive(Debug, Clone)]
pub struct UnderVoltageLatch {
    file: PathBuf,
}

impl UnderVoltageLatch {
    pub fn new(file: PathBuf) -> UnderVoltageLatch {
        UnderVoltageLatch { file }
    }

    /// Given the reading now, whether under-voltage was seen since boot `boot_id`.
    pub fn seen_since_boot(&self, now: Option<bool>, boot_id: &str) -> Option<bool> {
        let latched = std::fs::read_to_string(&self.file).is_ok_and(|b| b.trim() == boot_id);
        if now == Some(true) && !latched {
            if let Some(dir) = self.file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(e) = std::fs::write(&self.file, boot_id) {
                log::warn!("report: cannot remember the under-voltage in {}: {e}", self.file.display());
            }
        }
        match now {
            None if !latched => None,
            _ => Some(latched || now == Some(true)),
        }
    }
}

/// What the heartbeat says besides the machine: who the kiosk is and its problems.
#[derive(Debug, Clone)]
pub struct HeartbeatContext<'a> {
    pub kiosk: &'a str,
    pub site: &'a str,
    pub boot_id: &'a str,
    pub clock_synced: bool,
    pub data_dir: &'a Path,
    pub problems: Vec<String>,
}

/// The heartbeat as of `now`. Reads the store (printer, outbox) and the machine.
pub fn heartbeat(
    store: &Store,
    machine: &Machine,
    latch: &UnderVoltageLatch,
    context: HeartbeatContext<'_>,
    now: Timestamp,
) -> Result<Heartbeat, StoreError> {
    let printer = match store.device_state("printer")? {
        Some((state, detail)) => {
            let paper = match state.as_str() {
                "no_paper" => "out",
                "ready" => "ok",
                _ => "unknown",
            };
            PrinterHealth { state, paper: paper.into(), detail }
        }
        None => PrinterHealth { state: "unknown".into(), paper: "unknown".into(), detail: String::new() },
    };
    let status = store.outbox_status()?;
    let dropped = store.dropped_events()?.into_iter().map(|(kind, d)| (kind, d.count)).collect();
    let outbox = OutboxHealth {
        backlog: status.backlog,
        oldest_unsent_at: status.oldest_unsent_at,
        dropped,
        refused: status.refused,
        last_sent_at: status.last_sent_at,
    };
    let under_voltage_now = machine.under_voltage_now();
    let mut problems = context.problems;
    if !outbox.dropped.is_empty() {
        let total: u64 = outbox.dropped.values().sum();
        problems.push(format!("{total} events dropped because the outbox was full"));
    }
    Ok(Heartbeat {
        kiosk: context.kiosk.to_owned(),
        site: context.site.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        sent_at: now,
        uptime_seconds: machine.uptime_seconds().unwrap_or(0),
        boot_id: context.boot_id.to_owned(),
        clock_synced: context.clock_synced,
        printer,
        outbox,
        disk_free_bytes: disk_free_bytes(context.data_dir),
        cpu_temperature_celsius: machine.cpu_temperature_celsius(),
        under_voltage_since_boot: latch.seen_since_boot(under_voltage_now, context.boot_id),
        under_voltage_now,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn an_empty_machine_gives_nothing_and_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let machine = Machine::at(dir.path());
        assert_eq!(machine.uptime_seconds(), None);
        assert_eq!(machine.boot_id(), None);
        assert_eq!(machine.cpu_temperature_celsius(), None);
        assert_eq!(machine.under_voltage_now(), None);
    }

    #[test]
    fn values_are_read_from_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "proc/uptime", "12345.67 40000.00\n");
        write(dir.path(), "proc/sys/kernel/random/boot_id", "b-1\n");
        write(dir.path(), "sys/class/thermal/thermal_zone0/temp", "48312\n");
        write(dir.path(), "sys/class/hwmon/hwmon0/name", "cpu_thermal\n");
        write(dir.path(), "sys/class/hwmon/hwmon1/name", "rpi_volt\n");
        write(dir.path(), "sys/class/hwmon/hwmon1/in0_lcrit_alarm", "0\n");
        let machine = Machine::at(dir.path());
        assert_eq!(machine.uptime_seconds(), Some(12345));
        assert_eq!(machine.boot_id().as_deref(), Some("b-1"));
        assert_eq!(machine.cpu_temperature_celsius(), Some(48.312));
        assert_eq!(machine.under_voltage_now(), Some(false));
        write(dir.path(), "proc/uptime", "garbage");
        assert_eq!(machine.uptime_seconds(), None);
    }

    #[test]
    fn disk_space_is_known_for_a_real_folder_and_not_for_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        assert!(disk_free_bytes(dir.path()).is_some());
        assert_eq!(disk_free_bytes(&dir.path().join("missing")), None);
    }

    #[test]
    fn under_voltage_is_latched_for_the_boot_it_was_seen_in() {
        let dir = tempfile::tempdir().unwrap();
        let latch = UnderVoltageLatch::new(dir.path().join("report/under-voltage-boot"));
        assert_eq!(latch.seen_since_boot(None, "boot-1"), None, "no sensor, nothing seen");
        assert_eq!(latch.seen_since_boot(Some(false), "boot-1"), Some(false));
        assert_eq!(latch.seen_since_boot(Some(true), "boot-1"), Some(true));
        assert_eq!(latch.seen_since_boot(Some(false), "boot-1"), Some(true), "latched");
        let again = UnderVoltageLatch::new(dir.path().join("report/under-voltage-boot"));
        assert_eq!(again.seen_since_boot(Some(false), "boot-1"), Some(true), "kept over a restart");
        assert_eq!(again.seen_since_boot(Some(false), "boot-2"), Some(false), "forgotten after a reboot");
    }
}
