//! A small declarative router.
//!
//! A component declares its routes once, as data:
//!
//! ```
//! use lendkit::{Access, Ctx, Method, Problem, Role, Route};
//! use spin_sdk::http::Response;
//!
//! fn get_book(ctx: &Ctx<'_>) -> Result<Response, Problem> {
//!     let book = ctx.param("book")?;
//!     lendkit::json::respond(200, &serde_json::json!({ "book": book }))
//! }
//!
//! /// Every route this component serves (checked against the OpenAPI document by tests).
//! pub const ROUTES: &[Route] = &[Route {
//!     method: Method::Get,
//!     path: "/v1/books/{book}",
//!     access: Access::Roles(&[Role::Operations]),
//!     summary: "Read a book",
//!     handler: get_book,
//! }];
//!
//! let found = lendkit::router::match_route(ROUTES, "GET", "/v1/books/main").unwrap();
//! assert_eq!(found.params.get("book"), Some("main"));
//! ```
//!
//! Matching is segment by segment on the request's full path: a literal segment must be
//! equal, a `{name}` segment matches any one non-empty segment and is percent-decoded into
//! [`Params`]. The first route (in table order) whose template and method match wins.
//! A path that matches some template but not with this method gives a 405 problem with
//! an `allow` header; a path that matches nothing gives a 404 problem.

use crate::{Ctx, Problem};
use spin_sdk::http::Response;
use std::fmt;
use std::str::FromStr;

/// Longest request path accepted, in bytes; longer paths get a 400 problem. No Lendwork
/// route comes close; the limit keeps matching cost bounded.
pub const MAX_PATH_BYTES: usize = 2048;

/// Most query parameters accepted on one request; more gets a 400 problem.
pub const MAX_QUERY_PARAMS: usize = 32;

/// A request handler: gets the matched request, returns a response or a problem.
pub type Handler = fn(&Ctx<'_>) -> Result<Response, Problem>;

/// HTTP methods a route can be declared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// Upper-case name, as on the wire (`"GET"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Lower-case name, as an OpenAPI path-item key (`"get"`).
    pub const fn openapi_key(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return Err(()),
        })
    }
}

/// Caller roles. A key in the `api_keys` variable grants exactly one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Borrower-facing channels (web and mobile apps, a lender's own servers).
    Applicant,
    /// Partners and marketplaces.
    Partner,
    /// Brokers submitting on their clients' behalf.
    Broker,
    /// Underwriters reviewing applications.
    Underwriter,
    /// Operations staff.
    Operations,
    /// Collections staff (queues, promises to pay).
    Collections,
    /// Risk teams (policies, backtests).
    Risk,
    /// Administrators: accepted on every non-public route.
    Admin,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: [Role; 8] = [
        Role::Applicant,
        Role::Partner,
        Role::Broker,
        Role::Underwriter,
        Role::Operations,
        Role::Collections,
        Role::Risk,
        Role::Admin,
    ];

    /// The role's name as used in `api_keys` and in OpenAPI `x-roles` (`"operations"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Partner => "partner",
            Role::Broker => "broker",
            Role::Underwriter => "underwriter",
            Role::Operations => "operations",
            Role::Collections => "collections",
            Role::Risk => "risk",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or(())
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials.
    Public,
    /// Callers holding one of these roles. [`Role::Admin`] is always accepted too, whether
    /// listed or not.
    Roles(&'static [Role]),
    /// Partner webhooks: messages signed the Standard Webhooks way by the partner the
    /// route's `{partner}` parameter names (see [`crate::webhook`]); the caller is that
    /// partner, with the [`Role::Partner`] role. No API key is involved.
    PartnerWebhook,
}

impl Access {
    /// Whether a caller with `role` may use the route.
    pub fn allows(&self, role: Role) -> bool {
        match self {
            Access::Public => true,
            Access::Roles(roles) => role == Role::Admin || roles.contains(&role),
            Access::PartnerWebhook => role == Role::Partner,
        }
    }

    /// The roles accepted, admin included, sorted and deduplicated; empty for public.
    /// This is what the OpenAPI `x-roles` extension lists.
    pub fn effective_roles(&self) -> Vec<Role> {
        match self {
            Access::Public => Vec::new(),
            Access::PartnerWebhook => vec![Role::Partner],
            Access::Roles(roles) => {
                let mut all: Vec<Role> = roles.to_vec();
                all.push(Role::Admin);
                all.sort();
                all.dedup();
                all
            }
        }
    }
}

/// One route: method, path template, access, summary and handler.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v1/ledger/books/{book}/entries`, exactly as in the OpenAPI
    /// document.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// One line for humans (OpenAPI `summary`).
    pub summary: &'static str,
    /// The handler.
    pub handler: Handler,
}

impl Route {
    /// The names of the template's `{param}` segments, in order.
    pub fn param_names(&self) -> impl Iterator<Item = &'static str> {
        self.path.split('/').filter_map(param_name)
    }
}

/// Path parameters extracted from a matched request, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The value of parameter `name`, if the template has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All parameters in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

/// Query-string parameters, form-decoded, in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parse a raw query string (without `?`). More than [`MAX_QUERY_PARAMS`] pairs is a
    /// 400 problem.
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            if pairs.len() == MAX_QUERY_PARAMS {
                return Err(Problem::bad_request(format!(
                    "at most {MAX_QUERY_PARAMS} query parameters are accepted"
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name` parsed as `T`; `Ok(None)` when absent, a 400 problem
    /// naming the parameter (not its value) when it does not parse.
    pub fn parse_as<T: FromStr>(&self, name: &str) -> Result<Option<T>, Problem> {
        match self.get(name) {
            None => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| {
                Problem::bad_request("invalid query parameter")
                    .with_error(name, "is not a valid value for this parameter")
            }),
        }
    }

    /// A listing's `after` (a log position, 0 for the start) and `limit` (1 to `max`,
    /// `default` when not given); a 400 naming the parameter otherwise.
    pub fn page(&self, default: usize, max: usize) -> Result<(u64, usize), Problem> {
        let after = self.parse_as::<u64>("after")?.unwrap_or(0);
        let limit = self.parse_as::<usize>("limit")?.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(Problem::bad_request("invalid query")
                .with_error("limit", format!("must be from 1 to {max}")));
        }
        Ok((after, limit))
    }

    /// All pairs in request order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A successful match.
#[derive(Debug, Clone)]
pub struct RouteMatch<'r> {
    /// The route that matched.
    pub route: &'r Route,
    /// Its path parameters.
    pub params: Params,
}

/// Find the route for `method` and `path` (path only, no query).
///
/// Errors: 400 for an over-long path, 404 when no template matches, 405 (with `allow`)
/// when templates match but none with this method.
pub fn match_route<'r>(
    routes: &'r [Route],
    method: &str,
    path: &str,
) -> Result<RouteMatch<'r>, Problem> {
    if path.len() > MAX_PATH_BYTES {
        return Err(Problem::bad_request(format!(
            "request path exceeds {MAX_PATH_BYTES} bytes"
        )));
    }
    let mut allow: Vec<&'static str> = Vec::new();
    for route in routes {
        let Some(params) = match_template(route.path, path) else {
            continue;
        };
        if route.method.as_str() == method {
            return Ok(RouteMatch { route, params });
        }
        if !allow.contains(&route.method.as_str()) {
            allow.push(route.method.as_str());
        }
    }
    if allow.is_empty() {
        Err(Problem::not_found("no resource at this path"))
    } else {
        Err(Problem::method_not_allowed(&allow))
    }
}

/// Match one template against a path; `Some(params)` on success.
pub fn match_template(template: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut template_segments = template.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (template_segments.next(), path_segments.next()) {
            (None, None) => return Some(Params(params)),
            (Some(t), Some(p)) => match param_name(t) {
                Some(name) => {
                    if p.is_empty() {
                        return None;
                    }
                    let value = percent_encoding::percent_decode_str(p)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    params.push((name, value));
                }
                None => {
                    if t != p {
                        return None;
                    }
                }
            },
            _ => return None,
        }
    }
}

fn param_name(segment: &'static str) -> Option<&'static str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &Ctx<'_>) -> Result<Response, Problem> {
        Ok(Response::new(204, ()))
    }

    const ROUTES: &[Route] = &[
        Route {
            method: Method::Post,
            path: "/v1/ledger/books/{book}/entries",
            access: Access::Roles(&[Role::Operations]),
            summary: "post",
            handler: ok,
        },
        Route {
            method: Method::Get,
            path: "/v1/ledger/books/{book}/entries",
            access: Access::Roles(&[Role::Operations]),
            summary: "list",
            handler: ok,
        },
        Route {
            method: Method::Get,
            path: "/v1/ledger/books/{book}/entries/{id}",
            access: Access::Roles(&[Role::Operations]),
            summary: "get",
            handler: ok,
        },
        Route {
            method: Method::Get,
            path: "/v1/ledger/trial-balance",
            access: Access::Public,
            summary: "tb",
            handler: ok,
        },
    ];

    #[test]
    fn matches_and_extracts_params() {
        let m = match_route(ROUTES, "GET", "/v1/ledger/books/main/entries/e%2D1").unwrap();
        assert_eq!(m.route.summary, "get");
        assert_eq!(m.params.get("book"), Some("main"));
        assert_eq!(m.params.get("id"), Some("e-1"));
        assert_eq!(m.params.get("nope"), None);
        let m = match_route(ROUTES, "POST", "/v1/ledger/books/b/entries").unwrap();
        assert_eq!(m.route.summary, "post");
        let m = match_route(ROUTES, "GET", "/v1/ledger/trial-balance").unwrap();
        assert!(m.params.iter().next().is_none());
    }

    #[test]
    fn unknown_path_is_404() {
        for path in [
            "/v1/ledger/books/main",
            "/v1/ledger/books//entries",
            "/v1/ledger/books/main/entries/x/y",
            "/v1/ledger/trial-balance/",
            "/",
            "",
        ] {
            let p = match_route(ROUTES, "GET", path).unwrap_err();
            assert_eq!(p.status, 404, "{path}");
        }
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let p = match_route(ROUTES, "DELETE", "/v1/ledger/books/main/entries").unwrap_err();
        assert_eq!(p.status, 405);
        assert_eq!(p.header("allow"), Some("POST, GET"));
        let p = match_route(ROUTES, "POST", "/v1/ledger/trial-balance").unwrap_err();
        assert_eq!(p.header("allow"), Some("GET"));
    }

    #[test]
    fn long_path_is_400_and_bad_utf8_param_is_404() {
        let long = format!("/v1/{}", "a".repeat(MAX_PATH_BYTES));
        assert_eq!(match_route(ROUTES, "GET", &long).unwrap_err().status, 400);
        let p = match_route(ROUTES, "GET", "/v1/ledger/books/%FF/entries").unwrap_err();
        assert_eq!(p.status, 404);
    }

    #[test]
    fn access_rules() {
        let ops = Access::Roles(&[Role::Operations]);
        assert!(ops.allows(Role::Operations));
        assert!(ops.allows(Role::Admin), "admin is accepted everywhere");
        assert!(!ops.allows(Role::Applicant));
        assert!(Access::Public.allows(Role::Partner));
        assert_eq!(ops.effective_roles(), vec![Role::Operations, Role::Admin]);
        assert!(Access::Public.effective_roles().is_empty());
        let explicit = Access::Roles(&[Role::Admin, Role::Risk, Role::Risk]);
        assert_eq!(explicit.effective_roles(), vec![Role::Risk, Role::Admin]);
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("Admin".parse::<Role>().is_err());
        for m in [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ] {
            assert_eq!(m.as_str().parse::<Method>(), Ok(m));
            assert_eq!(m.openapi_key(), m.as_str().to_lowercase());
        }
    }

    #[test]
    fn param_names_in_order() {
        let names: Vec<_> = ROUTES[2].param_names().collect();
        assert_eq!(names, ["book", "id"]);
    }

    #[test]
    fn query_parsing() {
        let q = Query::parse("after=10&limit=5&name=a+b%21&limit=9").unwrap();
        assert_eq!(q.get("after"), Some("10"));
        assert_eq!(q.get("limit"), Some("5"), "first value wins");
        assert_eq!(q.get("name"), Some("a b!"));
        assert_eq!(q.parse_as::<u32>("limit").unwrap(), Some(5));
        assert_eq!(q.parse_as::<u32>("missing").unwrap(), None);
        let p = q.parse_as::<u32>("name").unwrap_err();
        assert_eq!(p.status, 400);
        assert_eq!(p.errors[0].field, "name");
        assert!(!p.errors[0].message.contains("a b"), "value is not echoed");
        let many = (0..=MAX_QUERY_PARAMS)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>();
        assert_eq!(Query::parse(&many.join("&")).unwrap_err().status, 400);
        assert_eq!(Query::parse("").unwrap(), Query::default());
        // Listing pages: defaults, bounds, and a 400 naming the parameter.
        assert_eq!(Query::default().page(50, 100).unwrap(), (0, 50));
        assert_eq!(
            Query::parse("after=7&limit=100")
                .unwrap()
                .page(50, 100)
                .unwrap(),
            (7, 100)
        );
        for bad in ["limit=0", "limit=101", "after=x"] {
            let problem = Query::parse(bad).unwrap().page(50, 100).unwrap_err();
            assert_eq!(problem.status, 400, "{bad}");
        }
    }
}
