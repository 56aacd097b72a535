//! loket-central as a Debian package: its systemd unit as systemd reads it, and
//! `[package.metadata.deb]` as cargo-deb reads it — every asset exists and lands where the unit
//! expects it, the installed config is valid, and nothing of the kiosk comes along.

use std::path::{Path, PathBuf};

#[test]
fn systemd_accepts_the_unit_without_a_single_warning() {
    let installed = [(Path::new(env!("CARGO_BIN_EXE_loket-central")), "usr/bin/loket-central")];
    let unit = Path::new("systemd/loket-central.service");
    if let Err(said) = loket_testkit::systemd::verify(unit, &installed) {
        panic!("{said}");
    }
}

#[test]
fn systemd_scores_the_unit_below_2() {
    let unit = Path::new("systemd/loket-central.service");
    let exposure = loket_testkit::systemd::exposure(unit).unwrap();
    println!("systemd-analyze security --offline=true {}: {exposure}", unit.display());
    assert!(exposure < 2.0, "loket-central.service is exposed {exposure} (below 2.0 wanted)");
    let readme = std::fs::read_to_string("../README.md").unwrap();
    assert!(readme.contains(&format!("loket-central.service scores {exposure}")), "the README gives it");
}

#[test]
fn the_package_metadata_puts_every_file_where_the_server_looks_for_it() {
    let manifest: toml::Table = std::fs::read_to_string("Cargo.toml").unwrap().parse().unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    assert_eq!(deb["name"].as_str(), Some("loket-central"));
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
    assert_eq!(target("target/release/loket-central"), Some(("usr/bin/", "755")));
    assert_eq!(target("debian/central.toml"), Some(("etc/loket/central.toml", "644")));
    assert_eq!(target("README.md"), Some(("usr/share/doc/loket-central/README.md", "644")));
    assert_eq!(assets.len(), 3, "only the server's files: {assets:?}");
    for (src, _, _) in &assets {
        if !src.starts_with("target/") {
            assert!(Path::new(src).exists(), "asset {src} does not exist");
        }
    }
    let license = deb["license-file"].as_array().unwrap()[0].as_str().unwrap();
    assert!(Path::new(license).exists(), "{license}");
    // The maintainer script makes the user the unit runs as.
    let scripts = deb["maintainer-scripts"].as_str().unwrap();
    let postinst = std::fs::read_to_string(Path::new(scripts).join("postinst")).unwrap();
    assert!(postinst.contains("adduser --system") && postinst.contains("#DEBHELPER#"), "{postinst}");
    // The unit the package installs (and enables) is the one in systemd/; it starts the installed
    // binary with the installed config, as the user postinst makes, and documents the README
    // where the package puts it.
    let units = deb["systemd-units"].as_table().expect("one unit");
    assert_eq!(units["unit-name"].as_str(), Some("loket-central"));
    assert_eq!(units["enable"].as_bool(), Some(true));
    let unit_dir = units["unit-scripts"].as_str().unwrap();
    let unit = std::fs::read_to_string(Path::new(unit_dir).join("loket-central.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/loket-central --config /etc/loket/central.toml"), "{unit}");
    assert!(unit.contains("Documentation=file:/usr/share/doc/loket-central/README.md"), "{unit}");
    // Its own user, never the kiosk's: postinst makes it and hands it an older install's data.
    assert!(unit.contains("User=loket-central\n") && unit.contains("Group=loket-central\n"), "{unit}");
    assert!(
        postinst.contains("adduser --system --group") && postinst.contains("loket-central"),
        "{postinst}"
    );
    assert!(postinst.contains("chown -R loket-central:loket-central /var/lib/loket-central"), "{postinst}");
    assert!(unit.contains("LimitNOFILE=8192") && unit.contains("SystemCallFilter=@system-service"), "{unit}");
    assert!(unit.contains("StateDirectory=loket-central"), "{unit}");
    // The installed config is valid as it is, and keeps its data where the unit's StateDirectory is.
    let config = loket_central::config::CentralConfig::load(Path::new("debian/central.toml")).unwrap();
    assert_eq!(config.data_dir, Some(PathBuf::from("/var/lib/loket-central")));
    // A server: none of the kiosk's screen, speech or font libraries.
    let depends = deb["depends"].as_str().unwrap();
    for kiosk_only in ["fontconfig", "mesa", "espeak", "libgbm", "libinput", "alsa", "libegl", "libgles"] {
        assert!(!depends.contains(kiosk_only), "loket-central depends on {kiosk_only}: {depends}");
    }
}
