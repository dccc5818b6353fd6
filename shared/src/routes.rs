//! The API's routes and the function serving each: the one table in code. template.yaml's
//! HttpApi events and functions/Cargo.toml's `cargo lambda watch` router say the same (a test
//! in tests/api/routes.rs reads both and compares).

/// One route: `{name}` path segments match any one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The function (binary in `functions/src/bin`) serving it.
    pub function: &'static str,
}

const fn route(method: &'static str, path: &'static str, function: &'static str) -> Route {
    Route {
        method,
        path,
        function,
    }
}

pub const ROUTES: &[Route] = &[
    route("POST", "/v4/inbox/connect", "connect"),
    route("GET", "/v4/inbox/callback", "callback"),
    route("POST", "/v4/inbox/status", "status"),
    route("POST", "/v4/inbox/disconnect", "disconnect"),
    route("POST", "/v4/inbox/token", "token"),
    route("POST", "/v4/inbox/cas", "cas"),
    route("POST", "/v4/smart/parse", "parse"),
    route("POST", "/v4/cams_kfintech/parse", "parse"),
    route("POST", "/v4/cdsl/parse", "parse"),
    route("POST", "/v4/nsdl/parse", "parse"),
    route("GET", "/v4/files/{connection}/{filename}", "download"),
    // Scheduled imports' API (`imports_lambda`, its own dispatch; not in `handlers`).
    route("POST", "/v4/inbox/import", "imports_api"),
    route("GET", "/v4/inbox/imports", "imports_api"),
    route("POST", "/v4/webhook", "imports_api"),
];

impl Route {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        self.method == method
            && loop {
                match (want.next(), got.next()) {
                    (None, None) => break true,
                    (Some(w), Some(_)) if w.starts_with('{') && w.ends_with('}') => {}
                    (Some(w), Some(g)) if w == g => {}
                    _ => break false,
                }
            }
    }
}

/// The route a request takes, if any.
pub fn find(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|r| r.matches(method, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_route_and_nothing_else() {
        assert_eq!(find("POST", "/v4/inbox/cas").unwrap().function, "cas");
        assert_eq!(
            find("GET", "/v4/files/c/f.pdf").unwrap().function,
            "download"
        );
        assert!(find("GET", "/v4/inbox/cas").is_none());
        assert!(find("GET", "/v4/files/c/f/g").is_none());
        assert!(find("GET", "/v4/files/c").is_none());
        assert!(find("POST", "/v4/inbox/cas/").is_none());
    }
}
