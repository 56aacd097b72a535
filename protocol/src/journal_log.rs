//! Log lines that the systemd journal files under the right priority, so that a technician's
//! `journalctl -u loket -p warning` shows the warnings and errors and nothing else.
//!
//! Owns the logger set-up of both programs (`loket` and `loket-central`): [`init`] installs
//! env_logger (`RUST_LOG`, default `info`). When standard error is the journal — systemd sets
//! `JOURNAL_STREAM` to the stream's `device:inode`, and it matches standard error's own, as
//! sd-daemon(3) checks — every line starts with the kernel-style priority prefix that journald
//! reads (`<3>` error, `<4>` warning, `<6>` info, `<7>` debug and trace) and carries no timestamp
//! (the journal stamps each line itself). On a terminal, or redirected to a file, the format
//! stays env_logger's usual one. Must not: depend on the rest of Loket (it moves with whichever
//! crate needs it), or write anywhere but standard error.

use std::io::Write;

/// Installs the logger for this process: `RUST_LOG` filters, `default_filter` when it is unset.
/// Lines carry journal priorities when standard error is the journal (see the module doc).
pub fn init(default_filter: &str) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter));
    if stderr_is_journal() {
        builder.format(write_journal_line);
    }
    builder.init();
}

/// Whether standard error is connected to the journal: `JOURNAL_STREAM` names the device and
/// inode of standard error itself. A child that inherited the variable but whose standard error
/// was redirected elsewhere sees a different inode, and gets the terminal format.
pub fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some(named) = stream.to_str().and_then(parse_journal_stream) else {
        return false;
    };
    stderr_identity().is_some_and(|actual| actual == named)
}

/// `JOURNAL_STREAM`'s value, `"<device>:<inode>"` in decimal, as the pair it names.
pub fn parse_journal_stream(value: &str) -> Option<(u64, u64)> {
    let (device, inode) = value.trim().split_once(':')?;
    Some((device.parse().ok()?, inode.parse().ok()?))
}

/// The device and inode of this process's standard error (fstat of a duplicate of fd 2).
fn stderr_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    Some((meta.dev(), meta.ino()))
}

/// The sd-daemon(3) prefix for a log level: the syslog priority journald files the line under.
pub fn priority_prefix(level: log::Level) -> &'static str {
    match level {
        log::Level::Error => "<3>",
        log::Level::Warn => "<4>",
        log::Level::Info => "<6>",
        log::Level::Debug | log::Level::Trace => "<7>",
    }
}

/// Writes one record for the journal: `<6>loket::cli: message`. Journald reads each line on its
/// own, so every line of a message that spans several carries the prefix, not only the first.
pub fn write_journal_line(out: &mut impl Write, record: &log::Record<'_>) -> std::io::Result<()> {
    let prefix = priority_prefix(record.level());
    let message = record.args().to_string();
    let mut lines = message.lines();
    writeln!(out, "{prefix}{}: {}", record.target(), lines.next().unwrap_or(""))?;
    for line in lines {
        writeln!(out, "{prefix}  {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal_line(level: log::Level, target: &str, message: std::fmt::Arguments<'_>) -> String {
        let record = log::Record::builder().level(level).target(target).args(message).build();
        let mut out = Vec::new();
        write_journal_line(&mut out, &record).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_level_gets_its_syslog_priority_and_no_timestamp() {
        let cases = [
            (log::Level::Error, "<3>loket::cli: the staff web server stopped\n"),
            (log::Level::Warn, "<4>loket::cli: the staff web server stopped\n"),
            (log::Level::Info, "<6>loket::cli: the staff web server stopped\n"),
            (log::Level::Debug, "<7>loket::cli: the staff web server stopped\n"),
            (log::Level::Trace, "<7>loket::cli: the staff web server stopped\n"),
        ];
        for (level, expected) in cases {
            assert_eq!(
                journal_line(level, "loket::cli", format_args!("the staff web server stopped")),
                expected
            );
        }
    }

    #[test]
    fn every_line_of_a_long_message_keeps_its_priority() {
        let line =
            journal_line(log::Level::Warn, "loket::setup", format_args!("printer: {}\nroll {}", "off", 2));
        assert_eq!(line, "<4>loket::setup: printer: off\n<4>  roll 2\n");
    }

    #[test]
    fn an_empty_message_is_still_one_line() {
        assert_eq!(journal_line(log::Level::Error, "x", format_args!("")), "<3>x: \n");
    }

    #[test]
    fn journal_stream_is_read_as_device_and_inode() {
        assert_eq!(parse_journal_stream("8:4711"), Some((8, 4711)));
        assert_eq!(parse_journal_stream("0:12345678901\n"), Some((0, 12345678901)));
        assert_eq!(parse_journal_stream(""), None);
        assert_eq!(parse_journal_stream("8"), None);
        assert_eq!(parse_journal_stream("8:x"), None);
        assert_eq!(parse_journal_stream("-1:2"), None);
    }
}
