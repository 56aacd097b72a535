//! The data directory's lock: one running kiosk per data directory. `loket run` takes an
//! exclusive lock (`flock`) on `loket.lock` there and holds it for the life of the process; the
//! kernel lets go when the process ends, however it ends (kill -9 included), so a stale lock
//! never blocks a restart. The file holds the PID of the process that has it, for the message
//! a second kiosk gives.
//!
//! Only `run` takes it: `loket check` and the other commands only read the store (or do not
//! open it) and work while the kiosk runs. It must not open the store nor decide what a second
//! kiosk does beyond refusing to start.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "loket.lock";

/// Why the data directory could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Loket is running on the data directory {dir}{}: stop it first, or give this one another --data-dir",
        pid.map_or_else(String::new, |pid| format!(" (process {pid})"))
    )]
    Held { dir: String, pid: Option<u32> },
    #[error("cannot lock the data directory {dir} ({file}): {source}")]
    Io { dir: String, file: String, source: std::io::Error },
}

/// The data directory, held by this process until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock on `dir`, at once or not at all; writes this process's PID in it.
    pub fn take(dir: &Path) -> Result<DataDirLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            dir: dir.display().to_string(),
            file: path.display().to_string(),
            source,
        };
        // Read and write, never truncated before the lock is ours: the holder's PID stays.
        let mut file =
            File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                return Err(LockError::Held { dir: dir.display().to_string(), pid });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_naming_it_and_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::take(dir.path()).unwrap();
        let message = DataDirLock::take(dir.path()).unwrap_err().to_string();
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
        assert!(message.contains(&format!("(process {})", std::process::id())), "{message}");
        drop(first);
        let again = DataDirLock::take(dir.path()).expect("free once the holder lets go");
        assert_eq!(std::fs::read_to_string(again.path()).unwrap().trim(), std::process::id().to_string());
    }
}
