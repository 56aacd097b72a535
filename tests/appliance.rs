//! Loket as an appliance: the systemd units as systemd reads them, the config the package
//! installs, the boot-partition config hand-over, and a real `loket run --headless` that says
//! READY=1, keeps the watchdog fed and stops cleanly on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn loket() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loket"));
    cmd.env("RUST_LOG", "info").env_remove("NOTIFY_SOCKET").env_remove("WATCHDOG_USEC");
    cmd
}

#[test]
fn systemd_accepts_the_kiosk_unit_without_a_single_warning() {
    // loket-central's unit is checked by its own crate (central/tests/package.rs).
    let installed = [
        (Path::new(env!("CARGO_BIN_EXE_loket")), "usr/bin/loket"),
        (Path::new("systemd/take-boot-config"), "usr/lib/loket/take-boot-config"),
    ];
    if let Err(said) = loket_testkit::systemd::verify(Path::new("systemd/loket.service"), &installed) {
        panic!("{said}");
    }
}

#[test]
fn the_kiosk_unit_is_watched_restarted_and_confined_yet_reaches_its_devices() {
    let unit = std::fs::read_to_string("systemd/loket.service").unwrap();
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    for line in [
        "Type=notify",
        "NotifyAccess=main",
        "WatchdogSec=30s",
        "Restart=always",
        "User=loket",
        "SupplementaryGroups=video render input gpio dialout audio",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/loket",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "ProtectHome=yes",
        "DevicePolicy=closed",
        "DeviceAllow=char-drm rw",
        "DeviceAllow=char-input rw",
        "DeviceAllow=/dev/gpiomem rw",
        "DeviceAllow=char-gpiochip rw",
        "DeviceAllow=char-ttyAMA rw",
        "DeviceAllow=char-ttyS rw",
        "DeviceAllow=char-alsa rw",
        "LimitNOFILE=8192",
        "SystemCallFilter=@system-service",
        "SystemCallErrorNumber=EPERM",
        "ProtectProc=invisible",
        "RemoveIPC=yes",
        "Conflicts=getty@tty1.service",
        "Environment=SLINT_BACKEND=linuxkms",
        "ExecStart=/usr/bin/loket run --config /var/lib/loket/loket.toml",
    ] {
        assert!(lines.contains(&line), "loket.service lacks {line:?}");
    }
    assert!(lines.iter().any(|l| l.starts_with("StartLimitIntervalSec=")));
    assert!(lines.iter().any(|l| l.starts_with("StartLimitBurst=")));
    assert!(
        !lines.iter().any(|l| l.starts_with("PrivateDevices=yes")),
        "it would hide /dev/dri and /dev/input"
    );
    assert!(!lines.iter().any(|l| l.starts_with("ProtectKernelTunables=yes")), "the backlight is in /sys");
    assert!(!lines.iter().any(|l| l.starts_with("MemoryDenyWriteExecute=yes")), "Mesa's llvmpipe JIT");
    assert!(!lines.iter().any(|l| l.starts_with("ProcSubset=pid")), "alsa-lib reads /proc/asound");
}

#[test]
fn systemd_scores_the_kiosk_unit_below_2() {
    let exposure = loket_testkit::systemd::exposure(Path::new("systemd/loket.service")).unwrap();
    println!("systemd-analyze security --offline=true systemd/loket.service: {exposure}");
    assert!(exposure < 2.0, "loket.service is exposed {exposure} (below 2.0 wanted)");
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains(&format!("loket.service scores {exposure}")), "the README gives the figure");
}

#[test]
fn the_installed_config_is_the_sample_with_the_package_paths() {
    let sample = std::fs::read_to_string("config/loket.toml").unwrap();
    let installed = std::fs::read_to_string("debian/loket.toml").unwrap();
    // The same but for the paths and the PINs: the sample's are public, the installed has none.
    let body = |text: &str| -> Vec<String> {
        let mut in_pin_note = false;
        text.lines()
            .skip_while(|l| l.starts_with('#'))
            .filter(|l| !l.starts_with("data_dir =") && !l.starts_with("content_dir ="))
            .filter(|l| !l.starts_with("pin_hash ="))
            .filter(|l| {
                in_pin_note = l.starts_with("# PINs:") || (in_pin_note && l.starts_with('#'));
                !in_pin_note
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(body(&sample), body(&installed), "debian/loket.toml drifted from config/loket.toml");
    let config = loket::config::Config::from_toml(&installed).unwrap();
    assert_eq!(config.kiosk.data_dir, PathBuf::from("/var/lib/loket"));
    assert_eq!(config.learning.content_dir, PathBuf::from("/usr/share/loket/content"));
    assert!(config.desks.iter().all(|d| d.pin_hash.is_none()), "no PIN in the installed config");
    assert!(!installed.contains("\npin_hash ="), "not even one left for the SD card");
}

/// `loket check --config FILE` as take-boot-config runs it: (exit code, stdout + stderr).
fn check(config: &Path) -> (Option<i32>, String) {
    let out = loket().args(["check", "--config"]).arg(config).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), said)
}

/// The installed config with desk-1's PIN hash from the sample config (the public 2468).
fn installed_with_the_sample_pin() -> String {
    let sample = loket::config::Config::sample();
    let hash = sample.desks[0].pin_hash.clone().expect("the sample's desk-1 has a PIN");
    let installed = std::fs::read_to_string("debian/loket.toml").unwrap();
    installed.replacen("name = \"Balie 1\"", &format!("name = \"Balie 1\"\npin_hash = \"{hash}\""), 1)
}

#[test]
fn check_refuses_a_config_file_with_the_samples_public_pin_and_says_when_no_desk_can_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let (code, said) = check(Path::new("debian/loket.toml"));
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("warning: no desk can sign in") && said.contains("loket hash-pin"), "{said}");

    let path = dir.path().join("loket.toml");
    std::fs::write(&path, installed_with_the_sample_pin()).unwrap();
    let (code, said) = check(&path);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("desk[0].pin_hash") && said.contains("loket hash-pin"), "{said}");
    assert!(!said.contains("valid"), "{said}");

    // The sample itself, as the desktop run uses it (no --config), keeps its PINs.
    let out = loket().arg("check").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Its own PIN, on the network over plain HTTP: valid, with a warning.
    let own = loket_protocol::secret::hash("48219377").unwrap();
    let installed = std::fs::read_to_string("debian/loket.toml").unwrap();
    let networked = installed
        .replacen("name = \"Balie 1\"", &format!("name = \"Balie 1\"\npin_hash = \"{own}\""), 1)
        .replace("listen = \"127.0.0.1:8080\"", "listen = \"0.0.0.0:8080\"");
    std::fs::write(&path, networked).unwrap();
    let (code, said) = check(&path);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("web.listen = \"0.0.0.0:8080\"") && said.contains("plain HTTP"), "{said}");
    assert!(said.contains("desk[1] (\"Balie 2\") has no pin_hash"), "{said}");
    assert!(!said.contains("no desk can sign in"), "{said}");
}

#[test]
fn a_boot_config_with_the_samples_public_pin_is_never_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let boot = dir.path().join("boot-loket.toml");
    std::fs::write(&boot, installed_with_the_sample_pin()).unwrap();
    let (_, stderr) = take_boot_config(&state, &boot);
    assert!(stderr.contains("refused") && stderr.contains("desk[0].pin_hash"), "{stderr}");
    let good = std::fs::read_to_string(state.join("loket.toml")).unwrap();
    assert_eq!(good, std::fs::read_to_string("debian/loket.toml").unwrap(), "the packaged one, no PIN");
}

#[test]
fn hash_pin_refuses_a_pin_shorter_than_6_digits() {
    let hash = |pin: &str| {
        let mut child = loket()
            .arg("hash-pin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("{pin}\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = hash("2468");
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "no hash for it: {stdout}");
    assert!(stderr.contains("4 digits is too short") && stderr.contains("6 to 12 digits"), "{stderr}");
    let (code, stdout, stderr) = hash("482193");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(loket_protocol::secret::verify("482193", stdout.trim()), "{stdout}");
}

/// Runs take-boot-config against a state dir, with `boot` as the boot partition's file.
fn take_boot_config(state: &Path, boot: &Path) -> (String, String) {
    let out = Command::new("sh")
        .arg("systemd/take-boot-config")
        .env("LOKET_BOOT_CONFIG", boot)
        .env("LOKET_STATE_DIR", state)
        .env("LOKET_DEFAULT_CONFIG", "debian/loket.toml")
        .env("LOKET_BIN", env!("CARGO_BIN_EXE_loket"))
        .output()
        .unwrap();
    assert!(out.status.success(), "it never stops the kiosk from starting");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_valid_boot_config_is_adopted_and_a_broken_one_leaves_the_last_good_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let boot = dir.path().join("boot-loket.toml");
    let good = state.join("loket.toml");

    // First start, nothing on the boot partition: the packaged default.
    let (stdout, _) = take_boot_config(&state, &boot);
    assert!(stdout.contains("packaged config"), "{stdout}");
    assert_eq!(std::fs::read(&good).unwrap(), std::fs::read("debian/loket.toml").unwrap());

    // The installer names the help point: adopted.
    let installed = std::fs::read_to_string("debian/loket.toml").unwrap();
    let renamed = installed.replace("name = \"Digilabo\"", "name = \"Bib Noord\"");
    std::fs::write(&boot, &renamed).unwrap();
    let (stdout, _) = take_boot_config(&state, &boot);
    assert!(stdout.contains("adopted"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&good).unwrap(), renamed);

    // A typo: refused with the key named, the last good one stays.
    let broken = renamed.replace("idle_timeout_seconds = 45", "idle_timeout_seconds = 4");
    std::fs::write(&boot, &broken).unwrap();
    let (_, stderr) = take_boot_config(&state, &boot);
    assert!(stderr.contains("refused") && stderr.contains("kiosk.idle_timeout_seconds"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&good).unwrap(), renamed);
    // The kiosk shows the reason on its welcome screen (read as `loket run` reads it).
    let why = loket::setup::refused_boot_config(&good).expect("the reason is kept for the kiosk");
    assert!(why.contains("kiosk.idle_timeout_seconds = 4"), "{why}");
    // The next start does not check it again, but still says so.
    let (_, stderr) = take_boot_config(&state, &boot);
    assert!(stderr.contains("still the refused config"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&good).unwrap(), renamed);
    // Corrected: adopted, and nothing is shown any more.
    std::fs::write(&boot, renamed.replace("name = \"Bib Noord\"", "name = \"Bib Zuid\"")).unwrap();
    let (stdout, _) = take_boot_config(&state, &boot);
    assert!(stdout.contains("adopted"), "{stdout}");
    assert_eq!(loket::setup::refused_boot_config(&good), None);
}

/// What a fake systemd received on its notify socket, with the time each message came.
fn listen_for_notifications(socket: UnixDatagram) -> std::sync::mpsc::Receiver<(Instant, String)> {
    let (send, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = socket.recv(&mut buf) {
            if send.send((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned())).is_err() {
                return;
            }
        }
    });
    received
}

fn wait_for(
    received: &std::sync::mpsc::Receiver<(Instant, String)>,
    what: &str,
    within: Duration,
) -> Vec<(Instant, String)> {
    let until = Instant::now() + within;
    let mut seen = Vec::new();
    while let Ok(message) = received.recv_timeout(until.saturating_duration_since(Instant::now())) {
        let found = message.1.contains(what);
        seen.push(message);
        if found {
            return seen;
        }
    }
    panic!("no {what:?} within {within:?}; got {seen:?}");
}

#[test]
fn a_headless_kiosk_says_ready_feeds_the_watchdog_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    let received = listen_for_notifications(socket);
    let data = dir.path().join("data");
    let mut child = loket()
        .args(["run", "--headless", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "300000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let ready = wait_for(&received, "READY=1", Duration::from_secs(30));
    assert!(ready.last().unwrap().1.contains("STATUS=Digilabo (2 desks)"), "{ready:?}");
    let pings = wait_for(&received, "WATCHDOG=1", Duration::from_secs(2));
    let first_ping = pings.last().unwrap().0;
    for _ in 0..3 {
        wait_for(&received, "WATCHDOG=1", Duration::from_secs(1));
    }
    assert!(first_ping.elapsed() < Duration::from_secs(1), "pinged every 100 ms (WatchdogSec/3)");

    // SAFETY: kill sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    wait_for(&received, "STOPPING=1", Duration::from_secs(10));
    let status = child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(status.success(), "SIGTERM is a clean stop: {status:?}\n{log}");
    assert!(log.contains("SIGTERM received") && log.contains("store checkpointed"), "{log}");
    let wal = data.join("loket.sqlite-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "the WAL was checkpointed");
}

/// `[package.metadata.deb]` as cargo-deb reads it: every asset that is not a build output
/// exists, and each goes where the unit, the installed config and the image expect it. The kiosk's
/// package carries nothing of loket-central (its own package, checked in its crate).
#[test]
fn the_package_metadata_puts_every_file_where_the_kiosk_looks_for_it() {
    let manifest: toml::Table = std::fs::read_to_string("Cargo.toml").unwrap().parse().unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let assets: Vec<(String, String, String)> = deb["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let a = a.as_array().unwrap();
            (a[0].as_str().unwrap().into(), a[1].as_str().unwrap().into(), a[2].as_str().unwrap().into())
        })
        .collect();
    let target =
        |src: &str| assets.iter().find(|(s, _, _)| s == src).map(|(_, d, m)| (d.as_str(), m.as_str()));
    assert_eq!(target("target/release/loket"), Some(("usr/bin/", "755")));
    assert_eq!(target("systemd/take-boot-config"), Some(("usr/lib/loket/take-boot-config", "755")));
    assert_eq!(target("debian/loket.toml"), Some(("etc/loket/loket.toml", "644")));
    assert_eq!(target("content/**/*"), Some(("usr/share/loket/content/", "644")));
    for (src, dest, _) in &assets {
        assert!(!src.contains("central") && !dest.contains("central"), "the kiosk's package carries {src}");
        if src.starts_with("target/") {
            continue;
        }
        let base = src.trim_end_matches("**/*");
        assert!(Path::new(base).exists(), "asset {src} does not exist");
    }
    assert_eq!(deb["maintainer-scripts"].as_str(), Some("debian/"));
    assert!(Path::new("debian/postinst").exists());
    // The one unit the package installs is the one in systemd/, enabled; its ExecStart names the
    // installed binary, and take-boot-config where the package puts it.
    let units = deb["systemd-units"].as_table().expect("one unit");
    assert_eq!(units["unit-name"].as_str(), Some("loket"));
    assert_eq!(units["unit-scripts"].as_str(), Some("systemd/"));
    assert_eq!(units["enable"].as_bool(), Some(true));
    let kiosk_unit = std::fs::read_to_string("systemd/loket.service").unwrap();
    assert!(kiosk_unit.contains("ExecStart=/usr/bin/loket "), "{kiosk_unit}");
    assert!(kiosk_unit.contains("/usr/lib/loket/take-boot-config"), "{kiosk_unit}");
    assert!(!Path::new("systemd/loket-central.service").exists(), "central's unit is in its crate");
    // The installed config is valid as it is.
    let installed = loket::config::Config::load(Path::new("debian/loket.toml")).unwrap();
    assert_eq!(installed.learning.content_dir, PathBuf::from("/usr/share/loket/content"));
    let depends = deb["depends"].as_str().unwrap();
    for needed in [
        "libfontconfig1",
        "libinput10",
        "libgbm1",
        "libdrm2",
        "libudev1",
        "libxkbcommon0",
        "espeak-ng",
        "alsa-utils",
    ] {
        assert!(depends.contains(needed), "the package does not depend on {needed}: {depends}");
    }
}

/// The rpi-image-gen recipe, checked offline as `image-build/check-recipe` does (its YAML, the
/// files its hooks copy, the settings the appliance depends on).
#[test]
fn the_image_recipe_passes_its_offline_check() {
    let out = Command::new("image-build/check-recipe")
        .output()
        .expect("image-build/check-recipe runs (python3-yaml)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One HTTP/1.1 request to 127.0.0.1:`port`; the whole answer.
fn http(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

#[test]
fn a_kiosk_run_from_a_config_file_never_signs_in_with_the_samples_public_pin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("loket.toml");
    std::fs::write(&config, installed_with_the_sample_pin()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = dir.path().join("log");
    let mut child = loket()
        .args(["run", "--headless", "--listen", &format!("127.0.0.1:{port}"), "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "{}", std::fs::read_to_string(&log).unwrap());
        assert!(start.elapsed() < Duration::from_secs(30), "no staff console");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = r#"{"desk": "desk-1", "pin": "2468"}"#;
    let answer = http(
        port,
        &format!(
            "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    let _ = child.kill();
    child.wait().unwrap();
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "the public PIN is not taken: {answer}\n{said}");
    assert!(said.contains("ERROR") && said.contains("desk[0].pin_hash"), "the journal says why: {said}");
}
