//! The desks' signed-in sessions, kept so that restarting the kiosk does not sign every desk
//! out. A session is stored by a hash of its id (the cookie's value never reaches the disk),
//! with its desk, a hash of the desk's PIN hash at sign-in (a changed PIN ends it) and when it
//! ends. Sessions past their end are deleted whenever one is stored.
//!
//! It must not decide who is signed in (that is `web::auth`, which hashes the ids and checks
//! the PIN), nor keep a PIN, a session id or a CSRF token.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A desk's session as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// A hash of the session id.
    pub id_hash: String,
    pub desk: String,
    /// A hash of the desk's PIN hash when it signed in.
    pub pin_hash: String,
    pub expires_at: Timestamp,
}

impl Store {
    /// Keeps a new session, and forgets the ones that have ended by `now`.
    pub fn save_desk_session(&mut self, session: &StoredSession, now: Timestamp) -> Result<(), StoreError> {
        let result = self.write_desk_session(session, now);
        self.wrote(result)
    }

    fn write_desk_session(&mut self, session: &StoredSession, now: Timestamp) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        // Timestamps are stored in one UTC form, so text order is time order.
        tx.execute("DELETE FROM desk_session WHERE expires_at <= ?1", [now.to_string()])?;
        tx.execute(
            "INSERT OR REPLACE INTO desk_session (id_hash, desk, pin_hash, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![session.id_hash, session.desk, session.pin_hash, session.expires_at.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The session with this id hash, if it is kept (ended or not: the caller decides).
    pub fn desk_session(&self, id_hash: &str) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT desk, pin_hash, expires_at FROM desk_session WHERE id_hash = ?1",
                [id_hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((desk, pin_hash, expires_at)) = row else { return Ok(None) };
        let expires_at = expires_at
            .parse()
            .map_err(|e| StoreError::Damaged(format!("desk_session.expires_at {expires_at:?}: {e}")))?;
        Ok(Some(StoredSession { id_hash: id_hash.to_owned(), desk, pin_hash, expires_at }))
    }

    /// Forgets a session (signed out, ended, or its desk's PIN changed).
    pub fn end_desk_session(&mut self, id_hash: &str) -> Result<(), StoreError> {
        let result = self.conn.execute("DELETE FROM desk_session WHERE id_hash = ?1", [id_hash]);
        self.wrote(result.map(drop).map_err(StoreError::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str, expires_at: &str) -> StoredSession {
        StoredSession {
            id_hash: id.into(),
            desk: "desk-1".into(),
            pin_hash: "pin".into(),
            expires_at: expires_at.parse().unwrap(),
        }
    }

    #[test]
    fn a_session_is_kept_until_it_is_ended() {
        let mut store = Store::open_in_memory().unwrap();
        let now: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let kept = session("a", "2026-11-30T21:00:00Z");
        store.save_desk_session(&kept, now).unwrap();
        assert_eq!(store.desk_session("a").unwrap(), Some(kept));
        assert_eq!(store.desk_session("b").unwrap(), None);
        store.end_desk_session("a").unwrap();
        assert_eq!(store.desk_session("a").unwrap(), None);
    }

    #[test]
    fn ended_sessions_are_deleted_when_another_is_stored() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .save_desk_session(
                &session("old", "2026-11-30T10:00:00Z"),
                "2026-11-30T09:00:00Z".parse().unwrap(),
            )
            .unwrap();
        store
            .save_desk_session(
                &session("new", "2026-11-30T23:00:00Z"),
                "2026-11-30T11:00:00Z".parse().unwrap(),
            )
            .unwrap();
        assert_eq!(store.desk_session("old").unwrap(), None);
        assert!(store.desk_session("new").unwrap().is_some());
    }
}
