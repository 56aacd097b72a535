//! The simulated printer: a [`Transport`] that "prints" a job by writing two
//! files into a folder, `<job>.escpos` with the exact bytes a real printer
//! would receive and `<job>.png` with the preview drawn from those bytes.
//! Used on a laptop, in tests and in demos. It owns file naming and atomic
//! writing (temporary file + rename, so a reader never sees half a ticket).
//! It must not change the bytes it is given, and must not write outside its
//! folder (job names are checked; no '/', no '..').

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::preview::render_png;
use super::{PrintError, Transport};

/// Longest job name accepted (it becomes a file name).
pub const MAX_JOB_NAME_CHARS: usize = 100;

/// A printer that writes files instead of paper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePrinter {
    dir: PathBuf,
}

impl FilePrinter {
    /// Prints into `dir`; the folder is created at the first job.
    pub fn new(dir: impl Into<PathBuf>) -> FilePrinter {
        FilePrinter { dir: dir.into() }
    }

    /// The folder jobs are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the bytes of `job_name` go.
    pub fn escpos_path(&self, job_name: &str) -> PathBuf {
        self.dir.join(format!("{job_name}.escpos"))
    }

    /// Where the preview of `job_name` goes.
    pub fn png_path(&self, job_name: &str) -> PathBuf {
        self.dir.join(format!("{job_name}.png"))
    }
}

impl Transport for FilePrinter {
    /// Writes `<job>.escpos`, then draws and writes `<job>.png`. When the
    /// preview cannot be drawn the `.escpos` file is kept, for inspection.
    fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        check_job_name(job_name)?;
        fs::create_dir_all(&self.dir)
            .map_err(|source| PrintError::CreateFolder { path: self.dir.clone(), source })?;
        write_atomically(&self.escpos_path(job_name), bytes)?;
        let png =
            render_png(bytes).map_err(|source| PrintError::Preview { job: job_name.to_owned(), source })?;
        write_atomically(&self.png_path(job_name), &png)
    }

    fn describe(&self) -> String {
        format!("simulated printer writing to {}", self.dir.display())
    }
}

fn check_job_name(name: &str) -> Result<(), PrintError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.chars().count() > MAX_JOB_NAME_CHARS {
        Some("it is longer than 100 characters")
    } else if name.starts_with('.') {
        Some("it starts with '.'")
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        Some("only letters a-z, digits, '-', '_' and '.' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(PrintError::JobName { name: name.to_owned(), reason }),
        None => Ok(()),
    }
}

/// Writes `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(
        ".{file_name}.{}-{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    result.map_err(|source| {
        let _ = fs::remove_file(&temp);
        PrintError::Write { path: path.to_owned(), source }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_printer() -> (tempfile::TempDir, FilePrinter) {
        let dir = tempfile::tempdir().expect("temp dir");
        let printer = FilePrinter::new(dir.path().join("tickets"));
        (dir, printer)
    }

    #[test]
    fn writes_exact_bytes_and_a_png_beside_them() {
        let (_dir, mut printer) = temp_printer();
        let bytes = b"\x1B\x40\x1B\x74\x13E-017\n";
        printer.send("E-017", bytes).expect("printed");
        assert_eq!(fs::read(printer.escpos_path("E-017")).expect("escpos"), bytes);
        let png = fs::read(printer.png_path("E-017")).expect("png");
        assert_eq!(png[..8], *b"\x89PNG\r\n\x1a\n");
        // Nothing else (no temporary files) is left behind.
        assert_eq!(fs::read_dir(printer.dir()).expect("dir").count(), 2);
    }

    #[test]
    fn a_second_job_with_the_same_name_replaces_the_first() {
        let (_dir, mut printer) = temp_printer();
        printer.send("job", b"A\n").expect("first");
        printer.send("job", b"B\n").expect("second");
        assert_eq!(fs::read(printer.escpos_path("job")).expect("escpos"), b"B\n");
    }

    #[test]
    fn job_names_cannot_leave_the_folder() {
        let (_dir, mut printer) = temp_printer();
        for bad in ["", "../x", "a/b", ".hidden", "a b", "e\u{301}"] {
            let err = printer.send(bad, b"A\n").expect_err(bad);
            assert!(matches!(err, PrintError::JobName { .. }), "{bad}: {err}");
        }
        assert!(printer.send(&"x".repeat(101), b"").is_err());
        assert!(printer.send("E-017_2026-11-29.1", b"").is_ok());
    }

    #[test]
    fn unreadable_bytes_keep_the_escpos_file_and_name_the_job() {
        let (_dir, mut printer) = temp_printer();
        let err = printer.send("bad", b"\x1B\x4A\x03").expect_err("ESC J is unknown");
        assert!(matches!(err, PrintError::Preview { .. }));
        assert!(err.to_string().contains("bad"), "{err}");
        assert!(printer.escpos_path("bad").exists());
        assert!(!printer.png_path("bad").exists());
    }

    #[test]
    fn io_errors_name_the_path() {
        let (dir, _) = temp_printer();
        // A file where the folder should be.
        let blocker = dir.path().join("not-a-folder");
        fs::write(&blocker, b"x").expect("blocker");
        let mut printer = FilePrinter::new(blocker.join("tickets"));
        let err = printer.send("job", b"A\n").expect_err("cannot create");
        assert!(matches!(err, PrintError::CreateFolder { .. }));
        assert!(err.to_string().contains("not-a-folder"), "{err}");
    }

    #[test]
    fn describes_itself_with_its_folder() {
        let printer = FilePrinter::new("/tmp/loket-tickets");
        assert_eq!(printer.describe(), "simulated printer writing to /tmp/loket-tickets");
    }
}
