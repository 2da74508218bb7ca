//! GraphQL over HTTP to a running lkn-api: the bot's token, and the
//! `X-Lkn-Discord-User` header when it acts for a Discord user.

use std::time::Duration;

use async_trait::async_trait;

use super::{Answer, ApiError, Caller, Transport};

/// GraphQL over HTTP to a running lkn-api.
pub struct HttpTransport {
    http: reqwest::Client,
    endpoint: String,
    bot_token: Option<String>,
}

impl HttpTransport {
    /// A client of the API at `api_url` (its base, e.g. `http://127.0.0.1:8080`), with the
    /// bot's token when it has one.
    pub fn new(api_url: &str, bot_token: Option<String>) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .user_agent(concat!("lkn-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        Ok(Self { http, endpoint: format!("{}/graphql", api_url.trim_end_matches('/')), bot_token })
    }
}

#[async_trait]
impl Transport for HttpTransport {
    async fn send(&self, caller: &Caller, body: String) -> Result<Answer, ApiError> {
        let mut request =
            self.http.post(&self.endpoint).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        let bot =
            || self.bot_token.as_deref().ok_or_else(|| ApiError::Unauthenticated("the bot has no API token".into()));
        request = match caller {
            Caller::Anonymous => request,
            Caller::Bot => request.bearer_auth(bot()?),
            Caller::Token(token) => request.bearer_auth(token),
            Caller::Discord(user) => request.bearer_auth(bot()?).header("X-Lkn-Discord-User", user),
        };
        let response = request.send().await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| ApiError::Unavailable(format!("HTTP {status}: {e}")))?;
        Ok(Answer { status: status.as_u16(), body })
    }
}
