//! What the product commands of the CLI share: they are clients of the platform's HTTP API
//! (`--url`, a role's API key from `--api-key` or `LENDWORK_API_KEY`), print a refusal's
//! RFC 9457 problem on stderr, and exit with one of three codes.

use clap::Args;
use serde_json::Value;

/// The arguments every product command takes.
#[derive(Args)]
pub struct ApiArgs {
    /// The platform's base URL.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:3000",
        env = "LENDWORK_URL"
    )]
    pub url: String,
    /// An API key of the role the command needs.
    #[arg(long, global = true, env = "LENDWORK_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

impl ApiArgs {
    /// A client with these arguments, or the exit code after saying that `role`'s key is
    /// missing.
    pub fn client(&self, role: &str) -> Result<Client, i32> {
        Client::new(&self.url, self.api_key.as_deref(), role)
    }
}

/// Most times [`Client::post_retrying`] sends one request.
pub const ATTEMPTS_MAX: u32 = 6;

/// Exit code of a command that did what it was asked.
pub const EXIT_OK: i32 = 0;
/// Exit code when a file cannot be read or the platform cannot be reached.
pub const EXIT_IO: i32 = 1;
/// Exit code when the platform refuses the request (its problem is on stderr).
pub const EXIT_REFUSED: i32 = 2;

/// A client of the platform's API.
#[derive(Clone)]
pub struct Client {
    base: String,
    auth: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of `url` with `key`, or the exit code after saying that `role`'s key is
    /// missing.
    pub fn new(url: &str, key: Option<&str>, role: &str) -> Result<Client, i32> {
        let Some(key) = key else {
            eprintln!("error: {role} API key is needed: --api-key or LENDWORK_API_KEY");
            return Err(EXIT_IO);
        };
        Ok(Client {
            base: url.trim_end_matches('/').to_string(),
            auth: format!("Bearer {key}"),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into(),
        })
    }

    /// Sends `body` (a POST) or nothing (a GET) to `path`; the answer's JSON, or the exit
    /// code after printing why there is none.
    pub fn send(&self, path: &str, body: Option<&Value>) -> Result<Value, i32> {
        match body {
            Some(body) => self.post(path, "application/json", body.to_string().as_bytes()),
            None => {
                let url = format!("{}{path}", self.base);
                let sent = self
                    .agent
                    .get(&url)
                    .header("authorization", &self.auth)
                    .call();
                answer(&url, sent)
            }
        }
    }

    /// POSTs a JSON `body` to `path`; the answer's status and text, or why there is none
    /// (the platform could not be reached) — for callers that retry.
    pub fn try_post_json(&self, path: &str, body: &Value) -> Result<(u16, String), String> {
        let url = format!("{}{path}", self.base);
        let mut response = self
            .agent
            .post(&url)
            .header("authorization", &self.auth)
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Ok((status, text))
    }

    /// POSTs a JSON `body` to `path` until the platform answers other than busy (a 5xx or
    /// 429, or unreachable), at most [`ATTEMPTS_MAX`] times, backing off: the status and
    /// text of its last answer, or why there was none.
    pub fn post_retrying(&self, path: &str, body: &Value) -> Result<(u16, String), String> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS_MAX {
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(200 << attempt.min(4)));
            }
            match self.try_post_json(path, body) {
                Ok((status, text)) if status >= 500 || status == 429 => last = text,
                Ok(answer) => return Ok(answer),
                Err(error) => last = error,
            }
        }
        Err(format!("gave up after {ATTEMPTS_MAX} attempts: {last}"))
    }

    /// POSTs `body` of `content_type` to `path`; the answer's JSON, or the exit code after
    /// printing why there is none.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Value, i32> {
        let url = format!("{}{path}", self.base);
        let sent = self
            .agent
            .post(&url)
            .header("authorization", &self.auth)
            .header("content-type", content_type)
            .send(body);
        answer(&url, sent)
    }
}

/// The JSON of a 2xx answer, or the exit code after printing why there is none.
fn answer(
    url: &str,
    sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, i32> {
    let mut response = sent.map_err(|e| {
        eprintln!("error: cannot reach {url}: {e}");
        EXIT_IO
    })?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if !(200..300).contains(&status) {
        eprintln!("{text}");
        return Err(EXIT_REFUSED);
    }
    serde_json::from_str(&text).map_err(|_| {
        eprintln!("error: the platform answered {status} with a body that is not JSON");
        EXIT_IO
    })
}
