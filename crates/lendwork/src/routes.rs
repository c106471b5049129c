//! Spin's HTTP route syntax and matching.
//!
//! A route is a path of literal segments, `:name` parameter segments, and an optional
//! trailing `/...` wildcard. Like Spin, an exact route beats a wildcard, and among matches
//! the route with more literal segments wins, so `/v1/ledger/...` takes precedence over
//! `/...`.

use std::fmt;

use anyhow::{Result, bail};

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePattern {
    segments: Vec<Segment>,
    wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The result of matching a path against a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Named parameters, in route order.
    pub params: Vec<(String, String)>,
    /// The path after the matched part of a wildcard route (`/books/7`), or empty.
    pub path_info: String,
}

impl RoutePattern {
    /// Parses a route as written in `[[trigger.http]]`.
    pub fn parse(route: &str) -> Result<RoutePattern> {
        if !route.starts_with('/') {
            bail!("route `{route}` must start with `/`");
        }
        let mut segments = Vec::new();
        let mut wildcard = false;
        let parts: Vec<&str> = route[1..].split('/').collect();
        for (index, part) in parts.iter().enumerate() {
            let last = index + 1 == parts.len();
            match *part {
                "" if last => {}
                "" => bail!("route `{route}` has an empty segment"),
                "..." if last => wildcard = true,
                "..." => bail!("route `{route}`: `...` may only end a route"),
                p if p.starts_with(':') => {
                    let name = &p[1..];
                    if name.is_empty() {
                        bail!("route `{route}` has a parameter without a name");
                    }
                    segments.push(Segment::Param(name.to_string()));
                }
                p => segments.push(Segment::Literal(p.to_string())),
            }
        }
        Ok(RoutePattern { segments, wildcard })
    }

    /// Whether the route ends in `/...`.
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// The route without its wildcard, as Spin reports in `spin-component-route`.
    pub fn prefix(&self) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(s) => out.push_str(s),
                Segment::Param(s) => {
                    out.push(':');
                    out.push_str(s);
                }
            }
        }
        out
    }

    /// Matches a request path (without query string).
    pub fn matches(&self, path: &str) -> Option<RouteMatch> {
        let trimmed = path.strip_prefix('/')?;
        let mut parts = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split('/').collect::<Vec<_>>()
        };
        // `/users/` is the same resource as `/users` for exact routes, as in Spin.
        if !self.wildcard && parts.last() == Some(&"") {
            parts.pop();
        }
        if parts.len() < self.segments.len()
            || (!self.wildcard && parts.len() != self.segments.len())
        {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(&parts) {
            match segment {
                Segment::Literal(lit) if lit == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), (*part).to_string())),
            }
        }
        let rest = &parts[self.segments.len()..];
        let path_info = if rest.is_empty() {
            String::new()
        } else {
            format!("/{}", rest.join("/"))
        };
        Some(RouteMatch { params, path_info })
    }

    /// Orders candidate matches: exact routes first, then more segments, then more literals.
    fn specificity(&self) -> (bool, usize, usize) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        (!self.wildcard, self.segments.len(), literals)
    }
}

impl fmt::Display for RoutePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.prefix();
        match (prefix.is_empty(), self.wildcard) {
            (true, true) => f.write_str("/..."),
            (true, false) => f.write_str("/"),
            (false, true) => write!(f, "{prefix}/..."),
            (false, false) => f.write_str(&prefix),
        }
    }
}

/// A table of routes to values, matched by Spin's precedence rules.
#[derive(Debug, Clone)]
pub struct Router<T> {
    routes: Vec<(RoutePattern, T)>,
}

impl<T> Router<T> {
    /// Builds a router; the order of `routes` does not matter.
    pub fn new(mut routes: Vec<(RoutePattern, T)>) -> Router<T> {
        routes.sort_by_key(|(pattern, _)| std::cmp::Reverse(pattern.specificity()));
        Router { routes }
    }

    /// The most specific route matching `path`.
    pub fn route(&self, path: &str) -> Option<(&RoutePattern, &T, RouteMatch)> {
        self.routes
            .iter()
            .find_map(|(pattern, value)| pattern.matches(path).map(|m| (pattern, value, m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router<&'static str> {
        let routes = [
            "/...",
            "/v1/ledger/...",
            "/v1/health",
            "/v1/loans/:id/payments",
            "/v1/loans/...",
        ];
        Router::new(
            routes
                .iter()
                .map(|r| (RoutePattern::parse(r).unwrap(), *r))
                .collect(),
        )
    }

    #[test]
    fn exact_beats_wildcard_and_longer_prefix_wins() {
        let r = router();
        assert_eq!(*r.route("/v1/health").unwrap().1, "/v1/health");
        assert_eq!(*r.route("/v1/health/x").unwrap().1, "/...");
        assert_eq!(*r.route("/v1/ledger/books/7").unwrap().1, "/v1/ledger/...");
        assert_eq!(*r.route("/v1/ledger").unwrap().1, "/v1/ledger/...");
        assert_eq!(*r.route("/v1/ledgerx").unwrap().1, "/...");
        assert_eq!(*r.route("/").unwrap().1, "/...");
    }

    #[test]
    fn wildcard_reports_path_info() {
        let r = router();
        let (_, _, m) = r.route("/v1/ledger/books/7/entries").unwrap();
        assert_eq!(m.path_info, "/books/7/entries");
        let (_, _, m) = r.route("/v1/ledger").unwrap();
        assert_eq!(m.path_info, "");
    }

    #[test]
    fn parameters_are_extracted() {
        let r = router();
        let (pattern, _, m) = r.route("/v1/loans/L-1/payments").unwrap();
        assert_eq!(pattern.to_string(), "/v1/loans/:id/payments");
        assert_eq!(m.params, vec![("id".to_string(), "L-1".to_string())]);
        assert_eq!(*r.route("/v1/loans/L-1/other").unwrap().1, "/v1/loans/...");
    }

    #[test]
    fn exact_route_tolerates_trailing_slash() {
        assert!(
            RoutePattern::parse("/v1/health")
                .unwrap()
                .matches("/v1/health/")
                .is_some()
        );
    }

    #[test]
    fn rejects_malformed_routes() {
        for bad in ["v1", "/a//b", "/.../a", "/a/:"] {
            assert!(RoutePattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_as_written() {
        for route in ["/...", "/", "/v1/ledger/...", "/v1/loans/:id"] {
            assert_eq!(RoutePattern::parse(route).unwrap().to_string(), route);
        }
    }
}
