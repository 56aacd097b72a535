//! The `loket` command as a technician uses it: `--version`, `check`, and a headless run.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn loket() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loket"));
    cmd.env("RUST_LOG", "info");
    cmd
}

#[test]
fn version_names_the_program_and_its_version() {
    let out = loket().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("loket {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn check_accepts_the_sample_config() {
    // The built-in sample (config/loket.toml); as a file it is refused for its public PINs
    // (tests/appliance.rs).
    let out = loket().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("valid") && stdout.contains("6 services") && stdout.contains("2 desks"),
        "{stdout}"
    );
}

#[test]
fn check_says_which_offered_languages_are_drafts() {
    let out = loket().arg("check").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.starts_with("translations: ")).expect("a translations line");
    assert!(line.contains("every visitor text in all 14 offered languages"), "{line}");
    assert!(line.contains("the staff pages in nl"), "{line}");
    // Each offered language, with how many of its texts the catalogue has as drafts.
    let catalogue = loket_protocol::i18n::Catalogue::bundled();
    let template = loket_protocol::i18n::Catalogue::template();
    let sample = loket::config::Config::sample();
    let expected: Vec<String> = sample
        .site
        .languages
        .iter()
        .map(|code| match catalogue.drafts(code, template) {
            0 => code.clone(),
            n => format!("{code} ({n} drafts)"),
        })
        .collect();
    assert!(line.ends_with(&format!("native speaker: {}", expected.join(", "))), "{line}");
    assert!(expected.iter().any(|l| l == "en"), "English is the source, never a draft");
}

#[test]
fn check_names_the_bad_key_and_value_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let bad = sample.replace("idle_timeout_seconds = 45", "idle_timeout_seconds = 2");
    assert_ne!(bad, sample, "the sample sets idle_timeout_seconds = 45");
    std::fs::File::create(&path).unwrap().write_all(bad.as_bytes()).unwrap();
    let out = loket().args(["check", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kiosk.idle_timeout_seconds") && stderr.contains('2'), "{stderr}");
}

#[test]
fn check_reports_a_missing_file_with_its_path() {
    let out = loket().args(["check", "--config", "no/such/loket.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/loket.toml"));
}

#[test]
fn a_headless_run_creates_the_store_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = loket()
        .args(["run", "--headless", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = dir.path().join("loket.sqlite");
    let start = Instant::now();
    while !store.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(store.exists());
}

#[test]
fn a_headless_run_serves_the_staff_web_server_on_the_listen_address() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = loket()
        .args(["run", "--headless", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut answer = String::new();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            stream.read_to_string(&mut answer).unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#"{"status":"ok","version":"0.1.0"}"#), "{answer}");
}

#[test]
fn a_taken_listen_address_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = loket()
        .args(["run", "--headless", "--listen", &addr, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("cannot listen on {addr} (--listen): address in use")), "{stderr}");
}

#[test]
fn print_test_writes_the_exact_bytes_and_a_preview() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("test.escpos");
    let run = loket().args(["print-test", "--out"]).arg(&out).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..2], b"\x1b@", "starts by resetting the printer");
    assert!(bytes.windows(7).any(|w| w == b"Digilab"), "the site name goes as text");
    assert!(bytes.windows(3).any(|w| w == b"\x1dv0"), "other scripts go as raster images");
    let png = std::fs::read(out.with_extension("png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(String::from_utf8_lossy(&run.stdout).contains(&format!("{} bytes", bytes.len())));
    assert!(run.stderr.is_empty(), "every script printed: {}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn print_test_on_a_serial_device_sends_the_page() {
    // The same page as --out writes, preceded by the printer's wake-up (0xFF, ESC 8 0 0).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("page.escpos");
    assert!(loket().args(["print-test", "--out"]).arg(&out).status().unwrap().success());
    let want = 5 + std::fs::read(&out).unwrap().len();
    let pty = common::pty::open_pty();
    let master = pty.master.try_clone().unwrap();
    let reader = std::thread::spawn(move || common::pty::read_master(master, want, Duration::from_secs(60)));
    // A printer as fast as a CSN-A2's datasheet says (2.5 ms a dot row), so the test is quick.
    let config = dir.path().join("loket.toml");
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let fast = sample
        .replace("\nkind = \"file\"\n", "\nkind = \"serial\"\ndot_print_us = 2500\n")
        .replace("\ndirectory = \"tickets\"\n", "\n");
    std::fs::write(&config, fast).unwrap();
    let run = loket()
        .args(["print-test", "--config"])
        .arg(&config)
        .arg("--device")
        .arg(&pty.path)
        .args(["--baud", "115200"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("115200 Bd") && stdout.contains("done"), "{stdout}");
    let got = reader.join().unwrap();
    assert_eq!(got.len(), want, "the whole page came through");
    assert!(got.windows(7).any(|w| w == b"Digilab"), "the page came through the serial line");
    assert!(got.windows(3).any(|w| w == b"\x1dv0"));
}

#[test]
fn print_test_on_a_missing_device_says_which_and_fails() {
    let start = Instant::now();
    let run = loket().args(["print-test", "--device", "/dev/no-such-printer"]).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("/dev/no-such-printer"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn print_test_refuses_a_baud_rate_the_printer_cannot_have() {
    let run = loket().args(["print-test", "--device", "/dev/null", "--baud", "12345"]).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--baud = 12345"));
}

#[test]
fn check_tries_the_ticket_logo() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loket.toml");
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    std::fs::write(&path, sample.replace("logo = \"\"", "logo = \"no-such-logo.png\"")).unwrap();
    let out = loket().args(["check", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ticket.logo") && stderr.contains("no-such-logo.png"), "{stderr}");
}

#[test]
fn check_refuses_a_store_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loket.toml");
    std::fs::copy("config/loket.toml", &path).unwrap();
    let store = dir.path().join("loket-data/loket.sqlite");
    std::fs::create_dir_all(store.parent().unwrap()).unwrap();
    std::fs::write(&store, "not a database, only words, long enough for SQLite to look at them").unwrap();
    let out = loket().args(["check", "--config"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&store.display().to_string()) && stderr.contains("not a database"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("valid"), "never 'valid' for a broken store");
}

/// Waits (up to 20 s) for the store to appear in `dir`, then stops the child; whether it did.
fn store_appears(mut child: std::process::Child, dir: &std::path::Path) -> bool {
    let store = dir.join("loket.sqlite");
    let start = Instant::now();
    while !store.exists() && start.elapsed() < Duration::from_secs(20) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait().unwrap();
    store.exists()
}

#[test]
fn every_run_option_works_without_the_word_run() {
    // As the README shows it: `loket [run] …`, run being the default.
    let dir = tempfile::tempdir().unwrap();
    let child = loket()
        .args(["--always-open", "--headless", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(store_appears(child, dir.path()), "the kiosk ran with its options and no `run`");
}

#[test]
fn the_help_without_a_subcommand_shows_the_run_options() {
    let out = loket().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for option in ["--config", "--data-dir", "--headless", "--listen", "--always-open", "run", "check"] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

#[test]
fn a_run_option_before_another_subcommand_is_refused() {
    // Not half obeyed: `check` has no --data-dir, and `run`'s options do not go before it.
    let out = loket().args(["--data-dir", "somewhere", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = loket().args(["check", "--config", "debian/loket.toml"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `loket` headless in `cwd` with `args` until a line of its log contains `wanted` (or 20 s
/// pass), then stops it; that line, if it came.
fn log_line_of_a_headless_run(
    cwd: &std::path::Path,
    args: &[&std::ffi::OsStr],
    wanted: &str,
) -> Option<String> {
    use std::io::BufRead;
    let mut child = loket()
        .current_dir(cwd)
        .args(["--headless", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut found = None;
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if line.contains(wanted) {
            found = Some(line);
            break;
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
    found
}

#[test]
fn the_sample_finds_its_content_pack_when_started_from_another_folder() {
    let elsewhere = tempfile::tempdir().unwrap();
    let data = elsewhere.path().join("data");
    let line =
        log_line_of_a_headless_run(elsewhere.path(), &["--data-dir".as_ref(), data.as_ref()], "content pack")
            .expect("the content pack is named in the log");
    let pack = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    assert!(line.contains(&format!("content pack {}: ", pack.display())), "{line}");
    assert!(!line.contains("refused"), "{line}");
    assert!(!elsewhere.path().join("content").exists());
}

#[test]
fn relative_paths_in_a_config_file_are_relative_to_its_folder() {
    let site = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
        site.path().join("pack"),
    )
    .unwrap();
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let config = site.path().join("loket.toml");
    std::fs::write(&config, sample.replace("content_dir = \"content\"", "content_dir = \"pack\"")).unwrap();
    let line =
        log_line_of_a_headless_run(elsewhere.path(), &["--config".as_ref(), config.as_ref()], "content pack")
            .expect("the content pack is named in the log");
    assert!(line.contains(&format!("content pack {}: ", site.path().join("pack").display())), "{line}");
    assert!(!line.contains("refused"), "{line}");
    assert!(site.path().join("loket-data/loket.sqlite").exists(), "kiosk.data_dir beside the config file");
    assert!(!elsewhere.path().join("loket-data").exists());
}

#[test]
fn a_missing_content_pack_is_logged_with_its_path() {
    let site = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let config = site.path().join("loket.toml");
    std::fs::write(&config, sample.replace("content_dir = \"content\"", "content_dir = \"no-pack\""))
        .unwrap();
    let line = log_line_of_a_headless_run(
        site.path(),
        &["--config".as_ref(), config.as_ref()],
        "(learning.content_dir)",
    )
    .expect("the missing pack is named in the log");
    let missing = site.path().join("no-pack");
    assert!(
        line.contains(&format!("content pack {} (learning.content_dir) refused", missing.display())),
        "{line}"
    );
    assert!(line.contains("ERROR"), "{line}");
}

/// A test clip for a voice pack: a tone at `level` of full scale (tones, never a voice).
fn tone_wav(hz: f32, level: f32) -> Vec<u8> {
    let samples: Vec<i16> = (0..4000)
        .map(|i| (level * (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin() * 32767.0) as i16)
        .collect();
    loket::voice_pack::wav_bytes(&samples, 16_000)
}

/// A Somali pack that says the ticket's number and nothing else: every digit and letter, the
/// language's name, "Your number is {code}." and the e-mail service.
fn small_pack(root: &std::path::Path) -> std::path::PathBuf {
    let dir = root.join("so");
    let put = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    put("pack.toml", b"[phrases]\n\"Your number is {code}.\" = [\"phrases/number.wav\", \"{code}\"]\n");
    put("phrases/number.wav", &tone_wav(440.0, 0.4));
    put("language.wav", &tone_wav(480.0, 0.4));
    put("services/email.wav", &tone_wav(520.0, 0.4));
    for d in 0..10 {
        put(&format!("digits/{d}.wav"), &tone_wav(300.0 + d as f32 * 10.0, 0.4));
    }
    for c in 'A'..='Z' {
        put(&format!("letters/{c}.wav"), &tone_wav(600.0 + (c as u8 - b'A') as f32 * 10.0, 0.4));
    }
    dir
}

#[test]
fn voice_check_lists_what_a_pack_covers_and_lacks() {
    let root = tempfile::tempdir().unwrap();
    let dir = small_pack(root.path());
    let out = loket().args(["voice", "check"]).arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let total = loket::guidance::Phrase::ALL.len() - 1;
    assert!(stdout.starts_with(&format!("so: 1 of {total} phrases covered\n")), "{stdout}");
    assert!(stdout.contains("  covered: \"Your number is {code}.\"\n"), "{stdout}");
    assert!(
        stdout.contains("  missing: \"Touch your language.\" (lacks pack.toml: \"Touch your language.\")")
    );
    assert!(stdout.contains("  missing clip: services/appointment.wav\n"), "{stdout}");
    assert!(!stdout.contains("missing clip: digits/"), "{stdout}");
    assert!(!stdout.contains("error:"), "{stdout}");
    // The folder of all packs works too.
    let all = loket().args(["voice", "check"]).arg(root.path()).output().unwrap();
    assert!(all.status.success());
    assert_eq!(String::from_utf8_lossy(&all.stdout), stdout);
}

#[test]
fn voice_check_refuses_unusable_clips_and_exits_2() {
    let root = tempfile::tempdir().unwrap();
    let dir = small_pack(root.path());
    std::fs::write(dir.join("digits/4.wav"), tone_wav(300.0, 0.005)).unwrap();
    std::fs::write(dir.join("digits/5.wav"), tone_wav(300.0, 1.2)).unwrap();
    std::fs::write(dir.join("digits/6.wav"), b"ID3 an mp3 file").unwrap();
    let mut other_rate = tone_wav(300.0, 0.4);
    other_rate[24..28].copy_from_slice(&22_050u32.to_le_bytes());
    std::fs::write(dir.join("digits/7.wav"), other_rate).unwrap();
    let out = loket().args(["voice", "check"]).arg(&dir).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  error: ")).collect();
    assert_eq!(errors.len(), 4, "{stdout}");
    assert!(errors[0].contains("digits/4.wav: too quiet"), "{}", errors[0]);
    assert!(errors[1].contains("digits/5.wav: clipped"), "{}", errors[1]);
    assert!(errors[2].contains("digits/6.wav: not a WAV file of 16-bit PCM mono: no RIFF/WAVE header"));
    assert!(errors[3].contains("digits/7.wav: recorded at 22050 Hz, the rest of the pack at 16000 Hz"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 clips or files cannot be used"));
    // A pack that is not usable is not read into a kiosk either.
    assert_eq!(loket::voice_pack::VoicePack::load(&dir, "so").unwrap_err().len(), 4);
}

#[test]
fn voice_script_prints_the_clips_to_record_in_the_language() {
    let out = loket().args(["voice", "script", "fr"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("language.wav\tFrançais\n"), "{stdout}");
    assert!(stdout.contains("services/email.wav\tE-mail\n"), "{stdout}");
    assert!(stdout.contains("phrases/your-number-is-1.wav\tVotre numéro est\n"), "{stdout}");
    assert!(stdout.contains("\"Your number is {code}.\" = [\"phrases/your-number-is-1.wav\", \"{code}\"]"));
    let unknown = loket().args(["voice", "script", "xx"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn a_second_run_on_the_same_data_directory_exits_at_once_naming_it_and_the_first() {
    let dir = tempfile::tempdir().unwrap();
    // The sample config with its data directory here (without its content pack: tickets only).
    let sample = sample_without_its_public_pins();
    let config =
        sample.replace(r#"data_dir = "loket-data""#, &format!("data_dir = {:?}", dir.path().join("data")));
    let config_path = dir.path().join("loket.toml");
    std::fs::write(&config_path, config).unwrap();
    let data = dir.path().join("data");
    let mut first = loket()
        .args(["run", "--headless", "--always-open", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = data.join("loket.sqlite");
    let start = Instant::now();
    while !store.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(store.exists(), "the first kiosk runs");
    let mut second = loket()
        .args(["run", "--headless", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It must exit at once; one that runs on is stopped after a while and the test fails.
    let start = Instant::now();
    while second.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = second.kill();
    let second = second.wait_with_output().unwrap();
    // `loket check` reads the store while the kiosk runs.
    let check = loket().args(["check", "--config"]).arg(&config_path).output().unwrap();
    let first_still_running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(first_still_running, "the first kiosk goes on");
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    let held = format!("another Loket is running on the data directory {}", data.display());
    assert!(stderr.contains(&held), "{stderr}");
    assert!(stderr.contains(&format!("(process {})", first.id())), "{stderr}");
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{stdout}{}", String::from_utf8_lossy(&check.stderr));
    assert!(stdout.contains("(schema version"), "{stdout}");
}

#[test]
fn check_and_run_refuse_a_device_as_config_without_reading_it() {
    // `/dev/zero` never ends: read whole, it would fill the memory before any check.
    let check = loket().args(["check", "--config", "/dev/zero"]).output().unwrap();
    assert_eq!(check.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(stderr.contains("/dev/zero") && stderr.contains("not a plain file"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let run = loket()
        .args(["run", "--headless", "--listen", "127.0.0.1:0", "--config", "/dev/zero", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("not a plain file"));
    assert!(!dir.path().join("loket.sqlite").exists(), "the kiosk did not start");
}

#[test]
fn check_refuses_two_desks_buttons_on_one_pin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loket.toml");
    let sample = sample_without_its_public_pins();
    let wired = sample.replacen("\nservices = [", "\nbutton_gpio = 17\nservices = [", 2);
    assert_eq!(wired.matches("button_gpio = 17").count(), 2, "the sample has two desks");
    std::fs::write(&path, wired).unwrap();
    let out = loket().args(["check", "--config"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("desk[1].button_gpio = 17") && stderr.contains("GPIO17 is already"), "{stderr}");
}

/// The sample config without its public demo PINs, which `loket check --config` refuses.
fn sample_without_its_public_pins() -> String {
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let kept: Vec<&str> = sample.lines().filter(|l| !l.trim_start().starts_with("pin_hash")).collect();
    assert!(kept.len() < sample.lines().count(), "the sample carries demo PINs");
    kept.join("\n") + "\n"
}
