//! A test component that reports what the host gives it, so end-to-end tests can check
//! routing headers, variables, key-value stores and outbound HTTP rules on the real host.
//!
//! Paths, after whatever first segment the manifest routes here (`/probe/...`):
//! * `/var/<name>` — a variable's value, 404 when undefined;
//! * `/kv/<label>/<key>` — GET, PUT, DELETE on Spin key-value store `<label>`;
//! * `/outbound?url=<url>` — sends a GET to `<url>` and reports the outcome;
//! * anything else — the `spin-*` request headers as JSON.

#[cfg(target_arch = "wasm32")]
mod guest {
    use spin_sdk::http::{IntoResponse, Method, Request, Response};
    use spin_sdk::{key_value, variables};

    fn text(status: u16, body: impl Into<String>) -> Response {
        Response::builder()
            .status(status)
            .header("content-type", "text/plain")
            .body(body.into())
            .build()
    }

    fn headers(request: &Request) -> Response {
        let mut out = serde_json::Map::new();
        for (name, value) in request.headers() {
            if name.starts_with("spin-") {
                out.insert(name.to_string(), value.as_str().unwrap_or("").into());
            }
        }
        out.insert("method".into(), format!("{:?}", request.method()).into());
        out.insert("uri".into(), request.uri().into());
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(serde_json::Value::Object(out).to_string())
            .build()
    }

    fn var(name: &str) -> Response {
        match variables::get(name) {
            Ok(value) => text(200, value),
            Err(e) => text(404, format!("{e}")),
        }
    }

    fn kv(method: &Method, label: &str, key: &str, body: &[u8]) -> Response {
        let store = match key_value::Store::open(label) {
            Ok(store) => store,
            Err(e) => return text(403, format!("open failed: {e:?}")),
        };
        let result = match method {
            Method::Get => match store.get(key) {
                Ok(Some(value)) => return text(200, String::from_utf8_lossy(&value)),
                Ok(None) => return text(404, "absent"),
                Err(e) => Err(e),
            },
            Method::Put => store.set(key, body),
            Method::Delete => store.delete(key),
            _ => return text(405, "method"),
        };
        match result {
            Ok(()) => text(204, ""),
            Err(e) => text(500, format!("{e:?}")),
        }
    }

    async fn outbound(query: &str) -> Response {
        let Some(url) = query.strip_prefix("url=") else {
            return text(400, "want ?url=");
        };
        let request = Request::get(url).build();
        match spin_sdk::http::send::<_, Response>(request).await {
            Ok(response) => text(
                200,
                format!(
                    "status={} body={}",
                    response.status(),
                    String::from_utf8_lossy(response.body())
                ),
            ),
            Err(e) => text(502, format!("denied-or-failed: {e}")),
        }
    }

    #[spin_sdk::http_component]
    async fn handle(request: Request) -> impl IntoResponse {
        let path = request.path().to_string();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // The first segment is whichever route the manifest gave this instance.
        match parts.get(1..).unwrap_or_default() {
            ["var", name] => var(name),
            ["kv", label, key] => kv(request.method(), label, key, request.body()),
            ["outbound"] => outbound(request.query()).await,
            _ => headers(&request),
        }
    }
}
