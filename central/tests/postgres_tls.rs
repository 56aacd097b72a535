//! loket-central to PostgreSQL over TLS, against a real PostgreSQL the test kit starts with a
//! certificate made here, that takes TCP connections over TLS only: `verify-full` connects when
//! the certificate chains to `ca_file` and names the host, and refuses another CA or another
//! name; `require` connects without checking the certificate but never in plain text; `disable`
//! is refused by a server that wants TLS.

mod common;

use std::path::Path;

use loket_central::config::{CentralConfig, SslMode};
use loket_central::postgres::Postgres;
use loket_central::store::CentralStore;

/// A self-signed certificate for these names, and its private key (PEM).
fn certificate(names: &[&str]) -> (String, String) {
    let cert =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    (cert.cert.pem(), cert.signing_key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn verify_full_connects_to_the_server_its_ca_vouches_for_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(&["localhost"]);
    let cluster = common::postgres::start_postgres_with_tls(&cert, &key);
    let database = cluster.create_database("tls_verify_full");
    let name = database.rsplit('/').next().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &cert);
    // The host the certificate names, reached at the cluster's address.
    let url = format!("postgres://postgres@localhost:{}/{name}?hostaddr=127.0.0.1", cluster.port);

    // The way the command line opens it: the config's keys.
    let config: CentralConfig = format!(
        "[database]\nurl = \"{url}\"\nsslmode = \"verify-full\"\nca_file = \"{}\"\n",
        ca_file.display()
    )
    .parse()
    .unwrap();
    let store = loket_central::cli::open_store(&config, dir.path()).unwrap();
    store.set_admin("admin", "not a real hash").unwrap();
    assert!(store.sites().unwrap().is_empty());
    drop(store);

    let (other, _) = certificate(&["localhost"]);
    let other_ca = write(dir.path(), "other-ca.pem", &other);
    let refused = Postgres::open_with(&url, SslMode::VerifyFull, Some(&other_ca)).err().expect("another CA");
    assert!(refused.to_string().contains("invalid peer certificate"), "{refused}");

    let by_address = format!("postgres://postgres@127.0.0.1:{}/{name}", cluster.port);
    let refused =
        Postgres::open_with(&by_address, SslMode::VerifyFull, Some(&ca_file)).err().expect("another name");
    assert!(refused.to_string().contains("invalid peer certificate"), "{refused}");

    let empty = write(dir.path(), "empty.pem", "");
    let refused = Postgres::open_with(&url, SslMode::VerifyFull, Some(&empty)).err().expect("no CA");
    assert!(refused.to_string().contains("no certificate in this file"), "{refused}");
}

#[test]
fn require_never_speaks_plain_text_and_disable_is_refused_by_a_server_that_wants_tls() {
    let (cert, key) = certificate(&["db.example.org"]);
    let tls_cluster = common::postgres::start_postgres_with_tls(&cert, &key);
    let url = tls_cluster.create_database("tls_require");

    // Encrypted, the certificate not checked (it names another host and no CA vouches for it).
    let store = Postgres::open_with(&url, SslMode::Require, None).unwrap();
    assert!(store.sites().unwrap().is_empty());
    drop(store);

    // This server takes TCP connections over TLS only: plain text does not get in.
    let refused = Postgres::open_with(&url, SslMode::Disable, None).err().expect("plain text refused");
    assert!(refused.to_string().contains("no encryption"), "{refused}");

    // A server without TLS: require does not fall back to plain text.
    let (_plain_cluster, plain_url) = common::postgres::postgres_database();
    let refused =
        Postgres::open_with(&plain_url, SslMode::Require, None).err().expect("no TLS, no connection");
    assert!(refused.to_string().contains("server does not support TLS"), "{refused}");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "ca.pem", &cert);
    let refused = Postgres::open_with(&plain_url, SslMode::VerifyFull, Some(&ca_file))
        .err()
        .expect("no TLS, no connection");
    assert!(refused.to_string().contains("server does not support TLS"), "{refused}");
}
