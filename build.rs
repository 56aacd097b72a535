//! Compiles the Slint UI in `ui/` into Rust, with the bundled translations in `lang/`.
//!
//! Element debug info is kept so the headless UI tests can find elements by their
//! accessible label. Translations use no per-component context: one phrase, one translation.
//! Slint leaves out entries flagged `fuzzy`, but a draft beats English for a visitor who reads
//! no English: Slint reads a copy of `lang/` in OUT_DIR without the flags (the files in `lang/`
//! keep them, so drafts stay known as drafts).

use std::path::{Path, PathBuf};

/// A copy of every `lang/<code>/LC_MESSAGES/loket.po` under `out`, without `fuzzy` flags. A file
/// is rewritten only when it changes (Slint asks cargo to watch the copies), and a language gone
/// from `lang/` goes from the copy.
fn translations_with_drafts(lang: &Path, out: &Path) -> PathBuf {
    let copy = out.join("lang");
    let entries: Vec<_> = std::fs::read_dir(lang).expect("lang/ is readable").flatten().collect();
    for old in std::fs::read_dir(&copy).into_iter().flatten().flatten() {
        if !entries.iter().any(|e| e.file_name() == old.file_name()) {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
    for entry in entries {
        let po = entry.path().join("LC_MESSAGES/loket.po");
        let Ok(text) = std::fs::read_to_string(&po) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", po.display());
        let mut kept = String::with_capacity(text.len());
        for line in text.lines() {
            match line.strip_prefix("#,") {
                Some(flags) => {
                    let flags: Vec<&str> =
                        flags.split(',').map(str::trim).filter(|f| *f != "fuzzy").collect();
                    if !flags.is_empty() {
                        kept.push_str(&format!("#, {}\n", flags.join(", ")));
                    }
                }
                None => {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
        }
        let folder = copy.join(entry.file_name()).join("LC_MESSAGES");
        std::fs::create_dir_all(&folder).expect("OUT_DIR is writable");
        if std::fs::read_to_string(folder.join("loket.po")).ok().as_deref() != Some(kept.as_str()) {
            std::fs::write(folder.join("loket.po"), kept).expect("OUT_DIR is writable");
        }
    }
    copy
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let translations = translations_with_drafts(Path::new("lang"), &out);
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_bundled_translations(translations);
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI does not compile");
    println!("cargo:rerun-if-changed=lang");
}
