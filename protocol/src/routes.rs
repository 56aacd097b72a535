//! A server's route table: every route it serves, with its success status and who may use it,
//! as its OpenAPI document must list them (each server has a test that checks).
//!
//! Generic over who may use a route, so the kiosk's staff server and `loket-central` each name
//! their own kinds of access. It must not know any server's routes.

/// One route of a server; `A` says who may use it (a server's own `Access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<A> {
    pub method: &'static str,
    /// In OpenAPI (and axum) form: `/api/v1/desks/{desk}`.
    pub path: &'static str,
    /// The status of a successful answer.
    pub success: u16,
    pub access: A,
}

/// A [`Route`], short enough for a table.
pub const fn route<A>(method: &'static str, path: &'static str, success: u16, access: A) -> Route<A> {
    Route { method, path, success, access }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_route_keeps_what_it_was_given() {
        const R: super::Route<bool> = super::route("POST", "/api/v1/events", 200, true);
        assert_eq!((R.method, R.path, R.success, R.access), ("POST", "/api/v1/events", 200, true));
    }
}
