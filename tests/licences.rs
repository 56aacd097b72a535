//! The licence check: every package Loket is built from — each workspace member and every
//! dependency, normal, build and dev, for every feature and platform — may be used under a
//! licence on the allow-list in `licences.toml`, so that the whole can be distributed under
//! GPL-3.0-or-later.
//!
//! It reads `cargo metadata` and evaluates each package's SPDX `license` expression (AND, OR,
//! WITH, parentheses): an OR needs one allowed side, an AND both. A package that names only a
//! licence file must be listed in `licences.toml` with what that file says and why it is fine.
//! A failure names the package, its version and its licence. Needs no tool beyond cargo.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

/// `licences.toml`: the licences a dependency may be used under, and the packages that only
/// ship a licence file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowList {
    /// SPDX licence identifiers, e.g. `MIT`, `Apache-2.0`.
    allow: Vec<String>,
    /// SPDX exception identifiers allowed after `WITH`, e.g. `LLVM-exception`.
    #[serde(default)]
    exceptions: Vec<String>,
    /// Packages whose manifest has `license-file` but no `license`, by name.
    #[serde(default)]
    file_only: BTreeMap<String, FileOnly>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Read by people: the check only needs the package to be listed.
struct FileOnly {
    /// What the licence file says, as an SPDX expression if it has one.
    licence: String,
    /// Why that is compatible with GPL-3.0-or-later.
    reason: String,
}

/// A package as `cargo metadata` describes it (the fields the check reads).
#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    version: String,
    license: Option<String>,
    license_file: Option<String>,
}

/// Why a package may not be used.
#[derive(Debug, PartialEq)]
struct Refusal {
    package: String,
    version: String,
    licence: String,
    why: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: licence {:?} {}", self.package, self.version, self.licence, self.why)
    }
}

impl AllowList {
    fn read() -> AllowList {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/licences.toml");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Whether one licence (with its exception, if any) is allowed.
    fn allows(&self, requirement: &spdx::LicenseReq) -> bool {
        let licence_allowed = match &requirement.license {
            spdx::LicenseItem::Spdx { id, .. } => self.allow.iter().any(|a| a == id.name),
            // LicenseRef-…: a licence outside the SPDX list is never allowed by name alone.
            spdx::LicenseItem::Other(_) => false,
        };
        let exception_allowed = match &requirement.addition {
            None => true,
            Some(spdx::AdditionItem::Spdx(id)) => self.exceptions.iter().any(|e| e == id.name),
            Some(spdx::AdditionItem::Other(_)) => false,
        };
        licence_allowed && exception_allowed
    }

    /// Checks one package: its `license` expression must be satisfiable with allowed licences,
    /// or it must be listed under `file_only` when it has a licence file only.
    fn check(&self, package: &Package) -> Result<(), Refusal> {
        let refuse = |licence: &str, why: String| Refusal {
            package: package.name.clone(),
            version: package.version.clone(),
            licence: licence.to_owned(),
            why,
        };
        let Some(licence) = &package.license else {
            return match (&package.license_file, self.file_only.contains_key(&package.name)) {
                (Some(_), true) => Ok(()),
                (Some(file), false) => Err(refuse(
                    "",
                    format!("is only in the file {file}: list the package under [file_only] with a reason"),
                )),
                (None, _) => Err(refuse("", "is not stated".into())),
            };
        };
        let expression = spdx::Expression::parse_mode(licence, spdx::ParseMode::LAX)
            .map_err(|e| refuse(licence, format!("is not an SPDX expression: {e}")))?;
        expression.evaluate_with_failures(|requirement| self.allows(requirement)).map_err(|missing| {
            let missing: Vec<String> = missing.iter().map(|m| m.req.to_string()).collect();
            refuse(
                licence,
                format!("is not GPL-3.0-compatible: not on the allow-list: {}", missing.join(", ")),
            )
        })
    }
}

/// Every package in the build graph of every workspace member, for all features (the Pi's and
/// the desktop's) and all platforms.
fn packages_in_the_build() -> Vec<Package> {
    #[derive(Deserialize)]
    struct Metadata {
        packages: Vec<Package>,
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--all-features", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let metadata: Metadata = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    metadata.packages
}

#[test]
fn every_package_may_be_used_under_a_gpl_3_compatible_licence() {
    let allow = AllowList::read();
    let packages = packages_in_the_build();
    assert!(packages.len() > 100, "cargo metadata listed only {} packages", packages.len());
    assert!(packages.iter().any(|p| p.name == "slint"), "the dependencies are listed, not only Loket");
    let refused: Vec<String> =
        packages.iter().filter_map(|p| allow.check(p).err()).map(|r| r.to_string()).collect();
    assert!(refused.is_empty(), "licences not on the allow-list in licences.toml:\n{}", refused.join("\n"));
}

#[test]
fn every_package_listed_as_file_only_is_still_in_the_build() {
    let allow = AllowList::read();
    let packages = packages_in_the_build();
    for name in allow.file_only.keys() {
        assert!(
            packages.iter().any(|p| &p.name == name && p.license.is_none()),
            "licences.toml lists {name} under [file_only], but no package of that name without a \
             licence expression is in the build any more: remove it"
        );
    }
}

fn package(name: &str, license: Option<&str>, license_file: Option<&str>) -> Package {
    Package {
        name: name.into(),
        version: "1.2.3".into(),
        license: license.map(Into::into),
        license_file: license_file.map(Into::into),
    }
}

fn allow_list() -> AllowList {
    toml::from_str(
        r#"
        allow = ["MIT", "Apache-2.0", "ISC", "GPL-3.0-only", "Unicode-3.0"]
        exceptions = ["LLVM-exception"]
        [file_only.quirky]
        licence = "MIT"
        reason = "the file is the MIT licence"
        "#,
    )
    .unwrap()
}

#[test]
fn allowed_expressions_pass() {
    let allow = allow_list();
    for licence in [
        "MIT",
        "MIT OR Apache-2.0",
        "MIT/Apache-2.0",
        "Apache-2.0 AND ISC",
        "(MIT OR Apache-2.0) AND Unicode-3.0",
        "Apache-2.0 WITH LLVM-exception OR MIT",
        "Apache-2.0 WITH LLVM-exception",
        "GPL-3.0-only OR LicenseRef-Slint-Royalty-free-2.0 OR LicenseRef-Slint-Software-3.0",
        "OpenSSL OR MIT",
    ] {
        assert_eq!(allow.check(&package("fine", Some(licence), None)), Ok(()), "{licence}");
    }
}

#[test]
fn a_disallowed_licence_fails_with_the_package_version_and_licence() {
    let allow = allow_list();
    for licence in [
        "GPL-2.0-only",
        "MIT AND OpenSSL",
        "(MIT OR Apache-2.0) AND BUSL-1.1",
        "Apache-2.0 WITH Classpath-exception-2.0",
        "LicenseRef-Proprietary",
        "SSPL-1.0 OR LicenseRef-Commercial",
    ] {
        let refusal = allow.check(&package("evil", Some(licence), None)).unwrap_err();
        assert_eq!((refusal.package.as_str(), refusal.version.as_str()), ("evil", "1.2.3"));
        assert_eq!(refusal.licence, licence);
        let message = refusal.to_string();
        assert!(message.starts_with("evil 1.2.3: licence") && message.contains(licence), "{message}");
    }
    let refusal = allow.check(&package("evil", Some("MIT AND OpenSSL"), None)).unwrap_err();
    assert!(refusal.why.ends_with("not on the allow-list: OpenSSL"), "names what is missing: {refusal}");
}

#[test]
fn a_licence_that_is_no_spdx_expression_fails() {
    let refusal = allow_list().check(&package("odd", Some("MIT OR"), None)).unwrap_err();
    assert!(refusal.why.contains("not an SPDX expression"), "{refusal}");
}

#[test]
fn a_licence_file_alone_must_be_listed_with_a_reason() {
    let allow = allow_list();
    assert_eq!(allow.check(&package("quirky", None, Some("LICENSE"))), Ok(()));
    let refusal = allow.check(&package("other", None, Some("LICENSE"))).unwrap_err();
    assert!(refusal.to_string().contains("[file_only]"), "{refusal}");
    let refusal = allow.check(&package("silent", None, None)).unwrap_err();
    assert!(refusal.to_string().contains("not stated"), "{refusal}");
}

#[test]
fn the_checked_in_allow_list_reads_and_holds_no_copyleft_it_should_not() {
    let allow = AllowList::read();
    for forbidden in ["GPL-2.0-only", "LGPL-2.0-only", "AGPL-3.0-only", "SSPL-1.0", "OpenSSL", "BUSL-1.1"] {
        assert!(!allow.allow.iter().any(|a| a == forbidden), "{forbidden} is not GPL-3.0-compatible");
    }
    for id in &allow.allow {
        assert!(spdx::license_id(id).is_some(), "licences.toml: {id:?} is not an SPDX licence identifier");
    }
    for id in &allow.exceptions {
        assert!(
            spdx::exception_id(id).is_some(),
            "licences.toml: {id:?} is not an SPDX exception identifier"
        );
    }
}
