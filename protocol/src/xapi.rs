//! The names of the kiosk's xAPI statements that `loket-central` reads back: the outbox event
//! type and the ADL verbs. The kiosk writes the statements (`loket::xapi`); the central system
//! takes their figures out.
//!
//! Constants only: it must not build or read a statement.

/// ADL verb ids.
pub const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
pub const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";

/// The outbox event type of a statement.
pub const EVENT_TYPE: &str = "xapi_statement";
