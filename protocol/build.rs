//! Bundles the translation catalogue: every `lang/<code>/LC_MESSAGES/loket.po` of the workspace
//! becomes one entry of a generated table that `i18n` parses at first use, and the template
//! `lang/loket.pot` (which messages exist, and which are the staff's) comes along.
//!
//! The files are read by `include_str!`, so a changed translation rebuilds the crate.

use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a build script compiled in another
    // checkout must still read this checkout's catalogue.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let lang = Path::new(&manifest_dir).join("../lang");
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
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("bundled_po.rs"), table).expect("OUT_DIR is writable");
    let pot = lang.join("loket.pot");
    println!("cargo:rerun-if-changed={}", pot.display());
    let template =
        if pot.is_file() { format!("include_str!({:?})", pot.display().to_string()) } else { "\"\"".into() };
    std::fs::write(Path::new(&out_dir).join("bundled_pot.rs"), template).expect("OUT_DIR is writable");
}
