//! Outbound HTTP from components: Spin's `allowed_outbound_hosts` rules, enforced on every
//! request, and `*.spin.internal` service chaining, which calls another component of the
//! same application in-process without touching the network.
//!
//! Plain `http://` requests to allowed hosts go out over TCP. This host does not carry a TLS
//! stack (the platform's components only chain to each other), so `https://` to an allowed
//! host fails with a clear error; real Spin performs those calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// The suffix Spin reserves for in-process calls to another component.
pub const SPIN_INTERNAL_SUFFIX: &str = ".spin.internal";
/// The host's own control plane (policy hot swaps and backtests), reachable by components
/// whose `allowed_outbound_hosts` name it — on this host only; elsewhere the name does not
/// resolve and the call fails like any unreachable host.
pub const CONTROL_HOST: &str = "control.lendwork.internal";
/// Connect timeout when a component sets none; bounds how long a guest waits on a dead host.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How deep `*.spin.internal` calls may nest before the host refuses (loop protection).
pub const MAX_CHAIN_DEPTH: u32 = 8;

/// One `allowed_outbound_hosts` entry, e.g. `https://*.example.com:8443`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    /// `*.example.com`: any host ending in `.example.com`.
    Subdomain(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// No port written: the scheme's default.
    Default,
    Exact(u16),
}

impl AllowedHost {
    /// Parses an entry in Spin's syntax: `scheme://host[:port]`, where scheme, host (or its
    /// leftmost label) and port may be `*`.
    pub fn parse(text: &str) -> Result<AllowedHost> {
        let Some((scheme, rest)) = text.split_once("://") else {
            bail!("expected `scheme://host[:port]`, e.g. `https://api.example.com`");
        };
        let scheme = match scheme {
            "*" => None,
            "http" | "https" | "redis" | "mysql" | "postgres" | "mqtt" => Some(scheme.to_string()),
            other => bail!("unknown scheme `{other}`"),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains('/') {
            bail!("paths are not allowed in an outbound host");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, "*")) => (host, PortPattern::Any),
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) => (host, PortPattern::Exact(port)),
                Err(_) => bail!("port `{port}` is not a number or `*`"),
            },
            None => (rest, PortPattern::Default),
        };
        let host = match host {
            "" => bail!("missing host"),
            "*" => HostPattern::Any,
            h if h.starts_with("*.") => HostPattern::Subdomain(h[1..].to_ascii_lowercase()),
            h if h.contains('*') => bail!("`*` may only replace a whole leftmost label"),
            h => HostPattern::Exact(h.to_ascii_lowercase()),
        };
        Ok(AllowedHost { scheme, host, port })
    }

    fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
        };
        let port_ok = match self.port {
            PortPattern::Any => true,
            PortPattern::Exact(p) => p == port,
            PortPattern::Default => default_port(scheme) == Some(port),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// A component's outbound rules.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Arc<Vec<AllowedHost>>,
}

impl OutboundPolicy {
    /// Builds the policy from manifest entries (already validated at load).
    pub fn new(entries: &[String]) -> Result<OutboundPolicy> {
        let allowed = entries
            .iter()
            .map(|e| AllowedHost::parse(e))
            .collect::<Result<Vec<_>>>()?;
        Ok(OutboundPolicy {
            allowed: Arc::new(allowed),
        })
    }

    /// Whether a request to `scheme://host:port` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: u16) -> bool {
        let host = host.to_ascii_lowercase();
        self.allowed.iter().any(|a| a.allows(scheme, &host, port))
    }

    /// Whether an entry names `host` itself — no wildcard host — for `scheme` on its
    /// default port: what reaching the host's control plane takes.
    pub fn names(&self, scheme: &str, host: &str) -> bool {
        self.allowed.iter().any(|a| {
            a.host == HostPattern::Exact(host.to_string())
                && a.allows(scheme, host, default_port(scheme).unwrap_or(0))
        })
    }
}

/// A boxed future, as the hooks API needs.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Delivers a `*.spin.internal` request to a component of the same application.
pub trait InternalDispatch: Send + Sync {
    /// Handles `request` with component `component_id`, at chain depth `depth`.
    fn dispatch(
        &self,
        component_id: String,
        request: http::Request<WasiBody>,
        depth: u32,
    ) -> BoxFuture<Result<http::Response<WasiBody>, HttpError>>;

    /// Handles `request` sent to the host's control plane ([`CONTROL_HOST`]).
    fn control(
        &self,
        request: http::Request<WasiBody>,
    ) -> BoxFuture<Result<http::Response<WasiBody>, HttpError>>;
}

/// The `wasi:http` hooks of one component instance.
pub struct OutboundHooks {
    /// The component's outbound rules.
    pub policy: OutboundPolicy,
    /// The application, for service chaining.
    pub dispatch: Arc<dyn InternalDispatch>,
    /// How many in-process hops led to this instance.
    pub depth: u32,
}

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let port = uri.port_u16().or(default_port(&scheme)).unwrap_or(0);
        if !self.policy.allows(&scheme, &host, port) {
            tracing::warn!(%scheme, %host, port, "outbound request denied by allowed_outbound_hosts");
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
            Box::new(async { Ok(()) });
        let first_byte_timeout = options.and_then(|o| o.first_byte_timeout);
        if let Some(component) = host.strip_suffix(SPIN_INTERNAL_SUFFIX) {
            if self.depth >= MAX_CHAIN_DEPTH {
                return Box::new(async { Err(HttpError::LoopDetected) });
            }
            let future = self
                .dispatch
                .dispatch(component.to_string(), request, self.depth + 1);
            return Box::new(async move {
                within(first_byte_timeout, future)
                    .await
                    .map(|response| (response, done))
            });
        }
        if host == CONTROL_HOST {
            // A wildcard (`*://*:*`, `http://*.lendwork.internal`) is not enough: only a
            // component that names the control plane may reach it.
            if !self.policy.names(&scheme, CONTROL_HOST) {
                tracing::warn!(
                    "control-plane request denied: the component does not name it in allowed_outbound_hosts"
                );
                return Box::new(async { Err(HttpError::HttpRequestDenied) });
            }
            let future = self.dispatch.control(request);
            return Box::new(async move {
                within(first_byte_timeout, future)
                    .await
                    .map(|response| (response, done))
            });
        }
        if scheme != "http" {
            return Box::new(async {
                Err(HttpError::InternalError(Some(
                    "this host sends outbound requests over plain http only".into(),
                )))
            });
        }
        let connect_timeout = options
            .and_then(|o| o.connect_timeout)
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        Box::new(async move {
            let sent = send_plain_http(request, &host, port, connect_timeout);
            let response = within(first_byte_timeout, sent).await?;
            Ok((response, done))
        })
    }
}

/// `future`, given up with a read timeout once `limit` passes (no limit: as long as the
/// invocation lives), as Spin applies a request's first-byte timeout.
async fn within<T>(
    limit: Option<Duration>,
    future: impl Future<Output = Result<T, HttpError>>,
) -> Result<T, HttpError> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, future)
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?,
        None => future.await,
    }
}

async fn send_plain_http(
    request: http::Request<WasiBody>,
    host: &str,
    port: u16,
    connect_timeout: Duration,
) -> Result<http::Response<WasiBody>, HttpError> {
    let stream = tokio::time::timeout(
        connect_timeout,
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)?
    .map_err(|_| HttpError::ConnectionRefused)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("outbound connection ended: {e}");
        }
    });
    let response = sender.send_request(request).await?;
    Ok(response.map(|body| body.map_err(HttpError::from).boxed_unsync()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> OutboundPolicy {
        OutboundPolicy::new(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn service_chaining_pattern() {
        let p = policy(&["http://*.spin.internal"]);
        assert!(p.allows("http", "ledger-api.spin.internal", 80));
        assert!(!p.allows("https", "ledger-api.spin.internal", 443));
        assert!(!p.allows("http", "evil.com", 80));
        assert!(!p.allows("http", "spin.internal.evil.com", 80));
    }

    #[test]
    fn ports_default_to_the_scheme() {
        let p = policy(&["https://api.example.com", "http://localhost:*"]);
        assert!(p.allows("https", "api.example.com", 443));
        assert!(!p.allows("https", "api.example.com", 8443));
        assert!(p.allows("http", "localhost", 3001));
        assert!(p.allows("http", "LOCALHOST", 1));
    }

    #[test]
    fn only_a_component_naming_the_control_plane_reaches_it() {
        assert!(policy(&["http://control.lendwork.internal"]).names("http", CONTROL_HOST));
        for broad in ["*://*:*", "http://*.lendwork.internal", "http://*:80"] {
            let p = policy(&[broad]);
            assert!(p.allows("http", CONTROL_HOST, 80), "{broad}");
            assert!(!p.names("http", CONTROL_HOST), "{broad}");
        }
        assert!(!policy(&["https://control.lendwork.internal"]).names("http", CONTROL_HOST));
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        assert!(!policy(&[]).allows("http", "localhost", 80));
    }

    #[test]
    fn wildcards() {
        let p = policy(&["*://*:*"]);
        assert!(p.allows("https", "anything.example", 1234));
    }

    #[test]
    fn rejects_malformed_entries() {
        for bad in [
            "example.com",
            "ftp://x",
            "http://a*b.com",
            "http://x:port",
            "http://x/path",
            "http://",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }
}
