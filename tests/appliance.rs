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
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| l.starts_with('#'))
            .filter(|l| !l.starts_with("data_dir =") && !l.starts_with("content_dir ="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(body(&sample), body(&installed), "debian/loket.toml drifted from config/loket.toml");
    let config = loket::config::Config::from_toml(&installed).unwrap();
    assert_eq!(config.kiosk.data_dir, PathBuf::from("/var/lib/loket"));
    assert_eq!(config.learning.content_dir, PathBuf::from("/usr/share/loket/content"));
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
