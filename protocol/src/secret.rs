//! Desk PINs, API tokens and `loket-central`'s admin passwords: hashed with Argon2id, and
//! checked.
//!
//! The config never holds a PIN or a token, only its hash (`loket hash-pin`,
//! `loket new-api-token`). Checking is deliberately slow (Argon2id with OWASP's parameters),
//! which together with the staff console's rate limit makes guessing a 4-digit PIN useless.
//! It must not log or store a secret.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Why a PIN was refused or could not be hashed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("a PIN must be 4 to 12 digits")]
    BadPin,
    #[error("cannot hash: {0}")]
    Hash(String),
}

fn argon2() -> Argon2<'static> {
    // OWASP (2023): Argon2id, 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a PIN's form: 4 to 12 digits.
pub fn check_pin(pin: &str) -> Result<(), SecretError> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(SecretError::BadPin)
    }
}

/// The Argon2id hash of a secret, in the PHC string form the config takes.
pub fn hash(secret: &str) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| SecretError::Hash(e.to_string()))
}

/// Whether `secret` matches `hash`. A malformed hash matches nothing.
pub fn verify(secret: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A new random API token: 32 bytes as 64 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets (CSRF tokens) in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_pin_only() {
        let h = hash("4821").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(!h.contains("4821"));
        assert!(verify("4821", &h));
        assert!(!verify("4822", &h));
        assert_ne!(h, hash("4821").unwrap(), "salted");
        assert!(!verify("4821", "not a hash"));
    }

    #[test]
    fn pins_are_4_to_12_digits() {
        assert_eq!(check_pin("0000"), Ok(()));
        assert_eq!(check_pin("123"), Err(SecretError::BadPin));
        assert_eq!(check_pin("12a4"), Err(SecretError::BadPin));
        assert_eq!(check_pin("1234567890123"), Err(SecretError::BadPin));
    }

    #[test]
    fn tokens_are_long_and_different() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
