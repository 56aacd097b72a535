//! Settings and content handed out by the central system, kept on the kiosk and used at the
//! next start.
//!
//! After a heartbeat whose reply names an ETag other than the one kept, the reporter fetches
//! the settings (a complete `loket.toml`) or the content pack (a tar archive of a content
//! folder) with `If-None-Match`. What arrives is checked before it is kept:
//!
//! - settings must pass [`Config::from_toml`] and name the same `site.kiosk_id`; they are
//!   written to `<data_dir>/central/loket.toml` (atomically: a temporary file renamed);
//! - a content pack is unpacked safely (no absolute paths, no `..`, no links, size limits) into
//!   a new folder under `<data_dir>/central/`, checked with the content loader, and only then
//!   switched to: `<data_dir>/central/content` is a symbolic link replaced in one rename.
//!
//! The appointment plan of the kiosk's site ([`loket_protocol::appointments`]) is pulled after
//! every heartbeat with `If-None-Match` (the central system's heartbeat reply does not name it:
//! an older kiosk refuses a reply with fields it does not know), when the reporter has an
//! [`AppointmentPlanSink`]. A plan must parse, be for this kiosk and pass
//! [`AppointmentPlan::check`]; then the sink applies it (the help point's appointments), and
//! only when it took it are the plan (`<data_dir>/central/appointments.json`) and its ETag kept.
//!
//! Anything refused is logged and reported as a problem in the heartbeat; the last good copy
//! stays. When the central system stops naming settings (no ETag), the kept copy is removed and
//! the local file is used again at the next start.
//!
//! At start ([`central_config`]) `loket run` uses `<data_dir>/central/loket.toml` instead of
//! the local config file when it loads and names the same kiosk — keeping the local
//! `kiosk.data_dir` and `[report]`, so the central system can never cut the way back to itself
//! — and `<data_dir>/central/content` instead of `learning.content_dir` when the pack is valid.
//! It logs which it uses and why.

use std::io::Read;
use std::path::{Path, PathBuf};

use loket_protocol::appointments::{AppointmentPlan, MAX_PLAN_BYTES};
use loket_protocol::content_pack::{PackEntry, PackRefused, check_entry};

use crate::config::Config;
use crate::content::{REQUIRED_LANGUAGES, load_pack};

/// The largest settings file accepted, in bytes.
pub const MAX_SETTINGS_BYTES: usize = 1024 * 1024;
/// The limits of a content pack, shared with loket-central (which refuses the same packs).
pub use loket_protocol::content_pack::{MAX_ENTRIES, MAX_UNPACKED_BYTES};

/// Why settings or a content pack from the central system were refused.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the central settings are refused: {0}")]
    Settings(String),
    #[error("the central content pack is refused: {0}")]
    Content(String),
    #[error("the central appointment plan is refused: {0}")]
    Appointments(String),
    #[error("cannot keep what the central system sent in {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PullError + '_ {
    move |source| PullError::Io { path: path.display().to_string(), source }
}

/// Which of the things is pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pulled {
    Settings,
    Content,
    /// The appointment plan of the kiosk's site.
    Appointments,
}

impl Pulled {
    pub fn name(self) -> &'static str {
        match self {
            Pulled::Settings => "settings",
            Pulled::Content => "content pack",
            Pulled::Appointments => "appointment plan",
        }
    }

    /// The most bytes accepted for it.
    pub fn limit(self) -> usize {
        match self {
            Pulled::Settings => MAX_SETTINGS_BYTES,
            Pulled::Content => crate::protocol::MAX_CONTENT_BYTES,
            Pulled::Appointments => MAX_PLAN_BYTES,
        }
    }
}

/// Where a pulled appointment plan goes: the help point's appointments
/// (`HelpPoint::apply_central_plan`, wired where the kiosk starts the reporter). Called from the
/// reporter's thread, never from the screens'.
pub trait AppointmentPlanSink: Send + Sync {
    /// Applies a checked plan; the number of appointments it holds, or why it was refused, in
    /// which case nothing may have changed.
    fn apply(&self, plan: AppointmentPlan) -> Result<usize, String>;
}

/// `<data_dir>/central`: what the central system handed out.
#[derive(Debug, Clone)]
pub struct CentralFiles {
    dir: PathBuf,
}

impl CentralFiles {
    pub fn new(data_dir: &Path) -> CentralFiles {
        CentralFiles { dir: data_dir.join("central") }
    }

    /// `<data_dir>/central/loket.toml`
    pub fn settings_path(&self) -> PathBuf {
        self.dir.join("loket.toml")
    }

    /// `<data_dir>/central/content` (a link to the current pack's folder).
    pub fn content_path(&self) -> PathBuf {
        self.dir.join("content")
    }

    /// `<data_dir>/central/appointments.json`: the last plan the help point took.
    pub fn plan_path(&self) -> PathBuf {
        self.dir.join("appointments.json")
    }

    fn etag_path(&self, what: Pulled) -> PathBuf {
        self.dir.join(match what {
            Pulled::Settings => "settings.etag",
            Pulled::Content => "content.etag",
            Pulled::Appointments => "appointments.etag",
        })
    }

    /// The last plan the help point took, if one is kept and still reads.
    pub fn kept_plan(&self) -> Option<AppointmentPlan> {
        serde_json::from_slice(&std::fs::read(self.plan_path()).ok()?).ok()
    }

    /// Checks a plan, hands it to `sink`, and keeps it when the sink took it (see the module
    /// doc); the number of appointments the sink holds. A refused plan changes nothing here.
    pub fn install_plan(
        &self,
        bytes: &[u8],
        kiosk_id: &str,
        etag: &str,
        sink: &dyn AppointmentPlanSink,
    ) -> Result<usize, PullError> {
        let refuse = PullError::Appointments;
        if bytes.len() > MAX_PLAN_BYTES {
            return Err(refuse(format!("{} bytes is more than the limit", bytes.len())));
        }
        let plan: AppointmentPlan =
            serde_json::from_slice(bytes).map_err(|e| refuse(format!("not an appointment plan: {e}")))?;
        plan.check(kiosk_id).map_err(|e| refuse(e.to_string()))?;
        let held = sink.apply(plan).map_err(refuse)?;
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        write_atomically(&self.plan_path(), bytes)?;
        self.keep_etag(Pulled::Appointments, etag)?;
        Ok(held)
    }

    /// The ETag of the copy kept, if any.
    pub fn kept_etag(&self, what: Pulled) -> Option<String> {
        std::fs::read_to_string(self.etag_path(what))
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    fn keep_etag(&self, what: Pulled, etag: &str) -> Result<(), PullError> {
        write_atomically(&self.etag_path(what), etag.as_bytes())
    }

    /// Checks settings and keeps them (see the module doc).
    pub fn install_settings(&self, text: &[u8], kiosk_id: &str, etag: &str) -> Result<(), PullError> {
        let text = std::str::from_utf8(text).map_err(|_| PullError::Settings("not UTF-8 text".into()))?;
        check_settings(text, kiosk_id)?;
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        write_atomically(&self.settings_path(), text.as_bytes())?;
        self.keep_etag(Pulled::Settings, etag)
    }

    /// Forgets the kept settings (the central system has none for this kiosk any more).
    pub fn remove_settings(&self) -> Result<bool, PullError> {
        let path = self.settings_path();
        if !path.exists() {
            return Ok(false);
        }
        std::fs::remove_file(&path).map_err(io(&path))?;
        let _ = std::fs::remove_file(self.etag_path(Pulled::Settings));
        Ok(true)
    }

    /// Unpacks and checks a content pack, then switches to it (see the module doc).
    pub fn install_content(&self, archive: &[u8], etag: &str) -> Result<(), PullError> {
        if archive.len() > crate::protocol::MAX_CONTENT_BYTES {
            return Err(PullError::Content(format!("{} bytes is more than the limit", archive.len())));
        }
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let name = format!("content-{}", uuid::Uuid::new_v4().simple());
        let incoming = self.dir.join(format!("incoming-{name}"));
        let checked = unpack(archive, &incoming).and_then(|()| {
            let root = pack_root(&incoming);
            match load_pack(&root, REQUIRED_LANGUAGES) {
                Ok(_) => Ok(root),
                Err(problems) => {
                    let first: Vec<String> = problems.iter().take(3).map(|p| p.to_string()).collect();
                    Err(PullError::Content(format!("{} problems, e.g. {}", problems.len(), first.join("; "))))
                }
            }
        });
        let root = match checked {
            Ok(root) => root,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&incoming);
                return Err(e);
            }
        };
        let folder = self.dir.join(&name);
        std::fs::rename(&root, &folder).map_err(io(&folder))?;
        let _ = std::fs::remove_dir_all(&incoming);
        let previous = std::fs::read_link(self.content_path()).ok();
        let link = self.dir.join(format!("{name}.link"));
        std::os::unix::fs::symlink(&name, &link).map_err(io(&link))?;
        std::fs::rename(&link, self.content_path()).map_err(io(&self.content_path()))?;
        if let Some(previous) = previous {
            let previous = self.dir.join(previous);
            if previous != folder {
                let _ = std::fs::remove_dir_all(previous);
            }
        }
        self.keep_etag(Pulled::Content, etag)
    }
}

/// Settings are usable: a valid `loket.toml` for this same kiosk.
pub fn check_settings(text: &str, kiosk_id: &str) -> Result<Config, PullError> {
    let config = Config::from_toml(text).map_err(|e| PullError::Settings(e.to_string()))?;
    if config.site.kiosk_id != kiosk_id {
        return Err(PullError::Settings(format!(
            "site.kiosk_id = {:?}, but this kiosk is {kiosk_id:?}",
            config.site.kiosk_id
        )));
    }
    Ok(config)
}

/// The pack's folder in an unpacked archive: the archive's root, or its only folder.
fn pack_root(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|r| r.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    match entries.as_slice() {
        [only] if only.is_dir() && !dir.join("tutorials").exists() && !dir.join("screening").exists() => {
            only.clone()
        }
        _ => dir.to_path_buf(),
    }
}

/// Unpacks a tar archive into `dest` (created), by the rule loket-central checks at upload
/// ([`loket_protocol::content_pack`]): no absolute paths, `..`, links or devices, and nothing
/// beyond the size limits.
pub fn unpack(archive: &[u8], dest: &Path) -> Result<(), PullError> {
    let refuse = |why: String| PullError::Content(why);
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let mut tar = tar::Archive::new(archive);
    let mut total: u64 = 0;
    let entries = tar.entries().map_err(|e| refuse(format!("not a tar archive: {e}")))?;
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(refuse(PackRefused::TooManyEntries.to_string()));
        }
        let mut entry = entry.map_err(|e| refuse(format!("damaged archive: {e}")))?;
        let path = entry.path().map_err(|e| refuse(format!("a bad path: {e}")))?.into_owned();
        let shown = path.display().to_string();
        match check_entry(&path, entry.header().entry_type()).map_err(|e| refuse(e.to_string()))? {
            PackEntry::Skipped => {}
            PackEntry::Folder(relative) => {
                let target = dest.join(&relative);
                std::fs::create_dir_all(&target).map_err(io(&target))?;
            }
            PackEntry::File(relative) => {
                let target = dest.join(&relative);
                let size = entry.header().size().map_err(|e| refuse(format!("{shown:?}: {e}")))?;
                total = total.saturating_add(size);
                if total > MAX_UNPACKED_BYTES {
                    return Err(refuse(PackRefused::TooLarge.to_string()));
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io(parent))?;
                }
                let mut file = std::fs::File::create(&target).map_err(io(&target))?;
                let copied = std::io::copy(&mut (&mut entry).take(size), &mut file).map_err(io(&target))?;
                if copied != size {
                    return Err(refuse(format!("{shown:?} is cut short")));
                }
            }
        }
    }
    Ok(())
}

/// Writes a file through a temporary file renamed over it, so a crash leaves the old or the new.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PullError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let temporary = dir.join(format!(".{}.new", uuid::Uuid::new_v4().simple()));
    let mut file = std::fs::File::create(&temporary).map_err(io(&temporary))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io(&temporary))?;
    std::fs::rename(&temporary, path).map_err(io(path))
}

/// The configuration `loket run` uses: the central system's settings and content pack when
/// they are there and valid, else the local ones (see the module doc). Logs which and why.
pub fn central_config(local: Config) -> Config {
    let files = CentralFiles::new(&local.kiosk.data_dir);
    let settings = files.settings_path();
    let mut config = if settings.exists() {
        match Config::load(&settings) {
            Ok(central) if central.site.kiosk_id == local.site.kiosk_id => {
                log::info!(
                    "using the central system's settings {} (ETag {}) instead of the local config file; \
                     kiosk.data_dir and [report] stay local",
                    settings.display(),
                    files.kept_etag(Pulled::Settings).unwrap_or_else(|| "unknown".into())
                );
                keep_local(central, &local)
            }
            Ok(central) => {
                log::error!(
                    "the central settings {} are for kiosk {:?}, this is {:?}: using the local config file",
                    settings.display(),
                    central.site.kiosk_id,
                    local.site.kiosk_id
                );
                local
            }
            Err(e) => {
                log::error!("the central settings cannot be used ({e}): using the local config file");
                local
            }
        }
    } else {
        log::info!(
            "no settings from the central system ({}): using the local config file",
            settings.display()
        );
        local
    };
    let content = files.content_path();
    if content.exists() {
        match load_pack(&content, REQUIRED_LANGUAGES) {
            Ok(pack) => {
                log::info!(
                    "using the central system's content pack {} ({}) instead of learning.content_dir",
                    content.display(),
                    pack.summary()
                );
                config.learning.content_dir = content;
            }
            Err(problems) => log::error!(
                "the central content pack {} has {} problems: using learning.content_dir {}",
                content.display(),
                problems.len(),
                config.learning.content_dir.display()
            ),
        }
    }
    config
}

/// The central settings with the local data directory and `[report]`.
fn keep_local(mut central: Config, local: &Config) -> Config {
    central.kiosk.data_dir = local.kiosk.data_dir.clone();
    central.report = local.report.clone();
    central
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Takes every plan, or refuses with `refusal`.
    #[derive(Default)]
    struct Recorder {
        taken: Mutex<Vec<AppointmentPlan>>,
        refusal: Option<String>,
    }

    impl AppointmentPlanSink for Recorder {
        fn apply(&self, plan: AppointmentPlan) -> Result<usize, String> {
            if let Some(why) = &self.refusal {
                return Err(why.clone());
            }
            let n = plan.appointments.len();
            self.taken.lock().unwrap().push(plan);
            Ok(n)
        }
    }

    fn plan_json(kiosk: &str, code: &str) -> Vec<u8> {
        serde_json::json!({"kiosk_id": kiosk, "generated_at": "2026-12-04T07:00:00Z", "appointments": [
            {"uid": "u1", "code": code, "starts_at": "2026-12-04T09:30:00Z", "service": "email",
             "desk": null, "language": "nl", "cancelled": false}]})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_good_plan_is_handed_over_and_kept_with_its_etag() {
        let dir = tempfile::tempdir().unwrap();
        let files = CentralFiles::new(dir.path());
        let sink = Recorder::default();
        assert_eq!(files.install_plan(&plan_json("k1", "482913"), "k1", "\"p1\"", &sink).unwrap(), 1);
        assert_eq!(sink.taken.lock().unwrap()[0].appointments[0].code, "482913");
        assert_eq!(files.kept_etag(Pulled::Appointments).as_deref(), Some("\"p1\""));
        assert_eq!(files.kept_plan().unwrap().appointments.len(), 1);
    }

    #[test]
    fn a_broken_plan_is_refused_with_its_reason_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let files = CentralFiles::new(dir.path());
        let sink = Recorder::default();
        files.install_plan(&plan_json("k1", "482913"), "k1", "\"good\"", &sink).unwrap();
        let refusals = [
            (b"{\"kiosk_id\": ".to_vec(), "not an appointment plan"),
            (plan_json("k2", "482913"), "the plan is for kiosk \"k2\""),
            (plan_json("k1", "48291"), "appointment 0: booking code \"48291\" is not six digits"),
            (plan_json("k1", "482913").repacked_with_name(), "unknown field `name`"),
        ];
        for (bytes, why) in refusals {
            let refused = files.install_plan(&bytes, "k1", "\"bad\"", &sink).unwrap_err().to_string();
            assert!(refused.starts_with("the central appointment plan is refused: "), "{refused}");
            assert!(refused.contains(why), "{why}: {refused}");
        }
        let unwilling =
            Recorder { refusal: Some("service \"email\" is not offered here".into()), ..Recorder::default() };
        let refused =
            files.install_plan(&plan_json("k1", "111111"), "k1", "\"bad\"", &unwilling).unwrap_err();
        assert!(refused.to_string().contains("is not offered here"), "{refused}");
        assert_eq!(sink.taken.lock().unwrap().len(), 1, "no broken plan reached the help point");
        assert_eq!(
            files.kept_etag(Pulled::Appointments).as_deref(),
            Some("\"good\""),
            "the last good one stays"
        );
        assert_eq!(files.kept_plan().unwrap().appointments[0].code, "482913");
    }

    trait WithName {
        fn repacked_with_name(self) -> Vec<u8>;
    }

    impl WithName for Vec<u8> {
        /// The same plan with a person's name added to its appointment.
        fn repacked_with_name(self) -> Vec<u8> {
            String::from_utf8(self).unwrap().replacen("\"code\"", "\"name\":\"Jan\",\"code\"", 1).into_bytes()
        }
    }
}
