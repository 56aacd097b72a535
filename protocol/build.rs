//! Bundles the translation catalogue: every `lang/<code>/LC_MESSAGES/loket.po` of the workspace
//! becomes one entry of a generated table that `i18n` parses at first use.
//!
//! The files are read by `include_str!`, so a changed translation rebuilds the crate.

use std::path::Path;

fn main() {
    let lang = Path::new(env!("CARGO_MANIFEST_DIR")).join("../lang");
    println!("cargo:rerun-if-changed={}", lang.display());
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&lang) {
        for entry in entries.flatten() {
            let po = entry.path().join("LC_MESSAGES/loket.po");
            if po.is_file() {
                println!("cargo:rerun-if-changed={}", po.display());
                found.push((entry.file_name().to_string_lossy().into_owned(), po));
            }
        }
    }
    found.sort();
    let mut table = String::from("&[\n");
    for (code, po) in &found {
        table.push_str(&format!("    ({code:?}, include_str!({:?})),\n", po.display().to_string()));
    }
    table.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("bundled_po.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}
