//! What a content pack's tar archive may hold, the one rule for both sides: loket-central
//! refuses a pack at upload by it ([`check_archive`]) and the kiosk unpacks by it
//! ([`check_entry`], entry by entry), so a pack the server takes is never one the kiosk refuses.
//!
//! Only plain relative paths (no absolute path, no `..`), only files and folders (no symbolic or
//! hard links, devices, pipes, sparse or contiguous files), at most [`MAX_ENTRIES`] entries and
//! [`MAX_UNPACKED_BYTES`]. PAX headers are skipped. It only reads: it must not write a file or
//! unpack anything; the kiosk's reporter does that.

use std::path::{Component, Path, PathBuf};

/// The most bytes a content pack may unpack to.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
/// The most files and folders a content pack may hold.
pub const MAX_ENTRIES: usize = 20_000;

/// What an entry the rule lets through is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackEntry {
    /// A folder at this relative path.
    Folder(PathBuf),
    /// A file at this relative path.
    File(PathBuf),
    /// Nothing to unpack: a PAX header, or the archive's own root (`./`).
    Skipped,
}

/// Why a content pack is refused; every message names the entry it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackRefused {
    #[error("not a tar archive: {0}")]
    NotTar(String),
    #[error("damaged archive: {0}")]
    Damaged(String),
    #[error("the archive is empty")]
    Empty,
    #[error("more than {MAX_ENTRIES} entries")]
    TooManyEntries,
    #[error("unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
    TooLarge,
    #[error("{path:?}: absolute paths and .. are not allowed")]
    LeavesFolder { path: String },
    #[error("{path:?} is {kind}: only files and folders are allowed (no links or devices)")]
    NotFileOrFolder { path: String, kind: &'static str },
    #[error("{path:?}: {reason}")]
    BadEntry { path: String, reason: String },
}

/// An entry type in the words of the refusal.
fn kind_words(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "a symbolic link",
        tar::EntryType::Link => "a hard link",
        tar::EntryType::Char => "a character device",
        tar::EntryType::Block => "a block device",
        tar::EntryType::Fifo => "a named pipe",
        tar::EntryType::Continuous => "a contiguous file",
        tar::EntryType::GNUSparse => "a sparse file",
        _ => "an entry of an unknown type",
    }
}

/// The rule for one entry: its path in the archive and its type.
pub fn check_entry(path: &Path, kind: tar::EntryType) -> Result<PackEntry, PackRefused> {
    let mut relative = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(name) => relative.push(name),
            Component::CurDir => {}
            _ => return Err(PackRefused::LeavesFolder { path: path.display().to_string() }),
        }
    }
    if relative.as_os_str().is_empty() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
        Ok(PackEntry::Skipped)
    } else if kind.is_dir() {
        Ok(PackEntry::Folder(relative))
    } else if kind.is_file() {
        Ok(PackEntry::File(relative))
    } else {
        Err(PackRefused::NotFileOrFolder { path: path.display().to_string(), kind: kind_words(kind) })
    }
}

/// Checks a whole archive without unpacking it: the number of files and folders it holds.
pub fn check_archive(bytes: &[u8]) -> Result<usize, PackRefused> {
    let mut archive = tar::Archive::new(bytes);
    let mut count = 0;
    let mut total: u64 = 0;
    for (seen, entry) in archive.entries().map_err(|e| PackRefused::NotTar(e.to_string()))?.enumerate() {
        if seen >= MAX_ENTRIES {
            return Err(PackRefused::TooManyEntries);
        }
        let entry = entry.map_err(|e| match count {
            0 => PackRefused::NotTar(e.to_string()),
            _ => PackRefused::Damaged(e.to_string()),
        })?;
        let path = entry.path().map_err(|e| PackRefused::Damaged(format!("a bad path: {e}")))?.into_owned();
        match check_entry(&path, entry.header().entry_type())? {
            PackEntry::Skipped => continue,
            PackEntry::Folder(_) => {}
            PackEntry::File(_) => {
                let size = entry.header().size().map_err(|e| PackRefused::BadEntry {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                total = total.saturating_add(size);
                if total > MAX_UNPACKED_BYTES {
                    return Err(PackRefused::TooLarge);
                }
            }
        }
        count += 1;
    }
    if count == 0 {
        return Err(PackRefused::Empty);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, target) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            if kind.is_file() {
                header.set_size(target.len() as u64);
                builder.append_data(&mut header, path, target.as_bytes()).unwrap();
            } else {
                header.set_size(0);
                if !target.is_empty() {
                    header.set_link_name(target).unwrap();
                }
                builder.append_data(&mut header, path, &[][..]).unwrap();
            }
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn files_and_folders_pass_and_are_counted() {
        let pack = archive(&[
            ("tutorials", tar::EntryType::Directory, ""),
            ("tutorials/mail/tutorial.toml", tar::EntryType::Regular, "id = \"mail\"\n"),
        ]);
        assert_eq!(check_archive(&pack), Ok(2));
    }

    #[test]
    fn links_and_devices_are_refused_by_name_and_kind() {
        for (kind, words) in [
            (tar::EntryType::Symlink, "a symbolic link"),
            (tar::EntryType::Link, "a hard link"),
            (tar::EntryType::Char, "a character device"),
            (tar::EntryType::Block, "a block device"),
            (tar::EntryType::Fifo, "a named pipe"),
        ] {
            let pack = archive(&[
                ("tutorials/a.toml", tar::EntryType::Regular, "x"),
                (
                    "tutorials/shadow",
                    kind,
                    if kind.is_symlink() || kind.is_hard_link() { "/etc/shadow" } else { "" },
                ),
            ]);
            let refused = check_archive(&pack).unwrap_err();
            assert_eq!(
                refused.to_string(),
                format!(
                    "\"tutorials/shadow\" is {words}: only files and folders are allowed (no links or devices)"
                )
            );
        }
    }

    #[test]
    fn paths_leaving_the_folder_are_refused() {
        assert_eq!(
            check_entry(Path::new("../evil"), tar::EntryType::Regular),
            Err(PackRefused::LeavesFolder { path: "../evil".into() })
        );
        assert!(matches!(
            check_entry(Path::new("/etc/passwd"), tar::EntryType::Regular),
            Err(PackRefused::LeavesFolder { .. })
        ));
        assert_eq!(
            check_entry(Path::new("./tutorials/a"), tar::EntryType::Regular),
            Ok(PackEntry::File("tutorials/a".into()))
        );
        assert_eq!(check_entry(Path::new("./"), tar::EntryType::Directory), Ok(PackEntry::Skipped));
    }

    #[test]
    fn not_a_tar_and_empty_archives_are_refused() {
        assert!(matches!(
            check_archive(b"definitely not a tar archive, just some text"),
            Err(PackRefused::NotTar(_))
        ));
        assert_eq!(
            check_archive(&tar::Builder::new(Vec::new()).into_inner().unwrap()),
            Err(PackRefused::Empty)
        );
    }

    #[test]
    fn too_many_entries_are_refused() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("d{i}")).collect();
        let entries: Vec<(&str, tar::EntryType, &str)> =
            names.iter().map(|n| (n.as_str(), tar::EntryType::Directory, "")).collect();
        assert_eq!(check_archive(&archive(&entries)), Err(PackRefused::TooManyEntries));
    }
}
